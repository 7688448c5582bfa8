// The journal: one JSON line per event, in the run's own directory. Each object a run creates
// is written as "intend" before it is created, "own" when the kernel confirmed it is ours (a
// queue's id, a loop device's backing file), and "done" once it is gone. A line is input like
// any other: it is parsed against the closed set of entry kinds below, and a line that does
// not fit is reported (file and line) and skipped — never a crash, never trusted.

/** Everything a run can create, and what names it. Paths of our files are relative to the run directory. */
export type Entry =
  /** A process we started, with its start time (a reused PID is never killed). */
  | { readonly kind: 'process'; readonly pid: number; readonly start: string }
  /** A mount point beneath the run directory; everything mounted below it goes with it. */
  | { readonly kind: 'mount'; readonly rel: string }
  /** A file or tree beneath the run directory. */
  | { readonly kind: 'path'; readonly rel: string }
  /** A cgroup directory: below a cgroup mount, every component named nslab-<token>-…. */
  | { readonly kind: 'cgroup'; readonly path: string; readonly killAll?: true }
  /** A controller this run switched on in a cgroup2 root's cgroup.subtree_control. */
  | { readonly kind: 'subtree'; readonly mount: string; readonly controller: string }
  /** A System V queue; its key carries the token, msqid is set once msgget created it. */
  | { readonly kind: 'msgq'; readonly key: number; readonly msqid?: number }
  /** A named network namespace under /run/netns. */
  | { readonly kind: 'netns'; readonly name: string }
  /** /etc/netns/<name>, the files ip netns exec shows a namespace. */
  | { readonly kind: 'netnsConf'; readonly name: string }
  /** This run uses /run/netns and /etc/netns (shared with other runs; see runner/shared.ts). */
  | { readonly kind: 'netnsDirs' }
  /** A network link in the machine's namespace. */
  | { readonly kind: 'link'; readonly name: string }
  /** A loop device attached to a file beneath the run directory. */
  | { readonly kind: 'loop'; readonly device: string; readonly rel: string }
  /** A device-mapper device. */
  | { readonly kind: 'dm'; readonly name: string }
  /** A device-mapper device this run suspended (resumed on undo). */
  | { readonly kind: 'dmResume'; readonly name: string };

export type EntryKind = Entry['kind'];

export type JournalLine =
  | { readonly v: 1; readonly at: 'intend'; readonly id: number; readonly label: string; readonly entry: Entry; readonly failed?: string; readonly command?: string }
  | { readonly v: 1; readonly at: 'own'; readonly id: number; readonly entry: Entry }
  | { readonly v: 1; readonly at: 'done'; readonly id: number };

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (o: Obj, k: string, re: RegExp): string => {
  const v = o[k];
  if (typeof v !== 'string' || !re.test(v)) throw new Error(`${k} is not a valid value`);
  return v;
};
const int = (o: Obj, k: string, min: number, max: number): number => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`${k} is not a valid number`);
  return v;
};
const only = (o: Obj, keys: readonly string[]) => {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`unexpected field ${k}`);
};

/** A relative path of plain components: no "", ".", ".." and no leading slash. */
export const REL = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._@+-]+(?:\/[A-Za-z0-9._@+-]+)*$/;
const ABS = /^\/(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._@+:,=-]+(?:\/[A-Za-z0-9._@+:,=-]+)*$/;
const NAME = /^nslab-[0-9a-f]{4}[A-Za-z0-9_.-]*$/;

