// The cgroup driver's pure half: the kernel's file formats and one vocabulary for cgroup v1
// and v2 (which file gets which value). No I/O here, so the v2 path is unit-tested on hosts
// that only have v1 (test/unit/cgroup.test.ts).
//
// The vocabulary (a "resource" and what each version calls it):
//   cpu      v1 cpu.cfs_quota_us + cpu.cfs_period_us      v2 cpu.max "QUOTA PERIOD"
//   cpuacct  v1 cpuacct.usage (ns)                        v2 cpu.stat usage_usec (core, no controller)
//   cpuset   v1 cpuset.cpus (+ cpuset.mems)               v2 cpuset.cpus
//   memory   v1 memory.limit_in_bytes                     v2 memory.max
//   io       v1 blkio.throttle.read_bps_device "M:m BPS"  v2 io.max "M:m rbps=BPS"
//   freezer  v1 freezer.state FROZEN|THAWED               v2 cgroup.freeze 1|0 (core, no controller)
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
  /** What is charged to the group now (v1 memory.usage_in_bytes, v2 memory.current), when the kernel has it. */
  readonly usage: number | null;
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
    ? ['memory.limit_in_bytes', 'memory.usage_in_bytes', 'memory.failcnt', 'memory.oom_control', 'memory.max_usage_in_bytes']
    : ['memory.max', 'memory.current', 'memory.events', 'memory.peak'];
}

/** Read the counters from the files' texts (a missing file is undefined). */
export function memoryCounters(v: Version, read: (file: string) => string | undefined): MemoryCounters {
  const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : Number(s.trim()));
  const files = memoryCounterFiles(v).filter((f) => read(f) !== undefined);
  if (v === 1) {
    return {
      limit: num(read('memory.limit_in_bytes')) ?? NaN,
      usage: num(read('memory.usage_in_bytes')),
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
    usage: num(read('memory.current')),
    limitHits: Number(events.max ?? 0),
    oomKills: Number(events.oom_kill ?? 0),
    peak: num(read('memory.peak')),
    files,
  };
}

/** The CFS bandwidth counters of a group's cpu.stat (v1 throttled_time is in ns, v2 throttled_usec in µs). */
export interface Throttling {
  /** Periods in which the group had runnable tasks. */
  readonly periods: number;
  /** Periods in which it used up its quota and was stopped. */
  readonly throttled: number;
  /** Time it spent stopped, in microseconds. */
  readonly throttledUs: number;
}

export function cpuThrottling(v: Version, text: string): Throttling {
  const k = parseKeyed(text);
  const n = (key: string) => Number(k[key] ?? 0);
  return { periods: n('nr_periods'), throttled: n('nr_throttled'), throttledUs: v === 1 ? n('throttled_time') / 1000 : n('throttled_usec') };
}

/** The file with the bytes a group read per device: v1 blkio.throttle.io_service_bytes, v2 io.stat. */
export function ioStatFile(v: Version): string {
  return v === 1 ? 'blkio.throttle.io_service_bytes' : 'io.stat';
}

/** Bytes read from one device ("MAJ:MIN"): v1 lines "7:3 Read 3211264", v2 "7:3 rbytes=3211264 wbytes=0 …". */
export function ioReadBytes(v: Version, text: string, device: string): number {
  if (v === 2) return Number(parseNestedKeyed(text)[device]?.rbytes ?? 0);
  for (const line of text.split('\n')) {
    const [dev, op, n] = line.trim().split(/\s+/);
    if (dev === device && op === 'Read') return Number(n);
  }
  return 0;
}
