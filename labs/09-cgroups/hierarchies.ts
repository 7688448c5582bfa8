// 09-cgroups, step 1: which cgroup hierarchies this host has, and where each resource lives.
import { readFileSync } from 'node:fs';
import { CgroupHost, must, parseProcPidCgroup, step, type Resource, type Unmeasured } from '../../runner/kit/index.js';

/** The resources the lab's steps use. */
export const RESOURCES: readonly Resource[] = ['cpu', 'cpuacct', 'cpuset', 'memory', 'io', 'freezer'];

/** What the driver found, compared with /proc/cgroups and /proc/self/cgroup. */
export interface Layout {
  readonly mode: string;
  readonly placed: Partial<Record<Resource, string>>;
  readonly missing: Partial<Record<Resource, string>>;
  /** Disagreements between the mounts, /proc/cgroups and /proc/self/cgroup (none expected). */
  readonly conflicts: readonly string[];
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
  const miss: Partial<Record<Resource, string>> = {};
  for (const r of RESOURCES) {
    const p = host.place(r);
    if (p) placed[r] = `v${p.version} ${p.mount}`;
    else miss[r] = host.whyMissing(r);
  }
  const conflicts: string[] = [];
  const self = parseProcPidCgroup(selfCgroup);
  let v1Bound = 0;
  for (const m of host.v1.filter((x) => x.controllers.length > 0)) {
    const ids = new Set(m.controllers.map((c) => host.subsystems.find((s) => s.name === c)?.hierarchy ?? -1));
    if (ids.size !== 1 || ids.has(0) || ids.has(-1)) {
      conflicts.push(`${m.mount}: /proc/cgroups gives hierarchies ${[...ids].join(',')} for ${m.controllers.join(',')}`);
      continue;
    }
    v1Bound += m.controllers.length;
    const id = [...ids][0]!;
    const line = self.find((l) => l.hierarchy === id);
    if (!line || [...line.controllers].sort().join(',') !== [...m.controllers].sort().join(','))
      conflicts.push(`${m.mount}: /proc/self/cgroup has no line ${id}:${m.controllers.join(',')}`);
  }
  for (const s of host.subsystems)
    if (s.hierarchy !== 0 && !host.v1.some((m) => m.controllers.includes(s.name)))
      conflicts.push(`${s.name} is bound to hierarchy ${s.hierarchy} but not mounted`);
  return { mode: host.mode, placed, missing: miss, conflicts, v1Bound };
}

export const hierarchies = step<Layout>({
  id: 'hierarchies',
  title: { en: 'Where the cgroup hierarchies are', zh: 'cgroup 层级挂在哪里' },
  explain: {
    en: 'cgroups are a file system. With v1 every controller (or a few together) is its own tree mounted under /sys/fs/cgroup; with v2 there is one tree and a group lists the controllers it may use. nslab reads /proc/self/mountinfo and /proc/cgroups to find out which this host has, and uses one vocabulary for both.',
    zh: 'cgroup 以文件系统的形式呈现。v1 中每个控制器(或几个一起)各是一棵树,挂在 /sys/fs/cgroup 下;v2 只有一棵树,每个组列出自己可用的控制器。nslab 读 /proc/self/mountinfo 和 /proc/cgroups 判断本机是哪种,再用同一套说法操作两者。',
  },
  article: 'mount -t cgroup; lssubsys -m',
  modern: 'mount -t cgroup,cgroup2; cat /proc/cgroups',
  async run(ctx) {
    const host = CgroupHost.discover();
    await must(ctx, ['mount', '-t', 'cgroup,cgroup2']);
    await must(ctx, ['cat', '/proc/cgroups']);
    const layout = layoutOf(host, readFileSync('/proc/self/cgroup', 'utf8'));
    ctx.log(`this host: cgroup ${host.mode}${host.v2 ? `; cgroup2 at ${host.v2.mount} offers: ${host.v2Controllers.join(' ') || 'nothing'}` : ''}`);
    for (const r of RESOURCES) {
      const p = host.place(r);
      ctx.log(`  ${r.padEnd(8)} ${p ? `cgroup v${p.version}  ${p.mount}` : `— ${host.whyMissing(r)}`}`);
    }
    return layout;
  },
  checks: [
    {
      id: 'hierarchies-agree',
      description:
        'Every v1 hierarchy found in mountinfo matches /proc/cgroups (one hierarchy id per mount) and /proc/self/cgroup, and every bound controller is mounted.',
      evaluate: (l) => {
        const placed = Object.entries(l.placed).map(([r, p]) => `${r}: ${p}`).join('; ');
        if (Object.keys(l.placed).length === 0)
          return { observed: 'no controller of the lab is available', expected: 'hierarchies', pass: false, skip: 'no cgroup controller is available here' };
        return {
          observed: `${l.mode}; ${placed}${l.conflicts.length ? `; conflicts: ${l.conflicts.join('; ')}` : ''}`,
          expected: 'no conflicts',
          pass: l.conflicts.length === 0,
        };
      },
    },
  ],
});
