// How much more than node itself `nslab --version` and `nslab list` cost (target ≤ 1.3×):
// each is spawned with `node -e 0` in between, round after round, so that a busy machine
// slows all three alike, and the medians are compared.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers.js';
import type { Figure } from './figure.js';

const COMMANDS = {
  node: ['-e', '0'],
  version: [cli, '--version'],
  list: [cli, 'list'],
} as const;

type Name = keyof typeof COMMANDS;

export interface ColdStart {
  /** Median wall time of each command, ms. */
  readonly ms: Readonly<Record<Name, number>>;
  readonly rounds: number;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function once(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

export function measureColdStart(rounds = 30): ColdStart {
  const names = Object.keys(COMMANDS) as Name[];
  const runs = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (const n of names) once(COMMANDS[n]); // warm the page cache
  for (let i = 0; i < rounds; i++) for (const n of names) runs[n].push(once(COMMANDS[n]));
  return { ms: Object.fromEntries(names.map((n) => [n, median(runs[n])])) as Record<Name, number>, rounds };
}

export function benchColdStart(rounds?: number): Figure[] {
  const r = measureColdStart(rounds);
  const note = `median of ${r.rounds} interleaved runs; target ≤ 1.3`;
  return [
    { name: 'node -e 0', value: r.ms.node, unit: 'ms' },
    { name: 'nslab --version', value: r.ms.version, unit: 'ms' },
    { name: 'nslab list', value: r.ms.list, unit: 'ms' },
    { name: 'ratio nslab --version / node -e 0', value: r.ms.version / r.ms.node, unit: '×', note },
    { name: 'ratio nslab list / node -e 0', value: r.ms.list / r.ms.node, unit: '×', note },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const f of benchColdStart()) process.stdout.write(`${f.name.padEnd(40)} ${f.value.toFixed(2).padStart(8)} ${f.unit}${f.note ? `   (${f.note})` : ''}\n`);
}
