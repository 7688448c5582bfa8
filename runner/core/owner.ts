// Who owns what: every lab run claims a token and a directory under the run directory and
// holds an flock() on its lock file for as long as it lives. The kernel drops that lock when
// the process dies, however it dies, so "is this run alive?" is one non-blocking flock: no
// PID is guessed, and the cleaner that takes a dead run's lock is the only one recovering it.
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { flock, renameNoReplace } from '../../addon/index.js';
import { DEFAULT_RUN_DIR, ensureRunDir, runDir, startTime } from './paths.js';
import { mountsUnder } from './undo.js';

/** Every object a run creates is named nslab-<token>-…; the token is 4 hex digits (fits IFNAMSIZ). */
export const TOKEN = /^[0-9a-f]{4}$/;

export interface Holder {
  readonly pid: number;
  readonly start: string;
  readonly lab: string;
}

function parseHolder(text: string | undefined): Holder | undefined {
  try {
    const o = JSON.parse(text ?? '') as Record<string, unknown>;
    if (typeof o.pid === 'number' && typeof o.start === 'string' && typeof o.lab === 'string') return { pid: o.pid, start: o.start, lab: o.lab };
  } catch {
    // not a holder record
  }
  return undefined;
}

function readHolder(file: string): Holder | undefined {
  try {
    return parseHolder(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeHolder(fd: number, lab: string): void {
  const text = JSON.stringify({ pid: process.pid, start: startTime('self') ?? '', lab } satisfies Holder);
  ftruncateSync(fd, 0);
  writeSync(fd, `${text}\n`, 0);
}

const openLock = (file: string, create: boolean) =>
  openSync(file, constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0), 0o600);

/** One lab run's claim: its token, its directory and the lock it holds. */
export class Run {
  private released = false;
  constructor(
    readonly token: string,
    readonly dir: string,
    private readonly lockFd: number,
  ) {}

  /** `nslab-<token>-<suffix>`: the name of an object of this run. */
  name(suffix: string): string {
    return `nslab-${this.token}-${suffix}`;
  }

  /** The token as a number (System V keys carry it in their low 16 bits). */
  get tokenNumber(): number {
    return parseInt(this.token, 16);
  }

  /** Drop the lock; with `remove`, the run's directory goes too (only when nothing is left). */
  release(opts: { remove: boolean }): void {
    if (this.released) return;
    this.released = true;
    // Never recurse into a mount: a directory with anything mounted below it stays.
    if (opts.remove && mountsUnder(this.dir).length === 0) rmSync(this.dir, { recursive: true, force: true });
    closeSync(this.lockFd);
  }
}

/**
 * Claim a new run: a directory made under a temporary name with its lock already held, then
 * renamed into place without replacing anything, so a token directory is never seen unlocked
 * while its run lives. A token in use (here or in the default run directory) is never reused.
 */
export function claimRun(lab: string): Run {
  const base = ensureRunDir();
  for (let attempt = 0; attempt < 64; attempt++) {
    const token = randomInt(0, 0x10000).toString(16).padStart(4, '0');
    if (base !== DEFAULT_RUN_DIR && tokenDirExists(DEFAULT_RUN_DIR, token)) continue;
    const tmp = join(base, `.new-${process.pid}-${token}`);
    mkdirSync(tmp, { mode: 0o711 });
    const fd = openLock(join(tmp, 'lock'), true);
    flock(fd, { exclusive: true });
    writeHolder(fd, lab);
    const dir = join(base, token);
    try {
      renameNoReplace(tmp, dir);
      return new Run(token, dir, fd);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' && (e as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw e;
    }
  }
  throw new Error(`nslab could not find a free run token in ${base}: run nslab clean`);
}

function tokenDirExists(base: string, token: string): boolean {
  try {
    return readdirSync(base).includes(token);
  } catch {
    return false;
  }
}

/** The state of a run directory: live (someone holds its lock) or dead (we now hold it). */
export type Probe = { live: true; holder: Holder | undefined } | { live: false; adopt: Run };

/**
 * Is the run in `dir` alive? When it is dead, its lock is ours from here on: the caller
 * recovers it and must call adopt.release(). A directory without a lock file is dead too.
 */
export function probeRun(dir: string, token: string): Probe {
  const file = join(dir, 'lock');
  let fd: number;
  try {
    fd = openLock(file, true);
  } catch {
    return { live: true, holder: undefined }; // cannot tell: leave it alone
  }
  if (flock(fd, { exclusive: true })) return { live: false, adopt: new Run(token, dir, fd) };
  const holder = readHolder(file);
  closeSync(fd);
  return { live: true, holder };
}

/** Is any run with this token alive, here or in the default run directory? */
export function tokenLive(token: string): boolean {
  for (const base of new Set([runDir(), DEFAULT_RUN_DIR])) {
    const dir = join(base, token);
    if (!tokenDirExists(base, token)) continue;
    const p = probeRun(dir, token);
    if (p.live) return true;
    p.adopt.release({ remove: false });
  }
  return false;
}

/** Run directories under the base: tokens, and leftovers of claims that never completed. */
export function runDirs(): { token: string; dir: string }[] {
  let names: string[] = [];
  try {
    names = readdirSync(runDir());
  } catch {
    return [];
  }
  return names.filter((n) => TOKEN.test(n)).map((token) => ({ token, dir: join(runDir(), token) }));
}

/** Half-made claims (`.new-PID-TOKEN`) whose maker is gone. */
export function staleClaims(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(runDir());
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const m = /^\.new-\d+-([0-9a-f]{4})$/.exec(n);
    if (!m) continue;
    const p = probeRun(join(runDir(), n), m[1]!);
    if (!p.live) {
      p.adopt.release({ remove: true });
      out.push(join(runDir(), n));
    }
  }
  return out;
}

// ---------------------------------------------------------------- named resources

/** A host resource one run at a time may use (the CPU for timing, the cgroup2 root). */
export class ResourceLock {
  private constructor(private readonly fd: number) {}

  /**
   * Take the named lock, waiting while another run holds it. `waiting` is told once whom we
   * wait for ("09-cgroups run 4312"); an aborted signal stops the wait.
   */
  static async acquire(name: string, lab: string, signal: AbortSignal, waiting: (holder: string) => void): Promise<ResourceLock> {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`not a resource name: ${name}`);
    const dir = join(ensureRunDir(), 'locks');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${name}.lock`);
    const fd = openLock(file, true);
    let told = false;
    try {
      while (!flock(fd, { exclusive: true })) {
        if (!told) {
          const h = readHolder(file);
          waiting(h ? `${h.lab} run ${h.pid}` : 'another nslab run');
          told = true;
        }
        if (signal.aborted) throw new Error('interrupted while waiting');
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    writeHolder(fd, lab);
    return new ResourceLock(fd);
  }

  release(): void {
    try {
      ftruncateSync(this.fd, 0);
    } finally {
      closeSync(this.fd);
    }
  }
}
