// Every kind of object a lab can create, and how to remove it. The journal stores the kind and
// its arguments, so a later process can run the same undo after a crash. Each undo is
// idempotent: removing what is already gone is not an error.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { startTime } from './paths.js';
import { umount, msgLookup, msgRemove } from '../addon/index.js';

export type UndoArgs = Record<string, string | number | boolean>;

/** Mount points at or below `path`, deepest first. */
export function mountsUnder(path: string): string[] {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const found: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const target = line.split(' ')[4];
    if (target === undefined) continue;
    const decoded = target.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (decoded === path || decoded.startsWith(prefix)) found.push(decoded);
  }
  return found.sort((a, b) => b.length - a.length);
}

function quietly(fn: () => void, ignore: readonly string[]): void {
  try {
    fn();
  } catch (e) {
    if (!ignore.includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

function assertOurs(path: string): void {
  if (!/nslab/.test(path) || !path.startsWith('/')) throw new Error(`refusing to remove ${path}: not an nslab path`);
}

function detachAll(path: string): void {
  // A mount may be stacked several times on one point: detach until none is left.
  for (let round = 0; round < 16; round++) {
    const mounts = mountsUnder(path);
    if (mounts.length === 0) return;
    for (const m of mounts) quietly(() => umount(m, { detach: true }), ['EINVAL', 'ENOENT']);
  }
}

function tool(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'ignore' });
}

export const undoers: Record<string, (args: UndoArgs) => void> = {
  /** A process: killed only if the PID still names the process we started. */
  kill({ pid, start }) {
    const p = Number(pid);
    if (!Number.isInteger(p) || p <= 1) return;
    if (start !== undefined && startTime(p) !== String(start)) return;
    quietly(() => process.kill(p, 'SIGKILL'), ['ESRCH']);
  },
  /** A mount and everything mounted below it. */
  umount({ path }) {
    detachAll(String(path));
  },
  /** A file or directory tree of ours; mounts inside it are detached first, never crossed. */
  remove({ path }) {
    const p = String(path);
    assertOurs(p);
    detachAll(p);
    if (mountsUnder(p).length > 0) throw new Error(`${p} still has mounts; not removing it`);
    rmSync(p, { recursive: true, force: true });
  },
  /** An empty directory (cgroups are removed this way). */
  rmdir({ path }) {
    const p = String(path);
    assertOurs(p);
    quietly(() => rmdirSync(p), ['ENOENT']);
  },
  /** A System V message queue, found by its key. */
  msgq({ key }) {
    const id = msgLookup(Number(key));
    if (id !== undefined) quietly(() => msgRemove(id), ['EINVAL', 'EIDRM']);
  },
  /** A named network namespace (ip netns add). */
  netns({ name }) {
    const n = String(name);
    assertOurs(n);
    if (existsSync(`/run/netns/${n}`)) tool('ip', ['netns', 'delete', n]);
  },
  /** A network link in the host namespace. */
  link({ name }) {
    const n = String(name);
    assertOurs(n);
    if (existsSync(`/sys/class/net/${n}`)) tool('ip', ['link', 'delete', n]);
  },
  /** A loop device attached to one of our files. */
  loop({ device, file }) {
    const dev = String(device);
    const name = dev.replace('/dev/', '');
    try {
      const backing = readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
      if (backing.replace(/ \(deleted\)$/, '') === String(file)) tool('losetup', ['-d', dev]);
    } catch {
      // not attached any more
    }
  },
  /** A device-mapper device. */
  dm({ name }) {
    const n = String(name);
    assertOurs(n);
    if (existsSync(`/dev/mapper/${n}`)) tool('dmsetup', ['remove', '--retry', n]);
  },
};

/** Names of directories directly in `dir`, or none. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
