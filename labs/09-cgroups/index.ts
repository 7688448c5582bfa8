// 09-cgroups: limit CPU, CPUs, memory and disk reads of a group of processes, and freeze it,
// measured with the kernel's own counters. One driver (runner/cgroup.ts) speaks v1 and v2.
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workloadPath } from '../../addon/index.js';
import { Cgroup, CgroupHost, deviceNumbers, parseCpuList, parseProcPidCgroup, parseTaskStat, type Resource, type Written, shown, which, basics, interactive, type Lab, type Requirement, type StepContext } from '../../runner/kit/index.js';
import { freezeChecks, freezeExperiment, type FreezeResult } from './freeze.js';
import { bar, barLine, cpuWindow, measured, pause, round, showWritten, ticksPercent, type CpuWindow, type Skip } from './measure.js';
import { Workload } from './workload.js';

const MiB = 1024 * 1024;
const CPU_QUOTA = 20_000;
const CPU_TOLERANCE_PP = 3;
/** Twice the quota: an idle host gives the loop ~100 %, a busy one (other labs running) less. */
const FULL_CORE_MIN = 40;
const THREADS = 5;
const THREADS_QUOTA = 50_000;
const THREADS_TOLERANCE_PP = 5;
const MEMORY_LIMIT = 32 * MiB;
const ARTICLE_MEMORY_LIMIT = 64 * 1024;
const READ_BPS = MiB;
const READ_TOLERANCE = 0.15;
const UNTHROTTLED_FACTOR = 10;

interface Layout {
  readonly mode: string;
  readonly placed: Partial<Record<Resource, string>>;
  readonly missing: Partial<Record<Resource, string>>;
  /** Disagreements between the mounts, /proc/cgroups and /proc/self/cgroup (none expected). */
  readonly conflicts: readonly string[];
  readonly v1Bound: number;
}

interface CpuResult {
  readonly baseline: CpuWindow;
  readonly limited: CpuWindow;
  readonly written: Written;
  readonly readBack: string;
}

interface ThreadsResult {
  readonly total: CpuWindow;
  readonly allowed: readonly number[];
  readonly online: readonly number[];
  readonly seen: Readonly<Record<number, readonly number[]>>;
  readonly samples: number;
  readonly perThread: Readonly<Record<number, number>>;
}

interface MemoryResult {
  readonly limit: number;
  readonly signal: string | null;
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly allocated: number;
  readonly oomKills: number;
  readonly limitHits: number;
  readonly peak: number | null;
  readonly counterFiles: readonly string[];
  readonly article: { readonly signal: string | null; readonly allocated: number; readonly chunks: number };
}

interface Rate {
  readonly bytes: number;
  readonly seconds: number;
  readonly mibps: number;
}

interface BlkioResult {
  readonly device: string;
  readonly numbers: string;
  readonly unthrottled: Rate;
  readonly throttled: Rate;
  readonly written: Written;
  readonly readBack: string;
}

interface State {
  layout?: Layout;
  cpu?: CpuResult | Skip;
  threads?: ThreadsResult | Skip;
  memory?: MemoryResult | Skip;
  blkio?: BlkioResult | Skip;
  freezer?: FreezeResult | Skip;
}

const RESOURCES: readonly Resource[] = ['cpu', 'cpuacct', 'cpuset', 'memory', 'io', 'freezer'];

/** The workload programs are built (npm run build:addon builds them next to the probe). */
const workloads: Requirement = {
  id: 'workloads',
  description: 'the workload programs nslab-workload-{spin,threads,alloc,dread} are built',
  probe: () => {
    try {
      for (const w of ['spin', 'threads', 'alloc', 'dread']) workloadPath(w);
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message, remedy: 'npm run build:addon' };
    }
  },
};

const cgroupsMounted: Requirement = {
  id: 'cgroupfs',
  description: 'a cgroup file system (v1 or v2) is mounted',
  probe: () =>
    CgroupHost.discover().mode === 'none'
      ? {
          ok: false,
          reason: 'no cgroup or cgroup2 file system is mounted',
          remedy: 'mount -t cgroup2 none /sys/fs/cgroup (systemd does this at boot)',
        }
      : { ok: true },
};

/** The group needs these resources; a step without them is skipped with the reason. */
function missing(host: CgroupHost, resources: readonly Resource[]): Skip | undefined {
  for (const r of resources) if (!host.place(r)) return { skip: host.whyMissing(r) };
  return undefined;
}

