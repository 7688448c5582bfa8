// The typed face of the native addon. Labs import this module, never the raw binding.
import { Socket } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { loadBinding, probePath } from './loader.js';
import { diagnose } from './diagnose.js';
import type { RawAction, RawBinding } from './native.js';
import { CLONE_FLAG, actionEntry, type Lookup, type SetupAction } from './actions.js';

export { probePath, packageRoot, AddonMissingError } from './loader.js';
export { workloadPath } from './loader.js';
export { diagnose } from './diagnose.js';
export type { SetupAction } from './actions.js';

export type Namespace = 'uts' | 'ipc' | 'pid' | 'mnt' | 'net' | 'user' | 'cgroup';
export const NAMESPACES: readonly Namespace[] = ['uts', 'ipc', 'pid', 'mnt', 'net', 'user', 'cgroup'];

export type MountFlag =
  | 'rdonly' | 'nosuid' | 'nodev' | 'noexec' | 'remount' | 'bind' | 'move' | 'rec'
  | 'private' | 'slave' | 'shared' | 'unbindable' | 'strictatime' | 'relatime';

export type StdioMode = 'pipe' | 'inherit' | 'null' | number;

export interface SpawnSpec {
  /** Namespaces the clone() creates (none: a plain fork, the article's control experiment). */
  readonly namespaces?: readonly Namespace[];
  readonly argv: readonly string[];
  /** The program to execve(); defaults to argv[0]. Resolved inside the child's final root. */
  readonly file?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stdio?: readonly [StdioMode, StdioMode, StdioMode];
  readonly actions?: readonly SetupAction[];
  /** Signal the child gets when nslab dies (default SIGKILL: nothing outlives a crash). */
  readonly pdeathsig?: NodeJS.Signals | null;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A system error from the child or the addon, shaped like Node's own. */
export class NsError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  /** The setup action that failed ("mount", "pivotRoot", "execve"...). */
  readonly action?: string;
  readonly diagnosis?: string;
  constructor(o: { code: string; errno: number; syscall: string; path?: string; action?: string; message: string }) {
    const diagnosis = diagnose(o);
    super(diagnosis ? `${o.message} (${diagnosis})` : o.message);
    this.name = 'NsError';
    this.code = o.code;
    this.errno = o.errno;
    this.syscall = o.syscall;
    if (o.path !== undefined) this.path = o.path;
    if (o.action !== undefined) this.action = o.action;
    if (diagnosis !== undefined) this.diagnosis = diagnosis;
  }
}

const errnoNames: Map<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, num]) => [num as number, name]),
);
const strerror: Record<string, string> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', ESRCH: 'No such process',
  EINTR: 'Interrupted system call', EIO: 'Input/output error', EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable', ENOMEM: 'Cannot allocate memory', EACCES: 'Permission denied',
  EFAULT: 'Bad address', EBUSY: 'Device or resource busy', EEXIST: 'File exists', ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory', EINVAL: 'Invalid argument', ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system', ENOSYS: 'Function not implemented', ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links', ENAMETOOLONG: 'File name too long', ENODEV: 'No such device',
  ECANCELED: 'Operation canceled', EUSERS: 'Too many users', ENOEXEC: 'Exec format error',
};

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** What an action means in system-call terms, for error messages (the table in actions.ts). */
function describeAction(a: SetupAction): { syscall: string; path?: string; call: string } {
  return actionEntry(a.do)!.describe(a);
}

function binding(): RawBinding {
  return loadBinding();
}

function constant(name: string): number {
  const v = binding().constants[name];
  if (typeof v !== 'number') throw new Error(`the addon does not export ${name}`);
  return v;
}

export function cloneFlags(namespaces: readonly Namespace[]): number {
  return namespaces.reduce((flags, ns) => flags | constant(CLONE_FLAG[ns]), 0);
}

export function mountFlags(flags: readonly MountFlag[] = []): number {
  return flags.reduce((acc, f) => acc | constant(`MS_${f.toUpperCase()}`), 0);
}

const lookup: Lookup = { constant, cloneFlags, mountFlags };

