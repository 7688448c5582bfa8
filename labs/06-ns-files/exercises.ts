// 06-ns-files, by hand: the learner keeps a network namespace alive with a bind mount of its ns
// file and enters it with nsenter; and predicts which /proc/PID/ns entries a command changes. The
// checks read nsfs mounts in the mount tables, the ns links of every process, and `ip link` run
// inside the held namespace through setns() on the held file itself.
import { readdirSync, readlinkSync } from 'node:fs';
import { run } from '../../addon/index.js';
import { exercise, mountsOf, t, tool, which, type PlaygroundView, type Text } from '../../runner/kit/index.js';

// ---- keep-net: a network namespace with nobody in it, then entered ----

const FILE = 'netns';

/** A process as the hints name it. */
export interface Named {
  readonly inside: number;
  readonly comm: string;
}

/** A network namespace held by a bind mount of its ns file (an nsfs mount). */
export interface HeldNet {
  readonly inode: number;
  /** Where it is mounted (as the playground sees it). */
  readonly target: string;
  /** lo is UP inside (undefined: ip could not be run there). */
  readonly loUp: boolean | undefined;
  /** Processes of the playground in it. */
  readonly members: readonly Named[];
}

export interface KeepWorld {
  readonly playgroundNet: number;
  readonly held: readonly HeldNet[];
  /** nsfs mounts of something else: another namespace type, or the playground's own network namespace. */
  readonly heldOther: readonly { readonly ns: string; readonly target: string }[];
  /** Processes in a network namespace of their own that no mount holds. */
  readonly unheld: readonly (Named & { readonly net: number })[];
}

/** A path as the learner typed it: relative to the working directory when it is below it. */
const shortPath = (dir: string, path: string) => (path.startsWith(`${dir}/`) ? `./${path.slice(dir.length + 1)}` : path);

/** Is lo UP in the network namespace behind an ns file? (ip -j link, run after setns on that file) */
async function loIsUp(nsFile: string): Promise<boolean | undefined> {
  const ip = which('ip');
  if (ip === undefined) return undefined;
  try {
    const r = await run({ argv: [ip, '-j', 'link', 'show', 'lo'], actions: [{ do: 'setns', path: nsFile, ns: 'net' }], stdio: ['null', 'pipe', 'pipe'] });
    if (r.code !== 0) return undefined;
    const links = JSON.parse(r.stdout) as { ifname?: string; flags?: string[] }[];
    return links.some((l) => l.ifname === 'lo' && (l.flags ?? []).includes('UP'));
  } catch {
    return undefined;
  }
}

async function keepWorld(pg: PlaygroundView): Promise<KeepWorld> {
  const procs = pg.processes();
  // Every mount table of the playground, each once: ip netns exec, unshare -m… make copies.
  const tables = new Map<number, number>();
  for (const p of procs) if (p.ns.mnt !== 0 && !tables.has(p.ns.mnt)) tables.set(p.ns.mnt, p.pid);
  const held = new Map<number, { target: string; file: string }>();
  const heldOther: { ns: string; target: string }[] = [];
  for (const pid of tables.values())
    for (const m of mountsOf(pid)) {
      if (m.fstype !== 'nsfs') continue;
      const id = /^(\w+):\[(\d+)\]$/.exec(m.root);
      if (id === null) continue;
      const inode = Number(id[2]);
      if (id[1] === 'net' && inode !== pg.ns.net) {
        if (!held.has(inode)) held.set(inode, { target: shortPath(pg.dir, m.target), file: `/proc/${pid}/root${m.target}` });
      } else if (!heldOther.some((h) => h.target === shortPath(pg.dir, m.target))) heldOther.push({ ns: `${id[1]}:[${inode}]`, target: shortPath(pg.dir, m.target) });
    }
  const out: HeldNet[] = [];
  for (const [inode, h] of held)
    out.push({
      inode,
      target: h.target,
      loUp: await loIsUp(h.file),
      members: procs.filter((p) => p.ns.net === inode).map((p) => ({ inside: p.inside, comm: p.comm })),
    });
  const unheld = procs.filter((p) => p.ns.net !== 0 && p.ns.net !== pg.ns.net && !held.has(p.ns.net)).map((p) => ({ inside: p.inside, comm: p.comm, net: p.ns.net }));
  return { playgroundNet: pg.ns.net, held: out, heldOther, unheld };
}