/** Compare the driver's view with /proc/cgroups and /proc/self/cgroup. */
function layoutOf(host: CgroupHost): Layout {
  const placed: Partial<Record<Resource, string>> = {};
  const miss: Partial<Record<Resource, string>> = {};
  for (const r of RESOURCES) {
    const p = host.place(r);
    if (p) placed[r] = `v${p.version} ${p.mount}`;
    else miss[r] = host.whyMissing(r);
  }
  const conflicts: string[] = [];
  const self = parseProcPidCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  let v1Bound = 0;
  for (const m of host.v1.filter((x) => x.controllers.length > 0)) {
    const ids = new Set(m.controllers.map((c) => host.subsystems.find((s) => s.name === c)?.hierarchy ?? -1));
    if (ids.size !== 1 || ids.has(0) || ids.has(-1)) {
      conflicts.push(`${m.mount}: /proc/cgroups gives hierarchies ${[...ids].join(',')} for ${m.controllers.join(',')}`);
      continue;
    }
    v1Bound += m.controllers.length;
    const id = [...ids][0]!;
    const line = self.find((l) => l.hierarchy === id);
    if (!line || [...line.controllers].sort().join(',') !== [...m.controllers].sort().join(','))
      conflicts.push(`${m.mount}: /proc/self/cgroup has no line ${id}:${m.controllers.join(',')}`);
  }
  for (const s of host.subsystems)
    if (s.hierarchy !== 0 && !host.v1.some((m) => m.controllers.includes(s.name)))
      conflicts.push(`${s.name} is bound to hierarchy ${s.hierarchy} but not mounted`);
  return { mode: host.mode, placed, missing: miss, conflicts, v1Bound };
}

async function cpuStep(ctx: StepContext, host: CgroupHost): Promise<CpuResult | Skip> {
  const skip = missing(host, ['cpu', 'cpuacct']);
  if (skip) return skip;
  const g = Cgroup.create(ctx, host, 'cpu', ['cpu', 'cpuacct']);
  try {
    // Like the article: the loop runs first, then its PID is written into the group.
    const w = await Workload.start(ctx, 'spin', []);
    try {
      ctx.log(`nslab-workload-spin runs as PID ${w.pid}; moving it into ${g.paths.join(' and ')}`);
      g.addProcess(w.pid);
      const quotaFile = g.version('cpu') === 1 ? 'cpu.cfs_quota_us' : 'cpu.max';
      g.dir('cpu').show(quotaFile);
      await pause(ctx, 200);
      const baseline = await cpuWindow(ctx, g, 2000, 'no limit');
      const written = g.limitCpu(CPU_QUOTA);
      showWritten(ctx, written);
      const readBack = g.dir('cpu').show(quotaFile).trim();
      await pause(ctx, 300); // let the first throttled periods pass
      const top = which('top');
      const topRun = top ? shown(ctx, `top -b -n 2 -d 1 -p ${w.pid}`, [top, '-b', '-n', '2', '-d', '1', '-p', String(w.pid)]) : undefined;
      const limited = await cpuWindow(ctx, g, 2500, `quota ${CPU_QUOTA}/100000`);
      await topRun?.catch(() => undefined);
      ctx.measure('cpu', {
        version: written.version,
        file: written.writes.at(-1)!.file,
        counter: limited.file,
        baselinePercent: round(baseline.percent),
        limitedPercent: round(limited.percent),
        windowMs: round(limited.wallMs, 0),
      });
      return { baseline, limited, written, readBack };
    } finally {
      await w.stop();
    }
  } finally {
    g.remove();
  }
}

async function threadsStep(ctx: StepContext, host: CgroupHost): Promise<ThreadsResult | Skip> {
  const skip = missing(host, ['cpu', 'cpuacct', 'cpuset']);
  if (skip) return skip;
  const online = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  // The article pins to CPUs 2,3 of a 4-CPU machine; we keep one CPU of the ones we have.
  const allowed = [online.at(-1)!];
  const g = Cgroup.create(ctx, host, 'threads', ['cpu', 'cpuacct', 'cpuset']);
  try {
    showWritten(ctx, g.limitCpu(THREADS_QUOTA));
    showWritten(ctx, g.setCpus(allowed.join(',')));
    const w = await Workload.start(ctx, 'threads', [String(THREADS)], [g]);
    try {
      const tids = (await w.line((o) => Array.isArray(o.threads), 'its thread ids')).threads as number[];
      ctx.log(`nslab-workload-threads runs as PID ${w.pid} with busy threads ${tids.join(', ')}`);
      const seen: Record<number, number[]> = {};
      const ticks = (tid: number) => {
        const st = parseTaskStat(readFileSync(`/proc/${w.pid}/task/${tid}/stat`, 'utf8'));
        return { cpu: st.processor, ticks: st.utimeTicks + st.stimeTicks };
      };
      let samples = 0;
      const sample = () => {
        samples++;
        for (const tid of tids) {
          const cpu = ticks(tid).cpu;
          const list = (seen[tid] ??= []);
          if (!list.includes(cpu)) list.push(cpu);
        }
      };
      await pause(ctx, 300);
      const start = Object.fromEntries(tids.map((t) => [t, ticks(t).ticks]));
      const total = await cpuWindow(ctx, g, 2500, `${THREADS} threads, quota ${THREADS_QUOTA}/100000`, sample);
      const perThread: Record<number, number> = {};
      for (const tid of tids) {
        perThread[tid] = round(ticksPercent(ticks(tid).ticks - start[tid]!, total.wallMs), 1);
        ctx.log(`  thread ${String(tid).padEnd(8)} on CPU ${(seen[tid] ?? []).join(',').padEnd(4)} ${bar(perThread[tid]!, 100)} ${perThread[tid]!.toFixed(1)} %`);
      }
      ctx.measure('threads', {
        totalPercent: round(total.percent),
        perThreadPercent: Object.values(perThread),
        allowedCpus: allowed,
        cpusSeen: [...new Set(Object.values(seen).flat())].sort(),
        samples,
      });
      return { total, allowed, online, seen, samples, perThread };
    } finally {
      await w.stop();
    }
  } finally {
    g.remove();
  }
}

