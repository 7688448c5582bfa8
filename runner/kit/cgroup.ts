// The cgroup driver: one vocabulary for cgroup v1 and v2. It finds the hierarchies from
// /proc/self/mountinfo and /proc/cgroups, creates `nslab-*` groups (recorded on the cleanup
// stack before mkdir), moves processes in, writes limits and reads the kernel's own counters.
//
// The vocabulary (a "resource" and what each version calls it):
//   cpu      v1 cpu.cfs_quota_us + cpu.cfs_period_us      v2 cpu.max "QUOTA PERIOD"
//   cpuacct  v1 cpuacct.usage (ns)                        v2 cpu.stat usage_usec (core, no controller)
//   cpuset   v1 cpuset.cpus (+ cpuset.mems)               v2 cpuset.cpus
//   memory   v1 memory.limit_in_bytes                     v2 memory.max
//   io       v1 blkio.throttle.read_bps_device "M:m BPS"  v2 io.max "M:m rbps=BPS"
//   freezer  v1 freezer.state FROZEN|THAWED               v2 cgroup.freeze 1|0 (core, no controller)
// The parsers and the "which file gets which value" functions are pure, so that the v2 path
// is unit-tested on hosts that only have v1 (test/unit/cgroup.test.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepContext } from '../core/model.js';
import { parseMountinfo } from '../core/proc.js';

export type Version = 1 | 2;
export type Resource = 'cpu' | 'cpuacct' | 'cpuset' | 'memory' | 'io' | 'freezer' | 'hugetlb' | 'pids';

/** What each resource's controller is called; v2 null: a core file of every cgroup2 group. */
export const CONTROLLER: Readonly<Record<Resource, { readonly v1: string; readonly v2: string | null }>> = {
  cpu: { v1: 'cpu', v2: 'cpu' },
  cpuacct: { v1: 'cpuacct', v2: null },
  cpuset: { v1: 'cpuset', v2: 'cpuset' },
  memory: { v1: 'memory', v2: 'memory' },
  io: { v1: 'blkio', v2: 'io' },
  freezer: { v1: 'freezer', v2: null },
  hugetlb: { v1: 'hugetlb', v2: 'hugetlb' },
  pids: { v1: 'pids', v2: 'pids' },
};

/** Subsystems of /proc/cgroups that never appear in cgroup2's cgroup.controllers. */
export const V1_ONLY: readonly string[] = ['cpuacct', 'devices', 'freezer', 'net_cls', 'net_prio', 'perf_event', 'debug'];

// ---------------------------------------------------------------- parsers (pure)

export interface CgroupMount {
  readonly version: Version;
  /** Where it is mounted. */
  readonly mount: string;
  /** The cgroup the mount shows as its root (field 4 of mountinfo; "/" normally). */
  readonly root: string;
  /** v1: the controllers bound to this hierarchy; v2: filled in from cgroup.controllers. */
  readonly controllers: readonly string[];
  /** v1 named hierarchies (name=systemd). */
  readonly name?: string;
}

