// Can an unprivileged user create a user namespace here? Three switches decide it, depending on
// the distribution; each is read from NSLAB_SYSCTL_ROOT (tests point it at a fake tree) or
// /proc/sys. A switch that does not exist on this kernel does not restrict anything.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { t, type Requirement, type RequirementResult, type Text } from '../../runner/kit/index.js';

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
  readonly why: Text;
}

const SWITCHES: readonly Switch[] = [
  {
    name: 'kernel.unprivileged_userns_clone',
    blocks: (v) => v === '0',
    open: '1',
    why: t(
      'a Debian (and older Ubuntu) kernel patch that forbids CLONE_NEWUSER to users without CAP_SYS_ADMIN',
      'Debian（以及较老的 Ubuntu）内核补丁，禁止没有 CAP_SYS_ADMIN 的用户使用 CLONE_NEWUSER',
    ),
  },
  {
    name: 'kernel.apparmor_restrict_unprivileged_userns',
    blocks: (v) => v !== '0',
    open: '0',
    why: t(
      'AppArmor (Ubuntu 23.10 and later) gives an unprivileged user namespace no capabilities, so its id maps cannot be written',
      'AppArmor（Ubuntu 23.10 及以后）不给非特权 user namespace 任何能力（capability），所以无法写入它的 id 映射',
    ),
  },
  {
    name: 'user.max_user_namespaces',
    blocks: (v) => v === '0',
    open: '15000',
    why: t('the per-user limit on user namespaces is zero, so none can be created', '每个用户可创建的 user namespace 上限为零，一个也创建不了'),
  },
];

export function probeUnprivilegedUserns(): RequirementResult {
  const closed = SWITCHES.map((s) => ({ s, value: readSysctl(s.name) })).filter(
    (x): x is { s: Switch; value: string } => x.value !== undefined && x.s.blocks(x.value),
  );
  if (closed.length === 0) return { ok: true };
  const cmds = closed.map(({ s }) => `sysctl -w ${s.name}=${s.open}`).join(' && ');
  return {
    ok: false,
    reason: t(
      `unprivileged user namespaces are switched off: ${closed.map(({ s, value }) => `${s.name} = ${value} (${s.why.en})`).join('; ')}`,
      `非特权 user namespace 被关闭了：${closed.map(({ s, value }) => `${s.name} = ${value}（${s.why.zh}）`).join('；')}`,
    ),
    remedy: t(
      `as root: ${cmds} (to keep it after a reboot, put the same line(s) in /etc/sysctl.d/99-nslab.conf)`,
      `以 root 执行：${cmds}（要在重启后仍然生效，把同样的设置写进 /etc/sysctl.d/99-nslab.conf）`,
    ),
  };
}

export const unprivilegedUserns: Requirement = {
  id: 'sysctl:unprivileged-userns',
  description: t(
    'an unprivileged user may create user namespaces (kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns, user.max_user_namespaces)',
    '普通用户可以创建 user namespace（kernel.unprivileged_userns_clone、kernel.apparmor_restrict_unprivileged_userns、user.max_user_namespaces）',
  ),
  probe: probeUnprivilegedUserns,
};
