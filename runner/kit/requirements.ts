// Requirement probes shared by the labs. Each says, when unmet, why and what would fix it.
import { existsSync, readFileSync } from 'node:fs';
import { addonStatus, type Namespace } from '../../addon/index.js';
import { which } from './container.js';
import type { Requirement } from '../core/model.js';

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

export const root: Requirement = {
  id: 'root',
  description: 'runs as root (namespaces, mounts and cgroups need CAP_SYS_ADMIN)',
  probe: () =>
    isRoot()
      ? { ok: true }
      : { ok: false, reason: 'this lab needs root', remedy: 'run it with sudo, e.g. `sudo npx nslab run <lab>`' },
};

export const addon: Requirement = {
  id: 'addon',
  description: 'the native addon and the probe are built',
  probe: () => {
    const s = addonStatus();
    return s.ok ? { ok: true } : { ok: false, reason: s.reason ?? 'the addon is not built', remedy: 'npm run build:addon' };
  },
};

const NS_CONFIG: Record<Namespace, string> = {
  uts: 'CONFIG_UTS_NS',
  ipc: 'CONFIG_IPC_NS',
  pid: 'CONFIG_PID_NS',
  mnt: 'mount namespaces',
  net: 'CONFIG_NET_NS',
  user: 'CONFIG_USER_NS',
  cgroup: 'CONFIG_CGROUPS',
};

export function namespaces(...list: Namespace[]): Requirement {
  return {
    id: `ns:${list.join(',')}`,
    description: `the kernel has ${list.join(', ')} namespaces`,
    probe: () => {
      const missing = list.filter((ns) => !existsSync(`/proc/self/ns/${ns}`));
      return missing.length === 0
        ? { ok: true }
        : {
            ok: false,
            reason: `this kernel has no ${missing.join(', ')} namespace (${missing.map((m) => NS_CONFIG[m]).join(', ')})`,
            remedy: 'use a kernel built with namespaces, or run the lab in the VM (--vm)',
          };
    },
  };
}

export function tool(name: string, pkg: string): Requirement {
  return {
    id: `tool:${name}`,
    description: `the ${name} command is installed (package ${pkg})`,
    package: pkg,
    probe: () =>
      which(name)
        ? { ok: true }
        : { ok: false, reason: `the ${name} command is missing`, remedy: `install it: apt-get install ${pkg}` },
  };
}

export function filesystem(fstype: string): Requirement {
  return {
    id: `fs:${fstype}`,
    description: `the kernel knows the ${fstype} file system`,
    probe: () => {
      const known = readFileSync('/proc/filesystems', 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/).pop());
      return known.includes(fstype)
        ? { ok: true }
        : { ok: false, reason: `this kernel has no ${fstype} file system`, remedy: `load it (modprobe ${fstype}) or run the lab in the VM (--vm)` };
    },
  };
}

/** What every lab that builds containers needs. */
export const basics: readonly Requirement[] = [root, addon];
