// 09-cgroups, step 1: which cgroup hierarchies this host has, and where each resource lives.
import { readFileSync } from 'node:fs';
import { CgroupHost, must, parseProcPidCgroup, step, t, type Resource, type Text, type Unmeasured } from '../../runner/kit/index.js';

/** The resources the lab's steps use. */
export const RESOURCES: readonly Resource[] = ['cpu', 'cpuacct', 'cpuset', 'memory', 'io', 'freezer'];

/** What the driver found, compared with /proc/cgroups and /proc/self/cgroup. */
export interface Layout {
  readonly mode: string;
  readonly placed: Partial<Record<Resource, string>>;
  readonly missing: Partial<Record<Resource, Text>>;
  /** Disagreements between the mounts, /proc/cgroups and /proc/self/cgroup (none expected). */
  readonly conflicts: readonly Text[];
  readonly v1Bound: number;
}

/** A group needs these resources; a step without them is skipped with the reason. */
export function missing(host: CgroupHost, resources: readonly Resource[]): Unmeasured | undefined {
  for (const r of resources) if (!host.place(r)) return { skip: host.whyMissing(r) };
  return undefined;
}

/** Compare the driver's view with /proc/cgroups and /proc/self/cgroup (its text). */
export function layoutOf(host: CgroupHost, selfCgroup: string): Layout {
  const placed: Partial<Record<Resource, string>> = {};
  const miss: Partial<Record<Resource, Text>> = {};
  for (const r of RESOURCES) {
    const p = host.place(r);
    if (p) placed[r] = `v${p.version} ${p.mount}`;
    else miss[r] = host.whyMissing(r);
  }
  const conflicts: Text[] = [];
  const self = parseProcPidCgroup(selfCgroup);
  let v1Bound = 0;
  for (const m of host.v1.filter((x) => x.controllers.length > 0)) {
    const ids = new Set(m.controllers.map((c) => host.subsystems.find((s) => s.name === c)?.hierarchy ?? -1));
    if (ids.size !== 1 || ids.has(0) || ids.has(-1)) {
      conflicts.push(
        t(
          `${m.mount}: /proc/cgroups gives hierarchies ${[...ids].join(',')} for ${m.controllers.join(',')}`,
          `${m.mount}：/proc/cgroups 给 ${m.controllers.join(',')} 的层级编号是 ${[...ids].join(',')}`,
        ),
      );
      continue;
    }
    v1Bound += m.controllers.length;
    const id = [...ids][0]!;
    const line = self.find((l) => l.hierarchy === id);
    if (!line || [...line.controllers].sort().join(',') !== [...m.controllers].sort().join(','))
      conflicts.push(t(`${m.mount}: /proc/self/cgroup has no line ${id}:${m.controllers.join(',')}`, `${m.mount}：/proc/self/cgroup 里没有 ${id}:${m.controllers.join(',')} 这一行`));
  }
  for (const s of host.subsystems)
    if (s.hierarchy !== 0 && !host.v1.some((m) => m.controllers.includes(s.name)))
      conflicts.push(t(`${s.name} is bound to hierarchy ${s.hierarchy} but not mounted`, `${s.name} 绑在层级 ${s.hierarchy} 上，却没有挂载`));
  return { mode: host.mode, placed, missing: miss, conflicts, v1Bound };
}

export const hierarchies = step<Layout>({
  id: 'hierarchies',
  title: { en: 'Where the cgroup hierarchies are', zh: 'cgroup 层级挂在哪里' },
  explain: {
    en: 'cgroups are a file system. With v1 every controller (or a few together) is its own tree mounted under /sys/fs/cgroup; with v2 there is one tree and a group lists the controllers it may use. nslab reads /proc/self/mountinfo and /proc/cgroups to find out which this host has, and uses one vocabulary for both.',
    zh: 'cgroup 以文件系统的形式呈现。v1 中每个子系统（或几个一起）各是一棵树，挂载在 /sys/fs/cgroup 下；v2 只有一棵树，每个组列出自己可用的控制器。nslab 读 /proc/self/mountinfo 和 /proc/cgroups 判断本机是哪种，再用同一套说法操作两者。',
  },
  article: 'mount -t cgroup; lssubsys -m',
  modern: 'mount -t cgroup,cgroup2; cat /proc/cgroups',
  async run(ctx) {
    const host = CgroupHost.discover();
    await must(ctx, ['mount', '-t', 'cgroup,cgroup2']);
    await must(ctx, ['cat', '/proc/cgroups']);
    const layout = layoutOf(host, readFileSync('/proc/self/cgroup', 'utf8'));
    const v2 = host.v2;
    const offers = host.v2Controllers.join(' ');
    ctx.log(
      t(
        `this host: cgroup ${host.mode}${v2 ? `; cgroup2 at ${v2.mount} offers: ${offers || 'nothing'}` : ''}`,
        `本机：cgroup ${host.mode}${v2 ? `；${v2.mount} 上的 cgroup2 提供：${offers || '无'}` : ''}`,
      ),
    );
    for (const r of RESOURCES) {
      const p = host.place(r);
      const why = host.whyMissing(r);
      ctx.log(
        p
          ? t(`  ${r.padEnd(8)} cgroup v${p.version}  ${p.mount}`, `  ${r.padEnd(8)} 在 cgroup v${p.version}  ${p.mount}`)
          : t(`  ${r.padEnd(8)} — ${why.en}`, `  ${r.padEnd(8)} —— ${why.zh}`),
      );
    }
    return layout;
  },
  checks: [
    {
      id: 'hierarchies-agree',
      description: t(
        'Every v1 hierarchy found in mountinfo matches /proc/cgroups (one hierarchy id per mount) and /proc/self/cgroup, and every bound controller is mounted.',
        'mountinfo 里的每个 v1 层级都与 /proc/cgroups（每个挂载点一个层级编号）和 /proc/self/cgroup 一致，并且每个已绑定的子系统都挂载了。',
      ),
      evaluate: (l) => {
        const placed = Object.entries(l.placed).map(([r, p]) => `${r}: ${p}`).join('; ');
        if (Object.keys(l.placed).length === 0)
          return {
            observed: t('no controller of the lab is available', '本实验用到的子系统一个都没有'),
            expected: t('hierarchies', '层级'),
            pass: false,
            skip: t('no cgroup controller is available here', '这里没有可用的 cgroup 子系统'),
          };
        return {
          observed: l.conflicts.length
            ? t(
                `${l.mode}; ${placed}; conflicts: ${l.conflicts.map((c) => c.en).join('; ')}`,
                `${l.mode}; ${placed}；不一致：${l.conflicts.map((c) => c.zh).join('；')}`,
              )
            : `${l.mode}; ${placed}`,
          expected: t('no conflicts', '没有不一致'),
          pass: l.conflicts.length === 0,
        };
      },
    },
  ],
});
