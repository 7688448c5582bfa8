// 10-cgroup-v2, steps 1–3: which controllers cgroup2 offers here, the article's A/B/C/D/E tree
// built with cgroup.subtree_control, and the no-internal-process rule on that tree. The checks
// judge what the kernel did (cgroup.controllers and the interface files it made in each child,
// the errno of a refused write, where /proc/PID/cgroup says a process is), never a file's value
// read back after nslab wrote it.
import { readdirSync, statSync } from 'node:fs';
import {
  CgroupDir,
  CgroupHost,
  Container,
  LabError,
  must,
  notMeasured,
  step,
  t,
  tryRead,
  V1_ONLY,
  type Lang,
  type Text,
  type Unmeasured,
  type WriteOutcome,
} from '../../runner/kit/index.js';

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
export const NAMES: readonly Name[] = ['A', 'B', 'C', 'D', 'E'];

/** The tree as the kernel shows it after the subtree_control writes, and two refused writes. */
export interface Tree {
  /** The roles of the first step, copied: b and m. */
  readonly b: string;
  readonly m: string | Unmeasured;
  /** Each group's cgroup.controllers: what the kernel lets it use (A: the root's). */
  readonly controllers: Readonly<Record<Name, readonly string[]>>;
  /** The interface files of b and m the kernel made in each group (e.g. io.max, hugetlb.2MB.max). */
  readonly files: Readonly<Record<Name, readonly string[]>>;
  /** Writing b to C's cgroup.controllers. */
  readonly readOnlyWrite: WriteOutcome;
  /** The permission bits of C's cgroup.controllers. */
  readonly controllersMode: number;
  /** Writing +b to E's cgroup.subtree_control. */
  readonly handDownMissing: WriteOutcome;
}

/** One idle process moved through the tree, and where the kernel says it is after each write. */
export interface Moves {
  /** The role b, copied from the first step. */
  readonly b: string;
  readonly pid: number;
  /** Each group as /proc/PID/cgroup names it ("/" for the root A). */
  readonly groups: Readonly<Record<Name, string>>;
  /** The process's group before the first write (the "0::" line of /proc/PID/cgroup). */
  readonly start: string;
  /** Writing its PID into each group's cgroup.procs, in the order B, C, D, E, A. */
  readonly into: Readonly<Record<Name, WriteOutcome>>;
  /** Its group right after each of those writes, from /proc/PID/cgroup. */
  readonly at: Readonly<Record<Name, string>>;
  /** Writing +b to D's cgroup.subtree_control while D holds the process. */
  readonly enableInD: WriteOutcome;
  /** B's cgroup.controllers after the moves: the root still hands b down. */
  readonly handedDown: readonly string[];
  /** The number of processes in the root's cgroup.procs afterwards. */
  readonly rootProcs: number;
}

/** A text made from one function of the language. */
const both = (f: (l: Lang) => string): Text => ({ en: f('en'), zh: f('zh') });
/** A list of names, or "(none)". */
export const list = (xs: readonly string[], l: Lang) => (xs.length ? xs.join(' ') : l === 'en' ? '(none)' : '（无）');
/** The kernel's answer to a write: ok, or the errno name. */
export const answer = (w: WriteOutcome, l: Lang) => (w.ok ? (l === 'en' ? 'ok' : '成功') : (w.code ?? (l === 'en' ? 'refused' : '被拒绝')));

/** The files a controller's state adds to a group: `c.*`, minus the core ones every group has. */
export function controllerFiles(dir: string, controllers: readonly string[]): string[] {
  const core = (f: string) => f.endsWith('.pressure') || f.startsWith('cpu.stat');
  return readdirSync(dir)
    .filter((f) => !core(f) && controllers.some((c) => f.startsWith(`${c}.`)))
    .sort();
}
const filesOf = (files: readonly string[], c: string) => files.filter((f) => f.startsWith(`${c}.`));
/** `B: io memory (io.max …)`: a group's controllers and the files that prove them. */
const groupSays = (n: Name, ctl: readonly string[], files: readonly string[], l: Lang) =>
  l === 'en' ? `${n}: ${list(ctl, l)} (files: ${few(files, l)})` : `${n}：${list(ctl, l)}（文件：${few(files, l)}）`;
/** A long list of files in short: one `.max` file and how many more (`io.max +2`). */
export const few = (files: readonly string[], l: Lang) =>
  files.length === 0 ? list(files, l) : `${files.find((f) => f.endsWith('.max')) ?? files[0]}${files.length > 1 ? ` +${files.length - 1}` : ''}`;