/** Parse one entry object; throws with the reason when it is not one of the kinds above. */
export function parseEntry(x: unknown): Entry {
  if (!isObj(x)) throw new Error('entry is not an object');
  const kind = x.kind;
  switch (kind) {
    case 'process':
      only(x, ['kind', 'pid', 'start']);
      return { kind, pid: int(x, 'pid', 2, 2 ** 22), start: str(x, 'start', /^\d+$/) };
    case 'mount':
    case 'path':
      only(x, ['kind', 'rel']);
      return { kind, rel: str(x, 'rel', REL) };
    case 'cgroup': {
      only(x, ['kind', 'path', 'killAll']);
      if (x.killAll !== undefined && x.killAll !== true) throw new Error('killAll is not a valid value');
      return x.killAll === true ? { kind, path: str(x, 'path', ABS), killAll: true } : { kind, path: str(x, 'path', ABS) };
    }
    case 'subtree':
      only(x, ['kind', 'mount', 'controller']);
      return { kind, mount: str(x, 'mount', ABS), controller: str(x, 'controller', /^[a-z_]+$/) };
    case 'msgq': {
      only(x, ['kind', 'key', 'msqid']);
      const key = int(x, 'key', 1, 0xffffffff);
      return x.msqid === undefined ? { kind, key } : { kind, key, msqid: int(x, 'msqid', 0, 2 ** 31 - 1) };
    }
    case 'netns':
    case 'netnsConf':
    case 'link':
    case 'dm':
    case 'dmResume':
      only(x, ['kind', 'name']);
      return { kind, name: str(x, 'name', NAME) };
    case 'netnsDirs':
      only(x, ['kind']);
      return { kind };
    case 'loop':
      only(x, ['kind', 'device', 'rel']);
      return { kind, device: str(x, 'device', /^\/dev\/loop\d+$/), rel: str(x, 'rel', REL) };
    default:
      throw new Error(`unknown kind ${JSON.stringify(kind)}`);
  }
}

/** Parse one journal line; throws with the reason when it does not fit the schema. */
export function parseLine(raw: string): JournalLine {
  let x: unknown;
  try {
    x = JSON.parse(raw);
  } catch {
    throw new Error('not JSON');
  }
  if (!isObj(x)) throw new Error('not an object');
  if (x.v !== 1) throw new Error('not a version 1 line');
  const id = int(x, 'id', 1, 2 ** 31);
  switch (x.at) {
    case 'intend': {
      only(x, ['v', 'at', 'id', 'label', 'entry', 'failed', 'command']);
      const label = typeof x.label === 'string' && x.label.length <= 500 ? x.label : undefined;
      if (label === undefined) throw new Error('label is not a valid value');
      const failed = typeof x.failed === 'string' ? { failed: x.failed.slice(0, 1000) } : {};
      const command = typeof x.command === 'string' ? { command: x.command.slice(0, 1000) } : {};
      return { v: 1, at: 'intend', id, label, entry: parseEntry(x.entry), ...failed, ...command };
    }
    case 'own':
      only(x, ['v', 'at', 'id', 'entry']);
      return { v: 1, at: 'own', id, entry: parseEntry(x.entry) };
    case 'done':
      only(x, ['v', 'at', 'id']);
      return { v: 1, at: 'done', id };
    default:
      throw new Error('unknown event');
  }
}

/** An entry still open at the end of a journal. */
export interface OpenEntry {
  readonly id: number;
  readonly label: string;
  readonly entry: Entry;
  /** False while only intended: the object may never have been created, or be someone else's. */
  readonly owned: boolean;
}

export interface ReadJournal {
  readonly open: OpenEntry[];
  /** "journal.jsonl:3: not JSON" for each line that was skipped. */
  readonly bad: string[];
}

/** Replay a journal's text: the entries created and not yet removed, oldest first. */
export function replay(text: string, file: string): ReadJournal {
  const open = new Map<number, OpenEntry>();
  const bad: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    let line: JournalLine;
    try {
      line = parseLine(raw);
    } catch (e) {
      // A torn last line is what a crash in the middle of a write leaves: not worth a word.
      if (!(i === lines.length - 1 && !text.endsWith('\n'))) bad.push(`${file}:${i + 1}: ${(e as Error).message}; line skipped`);
      return;
    }
    if (line.at === 'intend') open.set(line.id, { id: line.id, label: line.label, entry: line.entry, owned: false });
    else if (line.at === 'own') {
      const prev = open.get(line.id);
      if (prev && prev.entry.kind === line.entry.kind) open.set(line.id, { ...prev, entry: line.entry, owned: true });
      else bad.push(`${file}:${i + 1}: "own" for an entry that was not intended; line skipped`);
    } else open.delete(line.id);
  });
  return { open: [...open.values()], bad };
}
