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
  t,
  ticksPercent,
  which,
  WHERE,
  Workload,
  type CpuWindow,
  type Throttling,
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
  /** The quota file written (full path), and what it read back afterwards (logged, not checked). */
  readonly quotaFile: string;
  readonly readBack: string;
  /** cpu.stat's bandwidth counters just before and just after the limited window. */
  readonly throttleBefore: Throttling;
  readonly throttleAfter: Throttling;
}

/** Five busy threads under one quota, confined to the allowed CPUs. */
export interface ThreadsResult {
  readonly total: CpuWindow;
  readonly allowed: readonly number[];
  readonly online: readonly number[];
  /** The process's Cpus_allowed_list in /proc/PID/status: the mask the scheduler applies. */
  readonly cpusAllowedList: string;
  /** By thread id: the CPUs it was seen on (field 39 of its stat), over `samples` samples. */
  readonly seen: Readonly<Record<number, readonly number[]>>;
  readonly samples: number;
  /** By thread id: its CPU use in % of one CPU. */
  readonly perThread: Readonly<Record<number, number>>;
}

const pct = (x: number) => `${x.toFixed(1)} %`;
const secs = (ms: number) => (ms / 1000).toFixed(1);

export const cpu = step<CpuResult | Unmeasured>({
  id: 'cpu',
  title: { en: 'cpu: a busy loop held to 20 % of a CPU', zh: 'cpu：把死循环限制在 20% 的 CPU' },
  explain: {
    en: 'A busy loop takes a whole CPU. We write its PID into a group, then give the group a quota of 20 ms of CPU time per 100 ms period (the article\'s 20000): the scheduler stops the group for the rest of each period, so it gets 20 %. The figures come from the group\'s own CPU counter, not from top, and the kernel\'s cpu.stat counts the periods in which it stopped the group (nr_throttled).',
    zh: '死循环会占满一个 CPU。把它的 PID 写进一个组，再给这个组每 100 ms 周期 20 ms 的 CPU 配额（即原文的 20000）：配额用完后调度器让整个组等到下一个周期，于是它只得到 20%。数字来自该组自己的 CPU 计数器，而不是 top；内核在 cpu.stat 里记下它被限流的周期数（nr_throttled）。',
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
        ctx.log(t(`nslab-workload-spin runs as PID ${w.pid}; moving it into ${g.paths.join(' and ')}`, `nslab-workload-spin 以 PID ${w.pid} 运行；把它迁入 ${g.paths.join(' 和 ')}`));
        g.addProcess(w.pid);
        const quotaName = g.version('cpu') === 1 ? 'cpu.cfs_quota_us' : 'cpu.max';
        g.dir('cpu').show(quotaName);
        await pause(ctx, 200);
        const baseline = await cpuWindow(ctx, g, 2000, t('no limit', '不加限制'));
        const written = g.limitCpu(CPU_QUOTA);
        showWritten(ctx, written, String(CPU_QUOTA));
        const readBack = g.dir('cpu').show(quotaName).trim();
        ctx.log(t(`${quotaName} reads back ${readBack} (what nslab wrote: not a proof by itself; cpu.stat below is)`, `${quotaName} 读回 ${readBack}（这只是 nslab 自己写的值，本身不算证据；下面的 cpu.stat 才是）`));
        await pause(ctx, 300); // let the first throttled periods pass
        const topRun = which('top') ? attempt(ctx, ['top', '-b', '-n', '2', '-d', '1', '-p', String(w.pid)]) : undefined;
        const throttleBefore = g.cpuThrottling({ show: true });
        const limited = await cpuWindow(ctx, g, 2500, t(`quota ${CPU_QUOTA}/100000`, `配额 ${CPU_QUOTA}/100000`));
        const throttleAfter = g.cpuThrottling({ show: true });
        await topRun?.catch(() => undefined);
        const periods = throttleAfter.periods - throttleBefore.periods;
        const throttled = throttleAfter.throttled - throttleBefore.throttled;
        ctx.log(
          t(
            `in ${periods} periods of 100 ms the kernel stopped the group ${throttled} times, for ${secs((throttleAfter.throttledUs - throttleBefore.throttledUs) / 1000)} s in all`,
            `在 ${periods} 个 100 ms 的周期里，内核限流了该组 ${throttled} 次，共 ${secs((throttleAfter.throttledUs - throttleBefore.throttledUs) / 1000)} 秒`,
          ),
        );
        const quotaFile = written.writes.at(-1)!.file;
        // Strings are not charted; the numbers of one measurement share a unit.
        ctx.measure('cpu', { version: `cgroup v${written.version}`, file: quotaFile, counter: limited.file, window: `${secs(limited.wallMs)} s` });
        ctx.measure('cpu % of one CPU', { noLimit: round(baseline.percent), quota20000: round(limited.percent) });
        ctx.measure('periods of 100 ms', { all: periods, throttled });
        return { baseline, limited, version: written.version, quotaFile, readBack, throttleBefore, throttleAfter };
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
      description: t(
        `Without a limit the busy loop takes far more than the quota: at least ${FULL_CORE_MIN} % of one CPU over 2 s (~100 % on an idle host; the article's top showed 99.6 %).`,
        `不加限制时死循环远超配额：2 秒内至少占单个 CPU 的 ${FULL_CORE_MIN} %（空闲主机上约 100 %；原文的 top 显示 99.6 %）。`,
      ),
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : { observed: `${pct(o.baseline.percent)} (${o.baseline.file})`, expected: `≥ ${FULL_CORE_MIN} %`, pass: o.baseline.percent >= FULL_CORE_MIN },
    },
    {
      id: 'quota-throttles',
      description: t(
        'Under the quota the kernel stops the group in most periods: cpu.stat counts at least 10 periods, nr_throttled goes up in at least half of them, and the throttled time grows.',
        '有了配额，内核在大多数周期里限流该组：cpu.stat 至少记了 10 个周期，其中至少一半 nr_throttled 增加，限流时间也在增长。',
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const periods = o.throttleAfter.periods - o.throttleBefore.periods;
        const throttled = o.throttleAfter.throttled - o.throttleBefore.throttled;
        const ms = (o.throttleAfter.throttledUs - o.throttleBefore.throttledUs) / 1000;
        return {
          observed: t(`nr_periods +${periods}, nr_throttled +${throttled}, throttled time +${ms.toFixed(0)} ms`, `nr_periods +${periods}，nr_throttled +${throttled}，限流时间 +${ms.toFixed(0)} ms`),
          expected: t('nr_periods ≥ +10, nr_throttled ≥ half of them, throttled time > 0', 'nr_periods ≥ +10，nr_throttled 至少占一半，限流时间 > 0'),
          pass: periods >= 10 && throttled >= periods / 2 && ms > 0,
        };
      },
    },
    {
      id: 'quota-20-percent',
      description: t(
        `With quota ${CPU_QUOTA}/100000 the group uses 20 % of one CPU within ±${CPU_TOLERANCE_PP} percentage points, over at least 2 s.`,
        `配额为 ${CPU_QUOTA}/100000 时，该组在至少 2 秒内使用单个 CPU 的 20 %，误差不超过 ±${CPU_TOLERANCE_PP} 个百分点。`,
      ),
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: t(`${pct(o.limited.percent)} over ${secs(o.limited.wallMs)} s`, `${secs(o.limited.wallMs)} 秒内 ${pct(o.limited.percent)}`),
              expected: `20 % ± ${CPU_TOLERANCE_PP} pp`,
              pass: Math.abs(o.limited.percent - 20) <= CPU_TOLERANCE_PP && o.limited.wallMs >= 2000,
            },
    },
  ],
});