/** Run the allocating workload in a fresh group with `limit` until the kernel kills it. */
async function allocUntilKilled(ctx: StepContext, host: CgroupHost, name: string, limit: number, chunk: number, pauseUs: number) {
  const g = Cgroup.create(ctx, host, name, ['memory']);
  try {
    const written = g.limitMemory(limit);
    showWritten(ctx, written);
    const w = await Workload.start(ctx, 'alloc', [String(chunk), String(pauseUs)], [g]);
    const exited = w.exit(20_000);
    let done = false;
    void exited.then(() => (done = true));
    const allocated = () => Math.max(0, ...w.lines.map((l) => Number(l.allocated ?? 0)));
    while (!done) {
      ctx.progress(Math.min(1, allocated() / limit), `allocating in ${name}`);
      await Promise.race([exited, pause(ctx, 100)]);
    }
    const status = await exited;
    await w.drained(); // what it wrote before it died
    const counters = g.memoryCounters();
    return { status, allocated: allocated(), chunks: w.lines.filter((l) => l.allocated !== undefined).length, counters, dir: g.dir('memory') };
  } finally {
    g.remove();
  }
}

async function memoryStep(ctx: StepContext, host: CgroupHost): Promise<MemoryResult | Skip> {
  const skip = missing(host, ['memory']);
  if (skip) return skip;
  ctx.log(`first the article's limit, 64 KiB, with its 512-byte chunks:`);
  const small = await allocUntilKilled(ctx, host, 'memory-64k', ARTICLE_MEMORY_LIMIT, 512, 0);
  ctx.log(
    `  → ${small.status.signal ?? `exit ${small.status.code}`} after ${small.allocated} bytes (${small.chunks} chunks reported): ` +
      'the program itself did not fit',
  );
  ctx.log(`then ${MEMORY_LIMIT / MiB} MiB with 1 MiB chunks:`);
  const r = await allocUntilKilled(ctx, host, 'memory', MEMORY_LIMIT, MiB, 2000);
  const c = r.counters;
  ctx.log(barLine('allocated at the kill', r.allocated / MiB, MEMORY_LIMIT / MiB, 'MiB'));
  ctx.log(`  ${r.status.signal ?? `exit ${r.status.code}`}; ${c.files.join(', ')}: limit hits ${c.limitHits}, oom_kill ${c.oomKills}, peak ${c.peak ?? 'n/a'}`);
  const result: MemoryResult = {
    limit: MEMORY_LIMIT,
    signal: r.status.signal,
    code: r.status.code,
    timedOut: r.status.timedOut,
    allocated: r.allocated,
    oomKills: c.oomKills,
    limitHits: c.limitHits,
    peak: c.peak,
    counterFiles: c.files,
    article: { signal: small.status.signal, allocated: small.allocated, chunks: small.chunks },
  };
  ctx.measure('memory', { ...result, article: { limit: ARTICLE_MEMORY_LIMIT, ...result.article } });
  return result;
}

