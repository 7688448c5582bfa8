// Can an unprivileged user create a user namespace here? Three switches decide it, depending on
// the distribution; each is read from NSLAB_SYSCTL_ROOT (tests point it at a fake tree) or
// /proc/sys. A switch that does not exist on this kernel does not restrict anything.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Requirement, RequirementResult } from '../../runner/kit/index.js';

export function sysctlRoot(): string {
  return process.env.NSLAB_SYSCTL_ROOT ?? '/proc/sys';
}

/** The value of a sysctl such as "user.max_user_namespaces", or undefined when the kernel has none. */
export function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(join(sysctlRoot(), ...name.split('.')), 'utf8').trim();
  } catch {
    return undefined;
  }
}

interface Switch {
  readonly name: string;
  /** The value that closes the door, and the one that opens it. */
  readonly blocks: (value: string) => boolean;
  readonly open: string;
  readonly why: string;
}

const SWITCHES: readonly Switch[] = [
  {
    name: 'kernel.unprivileged_userns_clone',
    blocks: (v) => v === '0',
    open: '1',
    why: 'a Debian (and older Ubuntu) kernel patch that forbids CLONE_NEWUSER to users without CAP_SYS_ADMIN',
  },
  {
    name: 'kernel.apparmor_restrict_unprivileged_userns',
    blocks: (v) => v !== '0',
    open: '0',
    why: 'AppArmor (Ubuntu 23.10 and later) gives an unprivileged user namespace no capabilities, so its id maps cannot be written',
  },
  {
    name: 'user.max_user_namespaces',
    blocks: (v) => v === '0',
    open: '15000',
    why: 'the per-user limit on user namespaces is zero, so none can be created',
  },
];

export function probeUnprivilegedUserns(): RequirementResult {
  const closed = SWITCHES.map((s) => ({ s, value: readSysctl(s.name) })).filter(
    (x): x is { s: Switch; value: string } => x.value !== undefined && x.s.blocks(x.value),
  );
  if (closed.length === 0) return { ok: true };
  return {
    ok: false,
    reason: `unprivileged user namespaces are switched off: ${closed.map(({ s, value }) => `${s.name} = ${value} (${s.why})`).join('; ')}`,
    remedy: `as root: ${closed.map(({ s }) => `sysctl -w ${s.name}=${s.open}`).join(' && ')} (to keep it after a reboot, put the same line(s) in /etc/sysctl.d/99-nslab.conf)`,
  };
}

export const unprivilegedUserns: Requirement = {
  id: 'sysctl:unprivileged-userns',
  description: 'an unprivileged user may create user namespaces (kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns, user.max_user_namespaces)',
  probe: probeUnprivilegedUserns,
};
