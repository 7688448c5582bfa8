// Reading the host's /proc for the labs: which processes live in a
// namespace, who still holds one, and the kernel's own tables (sysvipc, mountinfo).
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Namespace } from '../../addon/index.js';
import { runDir } from './paths.js';

/** A small file's text, or undefined when it cannot be read (gone, no permission). */
export function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The non-empty lines of a small file, or none. */
export function readLines(path: string): string[] {
  return (tryRead(path) ?? '').split('\n').filter(Boolean);
}

/** The names in a directory, or none. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Host PIDs of every process /proc shows right now. */
export function hostPids(): number[] {
  return listDir('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** The inode of a process's namespace, or undefined when the process is gone. */
export function nsOf(pid: number, ns: Namespace): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/${ns}`).ino;
  } catch {
    return undefined;
  }
}

/** Host PIDs of the processes whose `ns` namespace is the one with this inode. */
export function processesIn(ns: Namespace, inode: number): number[] {
  return hostPids().filter((pid) => nsOf(pid, ns) === inode);
}

/** A field of /proc/PID/status ("PPid", "NSpid"...), split on white space. */
export function statusField(pid: number, field: string): string[] | undefined {
  const text = tryRead(`/proc/${pid}/status`);
  const line = text?.split('\n').find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim().split(/\s+/);
}

/** Something that keeps a namespace alive, found in /proc (the way lsns looks). */
export type Holder =
  | { readonly kind: 'process'; readonly pid: number }
  | { readonly kind: 'fd'; readonly pid: number; readonly fd: string }
  /** A bind mount of the ns file, in the mount table of `pid`'s mount namespace `mntNs`. */
  | { readonly kind: 'mount'; readonly pid: number; readonly mntNs: number; readonly target: string };

/** Every holder of one namespace the host can see, and how much of the host the scan could read. */
export interface HolderScan {
  readonly holders: Holder[];
  /** Processes whose ns link of that type could be read. */
  readonly pidsScanned: number;
  /** Processes whose ns links the kernel would not show us (e.g. without CAP_SYS_PTRACE). */
  readonly unreadable: number;
  /** Mount namespaces whose mount table was read (each once, through one of its processes). */
  readonly mntNsScanned: number;
}

/**
 * Who still keeps `ns:[inode]` alive: member processes, open ns file descriptors, and bind
 * mounts of it in every mount namespace the host can see. Empty only proves the namespace is gone
 * together with the counts: a scan that read nothing found nothing.
 */
export function holdersOf(ns: Namespace, inode: number): HolderScan {
  const name = `${ns}:[${inode}]`;
  const holders: Holder[] = [];
  const tables = new Map<number, number>();
  let pidsScanned = 0;
  let unreadable = 0;
  for (const pid of hostPids()) {
    const own = nsOf(pid, ns);
    if (own === undefined) unreadable++;
    else pidsScanned++;
    if (own === inode) holders.push({ kind: 'process', pid });
    for (const fd of listDir(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === name) holders.push({ kind: 'fd', pid, fd });
      } catch {
        // closed meanwhile
      }
    }
    const mnt = nsOf(pid, 'mnt');
    if (mnt !== undefined && !tables.has(mnt)) tables.set(mnt, pid);
  }
  let mntNsScanned = 0;
  for (const [mntNs, pid] of tables) {
    const text = tryRead(`/proc/${pid}/mountinfo`);
    if (text === undefined) continue;
    mntNsScanned++;
    for (const line of text.split('\n')) {
      const f = line.split(' ');
      if (f[3] === name) holders.push({ kind: 'mount', pid, mntNs, target: f[4] ?? '?' });
    }
  }
  return { holders, pidsScanned, unreadable, mntNsScanned };
}

/** The key and id columns of /proc/sysvipc/msg, as the reader's IPC namespace sees them. */
export function msgQueues(): { key: number; msqid: number }[] {
  return (tryRead('/proc/sysvipc/msg') ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && /^-?\d+$/.test(f[0]!))
    .map((f) => ({ key: Number(f[0]), msqid: Number(f[1]) }));
}

/** One line of a mountinfo file (proc(5)). nslab's only mountinfo parser. */
export interface MountLine {
  readonly id: number;
  /** The directory of the file system that this mount shows as its root (field 4; "/" normally). */
  readonly root: string;
  readonly target: string;
  /** Per-mount options (field 6: rw, nosuid, …). */
  readonly options: string[];
  /** Optional fields such as shared:12 or master:3 (propagation). */
  readonly optional: string[];
  readonly fstype: string;
  readonly source: string;
  /** Per-superblock options (the last field: rw, lowerdir=…, cpu,cpuacct, …). */
  readonly superOptions: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    out.push({
      id: Number(f[0]),
      root: unescape(f[3]!),
      target: unescape(f[4]!),
      options: f[5]!.split(','),
      optional: f.slice(6, dash),
      fstype: f[dash + 1]!,
      source: unescape(f[dash + 2]!),
      superOptions: (f[dash + 3] ?? '').split(','),
    });
  }
  return out;
}

/** The mount table of a process (the host's own by default). */
export function mountsOf(pid: number | 'self' = 'self'): MountLine[] {
  return parseMountinfo(tryRead(`/proc/${pid}/mountinfo`) ?? '');
}

/** The visible (topmost) mount at exactly this path. */
export function mountAt(mounts: readonly MountLine[], target: string): MountLine | undefined {
  return mounts.filter((m) => m.target === target).pop();
}

/** "shared:12" → "12"; undefined when the mount is not shared. */
export function peerGroup(m: MountLine | undefined): string | undefined {
  return m?.optional.find((o) => o.startsWith('shared:'))?.slice('shared:'.length);
}

/** The propagation of a mount in findmnt's words. */
export function propagation(m: MountLine | undefined): string {
  if (!m) return 'not mounted';
  const tags = m.optional.filter((o) => /^(shared|master|propagate_from|unbindable)/.test(o));
  return tags.length === 0 ? 'private' : tags.join(' ');
}

export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Is this mount another nslab run's (its run directory, its named netns, the /run/netns that
 * runs share)? Checks of host-wide state look only at what is not another run's.
 */
export function otherRunsMount(target: string, ownToken: string): boolean {
  const m = new RegExp(`^${escapeRe(runDir())}/([0-9a-f]{4})(?:/|$)`).exec(target) ?? /^\/run\/netns\/nslab-([0-9a-f]{4})-/.exec(target);
  if (m) return m[1] !== ownToken;
  return target === '/run/netns' && tryRead(`${runDir()}/shared/netns-dirs.json`) !== undefined;
}

/** The host's mountinfo without the lines of other nslab runs. */
export function hostMountinfoOf(ownToken: string): string {
  return (tryRead('/proc/self/mountinfo') ?? '')
    .split('\n')
    .filter((l) => {
      const target = l.split(' ')[4];
      return target === undefined || !otherRunsMount(unescape(target), ownToken);
    })
    .join('\n');
}
