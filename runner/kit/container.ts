// Containers for the labs: a process in new namespaces whose first program is the probe. The
// probe reports what it sees as one JSON line and, with --hold, stays alive as the container's
// init until we close its stdin. `exec` joins its namespaces like `docker exec`.
import { accessSync, constants as fsConstants } from 'node:fs';
import { createInterface } from 'node:readline';
import { delimiter, join } from 'node:path';
import { probePath, type Child, type Namespace, type RunResult, type SetupAction } from '../../addon/index.js';
import { LabError, type StepContext, type Text } from '../core/model.js';

export interface MountEntry {
  readonly target: string;
  readonly fstype: string;
  readonly source: string;
}

/** The probe's report (addon/probe/probe.c). */
export interface ProbeReport {
  readonly hostname: string;
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly gid: number;
  readonly euid: number;
  readonly egid: number;
  readonly ns: Partial<Record<Namespace, number | null>>;
  readonly pids: number[] | null;
  readonly procCount: number | null;
  readonly msgQueues: { key: number; msqid: number }[] | null;
  readonly mounts: MountEntry[] | null;
  readonly cwd: string | null;
  readonly root: string | null;
  readonly sethostnameErrno?: string | null;
  readonly read?: { path: string; ok: boolean; errno: string | null; bytes: number };
  readonly msgget?: { key: number; id: number; errno: string | null };
  readonly write?: { path: string; ok: boolean; errno: string | null };
  readonly [extra: string]: unknown;
}

export interface ContainerSpec {
  readonly namespaces: readonly Namespace[];
  readonly actions?: readonly SetupAction[];
  /** Probe options before the report (e.g. ['--sethostname', 'x']). */
  readonly probeArgs?: readonly string[];
  /** Where the probe is inside the container's final root (default: the host path). */
  readonly probeFile?: string;
  readonly label?: Text;
}

