// npm run bench: speed figures (printed, never asserted by the tests).
import { spawn as cpSpawn } from 'node:child_process';
import { run } from '../../addon/index.js';
import { isRoot } from '../../runner/kit/requirements.js';
import type { Figure } from './figure.js';
import { benchColdStart } from './cold-start.js';
import { benchFirstFrame } from './tui-first-frame.js';
import { benchVm } from './vm.js';
import { benchOwnership } from './ownership.js';
import { benchPlayground } from './playground.js';

async function timePerRun(n: number, once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await once(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  return (performance.now() - t0) / n;
}

function cp(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = cpSpawn(cmd, args, { stdio: 'ignore' });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** The addon's spawn (new uts+ipc+pid+mnt namespaces, exec /bin/true) against unshare(1). */
export async function benchSpawn(n = 200): Promise<Figure[]> {
  const addon = await timePerRun(n, () =>
    run({ namespaces: ['uts', 'ipc', 'pid', 'mnt'], argv: ['/bin/true'], stdio: ['null', 'null', 'null'] }),
  );
  const unshare = await timePerRun(n, () => cp('unshare', ['--fork', '--pid', '--mount', '--uts', '--ipc', '/bin/true']));
  return [
    { name: 'addon spawn (uts+ipc+pid+mnt, exec /bin/true)', value: addon, unit: 'ms/spawn' },
    { name: 'unshare --fork --pid --mount --uts --ipc /bin/true', value: unshare, unit: 'ms/spawn' },
    { name: 'ratio addon / unshare(1)', value: addon / unshare, unit: '×', note: 'target ≤ 0.5' },
  ];
}

type Bench = (() => Promise<Figure[]>) & { needsRoot?: boolean };

/** The TUI after `nslab` starts in a terminal: the list, the first key answered, a lab opened. */
async function benchTui(): Promise<Figure[]> {
  const r = await benchFirstFrame();
  const note = `median of ${r.runs.length}`;
  return [
    { name: 'nslab: first frame of the guided tour', value: r.ms, unit: 'ms', note },
    { name: 'nslab: tour answers its first key after', value: r.interactiveMs, unit: 'ms', note: `${note}; target ≤ 400` },
    { name: 'nslab: tour has opened a lab (Ink loaded) after', value: r.openMs, unit: 'ms', note },
  ];
}

const benches: Record<string, Bench> = {
  cold: async () => benchColdStart(),
  spawn: Object.assign(() => benchSpawn(), { needsRoot: true }),
  tui: () => benchTui(),
  ownership: Object.assign(() => benchOwnership(), { needsRoot: true }),
  playground: Object.assign(() => benchPlayground(), { needsRoot: true }),
  vm: Object.assign(() => benchVm(), { needsRoot: true }),
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [name, bench] of Object.entries(benches)) {
    if (only.length > 0 && !only.includes(name)) continue;
    if (bench.needsRoot && !isRoot()) {
      console.log(`${name}: skipped (needs root)`);
      continue;
    }
    for (const f of await bench()) {
      const v = f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(2);
      console.log(`${f.name.padEnd(56)} ${v.padStart(8)} ${f.unit}${f.note ? `   (${f.note})` : ''}`);
    }
  }
}

await main();
