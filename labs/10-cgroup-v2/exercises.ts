// 10-cgroup-v2, by hand: the learner runs into the no-internal-process rule at the playground's
// own cgroup2 root (it holds their shell, and it is not the real root), and freezes a busy loop
// with cgroup.freeze. The checks read the groups below the playground's cgroup2 root
// (cgroup.controllers, cgroup.subtree_control, cgroup.procs, cgroup.events) and the CPU time
// of the processes in them, never what the learner typed.
import { join } from 'node:path';
import { CgroupHost, exercise, listDir, readLines, t, tryRead, type PlaygroundView, type Requirement, type Text } from '../../runner/kit/index.js';
import { DOMAIN } from './tree.js';

/** The domain controllers an exercise may hand down, most common first (hugetlb: this host's only one). */
const HAND_DOWN = ['memory', 'io', 'hugetlb', 'misc', 'rdma'];

/** A process as the learner sees it. */
export interface Member {
  readonly inside: number;
  readonly comm: string;
}
const named = (ms: readonly Member[]) => ms.map((m) => `${m.comm}[${m.inside}]`).join(' ');

/** The groups below a cgroup2 directory, as paths relative to it ("" first: the directory itself). */
function tree(root: string): string[] {
  const out = [''];
  const walk = (rel: string) => {
    for (const n of listDir(join(root, rel)))
      if (tryRead(join(root, rel, n, 'cgroup.procs')) !== undefined) {
        out.push(`${rel}/${n}`);
        walk(`${rel}/${n}`);
      }
  };
  walk('');
  return out;
}
const words = (text: string | undefined) => (text ?? '').trim().split(/\s+/).filter(Boolean);

/** The playground's cgroup2 root: where the learner sees it, and its host path. */
function v2Root(pg: PlaygroundView): { mount: string; host: string } | undefined {
  const mount = CgroupHost.discover().v2?.mount;
  return mount !== undefined && pg.cgroups.v2 !== undefined ? { mount, host: pg.cgroups.v2 } : undefined;
}
const membersOf = (pg: PlaygroundView) => {
  const byPid = new Map(pg.processes().map((p) => [p.pid, p] as const));
  return (dir: string): (Member & { pid: number })[] =>
    readLines(join(dir, 'cgroup.procs'))
      .map(Number)
      .map((pid) => ({ pid, inside: byPid.get(pid)?.inside ?? 0, comm: byPid.get(pid)?.comm ?? '?' }));
};

const cgroup2: Requirement = {
  id: 'cgroup2-domain',
  description: t('cgroup2 offers a domain controller (memory, io or hugetlb)', 'cgroup2 提供一个域控制器（memory、io 或 hugetlb）'),
  probe: () => {
    const host = CgroupHost.discover();
    if (!host.v2) return { ok: false, reason: t('no cgroup2 file system is mounted', '没有挂载 cgroup2 文件系统') };
    return host.v2Controllers.some((c) => DOMAIN.includes(c))
      ? { ok: true }
      : {
          ok: false,
          reason: t(
            `cgroup2 at ${host.v2.mount} offers no domain controller (${host.v2Controllers.join(' ') || 'none'}): without one, no group refuses a process`,
            `${host.v2.mount} 上的 cgroup2 不提供域控制器（${host.v2Controllers.join(' ') || '无'}）：没有域控制器，就没有哪个组会拒绝进程`,
          ),
        };
  },
};

// ---------------------------------------------------------------------------------------------
// inner-node: the playground's root holds the shell, so it cannot hand a domain controller down

export interface V2GroupSeen {
  /** As the learner names it (the root: the cgroup2 mount point itself). */
  readonly path: string;
  readonly isRoot: boolean;
  readonly controllers: readonly string[];
  readonly subtree: readonly string[];
  readonly members: readonly Member[];
}

export interface InnerWorld {
  /** The cgroup2 mount point in the playground; undefined without cgroup2. */
  readonly mount: string | undefined;
  /** The domain controller to hand down: the first the playground's root may use. */
  readonly controller: string;
  /** The playground's root first, then every group below it. */
  readonly groups: readonly V2GroupSeen[];
  readonly answer: string | undefined;
}

