// 02-ipc, by hand: the learner makes IPC namespaces and message queues; the checks read each
// namespace's /proc/sysvipc/msg as a process inside it does (cat run there through setns), since
// that file lists the queues of the reader's IPC namespace, whatever /proc it is read through.
import { exercise, t, type PlaygroundView, type Text } from '../../runner/kit/index.js';

/** One System V message queue, as /proc/sysvipc/msg lists it. */
export interface Queue {
  /** The key the way ipcs -q prints it (0x…). */
  readonly key: string;
  readonly msqid: number;
  /** Messages waiting in it (qnum). */
  readonly messages: number;
}

/** An IPC namespace other than the playground's, the processes that hold it and the queues in it. */
export interface IpcNsSeen {
  readonly ipc: number;
  /** Its live processes, by their playground pid. */
  readonly holders: readonly { readonly inside: number; readonly comm: string }[];
  readonly queues: readonly Queue[];
}

export interface IpcWorld {
  readonly playgroundIpc: number;
  /** The queues in the playground's own IPC namespace. */
  readonly playgroundQueues: readonly Queue[];
  /** Every other IPC namespace a process of the playground is in. */
  readonly others: readonly IpcNsSeen[];
  /** The learner's answer, for the predict exercise. */
  readonly answer: string | undefined;
}

const hex = (key: number) => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

/** The rows of /proc/sysvipc/msg (header: key msqid perms cbytes qnum …). */
export function parseMsg(text: string): Queue[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5 && /^-?\d+$/.test(f[0]!) && /^\d+$/.test(f[1]!))
    .map((f) => ({ key: hex(Number(f[0])), msqid: Number(f[1]), messages: Number(f[4]) || 0 }));
}

async function queuesIn(pg: PlaygroundView, pid: number): Promise<Queue[]> {
  const r = await pg.runIn(pid, ['ipc'], ['cat', '/proc/sysvipc/msg']);
  if (r.code !== 0) throw new Error(`cat /proc/sysvipc/msg in the IPC namespace of process ${pid}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return parseMsg(r.stdout);
}

async function ipcWorld(pg: PlaygroundView): Promise<IpcWorld> {
  const byNs = new Map<number, { pid: number; holders: { inside: number; comm: string }[] }>();
  for (const p of pg.processes()) {
    if (p.ns.ipc === 0 || p.ns.ipc === pg.ns.ipc) continue;
    const seen = byNs.get(p.ns.ipc) ?? { pid: p.pid, holders: [] };
    seen.holders.push({ inside: p.inside, comm: p.comm });
    byNs.set(p.ns.ipc, seen);
  }
  const others: IpcNsSeen[] = [];
  for (const [ipc, s] of byNs) {
    let queues: Queue[];
    try {
      queues = await queuesIn(pg, s.pid);
    } catch {
      continue; // it exited while we looked: its namespace is gone with it
    }
    others.push({ ipc, holders: s.holders, queues });
  }
  return { playgroundIpc: pg.ns.ipc, playgroundQueues: await queuesIn(pg, pg.init), others, answer: pg.answer };
}

const queuesText = (qs: readonly Queue[]): string => (qs.length === 0 ? '-' : qs.map((q) => `${q.key} (msqid ${q.msqid})`).join(', '));
const holdersText = (n: IpcNsSeen): string => n.holders.map((h) => `${h.comm}[${h.inside}]`).join(', ');
const nsListText = (o: IpcWorld): Text =>
  o.others.length === 0
    ? t('no process outside the playground\'s IPC namespace', '练习场的 IPC namespace 之外没有进程')
    : t(
        o.others.map((n) => `ipc:[${n.ipc}] held by ${holdersText(n)}: ${n.queues.length} queue(s) ${queuesText(n.queues)}`).join('; '),
        o.others.map((n) => `ipc:[${n.ipc}]（持有者 ${holdersText(n)}）：${n.queues.length} 个队列 ${queuesText(n.queues)}`).join('；'),
      );

const playgroundClean = {
  id: 'playground-clean',
  description: t("The playground's own IPC namespace has no message queue.", '练习场自己的 IPC namespace 里没有消息队列。'),
  evaluate: (o: IpcWorld) => {
    const first = o.playgroundQueues[0];
    return {
      observed: queuesText(o.playgroundQueues),
      expected: t('no queue', '没有队列'),
      pass: o.playgroundQueues.length === 0,
      ...(first !== undefined
        ? {
            hint: t(
              `the playground's IPC namespace has ${o.playgroundQueues.length} queue(s), e.g. ${first.key}: ipcmk ran in the playground, where every process sees it. Remove it (ipcrm -q ${first.msqid}) and make the queue inside the new namespace.`,
              `练习场的 IPC namespace 里有 ${o.playgroundQueues.length} 个队列，例如 ${first.key}：ipcmk 是在练习场里运行的，这里的每个进程都看得到它。删掉它（ipcrm -q ${first.msqid}），在新的 namespace 里面创建队列。`,
            ),
          }
        : {}),
    };
  },
};

