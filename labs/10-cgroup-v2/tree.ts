// 10-cgroup-v2, steps 1–3: which controllers cgroup2 offers here, the article's A/B/C/D/E tree
// built with cgroup.subtree_control, and the no-internal-process rule on that tree.
import { statSync } from 'node:fs';
import { CgroupDir, CgroupHost, Container, must, notMeasured, step, V1_ONLY, type Unmeasured, type WriteOutcome } from '../../runner/kit/index.js';

/** Controllers that charge resources to a process's own group ("domain" controllers): only with
 *  one of these enabled does a group become a pure inner node that refuses processes. */
export const DOMAIN = ['io', 'memory', 'hugetlb', 'rdma', 'misc', 'dmem'];
/** The article's b (blkio, today io) and m (memory), then any other controller. */
const B_PREFERENCE = ['io', ...DOMAIN, 'pids', 'cpu', 'cpuset'];

/** What cgroup2 offers here, and which controllers play the article's b and m. */
export interface Roles {
  readonly mount: string;
  readonly offered: readonly string[];
  /** What /proc/cgroups says cgroup2 may offer: enabled, bound to no v1 hierarchy. */
  readonly expected: readonly string[] | null;
  readonly boundV1: readonly string[];
  readonly b: string;
  readonly m: string | Unmeasured;
}

export type Name = 'A' | 'B' | 'C' | 'D' | 'E';

/** The tree as built: each group's cgroup.controllers and cgroup.subtree_control, and two refused writes. */
export interface Tree {
  /** The roles of the first step, copied: b and m. */
  readonly b: string;
  readonly m: string | Unmeasured;
  readonly controllers: Readonly<Record<Name, readonly string[]>>;
  readonly subtree: Readonly<Record<Name, readonly string[]>>;
  /** Writing b to C's cgroup.controllers. */
  readonly readOnlyWrite: WriteOutcome;
  /** The permission bits of C's cgroup.controllers. */
  readonly controllersMode: number;
  /** Writing +b to E's cgroup.subtree_control. */
  readonly handDownMissing: WriteOutcome;
}

/** One idle process moved through the tree. */
export interface Moves {
  /** The role b, copied from the first step. */
  readonly b: string;
  readonly pid: number;
  /** Writing its PID into each group's cgroup.procs (A: the root). */
  readonly into: Readonly<Record<Name, WriteOutcome>>;
  /** Writing +b to D's cgroup.subtree_control while D holds the process. */
  readonly enableInD: WriteOutcome;
  /** The root's subtree_control and its number of processes afterwards. */
  readonly rootSubtree: readonly string[];
  readonly rootProcs: number;
}

const list = (xs: readonly string[]) => (xs.length ? xs.join(' ') : '(none)');
const errno = (w: WriteOutcome) => (w.ok ? 'ok' : (w.code ?? 'refused'));

