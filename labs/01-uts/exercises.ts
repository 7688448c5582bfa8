// 01-uts, by hand: the learner makes the UTS namespaces; the checks read each process's
// /proc/PID/ns/uts and ask the kernel for the hostname inside that namespace.
import { exercise, t, PLAYGROUND_HOSTNAME, type PlaygroundView, type PgProcess } from '../../runner/kit/index.js';

/** A process of the playground with its UTS namespace and the hostname the kernel keeps there. */
export interface UtsSeen {
  /** The pid in the playground. */
  readonly inside: number;
  readonly comm: string;
  readonly uts: number;
  readonly hostname: string;
}

export interface UtsWorld {
  /** The playground's own uts inode and the hostname inside it now. */
  readonly playgroundUts: number;
  readonly playgroundName: string;
  /** Every process of the playground outside the playground's UTS namespace. */
  readonly others: readonly UtsSeen[];
}

async function hostnameIn(pg: PlaygroundView, p: PgProcess): Promise<string> {
  const r = await pg.runIn(p.pid, ['uts'], ['hostname']);
  return r.code === 0 ? r.stdout.trim() : '?';
}

async function utsWorld(pg: PlaygroundView): Promise<UtsWorld> {
  const procs = pg.processes();
  const others: UtsSeen[] = [];
  for (const p of procs)
    if (p.ns.uts !== 0 && p.ns.uts !== pg.ns.uts) others.push({ inside: p.inside, comm: p.comm, uts: p.ns.uts, hostname: await hostnameIn(pg, p) });
  const init = procs.find((p) => p.pid === pg.init);
  const playgroundName = init ? await hostnameIn(pg, init) : '?';
  return { playgroundUts: pg.ns.uts, playgroundName, others };
}

const listed = (o: UtsWorld) => (o.others.length === 0 ? '-' : o.others.map((p) => `${p.comm}[${p.inside}] uts:[${p.uts}] ${p.hostname}`).join(', '));

const keepsName = {
  id: 'playground-kept',
  description: t(`The playground's own hostname is still "${PLAYGROUND_HOSTNAME}".`, `练习场自己的主机名仍然是“${PLAYGROUND_HOSTNAME}”。`),
  evaluate: (o: UtsWorld) => ({
    observed: o.playgroundName,
    expected: PLAYGROUND_HOSTNAME,
    pass: o.playgroundName === PLAYGROUND_HOSTNAME,
    hint: t(
      `the playground itself is now called "${o.playgroundName}": hostname ran in the playground's UTS namespace. Put it back (hostname ${PLAYGROUND_HOSTNAME}) and rename only inside unshare --uts.`,
      `练习场自己现在叫“${o.playgroundName}”：hostname 是在练习场的 UTS namespace 里运行的。先改回来（hostname ${PLAYGROUND_HOSTNAME}），再只在 unshare --uts 里改名。`,
    ),
  }),
};

const BOX = 'box';