/** The raw action the addon takes (the table in actions.ts; the numbers from the binding). */
function toRaw(a: SetupAction): RawAction {
  const op = binding().constants.ops[a.do];
  const entry = actionEntry(a.do);
  if (op === undefined || entry === undefined) throw new Error(`unknown setup action ${a.do}`);
  return { op, ...entry.marshal(a, lookup) };
}

const STDIO_CODE = { pipe: -1, inherit: -2, null: -3 } as const;
const signalNames: Map<number, NodeJS.Signals> = new Map(
  Object.entries(osConstants.signals).map(([name, num]) => [num as number, name as NodeJS.Signals]),
);

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readAll(fd: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = new Socket({ fd, readable: true, writable: false });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** A process spawned into namespaces. */
export class Child {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat, read before anything can reap the child: what tells it from a reused PID. */
  readonly startTime: string | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves when the child has exited and been reaped. */
  readonly exited: Promise<ExitStatus>;
  private readonly started: Promise<void>;
  private syncFd: Socket | null;
  private done = false;

  constructor(private readonly spec: SpawnSpec) {
    const raw = binding().spawn({
      flags: cloneFlags(spec.namespaces ?? []),
      file: spec.file ?? spec.argv[0] ?? '',
      argv: [...spec.argv],
      env: Object.entries(spec.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }).map(
        ([k, v]) => `${k}=${v}`,
      ),
      stdio: (spec.stdio ?? ['null', 'pipe', 'pipe']).map((m) => (typeof m === 'number' ? m : STDIO_CODE[m])) as [
        number,
        number,
        number,
      ],
      actions: (spec.actions ?? []).map(toRaw),
      sync: (spec.actions ?? []).some((a) => a.do === 'wait'),
      pdeathsig: spec.pdeathsig === null ? 0 : osConstants.signals[spec.pdeathsig ?? 'SIGKILL'],
    });
    this.pid = raw.pid;
    this.startTime = procStartTime(raw.pid);
    const sock = (fd: number, readable: boolean) =>
      fd >= 0 ? new Socket({ fd, readable, writable: !readable }) : null;
    this.stdin = sock(raw.stdin, false);
    this.stdout = sock(raw.stdout, true);
    this.stderr = sock(raw.stderr, true);
    this.syncFd = raw.syncFd >= 0 ? new Socket({ fd: raw.syncFd, readable: false, writable: true }) : null;
    // A child that died while it waited (killed by a stop) makes go()'s write fail with EPIPE: that
    // death is reported by ready() and exited, so the write error itself is dropped, never thrown.
    this.syncFd?.on('error', () => undefined);
    this.exited = new Promise((resolve, reject) => {
      try {
        binding().watchExit(raw.pid, raw.pidfd, (code, signal) => {
          this.done = true;
          resolve({ code, signal: signal === null ? null : (signalNames.get(signal) ?? null) });
        });
      } catch (e) {
        // System failures fall back to a waitpid thread in the addon; only a Node-API failure gets here.
        reject(e as Error);
      }
    });
    this.exited.catch(() => undefined); // observed by whoever awaits it, never an unhandled rejection
    this.started = readAll(raw.errFd).then((buf) => {
      if (buf.length < 8) return;
      throw this.failure(buf.readInt32LE(0), buf.readInt32LE(4));
    });
    this.started.catch(() => undefined); // observed through ready()
  }

  private failure(step: number, err: number): NsError {
    const c = binding().constants;
    const code = errnoName(err);
    const text = strerror[code] ?? `errno ${err}`;
    let syscall: string, path: string | undefined, call: string, action: string;
    if (step === c.stepExec) {
      const file = this.spec.file ?? this.spec.argv[0] ?? '';
      [syscall, path, call, action] = ['execve', file, `execve(${JSON.stringify(file)})`, 'execve'];
    } else if (step === c.stepStdio) {
      [syscall, path, call, action] = ['dup2', undefined, 'dup2(stdio)', 'stdio'];
    } else if (step === c.stepSignals) {
      [syscall, path, call, action] = ['sigprocmask', undefined, 'sigprocmask()', 'signals'];
    } else {
      const a = (this.spec.actions ?? [])[step];
      if (!a) return new NsError({ code, errno: -err, syscall: 'unknown', message: `${code}: step ${step}: ${text}` });
      ({ syscall, path, call } = describeAction(a));
      action = a.do;
    }
    return new NsError({ code, errno: -err, syscall, path, action, message: `${code}: ${call}: ${text}` });
  }

  /** Let a child that waits (a 'wait' action) go on. */
  go(): void {
    if (!this.syncFd) throw new Error('this child has no wait action');
    this.syncFd.end(Buffer.from([1]));
    this.syncFd = null;
  }

  /** Resolves once the child has exec'd its program; rejects with the failing setup step. */
  ready(): Promise<void> {
    return this.started;
  }

  get running(): boolean {
    return !this.done;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.done) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Close our end of the sync pipe without a go: a waiting child gives up. */
  abandon(): void {
    this.syncFd?.destroy();
    this.syncFd = null;
  }

  /** Collect stdout and stderr and wait for the exit. Rejects when setup failed. */
  async output(): Promise<RunResult> {
    const text = (r: Readable | null) =>
      new Promise<string>((resolve) => {
        if (!r) return resolve('');
        let s = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (s += c));
        r.on('error', () => resolve(s));
        r.on('close', () => resolve(s));
      });
    const [stdout, stderr] = await Promise.all([text(this.stdout), text(this.stderr)]);
    const status = await this.exited;
    await this.started;
    return { stdout, stderr, ...status };
  }
}