function innerWorld(pg: PlaygroundView): InnerWorld {
  const r = v2Root(pg);
  if (r === undefined) return { mount: undefined, controller: HAND_DOWN[0]!, groups: [], answer: pg.answer };
  const members = membersOf(pg);
  const groups = tree(r.host).map(
    (rel): V2GroupSeen => ({
      path: `${r.mount}${rel}`,
      isRoot: rel === '',
      controllers: words(tryRead(join(r.host, rel, 'cgroup.controllers'))),
      subtree: words(tryRead(join(r.host, rel, 'cgroup.subtree_control'))),
      members: members(join(r.host, rel)).map(({ inside, comm }) => ({ inside, comm })),
    }),
  );
  const offered = groups[0]?.controllers ?? [];
  return { mount: r.mount, controller: HAND_DOWN.find((c) => offered.includes(c)) ?? offered.find((c) => DOMAIN.includes(c)) ?? HAND_DOWN[0]!, groups, answer: pg.answer };
}

const domainOf = (xs: readonly string[]) => xs.filter((c) => DOMAIN.includes(c));
const listed = (xs: readonly string[], zh = false) => (xs.length ? xs.join(' ') : zh ? '（无）' : '(none)');

/** The answer says why (leniently): the root held processes (an inner node competes with its children). */
const SAYS_WHY = /internal|inner|leaf|leaves|compet|process|task|shell|bash|\$\$|pid|member|内部|叶子|竞争|进程/i;

