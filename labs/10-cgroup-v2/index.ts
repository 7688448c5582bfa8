// 10-cgroup-v2: the unified hierarchy. The article's A(b,m)/B/C/D/E example with
// cgroup.subtree_control, the no-internal-process rule, and the core files (cpu.stat,
// cgroup.freeze) every cgroup2 group has, using the controllers this host really offers.
import { statSync } from 'node:fs';
import { CgroupDir, CgroupHost, V1_ONLY, type WriteOutcome, Container, shown, which, basics, type CheckOutcome, type Lab, type Requirement } from '../../runner/kit/index.js';
import { freezeChecks, freezeExperiment, type FreezeResult } from '../09-cgroups/freeze.js';
import { measured, type Skip } from '../09-cgroups/measure.js';
import { workloadPath } from '../../addon/index.js';

/** Controllers that charge resources to a process's own group ("domain" controllers): only with
 *  one of these enabled does a group become a pure inner node that refuses processes. */
const DOMAIN = ['io', 'memory', 'hugetlb', 'rdma', 'misc', 'dmem'];
/** The article's b (blkio, today io) and m (memory), then any other controller. */
const B_PREFERENCE = ['io', ...DOMAIN, 'pids', 'cpu', 'cpuset'];

interface Roles {
  readonly mount: string;
  readonly offered: readonly string[];
  /** What /proc/cgroups says cgroup2 may offer: enabled, bound to no v1 hierarchy. */
  readonly expected: readonly string[] | null;
  readonly boundV1: readonly string[];
  readonly b: string;
  readonly m: string | Skip;
}

type Name = 'A' | 'B' | 'C' | 'D' | 'E';

interface Tree {
  readonly controllers: Readonly<Record<Name, readonly string[]>>;
  readonly subtree: Readonly<Record<Name, readonly string[]>>;
  readonly readOnlyWrite: WriteOutcome;
  readonly controllersMode: number;
  readonly handDownMissing: WriteOutcome;
}

interface Moves {
  readonly pid: number;
  readonly into: Readonly<Record<Name, WriteOutcome>>;
  readonly enableInD: WriteOutcome;
  readonly rootSubtree: readonly string[];
  readonly rootProcs: number;
}

interface State {
  roles?: Roles | Skip;
  tree?: Tree | Skip;
  moves?: Moves | Skip;
  freezer?: FreezeResult | Skip;
}

const cgroup2: Requirement = {
  id: 'cgroup2',
  description: 'a cgroup2 file system is mounted',
  probe: () =>
    CgroupHost.discover().v2
      ? { ok: true }
      : {
          ok: false,
          reason: 'no cgroup2 file system is mounted (this host has cgroup v1 only)',
          remedy: 'mount one: mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified',
        },
};

const spin: Requirement = {
  id: 'workload-spin',
  description: 'the workload program nslab-workload-spin is built',
  probe: () => {
    try {
      workloadPath('spin');
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message, remedy: 'npm run build:addon' };
    }
  },
};

const list = (xs: readonly string[]) => (xs.length ? xs.join(' ') : '(none)');
const errno = (w: WriteOutcome) => (w.ok ? 'ok' : w.code!);

/** Evaluate over the roles and a later result; skipped when either could not be had. */
function over<T>(s: State, x: T | Skip | undefined, f: (r: Roles, t: T) => CheckOutcome): CheckOutcome {
  return measured(s.roles, (r) => measured(x, (t) => f(r, t)));
}

