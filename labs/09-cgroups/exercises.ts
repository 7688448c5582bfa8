// 09-cgroups, by hand: the learner predicts what a shorter CFS period does to a quota and then
// measures it, and meets the v1 cpuset rule that a group without memory nodes takes no task.
// The checks read the groups' own files below the playground's roots and measure the CPU time
// of the tasks in them (/proc/PID/task/TID/schedstat), never what the learner typed.
import { join } from 'node:path';
import { CgroupHost, exercise, listDir, parseCpuList, readLines, statusField, t, tryRead, type PlaygroundView, type Requirement, type Text } from '../../runner/kit/index.js';

/** The article's quota and period, and the halved period the learner predicts for. */
export const QUOTA_US = 25_000;
export const PERIOD_US = 100_000;
export const HALF_PERIOD_US = PERIOD_US / 2;
/** What the prediction should be: the quota granted in every (shorter) period. */
export const PREDICTED = (QUOTA_US / HALF_PERIOD_US) * 100;
/** How long check measures, and how close the measurement must come to quota ÷ period. */
const WINDOW_MS = 1000;
const TOLERANCE_PP = 6;
/** Below this a group's tasks count as idle, not as a busy loop. */
const BUSY_PP = 5;

/** A group below the playground's root, as the learner names it (e.g. /sys/fs/cgroup/cpu/half). */
const groupsBelow = (root: string): string[] => {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of listDir(join(root, rel)))
      if (tryRead(join(root, rel, n, 'cgroup.procs')) !== undefined) {
        out.push(`${rel}/${n}`);
        walk(`${rel}/${n}`);
      }
  };
  walk('');
  return out;
};

/** CPU time of a process (all its threads) in ns, from schedstat; undefined once it is gone. */
function cpuNs(pid: number): number | undefined {
  let sum = 0;
  let seen = false;
  for (const tid of listDir(`/proc/${pid}/task`)) {
    const v = Number((tryRead(`/proc/${pid}/task/${tid}/schedstat`) ?? '').split(' ')[0]);
    if (Number.isFinite(v)) {
      sum += v;
      seen = true;
    }
  }
  return seen ? sum : undefined;
}

/** A process of a group as the learner sees it: `comm[pid inside]`. */
export interface Member {
  readonly inside: number;
  readonly comm: string;
}
const named = (ms: readonly Member[]) => ms.map((m) => `${m.comm}[${m.inside}]`).join(' ');
const insideOf = (pg: PlaygroundView) => {
  const byPid = new Map(pg.processes().map((p) => [p.pid, p] as const));
  return (pid: number): Member => ({ inside: byPid.get(pid)?.inside ?? 0, comm: byPid.get(pid)?.comm ?? '?' });
};

// ---------------------------------------------------------------------------------------------
// halve-period: predict, then measure

/** One group below the playground's cpu root, with its bandwidth settings and a measurement. */
export interface CpuGroupSeen {
  /** As the learner names it, e.g. /sys/fs/cgroup/cpu/half. */
  readonly path: string;
  /** µs; -1 for no limit (v1 -1, v2 "max"). */
  readonly quota: number;
  readonly period: number;
  readonly members: readonly Member[];
  /** CPU time of its processes during the window, in % of one CPU. */
  readonly percent: number;
  /** Periods in which the kernel throttled the group during the window (cpu.stat nr_throttled). */
  readonly throttled: number;
}

export interface PeriodWorld {
  /** 1 or 2: where the cpu controller is; 0: nowhere (the requirement says so first). */
  readonly version: 0 | 1 | 2;
  /** The playground's cpu root as the learner sees it (/sys/fs/cgroup/cpu, or the cgroup2 mount). */
  readonly root: string;
  readonly groups: readonly CpuGroupSeen[];
  readonly windowMs: number;
  /** The learner's answer read as a number (NaN: not a number), and as typed. */
  readonly prediction: number | undefined;
  readonly answer: string | undefined;
}

/** quota ÷ period in % of one CPU (no limit: 100). */
export const shareOf = (g: { quota: number; period: number }) => (g.quota < 0 || g.period <= 0 ? 100 : (g.quota / g.period) * 100);

/** The group the checks judge: a busy one with the asked settings, else a busy one, else one with the settings, else any. */
export function chosen(o: PeriodWorld): CpuGroupSeen | undefined {
  const busy = (g: CpuGroupSeen) => g.percent >= BUSY_PP;
  const asked = (g: CpuGroupSeen) => g.quota === QUOTA_US && g.period === HALF_PERIOD_US;
  const limited = (g: CpuGroupSeen) => g.quota >= 0;
  return (
    o.groups.find((g) => busy(g) && asked(g)) ??
    o.groups.find((g) => busy(g) && limited(g)) ??
    o.groups.find(busy) ??
    o.groups.find(asked) ??
    o.groups.find((g) => limited(g) && g.members.length > 0) ??
    o.groups.find(limited) ??
    o.groups.find((g) => g.members.length > 0) ??
    o.groups[0]
  );
}

