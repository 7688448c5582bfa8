// 09-cgroups, step 4: a memory limit and the OOM killer that enforces it. First the article's
// way (a running program moved into a 64 KiB group), then the same 64 KiB for a program started
// inside the group, then 32 MiB; each counted by the group's own memory counters.
import {
  barLine,
  Cgroup,
  CgroupHost,
  notMeasured,
  pause,
  showWritten,
  step,
  t,
  Workload,
  type MemoryCounters,
  type StepContext,
  type Text,
  type Unmeasured,
  type Version,
} from '../../runner/kit/index.js';
import { missing } from './hierarchies.js';

const MiB = 1024 * 1024;
const KiB = 1024;
export const MEMORY_LIMIT = 32 * MiB;
export const ARTICLE_MEMORY_LIMIT = 64 * KiB;
/** The article's way: what the program allocates outside before it is moved in. */
export const MOVE_AFTER = 256 * KiB;
/** The page it was filling at the move was charged outside: it may use that page's rest on top of the limit. */
const PAGE = 4 * KiB;
/**
 * How far past the limit the moved program may get: the page it was filling is charged outside,
 * and the group reclaims file pages charged to it after the move (measured 70.5 KiB in the VM).
 */
const MOVE_SLACK = 4 * PAGE;

/** One allocating program until the kernel killed it, with the group's counters around it. */
export interface AllocRun {
  readonly limit: number;
  /** How it ended: its signal or exit code, and whether nslab had to kill it after 20 s. */
  readonly signal: string | null;
  readonly code: number | null;
  readonly timedOut: boolean;
  /** Its last report of bytes allocated, and how many chunks it reported. */
  readonly allocated: number;
  readonly chunks: number;
  /** The group's OOM kill count (v1 memory.oom_control oom_kill, v2 memory.events oom_kill) before and after. */
  readonly oomKillsBefore: number;
  readonly oomKillsAfter: number;
  /** Times the limit was hit (v1 memory.failcnt, v2 memory.events max), and the peak usage. */
  readonly limitHits: number;
  readonly peak: number | null;
  readonly counterFiles: readonly string[];
}

/** The article's way: started outside, moved into the group once it had allocated MOVE_AFTER. */
export interface MovedRun extends AllocRun {
  readonly allocatedBeforeMove: number;
  /** What the group had charged right after the move (v1 memory.usage_in_bytes, v2 memory.current). */
  readonly usageAfterMove: number | null;
  /** v1 memory.move_charge_at_immigrate of the group (null on v2, which never moves charges). */
  readonly moveCharge: string | null;
}

export interface MemoryResult {
  readonly version: Version;
  readonly moved: MovedRun;
  readonly inside: AllocRun;
  readonly big: AllocRun;
}

const kib = (b: number) => `${(b / KiB).toFixed(1)} KiB`;
const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
const ended = (r: AllocRun): string => r.signal ?? `exit ${r.code}`;

/** Show the group's OOM counter file (v1 memory.oom_control, v2 memory.events) and read every counter. */
function counters(g: Cgroup): MemoryCounters {
  const dir = g.dir('memory');
  dir.show(dir.version === 1 ? 'memory.oom_control' : 'memory.events');
  return g.memoryCounters();
}

/** Wait until the workload ends (or 20 s), with progress; what it reported and how it ended. */
async function untilEnd(ctx: StepContext, w: Workload, limit: number, label: Text, from = 0) {
  const exited = w.exit(20_000);
  let done = false;
  void exited.then(() => (done = true));
  const allocated = () => Math.max(0, ...w.lines.map((l) => Number(l.allocated ?? 0)));
  while (!done) {
    ctx.progress(Math.min(1, Math.max(0, allocated() - from) / limit), label);
    await Promise.race([exited, pause(ctx, 50)]);
  }
  const status = await exited;
  await w.drained(); // what it wrote before it died
  return { status, allocated: allocated(), chunks: w.lines.filter((l) => l.allocated !== undefined).length };
}

