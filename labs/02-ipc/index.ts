// 02-ipc: the IPC namespace gives a container its own System V queues, semaphores and
// shared memory: keys are global only within one namespace.
import { msgCreate, nsInode } from '../../addon/index.js';
import {
  Container,
  LabError,
  attempt,
  basics,
  holdersOf,
  interactive,
  msgKey,
  msgQueues,
  namespaces,
  probeOnce,
  program,
  startTime,
  step,
  t,
  tool,
  type Holder,
  type Lab,
  type ProbeReport,
  type StepContext,
  type Text,
} from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';

/** Our queue on the host, as the host lists it. */
export interface HostQueue {
  /** Its key: the bytes "ns" and our run's token (runner/core/undo.ts msgKey), or the next free one. */
  readonly key: number;
  readonly msqid: number;
  /** The cleanup entry that removes it (remove-host-queue pops it). */
  readonly cleanupId: number;
  /** Listed in the host's /proc/sysvipc/msg. */
  readonly listed: boolean;
  /** What `ipcs -q` printed on the host. */
  readonly ipcs: string;
}

/** The control experiment: a plain child, in its parent's IPC namespace. */
export interface Control {
  /** Our host queue's key. */
  readonly key: number;
  readonly parentIpc: number;
  readonly report: ProbeReport;
  readonly childIpc: number;
  /** What `ipcs -q` printed in the child. */
  readonly ipcs: string;
}

/** A container in a new IPC namespace that created a queue of its own. */
export interface Isolated {
  /** Our host queue's key. */
  readonly key: number;
  /** The key the container used for its own queue. */
  readonly own: number;
  readonly parentIpc: number;
  readonly report: ProbeReport;
  /** The container's ipc inode read from the host (/proc/PID/ns/ipc). */
  readonly childIpc: number;
  readonly ipcsInside: string;
  /** The keys of the host's /proc/sysvipc/msg while the container ran. */
  readonly hostKeys: readonly number[];
  /** The container's key in the host's /proc/sysvipc/msg or ipcs -q. */
  readonly hostListsOwn: boolean;
  readonly ipcsHost: string;
  /** The container's process (host PID) and its start time, to tell it from a reused PID later. */
  readonly containerPid: number;
  readonly containerStart?: string;
  /** Who held the container's IPC namespace while it ran (the scan must find the container's process). */
  readonly holdersWhileRunning: readonly Holder[];
}

/** After the container stopped: who still holds its IPC namespace. */
export interface Gone {
  readonly childIpc: number;
  /** The key the container used for its own queue. */
  readonly own: number;
  readonly containerPid: number;
  /** The scan of the same kind while the container ran: proof that it can see a holder. */
  readonly holdersWhileRunning: readonly Holder[];
  /** The container's process is no longer in /proc (that PID with that start time), read after it was reaped. */
  readonly containerGone: boolean;
  /** Holders found after it was reaped: processes, open ns files, bind mounts in any mount namespace. */
  readonly holders: readonly Holder[];
  readonly hostListsOwn: boolean;
}

/** After the host queue was removed. */
export interface Removed {
  readonly key: number;
  /** Why the removal failed, if it did. */
  readonly error?: string;
  readonly listed: boolean;
  readonly ipcs: string;
}

/** Every holder of `ipc:[inode]` the host can see (the kit's scan of processes, fds and every mount namespace). */
export const holdersOfIpc = (inode: number): Holder[] => holdersOf('ipc', inode).holders;

const holderText = (h: Holder): Text =>
  h.kind === 'process'
    ? t(`process ${h.pid}`, `进程 ${h.pid}`)
    : h.kind === 'fd'
      ? t(`fd ${h.fd} of process ${h.pid}`, `进程 ${h.pid} 的 fd ${h.fd}`)
      : t(`bind mount ${h.target} (mount table of process ${h.pid})`, `绑定挂载 ${h.target}（进程 ${h.pid} 的挂载表）`);