export const box = exercise<UtsWorld>({
  id: 'box',
  kind: 'do',
  title: t('A process called box', '一个叫 box 的进程'),
  task: t(
    `Leave a process running whose hostname is "${BOX}", in a UTS namespace that is not the playground's, while the playground keeps the name "${PLAYGROUND_HOSTNAME}". Then type check.`,
    `留下一个正在运行的进程：它的主机名是“${BOX}”，所在的 UTS namespace 不是练习场的，而练习场仍叫“${PLAYGROUND_HOSTNAME}”。然后输入 check。`,
  ),
  hints: [
    t('A new UTS namespace starts as a copy of its parent: renaming inside it changes only the copy.', '新的 UTS namespace 一开始是父 namespace 的副本：在里面改名只改这份副本。'),
    t('unshare --uts runs a command in a new UTS namespace; the process must still be alive when you check (end it with sleep, run it with &).', 'unshare --uts 在新的 UTS namespace 里运行命令；check 的时候这个进程必须还活着（让它以 sleep 结尾，并用 & 放到后台）。'),
    t(`unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' &`, `unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' &（在后台运行）`),
  ],
  looksAt: t(
    "/proc/PID/ns/uts of every process in the playground, and the hostname the kernel keeps in each UTS namespace (hostname run there through setns)",
    '练习场里每个进程的 /proc/PID/ns/uts，以及内核在每个 UTS namespace 里保存的主机名（通过 setns 在那里运行 hostname）',
  ),
  observe: utsWorld,
  conditions: [
    {
      id: 'box-elsewhere',
      description: t(`A process of the playground is in a UTS namespace of its own whose hostname is "${BOX}".`, `练习场里有一个进程处于自己的 UTS namespace，那里的主机名是“${BOX}”。`),
      evaluate: (o) => {
        const found = o.others.some((p) => p.hostname === BOX);
        const renamedElsewhere = o.others.find((p) => p.hostname !== BOX);
        const hint = found
          ? undefined
          : o.others.length === 0 || renamedElsewhere === undefined
            ? o.playgroundName === BOX
              ? t(
                  `"${BOX}" is the playground's own name now, not a new namespace's: every process here shares it. Use unshare --uts.`,
                  `“${BOX}”现在是练习场自己的名字，而不是新 namespace 的：这里的每个进程都共用它。请用 unshare --uts。`,
                )
              : t(
                  'no process is outside the playground\'s UTS namespace: unshare --uts, and keep the process alive (sleep, &) until check.',
                  '没有任何进程在练习场的 UTS namespace 之外：用 unshare --uts，并让进程一直活到 check（sleep，&）。',
                )
            : t(
                `your process ${renamedElsewhere!.comm}[${renamedElsewhere!.inside}] is in a new UTS namespace, but its hostname is still "${renamedElsewhere!.hostname}": run hostname ${BOX} inside it.`,
                `你的进程 ${renamedElsewhere!.comm}[${renamedElsewhere!.inside}] 处于新的 UTS namespace，但它的主机名仍是“${renamedElsewhere!.hostname}”：请在它里面运行 hostname ${BOX}。`,
              );
        return {
          observed: listed(o),
          expected: t(`a process in uts:[≠${o.playgroundUts}] whose hostname is ${BOX}`, `一个在 uts:[≠${o.playgroundUts}] 中、主机名为 ${BOX} 的进程`),
          pass: found,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    keepsName,
  ],
  solution: `unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' &
sleep 0.5`,
  nearMisses: [
    {
      id: 'renamed-playground',
      what: t('renames the playground itself', '把练习场自己改了名'),
      script: `hostname ${BOX}`,
      fails: 'box-elsewhere',
      hint: "the playground's own name now",
    },
    {
      id: 'never-renamed',
      what: t('a new UTS namespace that was never renamed', '新建了 UTS namespace 却没有改名'),
      script: 'unshare --uts sleep 600 &\nsleep 0.5',
      fails: 'box-elsewhere',
      hint: 'is in a new UTS namespace, but its hostname is still "playground"',
    },
  ],
});

/** Two processes, one UTS namespace: the second joined the first's with nsenter. */
export const join = exercise<UtsWorld>({
  id: 'join',
  kind: 'do',
  title: t('Join a UTS namespace that exists', '加入一个已有的 UTS namespace'),
  task: t(
    `Start one process in a new UTS namespace named "${BOX}". Then start a second, separate process that joins that same namespace (not a copy of it) — so both read "${BOX}" from one namespace. Leave both running and type check.`,
    `先在一个新的 UTS namespace 里启动一个进程，并把那里命名为“${BOX}”。再启动第二个独立的进程，让它加入同一个 namespace（而不是它的副本）——于是两个进程从同一个 namespace 读到“${BOX}”。让两个进程都保持运行，然后输入 check。`,
  ),
  hints: [
    t('A namespace is joined with setns(2) through a file /proc/PID/ns/uts of a process that is in it.', '加入 namespace 要用 setns(2)，通过其中某个进程的 /proc/PID/ns/uts 文件。'),
    t('nsenter --target PID --uts runs a command in the UTS namespace of PID; $! is the pid of the last background command.', 'nsenter --target PID --uts 在 PID 的 UTS namespace 里运行命令；$! 是最近一个后台命令的 pid。'),
    t(
      `unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' & sleep 0.3; nsenter --target $! --uts sleep 600 &`,
      `unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' & sleep 0.3; nsenter --target $! --uts sleep 600 &（两条都在后台）`,
    ),
  ],
  looksAt: t('/proc/PID/ns/uts of every process in the playground, and the hostname inside each UTS namespace', '练习场里每个进程的 /proc/PID/ns/uts，以及每个 UTS namespace 里的主机名'),
  observe: utsWorld,
  conditions: [
    {
      id: 'two-in-one',
      description: t(`Two processes share one UTS namespace, not the playground's, whose hostname is "${BOX}".`, `两个进程共用同一个 UTS namespace（不是练习场的），那里的主机名是“${BOX}”。`),
      evaluate: (o) => {
        const boxes = o.others.filter((p) => p.hostname === BOX);
        const byNs = new Map<number, number>();
        for (const p of boxes) byNs.set(p.uts, (byNs.get(p.uts) ?? 0) + 1);
        const shared = [...byNs.values()].some((n) => n >= 2);
        const distinct = byNs.size;
        const hint =
          boxes.length === 0
            ? t(`no process outside the playground's UTS namespace is called "${BOX}" yet: start the first one.`, `练习场的 UTS namespace 之外还没有叫“${BOX}”的进程：先启动第一个。`)
            : distinct >= 2
              ? t(
                  `${boxes.length} processes are called "${BOX}", but in ${distinct} different UTS namespaces: each unshare made a copy. Join the first one's namespace with nsenter --target PID --uts.`,
                  `有 ${boxes.length} 个进程叫“${BOX}”，但它们在 ${distinct} 个不同的 UTS namespace 里：每次 unshare 都做了一份副本。请用 nsenter --target PID --uts 加入第一个进程的 namespace。`,
                )
              : t(
                  `one process is in "${BOX}"'s namespace; a second one must join it: nsenter --target ${boxes[0]!.inside} --uts sleep 600 &`,
                  `“${BOX}”的 namespace 里只有一个进程；还需要第二个加入：nsenter --target ${boxes[0]!.inside} --uts sleep 600 &`,
                );
        return {
          observed: listed(o),
          expected: t(`two processes with the same uts:[…] ≠ uts:[${o.playgroundUts}], hostname ${BOX}`, `两个进程处于同一个 uts:[…]（≠ uts:[${o.playgroundUts}]），主机名为 ${BOX}`),
          pass: shared,
          ...(shared ? {} : { hint }),
        };
      },
    },
    keepsName,
  ],
  solution: `unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' &
first=$!
sleep 0.5
nsenter --target "$first" --uts sleep 600 &
sleep 0.3`,
  nearMisses: [
    {
      id: 'two-copies',
      what: t('two unshares: two namespaces that merely have the same name', '运行两次 unshare：得到的是两个只是同名的 namespace'),
      script: `unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' &
unshare --uts sh -c 'hostname ${BOX}; exec sleep 600' &
sleep 0.5`,
      fails: 'two-in-one',
      hint: 'in 2 different UTS namespaces',
    },
  ],
});

export const exercises = [box, join];
