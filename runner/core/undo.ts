// How each kind of journal entry is proven ours and then removed. Nothing is removed on the
// strength of a string: a path must resolve beneath the run's own directory (openat2, no "..",
// no symlinks), a name must carry the run's token, a PID must still have the start time we
// recorded, a queue must still have the id msgget gave us. What fails the proof is refused and
// left untouched. Each undo is idempotent: removing what is already gone is not an error.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { msgLookup, msgRemove, resolveBeneath, umount } from '../../addon/index.js';
import type { Entry } from './journal.js';
import { startTime } from './paths.js';
import { mountsOf, readLines, tryRead } from './proc.js';
import { releaseNetnsDirs } from './shared.js';

/** The run an entry belongs to. */
export interface RunRef {
  readonly token: string;
  readonly dir: string;
}

export type UndoOutcome =
  | { readonly ok: true }
  /** refused: the entry could not be proven ours, and nothing was touched. */
  | { readonly ok: false; readonly refused: boolean; readonly reason: string; readonly command: string };

/** The high halves of the System V keys nslab uses; the low half is the run's token. */
export const MSG_KEY_PREFIXES: readonly number[] = [0x6e73, 0x6e72, 0x6e71, 0x6e70];

/** A key for this token; `attempt` picks another prefix when a key is taken by someone else. */
export function msgKey(tokenNumber: number, attempt: number): number | undefined {
  const prefix = MSG_KEY_PREFIXES[attempt];
  return prefix === undefined ? undefined : ((prefix << 16) | (tokenNumber & 0xffff)) >>> 0;
}