const heldList = (o: KeepWorld) =>
  o.held.length === 0
    ? '-'
    : t(o.held.map((h) => `net:[${h.inode}] on ${h.target}`).join(', '), o.held.map((h) => `net:[${h.inode}] 挂载在 ${h.target}`).join('，'));
const loText = (h: HeldNet): string => (h.loUp === undefined ? '?' : h.loUp ? 'UP' : 'DOWN');

export const keepNet = exercise<KeepWorld>({
  id: 'keep-net',
  kind: 'do',
  title: t('Keep a network namespace with nobody in it', '在没有进程的情况下保住一个网络 namespace'),
  task: t(
    `Make a new network namespace that no process keeps alive: bind-mount its ns file onto a file (e.g. ./${FILE}) or use ip netns add. Then enter it through that file with nsenter, bring its lo up, and leave a sleep running in it. check finds the nsfs mount in the mount table, runs ip link inside the held namespace, and looks for your process in it.`,
    `新建一个不靠任何进程维持的网络 namespace：把它的 ns 文件绑定挂载到一个文件上（例如 ./${FILE}），或者用 ip netns add。然后用 nsenter 通过这个文件进入它，把里面的 lo 启用，并在里面留下一个运行中的 sleep。check 会在挂载表里找到 nsfs 挂载，在保住的 namespace 里运行 ip link，并查找你在里面的进程。`,
  ),
  hints: [
    t(
      'A namespace lives while something refers to it: a process, an open file, or a bind mount of /proc/PID/ns/net. ip netns add does the bind mount for you under /run/netns.',
      '只要还有东西引用，namespace 就存在：进程、打开的文件，或者 /proc/PID/ns/net 的绑定挂载。ip netns add 会替你在 /run/netns 下做这个绑定挂载。',
    ),
    t(
      `unshare --net=FILE makes the namespace and bind-mounts it onto FILE (which must exist); nsenter --net=FILE runs a command inside.`,
      `unshare --net=FILE 创建 namespace 并把它绑定挂载到 FILE 上（FILE 必须已存在）；nsenter --net=FILE 在里面运行命令。`,
    ),
    t(
      `touch ${FILE}; unshare --net=${FILE} true; nsenter --net=${FILE} ip link set lo up; nsenter --net=${FILE} sleep 600 &`,
      `touch ${FILE}; unshare --net=${FILE} true; nsenter --net=${FILE} ip link set lo up; nsenter --net=${FILE} sleep 600 &（最后一条在后台）`,
    ),
  ],
  looksAt: t(
    'nsfs mounts in the mount table of every mount namespace of the playground, ip -j link run in the held namespace (setns on the held file), and /proc/PID/ns/net of every process',
    '练习场每个 mount namespace 的挂载表中的 nsfs 挂载、在保住的 namespace 里运行的 ip -j link（对保住的文件调用 setns），以及每个进程的 /proc/PID/ns/net',
  ),
  requirements: [tool('nsenter', 'util-linux'), tool('unshare', 'util-linux')],
  observe: keepWorld,
  conditions: [
    {
      id: 'held-by-mount',
      description: t(
        "A network namespace other than the playground's is held by a bind mount of its ns file (an nsfs mount).",
        '有一个不是练习场的网络 namespace 被它的 ns 文件的绑定挂载保住（一个 nsfs 挂载）。',
      ),
      evaluate: (o) => {
        const ok = o.held.length > 0;
        const hint = (): Text => {
          const p = o.unheld[0];
          if (p !== undefined)
            return t(
              `${p.comm}[${p.inside}] is in net:[${p.net}], but only processes hold it: when they exit, the namespace goes. Bind-mount its ns file: touch ${FILE}; mount --bind /proc/${p.inside}/ns/net ${FILE}`,
              `${p.comm}[${p.inside}] 在 net:[${p.net}] 里，但只有进程保住它：进程一退出，namespace 就没了。把它的 ns 文件绑定挂载：touch ${FILE}; mount --bind /proc/${p.inside}/ns/net ${FILE}`,
            );
          const other = o.heldOther[0];
          if (other !== undefined)
            return other.ns === `net:[${o.playgroundNet}]`
              ? t(
                  `${other.target} holds the playground's own network namespace (net:[${o.playgroundNet}]): a new one is asked for, e.g. touch ${FILE}; unshare --net=${FILE} true`,
                  `${other.target} 保住的是练习场自己的网络 namespace（net:[${o.playgroundNet}]）：要的是一个新的，例如 touch ${FILE}; unshare --net=${FILE} true`,
                )
              : t(`${other.target} holds ${other.ns}, not a network namespace: use /proc/PID/ns/net`, `${other.target} 保住的是 ${other.ns}，不是网络 namespace：请用 /proc/PID/ns/net`);
          return t(
            `no nsfs mount of a new network namespace yet: touch ${FILE}; unshare --net=${FILE} true (or ip netns add demo)`,
            `还没有新网络 namespace 的 nsfs 挂载：touch ${FILE}; unshare --net=${FILE} true（或者 ip netns add demo）`,
          );
        };
        return {
          observed: heldList(o),
          expected: t(`an nsfs mount of net:[≠${o.playgroundNet}]`, `一个 net:[≠${o.playgroundNet}] 的 nsfs 挂载`),
          pass: ok,
          ...(ok ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'lo-up',
      description: t('Inside the held namespace, lo is up.', '在保住的 namespace 里，lo 已启用。'),
      evaluate: (o) => {
        const up = o.held.find((h) => h.loUp === true);
        const h = o.held[0];
        return {
          observed: o.held.length === 0 ? '-' : o.held.map((x) => `net:[${x.inode}] lo ${loText(x)}`).join(', '),
          expected: 'lo UP',
          pass: up !== undefined,
          ...(up !== undefined
            ? {}
            : {
                hint:
                  h === undefined
                    ? t('hold a new network namespace first', '先保住一个新的网络 namespace')
                    : h.loUp === undefined
                      ? t(`nslab could not run ip link in net:[${h.inode}]; try check again`, `nslab 无法在 net:[${h.inode}] 里运行 ip link；请再 check 一次`)
                      : t(
                          `lo in net:[${h.inode}] is DOWN (a new network namespace starts so): nsenter --net=${h.target} ip link set lo up`,
                          `net:[${h.inode}] 里的 lo 是 DOWN（新的网络 namespace 一开始就是这样）：nsenter --net=${h.target} ip link set lo up`,
                        ),
              }),
        };
      },
    },
    {
      id: 'entered',
      description: t('A process of the playground runs inside the held namespace.', '练习场里有一个进程在保住的 namespace 里运行。'),
      evaluate: (o) => {
        const inIt = o.held.find((h) => h.members.length > 0);
        const h = o.held[0];
        return {
          observed: o.held.length === 0 ? '-' : o.held.map((x) => `net:[${x.inode}]: ${x.members.map((m) => `${m.comm}[${m.inside}]`).join(', ') || '-'}`).join('; '),
          expected: t('a process in the held namespace', '一个在保住的 namespace 里的进程'),
          pass: inIt !== undefined,
          ...(inIt !== undefined
            ? {}
            : {
                hint:
                  h === undefined
                    ? t('hold a new network namespace first', '先保住一个新的网络 namespace')
                    : t(
                        `no process is in net:[${h.inode}] now: enter it through the file, nsenter --net=${h.target} sleep 600 &`,
                        `现在没有进程在 net:[${h.inode}] 里：通过这个文件进入它，nsenter --net=${h.target} sleep 600 &`,
                      ),
              }),
        };
      },
    },
  ],
  solution: `touch ${FILE}
unshare --net=${FILE} true
nsenter --net=${FILE} ip link set lo up
nsenter --net=${FILE} sleep 600 &
sleep 0.5`,
  nearMisses: [
    {
      id: 'process-only',
      what: t('a new network namespace kept only by its process', '新的网络 namespace 只靠它的进程维持'),
      script: `unshare -n sh -c 'ip link set lo up; exec sleep 600' &\nsleep 0.5`,
      fails: 'held-by-mount',
      hint: 'but only processes hold it',
    },
    {
      id: 'lo-down',
      what: t('enters the held namespace without bringing lo up', '进入了保住的 namespace，但没有启用 lo'),
      script: `touch ${FILE}\nunshare --net=${FILE} true\nnsenter --net=${FILE} sleep 600 &\nsleep 0.5`,
      fails: 'lo-up',
      hint: 'is DOWN',
    },
    {
      id: 'nobody-in',
      what: t('holds and configures it, but leaves no process inside', '保住并配置好了，但里面没有留下进程'),
      script: `ip netns add demo\nip netns exec demo ip link set lo up`,
      fails: 'entered',
      hint: 'nsenter --net=/run/netns/demo sleep 600',
    },
  ],
});

// ---- ns-count: predict how many ns entries a command changes ----

const CMD = 'unshare --pid --fork --mount-proc sleep 600 &';

/** One process's /proc/PID/ns entries, name → link text ("pid:[4026532179]"). */
export type NsTable = Readonly<Record<string, string>>;

export interface CountWorld {
  readonly playground: NsTable;
  /** The process the prediction is about: in a new PID namespace (the sleep). */
  readonly target?: Named & { readonly table: NsTable };
  readonly answer: string | undefined;
}

function nsTable(pid: number): NsTable {
  const out: Record<string, string> = {};
  let names: string[] = [];
  try {
    names = readdirSync(`/proc/${pid}/ns`);
  } catch {
    return out;
  }
  for (const n of names)
    try {
      out[n] = readlinkSync(`/proc/${pid}/ns/${n}`);
    } catch {
      // gone meanwhile
    }
  return out;
}

/** The entries whose link differs between two tables (those both have). */
export const differing = (a: NsTable, b: NsTable): string[] =>
  Object.keys(b)
    .filter((k) => a[k] !== undefined && a[k] !== b[k])
    .sort();

function countWorld(pg: PlaygroundView): CountWorld {
  const procs = pg.processes();
  const x = procs.find((p) => p.ns.pid !== 0 && p.ns.pid !== pg.ns.pid && p.comm === 'sleep') ?? procs.find((p) => p.ns.pid !== 0 && p.ns.pid !== pg.ns.pid);
  return {
    playground: nsTable(pg.init),
    ...(x !== undefined ? { target: { inside: x.inside, comm: x.comm, table: nsTable(x.pid) } } : {}),
    answer: pg.answer,
  };
}

const kindOf = (link: string | undefined) => link?.replace(/:.*$/, '');

export const nsCount = exercise<CountWorld>({
  id: 'ns-count',
  kind: 'predict',
  title: t('Predict: how many ns files change?', '预测：有几个 ns 文件会变？'),
  task: t(
    `You will run ${CMD} in the playground. Predict first: in /proc/PID/ns of that sleep, how many entries will name a different namespace from the playground shell's /proc/$$/ns (count every entry ls -l shows, *_for_children included)? Type answer N, then run the command and check: it compares the two tables.`,
    `你将在练习场里运行 ${CMD}。先预测：那个 sleep 的 /proc/PID/ns 里，会有几个条目指向与练习场 shell 的 /proc/$$/ns 不同的 namespace（ls -l 显示的每个条目都算，包括 *_for_children）？输入 answer N，然后运行命令并 check：它会比较这两张表。`,
  ),
  hints: [
    t(
      '--mount-proc implies a new mount namespace; --pid makes a new PID namespace, which the forked child is in.',
      '--mount-proc 隐含新的 mount namespace；--pid 创建新的 PID namespace，fork 出来的子进程就在其中。',
    ),
    t(
      'pid_for_children names the PID namespace a process\'s future children get: for a process inside a new PID namespace, that is the new one too.',
      'pid_for_children 指向一个进程今后的子进程所在的 PID namespace：对新 PID namespace 里的进程来说，它也是那个新的。',
    ),
    t('compare ls -l /proc/$$/ns with ls -l /proc/$(pgrep -n sleep)/ns', '比较 ls -l /proc/$$/ns 与 ls -l /proc/$(pgrep -n sleep)/ns 的输出'),
  ],
  looksAt: t(
    "every entry of /proc/PID/ns of the playground's PID 1 and of the process in a new PID namespace, and your answer",
    '练习场 1 号进程和新 PID namespace 中那个进程的 /proc/PID/ns 的每个条目，以及你的回答',
  ),
  requirements: [tool('unshare', 'util-linux')],
  observe: countWorld,
  conditions: [
    {
      id: 'started',
      description: t(
        `A sleep runs in a new PID namespace and a new mount namespace, as ${CMD} leaves it.`,
        `有一个 sleep 在新的 PID namespace 和新的 mount namespace 里运行，正如 ${CMD} 留下的那样。`,
      ),
      evaluate: (o) => {
        const x = o.target;
        const diff = x === undefined ? [] : differing(o.playground, x.table);
        const ok = x !== undefined && diff.includes('pid') && diff.includes('mnt');
        return {
          observed: x === undefined ? '-' : `${x.comm}[${x.inside}]: ${diff.join(' ') || '-'}`,
          expected: t('sleep[…]: mnt and pid new', 'sleep[…]：mnt 与 pid 是新的'),
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  x === undefined
                    ? t(`no process is in a new PID namespace: answer first, then run ${CMD}`, `没有进程在新的 PID namespace 里：先回答，再运行 ${CMD}`)
                    : t(`${x.comm}[${x.inside}] is not in a new mount namespace: run exactly ${CMD}`, `${x.comm}[${x.inside}] 不在新的 mount namespace 里：请原样运行 ${CMD}`),
              }),
        };
      },
    },
    {
      id: 'prediction',
      description: t('Your answer is the number of ns entries that differ from the playground shell\'s.', '你的回答等于与练习场 shell 不同的 ns 条目个数。'),
      evaluate: (o) => {
        const diff = o.target === undefined ? [] : differing(o.playground, o.target.table);
        const n = diff.length;
        const raw = o.answer?.trim();
        const given = raw === undefined ? undefined : /^\d+$/.test(raw) ? Number(raw) : NaN;
        const ok = o.target !== undefined && given === n;
        const children = diff.filter((d) => d.endsWith('_for_children'));
        const hint = (): Text => {
          if (given === undefined) return t('type your prediction first: answer N (a number)', '先输入你的预测：answer N（一个数字）');
          if (Number.isNaN(given)) return t(`"${o.answer}" is not a number: answer N`, `“${o.answer}”不是数字：answer N`);
          if (o.target === undefined) return t(`run ${CMD}, then check again`, `运行 ${CMD}，然后再 check`);
          const extra =
            given < n && children.length > 0
              ? t(
                  ` — ${children.join(', ')} counts too: it names the ${kindOf(o.target.table[children[0]!])} namespace the sleep's children would get, the new one.`,
                  `——${children.join('、')} 也算：它指向 sleep 的子进程将得到的 ${kindOf(o.target.table[children[0]!])} namespace，也就是新的那个。`,
                )
              : t('', '');
          return t(`you predicted ${given}; ${n} differ: ${diff.join(', ')}${extra.en}`, `你预测 ${given}；实际有 ${n} 个不同：${diff.join('、')}${extra.zh}`);
        };
        return {
          observed: t(`answer ${o.answer ?? '-'}; differing: ${diff.join(' ') || '-'} (${n})`, `回答 ${o.answer ?? '-'}；不同的：${diff.join(' ') || '-'}（${n} 个）`),
          expected: o.target === undefined ? '-' : t(`answer ${n}`, `回答 ${n}`),
          pass: ok,
          ...(ok ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `answer 3
${CMD}
sleep 0.5`,
  nearMisses: [
    {
      id: 'forgets-children',
      what: t('counts mnt and pid, forgets pid_for_children', '只数了 mnt 和 pid，忘了 pid_for_children'),
      script: `answer 2\n${CMD}\nsleep 0.5`,
      fails: 'prediction',
      hint: 'pid_for_children counts too',
    },
    {
      id: 'never-ran',
      what: t('answers but never runs the command', '回答了却没有运行命令'),
      script: 'answer 3',
      fails: 'started',
      hint: 'no process is in a new PID namespace',
    },
  ],
});

export const exercises = [keepNet, nsCount];
