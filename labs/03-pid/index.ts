// 03-pid: the PID namespace gives a container its own process numbers, starting at 1, and
// makes its first process the init of that little world.
import { nsInode, type ExitStatus, type RunResult } from '../../addon/index.js';
import { Container, PerRun, attempt, program, step, type ProbeReport, startTime, basics, namespaces, tool, interactive, type Lab, type StepContext, processesIn, statusField } from '../../runner/kit/index.js';
import { about } from './about.js';

/** What the probe reports when its orphaned grandchild has been re-parented (--orphan). */
export interface OrphanEvent {
  readonly pid: number;
  readonly ppidBefore: number;
  readonly ppidAfter: number;
}

/** The first process of a new PID namespace, seen from inside and from the host. */
export interface PidOne {
  readonly report: ProbeReport;
  readonly hostPid: number;
  /** The NSpid line of its /proc/PID/status on the host, outermost first. */
  readonly nspid: readonly string[];
}

/** ps in a new PID namespace that still has the host's /proc. */
export interface HostProc {
  readonly report: ProbeReport;
  /** nslab's own host PID: a process outside the container. */
  readonly self: number;
  /** Processes listed by ps -e inside and on the host. */
  readonly psInside: number;
  readonly psHost: number;
  /** ps -e inside lists nslab's host PID. */
  readonly insideListsUs: boolean;
}

/** The orphaned grandchild, inside and (when found) from the host. */
export interface Orphan {
  readonly event: OrphanEvent;
  /** The container's PID 1, by its host PID. */
  readonly initPid: number;
  readonly pidNs: number;
  /** The grandchild's host PID, its PPid there and its start time; absent when not found. */
  readonly hostPid?: number;
  readonly hostPpid?: number;
  readonly start?: string;
}

/** What became of the namespace after its PID 1 exited. */
export interface InitExit {
  readonly pidNs: number;
  /** The grandchild's host PID (absent when it was never found) and when it was seen gone. */
  readonly hostPid?: number;
  readonly goneAfterMs?: number;
  /** How `sleep 600`, started inside, ended. */
  readonly sleeper: ExitStatus;
  /** Processes still in the namespace afterwards. */
  readonly left: readonly number[];
}

/**
 * The orphan step's container, kept running for init-exit. A live process is not an observation,
 * so init-exit finds it by the run (its cleanup stack, one per run); the container is on the
 * cleanup stack too, so a run that stops half-way still ends it.
 */
const running = new PerRun<Container>();

/** Lines of `ps -e` output minus the header. */
const psCount = (out: string) => out.split('\n').filter((l) => l.trim() !== '').length - 1;

/** The host PID of the process that is `nspid` inside the PID namespace `pidNs`. */
function hostPidOf(nspid: number, pidNs: number): number | undefined {
  return processesIn('pid', pidNs).find((pid) => {
    const ids = statusField(pid, 'NSpid');
    return ids !== undefined && ids.length > 1 && ids[ids.length - 1] === String(nspid);
  });
}

