// The safety net: objects that carry nslab's prefix and a token of a run that is not alive,
// found on the host itself, with or without a journal. A lost or truncated journal leaves no
// cgroup, loop device, netns, link, dm device, queue or mount behind for good.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tokenLive } from './owner.js';
import { DEFAULT_RUN_DIR, runDir } from './paths.js';
import { escapeRe, mountsOf, tryRead } from './proc.js';
import { MSG_KEY_PREFIXES, cgroupMounts, removeCgroup, undoEntry, type RunRef } from './undo.js';
import type { Entry } from './journal.js';
import type { Lang, Text } from './model.js';

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

const tokenOf = (name: string): string | undefined => /^nslab-([0-9a-f]{4})/.exec(name)?.[1];

interface Found {
  readonly token: string;
  readonly label: Text;
  readonly undo: (run: RunRef) => string | undefined;
}

const viaEntry =
  (entry: Entry) =>
  (run: RunRef): string | undefined => {
    const r = undoEntry(entry, run, true);
    return r.ok ? undefined : r.reason;
  };

/** Every object on the host that names a token, and how to remove it. */
function findAll(): Found[] {
  const found: Found[] = [];
  for (const mount of cgroupMounts())
    for (const name of list(mount)) {
      const token = tokenOf(name);
      if (!token) continue;
      const path = join(mount, name);
      found.push({
        token,
        label: { en: `cgroup ${path}`, zh: `cgroup ${path}` },
        undo: () => {
          try {
            removeTree(path, /-shell(-|$)/.test(name));
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        },
      });
    }
  for (const name of list('/run/netns')) {
    const token = tokenOf(name);
    if (token) found.push({ token, label: { en: `network namespace ${name}`, zh: `网络 namespace ${name}` }, undo: viaEntry({ kind: 'netns', name }) });
  }
  for (const name of list('/etc/netns')) {
    const token = tokenOf(name);
    if (token) found.push({ token, label: { en: `/etc/netns/${name}`, zh: `/etc/netns/${name} 目录` }, undo: viaEntry({ kind: 'netnsConf', name }) });
  }
  for (const name of list('/sys/class/net')) {
    const token = tokenOf(name);
    if (token) found.push({ token, label: { en: `link ${name}`, zh: `网络设备 ${name}` }, undo: viaEntry({ kind: 'link', name }) });
  }
  for (const dev of list('/sys/block')) {
    if (dev.startsWith('dm-')) {
      const name = tryRead(`/sys/block/${dev}/dm/name`)?.trim() ?? '';
      const token = tokenOf(name);
      if (token) found.push({ token, label: { en: `device-mapper device ${name}`, zh: `device-mapper 设备 ${name}` }, undo: viaEntry({ kind: 'dm', name }) });
    }
    if (dev.startsWith('loop')) {
      const backing = tryRead(`/sys/block/${dev}/loop/backing_file`)?.trim().replace(/ \(deleted\)$/, '') ?? '';
      for (const base of new Set([runDir(), DEFAULT_RUN_DIR])) {
        const m = new RegExp(`^${escapeRe(base)}/([0-9a-f]{4})/(.+)$`).exec(backing);
        if (m) found.push({ token: m[1]!, label: { en: `loop device /dev/${dev} (${backing})`, zh: `loop 设备 /dev/${dev}（${backing}）` }, undo: viaEntry({ kind: 'loop', device: `/dev/${dev}`, rel: m[2]! }) });
      }
    }
  }
  for (const q of sysvQueues()) {
    const token = (q.key & 0xffff).toString(16).padStart(4, '0');
    // Ours only if root made it with our mode and it holds no message: nslab never leaves data in a queue.
    if (!MSG_KEY_PREFIXES.includes(q.key >>> 16) || q.cuid !== 0 || q.perms !== 0o600 || q.qnum !== 0) continue;
    found.push({ token, label: { en: `message queue 0x${q.key.toString(16)}`, zh: `消息队列 0x${q.key.toString(16)}` }, undo: viaEntry({ kind: 'msgq', key: q.key, msqid: q.msqid }) });
  }
  for (const base of new Set([runDir(), DEFAULT_RUN_DIR]))
    for (const m of mountsOf()) {
      const mm = new RegExp(`^${escapeRe(base)}/([0-9a-f]{4})/(.+)$`).exec(m.target);
      if (mm) found.push({ token: mm[1]!, label: { en: `mount on ${m.target}`, zh: `${m.target} 上的挂载` }, undo: viaEntry({ kind: 'mount', rel: mm[2]! }) });
    }
  return found;
}

/** A cgroup and the groups below it, deepest first. */
function removeTree(path: string, killAll: boolean): void {
  for (const name of list(path)) {
    const child = join(path, name);
    if (existsSync(join(child, 'cgroup.procs'))) removeTree(child, killAll);
  }
  removeCgroup(path, { killAll });
}

interface Queue {
  readonly key: number;
  readonly msqid: number;
  readonly perms: number;
  readonly qnum: number;
  readonly cuid: number;
}

/** /proc/sysvipc/msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid … */
export function sysvQueues(): Queue[] {
  return (tryRead('/proc/sysvipc/msg') ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10 && /^-?\d+$/.test(f[0]!))
    .map((f) => ({ key: Number(f[0]) >>> 0, msqid: Number(f[1]), perms: parseInt(f[2]!, 8), qnum: Number(f[4]), cuid: Number(f[9]) }));
}

/**
 * Remove the objects of `token` (a dead run whose lock the caller holds, its directory `dir`),
 * or, with no token, of every token whose run is not alive and has no directory left.
 */
export function sweepStrays(token: string | undefined, dir: string | undefined, lang: Lang = 'en'): { removed: string[]; errors: string[] } {
  const removed: string[] = [];
  const errors: string[] = [];
  const verdict = new Map<string, boolean>();
  const dead = (t: string) => {
    if (token !== undefined) return t === token;
    if (!verdict.has(t)) verdict.set(t, !tokenLive(t) && !existsSync(join(runDir(), t)));
    return verdict.get(t)!;
  };
  for (const f of findAll()) {
    if (!dead(f.token)) continue;
    const run: RunRef = { token: f.token, dir: dir ?? join(runDir(), f.token) };
    const err = f.undo(run);
    if (err === undefined) removed.push(lang === 'zh' ? `${f.label.zh}（没有日志记录它）` : `${f.label.en} (no journal named it)`);
    else errors.push(`${f.label[lang]}: ${err}`);
  }
  return { removed, errors };
}