export const privateQueue = exercise<IpcWorld>({
  id: 'private-queue',
  kind: 'do',
  title: t('A queue nobody else can see', '一个别人看不到的队列'),
  task: t(
    "Leave a process running in an IPC namespace of its own in which a System V message queue exists, while the playground's own IPC namespace has no queue at all (ipcs -q in the playground lists none). Then type check.",
    '留下一个正在运行的进程：它处于自己的 IPC namespace，那里有一个 System V 消息队列；而练习场自己的 IPC namespace 里一个队列也没有（在练习场里 ipcs -q 什么也不列出）。然后输入 check。',
  ),
  hints: [
    t(
      'A queue belongs to the IPC namespace of the process that created it, and lives as long as that namespace: the namespace must still have a process when you check.',
      '队列属于创建它的进程所在的 IPC namespace，并且和这个 namespace 同生共死：check 的时候这个 namespace 里必须还有进程。',
    ),
    t('unshare --ipc runs a command in a new IPC namespace; ipcmk -Q creates a queue; end the command with exec sleep 600 and run it with &.', 'unshare --ipc 在新的 IPC namespace 里运行命令；ipcmk -Q 创建一个队列；让命令以 exec sleep 600 结尾，并用 & 放到后台。'),
    t("unshare --ipc sh -c 'ipcmk -Q; exec sleep 600' &", "unshare --ipc sh -c 'ipcmk -Q; exec sleep 600' &（在后台运行）"),
  ],
  looksAt: t(
    '/proc/PID/ns/ipc of every process in the playground, and /proc/sysvipc/msg read inside each IPC namespace (cat run there through setns)',
    '练习场里每个进程的 /proc/PID/ns/ipc，以及在每个 IPC namespace 里读到的 /proc/sysvipc/msg（通过 setns 在那里运行 cat）',
  ),
  observe: ipcWorld,
  conditions: [
    {
      id: 'queue-elsewhere',
      description: t(
        "A process of the playground is in an IPC namespace other than the playground's, and a message queue exists there.",
        '练习场里有一个进程处于练习场之外的 IPC namespace，那里有一个消息队列。',
      ),
      evaluate: (o) => {
        const found = o.others.some((n) => n.queues.length > 0);
        const hint = (): Text => {
          const mine = o.playgroundQueues[0];
          if (o.others.length === 0)
            return mine !== undefined
              ? t(
                  `no process is outside the playground's IPC namespace, and your queue ${mine.key} is in the playground's own: a queue is made in the IPC namespace of the process that calls ipcmk. Run ipcmk inside unshare --ipc, and keep that process alive.`,
                  `没有任何进程在练习场的 IPC namespace 之外，而你的队列 ${mine.key} 在练习场自己的 namespace 里：队列创建在调用 ipcmk 的进程所在的 IPC namespace。请在 unshare --ipc 里面运行 ipcmk，并让那个进程一直活着。`,
                )
              : t(
                  'no process is outside the playground\'s IPC namespace: when the last process of a namespace exits, the kernel destroys the namespace and every queue in it. End the command with exec sleep 600 and run it with &.',
                  '没有任何进程在练习场的 IPC namespace 之外：一个 namespace 的最后一个进程退出时，内核会销毁这个 namespace 以及其中所有队列。让命令以 exec sleep 600 结尾，并用 & 放到后台。',
                );
          const n = o.others[0]!;
          return mine !== undefined
            ? t(
                `${holdersText(n)} is in a new IPC namespace ipc:[${n.ipc}], but no message queue exists there; the one you made, ${mine.key}, is in the playground's: ipcmk ran outside unshare. Run it inside: unshare --ipc sh -c 'ipcmk -Q; exec sleep 600' &`,
                `${holdersText(n)} 处于新的 IPC namespace ipc:[${n.ipc}]，但那里没有消息队列；你创建的 ${mine.key} 在练习场的 namespace 里：ipcmk 是在 unshare 之外运行的。请在里面运行它：unshare --ipc sh -c 'ipcmk -Q; exec sleep 600' &`,
              )
            : t(
                `${holdersText(n)} is in a new IPC namespace ipc:[${n.ipc}], but no message queue exists there: a new IPC namespace starts empty. Run ipcmk -Q inside it (before exec sleep, or with nsenter --target ${n.holders[0]!.inside} --ipc ipcmk -Q).`,
                `${holdersText(n)} 处于新的 IPC namespace ipc:[${n.ipc}]，但那里没有消息队列：新的 IPC namespace 一开始是空的。请在它里面运行 ipcmk -Q（放在 exec sleep 之前，或者用 nsenter --target ${n.holders[0]!.inside} --ipc ipcmk -Q）。`,
              );
        };
        return {
          observed: nsListText(o),
          expected: t(`a process in ipc:[≠${o.playgroundIpc}] whose namespace holds a message queue`, `一个处于 ipc:[≠${o.playgroundIpc}] 的进程，它的 namespace 里有一个消息队列`),
          pass: found,
          ...(found ? {} : { hint: hint() }),
        };
      },
    },
    playgroundClean,
  ],
  solution: `unshare --ipc sh -c 'ipcmk -Q; exec sleep 600' &
sleep 0.5`,
  nearMisses: [
    {
      id: 'queue-in-playground',
      what: t('creates the queue in the playground, then a new IPC namespace next to it', '在练习场里创建队列，然后在旁边新建一个 IPC namespace'),
      script: 'ipcmk -Q\nunshare --ipc sleep 600 &\nsleep 0.5',
      fails: 'playground-clean',
      hint: 'ipcmk ran in the playground',
    },
    {
      id: 'creator-exited',
      what: t('makes the queue in a new IPC namespace that nothing keeps alive', '在一个没有进程维持的新 IPC namespace 里创建队列'),
      script: 'unshare --ipc ipcmk -Q\nsleep 0.3',
      fails: 'queue-elsewhere',
      hint: 'the kernel destroys the namespace and every queue in it',
    },
  ],
});

