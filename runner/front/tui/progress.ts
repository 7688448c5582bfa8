// What the learner has done so far, remembered between sessions in a small JSON file under
// the user's state directory ($XDG_STATE_HOME/nslab/progress.json, else
// ~/.local/state/nslab/progress.json). Under sudo that is root's home: good enough.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LabResult, Status } from '../../core/model.js';

export interface LabProgress {
  readonly status: Status;
  /** "5/5" checks passed. */
  readonly checks: string;
  /** ISO date of the run. */
  readonly at: string;
  readonly reason?: string;
}

export type Progress = Readonly<Record<string, LabProgress>>;

/** One exercise of `nslab try`, keyed "<lab>/<exercise>". Done stays done. */
export interface ExerciseProgress {
  readonly done: boolean;
  /** How many times `check` was asked. */
  readonly checks: number;
  /** Conditions that held at the last check: "1/2". */
  readonly last: string;
  /** ISO date of the last check, and of the first that passed. */
  readonly at: string;
  readonly doneAt?: string;
}

export type ExercisesProgress = Readonly<Record<string, ExerciseProgress>>;

interface Saved {
  readonly labs: Progress;
  readonly exercises: ExercisesProgress;
}

function loadSaved(file: string): Saved {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { labs?: unknown; exercises?: unknown };
    const obj = (x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? x : {});
    return { labs: obj(data.labs) as Progress, exercises: obj(data.exercises) as ExercisesProgress };
  } catch {
    return { labs: {}, exercises: {} };
  }
}

function save(file: string, saved: Saved): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, ...saved }, null, 2)}\n`);
    renameSync(tmp, file);
  } catch {
    // A read-only home must not break the tour: progress is then kept for this session only.
  }
}

/** The exercises done or tried on this machine. */
export function loadExercises(file = progressFile()): ExercisesProgress {
  return loadSaved(file).exercises;
}

/** Record one `check` of an exercise (written atomically); returns the new state of all exercises. */
export function recordCheck(key: string, done: boolean, last: string, file = progressFile()): ExercisesProgress {
  const saved = loadSaved(file);
  const before = saved.exercises[key];
  const at = new Date().toISOString();
  const wasDone = before?.done === true;
  const entry: ExerciseProgress = {
    done: wasDone || done,
    checks: (before?.checks ?? 0) + 1,
    last,
    at,
    ...(wasDone && before?.doneAt !== undefined ? { doneAt: before.doneAt } : done ? { doneAt: at } : {}),
  };
  const exercises = { ...saved.exercises, [key]: entry };
  save(file, { labs: saved.labs, exercises });
  return exercises;
}

export function progressFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'nslab', 'progress.json');
}

/** The saved progress; a missing or damaged file is no progress. */
export function loadProgress(file = progressFile()): Progress {
  return loadSaved(file).labs;
}

/** Record a lab's result (written atomically); returns the new progress. */
export function recordResult(result: LabResult, file = progressFile()): Progress {
  const checks = result.steps.flatMap((s) => s.checks);
  const entry: LabProgress = {
    status: result.status,
    checks: `${checks.filter((c) => c.status === 'passed').length}/${checks.length}`,
    at: new Date().toISOString(),
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
  };
  const saved = loadSaved(file);
  const next: Progress = { ...saved.labs, [result.id]: entry };
  save(file, { labs: next, exercises: saved.exercises });
  return next;
}

export function resetProgress(file = progressFile()): void {
  rmSync(file, { force: true });
}