export interface RunResult extends ExitStatus {
  readonly stdout: string;
  readonly stderr: string;
}

export function spawn(spec: SpawnSpec): Child {
  return new Child(spec);
}

/** Spawn, wait for the exit and collect the output. */
export async function run(spec: SpawnSpec, input?: string): Promise<RunResult> {
  const child = spawn({ stdio: [input === undefined ? 'null' : 'pipe', 'pipe', 'pipe'], ...spec });
  if (input !== undefined) child.stdin?.end(input);
  return child.output();
}

/** The inode that identifies a process's namespace (what `readlink /proc/PID/ns/uts` shows). */
export function nsInode(pid: number | 'self', ns: Namespace): number {
  return statSync(`/proc/${pid}/ns/${ns}`).ino;
}

export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: readonly MountFlag[] = [],
  data: string | null = null,
): void {
  binding().mount(source, target, fstype, mountFlags(flags), data);
}

export function umount(target: string, opts: { detach?: boolean } = {}): void {
  binding().umount(target, opts.detach ? constant('MNT_DETACH') : 0);
}

/** msgget(key, IPC_CREAT|IPC_EXCL|0600): what `ipcmk -Q` does. */
export function msgCreate(key: number): number {
  return binding().msgget(key, true);
}

/** The id of the queue with this key, or undefined. */
export function msgLookup(key: number): number | undefined {
  try {
    return binding().msgget(key, false);
  } catch (e) {
    if ((e as NsError).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function msgRemove(msqid: number): void {
  binding().msgRemove(msqid);
}

export function reclaimTerminal(fd = 0): boolean {
  return binding().reclaimTerminal(fd);
}

/** lgetxattr(2): an extended attribute's value, or undefined when the file has none by that name. */
export function getxattr(path: string, name: string): Buffer | undefined {
  return binding().getxattr(path, name) ?? undefined;
}

/** lsetxattr(2) (what `setfattr -n NAME -v VALUE PATH` does). */
export function setxattr(path: string, name: string, value: string | Buffer): void {
  binding().setxattr(path, name, typeof value === 'string' ? Buffer.from(value) : value);
}

/** flock(2) on an open fd: true when taken; false when another process holds it (and `wait` is false).
 *  The lock dies with the process that holds it, which is what makes it a liveness test. */
export function flock(fd: number, opts: { exclusive?: boolean; wait?: boolean } = {}): boolean {
  return binding().flock(fd, opts.exclusive !== false, opts.wait === true);
}

/** renameat2(RENAME_NOREPLACE): EEXIST when `to` exists, never replacing it. */
export function renameNoReplace(from: string, to: string): void {
  binding().renameNoReplace(from, to);
}

/** Throws unless `rel` resolves beneath `root` without "..", symlinks or mount crossings (openat2). */
export function resolveBeneath(root: string, rel: string): void {
  binding().resolveBeneath(root, rel);
}

/** Is the addon built and loadable? (for doctor) */
export function addonStatus(): { ok: boolean; reason?: string } {
  try {
    binding();
    probePath();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
