// How long a playground costs: open it (namespaces, cgroups, FIFOs), run a command, judge one
// check (01-uts box), and remove it all — the wait a learner has after `nslab try` and `check`.
import { catalogue, loadLab } from '../../labs/index.js';
import type { About } from '../../runner/core/model.js';
import { openPlayground } from '../../runner/core/playground.js';
import type { Figure } from './figure.js';

export async function benchPlayground(n = 10): Promise<Figure[]> {
  const lab = await loadLab(catalogue.find((l) => l.id === '01-uts') as About);
  const ex = lab.exercises!.find((e) => e.id === 'box')!;
  const once = async (script: string) => {
    const t0 = performance.now();
    const r = await openPlayground(lab, ex, { lang: 'en', signal: new AbortController().signal, script, output: 'pipe' });
    if (r.judgements.length !== 1) throw new Error(`the playground judged ${r.judgements.length} times:\n${r.output}`);
    return performance.now() - t0;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const empty: number[] = [];
  const solved: number[] = [];
  for (let i = 0; i < n; i++) empty.push(await once('true'));
  for (let i = 0; i < n; i++) solved.push(await once(ex.solution));
  return [
    { name: 'nslab try: playground opened, checked once, removed', value: median(empty), unit: 'ms', note: `median of ${n}` },
    { name: 'nslab try: the same with 01-uts box solved (sleep 0.5)', value: median(solved), unit: 'ms', note: `median of ${n}; includes the solution's 500 ms` },
  ];
}
