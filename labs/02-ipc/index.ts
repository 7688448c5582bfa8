// 02-ipc: the IPC namespace gives a container its own System V queues, semaphores and
// shared memory: keys are global only within one namespace.
import { msgCreate, nsInode } from '../../addon/index.js';
import { Container, attempt, probeOnce, program, step, type ProbeReport, basics, namespaces, tool, interactive, type Lab, type StepContext, msgKey, holdersOf, msgQueues } from '../../runner/kit/index.js';
import { about } from './about.js';

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
}

/** After the container stopped: who still holds its IPC namespace. */
export interface Gone {
  readonly childIpc: number;
  /** The key the container used for its own queue. */
  readonly own: number;
  readonly holders: readonly string[];
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
    if (key === undefined) throw new Error(`every System V key nslab could use for run ${ctx.token} is taken by another program`);
    try {
      const { id, value: msqid } = ctx.cleanup.createSync({ kind: 'msgq', key }, `message queue ${hex(key)}`, () => msgCreate(key), {
        confirm: (msqid) => ({ kind: 'msgq', key, msqid }),
      });
      return { key, msqid, cleanupId: id };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      ctx.log(`key ${hex(key)} is taken by another program: trying the next one`);
    }
  }
}

const hex = (key: number) => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
const listed = (key: number) => msgQueues().some((q) => q.key === key);
/** `ipcs -q` on the host, or inside a container (whose exec needs the program's path). */
const ipcsQ = (ctx: StepContext, where: { container: Container } | { where?: string } = {}) =>
  'container' in where ? attempt(ctx, [program('ipcs'), '-q'], { ...where, command: 'ipcs -q' }) : attempt(ctx, ['ipcs', '-q'], where);

export const hostQueue = step<HostQueue>({
  id: 'host-queue',
  title: { en: 'Create a message queue on the host', zh: '在宿主机上创建一个消息队列' },
  explain: {
    en: 'msgget(key, IPC_CREAT) makes a queue that any process of the same IPC namespace can open by its key. Our key spells "ns" in its high bytes so you can spot it in ipcs; it is recorded for removal before it exists.',
    zh: 'msgget(key, IPC_CREAT) 创建一个队列,同一 IPC namespace 里的任何进程都能凭 key 打开它。我们的 key 高两字节是 "ns",在 ipcs 里一眼就能认出;创建之前先登记好删除动作。',
  },
  article: 'ipcmk -Q; ipcs -q',
  modern: 'msgget(0x6e73XXXX, IPC_CREAT|IPC_EXCL|0600)   # what ipcmk -Q does, with a key of ours',
  async run(ctx) {
    const { key, msqid, cleanupId } = createHostQueue(ctx);
    ctx.log(`msgget(${hex(key)}, IPC_CREAT|IPC_EXCL|0600) = ${msqid}`);
    const r = await ipcsQ(ctx);
    return { key, msqid, cleanupId, listed: listed(key), ipcs: r.stdout };
  },
  checks: [
    {
      id: 'host-lists-queue',
      description: "The host's /proc/sysvipc/msg and ipcs -q list the new queue.",
      evaluate: (o) => ({
        observed: `/proc/sysvipc/msg: ${o.listed ? 'listed' : 'absent'}; ipcs -q: ${o.ipcs.includes(hex(o.key)) ? 'listed' : 'absent'}`,
        expected: `${hex(o.key)} listed in both`,
        pass: o.listed && o.ipcs.includes(hex(o.key)),
      }),
    },
  ],
});

