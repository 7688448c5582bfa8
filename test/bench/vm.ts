// npm run bench: the VM runner's speed. One `nslab run 12-devicemapper --vm` (kernel cache warmed
// first): from the command to the lab's first step on stdout, and from the command to its end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { platform } from '../../runner/front/vm/platform.js';
import type { Figure } from './figure.js';


const cli = fileURLToPath(new URL('../../../bin/nslab.js', import.meta.url));

function nslab(args: readonly string[], onStdout?: (text: string) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export async function benchVm(): Promise<Figure[]> {
  const p = platform();
  if (!p.ok) return [{ name: 'VM runner', value: 0, unit: 's', note: `unavailable: ${p.missing.map((m) => m.what.en).join(', ')}` }];
  const prepare = await nslab(['vm', 'prepare']);
  if (prepare.code !== 0) throw new Error(`nslab vm prepare failed: ${prepare.stderr}`);
  const t0 = performance.now();
  let firstStep: number | undefined;
  const r = await nslab(['run', '12-devicemapper', '--vm'], (text) => {
    if (firstStep === undefined && /^▸ /m.test(text)) firstStep = performance.now();
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`nslab run 12-devicemapper --vm exited ${r.code}: ${r.stderr}`);
  const guestBoot = /boot to job: ([\d.]+) s/.exec(r.stderr)?.[1];
  const accel = p.platform.accel.kind.toUpperCase();
  return [
    { name: `VM boot to first step (${accel}, host clock)`, value: ((firstStep ?? performance.now()) - t0) / 1000, unit: 's', note: 'qemu start, kernel, modules, 9p, node and requirements' },
    ...(guestBoot ? [{ name: 'VM kernel start to job (guest clock)', value: Number(guestBoot), unit: 's' }] : []),
    { name: `nslab run 12-devicemapper --vm, wall time (${accel})`, value: wall, unit: 's', note: 'goal ≤ 60 s' },
  ];
}