/** Find a program on the host PATH (labs show the classic commands with their real output). */
export function which(name: string): string | undefined {
  const path = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const dir of [...path.split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    const p = join(dir, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Read JSON lines from a child's stdout as they come. */
class LineReader {
  private readonly lines: unknown[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;
  constructor(child: Child) {
    if (!child.stdout) throw new Error('the probe needs a stdout pipe');
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line));
      } catch {
        this.lines.push({ text: line });
      }
      this.wake();
    });
    rl.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** The next line that satisfies `pred`. */
  async next<T>(pred: (o: Record<string, unknown>) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => typeof l === 'object' && l !== null && pred(l as Record<string, unknown>));
      if (i >= 0) return this.lines.splice(i, 1)[0] as T;
      if (this.closed) throw new Error(`the probe ended before it reported ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} from the probe within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

const isReport = (o: Record<string, unknown>) => o.probe === 1;

/** A running container: the probe holds it open as its first process. */
export class Container {
  private readonly lines: LineReader;
  private readonly cleanupId: number;
  private constructor(
    private readonly ctx: StepContext,
    readonly child: Child,
    readonly namespaces: readonly Namespace[],
    readonly report: ProbeReport,
    lines: LineReader,
    cleanupId: number,
  ) {
    this.lines = lines;
    this.cleanupId = cleanupId;
  }

  /** Host PID of the container's first process. */
  get pid(): number {
    return this.child.pid;
  }

  static async start(ctx: StepContext, spec: ContainerSpec): Promise<Container> {
    const probe = probePath();
    // Recorded in the same call as clone(): the journal names the process before anything can fail.
    const { child, id } = ctx.spawn(
      {
        namespaces: spec.namespaces,
        argv: [spec.probeFile ?? probe, ...(spec.probeArgs ?? []), '--hold'],
        ...(spec.probeFile !== undefined ? { file: spec.probeFile } : {}),
        actions: spec.actions ?? [],
        stdio: ['pipe', 'pipe', 'pipe'],
      },
      spec.label ?? { en: 'container process', zh: '容器进程' },
    );
    const lines = new LineReader(child);
    try {
      await child.ready();
      const report = await lines.next<ProbeReport>(isReport, 'its report');
      return new Container(ctx, child, spec.namespaces, report, lines, id);
    } catch (e) {
      child.kill();
      await child.exited;
      ctx.cleanup.release(id);
      throw e;
    }
  }

  /** Wait for a line the probe prints besides its report (e.g. the --orphan event). */
  event<T>(name: string, timeoutMs?: number): Promise<T> {
    return this.lines.next<T>((o) => o.event === name, `the ${name} event`, timeoutMs);
  }

  /** The actions that join this container's namespaces, in an order that works. */
  joinActions(): SetupAction[] {
    const order: Namespace[] = ['user', 'ipc', 'uts', 'net', 'pid', 'cgroup', 'mnt'];
    const joined = order.filter((ns) => this.namespaces.includes(ns));
    const actions: SetupAction[] = joined.map((ns) => ({ do: 'setns', path: `/proc/${this.pid}/ns/${ns}`, ns }));
    // Joining a PID namespace takes effect for children only: fork once more, like nsenter.
    if (joined.includes('pid')) actions.push({ do: 'fork' });
    return actions;
  }

  /** Run a program inside the container (docker exec) and collect its output. */
  async exec(argv: readonly string[], opts: { actions?: readonly SetupAction[]; input?: string } = {}): Promise<RunResult> {
    const { child, id } = this.ctx.spawn(
      { argv, actions: [...this.joinActions(), ...(opts.actions ?? [])], stdio: [opts.input === undefined ? 'null' : 'pipe', 'pipe', 'pipe'] },
      { en: `exec ${argv[0]} in container ${this.pid}`, zh: `在容器 ${this.pid} 中执行 ${argv[0]}` },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    try {
      return await child.output();
    } finally {
      this.ctx.cleanup.release(id);
    }
  }

  /** End the container: its init sees EOF on stdin and exits; the kernel ends the rest. */
  async stop(): Promise<void> {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.child.exited;
    clearTimeout(timer);
    this.ctx.cleanup.release(this.cleanupId);
  }
}

/** Run the probe once (no --hold) and return its report and host PID. */
export async function probeOnce(
  ctx: StepContext,
  spec: ContainerSpec,
): Promise<{ report: ProbeReport; hostPid: number; result: RunResult }> {
  const probe = probePath();
  const { child, id } = ctx.spawn(
    { namespaces: spec.namespaces, argv: [spec.probeFile ?? probe, ...(spec.probeArgs ?? [])], actions: spec.actions ?? [], stdio: ['null', 'pipe', 'pipe'] },
    spec.label ?? { en: 'probe process', zh: '探针进程' },
  );
  try {
    const result = await child.output();
    const line = result.stdout.split('\n').find((l) => l.startsWith('{"probe":1'));
    if (!line)
      throw new LabError({
        en: `the probe printed no report (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`,
        zh: `探针没有输出报告（退出码 ${result.code ?? result.signal}）：${result.stderr.trim()}`,
      });
    return { report: JSON.parse(line) as ProbeReport, hostPid: child.pid, result };
  } finally {
    ctx.cleanup.release(id);
  }
}

/** Where a transcript ran, as the learner reads it. */
export const WHERE = {
  host: { en: 'host', zh: '主机' },
  container: { en: 'container', zh: '容器' },
} as const satisfies Record<string, Text>;

/** Run a command with the addon (optionally in namespaces) and show it to the learner. */
export async function shown(
  ctx: StepContext,
  command: string,
  argv: readonly string[],
  opts: { namespaces?: readonly Namespace[]; actions?: readonly SetupAction[]; where?: Text; container?: Container } = {},
): Promise<RunResult> {
  let result: RunResult;
  if (opts.container) {
    result = await opts.container.exec(argv, opts.actions ? { actions: opts.actions } : {});
  } else {
    const { child, id } = ctx.spawn(
      { argv, namespaces: opts.namespaces ?? [], actions: opts.actions ?? [], stdio: ['null', 'pipe', 'pipe'] },
      { en: `${argv[0]} process`, zh: `${argv[0]} 进程` },
    );
    try {
      result = await child.output();
    } finally {
      ctx.cleanup.release(id);
    }
  }
  const output = (result.stdout + result.stderr).replace(/\n+$/, '');
  ctx.transcript({ command, output, where: opts.where ?? (opts.container ? WHERE.container : WHERE.host) });
  return result;
}