export const innerNode = exercise<InnerWorld>({
  id: 'inner-node',
  kind: 'break',
  title: t('A root that is not the root', '不是真正根组的根组'),
  task: t(
    "The playground's cgroup2 tree is at /sys/fs/cgroup/unified here (/sys/fs/cgroup on a v2-only host); its root is a group of nslab's, and your shell lives in it. Hand a domain controller it offers (cat cgroup.controllers: hugetlb here, memory on most hosts) down to its children: echo +CONTROLLER > cgroup.subtree_control. The kernel refuses; answer why in a few words. Then make it work: the root hands the controller down, and your processes run in a group below it that got the controller. check reads the tree and your answer.",
    '练习场的 cgroup2 树在这里是 /sys/fs/cgroup/unified（只有 v2 的主机上是 /sys/fs/cgroup）；它的根是 nslab 的一个组，你的 shell 就在里面。把根提供的一个域控制器（cat cgroup.controllers：这里是 hugetlb，多数主机上是 memory）下放给子组：echo +控制器名 > cgroup.subtree_control。内核会拒绝；用 answer 简短说明原因。然后让它成功：根组下放这个控制器，而你的进程运行在它下面一个得到了该控制器的组里。check 会读取这棵树和你的回答。',
  ),
  hints: [
    t(
      'A group that hands a domain controller to its children may hold no process itself: its processes would compete with its children. Only the real root of the hierarchy is exempt, and the playground\'s root is a group below it.',
      '把域控制器下放给子组的组，自己不能装进程：否则它的进程会与子组竞争。只有层级真正的根组例外，而练习场的根只是它下面的一个组。',
    ),
    t('cat cgroup.procs in the root shows who is there; a process moves when its pid is written to another group\'s cgroup.procs ($$ is your shell).', '在根组里 cat cgroup.procs 可以看到里面有谁；把进程的 pid 写进另一个组的 cgroup.procs 就能移动它（$$ 是你的 shell）。'),
    t(
      'cd /sys/fs/cgroup/unified; mkdir leaf; echo $$ > leaf/cgroup.procs; echo +hugetlb > cgroup.subtree_control; cat leaf/cgroup.controllers',
      'cd /sys/fs/cgroup/unified; mkdir leaf; echo $$ > leaf/cgroup.procs; echo +hugetlb > cgroup.subtree_control; cat leaf/cgroup.controllers（只有 v2 的主机：/sys/fs/cgroup 与 memory）',
    ),
  ],
  looksAt: t(
    "cgroup.controllers, cgroup.subtree_control and cgroup.procs of the playground's cgroup2 root and of every group below it, and your answer",
    '练习场 cgroup2 根组及其下每个组的 cgroup.controllers、cgroup.subtree_control 和 cgroup.procs，以及你的回答',
  ),
  requirements: [cgroup2],
  v2Controllers: HAND_DOWN,
  observe: innerWorld,
  conditions: [
    {
      id: 'handed-down',
      description: t(
        "The playground's cgroup2 root hands a domain controller to its children (cgroup.subtree_control).",
        '练习场的 cgroup2 根组把一个域控制器下放给了子组（cgroup.subtree_control）。',
      ),
      evaluate: (o) => {
        const root = o.groups[0];
        const handed = root !== undefined ? domainOf(root.subtree) : [];
        const pass = handed.length > 0;
        const c = o.controller;
        const hint = (): Text =>
          root === undefined
            ? t('no cgroup2 tree in the playground', '练习场里没有 cgroup2 树')
            : root.members.length > 0
              ? t(
                  `the playground's root ${root.path} still holds ${named(root.members)}: a group that hands ${c} down may hold no process, it is not the real root. Move them into a leaf first: mkdir ${root.path}/leaf; echo $$ > ${root.path}/leaf/cgroup.procs`,
                  `练习场的根组 ${root.path} 里还有 ${named(root.members)}：下放 ${c} 的组不能装进程，而它并不是真正的根组。先把它们移到叶子组：mkdir ${root.path}/leaf; echo $$ > ${root.path}/leaf/cgroup.procs`,
                )
              : root.subtree.length > 0
                ? t(
                    `${listed(root.subtree)} in ${root.path}/cgroup.subtree_control: no domain controller among them (those may share a group with processes): hand down ${c}.`,
                    `${root.path}/cgroup.subtree_control 里是 ${listed(root.subtree, true)}：其中没有域控制器（它们可以与进程共处一组）：请下放 ${c}。`,
                  )
                : t(
                    `no process is left in the root now: echo +${c} > ${root.path}/cgroup.subtree_control`,
                    `根组里现在没有进程了：echo +${c} > ${root.path}/cgroup.subtree_control`,
                  );
        return {
          observed:
            root === undefined
              ? t('no cgroup2 root', '没有 cgroup2 根组')
              : t(
                  `${root.path}: subtree_control ${listed(root.subtree)}; processes ${named(root.members) || '(none)'}`,
                  `${root.path}：subtree_control ${listed(root.subtree, true)}；进程 ${named(root.members) || '（无）'}`,
                ),
          expected: t(`+${o.controller} (a domain controller) in the root's subtree_control`, `根组的 subtree_control 里有 +${o.controller}（一个域控制器）`),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'leaf-holds',
      description: t(
        'A process runs in a group below the root that got a domain controller (it is in the group\'s cgroup.controllers).',
        '有一个进程运行在根组下面、得到了域控制器的组里（该控制器出现在这个组的 cgroup.controllers 中）。',
      ),
      evaluate: (o) => {
        const below = o.groups.filter((g) => !g.isRoot);
        const ok = below.find((g) => g.members.length > 0 && domainOf(g.controllers).length > 0);
        const root = o.groups[0];
        const hint = (): Text => {
          const busy = below.find((g) => g.members.length > 0);
          if (busy !== undefined && root !== undefined && domainOf(root.subtree).length === 0)
            return t(
              `${named(busy.members)} in ${busy.path} is in a leaf, good, but the root hands no domain controller down yet: echo +${o.controller} > ${root.path}/cgroup.subtree_control`,
              `${busy.path} 里的 ${named(busy.members)} 已经在叶子组里了，很好，但根组还没有下放任何域控制器：echo +${o.controller} > ${root.path}/cgroup.subtree_control`,
            );
          if (busy !== undefined)
            return t(
              `${named(busy.members)} in ${busy.path}: that group has no domain controller (cgroup.controllers: ${listed(busy.controllers)}): its parent does not hand one down. Use a direct child of the group that enables ${o.controller}.`,
              `${busy.path} 里的 ${named(busy.members)}：这个组没有域控制器（cgroup.controllers：${listed(busy.controllers, true)}）：它的父组没有下放。请用打开了 ${o.controller} 的那个组的直接子组。`,
            );
          if (root !== undefined && root.members.length > 0)
            return t(
              `every process is still in the root (${named(root.members)}): mkdir ${root.path}/leaf; echo $$ > ${root.path}/leaf/cgroup.procs`,
              `所有进程都还在根组里（${named(root.members)}）：mkdir ${root.path}/leaf; echo $$ > ${root.path}/leaf/cgroup.procs`,
            );
          return t('no process found in the tree: is your shell still running?', '树里找不到进程：你的 shell 还在运行吗？');
        };
        return {
          observed:
            below.length === 0
              ? t('no group below the root', '根组下面没有组')
              : below.map((g) => `${g.path}: ${g.controllers.join(' ') || '-'} [${named(g.members) || '-'}]`).join('; '),
          expected: t(`a process in a group whose cgroup.controllers has ${o.controller}`, `一个进程，所在组的 cgroup.controllers 里有 ${o.controller}`),
          pass: ok !== undefined,
          ...(ok !== undefined ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'why',
      description: t(
        'Your answer says why the first write was refused: the group held processes (the no-internal-process rule).',
        '你的回答说出了第一次写入被拒绝的原因：这个组里有进程（无内部进程规则）。',
      ),
      evaluate: (o) => {
        const a = o.answer;
        const pass = a !== undefined && SAYS_WHY.test(a);
        const hint = (): Text =>
          a === undefined
            ? t('no answer yet: answer in a few words why the kernel refused the first write.', '还没有回答：用 answer 简短说明内核为什么拒绝了第一次写入。')
            : /busy|EBUSY|忙/i.test(a)
              ? t(
                  '"Device or resource busy" (EBUSY) is what the kernel said, not why: what did the root still hold when you wrote to its subtree_control?',
                  '“Device or resource busy”（EBUSY）是内核说的话，不是原因：你写它的 subtree_control 时，根组里还有什么？',
                )
              : t('look at cgroup.procs of the root before the write: what was in it?', '看看写入之前根组的 cgroup.procs：里面有什么？');
        return {
          observed: a ?? t('no answer', '没有回答'),
          expected: t('the root held processes (my shell): an inner node may hold none', '根组里有进程（我的 shell）：内部节点不能装进程'),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
C=$(grep -ow -E 'memory|io|hugetlb' $V2/cgroup.controllers | head -1)
echo +$C > $V2/cgroup.subtree_control || echo "refused: the shell is in that group"
mkdir $V2/leaf
echo $$ > $V2/leaf/cgroup.procs
echo +$C > $V2/cgroup.subtree_control
answer "the group held processes (my shell): a group that hands a domain controller down may hold none, they would compete with its children; only the real root may"`,
  nearMisses: [
    {
      id: 'enable-in-place',
      what: t('tries again in the root that still holds the shell', '在仍装着 shell 的根组里再试一次'),
      script: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
C=$(grep -ow -E 'memory|io|hugetlb' $V2/cgroup.controllers | head -1)
echo +$C > $V2/cgroup.subtree_control 2>/dev/null
echo +$C > $V2/cgroup.subtree_control 2>/dev/null
answer "the shell is in the root"`,
      fails: 'handed-down',
      hint: 'still holds',
    },
    {
      id: 'moved-only',
      what: t('moves the shell to a leaf but never enables the controller', '把 shell 移到了叶子组，却没有打开控制器'),
      script: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
mkdir $V2/leaf
echo $$ > $V2/leaf/cgroup.procs
answer "the shell is in the root"`,
      fails: 'handed-down',
      hint: 'no process is left in the root now',
    },
    {
      id: 'names-the-errno',
      what: t('does it all, but answers with the error message', '都做了，但回答的只是错误信息'),
      script: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
C=$(grep -ow -E 'memory|io|hugetlb' $V2/cgroup.controllers | head -1)
mkdir $V2/leaf
echo $$ > $V2/leaf/cgroup.procs
echo +$C > $V2/cgroup.subtree_control
answer "Device or resource busy"`,
      fails: 'why',
      hint: 'is what the kernel said, not why',
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// freeze: cgroup.freeze, a core file of every cgroup2 group (no controller needed)

/** How long check watches the frozen loop, and what counts as busy before. */
const WATCH_MS = 300;
const BUSY_S = 0.1;
/** CPU a frozen loop may still show in the window (accounting noise). */
const STILL_MS = 2;

export interface LoopSeen extends Member {
  /** CPU time used since it started, in seconds. */
  readonly cpuS: number;
  /** CPU time used during the window, in ms. */
  readonly ranMs: number;
  /** Its v1 freezer group's freezer.state, where a v1 freezer hierarchy exists (THAWED, FROZEN…). */
  readonly v1State: string | undefined;
}

export interface FreezeGroupSeen {
  readonly path: string;
  /** Its cgroup.freeze ("0" or "1"). */
  readonly freeze: string;
  /** cgroup.events says frozen 1 (its own freeze or an ancestor's). */
  readonly frozen: boolean;
  readonly members: readonly LoopSeen[];
}

export interface FreezeWorld {
  readonly mount: string | undefined;
  /** The groups below the playground's cgroup2 root (the root itself holds the shell: not counted). */
  readonly groups: readonly FreezeGroupSeen[];
  readonly windowMs: number;
}

/** CPU time of a process (all threads) in ns, from schedstat. */
function cpuNs(pid: number): number | undefined {
  let sum = 0;
  let seen = false;
  for (const tid of listDir(`/proc/${pid}/task`)) {
    const v = Number((tryRead(`/proc/${pid}/task/${tid}/schedstat`) ?? '').split(' ')[0]);
    if (Number.isFinite(v)) {
      sum += v;
      seen = true;
    }
  }
  return seen ? sum : undefined;
}

/** freezer.state of the v1 freezer group a process is in (host view), if there is a v1 freezer. */
function v1FreezerState(pid: number, freezerMount: string | undefined): string | undefined {
  if (freezerMount === undefined) return undefined;
  const line = readLines(`/proc/${pid}/cgroup`).find((l) => /^\d+:([^:]*,)?freezer(,[^:]*)?:/.test(l));
  const path = line?.replace(/^[^:]*:[^:]*:/, '');
  return path === undefined ? undefined : tryRead(join(freezerMount, path, 'freezer.state'))?.trim();
}

async function freezeWorld(pg: PlaygroundView): Promise<FreezeWorld> {
  const r = v2Root(pg);
  if (r === undefined) return { mount: undefined, groups: [], windowMs: WATCH_MS };
  const members = membersOf(pg);
  const freezerMount = CgroupHost.discover().place('freezer', 1)?.mount;
  const rels = tree(r.host).slice(1);
  const before = new Map<number, number | undefined>();
  for (const rel of rels) for (const m of members(join(r.host, rel))) before.set(m.pid, cpuNs(m.pid));
  await new Promise((res) => setTimeout(res, WATCH_MS));
  const groups = rels.map((rel): FreezeGroupSeen => {
    const dir = join(r.host, rel);
    const events = tryRead(join(dir, 'cgroup.events')) ?? '';
    return {
      path: `${r.mount}${rel}`,
      freeze: (tryRead(join(dir, 'cgroup.freeze')) ?? '').trim(),
      frozen: /^frozen 1$/m.test(events),
      members: members(dir).map(({ pid, inside, comm }): LoopSeen => {
        const a = before.get(pid);
        const b = cpuNs(pid);
        return { inside, comm, cpuS: (b ?? 0) / 1e9, ranMs: a !== undefined && b !== undefined ? (b - a) / 1e6 : 0, v1State: v1FreezerState(pid, freezerMount) };
      }),
    };
  });
  return { mount: r.mount, groups, windowMs: WATCH_MS };
}

const busyIn = (g: FreezeGroupSeen) => g.members.filter((m) => m.cpuS >= BUSY_S);
/** The group the checks judge: one with a busy loop, a frozen one first. */
const loopGroup = (o: FreezeWorld) => o.groups.find((g) => busyIn(g).length > 0 && g.frozen) ?? o.groups.find((g) => busyIn(g).length > 0);
const secs = (m: LoopSeen) => `${m.comm}[${m.inside}] ${m.cpuS.toFixed(2)} s`;

export const freeze = exercise<FreezeWorld>({
  id: 'freeze',
  measuresCpu: true,
  kind: 'do',
  title: t('Freeze a busy loop with cgroup.freeze', '用 cgroup.freeze 冻结一个死循环'),
  task: t(
    'Make a group below the playground\'s cgroup2 root (/sys/fs/cgroup/unified here, /sys/fs/cgroup on a v2-only host), start a busy loop in it, let it run a moment, then freeze the group with cgroup2\'s own file, not with the v1 freezer. check looks for a group whose cgroup.events says frozen 1 and whose loop, which has used CPU before, gets none while check watches it.',
    '在练习场的 cgroup2 根组（这里是 /sys/fs/cgroup/unified，只有 v2 的主机上是 /sys/fs/cgroup）下建一个组，在里面启动一个死循环，让它跑一会儿，然后用 cgroup2 自己的文件（而不是 v1 的 freezer）冻结这个组。check 会寻找这样一个组：它的 cgroup.events 显示 frozen 1，里面的死循环之前用过 CPU，而在 check 观察期间一点 CPU 也得不到。',
  ),
  hints: [
    t('Every cgroup2 group has cgroup.freeze, without any controller: 1 freezes everything in it and below it, 0 thaws.', '每个 cgroup2 组都有 cgroup.freeze，不需要任何控制器：写 1 冻结组内及其下的所有进程，写 0 解冻。'),
    t('cgroup.events tells when the kernel is done: frozen 1.', 'cgroup.events 会告诉你内核何时完成：frozen 1。'),
    t(
      "cd /sys/fs/cgroup/unified; mkdir ice; sh -c 'echo $$ > ice/cgroup.procs; while :; do :; done' & sleep 1; echo 1 > ice/cgroup.freeze; cat ice/cgroup.events",
      "cd /sys/fs/cgroup/unified; mkdir ice; sh -c 'echo $$ > ice/cgroup.procs; while :; do :; done' & sleep 1; echo 1 > ice/cgroup.freeze; cat ice/cgroup.events（只有 v2 的主机：/sys/fs/cgroup）",
    ),
  ],
  looksAt: t(
    `cgroup.freeze, cgroup.events and cgroup.procs of every group below the playground's cgroup2 root, and the CPU time of the processes in them (/proc/PID/task/TID/schedstat) before and after ${WATCH_MS} ms`,
    `练习场 cgroup2 根组下每个组的 cgroup.freeze、cgroup.events 和 cgroup.procs，以及其中进程在 ${WATCH_MS} ms 前后的 CPU 时间（/proc/PID/task/TID/schedstat）`,
  ),
  observe: freezeWorld,
  conditions: [
    {
      id: 'loop-in-group',
      description: t(
        `A busy loop (a process that has used at least ${BUSY_S} s of CPU) is in a group below the playground's cgroup2 root.`,
        `练习场 cgroup2 根组下的某个组里有一个死循环（一个至少用过 ${BUSY_S} 秒 CPU 的进程）。`,
      ),
      evaluate: (o) => {
        const g = loopGroup(o);
        const withProcs = o.groups.find((x) => x.members.length > 0);
        const hint = (): Text =>
          o.groups.length === 0
            ? t(`no group below ${o.mount ?? 'the cgroup2 root'} yet: mkdir ${o.mount ?? '/sys/fs/cgroup/unified'}/ice`, `${o.mount ?? 'cgroup2 根组'} 下还没有组：mkdir ${o.mount ?? '/sys/fs/cgroup/unified'}/ice`)
            : withProcs === undefined
              ? t(
                  `${o.groups[0]!.path} holds no process: start a busy loop in it: sh -c 'echo $$ > ${o.groups[0]!.path}/cgroup.procs; while :; do :; done' &`,
                  `${o.groups[0]!.path} 里没有进程：在里面启动一个死循环：sh -c 'echo $$ > ${o.groups[0]!.path}/cgroup.procs; while :; do :; done' &`,
                )
              : t(
                  `${withProcs.members.map(secs).join(', ')} of CPU in ${withProcs.path}: that is not a busy loop. Freeze one (while :; do :; done) after it ran a moment, to see it stop.`,
                  `${withProcs.path} 里 ${withProcs.members.map(secs).join('、')} 的 CPU：这不是死循环。冻结一个死循环（while :; do :; done），先让它跑一会儿，才能看到它停下。`,
                );
        return {
          observed:
            o.groups.length === 0
              ? t('no group below the root', '根组下面没有组')
              : o.groups.map((x) => `${x.path}: ${x.members.map(secs).join(', ') || '-'}`).join('; '),
          expected: t(`a process with ≥ ${BUSY_S} s of CPU in a group below the root`, `根组下某个组里一个用过 ≥ ${BUSY_S} 秒 CPU 的进程`),
          pass: g !== undefined,
          ...(g !== undefined ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'frozen',
      description: t(
        `That group is frozen: cgroup.events says frozen 1, and the loop got no CPU during ${WATCH_MS} ms.`,
        `该组已被冻结：cgroup.events 显示 frozen 1，死循环在 ${WATCH_MS} ms 内没有得到 CPU。`,
      ),
      evaluate: (o) => {
        const g = loopGroup(o) ?? o.groups.find((x) => x.members.length > 0);
        const ran = g === undefined ? 0 : Math.max(0, ...g.members.map((m) => m.ranMs));
        const pass = g !== undefined && g.frozen && ran <= STILL_MS;
        const hint = (): Text => {
          if (g === undefined) return t('first start a busy loop in a group of yours (see the condition above).', '先在你的组里启动一个死循环（见上一条）。');
          const v1 = g.members.find((m) => m.v1State === 'FROZEN' || m.v1State === 'FREEZING');
          if (!g.frozen && v1 !== undefined)
            return t(
              `${v1.comm}[${v1.inside}] is stopped by the v1 freezer (freezer.state ${v1.v1State}), not by cgroup2: thaw it there (echo THAWED > …/freezer.state) and echo 1 > ${g.path}/cgroup.freeze`,
              `${v1.comm}[${v1.inside}] 是被 v1 的 freezer 停住的（freezer.state ${v1.v1State}），不是 cgroup2：先在那里解冻（echo THAWED > …/freezer.state），再 echo 1 > ${g.path}/cgroup.freeze`,
            );
          if (!g.frozen && g.freeze !== '1')
            return t(`cgroup.freeze of ${g.path} is ${g.freeze || '?'}: echo 1 > ${g.path}/cgroup.freeze`, `${g.path} 的 cgroup.freeze 是 ${g.freeze || '?'}：echo 1 > ${g.path}/cgroup.freeze`);
          if (!g.frozen)
            return t(`cgroup.freeze of ${g.path} is 1, but cgroup.events does not say frozen 1 yet: the kernel is still freezing; check again.`, `${g.path} 的 cgroup.freeze 已是 1，但 cgroup.events 还没显示 frozen 1：内核仍在冻结；再 check 一次。`);
          return t(`${g.path} says frozen, yet its processes ran ${ran.toFixed(1)} ms: check again.`, `${g.path} 显示已冻结，但其中的进程运行了 ${ran.toFixed(1)} ms：再 check 一次。`);
        };
        return {
          observed:
            g === undefined
              ? t('no group with a process', '没有装着进程的组')
              : t(
                  `${g.path}: cgroup.freeze ${g.freeze || '?'}, frozen ${g.frozen ? 1 : 0}; CPU in ${WATCH_MS} ms: ${ran.toFixed(1)} ms`,
                  `${g.path}：cgroup.freeze ${g.freeze || '?'}，frozen ${g.frozen ? 1 : 0}；${WATCH_MS} ms 内的 CPU：${ran.toFixed(1)} ms`,
                ),
          expected: t(`frozen 1; ≤ ${STILL_MS} ms of CPU`, `frozen 1；CPU ≤ ${STILL_MS} ms`),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
mkdir $V2/ice
sh -c "echo \\$\\$ > $V2/ice/cgroup.procs; while :; do :; done" &
sleep 0.5
echo 1 > $V2/ice/cgroup.freeze
sleep 0.2`,
  nearMisses: [
    {
      id: 'not-frozen',
      what: t('starts the loop in a group but never freezes it', '在组里启动了死循环，却没有冻结它'),
      script: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
mkdir $V2/ice
sh -c "echo \\$\\$ > $V2/ice/cgroup.procs; while :; do :; done" &
sleep 0.5`,
      fails: 'frozen',
      hint: 'echo 1 > ',
    },
    {
      id: 'idle-frozen',
      what: t('freezes a sleeping process: nothing to see stop', '冻结的是一个睡眠中的进程：看不到它停下'),
      script: `V2=/sys/fs/cgroup/unified; [ -d $V2 ] || V2=/sys/fs/cgroup
mkdir $V2/ice
sh -c "echo \\$\\$ > $V2/ice/cgroup.procs; exec sleep 600" &
sleep 0.3
echo 1 > $V2/ice/cgroup.freeze
sleep 0.2`,
      fails: 'loop-in-group',
      hint: 'that is not a busy loop',
    },
  ],
});

export const exercises = [innerNode, freeze];