function allocRun(limit: number, end: Awaited<ReturnType<typeof untilEnd>>, before: MemoryCounters, after: MemoryCounters): AllocRun {
  return {
    limit,
    signal: end.status.signal,
    code: end.status.code,
    timedOut: end.status.timedOut,
    allocated: end.allocated,
    chunks: end.chunks,
    oomKillsBefore: before.oomKills,
    oomKillsAfter: after.oomKills,
    limitHits: after.limitHits,
    peak: after.peak,
    counterFiles: after.files,
  };
}

function logEnd(ctx: StepContext, r: AllocRun): void {
  ctx.log(
    t(
      `  → ${ended(r)} after ${r.allocated} bytes (${r.chunks} chunks reported); oom_kill ${r.oomKillsBefore} → ${r.oomKillsAfter}, limit hits ${r.limitHits}`,
      `  → ${ended(r)}，此前共分配 ${r.allocated} 字节（报告了 ${r.chunks} 块）；oom_kill ${r.oomKillsBefore} → ${r.oomKillsAfter}，触顶 ${r.limitHits} 次`,
    ),
  );
}

/** The article's order: the program runs outside, then its PID is written into a 64 KiB group. */
async function movedIn(ctx: StepContext, host: CgroupHost): Promise<MovedRun> {
  const g = Cgroup.create(ctx, host, 'memory-moved', ['memory']);
  try {
    showWritten(ctx, g.limitMemory(ARTICLE_MEMORY_LIMIT), '64k');
    const v1 = g.version('memory') === 1;
    const moveCharge = v1 && g.dir('memory').has('memory.move_charge_at_immigrate') ? g.dir('memory').show('memory.move_charge_at_immigrate').trim() : null;
    ctx.log(
      v1
        ? t(
            `memory.move_charge_at_immigrate = ${moveCharge ?? 'absent'}: 0 means pages charged before a move stay charged to the old group (moving charges is deprecated; recent kernels no longer do it)`,
            `memory.move_charge_at_immigrate = ${moveCharge ?? '不存在'}：0 表示迁入之前记的账留在原来的组（迁移记账已被废弃，较新的内核不再这样做）`,
          )
        : t('cgroup v2 has no move_charge: a page stays charged to the group that first faulted it in', 'cgroup v2 没有 move_charge：一页始终记在最先把它缺页调入的那个组上'),
    );
    const before = counters(g);
    const w = await Workload.start(ctx, 'alloc', ['512', '1000']);
    try {
      ctx.log(t(`nslab-workload-alloc runs as PID ${w.pid} outside the group, 512 bytes a round, like the article's program`, `nslab-workload-alloc 以 PID ${w.pid} 在组外运行，每轮 512 字节，和原文的程序一样`));
      const outside = () => Math.max(0, ...w.lines.map((l) => Number(l.allocated ?? 0)));
      while (outside() < MOVE_AFTER) {
        ctx.progress(outside() / MOVE_AFTER, t('allocating outside the group', '在组外分配'));
        await pause(ctx, 20);
      }
      g.addProcess(w.pid);
      const allocatedBeforeMove = outside();
      const usageAfterMove = g.dir('memory').has(v1 ? 'memory.usage_in_bytes' : 'memory.current')
        ? Number(g.dir('memory').show(v1 ? 'memory.usage_in_bytes' : 'memory.current').trim())
        : null;
      ctx.log(
        t(
          `moved in after ${kib(allocatedBeforeMove)}; the group has ${usageAfterMove === null ? 'no usage counter' : `${usageAfterMove} bytes`} charged: those pages stay with the group that first touched them`,
          `在分配了 ${kib(allocatedBeforeMove)} 之后迁入；该组记账 ${usageAfterMove === null ? '无计数器' : `${usageAfterMove} 字节`}：那些页留在最先碰到它们的组`,
        ),
      );
      const end = await untilEnd(ctx, w, ARTICLE_MEMORY_LIMIT, t('allocating in the 64 KiB group', '在 64 KiB 的组里分配'), allocatedBeforeMove);
      const r = allocRun(ARTICLE_MEMORY_LIMIT, end, before, counters(g));
      logEnd(ctx, r);
      ctx.log(
        t(
          `after the move it allocated ${kib(r.allocated - allocatedBeforeMove)} more: only pages faulted in from then on count against the 64 KiB`,
          `迁入之后它又分配了 ${kib(r.allocated - allocatedBeforeMove)}：只有此后缺页调入的页才计入这 64 KiB`,
        ),
      );
      return { ...r, allocatedBeforeMove, usageAfterMove, moveCharge };
    } finally {
      await w.stop();
    }
  } finally {
    g.remove();
  }
}