const holdersText = (hs: readonly Holder[]): Text =>
  hs.length === 0 ? t('none', '无') : { en: hs.map((h) => holderText(h).en).join(', '), zh: hs.map((h) => holderText(h).zh).join('、') };

/** The key the container uses inside its own namespace: not one of the keys nslab uses on the host. */
const insideKey = (key: number) => ((0x6e69 << 16) | (key & 0xffff)) >>> 0;

/**
 * msgget(IPC_CREAT|IPC_EXCL) with a key that carries our token, journalled first. A key that is
 * taken belongs to someone else: its queue is left alone and the next key is tried.
 */
function createHostQueue(ctx: StepContext): { key: number; msqid: number; cleanupId: number } {
  const token = parseInt(ctx.token, 16);
  for (let n = 0; ; n++) {
    const key = msgKey(token, n);
    if (key === undefined)
      throw new LabError(
        t(
          `every System V key nslab could use for run ${ctx.token} is taken by another program`,
          `nslab 本次运行（${ctx.token}）可用的 System V key 都已被其他程序占用`,
        ),
      );
    try {
      const { id, value: msqid } = ctx.cleanup.createSync({ kind: 'msgq', key }, t(`message queue ${hex(key)}`, `消息队列 ${hex(key)}`), () => msgCreate(key), {
        confirm: (msqid) => ({ kind: 'msgq', key, msqid }),
      });
      return { key, msqid, cleanupId: id };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      ctx.log(t(`key ${hex(key)} is taken by another program: trying the next one`, `key ${hex(key)} 已被其他程序占用：改试下一个`));
    }
  }
}

const hex = (key: number) => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
const listed = (key: number) => msgQueues().some((q) => q.key === key);
/** Listed / absent, in both languages. */
const seen = (yes: boolean): Text => (yes ? t('listed', '列出') : t('absent', '没有'));
/** `ipcs -q` on the host, or inside a container (whose exec needs the program's path). */
const ipcsQ = (ctx: StepContext, where: { container: Container } | { where?: Text } = {}) =>
  'container' in where ? attempt(ctx, [program('ipcs'), '-q'], { ...where, command: 'ipcs -q' }) : attempt(ctx, ['ipcs', '-q'], where);

export const hostQueue = step<HostQueue>({
  id: 'host-queue',
  title: { en: 'Create a message queue on the host', zh: '在宿主机上创建一个消息队列' },
  explain: {
    en: 'msgget(key, IPC_CREAT) makes a queue that any process of the same IPC namespace can open by its key. Our key spells "ns" in its high bytes so you can spot it in ipcs; it is recorded for removal before it exists. The article ran ipcmk -Q, which picks a random key; nslab calls msgget itself with a key of its own, so that it removes only its own queue.',
    zh: 'msgget(key, IPC_CREAT) 创建一个消息队列，同一 IPC namespace 里的任何进程都能凭 key 打开它。我们的 key 高两字节是“ns”，在 ipcs 里一眼就能认出；创建之前先登记好删除动作。原文用 ipcmk -Q，它随机挑一个 key；nslab 自己调用 msgget 并用自己的 key，这样只会删除自己的队列。',
  },
  article: 'ipcmk -Q; ipcs -q',
  modern: {
    en: 'msgget(0x6e73XXXX, IPC_CREAT|IPC_EXCL|0600)   # what ipcmk -Q does, with a key of ours',
    zh: 'msgget(0x6e73XXXX, IPC_CREAT|IPC_EXCL|0600)   # 即 ipcmk -Q 的做法，用我们自己的 key',
  },
  async run(ctx) {
    const { key, msqid, cleanupId } = createHostQueue(ctx);
    ctx.log(t(`msgget(${hex(key)}, IPC_CREAT|IPC_EXCL|0600) = ${msqid}`, `msgget(${hex(key)}, IPC_CREAT|IPC_EXCL|0600) 返回 ${msqid}`));
    const r = await ipcsQ(ctx);
    return { key, msqid, cleanupId, listed: msgQueues().some((q) => q.key === key && q.msqid === msqid), ipcs: r.stdout };
  },
  checks: [
    {
      id: 'host-lists-queue',
      description: t("The host's /proc/sysvipc/msg and ipcs -q list the new queue.", '宿主机的 /proc/sysvipc/msg 和 ipcs -q 都列出了新队列。'),
      evaluate: (o) => {
        const inIpcs = o.ipcs.includes(hex(o.key));
        return {
          observed: t(
            `/proc/sysvipc/msg: ${seen(o.listed).en}; ipcs -q: ${seen(inIpcs).en}`,
            `/proc/sysvipc/msg：${seen(o.listed).zh}；ipcs -q：${seen(inIpcs).zh}`,
          ),
          expected: t(`${hex(o.key)} listed in both`, `两处都列出 ${hex(o.key)}`),
          pass: o.listed && inIpcs,
        };
      },
    },
  ],
});

