// 03-pid: the PID namespace gives a container its own process numbers, starting at 1, and
// makes its first process the init of that little world.
import { nsInode } from '../../addon/index.js';
import { Container, shown, which, type ProbeReport, startTime, basics, namespaces, tool, interactive, type Lab, type StepContext, processesIn, statusField } from '../../runner/kit/index.js';
import type { RunResult } from '../../addon/index.js';

interface OrphanEvent {
  readonly pid: number;
  readonly ppidBefore: number;
  readonly ppidAfter: number;
}

interface State {
  /** The orphan step's container, stopped by the next step. */
  running?: Container;
  first?: { report: ProbeReport; hostPid: number; nspid: string[] };
  noProc?: { report: ProbeReport; psInside: number; psHost: number; insideListsUs: boolean };
  orphan?: {
    event: OrphanEvent;
    hostPid?: number;
    hostPpid?: number;
    initPid: number;
    pidNs: number;
    start?: string;
    goneAfterMs?: number;
    sleeper?: RunResult;
    left: number[];
  };
}

const ps = () => which('ps') ?? '/usr/bin/ps';
const grep = () => which('grep') ?? '/bin/grep';
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
  const sleep = which('sleep') ?? '/bin/sleep';
  const before = new Set(processesIn('pid', pidNs));
  const result = c.exec([sleep, '600']);
  result.catch(() => undefined);
  const seen = await within(3000, () => processesIn('pid', pidNs).some((p) => !before.has(p)));
  if (seen === undefined) throw new Error('sleep 600 did not appear in the container');
  ctx.log(`sleep 600 runs inside the container (${processesIn('pid', pidNs).length} processes in pid:[${pidNs}])`);
  // Wrapped: an async function returning the bare promise would wait for sleep to end.
  return { ended: result };
}

