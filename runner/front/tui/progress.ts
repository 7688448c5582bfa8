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

export function progressFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'nslab', 'progress.json');
}

/** The saved progress; a missing or damaged file is no progress. */
export function loadProgress(file = progressFile()): Progress {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { labs?: Progress };
    return data.labs && typeof data.labs === 'object' ? data.labs : {};
  } catch {
    return {};
  }
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
  const next: Progress = { ...loadProgress(file), [result.id]: entry };
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, labs: next }, null, 2)}\n`);
    renameSync(tmp, file);
  } catch {
    // A read-only home must not break the tour: progress is then kept for this session only.
  }
  return next;
}

export function resetProgress(file = progressFile()): void {
  rmSync(file, { force: true });
}
