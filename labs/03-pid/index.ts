// 03-pid: the PID namespace gives a container its own process numbers, starting at 1, and
// makes its first process the init of that little world.
import { nsInode, type ExitStatus, type RunResult } from '../../addon/index.js';
import {
  Container,
  LabError,
  PerRun,
  WHERE,
  attempt,
  basics,
  interactive,
  namespaces,
  processesIn,
  program,
  startTime,
  statusField,
  step,
  t,
  tool,
  tryRead,
  type Lab,
  type ProbeReport,
  type StepContext,
  type Text,
} from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';

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

/** PID 1 of a new namespace, signalled from inside and then from the host. */
export interface InitSignals {
  readonly pidNs: number;
  /** PID 1 by its host PID. */
  readonly hostPid: number;
  /** The SigCgt and SigIgn masks of its /proc/PID/status (hex): which signals it handles or ignores. */
  readonly sigCgt: string;
  readonly sigIgn: string;
  /** The shell that sent the signals from inside: its own PID there ($$) and the pid namespace it was in. */
  readonly senderPid?: number;
  readonly senderNs?: number;
  /** The exit status of `kill -TERM 1` and `kill -KILL 1` inside (0: the kernel accepted the call). */
  readonly rcTerm?: number;
  readonly rcKill?: number;
  /** PID 1 about 300 ms after those kills: its state letter (absent when it is gone) and whether it is the same process (start time). */
  readonly stateAfter?: string;
  readonly sameProcess: boolean;
  /** The exit status of `kill -TERM <host PID>` run on the host, and PID 1 about 300 ms later. */
  readonly rcHostTerm: number | null;
  readonly stateAfterHostTerm?: string;
  readonly sameAfterHostTerm: boolean;
  /** The exit status of `kill -KILL <host PID>` run on the host. */
  readonly rcHostKill: number | null;
  /** How PID 1 ended, as the kernel's wait status told nslab (absent: still running after 3 s). */
  readonly ended?: ExitStatus;
  /** Its PID with its start time is gone from /proc after it was reaped. */
  readonly goneAfter: boolean;
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
  if (seen === undefined) throw new LabError(t('sleep 600 did not appear in the container within 3 s', 'sleep 600 在 3 秒内没有出现在容器里'));
  const n = processesIn('pid', pidNs).length;
  ctx.log(t(`sleep 600 runs inside the container (${n} processes in pid:[${pidNs}])`, `sleep 600 正在容器里运行（pid:[${pidNs}] 中有 ${n} 个进程）`));
  // Wrapped: an async function returning the bare promise would wait for sleep to end.
  return { ended: result };
}

