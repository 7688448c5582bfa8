// The cleanup stack: every object a lab creates is journalled here *before* it is created, and
// removed in reverse order on success, failure, exception, SIGINT, SIGTERM and output errors.
// The journal lives in the run's own directory; a run that crashed is recovered by the next
// one (or `nslab clean`), which first takes the dead run's lock, so no two processes ever
// recover the same run, and a live run is never touched.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseEntry, parseLine, replay, type Entry, type JournalLine, type OpenEntry } from './journal.js';
import { probeRun, runDirs, staleClaims, type Run } from './owner.js';
import { sweepStrays } from './sweep.js';
import { releaseNetnsDirs } from './shared.js';
import { undoEntry, type RunRef } from './undo.js';
import type { Lang, Text } from './model.js';

export interface UnwindResult {
  readonly removed: string[];
  /** "label: reason (by hand: command)" for each object that is still there. */
  readonly errors: string[];
}

interface Live {
  readonly id: number;
  /** What the learner reads; the journal keeps the English half. */
  readonly label: Text;
  entry: Entry;
  owned: boolean;
  failed?: string;
  command?: string;
}

const JOURNAL = 'journal.jsonl';

export interface CreateOptions<T> {
  /** The entry that proves the object ours once it exists (e.g. with the queue's id). */
  readonly confirm?: (value: T) => Entry;
  /** Keep the entry when `make` fails (a tool that may fail half-way; the name carries our token). */
  readonly keepOnFailure?: boolean;
}

export interface Created<T> {
  /** The id to pop() or release() the object by. */
  readonly id: number;
  /** What `make` returned. */
  readonly value: T;
}

export class CleanupStack {
  private readonly entries: Live[] = [];
  private next = 1;
  private closed = false;
  /** Entries whose undo failed; they stay in the journal with the reason. */
  private failed: Live[] = [];
  readonly file: string;

  constructor(
    readonly run: Run,
    private readonly lang: Lang = 'en',
  ) {
    this.file = join(run.dir, JOURNAL);
  }

  private write(line: JournalLine): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }

  /** `nslab-<token>-<suffix>`. */
  name(suffix: string): string {
    return this.run.name(suffix);
  }

  /** A path beneath the run directory, as the journal stores it; anything else is refused here. */
  rel(path: string): string {
    const r = relative(this.run.dir, path);
    if (r === '' || r.startsWith('..') || r.startsWith('/')) throw new Error(`${path} is not beneath this run's directory ${this.run.dir}`);
    return r;
  }

  /** Throw if the run is being cleaned up: a step still running then must create nothing new. */
  assertOpen(what: string): void {
    if (this.closed) throw new Error(`not creating ${what}: the run is being cleaned up`);
  }

  /** Record an object about to be created ("intend"); returns the id to release it by. */
  push(entry: Entry, label: Text): number {
    this.assertOpen(label.en);
    parseEntry(entry); // never journal what a later run would refuse to read
    const e: Live = { id: this.next++, label, entry, owned: false };
    this.write({ v: 1, at: 'intend', id: e.id, label: label.en, entry });
    this.entries.push(e);
    return e.id;
  }

  /** The object exists and is ours (the kernel said so): record what proves it. */
  own(id: number, entry: Entry): void {
    const e = this.entries.find((x) => x.id === id);
    if (!e) return;
    e.entry = entry;
    e.owned = true;
    this.write({ v: 1, at: 'own', id, entry });
  }

  /**
   * Create an object and record it in one call: the entry is journalled ("intend"), `make`
   * creates the object, and the entry is confirmed ("own", with what `confirm` adds, such as a
   * queue's id). When `make` fails the object is not ours: it was never created, or it existed
   * already (EEXIST, a taken name) and belongs to someone else — the entry is dropped and the
   * error thrown. `keepOnFailure` keeps it instead, for tools that may fail half-way through
   * (the name carries our token, so what they left is provably ours).
   */
  async create<T>(entry: Entry, label: Text, make: () => T | Promise<T>, opts: CreateOptions<T> = {}): Promise<Created<T>> {
    const id = this.push(entry, label);
    try {
      return this.confirmed(id, entry, await make(), opts);
    } catch (e) {
      if (!opts.keepOnFailure) this.release(id);
      throw e;
    }
  }

  /** `create` for a `make` that is synchronous (mkdir, msgget, mount). */
  createSync<T>(entry: Entry, label: Text, make: () => T, opts: CreateOptions<T> = {}): Created<T> {
    const id = this.push(entry, label);
    try {
      return this.confirmed(id, entry, make(), opts);
    } catch (e) {
      if (!opts.keepOnFailure) this.release(id);
      throw e;
    }
  }

  private confirmed<T>(id: number, entry: Entry, value: T, opts: CreateOptions<T>): Created<T> {
    this.own(id, opts.confirm ? opts.confirm(value) : entry);
    return { id, value };
  }

  /** A process we started: recorded with its start time so that a reused PID is never killed. */
  pushProcess(pid: number, start: string | undefined, label: Text): number {
    // No start time: the child was gone before spawn() returned; there is nothing to kill later.
    if (start === undefined) return 0;
    return this.push({ kind: 'process', pid, start }, label);
  }

  /** Undo one entry now (the step is done with the object); returns the error, if any. */
  pop(id: number): string | undefined {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    const r = undoEntry(e!.entry, this.run, e!.owned);
    if (r.ok || r.refused) {
      this.write({ v: 1, at: 'done', id });
      return r.ok ? undefined : `${e!.label[this.lang]}: ${r.reason}`;
    }
    this.failed.push({ ...e!, failed: r.reason, command: r.command });
    return `${e!.label[this.lang]}: ${r.reason} ${byHand(r.command, this.lang)}`;
  }

  /** The object is gone by other means, or was never created: forget it. */
  release(id: number): void {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.write({ v: 1, at: 'done', id });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Undo everything, newest first; errors are collected, never thrown. */
  unwind(): UnwindResult {
    this.closed = true;
    const pending = [...this.failed, ...this.entries];
    this.entries.length = 0;
    this.failed = [];
    const result = undoAll(pending, this.run, this.lang);
    this.failed = result.left;
    return { removed: result.removed, errors: result.errors };
  }

  /**
   * The run is over: with nothing left, its directory goes; otherwise the journal is rewritten
   * to what is left (with the reason and a command), for the next run or `nslab clean`.
   */
  close(): void {
    this.closed = true;
    const left = [...this.failed, ...this.entries];
    if (left.length === 0) this.run.release({ remove: true });
    else {
      rewrite(this.file, left);
      this.run.release({ remove: false });
    }
  }
}