/** Where /proc/PID/cgroup says a process is in the cgroup2 hierarchy (its "0::" line). */
function placeOf(pid: number): string {
  const line = (tryRead(`/proc/${pid}/cgroup`) ?? '').split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? '?' : line.slice(3);
}

export const controllers = step<Roles | Unmeasured>({
  id: 'v2-controllers',
  title: { en: 'Which controllers cgroup2 offers here', zh: '本机的 cgroup2 提供哪些控制器' },
  explain: {
    en: 'A controller lives in one hierarchy at a time: on a hybrid host the ones bound to a v1 tree are missing from cgroup2. The root\'s cgroup.controllers lists what is left; /proc/cgroups tells which are bound (hierarchy ≠ 0). We pick the article\'s b (blkio, today io) and m (memory) where they are free, else what the host offers. (On a v2-only host the cgroup2 root is /sys/fs/cgroup itself.)',
    zh: '一个控制器同一时间只能属于一个层级：在混合模式的主机上，已绑定到 v1 树的控制器不会出现在 cgroup2 里。根组的 cgroup.controllers 列出剩下的；/proc/cgroups 说明哪些已被绑定（hierarchy 不为 0）。我们尽量选原文的 b（blkio，今天叫 io）和 m（memory），不可用时改用本机提供的控制器。（在只有 v2 的主机上，cgroup2 的根就是 /sys/fs/cgroup 本身。）',
  },
  article: 'mount -t cgroup -o __DEVEL__sane_behavior cgroup ./cgroup; cat ./cgroup/cgroup.controllers',
  modern: 'cat /sys/fs/cgroup/unified/cgroup.controllers /proc/cgroups',
  async run(ctx) {
    const host = CgroupHost.discover();
    const v2 = host.v2;
    if (!v2) throw new LabError(t('no cgroup2 file system is mounted', '没有挂载 cgroup2 文件系统'));
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
      const skip = both((l) =>
        l === 'en'
          ? `cgroup2 at ${v2.mount} offers no controller here (bound to v1: ${list(boundV1, l)})`
          : `${v2.mount} 上的 cgroup2 在这里不提供任何控制器（绑定在 v1 上的：${list(boundV1, l)}）`,
      );
      ctx.log(skip);
      return { skip };
    }
    const mName = ['memory', ...DOMAIN].find((c) => c !== b && offered.includes(c));
    const memoryBound = boundV1.includes('memory');
    const m: string | Unmeasured = mName ?? {
      skip: both((l) =>
        l === 'en'
          ? `a second controller for the article's m is missing: cgroup2 offers only ${list(offered, l)}${memoryBound ? ' (memory is bound to the v1 hierarchy)' : ''}`
          : `缺少扮演原文 m 的第二个控制器：cgroup2 只提供 ${list(offered, l)}${memoryBound ? '（memory 绑定在 v1 层级上）' : ''}`,
      ),
    };
    ctx.log(
      both((l) =>
        l === 'en'
          ? `cgroup2 at ${v2.mount} offers: ${list(offered, l)}; bound to v1: ${list(boundV1, l)}`
          : `${v2.mount} 上的 cgroup2 提供：${list(offered, l)}；绑定在 v1 上的：${list(boundV1, l)}`,
      ),
    );
    ctx.log(
      both((l) => {
        const mSays = typeof m === 'string' ? m : l === 'en' ? `none: ${m.skip.en}` : `无：${m.skip.zh}`;
        return l === 'en'
          ? `the article's b → ${b}${b === 'io' ? '' : ' (io is not available here)'}; m → ${mSays}`
          : `原文的 b → ${b}${b === 'io' ? '' : '（这里没有 io）'}；m → ${mSays}`;
      }),
    );
    return { mount: v2.mount, offered, expected, boundV1, b, m };
  },
  checks: [
    {
      id: 'offered-controllers',
      description: {
        en: "cgroup2's root offers exactly the controllers /proc/cgroups shows as enabled and bound to no v1 hierarchy.",
        zh: 'cgroup2 根组提供的控制器，恰好是 /proc/cgroups 中已启用且没有绑定到任何 v1 层级的那些。',
      },
      evaluate: (r) => {
        if ('skip' in r) return notMeasured(r);
        const o = {
          observed: both((l) => (l === 'en' ? `offered: ${list(r.offered, l)}; bound to v1: ${list(r.boundV1, l)}` : `提供：${list(r.offered, l)}；绑定在 v1 上：${list(r.boundV1, l)}`)),
          expected: both((l) => (l === 'en' ? `offered: ${list(r.expected ?? [], l)}` : `提供：${list(r.expected ?? [], l)}`)),
        };
        if (r.expected === null) return { ...o, pass: false, skip: t('/proc/cgroups lists no controller on this kernel', '这个内核的 /proc/cgroups 没有列出任何控制器') };
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
    en: 'As in the article, A is the root; B, C, D and E are named nslab-<token>-B and so on. `+b` in A\'s cgroup.subtree_control gives B the b controller; `+b` in B\'s gives it to C and D; D enables nothing, so E has no b although its parent has. `+m` in A reaches B only. What a group got shows in its cgroup.controllers and in the controller\'s files (e.g. io.max) the kernel creates in it. cgroup.controllers is read-only: a group cannot take what its parent did not hand down, nor pass it on.',
    zh: '和原文一样，A 是根组；B、C、D、E 的实际名字是 nslab-<token>-B 等。在 A 的 cgroup.subtree_control 写 +b，B 就有了 b；在 B 的写 +b，C 和 D 有了 b；D 什么也没打开，所以 E 没有 b，尽管它的父组有。A 里的 +m 只到达 B。一个组得到了什么，看它的 cgroup.controllers，以及内核在组里创建的控制器文件（如 io.max）。cgroup.controllers 是只读的：父组没有下放的控制器，子组既拿不到，也传不下去。',
  },
  article: '# A(b,m) - B(b,m) - C (b)\n#                - D (b) - E\necho +blkio > A/cgroup.subtree_control; echo +blkio > A/B/cgroup.subtree_control; echo +memory > A/cgroup.subtree_control',
  modern: {
    en: 'cd /sys/fs/cgroup/unified; echo +b > cgroup.subtree_control; mkdir -p B/C B/D/E; echo +b > B/cgroup.subtree_control   # B = nslab-<token>-B …',
    zh: 'cd /sys/fs/cgroup/unified; echo +b > cgroup.subtree_control; mkdir -p B/C B/D/E; echo +b > B/cgroup.subtree_control   # B 即 nslab-<token>-B……',
  },
  async run(ctx) {
    const roles = ctx.observed(controllers);
    if ('skip' in roles) return { skip: roles.skip };
    const { mount, b, m } = roles;
    const refused = (r: WriteOutcome, c: string, g: CgroupDir) =>
      new LabError({
        en: `${r.code}: cannot enable ${c} in ${g.file('cgroup.subtree_control')}`,
        zh: `${r.code}：无法在 ${g.file('cgroup.subtree_control')} 中打开 ${c}`,
      });
    const A = CgroupDir.root(ctx, mount, 2);
    // A's +b first: its undo then runs after B (which enables b below it) is gone.
    const first = A.enable(b);
    if (!first.ok) throw refused(first, b, A);
    const B = A.child('B');
    const C = B.child('C');
    const D = B.child('D');
    const E = D.child('E');
    const onB = B.enable(b);
    if (!onB.ok) throw refused(onB, b, B);
    if (typeof m === 'string') {
      const r = A.enable(m);
      if (!r.ok) throw refused(r, m, A);
    }
    const groups: Record<Name, CgroupDir> = { A, B, C, D, E };
    const roleNames = typeof m === 'string' ? [b, m] : [b];
    const ctl = {} as Record<Name, string[]>;
    const sub = {} as Record<Name, string[]>;
    const files = {} as Record<Name, string[]>;
    for (const n of NAMES) {
      const g = groups[n];
      ctl[n] = n === 'A' ? [...roles.offered] : g.show('cgroup.controllers').trim().split(/\s+/).filter(Boolean);
      sub[n] = g.subtreeControl();
      files[n] = controllerFiles(g.path, roleNames);
    }
    // What nslab wrote (subtree_control) next to what the kernel made of it: logged, not judged.
    for (const n of NAMES)
      ctx.log(
        both((l) =>
          l === 'en'
            ? `${n}  controllers: ${list(ctl[n], l).padEnd(16)} subtree_control: ${list(sub[n], l).padEnd(12)} files: ${few(files[n], l)}`
            : `${n} 组  controllers：${list(ctl[n], l).padEnd(16)} subtree_control：${list(sub[n], l).padEnd(12)} 控制器文件：${few(files[n], l)}`,
        ),
      );
    const readOnlyWrite = C.tryWrite('cgroup.controllers', b);
    const handDownMissing = E.tryWrite('cgroup.subtree_control', `+${b}`);
    const controllersMode = statSync(C.file('cgroup.controllers')).mode & 0o777;
    return { b, m, controllers: ctl, files, readOnlyWrite, controllersMode, handDownMissing };
  },
  checks: [
    {
      id: 'children-get-b',
      description: {
        en: "b enabled in A's and B's subtree_control reaches B, C and D: it is in their cgroup.controllers and the kernel made b's files in them.",
        zh: '在 A 和 B 的 subtree_control 里打开的 b 到达了 B、C、D：它们的 cgroup.controllers 里有 b，内核也在其中创建了 b 的文件。',
      },
      evaluate: (t) => {
        if ('skip' in t) return notMeasured(t);
        const got = (n: Name) => t.controllers[n].includes(t.b) && filesOf(t.files[n], t.b).length > 0;
        return {
          observed: both((l) =>
            (['B', 'C', 'D'] as const)
              .map((n) => groupSays(n, t.controllers[n], filesOf(t.files[n], t.b), l))
              .join(l === 'en' ? '; ' : '；'),
          ),
          expected: both((l) => (l === 'en' ? `${t.b} and its files in each` : `每个组都有 ${t.b} 及其文件`)),
          pass: got('B') && got('C') && got('D'),
        };
      },
    },
    {
      id: 'one-level-only',
      description: {
        en: 'E does not get b: D has it but did not enable it in its own subtree_control (one level only).',
        zh: 'E 得不到 b：D 有 b，但没有在自己的 subtree_control 里打开它（只下放一级）。',
      },
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: both((l) =>
                l === 'en'
                  ? `D: ${list(t.controllers.D, l)}; E: ${list(t.controllers.E, l)}, ${t.b} files in E: ${few(filesOf(t.files.E, t.b), l)}`
                  : `D：${list(t.controllers.D, l)}；E：${list(t.controllers.E, l)}，E 里 ${t.b} 的文件：${few(filesOf(t.files.E, t.b), l)}`,
              ),
              expected: both((l) => (l === 'en' ? `${t.b} in D, not in E (no ${t.b} files there)` : `D 有 ${t.b}，E 没有（也没有 ${t.b} 的文件）`)),
              pass: t.controllers.D.includes(t.b) && !t.controllers.E.includes(t.b) && filesOf(t.files.E, t.b).length === 0,
            },
    },
    {
      id: 'm-reaches-b-only',
      description: {
        en: "m enabled in A's subtree_control reaches B but not C or D, because B does not enable it.",
        zh: '在 A 的 subtree_control 里打开的 m 只到达 B，到不了 C 和 D，因为 B 没有打开它。',
      },
      evaluate: (t) => {
        if ('skip' in t) return notMeasured(t);
        if (typeof t.m !== 'string')
          return { observed: { en: 'no m controller', zh: '没有 m 控制器' }, expected: { en: 'a second controller', zh: '第二个控制器' }, pass: false, skip: t.m.skip };
        const m = t.m;
        const has = (n: Name) => t.controllers[n].includes(m) || filesOf(t.files[n], m).length > 0;
        return {
          observed: both((l) =>
            (['B', 'C', 'D'] as const).map((n) => groupSays(n, t.controllers[n], filesOf(t.files[n], m), l)).join(l === 'en' ? '; ' : '；'),
          ),
          expected: both((l) => (l === 'en' ? `${m} and its files in B only` : `只有 B 有 ${m} 及其文件`)),
          pass: t.controllers.B.includes(m) && filesOf(t.files.B, m).length > 0 && !has('C') && !has('D'),
        };
      },
    },
    {
      id: 'controllers-read-only',
      description: {
        en: "cgroup.controllers is read-only (mode 0444): even root's write to it is refused.",
        zh: 'cgroup.controllers 是只读的（权限 0444）：连 root 写它也会被拒绝。',
      },
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: both((l) =>
                l === 'en'
                  ? `mode ${t.controllersMode.toString(8).padStart(4, '0')}, write: ${answer(t.readOnlyWrite, l)}`
                  : `权限 ${t.controllersMode.toString(8).padStart(4, '0')}，写入：${answer(t.readOnlyWrite, l)}`,
              ),
              expected: { en: 'mode 0444, write refused (an errno)', zh: '权限 0444，写入被拒绝（返回错误码）' },
              pass: t.controllersMode === 0o444 && !t.readOnlyWrite.ok,
            },
    },
    {
      id: 'cannot-pass-on-missing',
      description: {
        en: 'E cannot enable b for children of its own: a group hands down only what it has (ENOENT).',
        zh: 'E 不能为自己的子组打开 b：一个组只能下放自己拥有的控制器（ENOENT）。',
      },
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: both((l) => `echo +${t.b} > E/cgroup.subtree_control${l === 'en' ? ': ' : ' 的结果：'}${answer(t.handDownMissing, l)}`),
              expected: 'ENOENT',
              pass: !t.handDownMissing.ok && t.handDownMissing.code === 'ENOENT',
            },
    },
  ],
});

