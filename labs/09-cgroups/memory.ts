// 09-cgroups, step 4: a memory limit, and the OOM killer that enforces it (the article's
// 64 KiB first, then 32 MiB), counted by the group's own memory counters.
import { barLine, Cgroup, CgroupHost, notMeasured, pause, showWritten, step, Workload, type StepContext, type Unmeasured } from '../../runner/kit/index.js';
import { missing } from './hierarchies.js';

const MiB = 1024 * 1024;
export const MEMORY_LIMIT = 32 * MiB;
export const ARTICLE_MEMORY_LIMIT = 64 * 1024;

/** The allocating program under 32 MiB, and under the article's 64 KiB before it. */
export interface MemoryResult {
  readonly limit: number;
  /** How the program ended: its signal or exit code, and whether nslab had to kill it. */
  readonly signal: string | null;
  readonly code: number | null;
  readonly timedOut: boolean;
  /** The last allocation it reported, in bytes. */
  readonly allocated: number;
  /** The group's counters after the kill. */
  readonly oomKills: number;
  readonly limitHits: number;
  readonly peak: number | null;
  readonly counterFiles: readonly string[];
  readonly article: { readonly signal: string | null; readonly allocated: number; readonly chunks: number };
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
    return { status, allocated: allocated(), chunks: w.lines.filter((l) => l.allocated !== undefined).length, counters };
  } finally {
    g.remove();
  }
}

export const memory = step<MemoryResult | Unmeasured>({
  id: 'memory',
  title: { en: 'memory: allocating until the OOM killer comes', zh: 'memory:一直分配内存,直到 OOM killer 出手' },
  explain: {
    en: 'The memory controller charges every page a group touches. At the limit the kernel first tries to reclaim; with nothing to reclaim it runs the OOM killer inside the group and SIGKILLs the program. The article\'s 64 KiB no longer works: today the page tables, kernel objects and the program\'s own pages are charged too, so the program dies before its first allocation. We use 32 MiB, and start the program inside the group (v1 leaves pages charged before a move in the old group). The article\'s `malloc(p, chunk_size)` does not compile (malloc takes one argument): ours calls `malloc(chunk)` and keeps every block.',
    zh: 'memory 控制器对组内进程碰过的每一页记账。到达上限时内核先尝试回收;无可回收时就在组内调用 OOM killer,用 SIGKILL 杀掉程序。原文的 64 KiB 今天已不可用:页表、内核对象和程序自身的页面也记在组上,程序在第一次分配之前就被杀了。我们用 32 MiB,并让程序一启动就在组内(v1 中迁入之前已记的账留在原来的组)。原文的 `malloc(p, chunk_size)` 无法编译(malloc 只有一个参数):我们的程序调用 `malloc(chunk)`,并且从不释放。',
  },
  article: 'echo 64k > /sys/fs/cgroup/memory/haoel/memory.limit_in_bytes; p = malloc(p, chunk_size) /* typo */',
  modern: 'v1: echo 33554432 > …/memory.limit_in_bytes; v2: echo 33554432 > …/memory.max; p = malloc(chunk) /* fixed */',
  async run(ctx) {
    const host = CgroupHost.discover();
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
  },
  checks: [
    {
      id: 'article-limit-too-small',
      description: "With the article's 64 KiB limit the program is killed before it could report even 64 KiB of its own 512-byte chunks.",
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `${o.article.signal ?? 'no signal'} after ${o.article.allocated} bytes (${o.article.chunks} chunks)`,
              expected: `SIGKILL before ${ARTICLE_MEMORY_LIMIT} bytes`,
              pass: o.article.signal === 'SIGKILL' && o.article.allocated < ARTICLE_MEMORY_LIMIT,
            },
    },
    {
      id: 'oom-killed',
      description: 'The allocating program is ended by SIGKILL from the OOM killer, and the group counts the kill.',
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `${o.signal ?? `exit ${o.code}`}${o.timedOut ? ' (nslab killed it after 20 s)' : ''}; oom_kill ${o.oomKills}, limit hits ${o.limitHits} (${o.counterFiles.join(', ')})`,
              expected: 'SIGKILL; oom_kill ≥ 1, limit hits ≥ 1',
              pass: o.signal === 'SIGKILL' && !o.timedOut && o.oomKills >= 1 && o.limitHits >= 1,
            },
    },
    {
      id: 'killed-at-limit',
      description: `It is killed at the limit: its last report lies between 75 % and 100 % of ${MEMORY_LIMIT / MiB} MiB (the rest is the program and its page tables).`,
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: `last report ${(o.allocated / MiB).toFixed(1)} MiB; peak ${o.peak === null ? 'n/a' : `${(o.peak / MiB).toFixed(1)} MiB`}`,
              expected: `${(0.75 * o.limit) / MiB}–${o.limit / MiB} MiB`,
              pass: o.allocated >= 0.75 * o.limit && o.allocated <= o.limit && (o.peak === null || o.peak <= o.limit),
            },
    },
  ],
});