/** The cgroup and cgroup2 mounts of a mountinfo text, one per hierarchy (the first mount wins). */
export function parseCgroupMounts(text: string, subsystems: readonly string[]): CgroupMount[] {
  const out: CgroupMount[] = [];
  const seen = new Set<string>();
  for (const m of parseMountinfo(text)) {
    if (m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') continue;
    const controllers = m.fstype === 'cgroup' ? m.superOptions.filter((o) => subsystems.includes(o)) : [];
    const name = m.superOptions.find((o) => o.startsWith('name='))?.slice(5);
    const key = m.fstype === 'cgroup2' ? 'cgroup2' : `${[...controllers].sort().join(',')}|${name ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ version: m.fstype === 'cgroup2' ? 2 : 1, mount: m.target, root: m.root, controllers, ...(name !== undefined ? { name } : {}) });
  }
  return out;
}

export interface Subsystem {
  readonly name: string;
  /** The v1 hierarchy it is bound to; 0: none (free for cgroup2). */
  readonly hierarchy: number;
  readonly cgroups: number;
  readonly enabled: boolean;
}

/** /proc/cgroups: "#subsys_name hierarchy num_cgroups enabled". */
export function parseProcCgroups(text: string): Subsystem[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name = '', hierarchy = '0', cgroups = '0', enabled = '0'] = l.trim().split(/\s+/);
      return { name, hierarchy: Number(hierarchy), cgroups: Number(cgroups), enabled: enabled === '1' };
    });
}

/** Flat keyed files: cpu.stat, memory.events, memory.oom_control, cgroup.events ("key value" lines). */
export function parseKeyed(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Nested keyed files: io.max ("7:0 rbps=1048576 wbps=max riops=max wiops=max"). */
export function parseNestedKeyed(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const line of text.split('\n')) {
    const [key, ...pairs] = line.trim().split(/\s+/);
    if (!key) continue;
    out[key] = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  }
  return out;
}

/** A CPU list ("0-3,6"), as in cpuset.cpus and /sys/devices/system/cpu/online. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) out.push(c);
  }
  return out;
}

/** v2 cpu.max: "max 100000" or "20000 100000"; quota null means no limit. */
export function parseCpuMax(text: string): { quotaUs: number | null; periodUs: number } {
  const [q = 'max', p = '100000'] = text.trim().split(/\s+/);
  return { quotaUs: q === 'max' ? null : Number(q), periodUs: Number(p) };
}

/** /proc/PID/task/TID/stat, the fields the labs use (comm may contain spaces and parentheses). */
export function parseTaskStat(text: string): { state: string; utimeTicks: number; stimeTicks: number; processor: number } {
  const f = text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
  // f[0] is field 3 (state): field N is f[N - 3].
  return { state: f[0] ?? '?', utimeTicks: Number(f[11]), stimeTicks: Number(f[12]), processor: Number(f[36]) };
}

/** /proc/PID/cgroup lines: "hierarchy-id:controllers:path" (v2: "0::path"). */
export function parseProcPidCgroup(text: string): { hierarchy: number; controllers: string[]; path: string }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [id = '0', ctl = '', ...rest] = l.split(':');
      return { hierarchy: Number(id), controllers: ctl === '' ? [] : ctl.split(','), path: rest.join(':') };
    });
}

// ---------------------------------------------------------------- the vocabulary (pure)

/** One write to a cgroup file: the file name inside the group and the value. */
export interface Write {
  readonly file: string;
  readonly value: string;
}

/** The article's (v1) file and value for the same intent, for showing next to ours. */
export interface Intent {
  readonly writes: readonly Write[];
  readonly v1: Write;
}

export const PERIOD_US = 100_000;

export function cpuLimit(v: Version, quotaUs: number | null, periodUs = PERIOD_US): Intent {
  const v1q = { file: 'cpu.cfs_quota_us', value: String(quotaUs ?? -1) };
  const writes =
    v === 1 ? [{ file: 'cpu.cfs_period_us', value: String(periodUs) }, v1q] : [{ file: 'cpu.max', value: `${quotaUs ?? 'max'} ${periodUs}` }];
  return { writes, v1: v1q };
}

export function cpusetCpus(_v: Version, cpus: string): Intent {
  const w = { file: 'cpuset.cpus', value: cpus };
  return { writes: [w], v1: w };
}

/** A memory limit; `noSwap` also closes the swap escape (v1 memsw, v2 swap.max) so the limit kills. */
export function memoryLimit(v: Version, bytes: number, noSwap: boolean): Intent {
  const v1 = { file: 'memory.limit_in_bytes', value: String(bytes) };
  if (v === 1) return { writes: noSwap ? [v1, { file: 'memory.memsw.limit_in_bytes', value: String(bytes) }] : [v1], v1 };
  return { writes: [{ file: 'memory.max', value: String(bytes) }, ...(noSwap ? [{ file: 'memory.swap.max', value: '0' }] : [])], v1 };
}

/** A read bandwidth limit on one block device ("MAJ:MIN"); bps null removes it. */
export function readBps(v: Version, device: string, bps: number | null): Intent {
  const v1 = { file: 'blkio.throttle.read_bps_device', value: `${device} ${bps ?? 0}` };
  return { writes: v === 1 ? [v1] : [{ file: 'io.max', value: `${device} rbps=${bps ?? 'max'}` }], v1 };
}

export function freeze(v: Version, frozen: boolean): Intent {
  const v1 = { file: 'freezer.state', value: frozen ? 'FROZEN' : 'THAWED' };
  return { writes: v === 1 ? [v1] : [{ file: 'cgroup.freeze', value: frozen ? '1' : '0' }], v1 };
}

/** The file that holds the group's CPU time, and how to turn its text into microseconds. */
export function cpuUsageFile(v: Version): { file: string; usec(text: string): number } {
  return v === 1
    ? { file: 'cpuacct.usage', usec: (t) => Number(t.trim()) / 1000 }
    : { file: 'cpu.stat', usec: (t) => Number(parseKeyed(t).usage_usec) };
}

/** The freezer's state, from freezer.state (v1) or cgroup.events' "frozen" (v2). */
export function frozenState(v: Version, text: string): 'FROZEN' | 'FREEZING' | 'THAWED' {
  if (v === 1) return (text.trim() as 'FROZEN' | 'FREEZING' | 'THAWED') || 'THAWED';
  return parseKeyed(text).frozen === '1' ? 'FROZEN' : 'THAWED';
}

export interface MemoryCounters {
  /** The limit the kernel applies, in bytes. */
  readonly limit: number;
  /** Times the limit was hit (v1 memory.failcnt, v2 memory.events max). */
  readonly limitHits: number;
  /** OOM kills in this group (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
  readonly oomKills: number;
  /** The highest usage seen (v1 memory.max_usage_in_bytes, v2 memory.peak), when the kernel has it. */
  readonly peak: number | null;
  /** Where each figure came from. */
  readonly files: readonly string[];
}

/** The memory counter files of each version. */
export function memoryCounterFiles(v: Version): string[] {
  return v === 1
    ? ['memory.limit_in_bytes', 'memory.failcnt', 'memory.oom_control', 'memory.max_usage_in_bytes']
    : ['memory.max', 'memory.events', 'memory.peak'];
}

/** Read the counters from the files' texts (a missing file is undefined). */
export function memoryCounters(v: Version, read: (file: string) => string | undefined): MemoryCounters {
  const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : Number(s.trim()));
  const files = memoryCounterFiles(v).filter((f) => read(f) !== undefined);
  if (v === 1) {
    return {
      limit: num(read('memory.limit_in_bytes')) ?? NaN,
      limitHits: num(read('memory.failcnt')) ?? 0,
      oomKills: Number(parseKeyed(read('memory.oom_control') ?? '').oom_kill ?? 0),
      peak: num(read('memory.max_usage_in_bytes')),
      files,
    };
  }
  const max = read('memory.max')?.trim();
  const events = parseKeyed(read('memory.events') ?? '');
  return {
    limit: max === 'max' ? Infinity : Number(max),
    limitHits: Number(events.max ?? 0),
    oomKills: Number(events.oom_kill ?? 0),
    peak: num(read('memory.peak')),
    files,
  };
}

// ---------------------------------------------------------------- the host's layout

export interface Placement {
  readonly resource: Resource;
  readonly version: Version;
  /** The hierarchy's mount point; groups are made directly below it. */
  readonly mount: string;
  /** The controller's name there; null for a cgroup2 core feature. */
  readonly controller: string | null;
}

export class CgroupHost {
  constructor(
    readonly mounts: readonly CgroupMount[],
    readonly subsystems: readonly Subsystem[],
    /** The cgroup2 root's cgroup.controllers (empty without cgroup2). */
    readonly v2Controllers: readonly string[],
  ) {}

  /** The host as it is now. */
  static discover(): CgroupHost {
    const subsystems = parseProcCgroups(readOr('/proc/cgroups', ''));
    const mounts = parseCgroupMounts(readOr('/proc/self/mountinfo', ''), subsystems.map((s) => s.name));
    const v2 = mounts.find((m) => m.version === 2);
    const v2Controllers = v2 ? readOr(join(v2.mount, 'cgroup.controllers'), '').trim().split(/\s+/).filter(Boolean) : [];
    return new CgroupHost(mounts, subsystems, v2Controllers);
  }

  get v2(): CgroupMount | undefined {
    return this.mounts.find((m) => m.version === 2);
  }

  get v1(): CgroupMount[] {
    return this.mounts.filter((m) => m.version === 1);
  }

  get mode(): 'v1' | 'v2' | 'hybrid' | 'none' {
    const v1 = this.v1.some((m) => m.controllers.length > 0);
    if (v1 && this.v2) return 'hybrid';
    return v1 ? 'v1' : this.v2 ? 'v2' : 'none';
  }

  /** Where a resource is controlled here: a v1 hierarchy that has it, else cgroup2 when it offers it. */
  place(resource: Resource, prefer?: Version): Placement | undefined {
    const names = CONTROLLER[resource];
    const v1 = this.v1.find((m) => m.controllers.includes(names.v1));
    const v2 = this.v2;
    const onV2 = v2 !== undefined && (names.v2 === null || this.v2Controllers.includes(names.v2));
    const p1: Placement | undefined = v1 && { resource, version: 1, mount: v1.mount, controller: names.v1 };
    const p2: Placement | undefined = onV2 ? { resource, version: 2, mount: v2.mount, controller: names.v2 } : undefined;
    if (prefer === 2) return p2;
    if (prefer === 1) return p1;
    return p1 ?? p2;
  }

  /** Why a resource has no place, in one sentence. */
  whyMissing(resource: Resource, prefer?: Version): string {
    const names = CONTROLLER[resource];
    const v1 = this.v1.length === 0 ? 'no cgroup v1 hierarchy is mounted' : `no cgroup v1 hierarchy has the ${names.v1} controller`;
    const v2 = !this.v2
      ? 'cgroup2 is not mounted'
      : `cgroup2 at ${this.v2.mount} offers ${this.v2Controllers.length ? this.v2Controllers.join(' ') : 'no controller'}${
          this.v1.some((m) => m.controllers.includes(names.v1)) ? ` (${names.v1} is bound to a v1 hierarchy)` : ''
        }`;
    if (prefer === 2) return `the ${names.v2 ?? resource} controller is not available in cgroup2 here: ${v2}`;
    if (prefer === 1) return `the ${names.v1} controller is not available in cgroup v1 here: ${v1}`;
    return `the ${resource} controller is not available here: ${v1}, and ${v2}`;
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

// ---------------------------------------------------------------- groups

/** A failed write to a cgroup file, with the errno name the kernel returned. */
export interface WriteOutcome {
  readonly ok: boolean;
  readonly code?: string;
}

const ERRNO_TEXT: Record<string, string> = {
  EBUSY: 'Device or resource busy',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  EOPNOTSUPP: 'Operation not supported',
  EPERM: 'Operation not permitted',
  ESRCH: 'No such process',
};

/** One directory of one hierarchy. Writes and reads are shown to the learner as echo/cat. */
export class CgroupDir {
  private constructor(
    private readonly ctx: StepContext,
    readonly path: string,
    readonly version: Version,
    readonly mount: string,
    private readonly undoId: number | undefined,
  ) {}

  /** A hierarchy's root group (it exists already and is never removed). */
  static root(ctx: StepContext, mount: string, version: Version): CgroupDir {
    return new CgroupDir(ctx, mount, version, mount, undefined);
  }

  /** A group that exists already (made earlier in the run); this handle never removes it. */
  static at(ctx: StepContext, path: string, mount: string, version: Version = 2): CgroupDir {
    return new CgroupDir(ctx, path, version, mount, undefined);
  }

  /** Make the child group nslab-<token>-<suffix>; journalled before mkdir, which must create it. */
  child(suffix: string, opts: { show?: boolean } = {}): CgroupDir {
    const path = join(this.path, this.ctx.name(suffix));
    // An existing group is someone else's: never removed.
    const { id } = this.ctx.cleanup.createSync({ kind: 'cgroup', path }, `cgroup ${path}`, () => {
      try {
        mkdirSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(code === 'EEXIST' ? `${path} exists already and is not this run's: nslab leaves it alone` : (e as Error).message);
      }
    });
    if (opts.show !== false) this.ctx.transcript({ command: `mkdir ${path}`, output: '', where: 'host' });
    return new CgroupDir(this.ctx, path, this.version, this.mount, id);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  read(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }

  /** `cat` a file for the learner; returns its text. */
  show(name: string): string {
    const text = this.read(name);
    this.ctx.transcript({ command: `cat ${this.file(name)}`, output: text.replace(/\n+$/, ''), where: 'host' });
    return text;
  }

  /** Write a value (as `echo VALUE > FILE`, shown); returns the kernel's answer instead of throwing. */
  tryWrite(name: string, value: string, opts: { show?: boolean } = {}): WriteOutcome {
    let outcome: WriteOutcome = { ok: true };
    try {
      writeFileSync(this.file(name), value);
    } catch (e) {
      outcome = { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
    }
    if (opts.show !== false) {
      const output = outcome.ok ? '' : `write error: ${ERRNO_TEXT[outcome.code!] ?? outcome.code} (${outcome.code})`;
      const shownValue = /\s/.test(value) ? `"${value}"` : value;
      this.ctx.transcript({ command: `echo ${shownValue} > ${this.file(name)}`, output, where: 'host' });
    }
    return outcome;
  }

  /** Write a value; a refusal by the kernel throws, naming the file and errno. */
  write(name: string, value: string, opts: { show?: boolean } = {}): void {
    const r = this.tryWrite(name, value, opts);
    if (!r.ok) throw new Error(`${r.code}: writing "${value}" to ${this.file(name)}: ${ERRNO_TEXT[r.code!] ?? 'refused'}`);
  }

  /** Move a process (all its threads) into this group. */
  addProcess(pid: number, opts: { show?: boolean } = {}): WriteOutcome {
    return this.tryWrite('cgroup.procs', String(pid), opts);
  }

  procs(): number[] {
    return this.read('cgroup.procs').split('\n').filter(Boolean).map(Number);
  }

  /** cgroup2: the controllers this group may use (set by its parent's subtree_control). */
  controllers(): string[] {
    return this.read('cgroup.controllers').trim().split(/\s+/).filter(Boolean);
  }

  /** cgroup2: the controllers this group hands to its children. */
  subtreeControl(): string[] {
    return this.read('cgroup.subtree_control').trim().split(/\s+/).filter(Boolean);
  }

  /**
   * cgroup2: enable a controller for the children. In a group that is not ours (the root), a
   * controller that was off is recorded to be switched off again, before it is switched on.
   */
  enable(controller: string, opts: { show?: boolean } = {}): WriteOutcome {
    if (this.subtreeControl().includes(controller)) return { ok: true };
    let id: number | undefined;
    if (this.undoId === undefined) {
      id = this.ctx.cleanup.push({ kind: 'subtree', mount: this.path, controller }, `+${controller} in ${this.file('cgroup.subtree_control')}`);
    }
    const r = this.tryWrite('cgroup.subtree_control', `+${controller}`, opts);
    if (!r.ok && id !== undefined) this.ctx.cleanup.release(id);
    return r;
  }

  /** Remove the group now (its undo: thaw, end our processes, rmdir). */
  remove(): void {
    if (this.undoId === undefined) return;
    const err = this.ctx.cleanup.pop(this.undoId);
    if (err) throw new Error(err);
  }
}

