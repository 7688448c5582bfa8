// Made-up observations for 10-cgroup-v2's checks: for each step one that passes (a v2-only
// host, as systemd distributions have today, where cgroup2 offers io and memory), and for each
// check the ways it really fails; and the skips of a hybrid host whose cgroup2 offers little.
import { examples, type CpuWindow, type FreezeResult, type Unmeasured, type WriteOutcome } from '../../runner/kit/index.js';
import { coreFiles } from './index.js';
import { controllers, leaves, subtree, type Moves, type Roles, type Tree } from './tree.js';

const T = 'nslab-3f2a';
const ok: WriteOutcome = { ok: true };
const refused = (code: string): WriteOutcome => ({ ok: false, code });

/** No second domain controller: lab 09's machine, where cgroup2 offers only hugetlb. */
const noM: Unmeasured = {
  skip: {
    en: "a second controller for the article's m is missing: cgroup2 offers only hugetlb (memory is bound to the v1 hierarchy)",
    zh: '缺少扮演原文 m 的第二个控制器：cgroup2 只提供 hugetlb（memory 绑定在 v1 层级上）',
  },
};
/** cgroup2 offers nothing: every controller is bound to a v1 hierarchy. */
const nothing: Unmeasured = {
  skip: {
    en: 'cgroup2 at /sys/fs/cgroup/unified offers no controller here (bound to v1: cpuset cpu io memory hugetlb pids)',
    zh: '/sys/fs/cgroup/unified 上的 cgroup2 在这里不提供任何控制器（绑定在 v1 上的：cpuset cpu io memory hugetlb pids）',
  },
};

const roles: Roles = {
  mount: '/sys/fs/cgroup',
  offered: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'],
  expected: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'],
  boundV1: [],
  b: 'io',
  m: 'memory',
};

const tree: Tree = {
  b: 'io',
  m: 'memory',
  controllers: {
    A: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'],
    B: ['io', 'memory'],
    C: ['io'],
    D: ['io'],
    E: [],
  },
  files: {
    A: [],
    B: ['io.max', 'io.stat', 'io.weight', 'memory.current', 'memory.max', 'memory.min'],
    C: ['io.max', 'io.stat', 'io.weight'],
    D: ['io.max', 'io.stat', 'io.weight'],
    E: [],
  },
  readOnlyWrite: refused('EINVAL'),
  controllersMode: 0o444,
  handDownMissing: refused('ENOENT'),
};

const GROUPS = { A: '/', B: `/${T}-B`, C: `/${T}-B/${T}-C`, D: `/${T}-B/${T}-D`, E: `/${T}-B/${T}-D/${T}-E` } as const;
const START = '/user.slice/user-0.slice/session-3.scope';
const moves: Moves = {
  b: 'io',
  pid: 4242,
  groups: GROUPS,
  start: START,
  into: { A: ok, B: refused('EBUSY'), C: ok, D: ok, E: ok },
  at: { A: '/', B: START, C: GROUPS.C, D: GROUPS.D, E: GROUPS.E },
  enableInD: refused('EBUSY'),
  handedDown: ['io', 'memory'],
  rootProcs: 87,
};

const win = (percent: number, wallMs: number): CpuWindow => ({
  percent,
  usageUs: percent * wallMs * 10,
  wallMs,
  file: `/sys/fs/cgroup/${T}-v2-freezer/cpu.stat`,
});
const freeze: FreezeResult = {
  version: 2,
  stateFile: `/sys/fs/cgroup/${T}-v2-freezer/cgroup.events`,
  frozenState: 'FROZEN',
  thawedState: 'THAWED',
  running: win(99.3, 1001),
  frozen: win(0.01, 1502),
  resumed: win(98.8, 1002),
};