/** The state letter of /proc/PID/stat (R, S, D, Z…), or undefined when the process is gone. */
function stateOf(pid: number): string | undefined {
  const stat = tryRead(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** Whether signal `n` is set in a SigCgt/SigIgn mask of /proc/PID/status (hex, bit n-1). */
const inMask = (mask: string, n: number): boolean => /^[0-9a-f]+$/i.test(mask) && (BigInt(`0x${mask}`) & (1n << BigInt(n - 1))) !== 0n;

const SIGKILL = 9;
const SIGTERM = 15;

/** Neither SIGTERM nor SIGKILL is caught or ignored by the process (masks unreadable: false). */
const noHandler = (o: InitSignals): boolean =>
  /^[0-9a-f]+$/i.test(o.sigCgt) && /^[0-9a-f]+$/i.test(o.sigIgn) && ![SIGTERM, SIGKILL].some((n) => inMask(o.sigCgt, n) || inMask(o.sigIgn, n));

/** A state letter read after some signals: the same process, running (not a zombie, not dead). */
const alive = (state: string | undefined, same: boolean): boolean => state !== undefined && !['Z', 'X', 'x'].includes(state) && same;

const afterText = (state: string | undefined, same: boolean): Text =>
  state === undefined
    ? t('gone', '已消失')
    : t(`state ${state}, ${same ? 'same process' : 'another process'}`, `状态 ${state}，${same ? '是同一个进程' : '已换成别的进程'}`);

/** Whether PID 1 catches or ignores SIGTERM or SIGKILL, as its SigCgt/SigIgn masks say. */
const handlerText = (o: InitSignals): Text =>
  !/^[0-9a-f]+$/i.test(o.sigCgt) || !/^[0-9a-f]+$/i.test(o.sigIgn)
    ? t('unknown (masks not read)', '未知（没有读到掩码）')
    : noHandler(o)
      ? t('none', '无')
      : t(`caught or ignored (SigCgt ${o.sigCgt}, SigIgn ${o.sigIgn})`, `被捕获或忽略（SigCgt ${o.sigCgt}，SigIgn ${o.sigIgn}）`);

export const pidOne = step<PidOne>({
  id: 'pid-one',
  title: { en: 'CLONE_NEWPID: the child is PID 1 inside', zh: 'CLONE_NEWPID：子进程在里面是 1 号' },
  explain: {
    en: 'The first process of a new PID namespace gets number 1 there, while the host knows it by an ordinary PID. Both numbers are real: the kernel keeps one per namespace level, and /proc/PID/status lists them on its NSpid line, outermost first.',
    zh: '新 PID namespace 的第一个进程在其中编号为 1，而宿主机用一个普通的 PID 称呼它。两个号码都是真的：内核为每一层 namespace 各记一个号码，/proc/PID/status 的 NSpid 行从外到内列出它们。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUTS | CLONE_NEWPID | SIGCHLD, NULL);   /* Container [    1] */',
  modern: "unshare --pid --fork sh -c 'echo $$'",
  async run(ctx) {
    const c = await Container.start(ctx, { namespaces: ['pid'], label: t('PID container', 'PID 容器') });
    try {
      await attempt(ctx, ['grep', 'NSpid', `/proc/${c.pid}/status`]);
      const seen = { report: c.report, hostPid: c.pid, nspid: statusField(c.pid, 'NSpid') ?? [] };
      ctx.log(t(`inside: getpid() = ${c.report.pid}   host: ${c.pid}`, `容器内：getpid() = ${c.report.pid}   宿主机：${c.pid}`));
      return seen;
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'pid-is-one',
      description: t(
        "The container's first process sees getpid() == 1 while the host knows it by another PID.",
        '容器的第一个进程看到 getpid() == 1，而宿主机用另一个 PID 称呼它。',
      ),
      evaluate: (o) => ({
        observed: t(`getpid() inside: ${o.report.pid}; host PID: ${o.hostPid}`, `容器内 getpid()：${o.report.pid}；宿主机 PID：${o.hostPid}`),
        expected: t('inside 1, host not 1', '容器内是 1，宿主机上不是 1'),
        pass: o.report.pid === 1 && o.hostPid !== 1,
      }),
    },
    {
      id: 'nspid-line',
      description: t('The kernel lists both numbers on the NSpid line: the host PID first, then 1.', '内核在 NSpid 行列出两个号码：先是宿主机 PID，然后是 1。'),
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
  title: { en: "Without a fresh /proc, ps shows the host's processes", zh: '没有新的 /proc，ps 仍列出宿主机的进程' },
  explain: {
    en: 'ps does not ask the kernel "which processes exist?"; it reads /proc. The container still has the host\'s /proc, mounted for the host\'s PID namespace, so ps inside lists every host process with host numbers, including nslab itself, which is not in the container at all. Fixing that needs a mount namespace: lab 04.',
    zh: 'ps 并不直接问内核有哪些进程，它读的是 /proc。容器仍然用着宿主机的 /proc，那是为宿主机 PID namespace 挂载的，所以容器里的 ps 用宿主机的编号列出所有宿主机进程，连根本不在容器里的 nslab 自己也在列。要解决它需要 mount namespace：见实验 04。',
  },
  article: 'ps; top   # inside the container: still every process of the host',
  modern: {
    en: 'unshare --pid --fork ps -e   # without --mount-proc',
    zh: 'unshare --pid --fork ps -e   # 不带 --mount-proc',
  },
  async run(ctx) {
    const c = await Container.start(ctx, { namespaces: ['pid'], label: t('PID container', 'PID 容器') });
    try {
      const inside = await attempt(ctx, [program('ps'), '-e'], { container: c, command: 'ps -e' });
      const host = await attempt(ctx, ['ps', '-e'], { where: WHERE.host });
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
      description: t(
        "Inside the PID namespace, /proc (probe) and ps -e list nslab's own host PID, a process outside the container.",
        '在 PID namespace 里，/proc（探针）和 ps -e 都列出了 nslab 自己的宿主机 PID，而它是容器外的进程。',
      ),
      evaluate: (o) => {
        const inProbe = (o.report.pids ?? []).includes(o.self);
        const yn = (b: boolean) => (b ? t('yes', '是') : t('no', '否'));
        return {
          observed: t(
            `PID ${o.self} in the probe's /proc: ${yn(inProbe).en}; in ps -e: ${yn(o.insideListsUs).en}`,
            `PID ${o.self} 在探针读到的 /proc 里：${yn(inProbe).zh}；在 ps -e 里：${yn(o.insideListsUs).zh}`,
          ),
          expected: t('yes, yes', '是，是'),
          pass: inProbe && o.insideListsUs,
        };
      },
    },
    {
      id: 'counts-match',
      description: t(
        'ps -e inside lists about as many processes as on the host (within 10 % or 5 processes, whichever is larger: both runs are moments apart).',
        '容器里的 ps -e 列出的进程数与宿主机上的大致相同（误差不超过 10 % 或 5 个进程，取较大者：两次运行相隔片刻）。',
      ),
      evaluate: (o) => {
        const tol = Math.max(5, Math.ceil(o.psHost * 0.1));
        return {
          observed: t(
            `inside ${o.psInside}, host ${o.psHost} (probe counted ${o.report.procCount} /proc entries)`,
            `容器内 ${o.psInside}，宿主机 ${o.psHost}（探针数到 ${o.report.procCount} 个 /proc 条目）`,
          ),
          expected: t(`inside within ±${tol} of the host's count, and more than 2`, `容器内与宿主机相差不超过 ±${tol}，且多于 2 个`),
          pass: o.psInside > 2 && Math.abs(o.psInside - o.psHost) <= tol,
        };
      },
    },
  ],
});

export const initSignals = step<InitSignals>({
  id: 'init-signals',
  title: { en: 'PID 1 shrugs off signals it has no handler for', zh: '1 号进程不理会它没有处理函数的信号' },
  explain: {
    en: 'The article says PID 1 has privileges such as "blocking signals". Precisely (pid_namespaces(7)): a signal sent to a namespace\'s init from inside that namespace is dropped by the kernel unless init has a handler for it, SIGKILL included, so `kill -9 1` inside does nothing. From an ancestor namespace the same holds, except for SIGKILL and SIGSTOP, which are always delivered. Our PID 1 is the probe, which handles neither SIGTERM nor SIGKILL (see SigCgt). A shell inside runs kill -TERM 1 and kill -KILL 1: both calls succeed, PID 1 keeps running. The host sends SIGTERM to its host PID: dropped as well. Then the host sends SIGKILL and it dies. This is why a program without signal handlers, run as a container\'s PID 1, ignores docker stop\'s SIGTERM until the SIGKILL 10 s later (and why tini or docker run --init exist).',
    zh: '原文说 1 号进程有“屏蔽信号”等特权。准确地说（pid_namespaces(7)）：从 namespace 内部发给该 namespace 的 init 的信号，除非 init 为它安装了处理函数，否则内核直接丢弃，连 SIGKILL 也一样，所以在容器里 `kill -9 1` 毫无作用。从祖先 namespace 发来的信号也是如此，只有 SIGKILL 和 SIGSTOP 例外：它们一定会送达。我们的 1 号进程是探针，它既不处理 SIGTERM 也不处理 SIGKILL（见 SigCgt）。容器里的 shell 执行 kill -TERM 1 和 kill -KILL 1：两次调用都成功，1 号进程照样运行。宿主机向它的宿主机 PID 发送 SIGTERM：同样被丢弃。随后宿主机发送 SIGKILL，它就死了。这也是为什么没有信号处理函数的程序当容器的 1 号进程时，会无视 docker stop 的 SIGTERM，直到 10 秒后的 SIGKILL（也是 tini 和 docker run --init 存在的原因）。',
  },
  modern: "unshare --pid --fork sleep 600 & nsenter -t $(pgrep -n sleep) -p sh -c 'kill -9 1'; kill -9 $(pgrep -n sleep)",
  async run(ctx) {
    const c = await Container.start(ctx, { namespaces: ['pid'], label: t('PID container for the signal test', '用于信号实验的 PID 容器') });
    try {
      const pidNs = nsInode(c.pid, 'pid');
      const start = c.child.startTime ?? startTime(c.pid);
      /** Its state letter about 300 ms from now, and whether it is still the same process. */
      const settle = async (): Promise<{ state?: string; same: boolean }> => {
        await new Promise((r) => setTimeout(r, 300));
        const state = stateOf(c.pid);
        return { ...(state !== undefined ? { state } : {}), same: start !== undefined && startTime(c.pid) === start };
      };
      const stillRuns = (s: { state?: string; same: boolean }, after: Text): Text =>
        s.state !== undefined && s.same
          ? t(`300 ms after ${after.en}, PID 1 (host PID ${c.pid}) still runs: state ${s.state}`, `${after.zh}之后 300 毫秒，1 号进程（宿主机 PID ${c.pid}）仍在运行：状态 ${s.state}`)
          : t(`300 ms after ${after.en}, PID 1 (host PID ${c.pid}) is gone`, `${after.zh}之后 300 毫秒，1 号进程（宿主机 PID ${c.pid}）已经不在了`);

      await attempt(ctx, ['grep', '-E', '^(SigIgn|SigCgt)', `/proc/${c.pid}/status`], { command: `grep -E '^(SigIgn|SigCgt)' /proc/${c.pid}/status` });
      const sigCgt = statusField(c.pid, 'SigCgt')?.[0] ?? '';
      const sigIgn = statusField(c.pid, 'SigIgn')?.[0] ?? '';

      // From inside. The guard makes sure the shell really is in this namespace before it signals "1".
      const script =
        `[ "$(readlink /proc/self/ns/pid)" = 'pid:[${pidNs}]' ] || exit 97; ` +
        'echo "my PID: $$ in $(readlink /proc/self/ns/pid)"; ' +
        'kill -TERM 1; echo "kill -TERM 1: exit $?"; kill -KILL 1; echo "kill -KILL 1: exit $?"';
      const inside = await attempt(ctx, ['/bin/sh', '-c', script], { container: c, command: script });
      const num = (re: RegExp) => {
        const m = re.exec(inside.stdout);
        return m ? Number(m[1]) : undefined;
      };
      const senderPid = num(/my PID: (\d+)/);
      const senderNs = num(/in pid:\[(\d+)\]/);
      const rcTerm = num(/kill -TERM 1: exit (\d+)/);
      const rcKill = num(/kill -KILL 1: exit (\d+)/);
      const afterInside = await settle();
      await attempt(ctx, ['grep', 'State', `/proc/${c.pid}/status`]);
      ctx.log(stillRuns(afterInside, t('the kills from inside', '容器内的 kill ')));

      // From the host (an ancestor namespace): SIGTERM, then SIGKILL.
      const hostTerm = await attempt(ctx, ['kill', '-TERM', String(c.pid)], { where: WHERE.host });
      const afterHostTerm = await settle();
      ctx.log(stillRuns(afterHostTerm, t("the host's SIGTERM", '宿主机的 SIGTERM ')));
      const hostKill = await attempt(ctx, ['kill', '-KILL', String(c.pid)], { where: WHERE.host });
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        c.child.exited,
        new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), 3000);
        }),
      ]);
      clearTimeout(timer);
      const goneAfter = start !== undefined && startTime(c.pid) !== start;
      ctx.log(
        ended === undefined
          ? t(`PID 1 still runs 3 s after the host's SIGKILL`, `宿主机发出 SIGKILL 3 秒后，1 号进程仍在运行`)
          : t(
              `PID 1 ended: ${ended.signal !== null ? `killed by ${ended.signal}` : `exit ${ended.code}`} (its wait status)`,
              `1 号进程结束了：${ended.signal !== null ? `被 ${ended.signal} 杀死` : `退出码 ${ended.code}`}（wait 状态）`,
            ),
      );
      return {
        pidNs,
        hostPid: c.pid,
        sigCgt,
        sigIgn,
        ...(senderPid !== undefined ? { senderPid } : {}),
        ...(senderNs !== undefined ? { senderNs } : {}),
        ...(rcTerm !== undefined ? { rcTerm } : {}),
        ...(rcKill !== undefined ? { rcKill } : {}),
        ...(afterInside.state !== undefined ? { stateAfter: afterInside.state } : {}),
        sameProcess: afterInside.same,
        rcHostTerm: hostTerm.code,
        ...(afterHostTerm.state !== undefined ? { stateAfterHostTerm: afterHostTerm.state } : {}),
        sameAfterHostTerm: afterHostTerm.same,
        rcHostKill: hostKill.code,
        ...(ended !== undefined ? { ended } : {}),
        goneAfter,
      };
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'survived-own-kill',
      description: t(
        'PID 1, with no handler for SIGTERM or SIGKILL, is still the same running process after a shell of its own namespace sent it both (kill returned 0 each time).',
        '没有为 SIGTERM 和 SIGKILL 安装处理函数的 1 号进程，在本 namespace 的 shell 向它发出这两个信号之后（两次 kill 都返回 0），仍然是原来那个正在运行的进程。',
      ),
      evaluate: (o) => {
        const rc = (n: number | undefined) => (n === undefined ? '?' : String(n));
        return {
          observed: t(
            `PID ${o.senderPid ?? '?'} in pid:[${o.senderNs ?? '?'}] ran kill -TERM 1 → ${rc(o.rcTerm)}, kill -KILL 1 → ${rc(o.rcKill)}; handler: ${handlerText(o).en}; PID 1 then: ${afterText(o.stateAfter, o.sameProcess).en}`,
            `pid:[${o.senderNs ?? '?'}] 里的 PID ${o.senderPid ?? '?'} 执行 kill -TERM 1 → ${rc(o.rcTerm)}，kill -KILL 1 → ${rc(o.rcKill)}；处理函数：${handlerText(o).zh}；之后 1 号进程：${afterText(o.stateAfter, o.sameProcess).zh}`,
          ),
          expected: t(
            `sent from inside pid:[${o.pidNs}] by a PID other than 1; both kills return 0; no handler; PID 1 still running (not Z), the same process`,
            `从 pid:[${o.pidNs}] 内部由非 1 号进程发出；两次 kill 都返回 0；没有处理函数；1 号进程仍在运行（不是 Z），且是同一个进程`,
          ),
          pass:
            o.senderNs === o.pidNs &&
            o.pidNs !== 0 &&
            o.senderPid !== undefined &&
            o.senderPid !== 1 &&
            o.rcTerm === 0 &&
            o.rcKill === 0 &&
            noHandler(o) &&
            alive(o.stateAfter, o.sameProcess),
        };
      },
    },
    {
      id: 'host-term-dropped',
      description: t(
        'From the host (an ancestor PID namespace) too, SIGTERM without a handler is dropped: kill returned 0 and PID 1 is still the same running process.',
        '从宿主机（祖先 PID namespace）发来的、没有处理函数的 SIGTERM 同样被丢弃：kill 返回 0，1 号进程仍是原来那个正在运行的进程。',
      ),
      evaluate: (o) => ({
        observed: t(
          `kill -TERM ${o.hostPid} on the host → ${o.rcHostTerm ?? '?'}; handler: ${handlerText(o).en}; PID 1 then: ${afterText(o.stateAfterHostTerm, o.sameAfterHostTerm).en}`,
          `宿主机上 kill -TERM ${o.hostPid} → ${o.rcHostTerm ?? '?'}；处理函数：${handlerText(o).zh}；之后 1 号进程：${afterText(o.stateAfterHostTerm, o.sameAfterHostTerm).zh}`,
        ),
        expected: t('kill → 0; no handler; PID 1 still running, the same process', 'kill → 0；没有处理函数；1 号进程仍在运行，且是同一个进程'),
        pass: o.rcHostTerm === 0 && noHandler(o) && alive(o.stateAfterHostTerm, o.sameAfterHostTerm),
      }),
    },
    {
      id: 'killed-from-parent',
      description: t(
        "The same PID 1, still alive after every signal before, dies of SIGKILL sent from the host's (ancestor) PID namespace: its wait status says SIGKILL and its PID is gone.",
        '同一个 1 号进程在此前的所有信号之后仍然活着，却被宿主机（祖先）PID namespace 发来的 SIGKILL 杀死：它的 wait 状态是 SIGKILL，它的 PID 也消失了。',
      ),
      evaluate: (o) => {
        const before = alive(o.stateAfterHostTerm, o.sameAfterHostTerm);
        const how =
          o.ended === undefined
            ? t('still running after 3 s', '3 秒后仍在运行')
            : o.ended.signal !== null
              ? t(`killed by ${o.ended.signal}`, `被 ${o.ended.signal} 杀死`)
              : t(`exit ${o.ended.code}`, `退出码 ${o.ended.code}`);
        return {
          observed: t(
            `before: ${before ? 'alive' : 'not alive'}; kill -KILL ${o.hostPid} on the host → ${o.rcHostKill ?? '?'}; PID 1 ${how.en}; PID ${o.hostPid} ${o.goneAfter ? 'gone' : 'still there'}`,
            `之前：${before ? '活着' : '已不在'}；宿主机上 kill -KILL ${o.hostPid} → ${o.rcHostKill ?? '?'}；1 号进程${how.zh}；PID ${o.hostPid} ${o.goneAfter ? '已消失' : '仍在'}`,
          ),
          expected: t(`alive before; kill → 0; killed by SIGKILL; PID ${o.hostPid} gone`, `之前活着；kill → 0；被 SIGKILL 杀死；PID ${o.hostPid} 消失`),
          pass: before && o.rcHostKill === 0 && o.ended?.signal === 'SIGKILL' && o.goneAfter,
        };
      },
    },
  ],
});