export const control = step<Control>({
  id: 'control',
  title: { en: 'Control: a child without CLONE_NEWIPC sees the queue', zh: '对照实验:不带 CLONE_NEWIPC 的子进程能看到队列' },
  explain: {
    en: 'A plain clone() leaves the child in its parent\'s IPC namespace, so the key table is the same one: the child finds the host\'s queue, exactly as in the article.',
    zh: '普通 clone() 让子进程留在父进程的 IPC namespace 里,用的是同一张 key 表:子进程能找到宿主机的队列,和文章里一样。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUTS | SIGCHLD, NULL);   /* then ipcs -q inside */',
  modern: 'sh -c "ipcs -q"   # a plain child process',
  async run(ctx) {
    const { key } = ctx.observed(hostQueue);
    const parentIpc = nsInode('self', 'ipc');
    const { report, hostPid } = await probeOnce(ctx, { namespaces: [] });
    const r = await ipcsQ(ctx, { where: 'child (no CLONE_NEWIPC)' });
    ctx.log(`child ${hostPid}: ipc:[${report.ns.ipc}]   parent ${process.pid}: ipc:[${parentIpc}]`);
    return { key, parentIpc, report, childIpc: report.ns.ipc ?? 0, ipcs: r.stdout };
  },
  checks: [
    {
      id: 'child-sees-queue',
      description: "A child without CLONE_NEWIPC finds the host's queue in /proc/sysvipc/msg and in ipcs -q.",
      evaluate: (o) => {
        const inReport = (o.report.msgQueues ?? []).some((q) => q.key === o.key);
        const inIpcs = o.ipcs.includes(hex(o.key));
        return {
          observed: `probe: ${inReport ? 'listed' : 'absent'}; ipcs -q: ${inIpcs ? 'listed' : 'absent'}`,
          expected: `${hex(o.key)} listed in both`,
          pass: inReport && inIpcs,
        };
      },
    },
    {
      id: 'same-ipc-inode',
      description: "The child's /proc/PID/ns/ipc inode equals the parent's.",
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
  title: { en: 'CLONE_NEWIPC: an empty key table of its own', zh: 'CLONE_NEWIPC:一张全新的空 key 表' },
  explain: {
    en: 'With CLONE_NEWIPC the child starts with an empty IPC namespace: none of the host\'s queues exist there. The queue it creates lives in its own table, so the host cannot see it either. The isolation goes both ways.',
    zh: '加上 CLONE_NEWIPC,子进程从一个空的 IPC namespace 开始:宿主机的队列在那里都不存在。它自己创建的队列只在自己的表里,宿主机同样看不到。隔离是双向的。',
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
      label: 'IPC container',
    });
    try {
      const inside = await ipcsQ(ctx, { container: c });
      const host = await ipcsQ(ctx, { where: 'host, while the container runs' });
      return {
        key,
        own,
        parentIpc,
        report: c.report,
        childIpc: nsInode(c.pid, 'ipc'),
        ipcsInside: inside.stdout,
        hostKeys: msgQueues().map((q) => q.key),
        hostListsOwn: listed(own) || host.stdout.includes(hex(own)),
        ipcsHost: host.stdout,
      };
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'host-queues-invisible',
      description: "Inside the new IPC namespace none of the host's queues is visible (neither ours nor any other).",
      evaluate: (o) => {
        const inside = (o.report.msgQueues ?? []).map((q) => q.key);
        const common = inside.filter((k) => o.hostKeys.includes(k));
        return {
          observed: `inside: [${inside.map(hex).join(', ')}]; host: [${o.hostKeys.map(hex).join(', ')}]; ipcs inside ${o.ipcsInside.includes(hex(o.key)) ? 'lists' : 'does not list'} ${hex(o.key)}`,
          expected: `no host key inside, ${hex(o.key)} on the host only`,
          pass: o.report.msgQueues !== null && common.length === 0 && o.hostKeys.includes(o.key) && !o.ipcsInside.includes(hex(o.key)),
        };
      },
    },
    {
      id: 'own-queue-inside-only',
      description: 'The queue the container creates is listed inside (probe and ipcs -q) and not on the host.',
      evaluate: (o) => {
        const m = o.report.msgget;
        const inside = (o.report.msgQueues ?? []).some((q) => q.key === o.own) && o.ipcsInside.includes(hex(o.own));
        return {
          observed: `msgget(${hex(o.own)}) = ${m?.id ?? m?.errno}; inside: ${inside ? 'listed' : 'absent'}; host: ${o.hostListsOwn ? 'listed' : 'absent'}`,
          expected: `${hex(o.own)} created and listed inside, absent on the host`,
          pass: m !== undefined && m.errno === null && inside && !o.hostListsOwn,
        };
      },
    },
    {
      id: 'ipc-inode-differs',
      description: "The container's ipc namespace inode differs from the host's.",
      evaluate: (o) => ({
        observed: `container ipc:[${o.childIpc}] (probe saw ipc:[${o.report.ns.ipc}]), host ipc:[${o.parentIpc}]`,
        expected: 'two different inodes, and the probe agrees with the host view',
        pass: o.childIpc !== o.parentIpc && o.report.ns.ipc === o.childIpc,
      }),
    },
  ],
});

export const gone = step<Gone>({
  id: 'namespace-gone',
  title: { en: "The container's queue dies with its namespace", zh: '容器的队列随 namespace 一起消失' },
  explain: {
    en: 'Nobody removed the container\'s queue with msgctl(IPC_RMID). When the last process of the IPC namespace exited and nothing else (an open ns file, a bind mount) held it, the kernel freed the namespace and every queue in it. We look for any holder left, the way lsns does.',
    zh: '没有人用 msgctl(IPC_RMID) 删除容器里的队列。IPC namespace 的最后一个进程退出、又没有别的东西(打开的 ns 文件、bind mount)持有它时,内核就释放这个 namespace 和其中所有队列。我们像 lsns 一样找一找还有没有持有者。',
  },
  modern: 'lsns -t ipc   # the namespace is no longer listed',
  async run(ctx) {
    const { childIpc, own } = ctx.observed(isolated);
    const holders = holdersOf('ipc', childIpc);
    ctx.log(`holders of ipc:[${childIpc}]: ${holders.length === 0 ? 'none' : holders.join(', ')}`);
    return { childIpc, own, holders, hostListsOwn: listed(own) };
  },
  checks: [
    {
      id: 'namespace-freed',
      description: 'After the container stopped, no process, open file or bind mount holds its IPC namespace, so the kernel destroyed it with its queue; the queue never reached the host.',
      evaluate: (o) => ({
        observed: `holders of ipc:[${o.childIpc}]: ${o.holders.length === 0 ? 'none' : o.holders.join(', ')}; ${hex(o.own)} on the host: ${o.hostListsOwn ? 'listed' : 'absent'}`,
        expected: 'no holder; absent on the host',
        pass: o.holders.length === 0 && !o.hostListsOwn,
      }),
    },
  ],
});

export const removed = step<Removed>({
  id: 'remove-host-queue',
  title: { en: 'Remove the host queue', zh: '删除宿主机上的队列' },
  explain: {
    en: 'A queue in the host namespace outlives the process that made it: it stays until someone removes it (ipcrm, msgctl IPC_RMID) or the machine reboots. That is why nslab records it and removes it now.',
    zh: '宿主机 namespace 里的队列比创建它的进程活得长:除非有人删除它(ipcrm、msgctl IPC_RMID),否则一直留到重启。所以 nslab 事先登记了它,现在把它删掉。',
  },
  modern: 'msgctl(msqid, IPC_RMID, NULL)',
  async run(ctx) {
    const { key, cleanupId } = ctx.observed(hostQueue);
    const error = ctx.cleanup.pop(cleanupId);
    const r = await ipcsQ(ctx);
    return { key, ...(error !== undefined ? { error } : {}), listed: listed(key), ipcs: r.stdout };
  },
  checks: [
    {
      id: 'queue-removed',
      description: "The host's /proc/sysvipc/msg and ipcs -q no longer list the queue.",
      evaluate: (o) => ({
        observed: o.error ?? `/proc/sysvipc/msg: ${o.listed ? 'listed' : 'absent'}; ipcs -q: ${o.ipcs.includes(hex(o.key)) ? 'listed' : 'absent'}`,
        expected: `${hex(o.key)} absent from both`,
        pass: o.error === undefined && !o.listed && !o.ipcs.includes(hex(o.key)),
      }),
    },
  ],
});

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'System V message queues, semaphores and shared memory are found by a numeric key that is global to the machine: two containers picking the same key would talk to each other, or read each other\'s data.',
      zh: 'System V 消息队列、信号量和共享内存靠一个全机唯一的数字 key 来查找:两个容器选了同一个 key 就会互相通信,甚至读到对方的数据。',
    },
    tradeoff: {
      en: 'Complete separation of the key space at almost no cost; but processes in different containers can no longer use System V IPC to cooperate unless they share the namespace (docker --ipc=container:X). POSIX queues in /dev/mqueue follow the IPC namespace too; sockets and pipes do not.',
      zh: 'key 空间彻底分开,几乎没有代价;但不同容器的进程也就不能再用 System V IPC 协作,除非共享同一个 namespace(docker --ipc=container:X)。/dev/mqueue 里的 POSIX 队列同样归 IPC namespace 管,socket 和管道则不归它管。',
    },
    usedBy: {
      en: 'Every Docker container (--ipc=private by default, --ipc=host to share), Kubernetes pods (all containers of a pod share one IPC namespace), LXC, systemd PrivateIPC=.',
      zh: '每个 Docker 容器(默认 --ipc=private,--ipc=host 则共享)、Kubernetes Pod(同一 Pod 的容器共用一个 IPC namespace)、LXC、systemd 的 PrivateIPC=。',
    },
    parts: {
      en: 'clone(CLONE_NEWIPC) or unshare(CLONE_NEWIPC), msgget/semget/shmget with a key, /proc/sysvipc/{msg,sem,shm}, ipcmk/ipcs/ipcrm, and /proc/PID/ns/ipc.',
      zh: 'clone(CLONE_NEWIPC) 或 unshare(CLONE_NEWIPC)、带 key 的 msgget/semget/shmget、/proc/sysvipc/{msg,sem,shm}、ipcmk/ipcs/ipcrm,以及 /proc/PID/ns/ipc。',
    },
    kernel: {
      en: 'struct ipc_namespace holds three id tables (msg, sem, shm) and their limits (msgmni...). Every IPC call looks keys up in current->nsproxy->ipc_ns. When the last user of a namespace goes, free_ipc_ns() destroys every object left in it.',
      zh: 'struct ipc_namespace 里有三张 id 表(msg、sem、shm)以及各自的上限(msgmni 等)。所有 IPC 调用都在 current->nsproxy->ipc_ns 中查 key。namespace 最后一个使用者离开时,free_ipc_ns() 会销毁其中剩下的全部对象。',
    },
    alternatives: {
      en: 'Before namespaces: agree on distinct keys or use IPC_PRIVATE; a VM has its own kernel tables; modern programs prefer sockets or POSIX shared memory in a private /dev/shm mount.',
      zh: '没有 namespace 时只能约定不同的 key 或用 IPC_PRIVATE;虚拟机自有一套内核表;现代程序多用 socket,或在私有的 /dev/shm 挂载里用 POSIX 共享内存。',
    },
  },
  requirements: [...basics, namespaces('ipc'), tool('ipcs', 'util-linux')],
  steps: [hostQueue, control, isolated, gone, removed],
  shell: {
    // The article's container: CLONE_NEWUTS | CLONE_NEWIPC, named "container".
    open: (ctx) =>
      interactive(ctx, { labId: about.id, namespaces: ['uts', 'ipc'], actions: [{ do: 'sethostname', name: 'container' }] }),
  },
};
