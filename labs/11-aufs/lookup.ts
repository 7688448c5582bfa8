// 11-aufs, the article's performance claim: looking a name up costs more the more layers
// there are, reading an open file does not (the timing loops are in bench.ts).
import { join } from 'node:path';
import { step, type CheckOutcome, type Lang } from '../../runner/kit/index.js';
import { BIG_MIB, LAYER_COUNTS, buildLayers, chart, lowerFor, measureAll, type LayerFigures } from './bench.js';
import { both, holderOf, overlayData, stopHolder } from './union.js';

/** Tolerances of the performance checks. */
const LOOKUP_FACTOR = 2;
const READ_TOLERANCE = 0.7;

/** The figures of every layer count, fewest layers first (empty when the run was interrupted). */
export interface Lookup {
  readonly figures: readonly LayerFigures[];
}

type Timed = 'statMissingColdUs' | 'statLowestColdUs' | 'openLowestColdUs' | 'statLowestWarmUs' | 'readMiBps';

/** A figure at 128 layers over the same figure at 1 layer (NaN when either is missing). */
const ratio = (figs: readonly LayerFigures[], key: Timed) => {
  const first = figs.find((f) => f.layers === 1)?.[key] ?? NaN;
  const last = figs.find((f) => f.layers === Math.max(...LAYER_COUNTS))?.[key] ?? NaN;
  return { first, last, factor: last / first };
};

function lookupGrows(figs: readonly LayerFigures[], key: 'statMissingColdUs' | 'statLowestColdUs' | 'openLowestColdUs'): CheckOutcome {
  const r = ratio(figs, key);
  return {
    observed: both((l) =>
      l === 'en'
        ? `${figs.map((f) => `${f.layers}: ${f[key].toFixed(2)} µs`).join(', ')} (128 vs 1: ${r.factor.toFixed(1)}×)`
        : `${figs.map((f) => `${f.layers} 层：${f[key].toFixed(2)} µs`).join('，')}（128 层比 1 层：${r.factor.toFixed(1)}×）`,
    ),
    expected: { en: `128 layers at least ${LOOKUP_FACTOR}× slower than 1 layer`, zh: `128 层至少比 1 层慢 ${LOOKUP_FACTOR} 倍` },
    pass: figs.length === LAYER_COUNTS.length && r.factor >= LOOKUP_FACTOR,
  };
}

