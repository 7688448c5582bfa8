// Where nslab keeps its run-time state on the host, and the identity of a process.
//
//   /run/nslab/                 root, 0711: nobody else can create, rename or swap anything here
//     <token>/                  one lab run (token: 4 hex digits, also in every object's name)
//       lock                    flock()ed for the run's whole life; {pid, start, lab} inside
//       journal.jsonl           what the run created (runner/journal.ts)
//       scratch/                0700 work space; ws/ for what an unprivileged uid must reach
//     locks/<name>.lock         named resources runs wait for (runner/owner.ts)
//     shared/                   refcounts of host places several runs use (/run/netns)
import { chmodSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The default base directory. */
export const DEFAULT_RUN_DIR = '/run/nslab';

/** The base directory; NSLAB_RUN_DIR moves it (tests use that). */
export function runDir(): string {
  return process.env.NSLAB_RUN_DIR ?? DEFAULT_RUN_DIR;
}

/** Field 22 of /proc/PID/stat: the start time that tells a PID from a reused one. */
export function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterComm[19];
  } catch {
    return undefined;
  }
}

function tryReadText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A place nslab cannot keep its state in, said in one sentence with what to do. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/** Refuse a directory that someone other than root could change (owner, mode, a symlink). */
function assertRootOnly(path: string, what: string, allowSticky: boolean): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new RunDirError(`${path} (${what}) is not a plain directory: nslab will not keep its state there; remove it, as root, if it is not needed.`);
  if (st.uid !== 0) throw new RunDirError(`${path} (${what}) belongs to uid ${st.uid}, not root: nslab will not keep its state there.`);
  const writableByOthers = (st.mode & 0o022) !== 0;
  const sticky = (st.mode & 0o1000) !== 0;
  if (writableByOthers && !(allowSticky && sticky))
    throw new RunDirError(`${path} (${what}) can be written by other users (mode ${(st.mode & 0o7777).toString(8)}): nslab will not keep its state there.`);
}

/**
 * The base directory, created if needed (root, 0711) and checked: it and its parent must be
 * root's and not writable by anyone else. A read-only /run or a fake root (a user namespace)
 * gets one sentence that says what is wrong.
 */
export function ensureRunDir(): string {
  const dir = runDir();
  const map = (tryReadText('/proc/self/uid_map') ?? '').trim().split(/\s+/).join(' ');
  if (map !== '' && map !== '0 0 4294967295')
    throw new RunDirError('nslab runs as root inside a user namespace here (a fake root): it needs the real root of this machine — run it with sudo from a normal shell.');
  try {
    assertRootOnly(dirname(dir), 'the parent of nslab\'s run directory', true);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    assertRootOnly(dir, 'nslab\'s run directory', false);
    // Others may pass through (lab 07's uid 1000 reaches its workspace) but not list or write.
    if ((lstatSync(dir).mode & 0o777) !== 0o711) chmodSync(dir, 0o711);
  } catch (e) {
    if (e instanceof RunDirError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') throw new RunDirError(`${dirname(dir)} is read-only, so nslab cannot record what it creates: run it on a system whose /run is writable (or set NSLAB_RUN_DIR to a root-owned directory).`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new RunDirError(`nslab cannot create ${dir} (${code}): it needs the real root of this machine, not root inside a user namespace — run it with sudo from a normal shell.`);
    throw new RunDirError(`nslab cannot use ${dir}: ${(e as Error).message}`);
  }
  return dir;
}

/** A directory beneath one of ours, made exclusively (an existing one is someone else's). */
export function mkdirOwn(parent: string, name: string, mode: number): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') throw new Error(`not a plain name: ${name}`);
  const path = join(parent, name);
  mkdirSync(path, { mode });
  return path;
}
