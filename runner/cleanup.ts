// The cleanup stack: every object a lab creates is recorded here *before* it is created, and
// removed in reverse order on success, failure, exception, SIGINT and SIGTERM. The record is
// a journal on disk (one JSON line per event), so a run that crashed is cleaned up by the next.
import { appendFileSync, mkdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { journalDir, runDir, runId, startTime } from './paths.js';
import { listDir } from './proc.js';
import { undoers, type UndoArgs } from './undo.js';

export type UndoKind = keyof typeof undoers;

interface Entry {
  readonly id: number;
  readonly kind: string;
  readonly args: UndoArgs;
  readonly label: string;
}

type JournalLine = { push: Entry } | { done: number };

export interface UnwindResult {
  readonly removed: string[];
  readonly errors: string[];
}

function undo(entry: Entry): string | undefined {
  const fn = undoers[entry.kind];
  if (!fn) return `${entry.label}: unknown kind ${entry.kind}`;
  try {
    fn(entry.args);
    return undefined;
  } catch (e) {
    return `${entry.label}: ${(e as Error).message}`;
  }
}

export class CleanupStack {
  private readonly entries: Entry[] = [];
  private next = 1;
  private closed = false;
  /** Entries whose undo failed; they stay in the journal. */
  private failed: Entry[] = [];
  readonly file: string;

  constructor(name = runId()) {
    this.file = join(journalDir(), `${name}.jsonl`);
  }

  private write(line: JournalLine): void {
    mkdirSync(journalDir(), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** Record an object about to be created; returns the id to release it by. */
  push(kind: UndoKind, args: UndoArgs, label: string): number {
    // A step still running after an interrupt must not create anything new.
    if (this.closed) throw new Error(`not creating ${label}: the run is being cleaned up`);
    const entry: Entry = { id: this.next++, kind, args, label };
    this.write({ push: entry });
    this.entries.push(entry);
    return entry.id;
  }

  /** A process we started: recorded with its start time so a reused PID is never killed. */
  pushProcess(pid: number, label: string): number {
    return this.push('kill', { pid, start: startTime(pid) ?? '' }, label);
  }

  /** Undo one entry now (the step is done with the object). */
  pop(id: number): string | undefined {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return undefined;
    const [entry] = this.entries.splice(i, 1);
    const err = undo(entry!);
    if (!this.closed) this.write({ done: id });
    return err;
  }

  /** The object is gone by other means: forget it. */
  release(id: number): void {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return;
    this.entries.splice(i, 1);
    if (!this.closed) this.write({ done: id });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Undo everything, newest first; errors are collected, never thrown. */
  unwind(): UnwindResult {
    this.closed = true;
    const removed: string[] = [];
    const errors: string[] = [];
    // What an earlier unwind could not remove is tried again, after everything newer.
    const pending = [...this.failed, ...this.entries];
    this.entries.length = 0;
    this.failed = [];
    while (pending.length > 0) {
      const entry = pending.pop()!;
      const err = undo(entry);
      if (err) {
        errors.push(err);
        this.failed.unshift(entry);
      } else {
        removed.push(entry.label);
      }
    }
    // The journal goes only when nothing is left: otherwise the next run recovers from it.
    if (this.failed.length === 0) {
      rmSync(this.file, { force: true });
      removeRunDirIfEmpty();
    }
    return { removed, errors };
  }
}

/** Leave no trace: the run directory goes once no journal and no scratch is left in it. */
export function removeRunDirIfEmpty(): void {
  for (const dir of [journalDir(), runDir()]) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty, or already gone
    }
  }
}

/** Journals whose owner process is gone. */
export function orphanJournals(): string[] {
  return listDir(journalDir())
    .filter((f) => f.endsWith('.jsonl'))
    .filter((f) => {
      // Journal names begin with the owner's "<pid>-<start time>".
      const m = /^(\d+)-(\d+)/.exec(f);
      return m === null || startTime(Number(m[1])) !== m[2];
    })
    .map((f) => join(journalDir(), f));
}

/** Replay one crashed run's journal: undo what it created and did not remove. */
export function recoverJournal(file: string): UnwindResult {
  const open = new Map<number, Entry>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { removed: [], errors: [] };
  }
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      continue; // a torn last line from a crash
    }
    if ('push' in line) open.set(line.push.id, line.push);
    else open.delete(line.done);
  }
  const removed: string[] = [];
  const errors: string[] = [];
  for (const entry of [...open.values()].reverse()) {
    const err = undo(entry);
    if (err) errors.push(err);
    else removed.push(entry.label);
  }
  if (errors.length === 0) rmSync(file, { force: true });
  return { removed, errors };
}

/** What `nslab clean` and every start do: remove what crashed runs left. */
export function recoverAll(): UnwindResult {
  const removed: string[] = [];
  const errors: string[] = [];
  for (const file of orphanJournals()) {
    const r = recoverJournal(file);
    removed.push(...r.removed);
    errors.push(...r.errors);
  }
  removeRunDirIfEmpty();
  return { removed, errors };
}