export const lookup = step<Lookup>({
  id: 'lookup-cost',
  title: { en: 'Performance: lookups pay for layers, reads do not', zh: '性能：查找随层数变慢，读取不受影响' },
  explain: {
    en: 'The article: finding a file searches the branches one by one, so open and stat slow down as branches are added, while reads of an open file run at full speed. We time stat and open of a file in the lowest layer and of a missing name through 1, 8, 32 and 128 layers (each name looked up for the first time after a fresh mount, since overlayfs caches the merged result in the dentry cache), and read a 64 MiB file through one fd (16 MiB when the VM runs under emulation).',
    zh: '文章说：查找文件要逐个分支搜索，所以分支越多，open 和 stat 越慢；而打开之后的读写速度不变。我们分别在 1、8、32、128 层下，测量对最底层文件和不存在名字的 stat、open（每个名字在新挂载后首次查找，因为 overlayfs 会把合并结果缓存在 dentry cache 里），并通过一个 fd 读取 64 MiB 文件（虚拟机在模拟下运行时为 16 MiB）。',
  },
  article: '所以,如果你的程序跑在在AUFS下,open和stat操作会有明显的性能下降,branch越多,性能越差,但是在write/read操作上,性能没有什么变化。',
  modern: 'mount -t overlay overlay -o lowerdir=l/127:…:l/1:l/0,upperdir=up,workdir=wk mnt; stat mnt/s1; stat mnt/m1; read mnt/big',
  async run(ctx) {
    const b = join(ctx.scratch(), 'b');
    const h = await holderOf(ctx);
    try {
      buildLayers(b);
      const longest = overlayData(lowerFor(Math.max(...LAYER_COUNTS)), { upper: 'up', work: 'wk' });
      ctx.log({
        en: `128 layers as relative names from ${b}: a ${longest.length}-byte option string (the limit is one page, 4096 bytes)`,
        zh: `128 层以相对 ${b} 的名字给出：选项字符串长 ${longest.length} 字节（上限是一页，4096 字节）`,
      });
      const figures = await measureAll(ctx, h, b);
      if (ctx.signal.aborted) return { figures };
      const label = (n: number, l: Lang) => (l === 'en' ? `${n} layer${n > 1 ? 's' : ''}` : `${n} 层`);
      const rows = (key: keyof LayerFigures, l: Lang) => figures.map((f) => ({ label: label(f.layers, l), value: f[key] as number }));
      // The same chart in both languages, line by line (bench.ts draws one language at a time).
      const charts: [keyof LayerFigures, string, string, string][] = [
        ['statMissingColdUs', 'stat() of a missing name, first lookup (µs)', '对不存在名字的 stat()，首次查找（µs）', 'µs'],
        ['statLowestColdUs', 'stat() of a file in the lowest layer, first lookup (µs)', '对最底层文件的 stat()，首次查找（µs）', 'µs'],
        ['openLowestColdUs', 'open()+close() of a file in the lowest layer, first lookup (µs)', '对最底层文件的 open()+close()，首次查找（µs）', 'µs'],
        ['statLowestWarmUs', 'stat() of the same name again, cached (µs)', '再次 stat() 同一个名字，已缓存（µs）', 'µs'],
        ['readMiBps', `read() through one open fd, ${BIG_MIB} MiB, page cache warm (MiB/s)`, `通过一个已打开的 fd read() ${BIG_MIB} MiB，页缓存已热（MiB/s）`, 'MiB/s'],
      ];
      for (const [key, en, zh, unit] of charts) {
        const zhLines = chart(zh, unit, rows(key, 'zh'));
        chart(en, unit, rows(key, 'en')).forEach((line, i) => ctx.log({ en: line, zh: zhLines[i]! }));
      }
      ctx.measure('layers', figures);
      for (const key of ['statMissingColdUs', 'statLowestColdUs', 'openLowestColdUs', 'statLowestWarmUs', 'readMiBps'] as const)
        ctx.measure(`${key}Ratio128to1`, Number(ratio(figures, key).factor.toFixed(2)));
      return { figures };
    } finally {
      await stopHolder(ctx);
    }
  },
  checks: [
    {
      id: 'missing-lookup-grows',
      description: {
        en: `stat() of a missing name costs more with more layers (tolerance: 128 layers at least ${LOOKUP_FACTOR}× 1 layer).`,
        zh: `层数越多，对不存在名字的 stat() 越慢（容差：128 层至少是 1 层的 ${LOOKUP_FACTOR} 倍）。`,
      },
      evaluate: (o) => lookupGrows(o.figures, 'statMissingColdUs'),
    },
    {
      id: 'lowest-lookup-grows',
      description: {
        en: `stat() of a file in the lowest layer costs more with more layers (tolerance: 128 layers at least ${LOOKUP_FACTOR}× 1 layer).`,
        zh: `层数越多，对最底层文件的 stat() 越慢（容差：128 层至少是 1 层的 ${LOOKUP_FACTOR} 倍）。`,
      },
      evaluate: (o) => lookupGrows(o.figures, 'statLowestColdUs'),
    },
    {
      id: 'open-grows',
      description: {
        en: `open() of a file in the lowest layer costs more with more layers (tolerance: 128 layers at least ${LOOKUP_FACTOR}× 1 layer).`,
        zh: `层数越多，open() 最底层文件越慢（容差：128 层至少是 1 层的 ${LOOKUP_FACTOR} 倍）。`,
      },
      evaluate: (o) => lookupGrows(o.figures, 'openLowestColdUs'),
    },
    {
      id: 'read-unchanged',
      description: {
        en: `Read throughput after open does not fall with layers (tolerance: every layer count at least ${READ_TOLERANCE * 100} % of 1 layer).`,
        zh: `打开之后的读取吞吐量不随层数下降（容差：每种层数都至少达到 1 层时的 ${READ_TOLERANCE * 100} %）。`,
      },
      evaluate: (o) => {
        const figs = o.figures;
        const base = figs.find((f) => f.layers === 1)?.readMiBps ?? 0;
        return {
          observed: both((l) =>
            figs
              .map((f) => `${f.layers}${l === 'en' ? ': ' : ' 层：'}${f.readMiBps.toFixed(0)} MiB/s (${((f.readMiBps / base) * 100).toFixed(0)} %)`)
              .join(l === 'en' ? ', ' : '，'),
          ),
          expected: { en: `each ≥ ${READ_TOLERANCE * 100} % of ${base.toFixed(0)} MiB/s`, zh: `每种层数都 ≥ ${base.toFixed(0)} MiB/s 的 ${READ_TOLERANCE * 100} %` },
          pass: figs.length === LAYER_COUNTS.length && base > 0 && figs.every((f) => f.readMiBps >= READ_TOLERANCE * base),
        };
      },
    },
    {
      id: 'lookups-answered',
      description: {
        en: 'Every timed lookup gave the right answer (lowest-layer files found, missing names missing), so the timings are of real lookups.',
        zh: '每次计时的查找都给出了正确答案（最底层的文件找得到，不存在的名字找不到），所以计的是真实的查找。',
      },
      evaluate: (o) => {
        const bad = o.figures.reduce((a, f) => a + f.anomalies, 0);
        return {
          observed: { en: `${bad} wrong answers`, zh: `${bad} 个错误答案` },
          expected: { en: '0 wrong answers', zh: '0 个错误答案' },
          pass: o.figures.length === LAYER_COUNTS.length && bad === 0,
        };
      },
    },
  ],
});
