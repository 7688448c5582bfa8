// 09-cgroups, steps 2 and 3: a CPU quota on a busy loop, and a quota plus a cpuset shared by
// five threads, both measured with the group's own CPU counter.
import { readFileSync } from 'node:fs';
import {
  attempt,
  bar,
  Cgroup,
  CgroupHost,
  cpuWindow,
  notMeasured,
  parseCpuList,
  parseTaskStat,
  pause,
  round,
  showWritten,
  step,
  ticksPercent,
  which,
  Workload,
  type CpuWindow,
  type Unmeasured,
  type Version,
} from '../../runner/kit/index.js';
import { missing } from './hierarchies.js';

export const CPU_QUOTA = 20_000;
const CPU_TOLERANCE_PP = 3;
/** Twice the quota: an idle host gives the loop ~100 %, a busy one (other labs running) less. */
const FULL_CORE_MIN = 40;
const THREADS = 5;
const THREADS_QUOTA = 50_000;
const THREADS_TOLERANCE_PP = 5;

/** A busy loop measured without a limit, then with quota 20000/100000. */
export interface CpuResult {
  readonly baseline: CpuWindow;
  readonly limited: CpuWindow;
  readonly version: Version;
  /** The quota file written (full path), and what it read back afterwards. */
  readonly quotaFile: string;
  readonly readBack: string;
}

/** Five busy threads under one quota, confined to the allowed CPUs. */
export interface ThreadsResult {
  readonly total: CpuWindow;
  readonly allowed: readonly number[];
  readonly online: readonly number[];
  /** By thread id: the CPUs it was seen on (field 39 of its stat), over `samples` samples. */
  readonly seen: Readonly<Record<number, readonly number[]>>;
  readonly samples: number;
  /** By thread id: its CPU use in % of one CPU. */
  readonly perThread: Readonly<Record<number, number>>;
}

const pct = (x: number) => `${x.toFixed(1)} %`;

export const cpu = step<CpuResult | Unmeasured>({
  id: 'cpu',
  title: { en: 'cpu: a busy loop held to 20 % of a CPU', zh: 'cpu:把死循环限制在 20% 的 CPU' },
  explain: {
    en: 'A busy loop takes a whole CPU. We write its PID into a group, then give the group a quota of 20 ms of CPU time per 100 ms period: the scheduler stops the group for the rest of each period, so it gets 20 %. The figures come from the group\'s own CPU counter, not from top.',
    zh: '死循环会占满一个 CPU。把它的 PID 写进一个组,再给这个组每 100 ms 周期 20 ms 的 CPU 配额:配额用完后调度器让整个组等到下一个周期,于是它只得到 20%。数字来自该组自己的 CPU 计数器,而不是 top。',
  },
  article: 'echo 20000 > /sys/fs/cgroup/cpu/haoel/cpu.cfs_quota_us; echo 3529 >> /sys/fs/cgroup/cpu/haoel/tasks',
  modern: 'v1: echo 20000 > …/cpu.cfs_quota_us; v2: echo "20000 100000" > …/cpu.max; echo PID > …/cgroup.procs',
  async run(ctx) {
    const host = CgroupHost.discover();
    const skip = missing(host, ['cpu', 'cpuacct']);
    if (skip) return skip;
    const g = Cgroup.create(ctx, host, 'cpu', ['cpu', 'cpuacct']);
    try {
      // Like the article: the loop runs first, then its PID is written into the group.
      const w = await Workload.start(ctx, 'spin', []);
      try {
        ctx.log(`nslab-workload-spin runs as PID ${w.pid}; moving it into ${g.paths.join(' and ')}`);
        g.addProcess(w.pid);
        const quotaName = g.version('cpu') === 1 ? 'cpu.cfs_quota_us' : 'cpu.max';
        g.dir('cpu').show(quotaName);
        await pause(ctx, 200);
        const baseline = await cpuWindow(ctx, g, 2000, 'no limit');
        const written = g.limitCpu(CPU_QUOTA);
        showWritten(ctx, written);
        const readBack = g.dir('cpu').show(quotaName).trim();
        await pause(ctx, 300); // let the first throttled periods pass
        const topRun = which('top') ? attempt(ctx, ['top', '-b', '-n', '2', '-d', '1', '-p', String(w.pid)]) : undefined;
        const limited = await cpuWindow(ctx, g, 2500, `quota ${CPU_QUOTA}/100000`);
        await topRun?.catch(() => undefined);
        const quotaFile = written.writes.at(-1)!.file;
        ctx.measure('cpu', {
          version: written.version,
          file: quotaFile,
          counter: limited.file,
          baselinePercent: round(baseline.percent),
          limitedPercent: round(limited.percent),
          windowMs: round(limited.wallMs, 0),
        });
        return { baseline, limited, version: written.version, quotaFile, readBack };
      } finally {
        await w.stop();
      }
    } finally {
      g.remove();
    }
  },
  checks: [
    {
      id: 'busy-loop-full-core',
      description: `Without a limit the busy loop takes far more than the quota: at least ${FULL_CORE_MIN} % of one CPU over 2 s (~100 % on an idle host; the article's top showed 99.6 %).`,
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : { observed: `${pct(o.baseline.percent)} (${o.baseline.file})`, expected: `≥ ${FULL_CORE_MIN} %`, pass: o.baseline.percent >= FULL_CORE_MIN },
    },
    {
      id: 'quota-written',
      description: 'The quota file of this host reads back the quota nslab wrote.',
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const want = o.version === 1 ? String(CPU_QUOTA) : `${CPU_QUOTA} 100000`;
        return { observed: `${o.quotaFile}: ${o.readBack}`, expected: want, pass: o.readBack === want };
      },
    },
    {
      id: 'quota-20-percent',
      description: `With quota ${CPU_QUOTA}/100000 the group uses 20 % of one CPU within ±${CPU_TOLERANCE_PP} percentage points, over at least 2 s.`,
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `${pct(o.limited.percent)} over ${(o.limited.wallMs / 1000).toFixed(1)} s`,
              expected: `20 % ± ${CPU_TOLERANCE_PP} pp`,
              pass: Math.abs(o.limited.percent - 20) <= CPU_TOLERANCE_PP && o.limited.wallMs >= 2000,
            },
    },
  ],
});

