// The context of one lab run: its claim (token, run directory, cleanup stack), its scratch
// directories, the processes it spawns, and what its steps observed. Each step sees it through
// a StepContext.
import { join } from 'node:path';
import { spawn as spawnChild, type Child, type SpawnSpec } from '../../addon/index.js';
import { CleanupStack } from './cleanup.js';
import { LabError, t, type Lab, type Lang, type RunListener, type Step, type StepContext, type Text, type Transcript } from './model.js';
import { claimRun } from './owner.js';
import { mkdirOwn } from './paths.js';

/** The context handed to each step of one lab run. */
export class LabContext {
  readonly cleanup: CleanupStack;
  private scratchDir: string | undefined;
  /** What each step of this run observed, by step: `ctx.observed(step)` reads it. */
  readonly observations = new Map<Step<unknown>, unknown>();
  private publicDir: string | undefined;
  constructor(
    readonly lab: Lab,
    readonly lang: Lang,
    readonly signal: AbortSignal,
    private readonly emit: RunListener,
  ) {
    this.cleanup = new CleanupStack(claimRun(lab.id), lang);
  }

  get token(): string {
    return this.cleanup.run.token;
  }

  private ownDir(name: string, mode: number): string {
    const dir = join(this.cleanup.run.dir, name);
    const what = name === 'ws' ? t('workspace', '工作目录') : t('scratch directory', '临时目录');
    return this.cleanup.createSync({ kind: 'path', rel: name }, { en: `${what.en} ${dir}`, zh: `${what.zh} ${dir}` }, () =>
      mkdirOwn(this.cleanup.run.dir, name, mode),
    ).value;
  }

  scratch(): string {
    return (this.scratchDir ??= this.ownDir('scratch', 0o700));
  }

  publicScratch(): string {
    return (this.publicDir ??= this.ownDir('ws', 0o755));
  }

  /** Spawn and record in one call: a child that cannot be recorded is killed at once. */
  spawn(spec: SpawnSpec, label: Text): { child: Child; id: number } {
    this.cleanup.assertOpen(label.en);
    const child = spawnChild(spec);
    try {
      const named = { en: `${label.en} (pid ${child.pid})`, zh: `${label.zh}（pid ${child.pid}）` };
      return { child, id: this.cleanup.pushProcess(child.pid, child.startTime, named) };
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  /** Unwind, then release the run (its directory goes when nothing is left). */
  finish(): { removed: string[]; errors: string[] } {
    const r = this.cleanup.unwind();
    this.cleanup.close();
    return r;
  }

  forStep(step: Step<unknown>, sink: { transcripts: Transcript[]; measurements: Record<string, unknown> }): StepContext {
    const lab = this.lab;
    const observations = this.observations;
    return {
      observed<O>(earlier: Step<O>): O {
        if (!observations.has(earlier as Step<unknown>))
          throw new LabError(
            t(
              `step "${step.id}" needs what step "${earlier.id}" observed, and that step has not run in this session`,
              `步骤“${step.id}”需要步骤“${earlier.id}”的观察结果，而那一步在本次运行中还没有运行`,
            ),
          );
        return observations.get(earlier as Step<unknown>) as O;
      },
      lang: this.lang,
      cleanup: this.cleanup,
      signal: this.signal,
      token: this.token,
      name: (suffix) => this.cleanup.name(suffix),
      spawn: (spec, label) => this.spawn(spec, label),
      scratch: () => this.scratch(),
      publicScratch: () => this.publicScratch(),
      transcript: (given) => {
        const shown: Transcript = {
          command: given.command,
          output: given.output,
          ...(given.where !== undefined ? { where: given.where[this.lang] } : {}),
        };
        sink.transcripts.push(shown);
        this.emit({ type: 'transcript', lab, step, transcript: shown });
      },
      log: (line) => this.emit({ type: 'log', lab, step, line: line[this.lang] }),
      progress: (fraction, label) =>
        this.emit({ type: 'progress', lab, step, fraction, ...(label !== undefined ? { label: label[this.lang] } : {}) }),
      measure: (name, value) => {
        sink.measurements[name] = value;
      },
    };
  }
}