/** The learner's answer as a whole number, or undefined. */
const numberOf = (answer: string | undefined): number | undefined => {
  const m = /^\s*(\d+)\s*$/.exec(answer ?? '') ?? /(?:^|\D)(\d+)(?:\D|$)/.exec(answer ?? '');
  return m ? Number(m[1]) : undefined;
};

export const startsEmpty = exercise<IpcWorld>({
  id: 'starts-empty',
  kind: 'predict',
  title: t('Predict: what a new IPC namespace inherits', '预测：新的 IPC namespace 继承了什么'),
  task: t(
    'Make two message queues in the playground itself (ipcmk -Q, twice). Then predict: in a process started with unshare --ipc, how many queues will ipcs -q list? Type answer N. Then leave such a process running, without making queues in it, and type check: it counts the queues in that namespace and compares.',
    '先在练习场里创建两个消息队列（运行两次 ipcmk -Q）。然后预测：用 unshare --ipc 启动的进程里，ipcs -q 会列出几个队列？输入 answer N。再留下这样一个正在运行的进程（不要在里面创建队列），然后输入 check：它会数出那个 namespace 里的队列并与你的预测比较。',
  ),
  hints: [
    t(
      'Lab 01: a new UTS namespace starts as a copy of its parent\'s hostname. Is a new IPC namespace a copy too? Think of what "isolation goes both ways" means for a container.',
      '实验 01：新的 UTS namespace 一开始是父 namespace 主机名的副本。新的 IPC namespace 也是副本吗？想想“隔离是双向的”对容器意味着什么。',
    ),
    t('Say your number first with answer N; then unshare --ipc sleep 600 & keeps a process in a new IPC namespace.', '先用 answer N 说出你的数字；然后 unshare --ipc sleep 600 & 让一个进程留在新的 IPC namespace 里。'),
    t('ipcmk -Q; ipcmk -Q; answer N; unshare --ipc sleep 600 &', 'ipcmk -Q; ipcmk -Q; answer N; unshare --ipc sleep 600 &（N 是你预测的数字）'),
  ],
  looksAt: t(
    "/proc/sysvipc/msg read in the playground's IPC namespace and in every other one a process of the playground is in (cat run there through setns), and your answer",
    '在练习场的 IPC namespace 以及练习场进程所在的其他每个 IPC namespace 里读到的 /proc/sysvipc/msg（通过 setns 在那里运行 cat），以及你的回答',
  ),
  observe: ipcWorld,
  conditions: [
    {
      id: 'playground-queues',
      description: t("The playground's own IPC namespace has at least two message queues.", '练习场自己的 IPC namespace 里至少有两个消息队列。'),
      evaluate: (o) => ({
        observed: queuesText(o.playgroundQueues),
        expected: t('2 or more queues', '2 个或更多队列'),
        pass: o.playgroundQueues.length >= 2,
        hint: t(
          `the playground has ${o.playgroundQueues.length} queue(s): run ipcmk -Q in the playground itself until ipcs -q lists two.`,
          `练习场里有 ${o.playgroundQueues.length} 个队列：在练习场里直接运行 ipcmk -Q，直到 ipcs -q 列出两个。`,
        ),
      }),
    },
    {
      id: 'new-namespace',
      description: t("A process of the playground is alive in an IPC namespace other than the playground's.", '练习场里有一个进程活在练习场之外的 IPC namespace 里。'),
      evaluate: (o) => ({
        observed: nsListText(o),
        expected: t(`a process in ipc:[≠${o.playgroundIpc}]`, `一个处于 ipc:[≠${o.playgroundIpc}] 的进程`),
        pass: o.others.length > 0,
        hint: t(
          'no process is outside the playground\'s IPC namespace: start one that stays, unshare --ipc sleep 600 &, so its namespace still exists when check counts.',
          '没有任何进程在练习场的 IPC namespace 之外：启动一个会留下来的进程，unshare --ipc sleep 600 &，这样 check 计数时它的 namespace 还在。',
        ),
      }),
    },
    {
      id: 'prediction',
      description: t(
        'Your answer equals the number of queues the kernel lists in the new IPC namespace.',
        '你的回答等于内核在新 IPC namespace 里列出的队列数。',
      ),
      evaluate: (o) => {
        const n = numberOf(o.answer);
        const counts = o.others.map((x) => x.queues.length);
        const pass = n !== undefined && counts.includes(n);
        const measured: Text =
          o.others.length === 0
            ? { en: '?', zh: '?' }
            : t(o.others.map((x) => `${x.queues.length} in ipc:[${x.ipc}]`).join(', '), o.others.map((x) => `ipc:[${x.ipc}] 中 ${x.queues.length} 个`).join('，'));
        const hint = (): Text => {
          if (n === undefined)
            return o.answer === undefined
              ? t('no answer yet: type answer N, your number of queues, then check.', '还没有回答：输入 answer N（你预测的队列数），然后 check。')
              : t(`"${o.answer}" has no number in it: answer with the number of queues, e.g. answer 3.`, `“${o.answer}”里没有数字：请用队列个数回答，例如 answer 3。`);
          if (counts.length === 0) return t('there is nothing to compare with yet: start the process in a new IPC namespace.', '还没有可比较的对象：先在新的 IPC namespace 里启动进程。');
          const c = counts[0]!;
          if (n === o.playgroundQueues.length && c !== n)
            return t(
              `you predicted ${n}, the playground's own count, as if the new namespace were a copy; it lists ${c}. Unlike a UTS namespace, a new IPC namespace does not copy its parent: it starts with an empty key table.`,
              `你预测的是 ${n}，正是练习场自己的队列数，好像新 namespace 是一份副本；而它列出了 ${c} 个。与 UTS namespace 不同，新的 IPC namespace 不复制父 namespace：它从一张空的 key 表开始。`,
            );
          return t(
            `you predicted ${n}; ipcs -q in the new namespace lists ${c}. Every IPC namespace has its own key table: see for yourself with nsenter --target ${o.others[0]!.holders[0]!.inside} --ipc ipcs -q.`,
            `你预测的是 ${n}；新 namespace 里的 ipcs -q 列出了 ${c} 个。每个 IPC namespace 都有自己的 key 表：用 nsenter --target ${o.others[0]!.holders[0]!.inside} --ipc ipcs -q 亲眼看看。`,
          );
        };
        return {
          observed: t(`answer: ${o.answer ?? '-'}; measured: ${measured.en}`, `回答：${o.answer ?? '-'}；测得：${measured.zh}`),
          expected: t('the answer equals the measured count', '回答等于测得的个数'),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `ipcmk -Q
ipcmk -Q
answer 0
unshare --ipc sleep 600 &
sleep 0.5`,
  nearMisses: [
    {
      id: 'predicted-a-copy',
      what: t('predicts that the new namespace copies the playground\'s queues', '预测新 namespace 会复制练习场的队列'),
      script: 'ipcmk -Q\nipcmk -Q\nanswer 2\nunshare --ipc sleep 600 &\nsleep 0.5',
      fails: 'prediction',
      hint: 'a new IPC namespace does not copy its parent',
    },
    {
      id: 'nothing-kept',
      what: t('looks with unshare --ipc ipcs -q, which leaves no process behind', '用 unshare --ipc ipcs -q 看了一眼，没有留下进程'),
      script: 'ipcmk -Q\nipcmk -Q\nanswer 0\nunshare --ipc ipcs -q',
      fails: 'new-namespace',
      hint: 'no process is outside the playground\'s IPC namespace',
    },
  ],
});

export const exercises = [privateQueue, startsEmpty];