export const threads = step<ThreadsResult | Unmeasured>({
  id: 'cpuset-threads',
  title: { en: 'cpuset and threads: five threads share 50 % on one CPU', zh: 'cpuset 与线程：五个线程在一个 CPU 上分享 50%' },
  explain: {
    en: 'The quota belongs to the group, not to each thread: five busy threads together get 50 % of a CPU. cpuset.cpus confines them to the CPUs listed; the kernel records in /proc/PID/task/TID/stat (field 39) which CPU each thread last ran on. Two deviations from the article: it wrote "2,3" (two CPUs of its 4-CPU machine), nslab keeps only the last online CPU of this host; and a new v1 cpuset group starts with empty cpuset.cpus and cpuset.mems, so no task may join it until both are set (the article never sets cpuset.mems): nslab copies the parent\'s first. The article also wrote each thread id into `tasks`; we put the process in before it starts, so all its threads are born inside.',
    zh: '配额属于整个组而不是每个线程：五个忙线程加起来只得到 50% 的 CPU。cpuset.cpus 把它们限制在列出的 CPU 上；内核在 /proc/PID/task/TID/stat 的第 39 个字段记录每个线程最后运行在哪个 CPU。与原文有两处不同：原文写的是 "2,3"（它那台 4 核机器上的两个 CPU），nslab 只保留本机最后一个在线的 CPU；另外，新建的 v1 cpuset 组 cpuset.cpus 和 cpuset.mems 都是空的，两者都设置之前任何进程都不能加入（原文没有设置 cpuset.mems），所以 nslab 先照父组的值写好。原文还让每个线程把自己的 tid 写进 tasks；我们在进程启动前就把它放进组里，它的线程一出生就在组内。',
  },
  article: 'echo 50000 > /sys/fs/cgroup/cpu/haoel/cpu.cfs_quota_us; echo "2,3" > /sys/fs/cgroup/cpuset/haoel/cpuset.cpus',
  modern: 'echo 50000 > …/cpu.cfs_quota_us; echo 0 > …/cpuset.mems; echo 1 > …/cpuset.cpus; nslab-workload-threads 5',
  async run(ctx) {
    const host = CgroupHost.discover();
    const skip = missing(host, ['cpu', 'cpuacct', 'cpuset']);
    if (skip) return skip;
    const online = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
    // The article pins to CPUs 2,3 of a 4-CPU machine; we keep one CPU of the ones we have.
    const allowed = [online.at(-1)!];
    const g = Cgroup.create(ctx, host, 'threads', ['cpu', 'cpuacct', 'cpuset']);
    try {
      if (g.version('cpuset') === 1)
        ctx.log(
          t(
            'above, nslab first copied the parent\'s cpuset.mems and cpuset.cpus into the new group: a new v1 cpuset group has both empty, and writing a PID into it fails with ENOSPC until they are set (the article skips cpuset.mems)',
            '上面 nslab 先把父组的 cpuset.mems 和 cpuset.cpus 写进了新组：新建的 v1 cpuset 组两者都是空的，设置之前往里写 PID 会得到 ENOSPC（原文跳过了 cpuset.mems）',
          ),
        );
      showWritten(ctx, g.limitCpu(THREADS_QUOTA), String(THREADS_QUOTA));
      showWritten(ctx, g.setCpus(allowed.join(',')), '2,3');
      ctx.log(
        t(
          `the article kept CPUs 2 and 3 of its 4; this host has CPUs ${online.join(',')}, so nslab keeps CPU ${allowed.join(',')} only`,
          `原文在 4 个 CPU 中保留 2 号和 3 号；本机的 CPU 是 ${online.join(',')}，所以 nslab 只保留 ${allowed.join(',')} 号`,
        ),
      );
      const w = await Workload.start(ctx, 'threads', [String(THREADS)], [g]);
      try {
        const tids = (await w.line((o) => Array.isArray(o.threads), t('its thread ids', '线程 id'))).threads as number[];
        ctx.log(t(`nslab-workload-threads runs as PID ${w.pid} with busy threads ${tids.join(', ')}`, `nslab-workload-threads 以 PID ${w.pid} 运行，忙线程是 ${tids.join('、')}`));
        const cpusAllowedList = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${w.pid}/status`, 'utf8'))?.[1] ?? '';
        ctx.transcript({ command: `grep Cpus_allowed_list /proc/${w.pid}/status`, output: `Cpus_allowed_list:\t${cpusAllowedList}`, where: WHERE.host });
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
        const total = await cpuWindow(ctx, g, 2500, t(`${THREADS} threads, quota ${THREADS_QUOTA}/100000`, `${THREADS} 个线程，配额 ${THREADS_QUOTA}/100000`), sample);
        const perThread: Record<number, number> = {};
        for (const tid of tids) {
          perThread[tid] = round(ticksPercent(ticks(tid).ticks - start[tid]!, total.wallMs), 1);
          const cpus = (seen[tid] ?? []).join(',').padEnd(4);
          const b = `${bar(perThread[tid]!, 100)} ${perThread[tid]!.toFixed(1)} %`;
          ctx.log(t(`  thread ${String(tid).padEnd(8)} on CPU ${cpus} ${b}`, `  线程 ${String(tid).padEnd(8)} 在 CPU ${cpus} ${b}`));
        }
        ctx.measure('threads', {
          allowedCpus: allowed.join(','),
          cpusAllowedList,
          cpusSeen: [...new Set(Object.values(seen).flat())].sort().join(','),
          samples: String(samples),
        });
        ctx.measure('cpu % of one CPU', { total: round(total.percent), ...Object.fromEntries(tids.map((tid) => [`thread ${tid}`, perThread[tid]!])) });
        return { total, allowed, online, cpusAllowedList, seen, samples, perThread };
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
      description: t(
        `All ${THREADS} threads together use 50 % of one CPU within ±${THREADS_TOLERANCE_PP} percentage points.`,
        `${THREADS} 个线程加起来使用单个 CPU 的 50 %，误差不超过 ±${THREADS_TOLERANCE_PP} 个百分点。`,
      ),
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: t(
                `${pct(o.total.percent)} (threads: ${Object.values(o.perThread).map((p) => `${p} %`).join(', ')})`,
                `${pct(o.total.percent)}（各线程：${Object.values(o.perThread).map((p) => `${p} %`).join('，')}）`,
              ),
              expected: `50 % ± ${THREADS_TOLERANCE_PP} pp`,
              pass: Math.abs(o.total.percent - 50) <= THREADS_TOLERANCE_PP,
            },
    },
    {
      id: 'only-allowed-cpus',
      description: t(
        'The kernel confines the threads to the allowed CPUs: the process\'s Cpus_allowed_list is exactly that set, and every sample of every thread (field 39 of /proc/PID/task/TID/stat) shows it on one of them.',
        '内核把线程限制在允许的 CPU 上：进程的 Cpus_allowed_list 正好是这些 CPU，并且每个线程的每次采样（/proc/PID/task/TID/stat 第 39 个字段）都落在其中。',
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const seen = [...new Set(Object.values(o.seen).flat())].sort();
        const threadsN = Object.keys(o.seen).length;
        const out = {
          observed: t(
            `Cpus_allowed_list ${o.cpusAllowedList || '?'}; CPUs seen: ${seen.join(',') || 'none'} in ${o.samples} samples of ${threadsN} threads`,
            `Cpus_allowed_list ${o.cpusAllowedList || '?'}；${threadsN} 个线程采样 ${o.samples} 次，见到的 CPU：${seen.join(',') || '无'}`,
          ),
          expected: t(`only ${o.allowed.join(',')}, in ≥ 10 samples`, `只有 ${o.allowed.join(',')}，至少采样 10 次`),
        };
        if (o.online.length < 2) return { ...out, pass: false, skip: t('this host has one CPU: a cpuset cannot exclude any', '本机只有一个 CPU：cpuset 无从排除') };
        const mask = parseCpuList(o.cpusAllowedList);
        const maskOk = mask.length === o.allowed.length && mask.every((c) => o.allowed.includes(c));
        return { ...out, pass: maskOk && o.samples >= 10 && seen.length > 0 && seen.every((c) => o.allowed.includes(c)) };
      },
    },
  ],
});