export const controllers = step<Roles | Unmeasured>({
  id: 'v2-controllers',
  title: { en: 'Which controllers cgroup2 offers here', zh: '本机的 cgroup2 提供哪些控制器' },
  explain: {
    en: 'A controller lives in one hierarchy at a time: on a hybrid host the ones bound to a v1 tree are missing from cgroup2. The root\'s cgroup.controllers lists what is left; /proc/cgroups tells which are bound (hierarchy ≠ 0). We pick the article\'s b (blkio, today io) and m (memory) where they are free, else what the host offers.',
    zh: '一个控制器同一时间只能属于一个层级:在混合模式的主机上,已绑定到 v1 树的控制器不会出现在 cgroup2 里。根组的 cgroup.controllers 列出剩下的;/proc/cgroups 说明哪些已被绑定(hierarchy 不为 0)。我们尽量选原文的 b(blkio,今天叫 io)和 m(memory),不可用时改用本机提供的控制器。',
  },
  article: 'mount -t cgroup -o __DEVEL__sane_behavior cgroup ./cgroup; cat ./cgroup/cgroup.controllers',
  modern: 'cat /sys/fs/cgroup/unified/cgroup.controllers   # or /sys/fs/cgroup on a v2-only host',
  async run(ctx) {
    const host = CgroupHost.discover();
    const v2 = host.v2;
    if (!v2) throw new Error('no cgroup2 file system is mounted');
    const root = CgroupDir.root(ctx, v2.mount, 2);
    root.show('cgroup.controllers');
    root.show('cgroup.subtree_control');
    await must(ctx, ['cat', '/proc/cgroups']);
    const v2Name = (n: string) => (n === 'blkio' ? 'io' : n);
    const subsystems = host.subsystems.filter((x) => x.enabled && !V1_ONLY.includes(x.name));
    const expected = subsystems.length ? subsystems.filter((x) => x.hierarchy === 0).map((x) => v2Name(x.name)) : null;
    const boundV1 = subsystems.filter((x) => x.hierarchy !== 0).map((x) => v2Name(x.name));
    const offered = host.v2Controllers;
    const b = B_PREFERENCE.find((c) => offered.includes(c));
    if (!b) {
      const skip = `cgroup2 at ${v2.mount} offers no controller here (bound to v1: ${list(boundV1)})`;
      ctx.log(skip);
      return { skip };
    }
    const mName = ['memory', ...DOMAIN].find((c) => c !== b && offered.includes(c));
    const m: string | Unmeasured = mName ?? {
      skip: `a second controller for the article's m is missing: cgroup2 offers only ${list(offered)}${
        boundV1.includes('memory') ? ' (memory is bound to the v1 hierarchy)' : ''
      }`,
    };
    ctx.log(`cgroup2 at ${v2.mount} offers: ${list(offered)}; bound to v1: ${list(boundV1)}`);
    ctx.log(`the article's b → ${b}${b === 'io' ? '' : ' (io is not available)'}; m → ${typeof m === 'string' ? m : `none: ${m.skip}`}`);
    return { mount: v2.mount, offered, expected, boundV1, b, m };
  },
  checks: [
    {
      id: 'offered-controllers',
      description: "cgroup2's root offers exactly the controllers /proc/cgroups shows as enabled and bound to no v1 hierarchy.",
      evaluate: (r) => {
        if ('skip' in r) return notMeasured(r);
        const o = { observed: `offered: ${list(r.offered)}; bound to v1: ${list(r.boundV1)}`, expected: `offered: ${list(r.expected ?? [])}` };
        if (r.expected === null) return { ...o, pass: false, skip: '/proc/cgroups lists no controller on this kernel' };
        const same = [...r.offered].sort().join(' ') === [...r.expected].sort().join(' ');
        return { ...o, pass: same && r.offered.length > 0 };
      },
    },
  ],
});