/** Mount points at or below `path`, deepest first. */
export function mountsUnder(path: string): string[] {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  return mountsOf()
    .map((m) => m.target)
    .filter((t) => t === path || t.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Mount points of cgroup hierarchies (v1 and cgroup2) on this host. */
export function cgroupMounts(): string[] {
  return mountsOf()
    .filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2')
    .map((m) => m.target);
}

function quietly(fn: () => void, ignore: readonly string[]): void {
  try {
    fn();
  } catch (e) {
    if (!ignore.includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

function detachAll(path: string): void {
  // A mount may be stacked several times on one point: detach until none is left.
  for (let round = 0; round < 16; round++) {
    const mounts = mountsUnder(path);
    if (mounts.length === 0) return;
    for (const m of mounts) quietly(() => umount(m, { detach: true }), ['EINVAL', 'ENOENT']);
  }
}

function tool(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(cmd, args, { stdio: 'ignore', env });
}

/**
 * What dmsetup needs in its environment here: without a running udev (a VM, a container)
 * libdevmapper waits for udev to make or remove /dev/mapper nodes; DM_DISABLE_UDEV=1 makes it
 * do so itself. nslab's only such helper (labs get it from the kit).
 */
export function dmEnv(): Readonly<Record<string, string>> {
  return existsSync('/run/udev/control') ? {} : { DM_DISABLE_UDEV: '1' };
}

/** An nslab name that carries this token. */
const carries = (name: string, token: string) => name === `nslab-${token}` || name.startsWith(`nslab-${token}-`) || (name.startsWith(`nslab-${token}`) && name.length <= 15);

/** The absolute path of `rel` beneath the run directory, proven by the kernel; undefined when gone. */
function beneath(run: RunRef, rel: string): string | undefined {
  try {
    resolveBeneath(run.dir, rel);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${join(run.dir, rel)} does not resolve beneath ${run.dir} (${(e as NodeJS.ErrnoException).code})`);
  }
  return join(run.dir, rel);
}

/** The cgroup mount a path lies in, and its components below it; undefined when it is not one of ours. */
export function cgroupOwnership(path: string, token: string): string | undefined {
  const mount = cgroupMounts()
    .filter((m) => path.startsWith(`${m}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (!mount) return `${path} is not below a cgroup mount`;
  const parts = path.slice(mount.length + 1).split('/');
  if (!parts.every((p) => p.startsWith(`nslab-${token}-`))) return `${path} is not named nslab-${token}-…`;
  if (existsSync(path) && realpathSync(path) !== path) return `${path} is not its own real path`;
  return undefined;
}

/** Why an entry cannot be proven to be this run's object; undefined when it can. */
export function disprove(entry: Entry, run: RunRef, owned: boolean): string | undefined {
  switch (entry.kind) {
    case 'process':
      return undefined; // proven at undo time by the start time
    case 'mount':
    case 'path':
    case 'loop':
      try {
        beneath(run, entry.rel);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    case 'cgroup':
      return cgroupOwnership(entry.path, run.token);
    case 'subtree':
      return cgroupMounts().includes(entry.mount) ? undefined : `${entry.mount} is not a cgroup mount`;
    case 'msgq': {
      const ours = (entry.key & 0xffff) === parseInt(run.token, 16) && MSG_KEY_PREFIXES.includes(entry.key >>> 16);
      if (!ours) return `key 0x${entry.key.toString(16)} does not carry token ${run.token}`;
      if (!owned || entry.msqid === undefined) return `queue 0x${entry.key.toString(16)} was never confirmed created by this run`;
      return undefined;
    }
    case 'netns':
    case 'netnsConf':
    case 'link':
    case 'dm':
    case 'dmResume':
      return carries(entry.name, run.token) ? undefined : `${entry.name} does not carry token ${run.token}`;
    case 'netnsDirs':
      return undefined;
  }
}

/** What a person can run to remove an entry by hand. */
export function commandFor(entry: Entry, run: RunRef): string {
  switch (entry.kind) {
    case 'process':
      return `kill -9 ${entry.pid}`;
    case 'mount':
      return `umount -R -l ${join(run.dir, entry.rel)}`;
    case 'path':
      return `rm -rf ${join(run.dir, entry.rel)}`;
    case 'cgroup':
      return `rmdir ${entry.path}`;
    case 'subtree':
      return `echo -${entry.controller} > ${entry.mount}/cgroup.subtree_control`;
    case 'msgq':
      return entry.msqid !== undefined ? `ipcrm -q ${entry.msqid}` : `ipcrm -Q 0x${entry.key.toString(16)}`;
    case 'netns':
      return `ip netns delete ${entry.name}`;
    case 'netnsConf':
      return `rm -r /etc/netns/${entry.name}`;
    case 'netnsDirs':
      return 'umount /run/netns; rmdir /run/netns /etc/netns   # only if empty and nothing else uses them';
    case 'link':
      return `ip link delete ${entry.name}`;
    case 'loop':
      return `losetup -d ${entry.device}`;
    case 'dm':
      return `dmsetup remove ${entry.name}`;
    case 'dmResume':
      return `dmsetup resume ${entry.name}`;
  }
}

/** Remove a cgroup: thawed, our processes killed (all of them with killAll), the rest moved out, then rmdir. */
/** The names of the groups directly below a cgroup directory (none when it is gone). */
export function subgroups(p: string): string[] {
  try {
    return readdirSync(p, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

export function removeCgroup(p: string, opts: { killAll: boolean }): void {
  if (!existsSync(p)) return;
  const mount = cgroupMounts()
    .filter((m) => p.startsWith(`${m}/`))
    .sort((a, b) => b.length - a.length)[0]!;
  // Frozen tasks cannot die (v1) or move: thaw first.
  for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']] as const)
    if (existsSync(`${p}/${file}`)) quietly(() => writeFileSync(`${p}/${file}`, value), ['ENOENT', 'EINVAL']);
  if (opts.killAll && existsSync(`${p}/cgroup.kill`)) quietly(() => writeFileSync(`${p}/cgroup.kill`, '1'), ['ENOENT', 'EINVAL']);
  // Groups made inside ours (a learner's in the playground, a lab's children) are ours too: first.
  for (const sub of subgroups(p)) removeCgroup(join(p, sub), opts);
  const deadline = Date.now() + 5000;
  for (;;) {
    for (const pid of readLines(`${p}/cgroup.procs`)) {
      thawV1(pid);
      if (opts.killAll || readLines(`/proc/${pid}/comm`)[0]?.startsWith('nslab-')) quietly(() => process.kill(Number(pid), 'SIGKILL'), ['ESRCH']);
      else quietly(() => writeFileSync(`${mount}/cgroup.procs`, pid), ['ESRCH', 'ENOENT']);
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
}

function act(entry: Entry, run: RunRef): void {
  switch (entry.kind) {
    case 'process': {
      if (startTime(entry.pid) !== entry.start) return; // gone, or the PID now names another process
      quietly(() => process.kill(entry.pid, 'SIGKILL'), ['ESRCH']);
      return;
    }
    case 'mount': {
      const p = beneath(run, entry.rel);
      if (p) detachAll(p);
      return;
    }
    case 'path': {
      const p = beneath(run, entry.rel);
      if (!p) return;
      detachAll(p);
      if (mountsUnder(p).length > 0) throw new Error(`${p} still has mounts; not removing it`);
      rmSync(p, { recursive: true, force: true });
      return;
    }
    case 'cgroup':
      // A shell's groups hold whatever the learner started: all of it goes.
      removeCgroup(entry.path, { killAll: entry.killAll === true || /-shell(-|$)/.test(entry.path.slice(entry.path.lastIndexOf('/') + 1)) });
      return;
    case 'subtree': {
      const file = `${entry.mount}/cgroup.subtree_control`;
      if (existsSync(file) && readLines(file).join(' ').split(' ').includes(entry.controller)) writeFileSync(file, `-${entry.controller}`);
      return;
    }
    case 'msgq': {
      if (msgLookup(entry.key) === entry.msqid) quietly(() => msgRemove(entry.msqid!), ['EINVAL', 'EIDRM']);
      return;
    }
    case 'netns':
      if (existsSync(`/run/netns/${entry.name}`)) tool('ip', ['netns', 'delete', entry.name]);
      return;
    case 'netnsConf': {
      const p = `/etc/netns/${entry.name}`;
      if (!existsSync(p)) return;
      if (lstatSync(p).isSymbolicLink()) throw new Error(`${p} is a symlink; not following it`);
      rmSync(p, { recursive: true, force: true });
      return;
    }
    case 'netnsDirs':
      releaseNetnsDirs(run.dir);
      return;
    case 'link':
      if (existsSync(`/sys/class/net/${entry.name}`)) tool('ip', ['link', 'delete', entry.name]);
      return;
    case 'loop': {
      const file = join(run.dir, entry.rel);
      const backing = () => tryRead(`/sys/block/${entry.device.slice('/dev/'.length)}/loop/backing_file`)?.trim().replace(/ \(deleted\)$/, '');
      if (backing() !== file) return;
      tool('losetup', ['-d', entry.device]);
      // A device still open (a reader of ours that is being killed) is only marked for autoclear:
      // the kernel lets it go once the last opener closes. Wait for that, so nothing outlives the run.
      const deadline = Date.now() + 5000;
      while (backing() === file) {
        if (Date.now() > deadline) throw new Error(`${entry.device} is still open after losetup -d: the kernel will detach it when its last user closes it`);
        sleepSync(20);
      }
      return;
    }
    case 'dm':
      if (existsSync(`/dev/mapper/${entry.name}`)) tool('dmsetup', ['remove', '--retry', entry.name], { ...process.env, ...dmEnv() });
      return;
    case 'dmResume':
      if (existsSync(`/dev/mapper/${entry.name}`)) tool('dmsetup', ['resume', entry.name], { ...process.env, ...dmEnv() });
      return;
  }
}

/** Prove an entry ours, then remove its object. Never throws. */
export function undoEntry(entry: Entry, run: RunRef, owned: boolean): UndoOutcome {
  const refusal = disprove(entry, run, owned);
  if (refusal !== undefined) return { ok: false, refused: true, reason: `refused: not nslab's — ${refusal}`, command: commandFor(entry, run) };
  try {
    act(entry, run);
    return { ok: true };
  } catch (e) {
    return { ok: false, refused: false, reason: (e as Error).message, command: commandFor(entry, run) };
  }
}

/**
 * A v1-frozen task cannot die, and a group of ours in another hierarchy (cpuacct) cannot go
 * while it lives: thaw the task's v1 freezer group when it is one of ours.
 */
function thawV1(pid: string): void {
  const group = readLines(`/proc/${pid}/cgroup`).find((l) => /^\d+:([^:]*,)?freezer(,[^:]*)?:/.test(l))?.replace(/^[^:]*:[^:]*:/, '');
  if (!group || !/\/nslab-[0-9a-f]{4}-/.test(group)) return;
  for (const m of mountsOf()) {
    if (m.fstype !== 'cgroup') continue;
    const file = `${m.target}${group}/freezer.state`;
    if (existsSync(file) && readFileSync(file, 'utf8').trim() !== 'THAWED') quietly(() => writeFileSync(file, 'THAWED'), ['ENOENT', 'EINVAL']);
  }
}

/** Undo runs synchronously (also from a signal handler's unwind): wait without an event loop. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
