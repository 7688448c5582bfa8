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
  skip: "a second controller for the article's m is missing: cgroup2 offers only hugetlb (memory is bound to the v1 hierarchy)",
};
/** cgroup2 offers nothing: every controller is bound to a v1 hierarchy. */
const nothing: Unmeasured = { skip: 'cgroup2 at /sys/fs/cgroup/unified offers no controller here (bound to v1: cpuset cpu io memory hugetlb pids)' };

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
  subtree: { A: ['io', 'memory'], B: ['io'], C: [], D: [], E: [] },
  readOnlyWrite: refused('EINVAL'),
  controllersMode: 0o444,
  handDownMissing: refused('ENOENT'),
};

const moves: Moves = {
  b: 'io',
  pid: 4242,
  into: { A: ok, B: refused('EBUSY'), C: ok, D: ok, E: ok },
  enableInD: refused('EBUSY'),
  rootSubtree: ['io', 'memory'],
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
      ],
      'one-level-only': [
        { ...tree, controllers: { ...tree.controllers, E: ['io'] } },
        { ...tree, controllers: { ...tree.controllers, D: [] } },
      ],
      'm-reaches-b-only': [
        { ...tree, controllers: { ...tree.controllers, C: ['io', 'memory'] } }, // it went two levels down
        { ...tree, controllers: { ...tree.controllers, B: ['io'] } },
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
      'm-reaches-b-only': [nothing, { ...tree, b: 'hugetlb', m: noM, controllers: { A: ['hugetlb'], B: ['hugetlb'], C: ['hugetlb'], D: ['hugetlb'], E: [] } }],
      'controllers-read-only': nothing,
      'cannot-pass-on-missing': nothing,
    },
  }),
  examples(leaves, {
    pass: moves,
    fail: {
      'inner-node-busy': [
        { ...moves, into: { ...moves.into, B: ok } }, // B took it: not an inner node
        { ...moves, into: { ...moves.into, B: refused('EOPNOTSUPP') } },
      ],
      'leaves-take-processes': [
        { ...moves, into: { ...moves.into, D: refused('EBUSY') } },
        { ...moves, into: { ...moves.into, E: refused('ENOENT') } },
      ],
      'root-exception': [
        { ...moves, into: { ...moves.into, A: refused('EBUSY') } },
        { ...moves, rootSubtree: ['memory'] }, // io was not enabled in the root after all
        { ...moves, rootProcs: 0 },
      ],
      'no-enable-with-processes': [
        { ...moves, enableInD: ok },
        { ...moves, enableInD: refused('ENOENT') },
      ],
    },
    skip: {
      'inner-node-busy': { skip: 'cgroup2 here offers no domain controller (only pids cpu): B could become a thread root and take processes' },
      'leaves-take-processes': nothing,
      'root-exception': { skip: 'the tree could not be built' },
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
      'frozen-state': { skip: 'the freezer controller is not available in cgroup2 here: cgroup2 is not mounted' },
      'frozen-no-cpu': { skip: 'the freezer controller is not available in cgroup2 here: cgroup2 is not mounted' },
      'thawed-resumes': { skip: 'the cpuacct controller is not available in cgroup2 here: cgroup2 is not mounted' },
    },
  }),
];