export const control = step<Control>({
  id: 'control',
  title: { en: 'Control: a child without CLONE_NEWIPC sees the queue', zh: '对照实验：不带 CLONE_NEWIPC 的子进程能看到队列' },
  explain: {
    en: "A plain clone() leaves the child in its parent's IPC namespace, so the key table is the same one: the child finds the host's queue, exactly as in the article.",
    zh: '普通 clone() 让子进程留在父进程的 IPC namespace 里，用的是同一张 key 表：子进程能找到宿主机的队列，和原文里一样。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUTS | SIGCHLD, NULL);   /* then ipcs -q inside */',
  modern: {
    en: 'sh -c "ipcs -q"   # a plain child process',
    zh: 'sh -c "ipcs -q"   # 普通子进程',
  },
  async run(ctx) {
    const { key } = ctx.observed(hostQueue);
    const parentIpc = nsInode('self', 'ipc');
    const { report, hostPid } = await probeOnce(ctx, { namespaces: [], label: t('probe without CLONE_NEWIPC', '不带 CLONE_NEWIPC 的探针进程') });
    const r = await ipcsQ(ctx, { where: t('child (no CLONE_NEWIPC)', '子进程（不带 CLONE_NEWIPC）') });
    ctx.log(
      t(
        `child ${hostPid}: ipc:[${report.ns.ipc}]   parent ${process.pid}: ipc:[${parentIpc}]`,
        `子进程 ${hostPid}：ipc:[${report.ns.ipc}]   父进程 ${process.pid}：ipc:[${parentIpc}]`,
      ),
    );
    return { key, parentIpc, report, childIpc: report.ns.ipc ?? 0, ipcs: r.stdout };
  },
  checks: [
    {
      id: 'child-sees-queue',
      description: t(
        "A child without CLONE_NEWIPC finds the host's queue in /proc/sysvipc/msg and in ipcs -q.",
        '不带 CLONE_NEWIPC 的子进程在 /proc/sysvipc/msg 和 ipcs -q 里都能找到宿主机的队列。',
      ),
      evaluate: (o) => {
        const inReport = (o.report.msgQueues ?? []).some((q) => q.key === o.key);
        const inIpcs = o.ipcs.includes(hex(o.key));
        return {
          observed: t(`probe: ${seen(inReport).en}; ipcs -q: ${seen(inIpcs).en}`, `探针：${seen(inReport).zh}；ipcs -q：${seen(inIpcs).zh}`),
          expected: t(`${hex(o.key)} listed in both`, `两处都列出 ${hex(o.key)}`),
          pass: inReport && inIpcs,
        };
      },
    },
    {
      id: 'same-ipc-inode',
      description: t("The child's /proc/PID/ns/ipc inode equals the parent's.", '子进程的 /proc/PID/ns/ipc inode 与父进程的相同。'),
      evaluate: (o) => ({
        observed: `ipc:[${o.childIpc}]`,
        expected: `ipc:[${o.parentIpc}]`,
        pass: o.childIpc === o.parentIpc && o.parentIpc !== 0,
      }),
    },
  ],
});

export const isolated = step<Isolated>({
  id: 'new-ipc',
  title: { en: 'CLONE_NEWIPC: an empty key table of its own', zh: 'CLONE_NEWIPC：一张全新的空 key 表' },
  explain: {
    en: "With CLONE_NEWIPC the child starts with an empty IPC namespace: none of the host's queues exist there. The queue it creates lives in its own table, so the host cannot see it either. The isolation goes both ways.",
    zh: '加上 CLONE_NEWIPC，子进程从一个空的 IPC namespace 开始：宿主机的队列在那里都不存在。它自己创建的队列只在自己的表里，宿主机同样看不到。隔离是双向的。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, NULL);',
  modern: 'unshare --ipc sh -c "ipcmk -Q; ipcs -q"',
  async run(ctx) {
    const { key } = ctx.observed(hostQueue);
    const { parentIpc } = ctx.observed(control);
    const own = insideKey(key);
    const c = await Container.start(ctx, {
      namespaces: ['ipc'],
      probeArgs: ['--msgget', String(own)],
      label: t('IPC container', 'IPC 容器'),
    });
    try {
      const inside = await ipcsQ(ctx, { container: c });
      const host = await ipcsQ(ctx, { where: t('host, while the container runs', '主机，容器运行期间') });
      const childIpc = nsInode(c.pid, 'ipc');
      const start = c.child.startTime ?? startTime(c.pid);
      return {
        key,
        own,
        parentIpc,
        report: c.report,
        childIpc,
        ipcsInside: inside.stdout,
        hostKeys: msgQueues().map((q) => q.key),
        hostListsOwn: listed(own) || host.stdout.includes(hex(own)),
        ipcsHost: host.stdout,
        containerPid: c.pid,
        ...(start !== undefined ? { containerStart: start } : {}),
        holdersWhileRunning: holdersOfIpc(childIpc),
      };
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'host-queues-invisible',
      description: t(
        "Inside the new IPC namespace none of the host's queues is visible (neither ours nor any other).",
        '新 IPC namespace 里看不到宿主机的任何队列（我们的和别人的都看不到）。',
      ),
      evaluate: (o) => {
        const inside = (o.report.msgQueues ?? []).map((q) => q.key);
        const common = inside.filter((k) => o.hostKeys.includes(k));
        const ipcsLists = o.ipcsInside.includes(hex(o.key));
        const keys = (ks: readonly number[]) => `[${ks.map(hex).join(', ')}]`;
        const insideKeys = o.report.msgQueues === null ? t('unreadable', '读不到') : keys(inside);
        return {
          observed: t(
            `inside: ${typeof insideKeys === 'string' ? insideKeys : insideKeys.en}; host: ${keys(o.hostKeys)}; ipcs inside ${ipcsLists ? 'lists' : 'does not list'} ${hex(o.key)}`,
            `容器内：${typeof insideKeys === 'string' ? insideKeys : insideKeys.zh}；宿主机：${keys(o.hostKeys)}；容器里的 ipcs ${ipcsLists ? '列出了' : '没有列出'} ${hex(o.key)}`,
          ),
          expected: t(`no host key inside, ${hex(o.key)} on the host only`, `容器内没有宿主机的 key，${hex(o.key)} 只在宿主机上`),
          pass: o.report.msgQueues !== null && common.length === 0 && o.hostKeys.includes(o.key) && !ipcsLists,
        };
      },
    },
    {
      id: 'own-queue-inside-only',
      description: t(
        'The queue the container creates is listed inside (probe and ipcs -q) and not on the host.',
        '容器创建的队列在容器内列出（探针和 ipcs -q 都能看到），宿主机上却没有。',
      ),
      evaluate: (o) => {
        const m = o.report.msgget;
        const inside = (o.report.msgQueues ?? []).some((q) => q.key === o.own) && o.ipcsInside.includes(hex(o.own));
        const got = m === undefined ? t('not called', '没有调用') : String(m.id >= 0 && m.errno === null ? m.id : m.errno);
        const said = (lang: 'en' | 'zh') => (typeof got === 'string' ? got : got[lang]);
        return {
          observed: t(
            `msgget(${hex(o.own)}) = ${said('en')}; inside: ${seen(inside).en}; host: ${seen(o.hostListsOwn).en}`,
            `msgget(${hex(o.own)}) = ${said('zh')}；容器内：${seen(inside).zh}；宿主机：${seen(o.hostListsOwn).zh}`,
          ),
          expected: t(`${hex(o.own)} created and listed inside, absent on the host`, `${hex(o.own)} 已创建并在容器内列出，宿主机上没有`),
          pass: m !== undefined && m.errno === null && inside && !o.hostListsOwn,
        };
      },
    },
    {
      id: 'ipc-inode-differs',
      description: t("The container's ipc namespace inode differs from the host's.", '容器的 ipc namespace inode 与宿主机的不同。'),
      evaluate: (o) => ({
        observed: t(
          `container ipc:[${o.childIpc}] (probe saw ipc:[${o.report.ns.ipc}]), host ipc:[${o.parentIpc}]`,
          `容器 ipc:[${o.childIpc}]（探针看到 ipc:[${o.report.ns.ipc}]），宿主机 ipc:[${o.parentIpc}]`,
        ),
        expected: t('two different inodes, and the probe agrees with the host view', '两个不同的 inode，且探针与宿主机看到的一致'),
        pass: o.childIpc !== 0 && o.childIpc !== o.parentIpc && o.report.ns.ipc === o.childIpc,
      }),
    },
  ],
});

export const gone = step<Gone>({
  id: 'namespace-gone',
  title: { en: "The container's queue dies with its namespace", zh: '容器的队列随 namespace 一起消失' },
  explain: {
    en: "Nobody removed the container's queue with msgctl(IPC_RMID). When the last process of the IPC namespace exited and nothing else (an open ns file, a bind mount) held it, the kernel freed the namespace and every queue in it. No name is left to reach that queue by: we look for any holder of the namespace left in /proc, the way lsns does. The same scan, made while the container ran, found the container's process, so an empty result means something.",
    zh: '没有人用 msgctl(IPC_RMID) 删除容器里的队列。IPC namespace 的最后一个进程退出、又没有别的东西（打开的 ns 文件、绑定挂载）持有它时，内核就释放这个 namespace 和其中所有队列，再也没有办法访问那个队列。我们像 lsns 一样在 /proc 里找这个 namespace 还有没有持有者。容器运行时做的同样扫描找到了容器的进程，所以“一个都没有”这个结果才有意义。',
  },
  modern: {
    en: 'lsns -t ipc   # the namespace is no longer listed',
    zh: 'lsns -t ipc   # 列表里不再有这个 namespace',
  },
  async run(ctx) {
    const { childIpc, own, containerPid, containerStart, holdersWhileRunning } = ctx.observed(isolated);
    // Isolated's finally awaited the container's exit: the kernel has reaped it by now.
    const containerGone = startTime(containerPid) === undefined || startTime(containerPid) !== containerStart;
    const holders = holdersOfIpc(childIpc);
    ctx.log(
      t(
        `holders of ipc:[${childIpc}] while the container ran: ${holdersText(holdersWhileRunning).en}`,
        `容器运行时 ipc:[${childIpc}] 的持有者：${holdersText(holdersWhileRunning).zh}`,
      ),
    );
    ctx.log(t(`holders of ipc:[${childIpc}] now: ${holdersText(holders).en}`, `现在 ipc:[${childIpc}] 的持有者：${holdersText(holders).zh}`));
    return { childIpc, own, containerPid, holdersWhileRunning, containerGone, holders, hostListsOwn: listed(own) };
  },
  checks: [
    {
      id: 'namespace-freed',
      description: t(
        'After the container\'s process was reaped, no process, open file or bind mount (in any mount namespace) holds its IPC namespace any more, though the same scan found that process while it ran: the kernel destroyed the namespace with its queue, which never reached the host.',
        '容器的进程被回收之后，再没有任何进程、打开的文件或绑定挂载（在任何 mount namespace 里）持有它的 IPC namespace，而同样的扫描在容器运行时找到了这个进程：内核已经连同队列一起销毁了这个 namespace，队列也从未出现在宿主机上。',
      ),
      evaluate: (o) => {
        const sawInit = o.holdersWhileRunning.some((h) => h.kind === 'process' && h.pid === o.containerPid);
        return {
          observed: t(
            `ipc:[${o.childIpc}] held while running by: ${holdersText(o.holdersWhileRunning).en}; PID ${o.containerPid} ${o.containerGone ? 'gone' : 'still there'}; held now by: ${holdersText(o.holders).en}; ${hex(o.own)} on the host: ${seen(o.hostListsOwn).en}`,
            `ipc:[${o.childIpc}] 运行时的持有者：${holdersText(o.holdersWhileRunning).zh}；PID ${o.containerPid} ${o.containerGone ? '已消失' : '仍在'}；现在的持有者：${holdersText(o.holders).zh}；宿主机上的 ${hex(o.own)}：${seen(o.hostListsOwn).zh}`,
          ),
          expected: t(
            `held by process ${o.containerPid} while running; then PID ${o.containerPid} gone, no holder left, absent on the host`,
            `运行时由进程 ${o.containerPid} 持有；之后 PID ${o.containerPid} 消失，没有任何持有者，宿主机上也没有`,
          ),
          pass: o.childIpc !== 0 && sawInit && o.containerGone && o.holders.length === 0 && !o.hostListsOwn,
        };
      },
    },
  ],
});

export const removed = step<Removed>({
  id: 'remove-host-queue',
  title: { en: 'Remove the host queue', zh: '删除宿主机上的队列' },
  explain: {
    en: 'A queue in the host namespace outlives the process that made it: it stays until someone removes it (ipcrm, msgctl IPC_RMID) or the machine reboots. That is why nslab records it and removes it now.',
    zh: '宿主机 namespace 里的队列比创建它的进程活得长：除非有人删除它（ipcrm、msgctl IPC_RMID），否则一直留到重启。所以 nslab 事先登记了它，现在把它删掉。',
  },
  modern: 'msgctl(msqid, IPC_RMID, NULL)',
  async run(ctx) {
    const { key, msqid, cleanupId } = ctx.observed(hostQueue);
    const error = ctx.cleanup.pop(cleanupId);
    ctx.log(
      error === undefined
        ? t(`msgctl(${msqid}, IPC_RMID) done`, `已执行 msgctl(${msqid}, IPC_RMID)`)
        : t(`msgctl(${msqid}, IPC_RMID) failed: ${error}`, `msgctl(${msqid}, IPC_RMID) 失败：${error}`),
    );
    const r = await ipcsQ(ctx);
    return { key, ...(error !== undefined ? { error } : {}), listed: listed(key), ipcs: r.stdout };
  },
  checks: [
    {
      id: 'queue-removed',
      description: t("The host's /proc/sysvipc/msg and ipcs -q no longer list the queue.", '宿主机的 /proc/sysvipc/msg 和 ipcs -q 都不再列出这个队列。'),
      evaluate: (o) => {
        const inIpcs = o.ipcs.includes(hex(o.key));
        return {
          observed: t(
            `${o.error !== undefined ? `removal failed: ${o.error}; ` : ''}/proc/sysvipc/msg: ${seen(o.listed).en}; ipcs -q: ${seen(inIpcs).en}`,
            `${o.error !== undefined ? `删除失败：${o.error}；` : ''}/proc/sysvipc/msg：${seen(o.listed).zh}；ipcs -q：${seen(inIpcs).zh}`,
          ),
          expected: t(`${hex(o.key)} absent from both`, `两处都没有 ${hex(o.key)}`),
          pass: o.error === undefined && !o.listed && !inIpcs,
        };
      },
    },
  ],
});

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'System V message queues, semaphores and shared memory are found by a numeric key that is global to the machine: two containers picking the same key would talk to each other, or read each other\'s data.',
      zh: 'System V 消息队列、信号量和共享内存靠一个全机唯一的数字 key 来查找：两个容器选了同一个 key 就会互相通信，甚至读到对方的数据。',
    },
    tradeoff: {
      en: 'Complete separation of the key space at almost no cost; but processes in different containers can no longer use System V IPC to cooperate unless they share the namespace (docker --ipc=container:X). POSIX queues in /dev/mqueue follow the IPC namespace too; sockets and pipes do not.',
      zh: 'key 空间彻底分开，几乎没有代价；但不同容器的进程也就不能再用 System V IPC 协作，除非共享同一个 namespace（docker --ipc=container:X）。/dev/mqueue 里的 POSIX 队列同样归 IPC namespace 管，socket 和管道则不归它管。',
    },
    usedBy: {
      en: 'Every Docker container (--ipc=private by default, --ipc=host to share), Kubernetes pods (all containers of a pod share one IPC namespace), LXC, systemd PrivateIPC=.',
      zh: '每个 Docker 容器（默认 --ipc=private，--ipc=host 则共享）、Kubernetes Pod（同一 Pod 的容器共用一个 IPC namespace）、LXC、systemd 的 PrivateIPC=。',
    },
    parts: {
      en: 'clone(CLONE_NEWIPC) or unshare(CLONE_NEWIPC), msgget/semget/shmget with a key, /proc/sysvipc/{msg,sem,shm}, ipcmk/ipcs/ipcrm, and /proc/PID/ns/ipc.',
      zh: 'clone(CLONE_NEWIPC) 或 unshare(CLONE_NEWIPC)、带 key 的 msgget/semget/shmget、列出对象的 /proc/sysvipc/{msg,sem,shm}、命令 ipcmk/ipcs/ipcrm，以及 /proc/PID/ns/ipc。',
    },
    kernel: {
      en: 'struct ipc_namespace holds three id tables (msg, sem, shm) and their limits (msgmni...). Every IPC call looks keys up in current->nsproxy->ipc_ns. When the last user of a namespace goes, free_ipc_ns() destroys every object left in it.',
      zh: 'struct ipc_namespace 里有三张 id 表（msg、sem、shm）以及各自的上限（msgmni 等）。所有 IPC 调用都在 current->nsproxy->ipc_ns 中查 key。namespace 最后一个使用者离开时，free_ipc_ns() 会销毁其中剩下的全部对象。',
    },
    alternatives: {
      en: 'Before namespaces: agree on distinct keys or use IPC_PRIVATE; a VM has its own kernel tables; modern programs prefer sockets or POSIX shared memory in a private /dev/shm mount.',
      zh: '没有 namespace 时只能约定不同的 key 或用 IPC_PRIVATE；虚拟机自有一套内核表；现代程序多用 socket，或在私有的 /dev/shm 挂载里用 POSIX 共享内存。',
    },
  },
  requirements: [...basics, namespaces('ipc'), tool('ipcs', 'util-linux')],
  steps: [hostQueue, control, isolated, gone, removed],
  shell: {
    // The article's container: CLONE_NEWUTS | CLONE_NEWIPC, named "container".
    open: (ctx) =>
      interactive(ctx, { labId: about.id, namespaces: ['uts', 'ipc'], actions: [{ do: 'sethostname', name: 'container' }] }),
  },
  exercises,
};
