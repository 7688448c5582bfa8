// Facts about the host that reports and doctor show.
import { statfsSync } from 'node:fs';
import { arch, hostname, release } from 'node:os';
import type { HostInfo } from '../core/model.js';
import { mountsOf } from '../core/proc.js';

export { version } from './commands/version.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** v2 (unified only), hybrid (v1 controllers plus a cgroup2 mount), v1, or none. */
export function cgroupMode(): string {
  try {
    if (statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC) return 'v2';
  } catch {
    return 'none';
  }
  const mounts = mountsOf();
  const v1 = mounts.some((m) => m.fstype === 'cgroup');
  const v2 = mounts.some((m) => m.fstype === 'cgroup2');
  if (v1 && v2) return 'hybrid';
  if (v1) return 'v1';
  return v2 ? 'v2' : 'none';
}

export function hostInfo(): HostInfo {
  return { kernel: release(), cgroup: cgroupMode(), arch: arch(), hostname: hostname() };
}