export const orphan = step<Orphan>({
  id: 'orphan',
  title: { en: 'PID 1 adopts orphans', zh: '1 号进程收养孤儿' },
  explain: {
    en: "The probe (PID 1) forks a middle process, which forks a grandchild and exits at once. The orphaned grandchild is re-parented to the init of its own namespace, our PID 1, not to the host's init: inside a container, PID 1 must reap what others leave behind.",
    zh: '探针（1 号进程）fork 出一个中间进程，中间进程再 fork 出孙进程后立即退出。成了孤儿的孙进程被过继给它所在 namespace 的 init，也就是我们的 1 号进程，而不是宿主机的 init：在容器里，1 号进程必须回收别人留下的进程。',
  },
  modern: "unshare --pid --fork sh -c '(sleep 60 &) ; ps -o pid,ppid,cmd'",
  async run(ctx) {
    // A container left by an earlier run of this step ends first.
    await running.get(ctx)?.stop();
    running.delete(ctx);
    const c = await Container.start(ctx, { namespaces: ['pid'], probeArgs: ['--orphan'], label: t('PID container with an orphan', '带孤儿进程的 PID 容器') });
    // Kept for the next step: the container stays up until PID 1 is told to exit.
    running.set(ctx, c);
    const event = await c.event<OrphanEvent>('orphan');
    const pidNs = nsInode(c.pid, 'pid');
    const hostPid = hostPidOf(event.pid, pidNs);
    ctx.log(
      t(
        `orphan: inside pid ${event.pid}, parent ${event.ppidBefore} → ${event.ppidAfter}`,
        `孤儿进程：容器内 pid ${event.pid}，父进程 ${event.ppidBefore} → ${event.ppidAfter}`,
      ),
    );
    if (hostPid === undefined) return { event, initPid: c.pid, pidNs };
    const hostPpid = Number(statusField(hostPid, 'PPid')?.[0]);
    const start = startTime(hostPid);
    await attempt(ctx, ['grep', '-E', 'NSpid|PPid', `/proc/${hostPid}/status`], { command: `grep -E 'NSpid|PPid' /proc/${hostPid}/status` });
    return { event, initPid: c.pid, pidNs, hostPid, hostPpid, ...(start !== undefined ? { start } : {}) };
  },
  checks: [
    {
      id: 'reparented-to-one',
      description: t(
        "The orphaned grandchild was the middle process's child and is now the child of PID 1 (inside view).",
        '成了孤儿的孙进程原来是中间进程的子进程，现在成了 1 号进程的子进程（容器内视角）。',
      ),
      evaluate: (o) => ({
        observed: t(
          `grandchild ${o.event.pid}: parent ${o.event.ppidBefore} → ${o.event.ppidAfter}`,
          `孙进程 ${o.event.pid}：父进程 ${o.event.ppidBefore} → ${o.event.ppidAfter}`,
        ),
        expected: t('parent other than 1 → 1', '父进程从非 1 变成 1'),
        pass: o.event.ppidBefore !== 1 && o.event.ppidBefore > 0 && o.event.ppidAfter === 1,
      }),
    },
    {
      id: 'host-ppid-is-init',
      description: t(
        "Seen from the host, the grandchild's parent is the container's PID 1 (its host PID), not the host's init.",
        '从宿主机看，孙进程的父进程是容器的 1 号进程（用它的宿主机 PID），而不是宿主机的 init。',
      ),
      evaluate: (o) => ({
        observed:
          o.hostPid === undefined
            ? t('grandchild not found in the host /proc', '在宿主机的 /proc 里找不到孙进程')
            : t(`host PID ${o.hostPid}, PPid ${o.hostPpid}`, `宿主机 PID ${o.hostPid}，PPid ${o.hostPpid}`),
        expected: `PPid ${o.initPid}`,
        pass: o.hostPid !== undefined && o.hostPpid === o.initPid,
      }),
    },
  ],
});

