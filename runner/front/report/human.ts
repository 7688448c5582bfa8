// The human reporter: renders RunEvents live for a terminal.
// `out` is called once per line, without a trailing newline (e.g. `out: console.log`).

import chalk, { Chalk, type ChalkInstance, type ColorSupportLevel } from 'chalk';
import type { CheckResult, Lang, Report, RunListener, StepResult, Transcript } from '../../core/model.js';
import { testPoints } from './tap.js';
import { displayWidth, waitingLine, wrap } from './text.js';

export { displayWidth, waitingLine, wrap };

export interface HumanOptions {
  readonly lang: Lang;
  /** Receives one line per call, without a trailing newline. */
  readonly out: (s: string) => void;
  readonly color: boolean;
  /** true: explain each step (run mode); false: one line per check (verify mode). */
  readonly prose: boolean;
}

export const WRAP_COLUMNS = 78;
export const TRANSCRIPT_MAX_LINES = 30;
const INLINE_MAX = 160;

/** A value on one line: newlines shown as ⏎, long values cut. */
function inline(s: string): string {
  const one = s.replace(/\r?\n/g, '⏎');
  return one.length > INLINE_MAX ? one.slice(0, INLINE_MAX - 1) + '…' : one;
}

function transcriptLines(c: ChalkInstance, t: Transcript): string[] {
  const lines = [`  ${c.bold('$ ' + t.command)}${t.where ? c.dim(`   [${t.where}]`) : ''}`];
  const output = t.output.replace(/\r?\n$/, '');
  if (output === '') return lines;
  const outLines = output.split(/\r?\n/);
  for (const l of outLines.slice(0, TRANSCRIPT_MAX_LINES)) lines.push('    ' + l);
  if (outLines.length > TRANSCRIPT_MAX_LINES) {
    lines.push(c.dim(`    … (${outLines.length - TRANSCRIPT_MAX_LINES} more lines)`));
  }
  return lines;
}

function checkCounts(steps: readonly StepResult[]) {
  const checks = steps.flatMap((s) => s.checks);
  return { passed: checks.filter((k) => k.status === 'passed').length, total: checks.length };
}

export function humanListener(opts: HumanOptions): RunListener {
  const level: ColorSupportLevel = opts.color ? (chalk.level > 0 ? chalk.level : 1) : 0;
  const c = new Chalk({ level });
  const { lang, out, prose } = opts;
  const emit = (lines: string | readonly string[]) => {
    for (const l of typeof lines === 'string' ? [lines] : lines) out(l);
  };
  const skippedLabs = new Set<string>();
  const progressDone = new Set<string>();

  const skippedLab = (labId: string, reason: string, remedy?: string) => {
    skippedLabs.add(labId);
    emit(c.yellow(`⊘ ${labId} skipped: ${reason}`));
    if (remedy) emit(c.yellow(`  to run it: ${remedy}`));
  };

  const proseCheck = (k: CheckResult): string => {
    const obs = `observed ${inline(k.observed)}, expected ${inline(k.expected)}`;
    if (k.status === 'passed') return c.green(`  ✓ ${k.description} — ${obs}`);
    if (k.status === 'failed') return c.red(`  ✗ ${k.description} — ${obs}${k.reason ? ` (${k.reason})` : ''}`);
    return c.yellow(`  - skipped: ${k.description} — ${k.reason ?? ''}`);
  };

  const verifyCheck = (path: string, k: CheckResult): string => {
    if (k.status === 'passed') return c.green(`✓ ${path}: ${k.description} (observed ${inline(k.observed)})`);
    if (k.status === 'failed') {
      return c.red(
        `✗ ${path}: ${k.description} (observed ${inline(k.observed)}, expected ${inline(k.expected)})` +
          (k.reason ? ` — ${k.reason}` : ''),
      );
    }
    return c.yellow(`- ${path}: ${k.description} (skipped: ${k.reason ?? ''})`);
  };

  return (ev) => {
    switch (ev.type) {
      case 'lab-start':
        if (prose) emit(['', c.bold(`■ ${ev.lab.id} — ${ev.lab.title[lang]}`)]);
        break;

      case 'lab-skipped':
        skippedLab(ev.lab.id, ev.reason, ev.remedy);
        break;

      case 'waiting':
        out(waitingLine(ev, lang));
        break;

      case 'step-start': {
        if (!prose) break;
        const s = ev.step;
        emit(['', c.bold(`▸ ${s.title[lang]}`)]);
        emit(wrap(s.explain[lang], WRAP_COLUMNS, '  ').map((l) => c.dim(l)));
        if (s.article) emit(`  ${c.cyan('article:')} ${s.article}`);
        if (s.modern) emit(`  ${c.cyan('today:')}   ${s.modern}`);
        break;
      }

      case 'transcript':
        if (prose) emit(transcriptLines(c, ev.transcript));
        break;

      case 'log':
        if (prose) emit(ev.line.split(/\r?\n/).map((l) => '  ' + l));
        break;

      case 'progress': {
        if (!prose || ev.fraction < 1) break;
        const key = `${ev.lab.id}/${ev.step.id}/${ev.label ?? ''}`;
        if (progressDone.has(key)) break;
        progressDone.add(key);
        emit(c.dim(`  ${ev.label ? ev.label + ': ' : ''}done (100%)`));
        break;
      }

      case 'step-end': {
        const r = ev.result;
        const path = `${ev.lab.id}/${r.id}`;
        for (const key of progressDone) if (key.startsWith(path + '/')) progressDone.delete(key);
        if (prose) {
          if (r.error !== undefined) emit(c.red(`  error: ${r.error}`));
          emit(r.checks.map(proseCheck));
        } else {
          if (r.error !== undefined) emit(c.red(`✗ ${path}: error: ${inline(r.error)}`));
          emit(r.checks.map((k) => verifyCheck(`${path}/${k.id}`, k)));
        }
        break;
      }

      case 'cleanup':
        if (prose) emit(c.dim(`  cleanup: ${ev.line}`));
        break;

      case 'lab-end': {
        const r = ev.result;
        if (r.status === 'skipped') {
          if (!skippedLabs.has(r.id)) skippedLab(r.id, r.reason ?? '', r.remedy);
          break;
        }
        const { passed, total } = checkCounts(r.steps);
        const line = `${r.id}: ${r.status} (${passed}/${total} checks)`;
        if (prose) emit('');
        emit(r.status === 'passed' ? c.green.bold(line) : c.red.bold(line));
        if (r.status === 'failed' && r.reason) emit(c.red(`  ${r.reason}`));
        break;
      }
    }
  };
}

/** "N passed, N failed, N skipped", counted over the checks of all labs (a skipped lab counts as one skipped). */
export function summaryLine(report: Report): string {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const p of testPoints(report)) {
    if (p.status === 'passed') passed++;
    else if (p.status === 'failed') failed++;
    else skipped++;
  }
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