export const lab: Lab<State> = {
  id: '10-cgroup-v2',
  title: { en: 'cgroup v2: the unified hierarchy', zh: 'cgroup v2:统一层级' },
  card: {
    problem: {
      en: 'cgroup v1 gives every controller its own tree, so one process sits in many unrelated groups and tools must keep them in step; inner groups with processes compete with their children in ways no controller defines.',
      zh: 'cgroup v1 给每个控制器一棵独立的树,一个进程同时处在许多互不相关的组里,工具得让它们保持一致;内部节点上的进程还会和子组争抢资源,而没有哪个控制器对此有定义。',
    },
    tradeoff: {
      en: 'One tree and clear rules (controllers are handed down one level at a time; processes only in leaves) at the price of flexibility: a process cannot be grouped differently per resource.',
      zh: '一棵树加上清晰的规则(控制器逐级下放;进程只能放在叶子上),代价是失去了灵活性:不能再按资源把同一个进程分到不同的组。',
    },
    usedBy: {
      en: 'systemd (every unit is a cgroup2 group), Docker and containerd with the systemd or cgroupfs driver on v2 hosts, Kubernetes (cgroup v2 is the default on current distributions).',
      zh: 'systemd(每个 unit 都是一个 cgroup2 组)、v2 主机上使用 systemd 或 cgroupfs 驱动的 Docker 和 containerd、Kubernetes(当今发行版默认 cgroup v2)。',
    },
    parts: {
      en: 'The cgroup2 file system; in each group cgroup.controllers (read-only: what the parent hands down), cgroup.subtree_control (what this group hands to its children), cgroup.procs, cgroup.events, cgroup.freeze, cpu.stat.',
      zh: 'cgroup2 文件系统;每个组里的 cgroup.controllers(只读:父组下放了什么)、cgroup.subtree_control(本组下放给子组什么)、cgroup.procs、cgroup.events、cgroup.freeze、cpu.stat。',
    },
    kernel: {
      en: 'The default hierarchy (cgrp_dfl_root). Writing subtree_control creates or removes the controllers\' state in the children; cgroup_migrate_vet_dst refuses a process in a group with domain controllers in its subtree_control (EBUSY), the root excepted.',
      zh: '默认层级 cgrp_dfl_root。写 subtree_control 会在子组里创建或删除控制器的状态;cgroup_migrate_vet_dst 拒绝把进程放进 subtree_control 里开了域控制器的组(EBUSY),根组除外。',
    },
    alternatives: {
      en: 'cgroup v1 (still on this host for most controllers), the article\'s __DEVEL__sane_behavior mount option (the v2 prototype, removed from the kernel), or no grouping at all: per-process setrlimit.',
      zh: 'cgroup v1(本机的大部分控制器仍在用它)、原文提到的 __DEVEL__sane_behavior 挂载选项(v2 的原型,已从内核删除),或者不分组:逐进程的 setrlimit。',
    },
  },
  requirements: [...basics, cgroup2, spin],
  // CPU shares and quotas are measured, and controllers switched on in the cgroup2 root: one run at a time.
  exclusive: ['cgroups'],
  init: () => ({}),
  steps: [
    {
      id: 'v2-controllers',
      title: { en: 'Which controllers cgroup2 offers here', zh: '本机的 cgroup2 提供哪些控制器' },
      explain: {
        en: 'A controller lives in one hierarchy at a time: on a hybrid host the ones bound to a v1 tree are missing from cgroup2. The root\'s cgroup.controllers lists what is left; /proc/cgroups tells which are bound (hierarchy ≠ 0). We pick the article\'s b (blkio, today io) and m (memory) where they are free, else what the host offers.',
        zh: '一个控制器同一时间只能属于一个层级:在混合模式的主机上,已绑定到 v1 树的控制器不会出现在 cgroup2 里。根组的 cgroup.controllers 列出剩下的;/proc/cgroups 说明哪些已被绑定(hierarchy 不为 0)。我们尽量选原文的 b(blkio,今天叫 io)和 m(memory),不可用时改用本机提供的控制器。',
      },
      article: 'mount -t cgroup -o __DEVEL__sane_behavior cgroup ./cgroup; cat ./cgroup/cgroup.controllers',
      modern: 'cat /sys/fs/cgroup/unified/cgroup.controllers   # or /sys/fs/cgroup on a v2-only host',
      async run(ctx, s) {
        const host = CgroupHost.discover();
        const v2 = host.v2!;
        const root = CgroupDir.root(ctx, v2.mount, 2);
        root.show('cgroup.controllers');
        root.show('cgroup.subtree_control');
        await shown(ctx, 'cat /proc/cgroups', [which('cat') ?? '/bin/cat', '/proc/cgroups']);
        const v2Name = (n: string) => (n === 'blkio' ? 'io' : n);
        const subsystems = host.subsystems.filter((x) => x.enabled && !V1_ONLY.includes(x.name));
        const expected = subsystems.length ? subsystems.filter((x) => x.hierarchy === 0).map((x) => v2Name(x.name)) : null;
        const boundV1 = subsystems.filter((x) => x.hierarchy !== 0).map((x) => v2Name(x.name));
        const offered = host.v2Controllers;
        const b = B_PREFERENCE.find((c) => offered.includes(c));
        if (!b) {
          s.roles = { skip: `cgroup2 at ${v2.mount} offers no controller here (bound to v1: ${list(boundV1)})` };
          ctx.log(s.roles.skip);
          return;
        }
        const mName = ['memory', ...DOMAIN].find((c) => c !== b && offered.includes(c));
        const m: string | Skip = mName ?? {
          skip: `a second controller for the article's m is missing: cgroup2 offers only ${list(offered)}${
            boundV1.includes('memory') ? ' (memory is bound to the v1 hierarchy)' : ''
          }`,
        };
        s.roles = { mount: v2.mount, offered, expected, boundV1, b, m };
        ctx.log(`cgroup2 at ${v2.mount} offers: ${list(offered)}; bound to v1: ${list(boundV1)}`);
        ctx.log(`the article's b → ${b}${b === 'io' ? '' : ' (io is not available)'}; m → ${typeof m === 'string' ? m : `none: ${m.skip}`}`);
      },
      checks: [
        {
          id: 'offered-controllers',
          description: "cgroup2's root offers exactly the controllers /proc/cgroups shows as enabled and bound to no v1 hierarchy.",
          evaluate: (s) =>
            measured(s.roles, (r) => {
              const o = { observed: `offered: ${list(r.offered)}; bound to v1: ${list(r.boundV1)}`, expected: `offered: ${list(r.expected ?? [])}` };
              if (r.expected === null) return { ...o, pass: false, skip: '/proc/cgroups lists no controller on this kernel' };
              const same = [...r.offered].sort().join(' ') === [...r.expected].sort().join(' ');
              return { ...o, pass: same && r.offered.length > 0 };
            }),
        },
      ],
    },
    {
      id: 'subtree-control',
      title: { en: 'subtree_control hands controllers down one level', zh: 'subtree_control 只向下一级下放控制器' },
      explain: {
        en: 'As in the article, A is the root. `+b` in A\'s cgroup.subtree_control gives B the b controller; `+b` in B\'s gives it to C and D; D enables nothing, so E has no b although its parent has. `+m` in A reaches B only. cgroup.controllers is read-only: a group cannot take what its parent did not hand down, nor pass it on.',
        zh: '和原文一样,A 是根组。在 A 的 cgroup.subtree_control 写 +b,B 就有了 b;在 B 的写 +b,C 和 D 有了 b;D 什么也没打开,所以 E 没有 b,尽管它的父组有。A 里的 +m 只到达 B。cgroup.controllers 是只读的:父组没有下放的控制器,子组既拿不到,也传不下去。',
      },
      article: '# A(b,m) - B(b,m) - C (b)\n#                - D (b) - E\necho +blkio > A/cgroup.subtree_control; echo +blkio > A/B/cgroup.subtree_control; echo +memory > A/cgroup.subtree_control',
      modern: 'A = the cgroup2 root; B, C, D, E = nslab-<token>-B, …-B/…-C, …-B/…-D, …-B/…-D/…-E',
      async run(ctx, s) {
        if (!s.roles || 'skip' in s.roles) {
          s.tree = s.roles ?? { skip: 'no roles' };
          return;
        }
        const { mount, b, m } = s.roles;
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
        const controllers = {} as Record<Name, string[]>;
        const subtree = {} as Record<Name, string[]>;
        for (const [n, g] of Object.entries(groups) as [Name, CgroupDir][]) {
          controllers[n] = n === 'A' ? [...s.roles.offered] : g.show('cgroup.controllers').trim().split(/\s+/).filter(Boolean);
          subtree[n] = g.subtreeControl();
        }
        for (const n of ['A', 'B', 'C', 'D', 'E'] as const)
          ctx.log(`${n}  controllers: ${list(controllers[n]).padEnd(16)} subtree_control: ${list(subtree[n])}`);
        const readOnlyWrite = C.tryWrite('cgroup.controllers', b);
        const handDownMissing = E.tryWrite('cgroup.subtree_control', `+${b}`);
        const controllersMode = statSync(C.file('cgroup.controllers')).mode & 0o777;
        s.tree = { controllers, subtree, readOnlyWrite, controllersMode, handDownMissing };
      },
      checks: [
        {
          id: 'children-get-b',
          description: "b enabled in A's and B's subtree_control appears in the cgroup.controllers of B, C and D.",
          evaluate: (s) =>
            over(s, s.tree, (r, t) => ({
              observed: `B: ${list(t.controllers.B)}; C: ${list(t.controllers.C)}; D: ${list(t.controllers.D)}`,
              expected: `${r.b} in each`,
              pass: [t.controllers.B, t.controllers.C, t.controllers.D].every((c) => c.includes(r.b)),
            })),
        },
        {
          id: 'one-level-only',
          description: "E does not get b: D has it but did not enable it in its own subtree_control (one level only).",
          evaluate: (s) =>
            over(s, s.tree, (r, t) => ({
              observed: `D: ${list(t.controllers.D)} (subtree_control ${list(t.subtree.D)}); E: ${list(t.controllers.E)}`,
              expected: `${r.b} in D, not in E`,
              pass: t.controllers.D.includes(r.b) && !t.controllers.E.includes(r.b),
            })),
        },
        {
          id: 'm-reaches-b-only',
          description: "m enabled in A's subtree_control reaches B but not C or D, because B does not enable it.",
          evaluate: (s) =>
            over(s, s.tree, (r, t) => {
              if (typeof r.m !== 'string') return { observed: 'no m controller', expected: 'a second controller', pass: false, skip: r.m.skip };
              const m = r.m;
              return {
                observed: `B: ${list(t.controllers.B)}; C: ${list(t.controllers.C)}; D: ${list(t.controllers.D)}`,
                expected: `${m} in B only`,
                pass: t.controllers.B.includes(m) && !t.controllers.C.includes(m) && !t.controllers.D.includes(m),
              };
            }),
        },
        {
          id: 'controllers-read-only',
          description: 'cgroup.controllers is read-only (mode 0444): even root\'s write to it is refused.',
          evaluate: (s) =>
            over(s, s.tree, (_r, t) => ({
              observed: `mode ${t.controllersMode.toString(8).padStart(4, '0')}, write: ${errno(t.readOnlyWrite)}`,
              expected: 'mode 0444, write refused (an errno)',
              pass: t.controllersMode === 0o444 && !t.readOnlyWrite.ok,
            })),
        },
        {
          id: 'cannot-pass-on-missing',
          description: "E cannot enable b for children of its own: a group hands down only what it has (ENOENT).",
          evaluate: (s) =>
            over(s, s.tree, (r, t) => ({
              observed: `echo +${r.b} > E/cgroup.subtree_control: ${errno(t.handDownMissing)}`,
              expected: 'ENOENT',
              pass: !t.handDownMissing.ok && t.handDownMissing.code === 'ENOENT',
            })),
        },
      ],
    },
    {
      id: 'no-internal-process',
      title: { en: 'Processes live in leaves: the no-internal-process rule', zh: '进程只住在叶子上:无内部进程规则' },
      explain: {
        en: 'A group that hands a domain controller to its children (here B) is an inner node: writing a PID into it fails with EBUSY, so its processes never compete with its children. Groups that enable nothing below them take processes (C, D, E). The root is the exception: it holds the whole system and still hands controllers down. The rule also works the other way: D cannot enable b while it holds a process.',
        zh: '把域控制器下放给子组的组(这里是 B)是内部节点:往它写 PID 会得到 EBUSY,这样它的进程就不会与子组竞争。没有向下打开任何控制器的组可以接收进程(C、D、E)。根组是例外:它装着整个系统,同时还下放控制器。规则反过来也成立:D 里有进程时,不能在 D 上打开 b。',
      },
      article: '任何被配置过subtree_control的目录都不能绑定进程,根结点除外。所以,A,C,D,E可以绑上进程,但是B不行。',
      modern: 'echo PID > nslab-<token>-B/cgroup.procs   # EBUSY; echo PID > nslab-<token>-B/nslab-<token>-C/cgroup.procs   # ok',
      async run(ctx, s) {
        const tree = s.tree;
        if (!s.roles || 'skip' in s.roles || !tree || 'skip' in tree) {
          s.moves = { skip: s.roles && 'skip' in s.roles ? s.roles.skip : 'the tree could not be built' };
          return;
        }
        const { mount, b } = s.roles;
        if (!DOMAIN.includes(b)) {
          s.moves = { skip: `cgroup2 here offers no domain controller (only ${list(s.roles.offered)}): B could become a thread root and take processes` };
          return;
        }
        const A = CgroupDir.root(ctx, mount, 2);
        const path = (n: Name) =>
          ({ A: mount, B: `${mount}/${ctx.name('B')}`, C: `${mount}/${ctx.name('B')}/${ctx.name('C')}`, D: `${mount}/${ctx.name('B')}/${ctx.name('D')}`, E: `${mount}/${ctx.name('B')}/${ctx.name('D')}/${ctx.name('E')}` })[n];
        const dir = (n: Name) => (n === 'A' ? A : CgroupDir.at(ctx, path(n), mount));
        // An idle process to move around: the probe, holding until we close its stdin.
        const holder = await Container.start(ctx, { namespaces: [], label: 'idle probe for the cgroup moves' });
        try {
          const pid = holder.pid;
          const into = {} as Record<Name, WriteOutcome>;
          into.B = dir('B').addProcess(pid);
          into.C = dir('C').addProcess(pid);
          into.D = dir('D').addProcess(pid);
          const enableInD = dir('D').tryWrite('cgroup.subtree_control', `+${b}`);
          into.E = dir('E').addProcess(pid);
          into.A = A.addProcess(pid);
          const rootSubtree = A.subtreeControl();
          const rootProcs = A.procs().length;
          ctx.log(`root (A): subtree_control ${list(rootSubtree)}, ${rootProcs} processes — and it took ${pid} back`);
          s.moves = { pid, into, enableInD, rootSubtree, rootProcs };
        } finally {
          await holder.stop();
        }
      },
      checks: [
        {
          id: 'inner-node-busy',
          description: 'B, which enables a domain controller for its children, refuses a process with EBUSY.',
          evaluate: (s) =>
            over(s, s.moves, (_r, t) => ({ observed: `echo ${t.pid} > B/cgroup.procs: ${errno(t.into.B)}`, expected: 'EBUSY', pass: t.into.B.code === 'EBUSY' })),
        },
        {
          id: 'leaves-take-processes',
          description: 'C, D and E, which enable nothing below them, take the process.',
          evaluate: (s) =>
            over(s, s.moves, (_r, t) => ({
              observed: `C: ${errno(t.into.C)}, D: ${errno(t.into.D)}, E: ${errno(t.into.E)}`,
              expected: 'ok, ok, ok',
              pass: t.into.C.ok && t.into.D.ok && t.into.E.ok,
            })),
        },
        {
          id: 'root-exception',
          description: 'The root takes a process although its subtree_control enables b and it holds other processes.',
          evaluate: (s) =>
            over(s, s.moves, (r, t) => ({
              observed: `root: ${errno(t.into.A)}; its subtree_control: ${list(t.rootSubtree)}; ${t.rootProcs} processes`,
              expected: `ok, with ${r.b} enabled`,
              pass: t.into.A.ok && t.rootSubtree.includes(r.b) && t.rootProcs > 0,
            })),
        },
        {
          id: 'no-enable-with-processes',
          description: 'While D holds a process, enabling b in its subtree_control is refused with EBUSY.',
          evaluate: (s) =>
            over(s, s.moves, (r, t) => ({ observed: `echo +${r.b} > D/cgroup.subtree_control: ${errno(t.enableInD)}`, expected: 'EBUSY', pass: t.enableInD.code === 'EBUSY' })),
        },
      ],
    },
    {
      id: 'core-files',
      title: { en: 'Core files of every cgroup2 group: cpu.stat and cgroup.freeze', zh: '每个 cgroup2 组都有的核心文件:cpu.stat 与 cgroup.freeze' },
      explain: {
        en: 'Some things need no controller in v2: every group counts its CPU time in cpu.stat and can be frozen with cgroup.freeze (cgroup.events then says frozen 1). So even here, where cpu and freezer are bound to v1, the v2 tree measures and freezes a busy loop: the same driver as in lab 09, on its v2 path.',
        zh: '在 v2 里有些功能不需要控制器:每个组都在 cpu.stat 里统计 CPU 时间,也都能用 cgroup.freeze 冻结(之后 cgroup.events 显示 frozen 1)。所以即使在本机 cpu 和 freezer 都绑定在 v1 的情况下,v2 的树也能测量并冻结一个死循环:用的是与 09 号实验相同的驱动,走的是 v2 路径。',
      },
      article: '(v1) echo FROZEN > /sys/fs/cgroup/freezer/…/freezer.state',
      modern: 'echo 1 > /sys/fs/cgroup/unified/nslab-<token>-v2-freezer/cgroup.freeze; grep frozen …/cgroup.events; grep usage_usec …/cpu.stat',
      async run(ctx, s) {
        s.freezer = await freezeExperiment(ctx, 'v2-freezer', 2);
      },
      checks: freezeChecks<State>((s) => s.freezer),
    },
  ],
};
