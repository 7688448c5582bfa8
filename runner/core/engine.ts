// Runs labs: probes their requirements, runs each step, evaluates its checks and always
// unwinds the cleanup stack. Emits RunEvents for whoever renders them and returns results in
// the shape of the JSON report.
import { recoverAll } from './cleanup.js';
import { LabContext } from './context.js';
import { ResourceLock } from './owner.js';
import { ensureRunDir } from './paths.js';
import { errorText, say, t, type Text } from './model.js';
import type {
  Check,
  CheckResult,
  Lab,
  LabResult,
  Lang,
  RunListener,
  Status,
  Step,
  StepResult,
  Transcript,
} from './model.js';

export interface RunOptions {
  readonly lang: Lang;
  readonly listener?: RunListener;
  /** Aborted by SIGINT/SIGTERM (see interrupt.ts): the running step stops, cleanup runs. */
  readonly signal?: AbortSignal;
}

/** Probe every requirement; the first unmet one is the reason the lab is skipped. */
export async function checkRequirements(lab: Lab): Promise<{ ok: true } | { ok: false; reason: Text; remedy?: Text }> {
  for (const req of lab.requirements) {
    let r;
    try {
      r = await req.probe();
    } catch (e) {
      const why = errorText(e, 'en');
      r = { ok: false, reason: { en: `${req.description.en}: ${why}`, zh: `${req.description.zh}：${errorText(e, 'zh')}` } };
    }
    if (!r.ok) {
      const out: { ok: false; reason: Text; remedy?: Text } = { ok: false, reason: r.reason ?? req.description };
      if (r.remedy !== undefined) out.remedy = r.remedy;
      return out;
    }
  }
  return { ok: true };
}

/** A check starts as a failure and passes only when its observation proves the claim. */
export function evaluateCheck<O>(check: Check<O>, observed: O, lang: Lang = 'en'): CheckResult {
  const description = check.description[lang];
  try {
    const o = check.evaluate(observed);
    const shown = { observed: say(o.observed, lang), expected: say(o.expected, lang) };
    if (o.skip !== undefined) return { id: check.id, description, status: 'skipped', ...shown, reason: o.skip[lang] };
    return { id: check.id, description, status: o.pass === true ? 'passed' : 'failed', ...shown };
  } catch (e) {
    return {
      id: check.id,
      description,
      status: 'failed',
      observed: say(t(`no observation (${errorText(e, 'en')})`, `没有观察结果（${errorText(e, 'zh')}）`), lang),
      expected: say(t('an observation', '一个观察结果'), lang),
    };
  }
}

