// Every kind of object a lab can create, and how to remove it. The journal stores the kind and
// its arguments, so a later process can run the same undo after a crash. Each undo is
// idempotent: removing what is already gone is not an error.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { startTime } from './paths.js';
import { listDir, readLines } from './proc.js';
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

/** Names of kernel objects (netns, links, dm devices) are not paths: they must start with nslab-. */
function assertOurName(name: string): void {
  if (!/^nslab-[\w.-]+$/.test(name)) throw new Error(`refusing to remove ${name}: not an nslab name`);
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

/** dmsetup; without a running udev (a VM, a container) libdevmapper must remove /dev/mapper nodes itself. */
function dmsetup(args: string[]): void {
  const env = existsSync('/run/udev/control') ? process.env : { ...process.env, DM_DISABLE_UDEV: '1' };
  execFileSync('dmsetup', args, { stdio: 'ignore', env });
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
    assertOurName(n);
    if (existsSync(`/run/netns/${n}`)) tool('ip', ['netns', 'delete', n]);
  },
  /** A network link in the host namespace. */
  link({ name }) {
    const n = String(name);
    assertOurName(n);
    if (existsSync(`/sys/class/net/${n}`)) tool('ip', ['link', 'delete', n]);
  },
  /** A system directory that `ip netns` creates on first use (/run/netns, /etc/netns): put back
   *  as it was before the run (unmounted, removed), but only once nothing is left in it. */
  restoreDir({ path, existed, mounted }) {
    const p = String(path);
    if (p !== '/run/netns' && p !== '/etc/netns') throw new Error(`refusing to restore ${p}: not a directory ip netns manages`);
    if (!existsSync(p) || listDir(p).length > 0) return;
    if (mounted === false)
      for (let round = 0; round < 4 && mountsUnder(p).includes(p); round++) quietly(() => umount(p), ['EINVAL', 'ENOENT']);
    if (existed === false) quietly(() => rmdirSync(p), ['ENOENT', 'ENOTEMPTY', 'EBUSY']);
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
    assertOurName(n);
    if (existsSync(`/dev/mapper/${n}`)) dmsetup(['remove', '--retry', n]);
  },
  /** A device-mapper device we suspended: resumed, so that no unmount or removal waits on its frozen I/O. */
  dmResume({ name }) {
    const n = String(name);
    assertOurName(n);
    if (existsSync(`/dev/mapper/${n}`)) dmsetup(['resume', n]);
  },
  /**
   * A cgroup of ours (runner/cgroup.ts): thawed, our programs in it killed, anything else moved
   * to the hierarchy's root (`mount`), then removed, retrying while the kernel finishes exits.
   */
  cgroup({ path, mount }) {
    const p = String(path);
    assertOurs(p);
    if (!existsSync(p)) return;
    // Frozen tasks cannot die (v1) or move: thaw first.
    for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']] as const)
      if (existsSync(`${p}/${file}`)) quietly(() => writeFileSync(`${p}/${file}`, value), ['ENOENT', 'EINVAL']);
    const deadline = Date.now() + 5000;
    for (;;) {
      for (const pid of readLines(`${p}/cgroup.procs`)) {
        thawV1(pid);
        if (readLines(`/proc/${pid}/comm`)[0]?.startsWith('nslab-')) quietly(() => process.kill(Number(pid), 'SIGKILL'), ['ESRCH']);
        else quietly(() => writeFileSync(`${String(mount)}/cgroup.procs`, pid), ['ESRCH', 'ENOENT']);
      }
      try {
        rmdirSync(p);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || Date.now() > deadline) throw e;
      }
      sleepSync(20);
    }
  },
  /** A controller nslab switched on in a cgroup2 subtree_control that is not its own (the root). */
  subtree({ path, controller }) {
    const file = `${String(path)}/cgroup.subtree_control`;
    const c = String(controller);
    if (!/^[a-z_]+$/.test(c) || !existsSync(file)) return;
    if (readLines(file).join(' ').split(' ').includes(c)) writeFileSync(file, `-${c}`);
  },
};

/**
 * A v1-frozen task cannot die, and a group of ours in another hierarchy (cpuacct) cannot go
 * while it lives: thaw the task's v1 freezer group when it is one of ours.
 */
function thawV1(pid: string): void {
  const group = readLines(`/proc/${pid}/cgroup`).find((l) => /^\d+:([^:]*,)?freezer(,[^:]*)?:/.test(l))?.replace(/^[^:]*:[^:]*:/, '');
  if (!group || !group.includes('/nslab-')) return;
  for (const line of readLines('/proc/self/mountinfo')) {
    const [left, right = ''] = line.split(' - ');
    const [fstype, , opts = ''] = right.split(' ');
    if (fstype !== 'cgroup' || !opts.split(',').includes('freezer')) continue;
    const file = `${left!.split(' ')[4]}${group}/freezer.state`;
    if (existsSync(file)) quietly(() => writeFileSync(file, 'THAWED'), ['ENOENT', 'EINVAL']);
  }
}

/** Undo runs synchronously (also from a signal handler's unwind): wait without an event loop. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

