// What ownership costs and how fast a stop is: the fixed work every lab run now does (claim a
// token and its locked directory, recover dead runs, sweep the host for strays, release), and
// the time from Ctrl-C to nslab's exit with everything removed.
import { spawn } from 'node:child_process';
import { CleanupStack, recoverAll } from '../../runner/core/cleanup.js';
import { claimRun } from '../../runner/core/owner.js';
import { cli } from '../helpers.js';
import type { Figure } from './figure.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** SIGINT once the first command line shows; ms until the process has exited. */
function interruptOnce(lab: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', lab], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let sentAt = 0;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (!sentAt && /\n\s*\$ /.test(out)) {
        sentAt = performance.now();
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve(sentAt ? performance.now() - sentAt : NaN));
  });
}

export async function benchOwnership(): Promise<Figure[]> {
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    recoverAll();
    const stack = new CleanupStack(claimRun('bench'));
    stack.unwind();
    stack.close();
    times.push(performance.now() - t0);
  }
  const stops: number[] = [];
  for (let i = 0; i < 5; i++) stops.push(await interruptOnce('03-pid'));
  return [
    { name: 'run start + end: recover, sweep, claim, release', value: median(times), unit: 'ms', note: 'median of 30' },
    { name: 'Ctrl-C to exit, everything removed (03-pid)', value: median(stops), unit: 'ms', note: 'median of 5; was ~2020 ms' },
  ];
}