/** What a lab wrote, next to what the article wrote for the same intent. */
export interface Written {
  readonly resource: Resource;
  readonly version: Version;
  /** Full paths and values written on this host. */
  readonly writes: readonly Write[];
  /** The article's v1 file name and value. */
  readonly article: Write;
}

/** A group across hierarchies: one directory per hierarchy that holds one of its resources. */
export class Cgroup {
  private constructor(
    readonly name: string,
    private readonly placements: ReadonlyMap<Resource, Placement>,
    private readonly dirs: ReadonlyMap<string, CgroupDir>,
  ) {}

  /**
   * Make `name` in every hierarchy that holds one of `resources`. Throws when a resource has
   * no place here (call host.place first to skip with host.whyMissing instead).
   */
  static create(ctx: StepContext, host: CgroupHost, name: string, resources: readonly Resource[], prefer?: Version): Cgroup {
    const placements = new Map<Resource, Placement>();
    for (const r of resources) {
      const p = host.place(r, prefer);
      if (!p) throw new Error(host.whyMissing(r, prefer));
      placements.set(r, p);
    }
    const dirs = new Map<string, CgroupDir>();
    const made: CgroupDir[] = [];
    try {
      for (const p of placements.values()) {
        if (dirs.has(p.mount)) continue;
        const root = CgroupDir.root(ctx, p.mount, p.version);
        if (p.version === 2) {
          // A cgroup2 child may only use the controllers its parent enables for it.
          for (const q of placements.values())
            if (q.mount === p.mount && q.controller !== null) {
              const r = root.enable(q.controller);
              if (!r.ok) throw new Error(`${r.code}: cannot enable ${q.controller} in ${root.file('cgroup.subtree_control')}`);
            }
        }
        const dir = root.child(name);
        made.push(dir);
        if (p.version === 1 && [...placements.values()].some((q) => q.mount === p.mount && q.controller === 'cpuset')) {
          // A new v1 cpuset group starts with no CPUs and no memory nodes: no task may join it
          // until both are set. Start from the parent's.
          dir.write('cpuset.mems', root.read('cpuset.mems').trim() || '0');
          dir.write('cpuset.cpus', root.read('cpuset.cpus').trim());
        }
        dirs.set(p.mount, dir);
      }
    } catch (e) {
      for (const d of made.reverse()) d.remove();
      throw e;
    }
    return new Cgroup(name, placements, dirs);
  }