export const lab: Lab<State> = {
  id: '03-pid',
  title: { en: 'PID namespace: PID 1 inside', zh: 'PID namespace:容器里的 1 号进程' },
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
  init: () => ({}),
  steps: [
    {
      id: 'pid-one',
      title: { en: 'CLONE_NEWPID: the child is PID 1 inside', zh: 'CLONE_NEWPID:子进程在里面是 1 号' },
      explain: {
        en: 'The first process of a new PID namespace gets number 1 there, while the host knows it by an ordinary PID. Both numbers are real: the kernel keeps one per namespace level, and /proc/PID/status lists them on its NSpid line, outermost first.',
        zh: '新 PID namespace 的第一个进程在其中编号为 1,而宿主机用一个普通的 PID 称呼它。两个号码都是真的:内核为每一层 namespace 各记一个号码,/proc/PID/status 的 NSpid 行从外到内列出它们。',
      },
      article: 'clone(container_main, ..., CLONE_NEWUTS | CLONE_NEWPID | SIGCHLD, NULL);   /* Container [    1] */',
      modern: 'unshare --pid --fork sh -c \'echo $$\'',
      async run(ctx, s) {
        const c = await Container.start(ctx, { namespaces: ['pid'], label: 'PID container' });
        try {
          await shown(ctx, `grep NSpid /proc/${c.pid}/status`, [grep(), 'NSpid', `/proc/${c.pid}/status`]);
          s.first = { report: c.report, hostPid: c.pid, nspid: statusField(c.pid, 'NSpid') ?? [] };
          ctx.log(`inside: getpid() = ${c.report.pid}   host: ${c.pid}`);
        } finally {
          await c.stop();
        }
      },
      checks: [
        {
          id: 'pid-is-one',
          description: 'The container\'s first process sees getpid() == 1 while the host knows it by another PID.',
          evaluate: (s) => ({
            observed: `getpid() inside: ${s.first!.report.pid}; host PID: ${s.first!.hostPid}`,
            expected: 'inside 1, host not 1',
            pass: s.first!.report.pid === 1 && s.first!.hostPid !== 1,
          }),
        },
        {
          id: 'nspid-line',
          description: 'The kernel lists both numbers on the NSpid line: the host PID first, then 1.',
          evaluate: (s) => ({
            observed: `NSpid: ${s.first!.nspid.join(' ')}`,
            expected: `NSpid: ${s.first!.hostPid} 1`,
            pass: s.first!.nspid.length === 2 && s.first!.nspid[0] === String(s.first!.hostPid) && s.first!.nspid[1] === '1',
          }),
        },
      ],
    },
    {
      id: 'host-proc',
      title: { en: "Without a fresh /proc, ps shows the host's processes", zh: '没有新的 /proc,ps 仍列出宿主机的进程' },
      explain: {
        en: 'ps does not ask the kernel "which processes exist?"; it reads /proc. The container still has the host\'s /proc, mounted for the host\'s PID namespace, so ps inside lists every host process with host numbers, including nslab itself, which is not in the container at all. Fixing that needs a mount namespace: lab 04.',
        zh: 'ps 并不直接问内核有哪些进程,它读的是 /proc。容器仍然用着宿主机的 /proc,那是为宿主机 PID namespace 挂载的,所以容器里的 ps 用宿主机的编号列出所有宿主机进程,连根本不在容器里的 nslab 自己也在列。要解决它需要 mount namespace:见实验 04。',
      },
      article: 'ps; top   # inside the container: still every process of the host',
      modern: 'unshare --pid --fork ps -e   # without --mount-proc',
      async run(ctx, s) {
        const c = await Container.start(ctx, { namespaces: ['pid'], label: 'PID container' });
        try {
          const inside = await shown(ctx, 'ps -e', [ps(), '-e'], { container: c });
          const host = await shown(ctx, 'ps -e', [ps(), '-e'], { where: 'host' });
          s.noProc = {
            report: c.report,
            psInside: psCount(inside.stdout),
            psHost: psCount(host.stdout),
            insideListsUs: new RegExp(`^\\s*${process.pid}\\s`, 'm').test(inside.stdout),
          };
          ctx.measure('psInside', s.noProc.psInside);
          ctx.measure('psHost', s.noProc.psHost);
        } finally {
          await c.stop();
        }
      },
      checks: [
        {
          id: 'sees-nslab',
          description: "Inside the PID namespace, /proc (probe) and ps -e list nslab's own host PID, a process outside the container.",
          evaluate: (s) => {
            const inProbe = (s.noProc!.report.pids ?? []).includes(process.pid);
            return {
              observed: `PID ${process.pid} in the probe's /proc: ${inProbe ? 'yes' : 'no'}; in ps -e: ${s.noProc!.insideListsUs ? 'yes' : 'no'}`,
              expected: 'yes, yes',
              pass: inProbe && s.noProc!.insideListsUs,
            };
          },
        },
        {
          id: 'counts-match',
          description: 'ps -e inside lists about as many processes as on the host (within 10 % or 5 processes, whichever is larger: both runs are moments apart).',
          evaluate: (s) => {
            const { psInside, psHost } = s.noProc!;
            const tol = Math.max(5, Math.ceil(psHost * 0.1));
            return {
              observed: `inside ${psInside}, host ${psHost} (probe counted ${s.noProc!.report.procCount} /proc entries)`,
              expected: `inside within ±${tol} of the host's count, and more than 2`,
              pass: psInside > 2 && Math.abs(psInside - psHost) <= tol,
            };
          },
        },
      ],
    },
    {
      id: 'orphan',
      title: { en: 'PID 1 adopts orphans', zh: '1 号进程收养孤儿' },
      explain: {
        en: 'The probe (PID 1) forks a middle process, which forks a grandchild and exits at once. The orphaned grandchild is re-parented to the init of its own namespace, our PID 1, not to the host\'s init: inside a container, PID 1 must reap what others leave behind.',
        zh: '探针(1 号进程)fork 出一个中间进程,中间进程再 fork 出孙进程后立即退出。成了孤儿的孙进程被过继给它所在 namespace 的 init,也就是我们的 1 号进程,而不是宿主机的 init:在容器里,1 号进程必须回收别人留下的进程。',
      },
      modern: 'unshare --pid --fork sh -c \'(sleep 60 &) ; ps -o pid,ppid,cmd\'',
      async run(ctx, s) {
        const c = await Container.start(ctx, { namespaces: ['pid'], probeArgs: ['--orphan'], label: 'PID container with an orphan' });
        const event = await c.event<OrphanEvent>('orphan');
        const pidNs = nsInode(c.pid, 'pid');
        const hostPid = hostPidOf(event.pid, pidNs);
        s.orphan = { event, initPid: c.pid, pidNs, left: [] };
        ctx.log(`orphan: inside pid ${event.pid}, parent ${event.ppidBefore} → ${event.ppidAfter}`);
        if (hostPid !== undefined) {
          s.orphan.hostPid = hostPid;
          s.orphan.hostPpid = Number(statusField(hostPid, 'PPid')?.[0]);
          const st = startTime(hostPid);
          if (st !== undefined) s.orphan.start = st;
          await shown(ctx, `grep -E 'NSpid|PPid' /proc/${hostPid}/status`, [grep(), '-E', 'NSpid|PPid', `/proc/${hostPid}/status`]);
        }
        // Kept for the next step: the container stays up until PID 1 is told to exit.
        s.running = c;
      },
      checks: [
        {
          id: 'reparented-to-one',
          description: 'The orphaned grandchild was the middle process\'s child and is now the child of PID 1 (inside view).',
          evaluate: (s) => ({
            observed: `grandchild ${s.orphan!.event.pid}: parent ${s.orphan!.event.ppidBefore} → ${s.orphan!.event.ppidAfter}`,
            expected: 'parent other than 1 → 1',
            pass: s.orphan!.event.ppidBefore !== 1 && s.orphan!.event.ppidBefore > 0 && s.orphan!.event.ppidAfter === 1,
          }),
        },
        {
          id: 'host-ppid-is-init',
          description: "Seen from the host, the grandchild's parent is the container's PID 1 (its host PID), not the host's init.",
          evaluate: (s) => ({
            observed: s.orphan!.hostPid === undefined ? 'grandchild not found in the host /proc' : `host PID ${s.orphan!.hostPid}, PPid ${s.orphan!.hostPpid}`,
            expected: `PPid ${s.orphan!.initPid}`,
            pass: s.orphan!.hostPid !== undefined && s.orphan!.hostPpid === s.orphan!.initPid,
          }),
        },
      ],
    },
    {
      id: 'init-exit',
      title: { en: 'When PID 1 exits, the kernel kills the namespace', zh: '1 号进程退出时,内核杀掉整个 namespace' },
      explain: {
        en: 'We also start `sleep 600` inside, a process that would never end on its own. Then PID 1 exits. The kernel sends SIGKILL to every process left in the namespace: the grandchild and sleep die, and the namespace is empty. This is why a container stops when its main process stops.',
        zh: '我们再在里面启动 `sleep 600`,它自己永远不会结束。然后让 1 号进程退出。内核向 namespace 里剩下的每个进程发送 SIGKILL:孙进程和 sleep 都死了,namespace 空了。这就是主进程一停、容器就停的原因。',
      },
      modern: 'docker stop / docker kill: the container ends when its PID 1 ends',
      async run(ctx, s) {
        const c = s.running;
        if (!c) throw new Error('the container of the previous step is not running');
        delete s.running;
        const o = s.orphan!;
        let sleeper: { ended: Promise<RunResult> };
        try {
          sleeper = await startSleeper(ctx, c, o.pidNs);
        } finally {
          await c.stop();
        }
        const gone = await within(3000, () => o.hostPid === undefined || startTime(o.hostPid) !== o.start);
        if (gone !== undefined) o.goneAfterMs = gone;
        const ended = await sleeper.ended;
        o.sleeper = ended;
        o.left = processesIn('pid', o.pidNs);
        ctx.log(`sleep 600 ended by ${ended.signal ?? `exit ${ended.code}`}; grandchild gone after ${o.goneAfterMs ?? '>3000'} ms`);
        ctx.measure('grandchildGoneMs', o.goneAfterMs ?? null);
      },
      checks: [
        {
          id: 'sleep-killed',
          description: 'sleep 600, started inside, died of SIGKILL as soon as PID 1 exited (nobody but the kernel sent it).',
          evaluate: (s) => ({
            observed: `sleep ended by ${s.orphan!.sleeper?.signal ?? `exit ${s.orphan!.sleeper?.code}`}`,
            expected: 'SIGKILL',
            pass: s.orphan!.sleeper?.signal === 'SIGKILL',
          }),
        },
        {
          id: 'grandchild-gone',
          description: 'The orphaned grandchild is gone within 3 s of PID 1 exiting (same PID and start time no longer in /proc).',
          evaluate: (s) => ({
            observed: s.orphan!.hostPid === undefined ? 'grandchild was never found' : `host PID ${s.orphan!.hostPid}: gone after ${s.orphan!.goneAfterMs ?? 'more than 3000'} ms`,
            expected: 'gone within 3000 ms',
            pass: s.orphan!.hostPid !== undefined && s.orphan!.goneAfterMs !== undefined,
          }),
        },
        {
          id: 'namespace-empty',
          description: 'No process is left in the container\'s PID namespace.',
          evaluate: (s) => ({
            observed: `processes in pid:[${s.orphan!.pidNs}]: ${s.orphan!.left.length === 0 ? 'none' : s.orphan!.left.join(', ')}`,
            expected: 'none',
            pass: s.orphan!.left.length === 0,
          }),
        },
      ],
    },
  ],
  shell: {
    open: (ctx) => interactive(ctx, { labId: '03-pid', namespaces: ['pid'] }),
  },
};
