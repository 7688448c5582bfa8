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
  description: {
    en: 'runs as root (namespaces, mounts and cgroups need CAP_SYS_ADMIN)',
    zh: '以 root 运行（namespace、挂载和 cgroup 都需要 CAP_SYS_ADMIN）',
  },
  probe: () =>
    isRoot()
      ? { ok: true }
      : {
          ok: false,
          reason: { en: 'this lab needs root', zh: '这个实验需要 root 权限' },
          remedy: { en: 'run it with sudo, e.g. `sudo npx nslab run <lab>`', zh: '用 sudo 运行，例如 `sudo npx nslab run <lab>`' },
        },
};

export const addon: Requirement = {
  id: 'addon',
  description: { en: 'the native addon and the probe are built', zh: '原生插件和探针已经构建' },
  probe: () => {
    const s = addonStatus();
    if (s.ok) return { ok: true };
    const why = s.reason ?? 'the addon is not built';
    return {
      ok: false,
      reason: { en: why, zh: `原生插件不可用：${why}` },
      remedy: { en: 'npm run build:addon', zh: '运行 npm run build:addon' },
    };
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
    description: { en: `the kernel has ${list.join(', ')} namespaces`, zh: `内核支持 ${list.join('、')} namespace` },
    probe: () => {
      const missing = list.filter((ns) => !existsSync(`/proc/self/ns/${ns}`));
      if (missing.length === 0) return { ok: true };
      const configs = missing.map((m) => NS_CONFIG[m]).join(', ');
      return {
        ok: false,
        reason: {
          en: `this kernel has no ${missing.join(', ')} namespace (${configs})`,
          zh: `这个内核没有 ${missing.join('、')} namespace（${configs}）`,
        },
        remedy: {
          en: 'use a kernel built with namespaces, or run the lab in the VM (--vm)',
          zh: '换用编译了 namespace 的内核，或在虚拟机中运行这个实验（--vm）',
        },
      };
    },
  };
}

export function tool(name: string, pkg: string): Requirement {
  return {
    id: `tool:${name}`,
    description: { en: `the ${name} command is installed (package ${pkg})`, zh: `已安装 ${name} 命令（软件包 ${pkg}）` },
    package: pkg,
    probe: () =>
      which(name)
        ? { ok: true }
        : {
            ok: false,
            reason: { en: `the ${name} command is missing`, zh: `缺少 ${name} 命令` },
            remedy: { en: `install it: apt-get install ${pkg}`, zh: `安装它：apt-get install ${pkg}` },
          },
  };
}

export function filesystem(fstype: string): Requirement {
  return {
    id: `fs:${fstype}`,
    description: { en: `the kernel knows the ${fstype} file system`, zh: `内核支持 ${fstype} 文件系统` },
    probe: () => {
      const known = readFileSync('/proc/filesystems', 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/).pop());
      return known.includes(fstype)
        ? { ok: true }
        : {
            ok: false,
            reason: { en: `this kernel has no ${fstype} file system`, zh: `这个内核没有 ${fstype} 文件系统` },
            remedy: {
              en: `load it (modprobe ${fstype}) or run the lab in the VM (--vm)`,
              zh: `加载它（modprobe ${fstype}），或在虚拟机中运行这个实验（--vm）`,
            },
          };
    },
  };
}

/** What every lab that builds containers needs. */
export const basics: readonly Requirement[] = [root, addon];