export const leaves = step<Moves | Unmeasured>({
  id: 'no-internal-process',
  title: { en: 'Processes live in leaves: the no-internal-process rule', zh: '进程只住在叶子上：无内部进程规则' },
  explain: {
    en: 'A group that hands a domain controller to its children (here B) is an inner node: writing a PID into it fails with EBUSY, so its processes never compete with its children. Groups that enable nothing below them take processes (C, D, E). The root is the exception: it holds the whole system and still hands controllers down. The rule also works the other way: D cannot enable b while it holds a process. After each write we read /proc/PID/cgroup: the kernel\'s own word on where the process is.',
    zh: '把域控制器下放给子组的组（这里是 B）是内部节点：往它写 PID 会得到 EBUSY，这样它的进程就不会与子组竞争。没有向下打开任何控制器的组可以接收进程（C、D、E）。根组是例外：它装着整个系统，同时还下放控制器。规则反过来也成立：D 里有进程时，不能在 D 上打开 b。每次写入之后我们都读 /proc/PID/cgroup：进程在哪个组，以内核的说法为准。',
  },
  article: '任何被配置过subtree_control的目录都不能绑定进程,根结点除外。所以,A,C,D,E可以绑上进程,但是B不行。',
  modern: {
    en: 'echo PID > nslab-<token>-B/cgroup.procs   # EBUSY; echo PID > nslab-<token>-B/nslab-<token>-C/cgroup.procs   # ok',
    zh: 'echo PID > nslab-<token>-B/cgroup.procs   # EBUSY； echo PID > nslab-<token>-B/nslab-<token>-C/cgroup.procs   # 成功',
  },
  async run(ctx) {
    const roles = ctx.observed(controllers);
    const tree = ctx.observed(subtree);
    if ('skip' in roles) return { skip: roles.skip };
    if ('skip' in tree) return { skip: t('the tree could not be built', '没能建起这棵树') };
    const { mount, b } = roles;
    if (!DOMAIN.includes(b))
      return {
        skip: both((l) =>
          l === 'en'
            ? `cgroup2 here offers no domain controller (only ${list(roles.offered, l)}): B could become a thread root and take processes`
            : `这里的 cgroup2 不提供域控制器（只有 ${list(roles.offered, l)}）：B 可能成为线程根而接收进程`,
        ),
      };
    const A = CgroupDir.root(ctx, mount, 2);
    const rel = { B: `/${ctx.name('B')}` } as Record<Name, string>;
    rel.A = '/';
    rel.C = `${rel.B}/${ctx.name('C')}`;
    rel.D = `${rel.B}/${ctx.name('D')}`;
    rel.E = `${rel.D}/${ctx.name('E')}`;
    const dir = (n: Exclude<Name, 'A'>) => CgroupDir.at(ctx, `${mount}${rel[n]}`, mount);
    // An idle process to move around: the probe, holding until we close its stdin.
    const holder = await Container.start(ctx, { namespaces: [], label: t('idle probe for the cgroup moves', '用来在各组间移动的空闲探针进程') });
    try {
      const pid = holder.pid;
      const start = placeOf(pid);
      const into = {} as Record<Name, WriteOutcome>;
      const at = {} as Record<Name, string>;
      const move = (n: Name, g: CgroupDir) => {
        into[n] = g.addProcess(pid);
        at[n] = placeOf(pid);
        ctx.log(
          both((l) =>
            l === 'en' ? `/proc/${pid}/cgroup after the write to ${n}: 0::${at[n]}` : `写 ${n} 之后 /proc/${pid}/cgroup 显示：0::${at[n]}`,
          ),
        );
      };
      move('B', dir('B'));
      move('C', dir('C'));
      move('D', dir('D'));
      const enableInD = dir('D').tryWrite('cgroup.subtree_control', `+${b}`);
      move('E', dir('E'));
      move('A', A);
      const handedDown = dir('B').controllers();
      const rootSubtree = A.subtreeControl();
      const rootProcs = A.procs().length;
      ctx.log(
        both((l) =>
          l === 'en'
            ? `root (A): subtree_control ${list(rootSubtree, l)}, ${rootProcs} processes — and it took ${pid} back`
            : `根组 A：subtree_control 为 ${list(rootSubtree, l)}，有 ${rootProcs} 个进程——它仍然接收了 ${pid}`,
        ),
      );
      return { b, pid, groups: rel, start, into, at, enableInD, handedDown, rootProcs };
    } finally {
      await holder.stop();
    }
  },
  checks: [
    {
      id: 'inner-node-busy',
      description: {
        en: 'B, which enables a domain controller for its children, refuses a process with EBUSY, and the process stays where it was.',
        zh: 'B 为子组打开了域控制器，它以 EBUSY 拒绝接收进程，进程留在原来的组里。',
      },
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: both((l) =>
                l === 'en'
                  ? `echo ${t.pid} > B/cgroup.procs: ${answer(t.into.B, l)}; then in 0::${t.at.B} (before: 0::${t.start})`
                  : `echo ${t.pid} > B/cgroup.procs：${answer(t.into.B, l)}；之后在 0::${t.at.B}（之前在 0::${t.start}）`,
              ),
              expected: both((l) => (l === 'en' ? `EBUSY; still in 0::${t.start}` : `EBUSY；仍在 0::${t.start}`)),
              pass: t.into.B.code === 'EBUSY' && t.at.B === t.start && t.at.B !== t.groups.B,
            },
    },
    {
      id: 'leaves-take-processes',
      description: {
        en: 'C, D and E, which enable nothing below them, take the process: /proc/PID/cgroup names each in turn.',
        zh: 'C、D、E 没有向下打开任何控制器，它们接收了进程：/proc/PID/cgroup 依次显示它们。',
      },
      evaluate: (t) => {
        if ('skip' in t) return notMeasured(t);
        const leaves = ['C', 'D', 'E'] as const;
        return {
          observed: both((l) => leaves.map((n) => `${n}${l === 'en' ? ': ' : '：'}${answer(t.into[n], l)} → 0::${t.at[n]}`).join(l === 'en' ? '; ' : '；')),
          expected: both((l) => leaves.map((n) => `${n}${l === 'en' ? ': ' : '：'}${answer({ ok: true }, l)} → 0::${t.groups[n]}`).join(l === 'en' ? '; ' : '；')),
          pass: leaves.every((n) => t.into[n].ok && t.at[n] === t.groups[n]),
        };
      },
    },
    {
      id: 'root-exception',
      description: {
        en: 'The root takes the process back although it hands b down to its children and holds other processes.',
        zh: '根组虽然向子组下放了 b、并且装着别的进程，仍然接收了这个进程。',
      },
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: both((l) =>
                l === 'en'
                  ? `root: ${answer(t.into.A, l)} → 0::${t.at.A}; B's controllers: ${list(t.handedDown, l)}; ${t.rootProcs} processes in the root`
                  : `根组：${answer(t.into.A, l)} → 0::${t.at.A}；B 的 controllers：${list(t.handedDown, l)}；根组有 ${t.rootProcs} 个进程`,
              ),
              expected: both((l) => (l === 'en' ? `ok → 0::/, with ${t.b} handed down to B` : `成功 → 0::/，同时 ${t.b} 仍下放给 B`)),
              pass: t.into.A.ok && t.at.A === '/' && t.handedDown.includes(t.b) && t.rootProcs > 0,
            },
    },
    {
      id: 'no-enable-with-processes',
      description: {
        en: 'While D holds a process, enabling b in its subtree_control is refused with EBUSY.',
        zh: 'D 里有进程时，在它的 subtree_control 里打开 b 会以 EBUSY 被拒绝。',
      },
      evaluate: (t) =>
        'skip' in t
          ? notMeasured(t)
          : {
              observed: both((l) => `echo +${t.b} > D/cgroup.subtree_control${l === 'en' ? ': ' : ' 的结果：'}${answer(t.enableInD, l)}`),
              expected: 'EBUSY',
              pass: t.enableInD.code === 'EBUSY',
            },
    },
  ],
});
