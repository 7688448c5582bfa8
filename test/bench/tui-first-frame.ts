// How long a learner waits for `nslab`: from spawning `node bin/nslab.js` in a pseudo-terminal
// (80×24, via script(1)) until the first frame with the lab list is on screen, until the tour
// answers a key (the help screen after `?`, pressed as soon as the list shows; target ≤ 400 ms),
// and until Enter has opened the first lab's card (React, Ink and the lab's code have loaded).
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
  /** Median ms from spawn until Enter (pressed once the help showed) shows 01-uts's card. */
  readonly openMs: number;
  readonly runs: readonly Run[];
}

type Run = { firstFrame: number; interactive: number; open: number };

function once(state: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const command = `stty rows 24 cols 80; exec ${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)}`;
    const t0 = performance.now();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let screen = '';
    let firstFrame: number | undefined;
    let interactive: number | undefined;
    let open: number | undefined;
    let leaving = false;
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
        child.stdin.write('?\r'); // close the help, open the selected lab (01-uts)
      } else if (interactive !== undefined && open === undefined && text.includes('Six questions')) {
        open = performance.now() - t0;
        child.stdin.write('q'); // back to the list
      } else if (open !== undefined && !leaving && /▸ 01-uts/.test(text.slice(text.lastIndexOf('Six questions')))) {
        leaving = true;
        child.stdin.write('q'); // and quit
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      if (firstFrame === undefined || interactive === undefined || open === undefined) reject(new Error(`the tour ended early:\n${strip(screen)}`));
      else resolve({ firstFrame, interactive, open });
    });
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchFirstFrame(runs = 5): Promise<FirstFrame> {
  const state = mkdtempSync(join(tmpdir(), 'nslab-bench-state-'));
  try {
    const all: Run[] = [];
    for (let i = 0; i < runs; i++) all.push(await once(state));
    const med = (k: keyof Run) => Math.round(median(all.map((r) => r[k])));
    return { ms: med('firstFrame'), interactiveMs: med('interactive'), openMs: med('open'), runs: all };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchFirstFrame();
  process.stdout.write(
    `tui first frame: ${r.ms} ms; answers keys after ${r.interactiveMs} ms (target ≤ 400 ms); opens a lab after ${r.openMs} ms (medians of ${r.runs.length})\n` +
      `  runs (frame/keys/open): ${r.runs.map((x) => `${Math.round(x.firstFrame)}/${Math.round(x.interactive)}/${Math.round(x.open)}`).join(', ')} ms\n`,
  );
}