/** "(by hand: command)" in the learner's language. */
function byHand(command: string, lang: Lang): string {
  return lang === 'zh' ? `（手动：${command}）` : `(by hand: ${command})`;
}

function undoAll(pending: Live[], run: RunRef, lang: Lang = 'en'): { removed: string[]; errors: string[]; left: Live[] } {
  const removed: string[] = [];
  const errors: string[] = [];
  const left: Live[] = [];
  for (const e of [...pending].reverse()) {
    const r = undoEntry(e.entry, run, e.owned);
    const label = e.label[lang];
    if (r.ok) removed.push(label);
    else if (r.refused) errors.push(`${label}: ${r.reason}`);
    else {
      errors.push(`${label}: ${r.reason} ${byHand(r.command, lang)}`);
      left.unshift({ ...e, failed: r.reason, command: r.command });
    }
  }
  return { removed, errors, left };
}

/** Replace the journal by the entries still left, atomically. */
function rewrite(file: string, left: readonly Live[]): void {
  const lines: string[] = [];
  for (const e of left) {
    lines.push(
      JSON.stringify({
        v: 1,
        at: 'intend',
        id: e.id,
        label: e.label.en,
        entry: e.entry,
        ...(e.failed !== undefined ? { failed: e.failed } : {}),
        ...(e.command !== undefined ? { command: e.command } : {}),
      } satisfies JournalLine),
    );
    if (e.owned) lines.push(JSON.stringify({ v: 1, at: 'own', id: e.id, entry: e.entry } satisfies JournalLine));
  }
  for (const l of lines) parseLine(l); // never write what we would refuse to read
  writeFileSync(`${file}.new`, `${lines.join('\n')}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

/** What recovery did, for `nslab clean` and the start of every run to say. */
export interface RecoverReport extends UnwindResult {
  /** Journal lines that did not fit the schema ("file:line: why"). */
  readonly bad: string[];
  /** Runs still alive, left alone ("run 4312 (08-network), token 1a2b"). */
  readonly live: string[];
}

/** Recover one dead run whose lock we hold: undo its journal, sweep its token, remove its directory. */
function recoverRun(run: Run, lang: Lang): RecoverReport {
  const file = join(run.dir, JOURNAL);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no journal: only the sweep below can find what the run made
  }
  const { open, bad } = replay(text, file);
  const pending: Live[] = open.map((o: OpenEntry) => ({ id: o.id, label: { en: o.label, zh: o.label }, entry: o.entry, owned: o.owned }));
  const r = undoAll(pending, run, lang);
  // A run that lost its journal line may still be counted as a user of /run/netns.
  if (existsSync(join(run.dir, 'uses-netns-dirs'))) releaseNetnsDirs(run.dir);
  const swept = sweepStrays(run.token, run.dir, lang);
  const errors = [...r.errors, ...swept.errors];
  if (r.left.length === 0 && swept.errors.length === 0) run.release({ remove: true });
  else {
    rewrite(file, r.left);
    run.release({ remove: false });
  }
  return { removed: [...r.removed, ...swept.removed], errors, bad, live: [] };
}

/** What `nslab clean` and every start do: recover every dead run, leave the live ones alone. */
export function recoverAll(lang: Lang = 'en'): RecoverReport {
  const removed: string[] = [];
  const errors: string[] = [];
  const bad: string[] = [];
  const live: string[] = [];
  for (const stale of staleClaims()) removed.push(lang === 'zh' ? `建了一半的运行目录 ${stale}` : `half-made run directory ${stale}`);
  for (const { token, dir } of runDirs()) {
    const p = probeRun(dir, token);
    if (p.live) {
      if (lang === 'zh') live.push(p.holder ? `运行 ${p.holder.pid}（${p.holder.lab}），令牌 ${token}` : `令牌 ${token}`);
      else live.push(p.holder ? `run ${p.holder.pid} (${p.holder.lab}), token ${token}` : `token ${token}`);
      continue;
    }
    const r = recoverRun(p.adopt, lang);
    removed.push(...r.removed);
    errors.push(...r.errors);
    bad.push(...r.bad);
  }
  // Objects of runs that left no directory at all (a journal lost with its run).
  const strays = sweepStrays(undefined, undefined, lang);
  removed.push(...strays.removed);
  errors.push(...strays.errors);
  return { removed, errors, bad, live };
}