function cpuPlace(pg: PlaygroundView): { version: 0 | 1 | 2; mount: string; host: string } {
  const p = CgroupHost.discover().place('cpu');
  if (p?.version === 1 && pg.cgroups.v1[p.mount] !== undefined) return { version: 1, mount: p.mount, host: pg.cgroups.v1[p.mount]! };
  if (p?.version === 2 && pg.cgroups.v2 !== undefined) return { version: 2, mount: p.mount, host: pg.cgroups.v2 };
  return { version: 0, mount: '/sys/fs/cgroup/cpu', host: '' };
}

function bandwidth(dir: string, version: 1 | 2): { quota: number; period: number } {
  if (version === 2) {
    const [q, p] = (tryRead(join(dir, 'cpu.max')) ?? 'max 100000').trim().split(/\s+/);
    return { quota: q === 'max' ? -1 : Number(q), period: Number(p) };
  }
  return { quota: Number((tryRead(join(dir, 'cpu.cfs_quota_us')) ?? '-1').trim()), period: Number((tryRead(join(dir, 'cpu.cfs_period_us')) ?? '0').trim()) };
}

async function periodWorld(pg: PlaygroundView): Promise<PeriodWorld> {
  const place = cpuPlace(pg);
  const answer = pg.answer;
  const num = answer === undefined ? undefined : Number(answer.replace(/%|％|percent|per cent/gi, '').replace(',', '.').trim());
  const base = { root: place.mount, windowMs: WINDOW_MS, prediction: num, answer };
  if (place.version === 0) return { version: 0, groups: [], ...base };
  const version = place.version;
  const who = insideOf(pg);
  const rels = groupsBelow(place.host);
  const pidsOf = (rel: string) => readLines(join(place.host, rel, 'cgroup.procs')).map(Number).filter((n) => n > 0);
  // One window for every group: CPU time of each process at both ends.
  const throttledOf = (rel: string) => Number(/^nr_throttled (\d+)$/m.exec(tryRead(join(place.host, rel, 'cpu.stat')) ?? '')?.[1] ?? 0);
  const before = new Map<number, number>();
  const throttledBefore = new Map(rels.map((rel) => [rel, throttledOf(rel)] as const));
  for (const rel of rels) for (const pid of pidsOf(rel)) before.set(pid, cpuNs(pid) ?? NaN);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const wallNs = Number(process.hrtime.bigint() - t0);
  const groups = rels.map((rel): CpuGroupSeen => {
    const dir = join(place.host, rel);
    let used = 0;
    const pids = pidsOf(rel);
    for (const pid of pids) {
      const a = before.get(pid);
      const b = cpuNs(pid);
      if (a !== undefined && b !== undefined && Number.isFinite(a)) used += b - a;
    }
    return { path: `${place.mount}${rel}`, ...bandwidth(dir, version), members: pids.map(who), percent: (used / wallNs) * 100, throttled: throttledOf(rel) - (throttledBefore.get(rel) ?? 0) };
  });
  return { version, groups, ...base };
}

const pct = (x: number) => `${x.toFixed(1)} %`;
const settings = (g: CpuGroupSeen, v: 0 | 1 | 2) =>
  v === 2 ? `cpu.max ${g.quota < 0 ? 'max' : g.quota} ${g.period}` : `cfs_quota_us ${g.quota}, cfs_period_us ${g.period}`;

/** The cpu controller is somewhere: in a v1 hierarchy, or offered by cgroup2. */
const cpuController: Requirement = {
  id: 'cpu-controller',
  description: t('the cpu controller is available (a cgroup v1 hierarchy, or cgroup2)', 'cpu 控制器可用（在某个 cgroup v1 层级中，或由 cgroup2 提供）'),
  probe: () => {
    const host = CgroupHost.discover();
    return host.place('cpu') ? { ok: true } : { ok: false, reason: host.whyMissing('cpu') };
  },
};