export default [
  examples(controllers, {
    pass: roles,
    fail: {
      'offered-controllers': [
        // /proc/cgroups says pids is free, but cgroup2 does not offer it
        { ...roles, offered: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb'] },
        // cgroup2 offers memory although /proc/cgroups has it bound to a v1 hierarchy
        { ...roles, expected: ['cpuset', 'cpu', 'io', 'hugetlb', 'pids'], boundV1: ['memory'] },
      ],
    },
    skip: {
      'offered-controllers': [nothing, { ...roles, expected: null }],
    },
  }),
  examples(subtree, {
    pass: tree,
    fail: {
      'children-get-b': [
        { ...tree, controllers: { ...tree.controllers, C: [], D: [] } }, // B did not hand io down
        { ...tree, controllers: { ...tree.controllers, B: ['memory'] } },
        // cgroup.controllers lists io, but the kernel made none of its files in D
        { ...tree, files: { ...tree.files, D: [] } },
      ],
      'one-level-only': [
        { ...tree, controllers: { ...tree.controllers, E: ['io'] } },
        { ...tree, controllers: { ...tree.controllers, D: [] } },
        { ...tree, files: { ...tree.files, E: ['io.max'] } }, // io's state reached E after all
      ],
      'm-reaches-b-only': [
        { ...tree, controllers: { ...tree.controllers, C: ['io', 'memory'] } }, // it went two levels down
        { ...tree, controllers: { ...tree.controllers, B: ['io'] } },
        { ...tree, files: { ...tree.files, D: ['io.max', 'memory.max'] } },
        { ...tree, files: { ...tree.files, B: ['io.max'] } }, // listed, but no memory files in B
      ],
      'controllers-read-only': [
        { ...tree, readOnlyWrite: ok },
        { ...tree, controllersMode: 0o644 },
      ],
      'cannot-pass-on-missing': [
        { ...tree, handDownMissing: ok },
        { ...tree, handDownMissing: refused('EINVAL') },
      ],
    },
    skip: {
      'children-get-b': nothing,
      'one-level-only': nothing,
      'm-reaches-b-only': [
        nothing,
        {
          ...tree,
          b: 'hugetlb',
          m: noM,
          controllers: { A: ['hugetlb'], B: ['hugetlb'], C: ['hugetlb'], D: ['hugetlb'], E: [] },
          files: { A: [], B: ['hugetlb.2MB.max'], C: ['hugetlb.2MB.max'], D: ['hugetlb.2MB.max'], E: [] },
        },
      ],
      'controllers-read-only': nothing,
      'cannot-pass-on-missing': nothing,
    },
  }),
  examples(leaves, {
    pass: moves,
    fail: {
      'inner-node-busy': [
        { ...moves, into: { ...moves.into, B: ok }, at: { ...moves.at, B: GROUPS.B } }, // B took it: not an inner node
        { ...moves, into: { ...moves.into, B: refused('EOPNOTSUPP') } },
        { ...moves, at: { ...moves.at, B: GROUPS.B } }, // refused, yet the kernel placed it in B
      ],
      'leaves-take-processes': [
        { ...moves, into: { ...moves.into, D: refused('EBUSY') }, at: { ...moves.at, D: GROUPS.C } },
        { ...moves, into: { ...moves.into, E: refused('ENOENT') } },
        { ...moves, at: { ...moves.at, E: GROUPS.D } }, // the write said ok, the process stayed in D
      ],
      'root-exception': [
        { ...moves, into: { ...moves.into, A: refused('EBUSY') }, at: { ...moves.at, A: GROUPS.E } },
        { ...moves, handedDown: ['memory'] }, // io was not handed down by the root after all
        { ...moves, rootProcs: 0 },
        { ...moves, at: { ...moves.at, A: GROUPS.E } },
      ],
      'no-enable-with-processes': [
        { ...moves, enableInD: ok },
        { ...moves, enableInD: refused('ENOENT') },
      ],
    },
    skip: {
      'inner-node-busy': {
        skip: {
          en: 'cgroup2 here offers no domain controller (only pids cpu): B could become a thread root and take processes',
          zh: '这里的 cgroup2 不提供域控制器（只有 pids cpu）：B 可能成为线程根而接收进程',
        },
      },
      'leaves-take-processes': nothing,
      'root-exception': { skip: { en: 'the tree could not be built', zh: '没能建起这棵树' } },
      'no-enable-with-processes': nothing,
    },
  }),
  examples(coreFiles, {
    pass: freeze,
    fail: {
      'frozen-state': [
        { ...freeze, frozenState: 'THAWED' }, // cgroup.events still says frozen 0
        { ...freeze, frozenState: 'FREEZING' },
      ],
      'frozen-no-cpu': [
        { ...freeze, frozen: win(41.7, 1501) },
        { ...freeze, frozen: win(0, 300) },
      ],
      'thawed-resumes': [
        { ...freeze, thawedState: 'FROZEN', resumed: win(0, 1001) },
        { ...freeze, resumed: win(30.2, 1001) },
      ],
    },
    skip: {
      'frozen-state': { skip: { en: 'the freezer controller is not available in cgroup2 here: cgroup2 is not mounted', zh: '这里的 cgroup2 没有 freezer 控制器：没有挂载 cgroup2' } },
      'frozen-no-cpu': { skip: { en: 'the freezer controller is not available in cgroup2 here: cgroup2 is not mounted', zh: '这里的 cgroup2 没有 freezer 控制器：没有挂载 cgroup2' } },
      'thawed-resumes': { skip: { en: 'the cpuacct controller is not available in cgroup2 here: cgroup2 is not mounted', zh: '这里的 cgroup2 没有 cpuacct 控制器：没有挂载 cgroup2' } },
    },
  }),
];