export const threads = step<ThreadsResult | Unmeasured>({
  id: 'cpuset-threads',
  title: { en: 'cpuset and threads: five threads share 50 % on one CPU', zh: 'cpuset 与线程:五个线程在一个 CPU 上分享 50%' },
  explain: {
    en: 'The quota belongs to the group, not to each thread: five busy threads together get 50 % of a CPU. cpuset.cpus confines them to the CPUs listed; the kernel records in /proc/PID/task/TID/stat (field 39) which CPU each thread last ran on. The article wrote each thread id into `tasks`; we put the process in before it starts, so all its threads are born inside.',
    zh: '配额属于整个组而不是每个线程:五个忙线程加起来只得到 50% 的 CPU。cpuset.cpus 把它们限制在列出的 CPU 上;内核在 /proc/PID/task/TID/stat 的第 39 个字段记录每个线程最后运行在哪个 CPU。原文让每个线程把自己的 tid 写进 tasks;我们在进程启动前就把它放进组里,它的线程一出生就在组内。',
  },
  article: 'echo 50000 > /sys/fs/cgroup/cpu/haoel/cpu.cfs_quota_us; echo "2,3" > /sys/fs/cgroup/cpuset/haoel/cpuset.cpus',
  modern: 'cpu quota 50000/100000 and cpuset.cpus = the last online CPU; nslab-workload-threads 5',
  async run(ctx) {
    const host = CgroupHost.discover();
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
  },
  checks: [
    {
      id: 'threads-total-50-percent',
      description: `All ${THREADS} threads together use 50 % of one CPU within ±${THREADS_TOLERANCE_PP} percentage points.`,
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `${pct(o.total.percent)} (threads: ${Object.values(o.perThread).map((p) => `${p} %`).join(', ')})`,
              expected: `50 % ± ${THREADS_TOLERANCE_PP} pp`,
              pass: Math.abs(o.total.percent - 50) <= THREADS_TOLERANCE_PP,
            },
    },
    {
      id: 'only-allowed-cpus',
      description: 'Every sample of every thread shows it on an allowed CPU (field 39 of /proc/PID/task/TID/stat).',
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const seen = [...new Set(Object.values(o.seen).flat())].sort();
        const out = { observed: `CPUs seen: ${seen.join(',')} in ${o.samples} samples of ${Object.keys(o.seen).length} threads`, expected: `only ${o.allowed.join(',')}` };
        if (o.online.length < 2) return { ...out, pass: false, skip: 'this host has one CPU: a cpuset cannot exclude any' };
        return { ...out, pass: o.samples >= 10 && seen.length > 0 && seen.every((c) => o.allowed.includes(c)) };
      },
    },
  ],
});
