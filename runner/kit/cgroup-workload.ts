// The cgroup labs' workloads (addon/workload/*.c) started through the addon's spawn, recorded
// on the cleanup stack right after clone(), optionally put into cgroups before they execve().
import { createInterface } from 'node:readline';
import { workloadPath, type Child, type ExitStatus } from '../../addon/index.js';
import { LabError, type Requirement, type StepContext, type Text } from '../core/model.js';
import type { Cgroup } from './cgroup.js';
import { pause } from './cgroup-measure.js';

export type WorkloadName = 'spin' | 'threads' | 'alloc' | 'dread';

/** A requirement: these workload programs are built (npm run build:addon builds them next to the probe). */
export function workloadsBuilt(id: string, description: Text, names: readonly WorkloadName[]): Requirement {
  return {
    id,
    description,
    probe: () => {
      try {
        for (const w of names) workloadPath(w);
        return { ok: true };
      } catch (e) {
        const why = (e as Error).message;
        return { ok: false, reason: { en: why, zh: `负载程序没有构建：${why}` }, remedy: { en: 'npm run build:addon', zh: 'npm run build:addon' } };
      }
    },
  };
}

/** One output line of a workload: its JSON, or the text when it was not JSON. */
function parse(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: line };
  }
}

/** A running workload and the JSON lines it printed so far. */
export class Workload {
  readonly lines: Record<string, unknown>[] = [];
  private closed = false;

  private constructor(
    private readonly ctx: StepContext,
    readonly child: Child,
    private readonly cleanupId: number,
  ) {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => this.lines.push(parse(line)));
    rl.on('close', () => (this.closed = true));
    child.stderr?.resume();
  }

  /**
   * Start `nslab-workload-NAME args`. With `into`, the child waits between clone() and
   * execve() until its PID is in those groups, so the program never runs outside them.
   */
  static async start(ctx: StepContext, name: WorkloadName, args: readonly string[], into: readonly Cgroup[] = []): Promise<Workload> {
    if (ctx.signal.aborted) throw new Error('interrupted');
    const file = workloadPath(name);
    const { child, id } = ctx.spawn(
      { argv: [file, ...args], actions: into.length > 0 ? [{ do: 'wait' }] : [], stdio: ['null', 'pipe', 'pipe'] },
      { en: `nslab-workload-${name}`, zh: `负载程序 nslab-workload-${name}` },
    );
    const w = new Workload(ctx, child, id);
    try {
      for (const g of into) g.addProcess(child.pid);
      if (into.length > 0) child.go();
      await child.ready();
    } catch (e) {
      await w.stop();
      throw e;
    }
    return w;
  }

  get pid(): number {
    return this.child.pid;
  }

  /** The first line that satisfies `pred`, polling until it comes (or `timeoutMs`). */
  async line(pred: (o: Record<string, unknown>) => boolean, what: Text, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(pred);
      if (found) return found;
      if (this.closed) throw new LabError({ en: `the workload ended before it printed ${what.en}`, zh: `负载程序在输出${what.zh}之前就结束了` });
      if (Date.now() > deadline)
        throw new LabError({ en: `no ${what.en} from the workload within ${timeoutMs} ms`, zh: `负载程序在 ${timeoutMs} ms 内没有输出${what.zh}` });
      await pause(this.ctx, 20);
    }
  }

  /** Wait until its output is read to the end (it has exited). */
  async drained(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await pause(this.ctx, 10);
  }

  /** Wait for the workload to end by itself (or kill it after `timeoutMs`). */
  async exit(timeoutMs: number): Promise<ExitStatus & { timedOut: boolean }> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    const status = await this.child.exited;
    clearTimeout(timer);
    this.ctx.cleanup.release(this.cleanupId);
    return { ...status, timedOut };
  }

  /** Kill it and wait until it is gone. */
  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.child.exited;
    this.ctx.cleanup.release(this.cleanupId);
  }
}
