// The context of one lab run: its claim (token, run directory, cleanup stack), its scratch
// directories, the processes it spawns, and what its steps observed. Each step sees it through
// a StepContext.
import { join } from 'node:path';
import { spawn as spawnChild, type Child, type SpawnSpec } from '../../addon/index.js';
import { CleanupStack } from './cleanup.js';
import type { Lab, Lang, RunListener, Step, StepContext, Transcript } from './model.js';
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
    this.cleanup = new CleanupStack(claimRun(lab.id));
  }

  get token(): string {
    return this.cleanup.run.token;
  }

  private ownDir(name: string, mode: number): string {
    const dir = join(this.cleanup.run.dir, name);
    return this.cleanup.createSync({ kind: 'path', rel: name }, `${name === 'ws' ? 'workspace' : 'scratch directory'} ${dir}`, () =>
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
  spawn(spec: SpawnSpec, label: string): { child: Child; id: number } {
    this.cleanup.assertOpen(label);
    const child = spawnChild(spec);
    try {
      return { child, id: this.cleanup.pushProcess(child.pid, child.startTime, `${label} (pid ${child.pid})`) };
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
          throw new Error(`step "${step.id}" needs what step "${earlier.id}" observed, and that step has not run in this session`);
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
      transcript: (t) => {
        sink.transcripts.push(t);
        this.emit({ type: 'transcript', lab, step, transcript: t });
      },
      log: (line) => this.emit({ type: 'log', lab, step, line }),
      progress: (fraction, label) => this.emit({ type: 'progress', lab, step, fraction, ...(label !== undefined ? { label } : {}) }),
      measure: (name, value) => {
        sink.measurements[name] = value;
      },
    };
  }
}