  placement(resource: Resource): Placement {
    const p = this.placements.get(resource);
    if (!p) throw new Error(`cgroup ${this.name} was not made for ${resource}`);
    return p;
  }

  version(resource: Resource): Version {
    return this.placement(resource).version;
  }

  dir(resource: Resource): CgroupDir {
    return this.dirs.get(this.placement(resource).mount)!;
  }

  /** Every directory of the group (one per hierarchy). */
  get paths(): string[] {
    return [...this.dirs.values()].map((d) => d.path);
  }

  /** Move a process into the group in every hierarchy; throws when the kernel refuses. */
  addProcess(pid: number): void {
    for (const d of this.dirs.values()) {
      const r = d.addProcess(pid);
      if (!r.ok) throw new Error(`${r.code}: moving ${pid} into ${d.file('cgroup.procs')}: ${ERRNO_TEXT[r.code!] ?? 'refused'}`);
    }
  }

  private apply(resource: Resource, intent: Intent): Written {
    const dir = this.dir(resource);
    for (const w of intent.writes) dir.write(w.file, w.value);
    return {
      resource,
      version: dir.version,
      writes: intent.writes.map((w) => ({ file: dir.file(w.file), value: w.value })),
      article: intent.v1,
    };
  }

  limitCpu(quotaUs: number | null, periodUs = PERIOD_US): Written {
    return this.apply('cpu', cpuLimit(this.version('cpu'), quotaUs, periodUs));
  }