export const halvePeriod = exercise<PeriodWorld>({
  id: 'halve-period',
  measuresCpu: true,
  kind: 'predict',
  title: t('Halve the period, keep the quota', '周期减半，配额不变'),
  task: t(
    `A group with cpu.cfs_quota_us ${QUOTA_US} and cpu.cfs_period_us ${PERIOD_US} lets its busy loop run ${(QUOTA_US / PERIOD_US) * 100} % of one CPU. Predict: with the period halved to ${HALF_PERIOD_US} and the quota unchanged, what percentage? Type answer N first. Then make a group below /sys/fs/cgroup/cpu (the playground's root there) with quota ${QUOTA_US} and period ${HALF_PERIOD_US}, leave a busy loop running in it, and type check: it measures the loop's CPU time for ${WINDOW_MS / 1000} s and compares it with your prediction and with quota ÷ period. (On a cgroup v2 host: echo +cpu > /sys/fs/cgroup/cgroup.subtree_control, then cpu.max "${QUOTA_US} ${HALF_PERIOD_US}" in a group below /sys/fs/cgroup.)`,
    `配额 cpu.cfs_quota_us 为 ${QUOTA_US}、周期 cpu.cfs_period_us 为 ${PERIOD_US} 的组，让其中的死循环跑满一个 CPU 的 ${(QUOTA_US / PERIOD_US) * 100} %。请预测：周期减半为 ${HALF_PERIOD_US}、配额不变时是百分之多少？先输入 answer N。然后在 /sys/fs/cgroup/cpu（练习场在那里的根）下建一个组，配额 ${QUOTA_US}、周期 ${HALF_PERIOD_US}，让一个死循环在里面一直运行，再输入 check：它会测量死循环 ${WINDOW_MS / 1000} 秒内的 CPU 时间，并与你的预测和“配额 ÷ 周期”比较。（cgroup v2 主机：先 echo +cpu > /sys/fs/cgroup/cgroup.subtree_control，再在 /sys/fs/cgroup 下的组里写 cpu.max "${QUOTA_US} ${HALF_PERIOD_US}"。）`,
  ),
  hints: [
    t(
      'The quota is CPU time granted in every period. When the period gets shorter, periods come more often, and each brings the whole quota again.',
      '配额是每个周期内给出的 CPU 时间。周期变短，周期来得更频繁，每个周期都重新给出完整的配额。',
    ),
    t(
      'A process joins a group when its pid is written to the group\'s cgroup.procs; $$ is the pid of the shell that runs the command.',
      '把进程的 pid 写进组的 cgroup.procs，它就加入了这个组；$$ 是运行该命令的 shell 的 pid。',
    ),
    t(
      `mkdir /sys/fs/cgroup/cpu/half; echo ${QUOTA_US} > /sys/fs/cgroup/cpu/half/cpu.cfs_quota_us; echo ${HALF_PERIOD_US} > /sys/fs/cgroup/cpu/half/cpu.cfs_period_us; sh -c 'echo $$ > /sys/fs/cgroup/cpu/half/cgroup.procs; while :; do :; done' &`,
      `mkdir /sys/fs/cgroup/cpu/half; echo ${QUOTA_US} > /sys/fs/cgroup/cpu/half/cpu.cfs_quota_us; echo ${HALF_PERIOD_US} > /sys/fs/cgroup/cpu/half/cpu.cfs_period_us; sh -c 'echo $$ > /sys/fs/cgroup/cpu/half/cgroup.procs; while :; do :; done' &（在后台运行）`,
    ),
  ],
  looksAt: t(
    `your answer; cpu.cfs_quota_us and cpu.cfs_period_us (v2: cpu.max) and cgroup.procs of every group below the playground's cpu root; the CPU time of the processes in them (/proc/PID/task/TID/schedstat) over ${WINDOW_MS / 1000} s`,
    `你的回答；练习场 cpu 根下每个组的 cpu.cfs_quota_us 和 cpu.cfs_period_us（v2：cpu.max）以及 cgroup.procs；其中进程在 ${WINDOW_MS / 1000} 秒内的 CPU 时间（/proc/PID/task/TID/schedstat）`,
  ),
  requirements: [cpuController],
  v2Controllers: ['cpu'],
  observe: periodWorld,
  conditions: [
    {
      id: 'prediction',
      description: t(
        `Your prediction is quota ÷ period with the halved period: ${QUOTA_US} ÷ ${HALF_PERIOD_US} = ${PREDICTED} %.`,
        `你的预测等于周期减半后的“配额 ÷ 周期”：${QUOTA_US} ÷ ${HALF_PERIOD_US} = ${PREDICTED} %。`,
      ),
      evaluate: (o) => {
        const g = chosen(o);
        const measured = g !== undefined && g.percent >= BUSY_PP ? g.percent : undefined;
        const n = o.prediction;
        const pass = n !== undefined && Number.isFinite(n) && Math.abs(n - PREDICTED) <= 1;
        const seen = (en: string, zh: string) => (measured === undefined ? t(en, zh) : t(`${en}; measured ${pct(measured)}`, `${zh}；测得 ${pct(measured)}`));
        const hint = (): Text =>
          n === undefined
            ? t('no prediction yet: type answer N (a percentage of one CPU), then check again.', '还没有预测：输入 answer N（占一个 CPU 的百分比），然后再 check。')
            : !Number.isFinite(n)
              ? t(`"${o.answer}" is not a number: answer with the percentage alone, e.g. answer 30.`, `“${o.answer}”不是数字：只回答百分比，例如 answer 30。`)
              : Math.abs(n - (QUOTA_US / PERIOD_US) * 100) <= 1
                ? t(
                    `${n} % was the share with the old period: the quota is granted in every period, and a period half as long comes twice as often.`,
                    `${n} % 是原来周期下的份额：配额在每个周期都会给出，而长度减半的周期出现的次数多了一倍。`,
                  )
                : Math.abs(n - (QUOTA_US / PERIOD_US) * 50) <= 1
                  ? t(
                      `the quota was kept, not halved: ${QUOTA_US} µs out of every ${HALF_PERIOD_US} µs is more CPU than out of every ${PERIOD_US} µs, not less.`,
                      `配额保持不变，并没有减半：每 ${HALF_PERIOD_US} µs 给 ${QUOTA_US} µs，比每 ${PERIOD_US} µs 给这么多要多，而不是少。`,
                    )
                  : t(
                      `${n} % is not quota ÷ period: work out ${QUOTA_US} ÷ ${HALF_PERIOD_US} × 100${measured !== undefined ? ` (your loop measured ${pct(measured)})` : ''}.`,
                      `${n} % 不等于“配额 ÷ 周期”：算一算 ${QUOTA_US} ÷ ${HALF_PERIOD_US} × 100${measured !== undefined ? `（你的死循环测得 ${pct(measured)}）` : ''}。`,
                    );
        return {
          observed: n === undefined ? t('no answer', '没有回答') : seen(`answer ${o.answer}`, `回答 ${o.answer}`),
          expected: `${PREDICTED} %`,
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'limits-set',
      description: t(
        `A group below the playground's cpu root has quota ${QUOTA_US} µs and period ${HALF_PERIOD_US} µs.`,
        `练习场 cpu 根下有一个组，配额 ${QUOTA_US} µs、周期 ${HALF_PERIOD_US} µs。`,
      ),
      evaluate: (o) => {
        const g = chosen(o);
        const pass = g !== undefined && g.quota === QUOTA_US && g.period === HALF_PERIOD_US;
        const quotaFile = o.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us';
        const periodFile = o.version === 2 ? 'cpu.max' : 'cpu.cfs_period_us';
        const hint = (): Text =>
          g === undefined
            ? t(`there is no group below ${o.root} yet: mkdir ${o.root}/half`, `${o.root} 下还没有组：mkdir ${o.root}/half`)
            : g.quota < 0
              ? t(`${g.path} has no quota: echo ${QUOTA_US} > ${g.path}/${quotaFile}`, `${g.path} 没有配额：echo ${QUOTA_US} > ${g.path}/${quotaFile}`)
              : g.quota !== QUOTA_US
                ? t(`the quota of ${g.path} is ${g.quota} µs: keep it at ${QUOTA_US}, only the period changes.`, `${g.path} 的配额是 ${g.quota} µs：保持 ${QUOTA_US} 不变，只改周期。`)
                : g.period === PERIOD_US
                  ? t(
                      `the period of ${g.path} is still ${PERIOD_US} µs: halve it (echo ${HALF_PERIOD_US} > ${g.path}/${periodFile}) and keep the quota.`,
                      `${g.path} 的周期仍是 ${PERIOD_US} µs：把它减半（echo ${HALF_PERIOD_US} > ${g.path}/${periodFile}），配额不变。`,
                    )
                  : t(`the period of ${g.path} is ${g.period} µs: half of ${PERIOD_US} is ${HALF_PERIOD_US}.`, `${g.path} 的周期是 ${g.period} µs：${PERIOD_US} 的一半是 ${HALF_PERIOD_US}。`);
        return {
          observed: g === undefined ? t(`no group below ${o.root}`, `${o.root} 下没有组`) : `${g.path}: ${settings(g, o.version)}`,
          expected: o.version === 2 ? `cpu.max ${QUOTA_US} ${HALF_PERIOD_US}` : `cfs_quota_us ${QUOTA_US}, cfs_period_us ${HALF_PERIOD_US}`,
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'measured',
      description: t(
        `A busy loop in that group gets quota ÷ period of one CPU (within ${TOLERANCE_PP} percentage points) over ${WINDOW_MS / 1000} s, and the kernel throttled the group (cpu.stat nr_throttled grew).`,
        `该组里的死循环在 ${WINDOW_MS / 1000} 秒内得到一个 CPU 的“配额 ÷ 周期”（误差 ${TOLERANCE_PP} 个百分点以内），并且内核限流了这个组（cpu.stat 的 nr_throttled 增加了）。`,
      ),
      evaluate: (o) => {
        const g = chosen(o);
        const share = g === undefined ? 0 : shareOf(g);
        const held = g !== undefined && (share >= 100 || g.throttled > 0);
        const pass = g !== undefined && g.percent >= BUSY_PP && Math.abs(g.percent - share) <= TOLERANCE_PP && held;
        const hint = (): Text =>
          g === undefined
            ? t(`no group below ${o.root} yet to measure: mkdir ${o.root}/half`, `${o.root} 下还没有可测量的组：mkdir ${o.root}/half`)
            : g.members.length === 0
              ? t(
                  `nothing runs in ${g.path}: start a busy loop there: sh -c 'echo $$ > ${g.path}/cgroup.procs; while :; do :; done' &`,
                  `${g.path} 里没有任何进程：在那里启动一个死循环：sh -c 'echo $$ > ${g.path}/cgroup.procs; while :; do :; done' &`,
                )
              : g.percent < BUSY_PP
                ? t(
                    `${named(g.members)} in ${g.path} used only ${pct(g.percent)} of a CPU: the check needs a busy loop (while :; do :; done), not an idle process.`,
                    `${g.path} 里的 ${named(g.members)} 只用了一个 CPU 的 ${pct(g.percent)}：检查需要一个死循环（while :; do :; done），而不是空闲的进程。`,
                  )
                : !held && g.percent < share
                  ? t(
                      `the loop in ${g.path} got ${pct(g.percent)} and was never throttled (nr_throttled did not grow): it did not reach its quota, something else is taking the CPU. Stop other busy loops (jobs; kill %N) and check again.`,
                      `${g.path} 里的死循环只得到 ${pct(g.percent)}，而且从未被限流（nr_throttled 没有增加）：它没有用到配额，CPU 被别的东西占用了。停掉其他死循环（jobs；kill %N），再 check 一次。`,
                    )
                  : t(
                    `the loop in ${g.path} measured ${pct(g.percent)}, but its quota ÷ period allows ${pct(share)}: is another loop competing for the CPU, or did a setting change during check?`,
                    `${g.path} 里的死循环测得 ${pct(g.percent)}，而它的“配额 ÷ 周期”允许 ${pct(share)}：是不是有别的死循环在抢 CPU，或者 check 期间改了设置？`,
                  );
        return {
          observed:
            g === undefined
              ? t('nothing measured', '没有可测量的')
              : t(
                  `${g.path}: ${named(g.members) || 'no process'} used ${pct(g.percent)}, throttled in ${g.throttled} periods; quota ÷ period ${pct(share)}${o.prediction !== undefined && Number.isFinite(o.prediction) ? `; your prediction ${pct(o.prediction)}` : ''}`,
                  `${g.path}：${named(g.members) || '没有进程'} 用了 ${pct(g.percent)}，${g.throttled} 个周期被限流；配额 ÷ 周期 ${pct(share)}${o.prediction !== undefined && Number.isFinite(o.prediction) ? `；你的预测 ${pct(o.prediction)}` : ''}`,
                ),
          expected: t(`a busy loop at ${pct(share)} ± ${TOLERANCE_PP}`, `一个死循环，${pct(share)} ± ${TOLERANCE_PP}`),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `# the cpu controller's root in the playground: v1 here, cgroup2 elsewhere
if [ -e /sys/fs/cgroup/cpu/cpu.cfs_period_us ]; then
  g=/sys/fs/cgroup/cpu/half
  mkdir $g
  echo ${QUOTA_US} > $g/cpu.cfs_quota_us
  echo ${HALF_PERIOD_US} > $g/cpu.cfs_period_us
else
  echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
  g=/sys/fs/cgroup/half
  mkdir $g
  echo "${QUOTA_US} ${HALF_PERIOD_US}" > $g/cpu.max
fi
answer ${PREDICTED}
sh -c "echo \\$\\$ > $g/cgroup.procs; while :; do :; done" &
sleep 0.5`,
  nearMisses: [
    {
      id: 'period-kept',
      what: t('predicts right but leaves the period at 100000', '预测对了，但周期仍是 100000'),
      script: `g=/sys/fs/cgroup/cpu/half
[ -d /sys/fs/cgroup/cpu ] || { echo +cpu > /sys/fs/cgroup/cgroup.subtree_control; g=/sys/fs/cgroup/half; }
mkdir $g
[ -e $g/cpu.max ] && echo "${QUOTA_US} ${PERIOD_US}" > $g/cpu.max || echo ${QUOTA_US} > $g/cpu.cfs_quota_us
answer ${PREDICTED}
sh -c "echo \\$\\$ > $g/cgroup.procs; while :; do :; done" &
sleep 0.5`,
      fails: 'limits-set',
      hint: `is still ${PERIOD_US} µs: halve it`,
    },
    {
      id: 'kept-share',
      what: t('predicts the old 25 %', '预测的还是原来的 25 %'),
      script: `g=/sys/fs/cgroup/cpu/half
[ -d /sys/fs/cgroup/cpu ] || { echo +cpu > /sys/fs/cgroup/cgroup.subtree_control; g=/sys/fs/cgroup/half; }
mkdir $g
[ -e $g/cpu.max ] && echo "${QUOTA_US} ${HALF_PERIOD_US}" > $g/cpu.max || { echo ${QUOTA_US} > $g/cpu.cfs_quota_us; echo ${HALF_PERIOD_US} > $g/cpu.cfs_period_us; }
answer ${(QUOTA_US / PERIOD_US) * 100}
sh -c "echo \\$\\$ > $g/cgroup.procs; while :; do :; done" &
sleep 0.5`,
      fails: 'prediction',
      hint: 'was the share with the old period',
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// no-mems: a v1 cpuset group without memory nodes refuses every task

/** One group below the playground's cpuset root. */
export interface CpusetGroupSeen {
  readonly path: string;
  readonly cpus: string;
  readonly mems: string;
  /** Its processes, each with the CPUs the scheduler allows it (Cpus_allowed_list). */
  readonly members: readonly (Member & { readonly allowed: string })[];
}

export interface CpusetWorld {
  /** The playground's cpuset root as the learner sees it; undefined without a v1 cpuset hierarchy. */
  readonly root: string | undefined;
  readonly rootMems: string;
  readonly groups: readonly CpusetGroupSeen[];
  readonly answer: string | undefined;
}

function cpusetWorld(pg: PlaygroundView): CpusetWorld {
  const p = CgroupHost.discover().place('cpuset', 1);
  const host = p === undefined ? undefined : pg.cgroups.v1[p.mount];
  if (p === undefined || host === undefined) return { root: undefined, rootMems: '', groups: [], answer: pg.answer };
  const who = insideOf(pg);
  const read = (rel: string, f: string) => (tryRead(join(host, rel, f)) ?? '').trim();
  const groups = groupsBelow(host).map(
    (rel): CpusetGroupSeen => ({
      path: `${p.mount}${rel}`,
      cpus: read(rel, 'cpuset.cpus'),
      mems: read(rel, 'cpuset.mems'),
      members: readLines(join(host, rel, 'cgroup.procs'))
        .map(Number)
        .map((pid) => ({ ...who(pid), allowed: statusField(pid, 'Cpus_allowed_list')?.[0] ?? '?' })),
    }),
  );
  return { root: p.mount, rootMems: read('', 'cpuset.mems'), groups, answer: pg.answer };
}

/** The CPU list "0-1,3" as a canonical string of numbers, for comparing masks. */
const cpuKey = (list: string) => {
  try {
    return parseCpuList(list).join(',');
  } catch {
    return list;
  }
};

const cpusetV1: Requirement = {
  id: 'cpuset-v1',
  description: t('the cpuset controller is in a cgroup v1 hierarchy', 'cpuset 控制器位于某个 cgroup v1 层级中'),
  probe: () =>
    CgroupHost.discover().place('cpuset', 1)
      ? { ok: true }
      : {
          ok: false,
          reason: t(
            'no cgroup v1 hierarchy has the cpuset controller: in cgroup v2 an empty cpuset.mems means the parent\'s, so nothing is refused',
            '没有哪个 cgroup v1 层级带 cpuset 控制器：在 cgroup v2 中，空的 cpuset.mems 表示沿用父组的设置，所以什么也不会被拒绝',
          ),
        },
};

/** The answer names the empty file (leniently: mems, memory nodes, NUMA; 内存节点). */
const NAMES_MEMS = /mem|numa|node|内存|节点/i;

export const noMems = exercise<CpusetWorld>({
  id: 'no-mems',
  kind: 'break',
  title: t('A cpuset group that takes no task', '一个不接收任何进程的 cpuset 组'),
  task: t(
    'Make a group below /sys/fs/cgroup/cpuset (the playground\'s root there), set only its cpuset.cpus to 0, and move a process into it (echo $$ > …/cgroup.procs): the kernel refuses. Leave that group as it is, and answer why in a few words. Then make a second group that does take a process, limited to CPU 0, and leave a process running in it. check looks for both groups and your answer.',
    '在 /sys/fs/cgroup/cpuset（练习场在那里的根）下建一个组，只把它的 cpuset.cpus 设为 0，然后把一个进程移进去（echo $$ > …/cgroup.procs）：内核会拒绝。保持这个组不动，并用 answer 简短说明原因。然后再建第二个组，让它能接收进程并只允许使用 CPU 0，留一个进程在里面运行。check 会查看这两个组和你的回答。',
  ),
  hints: [
    t(
      'A new v1 cpuset group starts with two empty files: the CPUs its tasks may run on, and the memory nodes they may allocate from. A task needs both.',
      '新建的 v1 cpuset 组有两个文件一开始是空的：进程可以运行的 CPU，以及可以分配内存的内存节点。进程两者都需要。',
    ),
    t('cat /sys/fs/cgroup/cpuset/cpuset.mems shows the memory nodes of the playground\'s root; a child may use those.', 'cat /sys/fs/cgroup/cpuset/cpuset.mems 显示练习场根组的内存节点；子组可以使用它们。'),
    t(
      "c=/sys/fs/cgroup/cpuset; mkdir $c/pinned; echo 0 > $c/pinned/cpuset.cpus; cat $c/cpuset.mems > $c/pinned/cpuset.mems; sh -c \"echo \\$\\$ > $c/pinned/cgroup.procs; exec sleep 600\" &",
      "c=/sys/fs/cgroup/cpuset; mkdir $c/pinned; echo 0 > $c/pinned/cpuset.cpus; cat $c/cpuset.mems > $c/pinned/cpuset.mems; sh -c \"echo \\$\\$ > $c/pinned/cgroup.procs; exec sleep 600\" &（在后台运行）",
    ),
  ],
  looksAt: t(
    "cpuset.cpus, cpuset.mems and cgroup.procs of every group below the playground's cpuset root, Cpus_allowed_list in /proc/PID/status of the processes in them, and your answer",
    '练习场 cpuset 根下每个组的 cpuset.cpus、cpuset.mems 和 cgroup.procs，其中进程 /proc/PID/status 里的 Cpus_allowed_list，以及你的回答',
  ),
  requirements: [cpusetV1],
  observe: cpusetWorld,
  conditions: [
    {
      id: 'refused-group',
      description: t(
        'A cpuset group of yours has cpuset.cpus set and cpuset.mems empty: the group that refused the process.',
        '你的某个 cpuset 组设置了 cpuset.cpus，而 cpuset.mems 为空：就是拒绝了进程的那个组。',
      ),
      evaluate: (o) => {
        const g = o.groups.find((x) => x.cpus !== '' && x.mems === '');
        const bare = o.groups.find((x) => x.cpus === '' && x.mems === '');
        const hint = (): Text =>
          o.root === undefined
            ? t('no v1 cpuset hierarchy here', '这里没有 v1 cpuset 层级')
            : o.groups.length === 0
              ? t(`no group below ${o.root} yet: mkdir ${o.root}/nomems; echo 0 > ${o.root}/nomems/cpuset.cpus`, `${o.root} 下还没有组：mkdir ${o.root}/nomems; echo 0 > ${o.root}/nomems/cpuset.cpus`)
              : bare !== undefined
                ? t(
                    `${bare.path} has neither CPUs nor memory nodes: set only its cpuset.cpus (echo 0 > ${bare.path}/cpuset.cpus), then try echo $$ > ${bare.path}/cgroup.procs again.`,
                    `${bare.path} 既没有 CPU 也没有内存节点：只设置它的 cpuset.cpus（echo 0 > ${bare.path}/cpuset.cpus），再试一次 echo $$ > ${bare.path}/cgroup.procs。`,
                  )
                : t(
                    `every group has cpuset.mems set now (${o.groups.map((x) => x.path).join(', ')}): keep one with CPUs only (mkdir ${o.root}/refused; echo 0 > ${o.root}/refused/cpuset.cpus) so that check sees what refused you.`,
                    `现在每个组都设置了 cpuset.mems（${o.groups.map((x) => x.path).join('、')}）：留一个只设了 CPU 的组（mkdir ${o.root}/refused; echo 0 > ${o.root}/refused/cpuset.cpus），让 check 看到拒绝你的是什么。`,
                  );
        return {
          observed:
            o.groups.length === 0
              ? t('no group', '没有组')
              : o.groups.map((x) => `${x.path}: cpus "${x.cpus}" mems "${x.mems}"`).join('; '),
          expected: t('a group with cpus set and mems ""', '一个设置了 cpus、mems 为 "" 的组'),
          pass: g !== undefined,
          ...(g !== undefined ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'pinned',
      description: t(
        'A process runs in a cpuset group of yours that has CPU 0 only and memory nodes, and the kernel allows it just that CPU (Cpus_allowed_list).',
        '有一个进程运行在你的某个 cpuset 组里，该组只有 CPU 0 并设置了内存节点，内核也只允许它使用这个 CPU（Cpus_allowed_list）。',
      ),
      evaluate: (o) => {
        const ready = o.groups.filter((x) => x.cpus !== '' && x.mems !== '');
        const ok = ready.find((x) => cpuKey(x.cpus) === '0' && x.members.some((m) => cpuKey(m.allowed) === '0'));
        const hint = (): Text => {
          const withProcs = ready.find((x) => x.members.length > 0);
          const empty = ready.find((x) => cpuKey(x.cpus) === '0');
          if (ready.length === 0)
            return t(
              `no group has cpuset.mems set: echo ${o.rootMems || '0'} > …/cpuset.mems (the root's nodes: cat ${o.root}/cpuset.mems)`,
              `没有哪个组设置了 cpuset.mems：echo ${o.rootMems || '0'} > …/cpuset.mems（根组的内存节点：cat ${o.root}/cpuset.mems）`,
            );
          if (withProcs !== undefined && cpuKey(withProcs.cpus) !== '0')
            return t(`${withProcs.path} allows CPUs ${withProcs.cpus}: limit it to CPU 0 (echo 0 > ${withProcs.path}/cpuset.cpus).`, `${withProcs.path} 允许 CPU ${withProcs.cpus}：把它限制为 CPU 0（echo 0 > ${withProcs.path}/cpuset.cpus）。`);
          if (empty !== undefined)
            return t(
              `${empty.path} has CPU 0 and memory nodes ${empty.mems}, but no process: sh -c 'echo $$ > ${empty.path}/cgroup.procs; exec sleep 600' &`,
              `${empty.path} 有 CPU 0 和内存节点 ${empty.mems}，但没有进程：sh -c 'echo $$ > ${empty.path}/cgroup.procs; exec sleep 600' &`,
            );
          return t(`set cpuset.cpus to 0 in ${ready[0]!.path} and move a process into it.`, `把 ${ready[0]!.path} 的 cpuset.cpus 设为 0，再把一个进程移进去。`);
        };
        return {
          observed:
            ready.length === 0
              ? t('no group with both cpus and mems', '没有同时设置 cpus 和 mems 的组')
              : ready
                  .map((x) => `${x.path}: cpus ${x.cpus} mems ${x.mems}${x.members.length ? `, ${x.members.map((m) => `${m.comm}[${m.inside}] Cpus_allowed_list ${m.allowed}`).join(' ')}` : ''}`)
                  .join('; '),
          expected: t('a process in a group with cpus 0 and mems set, allowed CPU 0 only', '一个进程，在 cpus 为 0、mems 已设置的组里，只被允许使用 CPU 0'),
          pass: ok !== undefined,
          ...(ok !== undefined ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'why',
      description: t('Your answer says what the refusing group lacked: memory nodes (cpuset.mems).', '你的回答说出了那个拒绝进程的组缺什么：内存节点（cpuset.mems）。'),
      evaluate: (o) => {
        const a = o.answer;
        const pass = a !== undefined && NAMES_MEMS.test(a);
        const hint = (): Text =>
          a === undefined
            ? t('no answer yet: answer in a few words why the kernel refused the process.', '还没有回答：用 answer 简短说明内核为什么拒绝了进程。')
            : /cpus|cpu/i.test(a)
              ? t('cpuset.cpus was set: which other cpuset file of the group was still empty?', 'cpuset.cpus 已经设置了：这个组还有哪个 cpuset 文件是空的？')
              : /space|ENOSPC|空间/i.test(a)
                ? t('"No space left on device" (ENOSPC) is what the kernel said, not why: which file of the group was empty?', '“No space left on device”（ENOSPC）是内核说的话，不是原因：这个组的哪个文件是空的？')
                : t('compare the group\'s two cpuset files: cat …/cpuset.cpus …/cpuset.mems', '比较这个组的两个 cpuset 文件：cat …/cpuset.cpus …/cpuset.mems');
        return {
          observed: a ?? t('no answer', '没有回答'),
          expected: t('cpuset.mems was empty (no memory nodes)', 'cpuset.mems 为空（没有内存节点）'),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `c=/sys/fs/cgroup/cpuset
mkdir $c/nomems
echo 0 > $c/nomems/cpuset.cpus
echo $$ > $c/nomems/cgroup.procs || echo "refused, as expected"
answer "cpuset.mems was empty: a task needs memory nodes as well as CPUs (ENOSPC)"
mkdir $c/pinned
echo 0 > $c/pinned/cpuset.cpus
cat $c/cpuset.mems > $c/pinned/cpuset.mems
sh -c "echo \\$\\$ > $c/pinned/cgroup.procs; exec sleep 600" &
sleep 0.3`,
  nearMisses: [
    {
      id: 'blames-cpus',
      what: t('does it all, but blames cpuset.cpus', '都做了，却把原因归于 cpuset.cpus'),
      script: `c=/sys/fs/cgroup/cpuset
mkdir $c/nomems
echo 0 > $c/nomems/cpuset.cpus
echo $$ > $c/nomems/cgroup.procs 2>/dev/null
answer "the cpus were wrong"
mkdir $c/pinned
echo 0 > $c/pinned/cpuset.cpus
cat $c/cpuset.mems > $c/pinned/cpuset.mems
sh -c "echo \\$\\$ > $c/pinned/cgroup.procs; exec sleep 600" &
sleep 0.3`,
      fails: 'why',
      hint: 'which other cpuset file',
    },
    {
      id: 'fixed-in-place',
      what: t('fixes the refusing group itself, so no trace of the refusal is left', '直接修好了拒绝进程的组，拒绝的痕迹就没有了'),
      script: `c=/sys/fs/cgroup/cpuset
mkdir $c/nomems
echo 0 > $c/nomems/cpuset.cpus
echo $$ > $c/nomems/cgroup.procs 2>/dev/null
cat $c/cpuset.mems > $c/nomems/cpuset.mems
answer "cpuset.mems was empty"
sh -c "echo \\$\\$ > $c/nomems/cgroup.procs; exec sleep 600" &
sleep 0.3`,
      fails: 'refused-group',
      hint: 'keep one with CPUs only',
    },
  ],
});

export const exercises = [halvePeriod, noMems];
