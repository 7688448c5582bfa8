// `nslab shell 10-cgroup-v2`: a shell born inside a cgroup2 group of its own,
// nslab-<token>-shell-v2, with limits: cgroup.max.descendants = 0 always (a core file of every
// group: `mkdir` below it fails with EAGAIN), and pids.max, memory.max and cpu.max where cgroup2
// offers those controllers here. `cat /proc/self/cgroup` shows the group on its "0::" line. The
// group, with everything started in it, is removed when the shell exits (its name ends in
// -shell-v2, so the cleanup kills what is left in it), and a controller nslab switched on in the
// root for it is switched off again.
import { CgroupDir, CgroupHost, interactive, LabError, t, type StepContext } from '../../runner/kit/index.js';
import { about } from './about.js';

/** The limits of the shell's group, where the controller is offered: [controller, file, value]. */
export const SHELL_LIMITS: readonly (readonly [string, string, string])[] = [
  ['pids', 'pids.max', '64'],
  ['memory', 'memory.max', String(256 * 1024 * 1024)],
  ['cpu', 'cpu.max', '20000 100000'],
];

export async function openShell(ctx: StepContext): Promise<number> {
  const host = CgroupHost.discover();
  const v2 = host.v2;
  if (!v2) throw new LabError(t('no cgroup2 file system is mounted: there is no v2 group to open the shell in', '没有挂载 cgroup2 文件系统：没有可以打开 shell 的 v2 组'));
  const root = CgroupDir.root(ctx, v2.mount, 2);
  // A controller the root cannot switch on (e.g. cpu with a realtime task outside the root) is left out.
  const limits = SHELL_LIMITS.filter(([c]) => host.v2Controllers.includes(c) && root.enable(c, { show: false }).ok);
  const g = root.child('shell-v2', { show: false });
  g.write('cgroup.max.descendants', '0', { show: false });
  for (const [, file, value] of limits) g.write(file, value, { show: false });
  ctx.log({
    en: `shell group ${g.path}: cgroup.max.descendants = 0${limits.map(([, f, v]) => `, ${f} = ${v}`).join('')}`,
    zh: `shell 所在的组 ${g.path}：cgroup.max.descendants = 0${limits.map(([, f, v]) => `，${f} = ${v}`).join('')}`,
  });
  // Writing 0 to cgroup.procs moves the writer itself: the shell is born in the group.
  return interactive(ctx, {
    labId: about.id,
    namespaces: [],
    actions: [{ do: 'writeFile', path: g.file('cgroup.procs'), content: '0' }],
  });
}