/** Poll until `pred` holds or `ms` have passed; returns the elapsed time, or undefined. */
async function within(ms: number, pred: () => boolean): Promise<number | undefined> {
  const t0 = Date.now();
  for (;;) {
    if (pred()) return Date.now() - t0;
    if (Date.now() - t0 > ms) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Start a process that never ends by itself inside the container, and wait until it is there. */
async function startSleeper(ctx: StepContext, c: Container, pidNs: number): Promise<{ ended: Promise<RunResult> }> {
  const before = new Set(processesIn('pid', pidNs));
  const result = c.exec([program('sleep'), '600']);
  result.catch(() => undefined);
  const seen = await within(3000, () => processesIn('pid', pidNs).some((p) => !before.has(p)));
  if (seen === undefined) throw new Error('sleep 600 did not appear in the container');
  ctx.log(`sleep 600 runs inside the container (${processesIn('pid', pidNs).length} processes in pid:[${pidNs}])`);
  // Wrapped: an async function returning the bare promise would wait for sleep to end.
  return { ended: result };
}

export const pidOne = step<PidOne>({
  id: 'pid-one',
  title: { en: 'CLONE_NEWPID: the child is PID 1 inside', zh: 'CLONE_NEWPID:子进程在里面是 1 号' },
  explain: {
    en: 'The first process of a new PID namespace gets number 1 there, while the host knows it by an ordinary PID. Both numbers are real: the kernel keeps one per namespace level, and /proc/PID/status lists them on its NSpid line, outermost first.',
    zh: '新 PID namespace 的第一个进程在其中编号为 1,而宿主机用一个普通的 PID 称呼它。两个号码都是真的:内核为每一层 namespace 各记一个号码,/proc/PID/status 的 NSpid 行从外到内列出它们。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUTS | CLONE_NEWPID | SIGCHLD, NULL);   /* Container [    1] */',
  modern: 'unshare --pid --fork sh -c \'echo $$\'',
  async run(ctx) {
    const c = await Container.start(ctx, { namespaces: ['pid'], label: 'PID container' });
    try {
      await attempt(ctx, ['grep', 'NSpid', `/proc/${c.pid}/status`]);
      const seen = { report: c.report, hostPid: c.pid, nspid: statusField(c.pid, 'NSpid') ?? [] };
      ctx.log(`inside: getpid() = ${c.report.pid}   host: ${c.pid}`);
      return seen;
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'pid-is-one',
      description: 'The container\'s first process sees getpid() == 1 while the host knows it by another PID.',
      evaluate: (o) => ({
        observed: `getpid() inside: ${o.report.pid}; host PID: ${o.hostPid}`,
        expected: 'inside 1, host not 1',
        pass: o.report.pid === 1 && o.hostPid !== 1,
      }),
    },
    {
      id: 'nspid-line',
      description: 'The kernel lists both numbers on the NSpid line: the host PID first, then 1.',
      evaluate: (o) => ({
        observed: `NSpid: ${o.nspid.join(' ')}`,
        expected: `NSpid: ${o.hostPid} 1`,
        pass: o.nspid.length === 2 && o.nspid[0] === String(o.hostPid) && o.nspid[1] === '1',
      }),
    },
  ],
});

export const hostProc = step<HostProc>({
  id: 'host-proc',
  title: { en: "Without a fresh /proc, ps shows the host's processes", zh: '没有新的 /proc,ps 仍列出宿主机的进程' },
  explain: {
    en: 'ps does not ask the kernel "which processes exist?"; it reads /proc. The container still has the host\'s /proc, mounted for the host\'s PID namespace, so ps inside lists every host process with host numbers, including nslab itself, which is not in the container at all. Fixing that needs a mount namespace: lab 04.',
    zh: 'ps 并不直接问内核有哪些进程,它读的是 /proc。容器仍然用着宿主机的 /proc,那是为宿主机 PID namespace 挂载的,所以容器里的 ps 用宿主机的编号列出所有宿主机进程,连根本不在容器里的 nslab 自己也在列。要解决它需要 mount namespace:见实验 04。',
  },
  article: 'ps; top   # inside the container: still every process of the host',
  modern: 'unshare --pid --fork ps -e   # without --mount-proc',
  async run(ctx) {
    const c = await Container.start(ctx, { namespaces: ['pid'], label: 'PID container' });
    try {
      const inside = await attempt(ctx, [program('ps'), '-e'], { container: c, command: 'ps -e' });
      const host = await attempt(ctx, ['ps', '-e'], { where: 'host' });
      const seen: HostProc = {
        report: c.report,
        self: process.pid,
        psInside: psCount(inside.stdout),
        psHost: psCount(host.stdout),
        insideListsUs: new RegExp(`^\\s*${process.pid}\\s`, 'm').test(inside.stdout),
      };
      ctx.measure('psInside', seen.psInside);
      ctx.measure('psHost', seen.psHost);
      return seen;
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'sees-nslab',
      description: "Inside the PID namespace, /proc (probe) and ps -e list nslab's own host PID, a process outside the container.",
      evaluate: (o) => {
        const inProbe = (o.report.pids ?? []).includes(o.self);
        return {
          observed: `PID ${o.self} in the probe's /proc: ${inProbe ? 'yes' : 'no'}; in ps -e: ${o.insideListsUs ? 'yes' : 'no'}`,
          expected: 'yes, yes',
          pass: inProbe && o.insideListsUs,
        };
      },
    },
    {
      id: 'counts-match',
      description: 'ps -e inside lists about as many processes as on the host (within 10 % or 5 processes, whichever is larger: both runs are moments apart).',
      evaluate: (o) => {
        const tol = Math.max(5, Math.ceil(o.psHost * 0.1));
        return {
          observed: `inside ${o.psInside}, host ${o.psHost} (probe counted ${o.report.procCount} /proc entries)`,
          expected: `inside within ±${tol} of the host's count, and more than 2`,
          pass: o.psInside > 2 && Math.abs(o.psInside - o.psHost) <= tol,
        };
      },
    },
  ],
});

export const orphan = step<Orphan>({
  id: 'orphan',
  title: { en: 'PID 1 adopts orphans', zh: '1 号进程收养孤儿' },
  explain: {
    en: 'The probe (PID 1) forks a middle process, which forks a grandchild and exits at once. The orphaned grandchild is re-parented to the init of its own namespace, our PID 1, not to the host\'s init: inside a container, PID 1 must reap what others leave behind.',
    zh: '探针(1 号进程)fork 出一个中间进程,中间进程再 fork 出孙进程后立即退出。成了孤儿的孙进程被过继给它所在 namespace 的 init,也就是我们的 1 号进程,而不是宿主机的 init:在容器里,1 号进程必须回收别人留下的进程。',
  },
  modern: 'unshare --pid --fork sh -c \'(sleep 60 &) ; ps -o pid,ppid,cmd\'',
  async run(ctx) {
    // A container left by an earlier run of this step ends first.
    await running.get(ctx)?.stop();
    running.delete(ctx);
    const c = await Container.start(ctx, { namespaces: ['pid'], probeArgs: ['--orphan'], label: 'PID container with an orphan' });
    // Kept for the next step: the container stays up until PID 1 is told to exit.
    running.set(ctx, c);
    const event = await c.event<OrphanEvent>('orphan');
    const pidNs = nsInode(c.pid, 'pid');
    const hostPid = hostPidOf(event.pid, pidNs);
    ctx.log(`orphan: inside pid ${event.pid}, parent ${event.ppidBefore} → ${event.ppidAfter}`);
    if (hostPid === undefined) return { event, initPid: c.pid, pidNs };
    const hostPpid = Number(statusField(hostPid, 'PPid')?.[0]);
    const start = startTime(hostPid);
    await attempt(ctx, ['grep', '-E', 'NSpid|PPid', `/proc/${hostPid}/status`], { command: `grep -E 'NSpid|PPid' /proc/${hostPid}/status` });
    return { event, initPid: c.pid, pidNs, hostPid, hostPpid, ...(start !== undefined ? { start } : {}) };
  },
  checks: [
    {
      id: 'reparented-to-one',
      description: 'The orphaned grandchild was the middle process\'s child and is now the child of PID 1 (inside view).',
      evaluate: (o) => ({
        observed: `grandchild ${o.event.pid}: parent ${o.event.ppidBefore} → ${o.event.ppidAfter}`,
        expected: 'parent other than 1 → 1',
        pass: o.event.ppidBefore !== 1 && o.event.ppidBefore > 0 && o.event.ppidAfter === 1,
      }),
    },
    {
      id: 'host-ppid-is-init',
      description: "Seen from the host, the grandchild's parent is the container's PID 1 (its host PID), not the host's init.",
      evaluate: (o) => ({
        observed: o.hostPid === undefined ? 'grandchild not found in the host /proc' : `host PID ${o.hostPid}, PPid ${o.hostPpid}`,
        expected: `PPid ${o.initPid}`,
        pass: o.hostPid !== undefined && o.hostPpid === o.initPid,
      }),
    },
  ],
});

export const initExit = step<InitExit>({
  id: 'init-exit',
  title: { en: 'When PID 1 exits, the kernel kills the namespace', zh: '1 号进程退出时,内核杀掉整个 namespace' },
  explain: {
    en: 'We also start `sleep 600` inside, a process that would never end on its own. Then PID 1 exits. The kernel sends SIGKILL to every process left in the namespace: the grandchild and sleep die, and the namespace is empty. This is why a container stops when its main process stops.',
    zh: '我们再在里面启动 `sleep 600`,它自己永远不会结束。然后让 1 号进程退出。内核向 namespace 里剩下的每个进程发送 SIGKILL:孙进程和 sleep 都死了,namespace 空了。这就是主进程一停、容器就停的原因。',
  },
  modern: 'docker stop / docker kill: the container ends when its PID 1 ends',
  async run(ctx) {
    const { pidNs, hostPid, start } = ctx.observed(orphan);
    const c = running.get(ctx);
    if (!c) throw new Error('the container of the previous step is not running');
    running.delete(ctx);
    let sleeper: { ended: Promise<RunResult> };
    try {
      sleeper = await startSleeper(ctx, c, pidNs);
    } finally {
      await c.stop();
    }
    const goneAfterMs = await within(3000, () => hostPid === undefined || startTime(hostPid) !== start);
    const { code, signal } = await sleeper.ended;
    const left = processesIn('pid', pidNs);
    ctx.log(`sleep 600 ended by ${signal ?? `exit ${code}`}; grandchild gone after ${goneAfterMs ?? '>3000'} ms`);
    ctx.measure('grandchildGoneMs', goneAfterMs ?? null);
    return { pidNs, hostPid, goneAfterMs, sleeper: { code, signal }, left };
  },
  checks: [
    {
      id: 'sleep-killed',
      description: 'sleep 600, started inside, died of SIGKILL as soon as PID 1 exited (nobody but the kernel sent it).',
      evaluate: (o) => ({
        observed: `sleep ended by ${o.sleeper.signal ?? `exit ${o.sleeper.code}`}`,
        expected: 'SIGKILL',
        pass: o.sleeper.signal === 'SIGKILL',
      }),
    },
    {
      id: 'grandchild-gone',
      description: 'The orphaned grandchild is gone within 3 s of PID 1 exiting (same PID and start time no longer in /proc).',
      evaluate: (o) => ({
        observed: o.hostPid === undefined ? 'grandchild was never found' : `host PID ${o.hostPid}: gone after ${o.goneAfterMs ?? 'more than 3000'} ms`,
        expected: 'gone within 3000 ms',
        pass: o.hostPid !== undefined && o.goneAfterMs !== undefined,
      }),
    },
    {
      id: 'namespace-empty',
      description: 'No process is left in the container\'s PID namespace.',
      evaluate: (o) => ({
        observed: `processes in pid:[${o.pidNs}]: ${o.left.length === 0 ? 'none' : o.left.join(', ')}`,
        expected: 'none',
        pass: o.left.length === 0,
      }),
    },
  ],
});

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'A container should neither see nor signal the other processes of the machine, and its programs expect the usual process tree with an init at PID 1 that reaps orphans.',
      zh: '容器既不应看到、也不应能给机器上其他进程发信号;容器里的程序还期待一棵正常的进程树,由 1 号 init 进程回收孤儿。',
    },
    tradeoff: {
      en: 'Nested numbering is cheap, but PID 1 carries duties: it must reap orphans, it ignores signals it has no handler for, and when it exits the kernel kills the whole namespace. Hence tini and docker run --init. Tools that read /proc need a fresh proc mount (lab 04).',
      zh: '嵌套编号代价很小,但 1 号进程有责任:必须回收孤儿,没有处理函数的信号对它无效,它一退出内核就杀掉整个 namespace。所以才有 tini 和 docker run --init。读 /proc 的工具还需要重新挂载 proc(见实验 04)。',
    },
    usedBy: {
      en: 'Docker and Kubernetes containers (shareProcessNamespace puts a pod in one), systemd-nspawn, LXC, unshare --pid --fork, sandboxes such as bubblewrap.',
      zh: 'Docker 和 Kubernetes 容器(shareProcessNamespace 让整个 Pod 共用一个)、systemd-nspawn、LXC、unshare --pid --fork,以及 bubblewrap 这类沙箱。',
    },
    parts: {
      en: 'clone(CLONE_NEWPID) (unshare(CLONE_NEWPID) affects the children only), getpid(), the NSpid line of /proc/PID/status, /proc/PID/ns/pid, and the child reaper.',
      zh: 'clone(CLONE_NEWPID)(unshare(CLONE_NEWPID) 只对之后的子进程生效)、getpid()、/proc/PID/status 中的 NSpid 行、/proc/PID/ns/pid,以及 child reaper。',
    },
    kernel: {
      en: 'A struct pid holds one number per level of nested pid_namespace; getpid() returns the number of the caller\'s level. Each namespace has a child_reaper (its PID 1); when it exits, zap_pid_ns_processes() sends SIGKILL to everyone left.',
      zh: 'struct pid 为每一层嵌套的 pid_namespace 各保存一个号码,getpid() 返回调用者所在那一层的号码。每个 namespace 有一个 child_reaper(它的 1 号进程);它退出时,zap_pid_ns_processes() 向剩下的所有进程发送 SIGKILL。',
    },
    alternatives: {
      en: 'A VM has a real init; Solaris zones and FreeBSD jails filter one global process table instead of renumbering; the prctl(PR_SET_CHILD_SUBREAPER) gives orphan reaping without a new namespace.',
      zh: '虚拟机里有真正的 init;Solaris zone 和 FreeBSD jail 是过滤同一张全局进程表,而不是重新编号;prctl(PR_SET_CHILD_SUBREAPER) 不建新 namespace 也能回收孤儿。',
    },
  },
  requirements: [...basics, namespaces('pid'), tool('ps', 'procps'), tool('grep', 'grep'), tool('sleep', 'coreutils')],
  steps: [pidOne, hostProc, orphan, initExit],
  shell: {
    open: (ctx) => interactive(ctx, { labId: about.id, namespaces: ['pid'] }),
  },
};