/** `losetup -f` names a free device; it is recorded before `losetup DEV FILE` attaches it. */
async function attachLoop(ctx: StepContext, file: string): Promise<{ device: string; id: number }> {
  const losetup = which('losetup')!;
  for (let attempt = 0; attempt < 5; attempt++) {
    const device = (await shown(ctx, 'losetup -f', [losetup, '-f'])).stdout.trim();
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup -f printed ${JSON.stringify(device)}`);
    try {
      const { id } = await ctx.cleanup.create({ kind: 'loop', device, rel: ctx.cleanup.rel(file) }, `loop device ${device} (${file})`, async () => {
        const r = await shown(ctx, `losetup ${device} ${file}`, [losetup, device, file]);
        if (r.code !== 0) throw new Error(`losetup ${device}: ${r.stderr.trim()}`);
      });
      return { device, id };
    } catch {
      // taken by someone else meanwhile: try the next free one
    }
  }
  throw new Error('no loop device could be attached');
}

/** Direct reads from `device` for `seconds` inside `group`, with live progress. */
async function readRate(ctx: StepContext, device: string, seconds: number, group: Cgroup, label: string): Promise<Rate> {
  ctx.log(`reading ${device} with O_DIRECT for ${seconds} s (${label}) …`);
  const w = await Workload.start(ctx, 'dread', [device, String(seconds), String(64 * 1024)], [group]);
  const exited = w.exit(seconds * 1000 + 10_000);
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const ns = Math.max(0, ...w.lines.map((l) => Number(l.ns ?? 0)));
    ctx.progress(Math.min(1, ns / 1e9 / seconds), label);
    await Promise.race([exited, pause(ctx, 100)]);
  }
  await exited;
  const end = await w.line((o) => o.done === 1 || o.error !== undefined, 'its result', 2000);
  if (end.error !== undefined) throw new Error(`nslab-workload-dread: ${String(end.error)} failed (errno ${String(end.errno)})`);
  const bytes = Number(end.bytes);
  const secs = Number(end.ns) / 1e9;
  return { bytes, seconds: secs, mibps: bytes / MiB / secs };
}

async function blkioStep(ctx: StepContext, host: CgroupHost): Promise<BlkioResult | Skip> {
  const skip = missing(host, ['io']);
  if (skip) return skip;
  if (!which('losetup')) return { skip: 'the losetup command is missing (apt-get install mount)' };
  const file = join(ctx.scratch(), 'nslab-blkio.img');
  writeFileSync(file, '');
  truncateSync(file, 64 * MiB); // sparse: reading it costs no disk
  const { device, id } = await attachLoop(ctx, file);
  try {
    const numbers = deviceNumbers(device);
    ctx.log(`${device} is block device ${numbers} (the article throttled 8:0, its /dev/sda)`);
    const g = Cgroup.create(ctx, host, 'blkio', ['io']);
    try {
      const unthrottled = await readRate(ctx, device, 1, g, 'no limit');
      const written = g.limitReadBps(numbers, READ_BPS);
      showWritten(ctx, written);
      const limitFile = g.version('io') === 1 ? 'blkio.throttle.read_bps_device' : 'io.max';
      const readBack = g.dir('io').show(limitFile).trim();
      const throttled = await readRate(ctx, device, 3, g, '1 MiB/s limit');
      const max = Math.max(unthrottled.mibps, throttled.mibps);
      const logBar = (label: string, v: number) =>
        ctx.log(`${label.padEnd(22)} ${bar(Math.log10(1 + v), Math.log10(1 + max))} ${v.toFixed(2).padStart(9)} MiB/s (log scale)`);
      logBar('read, no limit', unthrottled.mibps);
      logBar('read, 1 MiB/s limit', throttled.mibps);
      ctx.measure('blkio', {
        version: written.version,
        device,
        numbers,
        file: written.writes[0]!.file,
        unthrottledMiBps: round(unthrottled.mibps),
        throttledMiBps: round(throttled.mibps, 3),
        throttledBytes: throttled.bytes,
        throttledSeconds: round(throttled.seconds, 3),
      });
      return { device, numbers, unthrottled, throttled, written, readBack };
    } finally {
      g.remove();
    }
  } finally {
    const err = ctx.cleanup.pop(id);
    if (err) throw new Error(err);
  }
}

const pct = (x: number) => `${x.toFixed(1)} %`;

export const lab: Lab<State> = {
  id: '09-cgroups',
  title: { en: 'cgroups: cpu, cpuset, memory, blkio, freezer', zh: 'cgroups:cpu、cpuset、memory、blkio、freezer' },
  card: {
    problem: {
      en: 'Namespaces hide things but limit nothing: a process in a container can still take every CPU, all memory and the whole disk bandwidth of the host.',
      zh: 'namespace 只负责隔离视图,不限制用量:容器里的进程照样能吃光宿主机的 CPU、内存和磁盘带宽。',
    },
    tradeoff: {
      en: 'Limits are enforced by the kernel at little cost, but they are blunt: a quota throttles in whole periods, a memory limit ends in a kill, and v1 spreads one group over many trees.',
      zh: '限制由内核执行,开销很小,但手段生硬:CPU 配额按周期整段节流,内存超限的结局是被杀,而 v1 把一个组分散在多棵树里。',
    },
    usedBy: {
      en: 'docker run --cpus/--cpuset-cpus/--memory/--device-read-bps, docker pause (the freezer), Kubernetes requests and limits, systemd slices.',
      zh: 'docker run --cpus/--cpuset-cpus/--memory/--device-read-bps、docker pause(freezer)、Kubernetes 的 requests 和 limits、systemd 的 slice。',
    },
    parts: {
      en: 'A cgroup file system; a directory per group; cgroup.procs (v1 also tasks) to move processes; controller files (cpu.cfs_quota_us / cpu.max, cpuset.cpus, memory.limit_in_bytes / memory.max, blkio.throttle.* / io.max, freezer.state / cgroup.freeze) and counters.',
      zh: 'cgroup 文件系统;每个组一个目录;cgroup.procs(v1 还有 tasks)用来迁入进程;各控制器的文件(cpu.cfs_quota_us / cpu.max、cpuset.cpus、memory.limit_in_bytes / memory.max、blkio.throttle.* / io.max、freezer.state / cgroup.freeze)和计数器。',
    },
    kernel: {
      en: 'Each task points to a css_set, one cgroup per hierarchy. The CFS bandwidth timer throttles a group whose runtime is used up, the scheduler honours the cpuset mask, the memcg charges pages and calls the OOM killer, blk-throttle delays bios.',
      zh: '每个进程指向一个 css_set,在每个层级里各属于一个 cgroup。CFS 带宽定时器在配额用完时节流整个组,调度器遵守 cpuset 掩码,memcg 对页面记账并在超限时调用 OOM killer,blk-throttle 推迟 bio 的下发。',
    },
    alternatives: {
      en: 'nice and ionice only set priorities, setrlimit limits one process (not a group), taskset pins one process; a virtual machine limits everything, at the price of a whole kernel.',
      zh: 'nice 和 ionice 只调优先级,setrlimit 只限制单个进程而非一组,taskset 只绑定单个进程;虚拟机什么都能限,代价是一整个内核。',
    },
  },
  requirements: [...basics, workloads, cgroupsMounted],
  // CPU shares and quotas are measured, and controllers switched on in the cgroup2 root: one run at a time.
  exclusive: ['cgroups'],
  init: () => ({}),
  steps: [
    {
      id: 'hierarchies',
      title: { en: 'Where the cgroup hierarchies are', zh: 'cgroup 层级挂在哪里' },
      explain: {
        en: 'cgroups are a file system. With v1 every controller (or a few together) is its own tree mounted under /sys/fs/cgroup; with v2 there is one tree and a group lists the controllers it may use. nslab reads /proc/self/mountinfo and /proc/cgroups to find out which this host has, and uses one vocabulary for both.',
        zh: 'cgroup 以文件系统的形式呈现。v1 中每个控制器(或几个一起)各是一棵树,挂在 /sys/fs/cgroup 下;v2 只有一棵树,每个组列出自己可用的控制器。nslab 读 /proc/self/mountinfo 和 /proc/cgroups 判断本机是哪种,再用同一套说法操作两者。',
      },
      article: 'mount -t cgroup; lssubsys -m',
      modern: 'mount -t cgroup,cgroup2; cat /proc/cgroups',
      async run(ctx, s) {
        const host = CgroupHost.discover();
        await shown(ctx, 'mount -t cgroup,cgroup2', [which('mount') ?? '/bin/mount', '-t', 'cgroup,cgroup2']);
        await shown(ctx, 'cat /proc/cgroups', [which('cat') ?? '/bin/cat', '/proc/cgroups']);
        s.layout = layoutOf(host);
        ctx.log(`this host: cgroup ${host.mode}${host.v2 ? `; cgroup2 at ${host.v2.mount} offers: ${host.v2Controllers.join(' ') || 'nothing'}` : ''}`);
        for (const r of RESOURCES) {
          const p = host.place(r);
          ctx.log(`  ${r.padEnd(8)} ${p ? `cgroup v${p.version}  ${p.mount}` : `— ${host.whyMissing(r)}`}`);
        }
      },
      checks: [
        {
          id: 'hierarchies-agree',
          description:
            'Every v1 hierarchy found in mountinfo matches /proc/cgroups (one hierarchy id per mount) and /proc/self/cgroup, and every bound controller is mounted.',
          evaluate: (s) => {
            const l = s.layout!;
            const placed = Object.entries(l.placed).map(([r, p]) => `${r}: ${p}`).join('; ');
            if (Object.keys(l.placed).length === 0)
              return { observed: 'no controller of the lab is available', expected: 'hierarchies', pass: false, skip: 'no cgroup controller is available here' };
            return {
              observed: `${l.mode}; ${placed}${l.conflicts.length ? `; conflicts: ${l.conflicts.join('; ')}` : ''}`,
              expected: 'no conflicts',
              pass: l.conflicts.length === 0,
            };
          },
        },
      ],
    },
    {
      id: 'cpu',
      title: { en: 'cpu: a busy loop held to 20 % of a CPU', zh: 'cpu:把死循环限制在 20% 的 CPU' },
      explain: {
        en: 'A busy loop takes a whole CPU. We write its PID into a group, then give the group a quota of 20 ms of CPU time per 100 ms period: the scheduler stops the group for the rest of each period, so it gets 20 %. The figures come from the group\'s own CPU counter, not from top.',
        zh: '死循环会占满一个 CPU。把它的 PID 写进一个组,再给这个组每 100 ms 周期 20 ms 的 CPU 配额:配额用完后调度器让整个组等到下一个周期,于是它只得到 20%。数字来自该组自己的 CPU 计数器,而不是 top。',
      },
      article: 'echo 20000 > /sys/fs/cgroup/cpu/haoel/cpu.cfs_quota_us; echo 3529 >> /sys/fs/cgroup/cpu/haoel/tasks',
      modern: 'v1: echo 20000 > …/cpu.cfs_quota_us; v2: echo "20000 100000" > …/cpu.max; echo PID > …/cgroup.procs',
      async run(ctx, s) {
        s.cpu = await cpuStep(ctx, CgroupHost.discover());
      },
      checks: [
        {
          id: 'busy-loop-full-core',
          description: `Without a limit the busy loop takes far more than the quota: at least ${FULL_CORE_MIN} % of one CPU over 2 s (~100 % on an idle host; the article's top showed 99.6 %).`,
          evaluate: (s) =>
            measured(s.cpu, (r) => ({ observed: `${pct(r.baseline.percent)} (${r.baseline.file})`, expected: `≥ ${FULL_CORE_MIN} %`, pass: r.baseline.percent >= FULL_CORE_MIN })),
        },
        {
          id: 'quota-written',
          description: 'The quota file of this host reads back the quota nslab wrote.',
          evaluate: (s) =>
            measured(s.cpu, (r) => {
              const want = r.written.version === 1 ? String(CPU_QUOTA) : `${CPU_QUOTA} 100000`;
              return { observed: `${r.written.writes.at(-1)!.file}: ${r.readBack}`, expected: want, pass: r.readBack === want };
            }),
        },
        {
          id: 'quota-20-percent',
          description: `With quota ${CPU_QUOTA}/100000 the group uses 20 % of one CPU within ±${CPU_TOLERANCE_PP} percentage points, over at least 2 s.`,
          evaluate: (s) =>
            measured(s.cpu, (r) => ({
              observed: `${pct(r.limited.percent)} over ${(r.limited.wallMs / 1000).toFixed(1)} s`,
              expected: `20 % ± ${CPU_TOLERANCE_PP} pp`,
              pass: Math.abs(r.limited.percent - 20) <= CPU_TOLERANCE_PP && r.limited.wallMs >= 2000,
            })),
        },
      ],
    },
    {
      id: 'cpuset-threads',
      title: { en: 'cpuset and threads: five threads share 50 % on one CPU', zh: 'cpuset 与线程:五个线程在一个 CPU 上分享 50%' },
      explain: {
        en: 'The quota belongs to the group, not to each thread: five busy threads together get 50 % of a CPU. cpuset.cpus confines them to the CPUs listed; the kernel records in /proc/PID/task/TID/stat (field 39) which CPU each thread last ran on. The article wrote each thread id into `tasks`; we put the process in before it starts, so all its threads are born inside.',
        zh: '配额属于整个组而不是每个线程:五个忙线程加起来只得到 50% 的 CPU。cpuset.cpus 把它们限制在列出的 CPU 上;内核在 /proc/PID/task/TID/stat 的第 39 个字段记录每个线程最后运行在哪个 CPU。原文让每个线程把自己的 tid 写进 tasks;我们在进程启动前就把它放进组里,它的线程一出生就在组内。',
      },
      article: 'echo 50000 > /sys/fs/cgroup/cpu/haoel/cpu.cfs_quota_us; echo "2,3" > /sys/fs/cgroup/cpuset/haoel/cpuset.cpus',
      modern: 'cpu quota 50000/100000 and cpuset.cpus = the last online CPU; nslab-workload-threads 5',
      async run(ctx, s) {
        s.threads = await threadsStep(ctx, CgroupHost.discover());
      },
      checks: [
        {
          id: 'threads-total-50-percent',
          description: `All ${THREADS} threads together use 50 % of one CPU within ±${THREADS_TOLERANCE_PP} percentage points.`,
          evaluate: (s) =>
            measured(s.threads, (r) => ({
              observed: `${pct(r.total.percent)} (threads: ${Object.values(r.perThread).map((p) => `${p} %`).join(', ')})`,
              expected: `50 % ± ${THREADS_TOLERANCE_PP} pp`,
              pass: Math.abs(r.total.percent - 50) <= THREADS_TOLERANCE_PP,
            })),
        },
        {
          id: 'only-allowed-cpus',
          description: 'Every sample of every thread shows it on an allowed CPU (field 39 of /proc/PID/task/TID/stat).',
          evaluate: (s) =>
            measured(s.threads, (r) => {
              const seen = [...new Set(Object.values(r.seen).flat())].sort();
              const o = { observed: `CPUs seen: ${seen.join(',')} in ${r.samples} samples of ${Object.keys(r.seen).length} threads`, expected: `only ${r.allowed.join(',')}` };
              if (r.online.length < 2) return { ...o, pass: false, skip: 'this host has one CPU: a cpuset cannot exclude any' };
              return { ...o, pass: r.samples >= 10 && seen.length > 0 && seen.every((c) => r.allowed.includes(c)) };
            }),
        },
      ],
    },
    {
      id: 'memory',
      title: { en: 'memory: allocating until the OOM killer comes', zh: 'memory:一直分配内存,直到 OOM killer 出手' },
      explain: {
        en: 'The memory controller charges every page a group touches. At the limit the kernel first tries to reclaim; with nothing to reclaim it runs the OOM killer inside the group and SIGKILLs the program. The article\'s 64 KiB no longer works: today the page tables, kernel objects and the program\'s own pages are charged too, so the program dies before its first allocation. We use 32 MiB, and start the program inside the group (v1 leaves pages charged before a move in the old group). The article\'s `malloc(p, chunk_size)` does not compile (malloc takes one argument): ours calls `malloc(chunk)` and keeps every block.',
        zh: 'memory 控制器对组内进程碰过的每一页记账。到达上限时内核先尝试回收;无可回收时就在组内调用 OOM killer,用 SIGKILL 杀掉程序。原文的 64 KiB 今天已不可用:页表、内核对象和程序自身的页面也记在组上,程序在第一次分配之前就被杀了。我们用 32 MiB,并让程序一启动就在组内(v1 中迁入之前已记的账留在原来的组)。原文的 `malloc(p, chunk_size)` 无法编译(malloc 只有一个参数):我们的程序调用 `malloc(chunk)`,并且从不释放。',
      },
      article: 'echo 64k > /sys/fs/cgroup/memory/haoel/memory.limit_in_bytes; p = malloc(p, chunk_size) /* typo */',
      modern: 'v1: echo 33554432 > …/memory.limit_in_bytes; v2: echo 33554432 > …/memory.max; p = malloc(chunk) /* fixed */',
      async run(ctx, s) {
        s.memory = await memoryStep(ctx, CgroupHost.discover());
      },
      checks: [
        {
          id: 'article-limit-too-small',
          description: "With the article's 64 KiB limit the program is killed before it could report even 64 KiB of its own 512-byte chunks.",
          evaluate: (s) =>
            measured(s.memory, (r) => ({
              observed: `${r.article.signal ?? 'no signal'} after ${r.article.allocated} bytes (${r.article.chunks} chunks)`,
              expected: `SIGKILL before ${ARTICLE_MEMORY_LIMIT} bytes`,
              pass: r.article.signal === 'SIGKILL' && r.article.allocated < ARTICLE_MEMORY_LIMIT,
            })),
        },
        {
          id: 'oom-killed',
          description: 'The allocating program is ended by SIGKILL from the OOM killer, and the group counts the kill.',
          evaluate: (s) =>
            measured(s.memory, (r) => ({
              observed: `${r.signal ?? `exit ${r.code}`}${r.timedOut ? ' (nslab killed it after 20 s)' : ''}; oom_kill ${r.oomKills}, limit hits ${r.limitHits} (${r.counterFiles.join(', ')})`,
              expected: 'SIGKILL; oom_kill ≥ 1, limit hits ≥ 1',
              pass: r.signal === 'SIGKILL' && !r.timedOut && r.oomKills >= 1 && r.limitHits >= 1,
            })),
        },
        {
          id: 'killed-at-limit',
          description: `It is killed at the limit: its last report lies between 75 % and 100 % of ${MEMORY_LIMIT / MiB} MiB (the rest is the program and its page tables).`,
          evaluate: (s) =>
            measured(s.memory, (r) => ({
              observed: `last report ${(r.allocated / MiB).toFixed(1)} MiB; peak ${r.peak === null ? 'n/a' : `${(r.peak / MiB).toFixed(1)} MiB`}`,
              expected: `${(0.75 * r.limit) / MiB}–${r.limit / MiB} MiB`,
              pass: r.allocated >= 0.75 * r.limit && r.allocated <= r.limit && (r.peak === null || r.peak <= r.limit),
            })),
        },
      ],
    },
    {
      id: 'blkio',
      title: { en: 'blkio: direct reads throttled to 1 MiB/s', zh: 'blkio:直接读被限制在 1 MiB/s' },
      explain: {
        en: 'The article throttled reads from its disk 8:0. We attach a scratch file to a loop device and read it with O_DIRECT, so that every read is a block request the throttle sees (page-cache hits would bypass it). First without a limit, then with 1 MiB/s on that device\'s MAJ:MIN: the kernel delays each request until the group is within its budget.',
        zh: '原文限制的是磁盘 8:0 的读速度。我们把一个临时文件挂成 loop 设备,用 O_DIRECT 读它,每次读都成为节流器看得见的块请求(命中页缓存的读会绕过它)。先不加限制读一次,再对这个设备的 主:次 设备号设 1 MiB/s:内核推迟每个请求,直到该组回到预算之内。',
      },
      article: "echo '8:0 1048576' > /sys/fs/cgroup/blkio/haoel/blkio.throttle.read_bps_device; dd if=/dev/sda1 of=/dev/null",
      modern: 'v1: echo "7:N 1048576" > …/blkio.throttle.read_bps_device; v2: echo "7:N rbps=1048576" > …/io.max; O_DIRECT reads of /dev/loopN',
      async run(ctx, s) {
        s.blkio = await blkioStep(ctx, CgroupHost.discover());
      },
      checks: [
        {
          id: 'limit-written',
          description: "The limit file reads back the loop device's MAJ:MIN with 1048576 bytes per second.",
          evaluate: (s) =>
            measured(s.blkio, (r) => {
              const ok = r.written.version === 1 ? r.readBack === `${r.numbers} ${READ_BPS}` : r.readBack.split('\n').some((l) => l.startsWith(`${r.numbers} `) && l.includes(`rbps=${READ_BPS}`));
              return { observed: `${r.written.writes[0]!.file}: ${r.readBack}`, expected: `${r.numbers} … ${READ_BPS}`, pass: ok };
            }),
        },
        {
          id: 'throttled-1mib',
          description: `Throttled direct reads run at 1 MiB/s within ±${READ_TOLERANCE * 100} % (bytes read / elapsed time over 3 s).`,
          evaluate: (s) =>
            measured(s.blkio, (r) => ({
              observed: `${r.throttled.mibps.toFixed(3)} MiB/s (${r.throttled.bytes} bytes in ${r.throttled.seconds.toFixed(2)} s)`,
              expected: `1 MiB/s ± ${READ_TOLERANCE * 100} %`,
              pass: Math.abs(r.throttled.mibps - 1) <= READ_TOLERANCE && r.throttled.seconds >= 2,
            })),
        },
        {
          id: 'unthrottled-10x',
          description: `Without the limit the same reads are at least ${UNTHROTTLED_FACTOR}× faster.`,
          evaluate: (s) =>
            measured(s.blkio, (r) => ({
              observed: `${r.unthrottled.mibps.toFixed(1)} MiB/s vs ${r.throttled.mibps.toFixed(3)} MiB/s (${(r.unthrottled.mibps / r.throttled.mibps).toFixed(0)}×)`,
              expected: `≥ ${UNTHROTTLED_FACTOR}×`,
              pass: r.unthrottled.mibps >= UNTHROTTLED_FACTOR * r.throttled.mibps,
            })),
        },
      ],
    },
    {
      id: 'freezer',
      title: { en: 'freezer: stop a group and let it go on', zh: 'freezer:冻结一个组,再让它继续' },
      explain: {
        en: 'The freezer stops every task of a group where it stands, without a signal the tasks could see, and thaws them later: this is docker pause. While frozen the busy loop gets no CPU at all; after the thaw it runs again from where it was.',
        zh: 'freezer 让组内所有进程原地停下,进程收不到任何可察觉的信号,之后再解冻:这就是 docker pause。冻结期间死循环得不到一点 CPU;解冻后从原处接着跑。',
      },
      article: 'freezer — 这个子系统挂起或者恢复 cgroup 中的任务',
      modern: 'v1: echo FROZEN > …/freezer.state; v2: echo 1 > …/cgroup.freeze',
      async run(ctx, s) {
        s.freezer = await freezeExperiment(ctx, 'freezer');
      },
      checks: freezeChecks<State>((s) => s.freezer),
    },
  ],
  shell: {
    // A shell in a group held to 20 % of a CPU: try `yes > /dev/null &` and `top`.
    async open(ctx) {
      const host = CgroupHost.discover();
      const skip = missing(host, ['cpu', 'cpuacct']);
      if (skip) throw new Error(skip.skip);
      const g = Cgroup.create(ctx, host, 'shell-cpu', ['cpu', 'cpuacct']);
      g.limitCpu(CPU_QUOTA);
      // Writing 0 to cgroup.procs moves the writer itself: the shell is born in the group.
      return interactive(ctx, {
        labId: '09-cgroups',
        namespaces: [],
        actions: g.paths.map((p) => ({ do: 'writeFile' as const, path: `${p}/cgroup.procs`, content: '0' })),
      });
    },
  },
};
