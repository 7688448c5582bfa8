// The learner's starting point is the reference runtime with every level's code taken out: each
// block between `// >>> level N: step` and `// <<< level N: step` becomes its `// TODO:` lines
// (English) and `// TODO(zh)：` lines (Chinese), both kept.
// Generated, never stored, so the skeleton and the reference cannot drift apart.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../addon/index.js';
import { LabError, t } from '../../runner/kit/index.js';

/** Where the reference runtime lives in the package (plain ESM, shipped as is). */
export function referencePath(): string {
  return join(packageRoot(), 'labs', '13-capstone', 'minidock', 'reference.mjs');
}

/** minidock's nslab.mjs: the addon as the labs use it, re-exported from this installation. */
export function addonShim(): string {
  const addon = pathToFileURL(join(packageRoot(), 'dist', 'addon', 'index.js')).href;
  return `// nslab's addon, as the labs use it (written by nslab capstone init).\nexport * from ${JSON.stringify(addon)};\n`;
}

/** One level block of the reference: where it is and what the learner is asked to write there. */
export interface LevelBlock {
  readonly level: number;
  readonly step: string;
  /** Line numbers (0-based) of the opening and closing markers. */
  readonly open: number;
  readonly close: number;
  /** The block's `// TODO: …` and `// TODO(zh)：…` lines, as written (indentation kept). */
  readonly todos: readonly string[];
}

const OPEN = /^(\s*)\/\/ >>> level (\d+): ([a-z0-9-]+)\s*$/;
const CLOSE = /^\s*\/\/ <<< level (\d+): ([a-z0-9-]+)\s*$/;
const TODO = /^\s*\/\/ TODO: /;
const TODO_ZH = /^\s*\/\/ TODO\(zh\)：/;

/** The level blocks of a reference source; a marker out of place is an error naming the line. */
export function levelBlocks(source: string): LevelBlock[] {
  const lines = source.split('\n');
  const blocks: LevelBlock[] = [];
  let current: { level: number; step: string; open: number; todos: string[] } | undefined;
  lines.forEach((line, i) => {
    const o = OPEN.exec(line);
    const c = CLOSE.exec(line);
    if (o) {
      if (current) throw markerError(i, `level ${current.level} (${current.step}) opened on line ${current.open + 1} is not closed`);
      current = { level: Number(o[2]), step: o[3]!, open: i, todos: [] };
    } else if (c) {
      if (!current || current.level !== Number(c[1]) || current.step !== c[2])
        throw markerError(i, `closes level ${c[1]} (${c[2]}), which is not the open block`);
      if (!current.todos.some((l) => TODO.test(l))) throw markerError(i, `level ${current.level} (${current.step}) has no // TODO: line for the learner`);
      if (!current.todos.some((l) => TODO_ZH.test(l))) throw markerError(i, `level ${current.level} (${current.step}) has no // TODO(zh)： line for the learner`);
      blocks.push({ ...current, close: i });
      current = undefined;
    } else if (current && (TODO.test(line) || TODO_ZH.test(line))) current.todos.push(line);
  });
  if (current) throw markerError(lines.length - 1, `level ${current.level} (${current.step}) is not closed`);
  return blocks;
}

function markerError(line: number, what: string): LabError {
  return new LabError(t(`minidock reference, line ${line + 1}: ${what}`, `minidock 参考实现第 ${line + 1} 行：${what}`));
}

/**
 * The source with the chosen levels' blocks replaced by their TODO lines (default: every level),
 * each framed as `// ── level N: step ──` so the learner sees where to write.
 */
export function skeleton(source: string, levels?: ReadonlySet<number>): string {
  const lines = source.split('\n');
  const out: string[] = [];
  let i = 0;
  for (const b of levelBlocks(source)) {
    out.push(...lines.slice(i, b.open));
    if (levels !== undefined && !levels.has(b.level)) out.push(...lines.slice(b.open, b.close + 1));
    else {
      const indent = OPEN.exec(lines[b.open]!)![1]!;
      out.push(`${indent}// ── level ${b.level}: ${b.step} ──`, ...b.todos);
    }
    i = b.close + 1;
  }
  out.push(...lines.slice(i));
  return out.join('\n');
}

/** The reference with one step of one level removed (the tests' "typical mistake"). */
export function withoutStep(source: string, level: number, step: string): string {
  const lines = source.split('\n');
  const b = levelBlocks(source).find((x) => x.level === level && x.step === step);
  if (!b) throw new Error(`no block level ${level}: ${step} in the reference`);
  return [...lines.slice(0, b.open), ...lines.slice(b.close + 1)].join('\n');
}
