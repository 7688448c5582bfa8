// nslab doctor, in the spirit of lxc-checkconfig: first what the kernel and the machine offer
// (namespaces, user-namespace switches, cgroups, file systems, devices, tools), then, for each
// lab, whether it can run here and, if not, why and what to do.
import { readFileSync } from 'node:fs';
import { registry, isPlanned } from '../../labs/index.js';
import { unprivilegedUserns } from '../../labs/07-user-namespace/sysctl.js';
import { loopDriver, thinPool } from '../../labs/12-devicemapper/dm.js';
import { checkRequirements } from '../core/engine.js';
import { mountsOf } from '../core/proc.js';
import { cgroupMode, hostInfo, version } from './host.js';
import { addon, filesystem, isRoot, namespaces, tool } from '../kit/requirements.js';
import type { Requirement } from '../core/model.js';

interface Section {
  readonly title: string;
  readonly items: readonly Requirement[];
}

function cgroupLine(): string {
  const mode = cgroupMode();
  const v2Roots = mountsOf()
    .filter((m) => m.fstype === 'cgroup2')
    .map((m) => m.target);
  const v2 = v2Roots.map((root) => {
    let controllers = '';
    try {
      controllers = readFileSync(`${root}/cgroup.controllers`, 'utf8').trim();
    } catch {
      controllers = '?';
    }
    return `cgroup2 at ${root}: ${controllers || 'no controllers'}`;
  });
  return `cgroup: ${mode}${v2.length > 0 ? ` (${v2.join('; ')})` : ''}`;
}

const sections: readonly Section[] = [
  { title: 'Namespaces', items: (['uts', 'ipc', 'pid', 'mnt', 'net', 'user', 'cgroup'] as const).map((ns) => namespaces(ns)) },
  { title: 'User namespaces for unprivileged users (lab 07)', items: [unprivilegedUserns] },
  { title: 'File systems and devices', items: [filesystem('proc'), filesystem('tmpfs'), filesystem('devpts'), filesystem('overlay'), filesystem('ext4'), loopDriver, thinPool] },
  {
    title: 'Tools',
    items: [
      tool('ps', 'procps'),
      tool('ipcs', 'util-linux'),
      tool('lsns', 'util-linux'),
      tool('nsenter', 'util-linux'),
      tool('losetup', 'util-linux'),
      tool('ip', 'iproute2'),
      tool('ping', 'iputils-ping'),
      tool('mkfs.ext4', 'e2fsprogs'),
      tool('dmsetup', 'dmsetup'),
    ],
  },
  { title: 'nslab', items: [addon] },
];

export async function doctor(out: (line: string) => void): Promise<void> {
  const host = hostInfo();
  out(`nslab ${version()} on Linux ${host.kernel} (${process.arch}), running as ${isRoot() ? 'root' : `uid ${process.geteuid?.()}`}`);
  out(cgroupLine());
  for (const section of sections) {
    out('');
    out(`--- ${section.title} ---`);
    for (const item of section.items) {
      const r = await item.probe();
      out(r.ok ? `✓ ${item.description}` : `✗ ${r.reason ?? item.description}${r.remedy ? ` — ${r.remedy}` : ''}`);
    }
  }
  out('');
  out('--- Labs ---');
  for (const l of registry) {
    if (isPlanned(l)) {
      out(`- ${l.id.padEnd(20)} not yet available in this version`);
      continue;
    }
    const r = await checkRequirements(l);
    out(r.ok ? `✓ ${l.id.padEnd(20)} ready` : `✗ ${l.id.padEnd(20)} ${r.reason}${r.remedy ? ` — ${r.remedy}` : ''}`);
  }
  out('');
  out((await import('./vm/index.js')).vmDoctorLine());
}
