// The first frame of `nslab`, painted before React and Ink have loaded (loading them takes
// longer than a learner should wait for the list). Ink's first render replaces it with the
// same lines, so the learner sees the list at once and never a flicker.
import type { Lang } from '../../core/model.js';
import { fit, labState, listLines, MAX_WIDTH, paint, type ListEntry } from './format.js';
import { loadProgress } from './progress.js';

export interface FirstFrame {
  readonly entries: readonly ListEntry[];
  readonly lang: Lang;
  readonly version: string;
  readonly progressFile: string;
  readonly color: boolean;
}

/** Paint the lab list; returns how many lines it took (Ink erases them before its first frame). */
export function paintFirstFrame(f: FirstFrame, out: NodeJS.WriteStream = process.stdout, input: NodeJS.ReadStream = process.stdin): number {
  const width = Math.min(MAX_WIDTH, out.columns || MAX_WIDTH) - 1;
  const progress = loadProgress(f.progressFile);
  const states = f.entries.map((e) => labState(e, progress, 'pending'));
  const lines = fit(listLines({ entries: f.entries, states, selected: 0, lang: f.lang, width, version: f.version }), (out.rows || 24) - 2);
  out.write(`\x1b[?25l${lines.map((l) => paint(l, f.color)).join('\n')}\n`);
  // Keys pressed while Ink loads wait in the terminal, unechoed, until Ink reads them.
  try {
    input.setRawMode(true);
  } catch {
    // not a terminal after all: Ink will say so
  }
  return lines.length;
}

/** Move back over a painted frame and erase it (what Ink's log-update does between frames). */
export function eraseFrame(lines: number): string {
  let s = '';
  for (let i = 0; i <= lines; i++) s += `\x1b[2K${i < lines ? '\x1b[1A' : ''}`;
  return `${s}\x1b[G`;
}
