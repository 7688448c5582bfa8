// How long a learner waits for `nslab`: from spawning `node bin/nslab.js` in a pseudo-terminal
// (80×24, via script(1)) until the first frame with the lab list is on screen (target ≤ 400 ms),
// and until the tour answers a key (the help screen after `?`: React and Ink have loaded).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../helpers.js';
import { quote, terminalEnv } from '../tmux.js';

const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

export interface FirstFrame {
  /** Median ms from spawn to the complete lab list. */
  readonly ms: number;
  /** Median ms from spawn until `?` (pressed as soon as the list shows) shows the help. */
  readonly interactiveMs: number;
  readonly runs: readonly { firstFrame: number; interactive: number }[];
}

function once(state: string): Promise<{ firstFrame: number; interactive: number }> {
  return new Promise((resolve, reject) => {
    const command = `stty rows 24 cols 80; exec ${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)}`;
    const t0 = performance.now();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let screen = '';
    let firstFrame: number | undefined;
    let interactive: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no frame within 20 s; the output was:\n${strip(screen)}`));
    }, 20_000);
    child.stdout.on('data', (c: Buffer) => {
      screen += c.toString();
      const text = strip(screen);
      if (firstFrame === undefined && text.includes('01-uts') && /q (quit|退出)/.test(text)) {
        firstFrame = performance.now() - t0;
        child.stdin.write('?');
      } else if (firstFrame !== undefined && interactive === undefined && /Keys|按键/.test(text)) {
        interactive = performance.now() - t0;
        child.stdin.write('?');
        setTimeout(() => child.stdin.write('q'), 50);
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      if (firstFrame === undefined || interactive === undefined) reject(new Error(`the tour ended early:\n${strip(screen)}`));
      else resolve({ firstFrame, interactive });
    });
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchFirstFrame(runs = 5): Promise<FirstFrame> {
  const state = mkdtempSync(join(tmpdir(), 'nslab-bench-state-'));
  try {
    const all: { firstFrame: number; interactive: number }[] = [];
    for (let i = 0; i < runs; i++) all.push(await once(state));
    return { ms: Math.round(median(all.map((r) => r.firstFrame))), interactiveMs: Math.round(median(all.map((r) => r.interactive))), runs: all };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchFirstFrame();
  process.stdout.write(
    `tui first frame: ${r.ms} ms (median of ${r.runs.length}; target ≤ 400 ms); answers keys after ${r.interactiveMs} ms\n` +
      `  runs: ${r.runs.map((x) => `${Math.round(x.firstFrame)}/${Math.round(x.interactive)}`).join(', ')} ms\n`,
  );
}
