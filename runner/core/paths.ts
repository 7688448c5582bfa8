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
import { LabError, type Text } from './model.js';

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
export class RunDirError extends LabError {
  constructor(text: Text) {
    super(text);
    this.name = 'RunDirError';
  }
}

/** Refuse a directory that someone other than root could change (owner, mode, a symlink). */
function assertRootOnly(path: string, what: Text, allowSticky: boolean): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new RunDirError({
      en: `${path} (${what.en}) is not a plain directory: nslab will not keep its state there; remove it, as root, if it is not needed.`,
      zh: `${path}（${what.zh}）不是普通目录：nslab 不会在那里保存状态；如果用不到它，请以 root 身份删除。`,
    });
  if (st.uid !== 0)
    throw new RunDirError({
      en: `${path} (${what.en}) belongs to uid ${st.uid}, not root: nslab will not keep its state there.`,
      zh: `${path}（${what.zh}）属于 uid ${st.uid} 而不是 root：nslab 不会在那里保存状态。`,
    });
  const writableByOthers = (st.mode & 0o022) !== 0;
  const sticky = (st.mode & 0o1000) !== 0;
  const mode = (st.mode & 0o7777).toString(8);
  if (writableByOthers && !(allowSticky && sticky))
    throw new RunDirError({
      en: `${path} (${what.en}) can be written by other users (mode ${mode}): nslab will not keep its state there.`,
      zh: `${path}（${what.zh}）其他用户可以写入（权限 ${mode}）：nslab 不会在那里保存状态。`,
    });
}

const FAKE_ROOT = {
  en: 'nslab runs as root inside a user namespace here (a fake root): it needs the real root of this machine — run it with sudo from a normal shell.',
  zh: 'nslab 在这里以 user namespace 里的 root（假 root）运行：它需要这台机器真正的 root——请在普通 shell 里用 sudo 运行。',
};

/**
 * The base directory, created if needed (root, 0711) and checked: it and its parent must be
 * root's and not writable by anyone else. A read-only /run or a fake root (a user namespace)
 * gets one sentence that says what is wrong.
 */
export function ensureRunDir(): string {
  const dir = runDir();
  const map = (tryReadText('/proc/self/uid_map') ?? '').trim().split(/\s+/).join(' ');
  if (map !== '' && map !== '0 0 4294967295')
    throw new RunDirError(FAKE_ROOT);
  try {
    assertRootOnly(dirname(dir), { en: "the parent of nslab's run directory", zh: 'nslab 运行目录的上级目录' }, true);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    assertRootOnly(dir, { en: "nslab's run directory", zh: 'nslab 的运行目录' }, false);
    // Others may pass through (lab 07's uid 1000 reaches its workspace) but not list or write.
    if ((lstatSync(dir).mode & 0o777) !== 0o711) chmodSync(dir, 0o711);
  } catch (e) {
    if (e instanceof RunDirError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS')
      throw new RunDirError({
        en: `${dirname(dir)} is read-only, so nslab cannot record what it creates: run it on a system whose /run is writable (or set NSLAB_RUN_DIR to a root-owned directory).`,
        zh: `${dirname(dir)} 是只读的，nslab 无法记录它创建的东西：请在 /run 可写的系统上运行（或把 NSLAB_RUN_DIR 设为 root 所有的目录）。`,
      });
    if (code === 'EACCES' || code === 'EPERM')
      throw new RunDirError({
        en: `nslab cannot create ${dir} (${code}): it needs the real root of this machine, not root inside a user namespace — run it with sudo from a normal shell.`,
        zh: `nslab 无法创建 ${dir}（${code}）：它需要这台机器真正的 root，而不是 user namespace 里的 root——请在普通 shell 里用 sudo 运行。`,
      });
    const why = (e as Error).message;
    throw new RunDirError({ en: `nslab cannot use ${dir}: ${why}`, zh: `nslab 无法使用 ${dir}：${why}` });
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