export const initExit = step<InitExit>({
  id: 'init-exit',
  title: { en: 'When PID 1 exits, the kernel kills the namespace', zh: '1 号进程退出时，内核杀掉整个 namespace' },
  explain: {
    en: 'We also start `sleep 600` inside, a process that would never end on its own. Then PID 1 exits. The kernel sends SIGKILL to every process left in the namespace: the grandchild and sleep die, and the namespace is empty. This is why a container stops when its main process stops.',
    zh: '我们再在里面启动 `sleep 600`，它自己永远不会结束。然后让 1 号进程退出。内核向 namespace 里剩下的每个进程发送 SIGKILL：孙进程和 sleep 都死了，namespace 空了。这就是主进程一停、容器就停的原因。',
  },
  modern: {
    en: 'docker stop <container>   # its PID 1 exits, the kernel kills the rest',
    zh: 'docker stop <container>   # 它的 PID 1 退出，内核杀掉其余进程',
  },
  async run(ctx) {
    const { pidNs, hostPid, start } = ctx.observed(orphan);
    const c = running.get(ctx);
    if (!c) throw new LabError(t('the container of the previous step is not running', '上一步的容器没有在运行'));
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
    ctx.log(
      t(
        `sleep 600 ended by ${signal ?? `exit ${code}`}; grandchild gone after ${goneAfterMs ?? '>3000'} ms`,
        `sleep 600 结束于 ${signal ?? `退出码 ${code}`}；孙进程在 ${goneAfterMs ?? '>3000'} 毫秒后消失`,
      ),
    );
    ctx.measure('grandchildGoneMs', goneAfterMs ?? null);
    return { pidNs, hostPid, goneAfterMs, sleeper: { code, signal }, left };
  },
  checks: [
    {
      id: 'sleep-killed',
      description: t(
        'sleep 600, started inside, died of SIGKILL as soon as PID 1 exited (nobody but the kernel sent it).',
        '在容器里启动的 sleep 600 在 1 号进程退出后立即死于 SIGKILL（除了内核没有人发送它）。',
      ),
      evaluate: (o) => ({
        observed:
          o.sleeper.signal !== null
            ? t(`sleep ended by ${o.sleeper.signal}`, `sleep 结束于 ${o.sleeper.signal}`)
            : t(`sleep ended by exit ${o.sleeper.code}`, `sleep 以退出码 ${o.sleeper.code} 结束`),
        expected: 'SIGKILL',
        pass: o.sleeper.signal === 'SIGKILL',
      }),
    },
    {
      id: 'grandchild-gone',
      description: t(
        'The orphaned grandchild is gone within 3 s of PID 1 exiting (same PID and start time no longer in /proc).',
        '1 号进程退出后 3 秒内，孤儿孙进程消失了（同一 PID 加同一启动时间已不在 /proc 中）。',
      ),
      evaluate: (o) => ({
        observed:
          o.hostPid === undefined
            ? t('grandchild was never found', '从未找到孙进程')
            : o.goneAfterMs === undefined
              ? t(`host PID ${o.hostPid}: still there after 3000 ms`, `宿主机 PID ${o.hostPid}：3000 毫秒后仍在`)
              : t(`host PID ${o.hostPid}: gone after ${o.goneAfterMs} ms`, `宿主机 PID ${o.hostPid}：${o.goneAfterMs} 毫秒后消失`),
        expected: t('gone within 3000 ms', '3000 毫秒内消失'),
        pass: o.hostPid !== undefined && o.goneAfterMs !== undefined,
      }),
    },
    {
      id: 'namespace-empty',
      description: t("No process is left in the container's PID namespace.", '容器的 PID namespace 里一个进程也不剩。'),
      evaluate: (o) => ({
        observed: t(
          `processes in pid:[${o.pidNs}]: ${o.left.length === 0 ? 'none' : o.left.join(', ')}`,
          `pid:[${o.pidNs}] 中的进程：${o.left.length === 0 ? '无' : o.left.join('、')}`,
        ),
        expected: t('none', '无'),
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
      zh: '容器既不应看到、也不应能给机器上其他进程发信号；容器里的程序还期待一棵正常的进程树，由 1 号 init 进程回收孤儿。',
    },
    tradeoff: {
      en: 'Nested numbering is cheap, but PID 1 carries duties: it must reap orphans; a signal it has no handler for is dropped when it comes from inside its namespace, and from an ancestor namespace too except SIGKILL and SIGSTOP, which always get through; and when it exits the kernel kills the whole namespace. Hence tini and docker run --init. Tools that read /proc need a fresh proc mount (lab 04).',
      zh: '嵌套编号代价很小，但 1 号进程有责任：必须回收孤儿；它没有处理函数的信号，从本 namespace 内部发来时会被丢弃，从祖先 namespace 发来时也一样，只有 SIGKILL 和 SIGSTOP 例外，它们总能送达；它一退出，内核就杀掉整个 namespace。所以才有 tini 和 docker run --init。读 /proc 的工具还需要重新挂载 proc（见实验 04）。',
    },
    usedBy: {
      en: 'Docker and Kubernetes containers (shareProcessNamespace puts a pod in one), systemd-nspawn, LXC, unshare --pid --fork, sandboxes such as bubblewrap.',
      zh: 'Docker 和 Kubernetes 容器（shareProcessNamespace 让整个 Pod 共用一个）、systemd-nspawn、LXC、unshare --pid --fork，以及 bubblewrap 这类沙箱。',
    },
    parts: {
      en: 'clone(CLONE_NEWPID) (unshare(CLONE_NEWPID) affects the children only), getpid(), the NSpid line of /proc/PID/status, /proc/PID/ns/pid, and the child reaper.',
      zh: 'clone(CLONE_NEWPID)（unshare(CLONE_NEWPID) 只对之后的子进程生效）、getpid()、/proc/PID/status 中的 NSpid 行、/proc/PID/ns/pid，以及 child reaper。',
    },
    kernel: {
      en: 'A struct pid holds one number per level of nested pid_namespace; getpid() returns the number of the caller\'s level. Each namespace has a child_reaper (its PID 1); when it exits, zap_pid_ns_processes() sends SIGKILL to everyone left.',
      zh: 'struct pid 为每一层嵌套的 pid_namespace 各保存一个号码，getpid() 返回调用者所在那一层的号码。每个 namespace 有一个 child_reaper（它的 1 号进程）；它退出时，zap_pid_ns_processes() 向剩下的所有进程发送 SIGKILL。',
    },
    alternatives: {
      en: 'A VM has a real init; Solaris zones and FreeBSD jails filter one global process table instead of renumbering; the prctl(PR_SET_CHILD_SUBREAPER) gives orphan reaping without a new namespace.',
      zh: '虚拟机里有真正的 init；Solaris zone 和 FreeBSD jail 是过滤同一张全局进程表，而不是重新编号；prctl(PR_SET_CHILD_SUBREAPER) 不建新 namespace 也能回收孤儿。',
    },
  },
  requirements: [...basics, namespaces('pid'), tool('ps', 'procps'), tool('grep', 'grep'), tool('sleep', 'coreutils'), tool('kill', 'procps')],
  steps: [pidOne, hostProc, initSignals, orphan, initExit],
  shell: {
    open: (ctx) => interactive(ctx, { labId: about.id, namespaces: ['pid'] }),
  },
  exercises,
};