function stepStatus(checks: readonly CheckResult[], error?: string): Status {
  if (error !== undefined || checks.some((c) => c.status === 'failed')) return 'failed';
  if (checks.length > 0 && checks.every((c) => c.status === 'skipped')) return 'skipped';
  return 'passed';
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/** Why the run was stopped, in words: the abort reason when it is a sentence, else a signal. */
function stopReason(signal: AbortSignal, lang: Lang): string {
  const r: unknown = signal.reason;
  if (r instanceof Object && 'en' in r && 'zh' in r) return (r as Text)[lang];
  return typeof r === 'string' && r !== '' ? r : lang === 'zh' ? '被中断（SIGINT/SIGTERM）' : 'interrupted (SIGINT/SIGTERM)';
}

/** How long an interrupted step may take to settle after the unwind killed its processes. */
const SETTLE_MS = 2000;

/**
 * Wait for `p` to settle, but at most `ms`. The timer is cleared as soon as `p` settles, so it
 * keeps nothing alive; it is not unref'd, because a step stuck on a bare promise must still
 * let the run reach finish() rather than let the process exit under it.
 */
async function settled(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p.then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** What `LabSession.start()` found: the lab can run, or it is skipped (with its final result). */
export type SessionStart = { ok: true } | { ok: false; reason: string; remedy?: string; result: LabResult };

const WORDS = {
  interruptedWaiting: t('interrupted while waiting for another run to finish', '等待另一次运行结束时被中断'),
  notRun: t('not run', '未运行'),
  stepToRun: t('the step to run', '该步骤运行'),
  stepToComplete: t('the step to complete', '该步骤完成'),
  runInterrupted: t('the run was interrupted', '运行被中断'),
  cleaned: t('cleaned up and stopped', '已清理并停止'),
  nothingLeft: t('Everything the lab created was removed.', '实验创建的一切都已删除。'),
  noLeftovers: t('no leftovers', '没有残留'),
  interrupted: t('interrupted', '被中断'),
  removed: t('removed', '已删除'),
  couldNotRemove: t('could not remove', '无法删除'),
} as const;

/**
 * One run of one lab, a step at a time: `start()` probes the requirements and removes what a
 * crashed run left, `runStep(i)` runs step i and evaluates its checks, `finish()` unwinds the
 * cleanup stack and reports the lab. `runLab` is start + every step in order + finish; the TUI
 * drives the same calls one key press at a time. After a failed or interrupted step, later
 * steps are reported skipped ("an earlier step failed"); a session is used once.
 */
export class LabSession {
  private readonly emit: RunListener;
  private readonly signal: AbortSignal;
  private readonly started = Date.now();
  private ctx: LabContext | undefined;
  private blocked: string | undefined;
  private early: { removed: string[]; errors: string[] } | undefined;
  private skipped: LabResult | undefined;
  private readonly locks: ResourceLock[] = [];
  private finished: LabResult | undefined;
  /** Results by step index, as steps run (a step run again replaces its result). */
  readonly results: (StepResult | undefined)[] = [];

  constructor(
    readonly lab: Lab,
    private readonly opts: RunOptions,
  ) {
    this.emit = opts.listener ?? (() => undefined);
    this.signal = opts.signal ?? new AbortController().signal;
  }

  /** Probe the requirements; when met, remove what crashed runs left and create the lab's state. */
  async start(): Promise<SessionStart> {
    const { lab, emit } = this;
    emit({ type: 'lab-start', lab });
    const req = await checkRequirements(lab);
    if (!req.ok) return this.skip(req.reason[this.opts.lang], req.remedy?.[this.opts.lang]);
    ensureRunDir(); // a read-only /run or a fake root: one sentence, before anything else
    try {
      for (const resource of lab.exclusive ?? [])
        this.locks.push(await ResourceLock.acquire(resource, lab.id, this.signal, (holder) => emit({ type: 'waiting', lab, resource, holder })));
      recoverAll(this.opts.lang); // what a crashed run left goes before we create anything
      this.ctx = new LabContext(lab, this.opts.lang, this.signal, emit);
    } catch (e) {
      for (const l of this.locks.splice(0)) l.release();
      if (this.signal.aborted) return this.skip(WORDS.interruptedWaiting[this.opts.lang]);
      throw e;
    }
    return { ok: true };
  }

  /** End the session before it ran anything: the lab is reported skipped with the reason. */
  private skip(reason: string, remedy?: string): SessionStart {
    const { lab, emit, opts } = this;
    emit({ type: 'lab-skipped', lab, reason, ...(remedy !== undefined ? { remedy } : {}) });
    const result: LabResult = {
      id: lab.id,
      title: lab.title[opts.lang],
      status: 'skipped',
      reason,
      ...(remedy !== undefined ? { remedy } : {}),
      steps: [],
      durationMs: Date.now() - this.started,
    };
    emit({ type: 'lab-end', lab, result });
    this.skipped = result;
    return { ok: false, reason, ...(remedy !== undefined ? { remedy } : {}), result };
  }

  /** Run step `index` (after start() said ok) and evaluate its checks. */
  async runStep(index: number): Promise<StepResult> {
    const { lab, emit, opts, signal } = this;
    const ctx = this.ctx;
    if (!ctx || this.finished) throw new Error(`lab ${lab.id}: runStep(${index}) outside a started, unfinished session`);
    const step = (lab.steps as readonly Step<unknown>[])[index];
    if (!step) throw new Error(`lab ${lab.id} has no step ${index}`);
    const { lang } = opts;
    const title = step.title[lang];
    if (this.blocked !== undefined) {
      const reason = this.blocked;
      const checks: CheckResult[] = step.checks.map((c) => ({
        id: c.id,
        description: c.description[lang],
        status: 'skipped',
        observed: WORDS.notRun[lang],
        expected: WORDS.stepToRun[lang],
        reason,
      }));
      const result: StepResult = { id: step.id, title, status: 'skipped', checks };
      this.results[index] = result;
      emit({ type: 'step-end', lab, step, result });
      return result;
    }
    emit({ type: 'step-start', lab, step, index });
    const sink = { transcripts: [] as Transcript[], measurements: {} as Record<string, unknown> };
    const t0 = Date.now();
    let error: string | undefined;
    let observed: unknown;
    ctx.observations.delete(step); // a step run again observes afresh
    const running = step.run(ctx.forStep(step, sink));
    try {
      observed = await abortable(running, signal);
      ctx.observations.set(step, observed);
    } catch (e) {
      if (e instanceof Interrupted) {
        // Remove what the step made (its processes die with it), then let it wind down: the
        // wait ends as soon as the step settles, and after SETTLE_MS at the latest.
        this.early = ctx.cleanup.unwind();
        await settled(running, SETTLE_MS);
      }
      error =
        e instanceof Interrupted
          ? `${stopReason(signal, lang)}${lang === 'zh' ? '：' : ': '}${WORDS.cleaned[lang]}`
          : errorText(e, lang);
    }
    let checks: CheckResult[];
    if (error === undefined) {
      checks = step.checks.map((c) => evaluateCheck(c, observed, lang));
    } else {
      checks = step.checks.map((c) => ({
        id: c.id,
        description: c.description[lang],
        status: 'failed' as const,
        observed: lang === 'zh' ? `该步骤失败：${error}` : `the step failed: ${error}`,
        expected: WORDS.stepToComplete[lang],
      }));
      this.blocked = signal.aborted
        ? WORDS.runInterrupted[lang]
        : lang === 'zh'
          ? `前面的步骤（${step.id}）失败了`
          : `an earlier step (${step.id}) failed`;
    }
    const result: StepResult = {
      id: step.id,
      title,
      status: stepStatus(checks, error),
      checks,
      ...(Object.keys(sink.measurements).length > 0 ? { measurements: sink.measurements } : {}),
      transcripts: sink.transcripts,
      ...(error !== undefined ? { error } : {}),
      durationMs: Date.now() - t0,
    };
    this.results[index] = result;
    emit({ type: 'step-end', lab, step, result });
    return result;
  }

  /** True once a step failed or the run was interrupted: later steps would only be skipped. */
  get isBlocked(): boolean {
    return this.blocked !== undefined;
  }

  /**
   * Unwind the cleanup stack and report the lab over the steps that ran (all of them, for
   * runLab). Idempotent: a second call returns the same result.
   */
  finish(): LabResult {
    if (this.finished) return this.finished;
    if (this.skipped) return (this.finished = this.skipped);
    const { lab, emit, opts, signal } = this;
    const steps: StepResult[] = this.results.filter((r): r is StepResult => r !== undefined);
    if (this.ctx) {
      // Cleanup is part of the lab: its result is a check like any other.
      const late = this.ctx.finish();
      const early = this.early;
      const unwind = { removed: [...(early?.removed ?? []), ...late.removed], errors: [...(early?.errors ?? []), ...late.errors] };
      const { lang } = opts;
      for (const line of unwind.removed) emit({ type: 'cleanup', lab, line: `${WORDS.removed[lang]} ${line}` });
      for (const line of unwind.errors) emit({ type: 'cleanup', lab, line: `${WORDS.couldNotRemove[lang]} ${line}` });
      if (unwind.errors.length > 0) {
        const check: CheckResult = {
          id: 'nothing-left',
          description: WORDS.nothingLeft[lang],
          status: 'failed',
          observed: unwind.errors.join(lang === 'zh' ? '；' : '; '),
          expected: WORDS.noLeftovers[lang],
        };
        steps.push({ id: 'cleanup', title: opts.lang === 'zh' ? '清理' : 'Cleanup', status: 'failed', checks: [check] });
      }
    }
    for (const l of this.locks.splice(0)) l.release();
    const anyFailed = steps.some((s) => s.status === 'failed');
    const allSkipped = steps.length > 0 && steps.every((s) => s.status === 'skipped');
    const result: LabResult = {
      id: lab.id,
      title: lab.title[opts.lang],
      status: anyFailed ? 'failed' : allSkipped ? 'skipped' : 'passed',
      ...(signal.aborted ? { reason: WORDS.interrupted[opts.lang] } : {}),
      steps,
      durationMs: Date.now() - this.started,
    };
    emit({ type: 'lab-end', lab, result });
    this.finished = result;
    return result;
  }
}

export async function runLab(lab: Lab, opts: RunOptions): Promise<LabResult> {
  const session = new LabSession(lab, opts);
  const start = await session.start();
  if (!start.ok) return start.result;
  for (let index = 0; index < lab.steps.length; index++) await session.runStep(index);
  return session.finish();
}

export async function runLabs(labs: readonly Lab[], opts: RunOptions) {
  const results: LabResult[] = [];
  for (const lab of labs) {
    if (opts.signal?.aborted) break;
    results.push(await runLab(lab, opts));
  }
  return results;
}