  setCpus(cpus: string): Written {
    return this.apply('cpuset', cpusetCpus(this.version('cpuset'), cpus));
  }

  /** A memory limit; where swap is on, swap is closed too so that the limit ends in an OOM kill. */
  limitMemory(bytes: number): Written {
    const v = this.version('memory');
    const swapOn = readOr('/proc/swaps', '').trim().split('\n').length > 1;
    const dir = this.dir('memory');
    const noSwap = swapOn && dir.has(v === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max');
    return this.apply('memory', memoryLimit(v, bytes, noSwap));
  }

  limitReadBps(device: string, bps: number | null): Written {
    return this.apply('io', readBps(this.version('io'), device, bps));
  }

  freeze(frozen: boolean): Written {
    return this.apply('freezer', freeze(this.version('freezer'), frozen));
  }

  /** The freezer's state now (v1 freezer.state; v2 cgroup.events "frozen"). */
  frozenState(opts: { show?: boolean } = {}): 'FROZEN' | 'FREEZING' | 'THAWED' {
    const v = this.version('freezer');
    const file = v === 1 ? 'freezer.state' : 'cgroup.events';
    const dir = this.dir('freezer');
    return frozenState(v, opts.show ? dir.show(file) : dir.read(file));
  }

  /** The group's CPU time so far, in microseconds, from the kernel's own accounting. */
  cpuUsageUsec(opts: { show?: boolean } = {}): number {
    const dir = this.dir('cpuacct');
    const f = cpuUsageFile(dir.version);
    return f.usec(opts.show ? dir.show(f.file) : dir.read(f.file));
  }

  /** The file cpuUsageUsec reads. */
  cpuUsagePath(): string {
    const dir = this.dir('cpuacct');
    return dir.file(cpuUsageFile(dir.version).file);
  }

  memoryCounters(): MemoryCounters {
    const dir = this.dir('memory');
    return memoryCounters(dir.version, (f) => (dir.has(f) ? dir.read(f) : undefined));
  }

  /** Remove every directory of the group now. */
  remove(): void {
    const errors: string[] = [];
    for (const d of [...this.dirs.values()].reverse()) {
      try {
        d.remove();
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  }
}

/** "MAJ:MIN" of a block device (/dev/loop3 → "7:3"). */
export function deviceNumbers(device: string): string {
  return readFileSync(`/sys/class/block/${device.replace(/^\/dev\//, '')}/dev`, 'utf8').trim();
}