export const subtree = step<Tree | Unmeasured>({
  id: 'subtree-control',
  title: { en: 'subtree_control hands controllers down one level', zh: 'subtree_control 只向下一级下放控制器' },
  explain: {
    en: 'As in the article, A is the root. `+b` in A\'s cgroup.subtree_control gives B the b controller; `+b` in B\'s gives it to C and D; D enables nothing, so E has no b although its parent has. `+m` in A reaches B only. cgroup.controllers is read-only: a group cannot take what its parent did not hand down, nor pass it on.',
    zh: '和原文一样,A 是根组。在 A 的 cgroup.subtree_control 写 +b,B 就有了 b;在 B 的写 +b,C 和 D 有了 b;D 什么也没打开,所以 E 没有 b,尽管它的父组有。A 里的 +m 只到达 B。cgroup.controllers 是只读的:父组没有下放的控制器,子组既拿不到,也传不下去。',
  },
  article: '# A(b,m) - B(b,m) - C (b)\n#                - D (b) - E\necho +blkio > A/cgroup.subtree_control; echo +blkio > A/B/cgroup.subtree_control; echo +memory > A/cgroup.subtree_control',
  modern: 'A = the cgroup2 root; B, C, D, E = nslab-<token>-B, …-B/…-C, …-B/…-D, …-B/…-D/…-E',
  async run(ctx) {
    const roles = ctx.observed(controllers);
    if ('skip' in roles) return { skip: roles.skip };
    const { mount, b, m } = roles;
    const A = CgroupDir.root(ctx, mount, 2);
    // A's +b first: its undo then runs after B (which enables b below it) is gone.
    const first = A.enable(b);
    if (!first.ok) throw new Error(`${first.code}: cannot enable ${b} in ${A.file('cgroup.subtree_control')}`);
    const B = A.child('B');
    const C = B.child('C');
    const D = B.child('D');
    const E = D.child('E');
    const onB = B.enable(b);
    if (!onB.ok) throw new Error(`${onB.code}: cannot enable ${b} in ${B.file('cgroup.subtree_control')}`);
    if (typeof m === 'string') {
      const r = A.enable(m);
      if (!r.ok) throw new Error(`${r.code}: cannot enable ${m} in ${A.file('cgroup.subtree_control')}`);
    }
    const groups: Record<Name, CgroupDir> = { A, B, C, D, E };
    const ctl = {} as Record<Name, string[]>;
    const sub = {} as Record<Name, string[]>;
    for (const [n, g] of Object.entries(groups) as [Name, CgroupDir][]) {
      ctl[n] = n === 'A' ? [...roles.offered] : g.show('cgroup.controllers').trim().split(/\s+/).filter(Boolean);
      sub[n] = g.subtreeControl();
    }
    for (const n of ['A', 'B', 'C', 'D', 'E'] as const) ctx.log(`${n}  controllers: ${list(ctl[n]).padEnd(16)} subtree_control: ${list(sub[n])}`);
    const readOnlyWrite = C.tryWrite('cgroup.controllers', b);
    const handDownMissing = E.tryWrite('cgroup.subtree_control', `+${b}`);
    const controllersMode = statSync(C.file('cgroup.controllers')).mode & 0o777;
    return { b, m, controllers: ctl, subtree: sub, readOnlyWrite, controllersMode, handDownMissing };
  },
  checks: [
    {
      id: 'children-get-b',
      description: "b enabled in A's and B's subtree_control appears in the cgroup.controllers of B, C and D.",
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: `B: ${list(t.controllers.B)}; C: ${list(t.controllers.C)}; D: ${list(t.controllers.D)}`,
              expected: `${t.b} in each`,
              pass: [t.controllers.B, t.controllers.C, t.controllers.D].every((c) => c.includes(t.b)),
            },
    },
    {
      id: 'one-level-only',
      description: 'E does not get b: D has it but did not enable it in its own subtree_control (one level only).',
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: `D: ${list(t.controllers.D)} (subtree_control ${list(t.subtree.D)}); E: ${list(t.controllers.E)}`,
              expected: `${t.b} in D, not in E`,
              pass: t.controllers.D.includes(t.b) && !t.controllers.E.includes(t.b),
            },
    },
    {
      id: 'm-reaches-b-only',
      description: "m enabled in A's subtree_control reaches B but not C or D, because B does not enable it.",
      evaluate: (t) => {
        if ('skip' in t) return notMeasured(t);
        if (typeof t.m !== 'string') return { observed: 'no m controller', expected: 'a second controller', pass: false, skip: t.m.skip };
        const m = t.m;
        return {
          observed: `B: ${list(t.controllers.B)}; C: ${list(t.controllers.C)}; D: ${list(t.controllers.D)}`,
          expected: `${m} in B only`,
          pass: t.controllers.B.includes(m) && !t.controllers.C.includes(m) && !t.controllers.D.includes(m),
        };
      },
    },
    {
      id: 'controllers-read-only',
      description: "cgroup.controllers is read-only (mode 0444): even root's write to it is refused.",
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: `mode ${t.controllersMode.toString(8).padStart(4, '0')}, write: ${errno(t.readOnlyWrite)}`,
              expected: 'mode 0444, write refused (an errno)',
              pass: t.controllersMode === 0o444 && !t.readOnlyWrite.ok,
            },
    },
    {
      id: 'cannot-pass-on-missing',
      description: 'E cannot enable b for children of its own: a group hands down only what it has (ENOENT).',
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: `echo +${t.b} > E/cgroup.subtree_control: ${errno(t.handDownMissing)}`,
              expected: 'ENOENT',
              pass: !t.handDownMissing.ok && t.handDownMissing.code === 'ENOENT',
            },
    },
  ],
});

