// 04-mount, by hand: the learner makes mount namespaces and mounts in them; the checks read the
// mount table of every process (/proc/PID/mountinfo) and its propagation tags (shared:N, master:N).
import { join } from 'node:path';
import { exercise, mountAt, mountsOf, t, tool, type MountLine, type PlaygroundView, type Text } from '../../runner/kit/index.js';

/** A mount as the check shows it: where, what, and its propagation tags. */
export interface MountSeen {
  readonly fstype: string;
  readonly source: string;
  /** shared:N / master:N tags (empty: private). */
  readonly tags: readonly string[];
}

/** One mount namespace other than the playground's, seen through its first process. */
export interface NsSeen {
  /** The pid in the playground and the command of the process it was read through. */
  readonly inside: number;
  readonly comm: string;
  readonly mnt: number;
}

const seen = (m: MountLine | undefined): MountSeen | undefined =>
  m === undefined ? undefined : { fstype: m.fstype, source: m.source, tags: m.optional.filter((o) => /^(shared|master):/.test(o)) };

const tagText = (m: MountSeen): string => (m.tags.length === 0 ? 'private' : m.tags.join(' '));

/** Every mount namespace of the playground's processes but its own, each once (its lowest pid). */
function otherMountNs(pg: PlaygroundView): { pid: number; ns: NsSeen }[] {
  const byNs = new Map<number, { pid: number; ns: NsSeen }>();
  for (const p of pg.processes()) {
    if (p.ns.mnt === 0 || p.ns.mnt === pg.ns.mnt || byNs.has(p.ns.mnt)) continue;
    byNs.set(p.ns.mnt, { pid: p.pid, ns: { inside: p.inside, comm: p.comm, mnt: p.ns.mnt } });
  }
  return [...byNs.values()];
}

// ---- own-tmpfs: a mount that only one namespace has ----

const BOX = 'box';

export interface BoxNs extends NsSeen {
  /** What is mounted on ./box in that namespace (undefined: nothing). */
  readonly box?: MountSeen;
}

export interface BoxWorld {
  readonly playgroundMnt: number;
  /** What the playground's own mount table has on ./box. */
  readonly inPlayground?: MountSeen;
  readonly others: readonly BoxNs[];
}

async function boxWorld(pg: PlaygroundView): Promise<BoxWorld> {
  const target = join(pg.dir, BOX);
  const others = otherMountNs(pg).map(({ pid, ns }) => {
    const box = seen(mountAt(mountsOf(pid), target));
    return box === undefined ? ns : { ...ns, box };
  });
  const inPlayground = seen(mountAt(mountsOf(pg.init), target));
  return { playgroundMnt: pg.ns.mnt, ...(inPlayground !== undefined ? { inPlayground } : {}), others };
}

const boxList = (o: BoxWorld): string =>
  o.others.length === 0 ? '-' : o.others.map((n) => `${n.comm}[${n.inside}] mnt:[${n.mnt}] ${BOX}: ${n.box ? `${n.box.fstype} ${n.box.source}` : '-'}`).join(', ');

