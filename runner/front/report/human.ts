// The human reporter: renders RunEvents live for a terminal.
// `out` is called once per line, without a trailing newline (e.g. `out: console.log`).

import chalk, { Chalk, type ChalkInstance, type ColorSupportLevel } from 'chalk';
import type { Card, CheckResult, Lang, Report, RunListener, StepResult, Transcript } from '../../core/model.js';
import { say } from '../../core/model.js';
import { testPoints } from './tap.js';
import { displayWidth, waitingLine, wrap } from './text.js';
import { cardRows, colon, countsLine, doneLine, moreLines, observedExpected, paren, statusWithChecks, WORDS } from './words.js';

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

function transcriptLines(c: ChalkInstance, t: Transcript, lang: Lang): string[] {
  // A command of several lines (a here-document) keeps its lines under the `$`, indented like output.
  const [first, ...more] = t.command.replace(/\r?\n$/, '').split(/\r?\n/);
  const lines = [`  ${c.bold('$ ' + first)}${t.where ? c.dim(`   [${t.where}]`) : ''}`, ...more.map((l) => `    ${c.bold(l)}`)];
  const output = t.output.replace(/\r?\n$/, '');
  if (output === '') return lines;
  const outLines = output.split(/\r?\n/);
  for (const l of outLines.slice(0, TRANSCRIPT_MAX_LINES)) lines.push('    ' + l);
  if (outLines.length > TRANSCRIPT_MAX_LINES) {
    lines.push(c.dim(`    ${moreLines(outLines.length - TRANSCRIPT_MAX_LINES, lang)}`));
  }
  return lines;
}

function checkCounts(steps: readonly StepResult[]) {
  const checks = steps.flatMap((s) => s.checks);
  return { passed: checks.filter((k) => k.status === 'passed').length, total: checks.length };
}

/** The six-question card, compact: one labelled paragraph per question, under the lab's title. */
export function cardBlock(card: Card, lang: Lang, width = WRAP_COLUMNS): string[] {
  return cardRows(card, lang, width).flatMap((r) => r.lines);
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
    emit(c.yellow(`⊘ ${labId} ${WORDS.skipped[lang]}${colon(lang)}${reason}`));
    if (remedy) emit(c.yellow(`  ${WORDS.toRun[lang]}${colon(lang)}${remedy}`));
  };

  const proseCheck = (k: CheckResult): string => {
    const obs = observedExpected(inline(k.observed), inline(k.expected), lang);
    if (k.status === 'passed') return c.green(`  ✓ ${k.description} — ${obs}`);
    if (k.status === 'failed') return c.red(`  ✗ ${k.description} — ${obs}${k.reason ? paren(k.reason, lang) : ''}`);
    return c.yellow(`  - ${WORDS.skipped[lang]}${colon(lang)}${k.description} — ${k.reason ?? ''}`);
  };

  const verifyCheck = (path: string, k: CheckResult): string => {
    const at = `${path}${colon(lang)}${k.description}`;
    if (k.status === 'passed') return c.green(`✓ ${at}${paren(`${WORDS.observed[lang]} ${inline(k.observed)}`, lang)}`);
    if (k.status === 'failed') {
      return c.red(`✗ ${at}${paren(observedExpected(inline(k.observed), inline(k.expected), lang), lang)}` + (k.reason ? ` — ${k.reason}` : ''));
    }
    return c.yellow(`- ${at}${paren(`${WORDS.skipped[lang]}${colon(lang)}${k.reason ?? ''}`, lang)}`);
  };

  return (ev) => {
    switch (ev.type) {
      case 'lab-start':
        if (!prose) break;
        emit(['', c.bold(`■ ${ev.lab.id} — ${ev.lab.title[lang]}`)]);
        if (ev.lab.card) emit(cardBlock(ev.lab.card, lang));
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
        // "article: " and "today:   " line up; so do "原文：" and "今天：".
        const label = (w: string) => (lang === 'zh' ? `${w}：` : `${w}:`.padEnd(9));
        if (s.article) emit(`  ${c.cyan(label(WORDS.article[lang]))}${s.article}`);
        if (s.modern) emit(`  ${c.cyan(label(WORDS.today[lang]))}${say(s.modern, lang)}`);
        break;
      }

      case 'transcript':
        if (prose) emit(transcriptLines(c, ev.transcript, lang));
        break;

      case 'log':
        if (prose) emit(ev.line.split(/\r?\n/).map((l) => '  ' + l));
        break;

      case 'progress': {
        if (!prose || ev.fraction < 1) break;
        const key = `${ev.lab.id}/${ev.step.id}/${ev.label ?? ''}`;
        if (progressDone.has(key)) break;
        progressDone.add(key);
        emit(c.dim(`  ${doneLine(ev.label, lang)}`));
        break;
      }

      case 'step-end': {
        const r = ev.result;
        const path = `${ev.lab.id}/${r.id}`;
        for (const key of progressDone) if (key.startsWith(path + '/')) progressDone.delete(key);
        if (prose) {
          if (r.error !== undefined) emit(c.red(`  ${WORDS.error[lang]}${colon(lang)}${r.error}`));
          emit(r.checks.map(proseCheck));
        } else {
          if (r.error !== undefined) emit(c.red(`✗ ${path}${colon(lang)}${WORDS.error[lang]}${colon(lang)}${inline(r.error)}`));
          emit(r.checks.map((k) => verifyCheck(`${path}/${k.id}`, k)));
        }
        break;
      }

      case 'cleanup':
        if (prose) emit(c.dim(`  ${WORDS.cleanup[lang]}${colon(lang)}${ev.line}`));
        break;

      case 'lab-end': {
        const r = ev.result;
        if (r.status === 'skipped') {
          if (!skippedLabs.has(r.id)) skippedLab(r.id, r.reason ?? '', r.remedy);
          break;
        }
        const { passed, total } = checkCounts(r.steps);
        const line = `${r.id}${colon(lang)}${statusWithChecks(r.status, passed, total, lang)}`;
        if (prose) emit('');
        emit(r.status === 'passed' ? c.green.bold(line) : c.red.bold(line));
        if (r.status === 'failed' && r.reason) emit(c.red(`  ${r.reason}`));
        break;
      }
    }
  };
}

/** "N passed, N failed, N skipped", counted over the checks of all labs (a skipped lab counts as one skipped). */
export function summaryLine(report: Report, lang: Lang = 'en'): string {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const p of testPoints(report)) {
    if (p.status === 'passed') passed++;
    else if (p.status === 'failed') failed++;
    else skipped++;
  }
  return countsLine(passed, failed, skipped, lang);
}