export const leaves = step<Moves | Unmeasured>({
  id: 'no-internal-process',
  title: { en: 'Processes live in leaves: the no-internal-process rule', zh: '进程只住在叶子上:无内部进程规则' },
  explain: {
    en: 'A group that hands a domain controller to its children (here B) is an inner node: writing a PID into it fails with EBUSY, so its processes never compete with its children. Groups that enable nothing below them take processes (C, D, E). The root is the exception: it holds the whole system and still hands controllers down. The rule also works the other way: D cannot enable b while it holds a process.',
    zh: '把域控制器下放给子组的组(这里是 B)是内部节点:往它写 PID 会得到 EBUSY,这样它的进程就不会与子组竞争。没有向下打开任何控制器的组可以接收进程(C、D、E)。根组是例外:它装着整个系统,同时还下放控制器。规则反过来也成立:D 里有进程时,不能在 D 上打开 b。',
  },
  article: '任何被配置过subtree_control的目录都不能绑定进程,根结点除外。所以,A,C,D,E可以绑上进程,但是B不行。',
  modern: 'echo PID > nslab-<token>-B/cgroup.procs   # EBUSY; echo PID > nslab-<token>-B/nslab-<token>-C/cgroup.procs   # ok',
  async run(ctx) {
    const roles = ctx.observed(controllers);
    const tree = ctx.observed(subtree);
    if ('skip' in roles) return { skip: roles.skip };
    if ('skip' in tree) return { skip: 'the tree could not be built' };
    const { mount, b } = roles;
    if (!DOMAIN.includes(b))
      return { skip: `cgroup2 here offers no domain controller (only ${list(roles.offered)}): B could become a thread root and take processes` };
    const A = CgroupDir.root(ctx, mount, 2);
    const B = `${mount}/${ctx.name('B')}`;
    const D = `${B}/${ctx.name('D')}`;
    const paths: Record<Exclude<Name, 'A'>, string> = { B, C: `${B}/${ctx.name('C')}`, D, E: `${D}/${ctx.name('E')}` };
    const dir = (n: Exclude<Name, 'A'>) => CgroupDir.at(ctx, paths[n], mount);
    // An idle process to move around: the probe, holding until we close its stdin.
    const holder = await Container.start(ctx, { namespaces: [], label: 'idle probe for the cgroup moves' });
    try {
      const pid = holder.pid;
      const intoB = dir('B').addProcess(pid);
      const intoC = dir('C').addProcess(pid);
      const intoD = dir('D').addProcess(pid);
      const enableInD = dir('D').tryWrite('cgroup.subtree_control', `+${b}`);
      const intoE = dir('E').addProcess(pid);
      const intoA = A.addProcess(pid);
      const rootSubtree = A.subtreeControl();
      const rootProcs = A.procs().length;
      ctx.log(`root (A): subtree_control ${list(rootSubtree)}, ${rootProcs} processes — and it took ${pid} back`);
      return { b, pid, into: { A: intoA, B: intoB, C: intoC, D: intoD, E: intoE }, enableInD, rootSubtree, rootProcs };
    } finally {
      await holder.stop();
    }
  },
  checks: [
    {
      id: 'inner-node-busy',
      description: 'B, which enables a domain controller for its children, refuses a process with EBUSY.',
      evaluate: (t) =>
        'skip' in t ? notMeasured(t) : { observed: `echo ${t.pid} > B/cgroup.procs: ${errno(t.into.B)}`, expected: 'EBUSY', pass: t.into.B.code === 'EBUSY' },
    },
    {
      id: 'leaves-take-processes',
      description: 'C, D and E, which enable nothing below them, take the process.',
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: `C: ${errno(t.into.C)}, D: ${errno(t.into.D)}, E: ${errno(t.into.E)}`,
              expected: 'ok, ok, ok',
              pass: t.into.C.ok && t.into.D.ok && t.into.E.ok,
            },
    },
    {
      id: 'root-exception',
      description: 'The root takes a process although its subtree_control enables b and it holds other processes.',
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: `root: ${errno(t.into.A)}; its subtree_control: ${list(t.rootSubtree)}; ${t.rootProcs} processes`,
              expected: `ok, with ${t.b} enabled`,
              pass: t.into.A.ok && t.rootSubtree.includes(t.b) && t.rootProcs > 0,
            },
    },
    {
      id: 'no-enable-with-processes',
      description: 'While D holds a process, enabling b in its subtree_control is refused with EBUSY.',
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : { observed: `echo +${t.b} > D/cgroup.subtree_control: ${errno(t.enableInD)}`, expected: 'EBUSY', pass: t.enableInD.code === 'EBUSY' },
    },
  ],
});