/** A program started inside a group with `limit`, until the kernel kills it. */
async function startedInside(ctx: StepContext, host: CgroupHost, name: string, limit: number, chunk: number, pauseUs: number, articleValue: string): Promise<AllocRun> {
  const g = Cgroup.create(ctx, host, name, ['memory']);
  try {
    showWritten(ctx, g.limitMemory(limit), articleValue);
    const before = counters(g);
    const w = await Workload.start(ctx, 'alloc', [String(chunk), String(pauseUs)], [g]);
    try {
      const end = await untilEnd(ctx, w, limit, t(`allocating in ${name}`, `在 ${name} 里分配`));
      const r = allocRun(limit, end, before, counters(g));
      logEnd(ctx, r);
      return r;
    } finally {
      await w.stop();
    }
  } finally {
    g.remove();
  }
}

export const memory = step<MemoryResult | Unmeasured>({
  id: 'memory',
  title: { en: 'memory: allocating until the OOM killer comes', zh: 'memory：一直分配内存，直到 OOM killer 出手' },
  explain: {
    en: "The memory controller charges a page once, to the group of the task that first faults it in. At the limit the kernel first tries to reclaim; with nothing to reclaim it runs the OOM killer inside the group and SIGKILLs the program. First the article's way: the program runs outside, then its PID is written into a 64 KiB group. What it had touched before stays charged to its old group (v1 memory.move_charge_at_immigrate = 0; v2 never moves charges), so it goes on until its new pages reach 64 KiB, and is killed. Then the same 64 KiB for a program started inside the group: now exec, its stack and page tables are charged there too, and it dies almost at once. Last 32 MiB, where the kill comes near the limit. The article's `malloc(p, chunk_size)` does not compile (malloc takes one argument): ours calls `malloc(chunk)` and keeps every block.",
    zh: 'memory 控制器对每一页只记一次账，记在最先把它缺页调入的那个进程所在的组。到达上限时内核先尝试回收；无可回收时就在组内调用 OOM killer，用 SIGKILL 杀掉程序。先照原文的做法：程序在组外运行，再把它的 PID 写进一个 64 KiB 的组。它之前碰过的页仍记在原来的组（v1 的 memory.move_charge_at_immigrate = 0；v2 从不迁移记账），所以它继续运行，直到新分配的页达到 64 KiB 才被杀。接着对一个在组内启动的程序用同样的 64 KiB：这时 exec、栈和页表也都记在这个组上，它几乎立刻就死了。最后用 32 MiB，程序在接近上限时被杀。原文的 `malloc(p, chunk_size)` 无法编译（malloc 只有一个参数）：我们的程序调用 `malloc(chunk)`，并且从不释放。',
  },
  article: 'echo 64k > /sys/fs/cgroup/memory/haoel/memory.limit_in_bytes; echo [pid] > /sys/fs/cgroup/memory/haoel/tasks; p = malloc(p, chunk_size) /* typo */',
  modern: 'v1: echo 65536 > …/memory.limit_in_bytes; v2: echo 65536 > …/memory.max; echo PID > …/cgroup.procs; p = malloc(chunk) /* fixed */',
  async run(ctx) {
    const host = CgroupHost.discover();
    const skip = missing(host, ['memory']);
    if (skip) return skip;
    ctx.log(t("1. the article's way: a running program moved into a 64 KiB group", '1. 原文的做法：把一个正在运行的程序迁入 64 KiB 的组'));
    const moved = await movedIn(ctx, host);
    ctx.log(t('2. the same 64 KiB, but the program starts inside the group', '2. 同样是 64 KiB，但程序在组内启动'));
    const inside = await startedInside(ctx, host, 'memory-64k', ARTICLE_MEMORY_LIMIT, 512, 0, '64k');
    ctx.log(t(`3. ${MEMORY_LIMIT / MiB} MiB with 1 MiB chunks, started inside`, `3. ${MEMORY_LIMIT / MiB} MiB，每块 1 MiB，在组内启动`));
    const big = await startedInside(ctx, host, 'memory', MEMORY_LIMIT, MiB, 2000, '64k');
    const b = barLine('', big.allocated / MiB, MEMORY_LIMIT / MiB, 'MiB').trimStart();
    ctx.log(t(`allocated at the kill   ${b}`, `被杀时已分配             ${b}`));
    const version = CgroupHost.discover().place('memory')!.version;
    ctx.measure('memory', { version: `cgroup v${version}`, moved: ended(moved), inside: ended(inside), big: ended(big) });
    ctx.measure('KiB allocated in the 64 KiB group', { movedIn: (moved.allocated - moved.allocatedBeforeMove) / KiB, startedInside: inside.allocated / KiB });
    ctx.measure('MiB in the 32 MiB group', { allocated: Math.round((big.allocated / MiB) * 10) / 10, peak: big.peak === null ? null : Math.round((big.peak / MiB) * 10) / 10 });
    return { version, moved, inside, big };
  },
  checks: [
    {
      id: 'moved-charges-stay',
      description: t(
        "The article's way: right after the move the group has charged far less than the program had allocated outside: pages stay charged to the group that first faulted them in.",
        '原文的做法：刚迁入时，该组记的账远少于程序在组外已分配的量：页的账留在最先把它缺页调入的组。',
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const m = o.moved;
        return {
          observed: t(
            `${m.usageAfterMove === null ? 'no usage counter' : kib(m.usageAfterMove)} charged after the move; ${kib(m.allocatedBeforeMove)} allocated before it`,
            `迁入后记账 ${m.usageAfterMove === null ? '无计数器' : kib(m.usageAfterMove)}；迁入前已分配 ${kib(m.allocatedBeforeMove)}`,
          ),
          expected: t(`< half of ${kib(m.allocatedBeforeMove)}`, `< ${kib(m.allocatedBeforeMove)} 的一半`),
          pass: m.usageAfterMove !== null && m.allocatedBeforeMove >= MOVE_AFTER && m.usageAfterMove < m.allocatedBeforeMove / 2,
        };
      },
    },
    {
      id: 'moved-oom-killed',
      description: t(
        `The article's way: after the move the program goes on allocating, about ${ARTICLE_MEMORY_LIMIT / KiB} KiB more (a few pages of slack: the rest of the page it was filling is charged outside, and file pages the group reclaims make room), until the group's OOM killer ends it with SIGKILL (the group's oom_kill goes up by exactly one).`,
        `原文的做法：迁入之后程序继续分配，大约再分配 ${ARTICLE_MEMORY_LIMIT / KiB} KiB（有几页的余量：迁入时正在填的那一页记在组外，组内可回收的文件页也会腾出空间），直到该组的 OOM killer 用 SIGKILL 结束它（该组的 oom_kill 正好加一）。`,
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const m = o.moved;
        const more = m.allocated - m.allocatedBeforeMove;
        return {
          observed: t(
            `${ended(m)}${m.timedOut ? ' (nslab killed it after 20 s)' : ''} after ${kib(more)} more; oom_kill ${m.oomKillsBefore} → ${m.oomKillsAfter}`,
            `${ended(m)}${m.timedOut ? '（nslab 在 20 秒后杀掉了它）' : ''}，迁入后又分配 ${kib(more)}；oom_kill ${m.oomKillsBefore} → ${m.oomKillsAfter}`,
          ),
          expected: t(`SIGKILL after 0–${(ARTICLE_MEMORY_LIMIT + MOVE_SLACK) / KiB} KiB more; oom_kill +1`, `迁入后再分配 0–${(ARTICLE_MEMORY_LIMIT + MOVE_SLACK) / KiB} KiB 时 SIGKILL；oom_kill +1`),
          pass: m.signal === 'SIGKILL' && !m.timedOut && m.oomKillsAfter - m.oomKillsBefore === 1 && more > 0 && more <= ARTICLE_MEMORY_LIMIT + MOVE_SLACK,
        };
      },
    },
    {
      id: 'inside-64k-killed-early',
      description: t(
        "Started inside a 64 KiB group, the program is killed by the group's OOM killer before it could report 64 KiB of its own 512-byte chunks: exec, stack and page tables are charged there too.",
        '在 64 KiB 的组内启动时，程序还没报告满 64 KiB（每块 512 字节）就被该组的 OOM killer 杀掉：exec、栈和页表也记在这个组上。',
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const r = o.inside;
        return {
          observed: t(
            `${ended(r)} after ${r.allocated} bytes (${r.chunks} chunks); oom_kill ${r.oomKillsBefore} → ${r.oomKillsAfter}`,
            `${ended(r)}，此前分配 ${r.allocated} 字节（${r.chunks} 块）；oom_kill ${r.oomKillsBefore} → ${r.oomKillsAfter}`,
          ),
          expected: t(`SIGKILL before ${ARTICLE_MEMORY_LIMIT} bytes; oom_kill +1`, `${ARTICLE_MEMORY_LIMIT} 字节之前 SIGKILL；oom_kill +1`),
          pass: r.signal === 'SIGKILL' && !r.timedOut && r.allocated < ARTICLE_MEMORY_LIMIT && r.oomKillsAfter - r.oomKillsBefore === 1,
        };
      },
    },
    {
      id: 'oom-killed',
      description: t(
        `Under ${MEMORY_LIMIT / MiB} MiB the allocating program is ended by SIGKILL from the group's own OOM killer: its oom_kill goes up by exactly one, and the limit was hit.`,
        `在 ${MEMORY_LIMIT / MiB} MiB 的限制下，分配内存的程序被该组自己的 OOM killer 用 SIGKILL 结束：oom_kill 正好加一，并且触到过上限。`,
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const r = o.big;
        return {
          observed: t(
            `${ended(r)}${r.timedOut ? ' (nslab killed it after 20 s)' : ''}; oom_kill ${r.oomKillsBefore} → ${r.oomKillsAfter}, limit hits ${r.limitHits} (${r.counterFiles.join(', ')})`,
            `${ended(r)}${r.timedOut ? '（nslab 在 20 秒后杀掉了它）' : ''}；oom_kill ${r.oomKillsBefore} → ${r.oomKillsAfter}，触顶 ${r.limitHits} 次（${r.counterFiles.join(', ')}）`,
          ),
          expected: t('SIGKILL; oom_kill +1, limit hits ≥ 1', 'SIGKILL；oom_kill +1，触顶 ≥ 1 次'),
          pass: r.signal === 'SIGKILL' && !r.timedOut && r.oomKillsAfter - r.oomKillsBefore === 1 && r.limitHits >= 1,
        };
      },
    },
    {
      id: 'killed-at-limit',
      description: t(
        `It is killed at the limit: its last report lies between 75 % and 100 % of ${MEMORY_LIMIT / MiB} MiB (the rest is the program and its page tables).`,
        `它在上限处被杀：最后一次报告在 ${MEMORY_LIMIT / MiB} MiB 的 75 % 到 100 % 之间（其余是程序本身和它的页表）。`,
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const r = o.big;
        return {
          observed: t(
            `last report ${mib(r.allocated)}; peak ${r.peak === null ? 'n/a' : mib(r.peak)}`,
            `最后一次报告 ${mib(r.allocated)}；峰值 ${r.peak === null ? '无' : mib(r.peak)}`,
          ),
          expected: `${(0.75 * r.limit) / MiB}–${r.limit / MiB} MiB`,
          pass: r.allocated >= 0.75 * r.limit && r.allocated <= r.limit && (r.peak === null || r.peak <= r.limit),
        };
      },
    },
  ],
});