export const ownTmpfs = exercise<BoxWorld>({
  id: 'own-tmpfs',
  kind: 'do',
  title: t('A tmpfs only one namespace can see', '只有一个 namespace 看得到的 tmpfs'),
  task: t(
    `Leave a process running in a mount namespace of its own that has a tmpfs mounted on ./${BOX} (in the working directory), while the playground's own mount table has nothing mounted there. Then type check: it reads /proc/PID/mountinfo of that process and of the playground.`,
    `留下一个正在运行的进程：它处于自己的 mount namespace，那里有一个 tmpfs 挂载在 ./${BOX}（工作目录里）上，而练习场自己的挂载表里这个位置什么都没有挂载。然后输入 check：它读取这个进程和练习场的 /proc/PID/mountinfo。`,
  ),
  hints: [
    t(
      'A new mount namespace starts as a copy of the mount table; a mount made in it afterwards stays in it (unshare(1) makes the copy private).',
      '新的 mount namespace 一开始是挂载表的副本；之后在里面做的挂载只留在里面（unshare(1) 会把副本设为私有）。',
    ),
    t(
      'unshare -m runs a command in a new mount namespace; do the mount inside it, and keep the process alive (exec sleep, &) until check.',
      'unshare -m 在新的 mount namespace 里运行命令；在它里面挂载，并让进程一直活到 check（exec sleep，&）。',
    ),
    t(
      `mkdir ${BOX}; unshare -m sh -c 'mount -t tmpfs tmpfs ${BOX}; exec sleep 600' &`,
      `mkdir ${BOX}; unshare -m sh -c 'mount -t tmpfs tmpfs ${BOX}; exec sleep 600' &（在后台运行）`,
    ),
  ],
  looksAt: t(
    `/proc/PID/mountinfo of the playground and of one process in each other mount namespace: what is mounted on ./${BOX}`,
    `练习场的 /proc/PID/mountinfo，以及每个其他 mount namespace 中一个进程的 /proc/PID/mountinfo：./${BOX} 上挂载了什么`,
  ),
  requirements: [tool('unshare', 'util-linux')],
  observe: boxWorld,
  conditions: [
    {
      id: 'tmpfs-inside',
      description: t(`A process in a mount namespace of its own has a tmpfs on ./${BOX}.`, `有一个处于自己 mount namespace 的进程，它那里的 ./${BOX} 上挂载着 tmpfs。`),
      evaluate: (o) => {
        const found = o.others.some((n) => n.box?.fstype === 'tmpfs');
        const hint = (): Text => {
          const other = o.others.find((n) => n.box !== undefined);
          if (other !== undefined)
            return t(
              `${other.comm}[${other.inside}] has a ${other.box!.fstype} on ./${BOX}, not a tmpfs: mount -t tmpfs tmpfs ${BOX}`,
              `${other.comm}[${other.inside}] 的 ./${BOX} 上是 ${other.box!.fstype}，不是 tmpfs：mount -t tmpfs tmpfs ${BOX}`,
            );
          const empty = o.others[0];
          if (empty !== undefined)
            return t(
              `your process ${empty.comm}[${empty.inside}] is in a new mount namespace, but nothing is mounted on ./${BOX} there: mount inside it, e.g. unshare -m sh -c 'mount -t tmpfs tmpfs ${BOX}; exec sleep 600' &`,
              `你的进程 ${empty.comm}[${empty.inside}] 处于新的 mount namespace，但那里的 ./${BOX} 上什么都没有挂载：要在它里面挂载，例如 unshare -m sh -c 'mount -t tmpfs tmpfs ${BOX}; exec sleep 600' &`,
            );
          if (o.inPlayground !== undefined)
            return t(
              `./${BOX} is mounted in the playground's own mount namespace, where every process here sees it. Unmount it (umount ${BOX}) and mount inside unshare -m instead.`,
              `./${BOX} 挂载在练习场自己的 mount namespace 里，这里的每个进程都看得到。先卸载它（umount ${BOX}），再改在 unshare -m 里挂载。`,
            );
          return t(
            'no process is outside the playground\'s mount namespace: unshare -m, and keep the process alive (sleep, &) until check.',
            '没有任何进程在练习场的 mount namespace 之外：用 unshare -m，并让进程一直活到 check（sleep，&）。',
          );
        };
        return {
          observed: boxList(o),
          expected: t(`a process in mnt:[≠${o.playgroundMnt}] with tmpfs on ./${BOX}`, `一个在 mnt:[≠${o.playgroundMnt}] 中、./${BOX} 上挂载着 tmpfs 的进程`),
          pass: found,
          ...(found ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'playground-clean',
      description: t(`The playground's own mount table has nothing on ./${BOX}.`, `练习场自己的挂载表里 ./${BOX} 上没有挂载。`),
      evaluate: (o) => {
        const m = o.inPlayground;
        return {
          observed: m === undefined ? t('nothing mounted', '没有挂载') : `${m.fstype} ${m.source}`,
          expected: t('nothing mounted', '没有挂载'),
          pass: m === undefined,
          ...(m === undefined
            ? {}
            : {
                hint: t(
                  `the playground itself has ${m.fstype} on ./${BOX}: it was mounted here (a namespace made afterwards copies it). umount ${BOX} in the playground; mount only inside unshare -m.`,
                  `练习场自己的 ./${BOX} 上挂载着 ${m.fstype}：它是在这里挂载的（之后建的 namespace 会复制它）。在练习场里 umount ${BOX}，只在 unshare -m 里挂载。`,
                ),
              }),
        };
      },
    },
  ],
  solution: `mkdir ${BOX}
unshare -m sh -c 'mount -t tmpfs tmpfs ${BOX}; exec sleep 600' &
sleep 0.5`,
  nearMisses: [
    {
      id: 'in-playground',
      what: t('mounts in the playground itself', '在练习场自己里挂载'),
      script: `mkdir ${BOX}\nmount -t tmpfs tmpfs ${BOX}`,
      fails: 'tmpfs-inside',
      hint: "mounted in the playground's own mount namespace",
    },
    {
      id: 'mounted-before',
      what: t('mounts first, then unshares: both tables have it', '先挂载再 unshare：两张挂载表里都有'),
      script: `mkdir ${BOX}\nmount -t tmpfs tmpfs ${BOX}\nunshare -m sleep 600 &\nsleep 0.5`,
      fails: 'playground-clean',
      hint: 'the playground itself has tmpfs',
    },
    {
      id: 'nothing-mounted',
      what: t('a new mount namespace with nothing mounted in it', '新建了 mount namespace 却没有在里面挂载'),
      script: `mkdir ${BOX}\nunshare -m sleep 600 &\nsleep 0.5`,
      fails: 'tmpfs-inside',
      hint: 'but nothing is mounted on ./box there',
    },
  ],
});

// ---- propagation: predict which copy receives a mount ----

const PUB = 'pub';
const SUB = `${PUB}/a`;

/** Another namespace's copy of ./pub, and whether ./pub/a reached it. */
export interface PubCopy extends NsSeen {
  readonly pub: MountSeen;
  readonly hasSub: boolean;
}

export interface PropWorld {
  /** ./pub and ./pub/a in the playground's own mount table. */
  readonly pub?: MountSeen;
  readonly sub?: MountSeen;
  /** Every other mount namespace that has a copy of ./pub. */
  readonly copies: readonly PubCopy[];
  readonly answer: string | undefined;
}

async function propWorld(pg: PlaygroundView): Promise<PropWorld> {
  const pubPath = join(pg.dir, PUB);
  const subPath = join(pg.dir, SUB);
  const copies: PubCopy[] = [];
  for (const { pid, ns } of otherMountNs(pg)) {
    const mounts = mountsOf(pid);
    const pub = seen(mountAt(mounts, pubPath));
    if (pub !== undefined) copies.push({ ...ns, pub, hasSub: mountAt(mounts, subPath) !== undefined });
  }
  const own = mountsOf(pg.init);
  const pub = seen(mountAt(own, pubPath));
  const sub = seen(mountAt(own, subPath));
  return { ...(pub !== undefined ? { pub } : {}), ...(sub !== undefined ? { sub } : {}), copies, answer: pg.answer };
}

/** The peer group of the playground's ./pub, and whether a copy takes part in it (peer or slave). */
const groupOf = (m: MountSeen | undefined) => m?.tags.find((x) => x.startsWith('shared:'))?.slice('shared:'.length);
const receives = (o: PropWorld, c: PubCopy): boolean => {
  const g = groupOf(o.pub);
  return g !== undefined && (c.pub.tags.includes(`shared:${g}`) || c.pub.tags.includes(`master:${g}`));
};
const isPrivate = (c: PubCopy) => c.pub.tags.length === 0;
const copyList = (o: PropWorld): string =>
  o.copies.length === 0 ? '-' : o.copies.map((c) => `${c.comm}[${c.inside}] ${PUB} ${tagText(c.pub)}${c.hasSub ? ` +${SUB}` : ''}`).join(', ');
/** How many namespaces (besides the playground) see ./pub/a: what the learner predicts. */
const reached = (o: PropWorld) => o.copies.filter((c) => c.hasSub).length;

export const propagationPredict = exercise<PropWorld>({
  id: 'propagation',
  kind: 'predict',
  title: t('Predict: which copy receives the mount?', '预测：哪个副本会收到这个挂载？'),
  task: t(
    `In the playground: mkdir ${PUB}; mount -t tmpfs ${PUB} ${PUB}; mount --make-shared ${PUB}. Start two processes, each in a new mount namespace: unshare -m sleep 600 & and unshare -m --propagation slave sleep 600 &. Now predict: once you mount a tmpfs on ./${SUB} in the playground, in how many of those two namespaces will it appear? Type answer N, then mkdir ${SUB}; mount -t tmpfs a ${SUB}; and check (it counts, from each process's /proc/PID/mountinfo).`,
    `在练习场里执行：mkdir ${PUB}; mount -t tmpfs ${PUB} ${PUB}; mount --make-shared ${PUB}。启动两个进程，各自处于新的 mount namespace：unshare -m sleep 600 & 和 unshare -m --propagation slave sleep 600 &。然后预测：在练习场里往 ./${SUB} 挂载一个 tmpfs 之后，这两个 namespace 中有几个会出现它？输入 answer N，再执行 mkdir ${SUB}; mount -t tmpfs a ${SUB}，然后 check（它从每个进程的 /proc/PID/mountinfo 计数）。`,
  ),
  hints: [
    t(
      'A mount travels only between mounts of one peer group (shared:N) and from a group to its slaves (master:N); a private mount receives nothing.',
      '挂载只在同一个对等组（shared:N）的挂载之间传播，以及从对等组传到它的 slave（master:N）；private 挂载什么都收不到。',
    ),
    t(
      "unshare(1) sets the propagation of every mount in its new namespace: --propagation private unless told otherwise. Compare with findmnt -o TARGET,PROPAGATION in each (nsenter -t PID -m).",
      'unshare(1) 会设置新 namespace 里每个挂载的传播类型：不另行指定时是 --propagation private。可以在每个 namespace 里用 findmnt -o TARGET,PROPAGATION 比较（nsenter -t PID -m）。',
    ),
    t(
      `grep ${PUB} /proc/PID/mountinfo for each sleep: the private copy has no tag, the slave copy has master:N (N = the playground's shared:N).`,
      `对每个 sleep 执行 grep ${PUB} /proc/PID/mountinfo：私有副本没有标记，slave 副本带 master:N（N 就是练习场的 shared:N）。`,
    ),
  ],
  looksAt: t(
    `/proc/PID/mountinfo of the playground and of each other mount namespace: ./${PUB} with its shared:/master: tags and ./${SUB}; and your answer`,
    `练习场和每个其他 mount namespace 的 /proc/PID/mountinfo：./${PUB} 及其 shared:/master: 标记、./${SUB}；以及你的回答`,
  ),
  requirements: [tool('unshare', 'util-linux')],
  observe: propWorld,
  conditions: [
    {
      id: 'pub-shared',
      description: t(`In the playground, ./${PUB} is a mount with shared propagation.`, `在练习场里，./${PUB} 是一个传播类型为 shared 的挂载。`),
      evaluate: (o) => {
        const ok = groupOf(o.pub) !== undefined;
        return {
          observed: o.pub === undefined ? t('not mounted', '未挂载') : `${o.pub.fstype} ${tagText(o.pub)}`,
          expected: 'shared:N',
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  o.pub === undefined
                    ? t(`nothing is mounted on ./${PUB} in the playground: mkdir ${PUB}; mount -t tmpfs ${PUB} ${PUB}`, `练习场里 ./${PUB} 上没有挂载：mkdir ${PUB}; mount -t tmpfs ${PUB} ${PUB}`)
                    : t(
                        `./${PUB} is ${tagText(o.pub)}: mount --make-shared ${PUB}, then start the two processes again (each copy is taken when unshare runs)`,
                        `./${PUB} 是 ${tagText(o.pub)}：执行 mount --make-shared ${PUB}，然后重新启动两个进程（副本是在 unshare 运行时复制的）`,
                      ),
              }),
        };
      },
    },
    {
      id: 'two-copies',
      description: t(
        `Two other mount namespaces have ./${PUB}: one private copy (unshare -m) and one slave or peer of the playground's (--propagation slave).`,
        `另有两个 mount namespace 有 ./${PUB}：一个私有副本（unshare -m），一个是练习场那份的 slave 或对等挂载（--propagation slave）。`,
      ),
      evaluate: (o) => {
        const priv = o.copies.some(isPrivate);
        const rec = o.copies.some((c) => receives(o, c));
        const ok = priv && rec;
        const missing = [...(priv ? [] : ['unshare -m sleep 600 &']), ...(rec ? [] : ['unshare -m --propagation slave sleep 600 &'])].join('; ');
        return {
          observed: copyList(o),
          expected: t(`one ${PUB} private, one ${PUB} master:N or shared:N`, `一个 ${PUB} 为 private，一个 ${PUB} 为 master:N 或 shared:N`),
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  groupOf(o.pub) === undefined && o.copies.length > 0
                    ? t(
                        `./${PUB} was not shared when the copies were taken, so none can receive: make it shared, end the sleeps and start them again`,
                        `复制的时候 ./${PUB} 还不是 shared，所以没有副本能收到：把它设为 shared，结束这些 sleep 再重新启动`,
                      )
                    : t(`still missing: ${missing} (after ./${PUB} is mounted and shared)`, `还缺：${missing}（在 ./${PUB} 挂载并设为 shared 之后）`),
              }),
        };
      },
    },
    {
      id: 'sub-mounted',
      description: t(
        `./${SUB} is mounted in the playground after the two namespaces were made (no private copy got it by copying).`,
        `./${SUB} 是在两个 namespace 建好之后在练习场里挂载的（没有哪个私有副本是靠复制得到它的）。`,
      ),
      evaluate: (o) => {
        const copied = o.copies.find((c) => isPrivate(c) && c.hasSub);
        const ok = o.sub !== undefined && copied === undefined;
        return {
          observed: o.sub === undefined ? t('not mounted', '未挂载') : copied === undefined ? `${o.sub.fstype} ${SUB}` : t(`${SUB}, also in private ${copied.comm}[${copied.inside}]`, `${SUB}，私有的 ${copied.comm}[${copied.inside}] 里也有`),
          expected: t(`${SUB} mounted in the playground, absent from the private copy`, `${SUB} 挂载在练习场里，私有副本中没有`),
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  o.sub === undefined
                    ? t(`answer first, then mount it: mkdir ${SUB}; mount -t tmpfs a ${SUB}`, `先回答，再挂载：mkdir ${SUB}; mount -t tmpfs a ${SUB}`)
                    : t(
                        `the private copy ${copied!.comm}[${copied!.inside}] has ./${SUB} too: it was mounted before that unshare ran, so it was copied, not propagated. umount ${SUB}, end the sleeps, start them again, then mount it.`,
                        `私有副本 ${copied!.comm}[${copied!.inside}] 里也有 ./${SUB}：它是在那次 unshare 之前挂载的，所以是被复制过去的，而不是传播过去的。先 umount ${SUB}，结束这些 sleep 并重新启动，然后再挂载。`,
                      ),
              }),
        };
      },
    },
    {
      id: 'prediction',
      description: t(
        `Your answer is the number of those namespaces where ./${SUB} appeared.`,
        `你的回答等于出现了 ./${SUB} 的 namespace 个数。`,
      ),
      evaluate: (o) => {
        const n = reached(o);
        const who = o.copies.filter((c) => c.hasSub).map((c) => `${c.comm}[${c.inside}] ${tagText(c.pub)}`).join(', ') || '-';
        const given = o.answer === undefined ? undefined : /^-?\d+$/.test(o.answer.trim()) ? Number(o.answer.trim()) : NaN;
        const ok = given === n;
        const hint = (): Text =>
          given === undefined
            ? t('type your prediction first: answer N (a number)', '先输入你的预测：answer N（一个数字）')
            : Number.isNaN(given)
              ? t(`"${o.answer}" is not a number: answer N`, `“${o.answer}”不是数字：answer N`)
              : t(`you predicted ${given}, the kernel shows ${n} (${who}): ${why().en}`, `你预测 ${given}，内核显示 ${n}（${who}）：${why().zh}`);
        const why = (): Text => {
          const missed = o.copies.find((c) => isPrivate(c) && !c.hasSub);
          const got = o.copies.find((c) => c.hasSub && !isPrivate(c));
          if (missed !== undefined && got !== undefined)
            return t(
              `${missed.comm}[${missed.inside}]'s copy is private (unshare(1)'s default --propagation private), so it left the peer group; ${got.comm}[${got.inside}]'s copy has ${tagText(got.pub)} and receives every mount made in the group.`,
              `${missed.comm}[${missed.inside}] 的副本是 private（unshare(1) 默认 --propagation private），于是它离开了对等组；${got.comm}[${got.inside}] 的副本带 ${tagText(got.pub)}，会收到在对等组里做的每个挂载。`,
            );
          if (missed !== undefined)
            return t(
              `${missed.comm}[${missed.inside}]'s copy is private (unshare(1)'s default --propagation private): a private mount receives nothing.`,
              `${missed.comm}[${missed.inside}] 的副本是 private（unshare(1) 默认 --propagation private）：private 挂载什么都收不到。`,
            );
          if (got !== undefined)
            return t(
              `${got.comm}[${got.inside}]'s copy has ${tagText(got.pub)}: it takes part in the playground's peer group and receives its mounts.`,
              `${got.comm}[${got.inside}] 的副本带 ${tagText(got.pub)}：它属于练习场的对等组，会收到那里的挂载。`,
            );
          return t('count the namespaces whose mountinfo lists ./pub/a.', '数一数哪些 namespace 的 mountinfo 里有 ./pub/a。');
        };
        return {
          observed: t(`answer ${o.answer ?? '-'}; ${SUB} seen in ${n}: ${who}`, `回答 ${o.answer ?? '-'}；${n} 个看到了 ${SUB}：${who}`),
          expected: t(`answer ${n}`, `回答 ${n}`),
          pass: ok,
          ...(ok ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `mkdir ${PUB}
mount -t tmpfs ${PUB} ${PUB}
mount --make-shared ${PUB}
unshare -m sleep 600 &
unshare -m --propagation slave sleep 600 &
sleep 0.5
answer 1
mkdir ${SUB}
mount -t tmpfs a ${SUB}`,
  nearMisses: [
    {
      id: 'guess-two',
      what: t('predicts that both copies receive it', '预测两个副本都会收到'),
      script: `mkdir ${PUB}
mount -t tmpfs ${PUB} ${PUB}
mount --make-shared ${PUB}
unshare -m sleep 600 &
unshare -m --propagation slave sleep 600 &
sleep 0.5
answer 2
mkdir ${SUB}
mount -t tmpfs a ${SUB}`,
      fails: 'prediction',
      hint: "unshare(1)'s default --propagation private",
    },
    {
      id: 'never-shared',
      what: t('forgets mount --make-shared', '忘了 mount --make-shared'),
      script: `mkdir ${PUB}
mount -t tmpfs ${PUB} ${PUB}
unshare -m sleep 600 &
unshare -m --propagation slave sleep 600 &
sleep 0.5
answer 1
mkdir ${SUB}
mount -t tmpfs a ${SUB}`,
      fails: 'pub-shared',
      hint: 'mount --make-shared pub',
    },
    {
      id: 'mounted-first',
      what: t('mounts pub/a before starting the two processes', '在启动两个进程之前就挂载了 pub/a'),
      script: `mkdir ${PUB}
mount -t tmpfs ${PUB} ${PUB}
mount --make-shared ${PUB}
mkdir ${SUB}
mount -t tmpfs a ${SUB}
unshare -m sleep 600 &
unshare -m --propagation slave sleep 600 &
sleep 0.5
answer 2`,
      fails: 'sub-mounted',
      hint: 'copied, not propagated',
    },
  ],
});

export const exercises = [ownTmpfs, propagationPredict];
