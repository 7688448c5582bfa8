// The words of nslab's own screens in both languages, shared by the human reporter, the JSON
// reporter and the TUI (the six-question card above all). No chalk, no Ink: the tour's first
// frame loads this before anything heavy.
import type { Card, Lang, Text } from '../../core/model.js';
import { displayWidth, wrap } from './text.js';

const t = (en: string, zh: string): Text => ({ en, zh });

/** The labels of the six questions the article asks of every mechanism. */
export const CARD_LABELS: Readonly<Record<keyof Card, Text>> = {
  problem: t('Problem', '解决的问题'),
  tradeoff: t('Trade-off', '代价'),
  usedBy: t('Used by', '用在哪里'),
  parts: t('Parts', '组成部分'),
  kernel: t('Kernel', '内核实现'),
  alternatives: t('Compare', '其他实现'),
};

/** The card's questions in the order they are shown (and the keys of the JSON `card`). */
export const CARD_KEYS = Object.keys(CARD_LABELS) as (keyof Card)[];

/** The label column of a card: wide enough for the longest label in either language. */
export function cardColumn(lang: Lang): number {
  return lang === 'zh' ? 12 : 13;
}

/** A card as plain strings in one language (the JSON report's `card`). */
export function cardStrings(card: Card, lang: Lang): Record<keyof Card, string> {
  return Object.fromEntries(CARD_KEYS.map((k) => [k, card[k][lang]])) as Record<keyof Card, string>;
}

/** A labelled value: the label in a fixed column, the value wrapped beside it. */
export function labelledRows(label: string, value: string, width: number, column: number): string[] {
  const head = '  ' + label + ' '.repeat(Math.max(1, column - 2 - displayWidth(label)));
  const body = wrap(value, width, ' '.repeat(column));
  return body.map((l, i) => (i === 0 ? head + l.slice(column) : l));
}

/** The card as label/value rows, wrapped to `width`. */
export function cardRows(card: Card, lang: Lang, width: number): { readonly label: keyof Card; readonly lines: string[] }[] {
  return CARD_KEYS.map((k) => ({ label: k, lines: labelledRows(CARD_LABELS[k][lang], card[k][lang], width, cardColumn(lang)) }));
}

/** The words of the human reporter (and the same words in the TUI). */
export const WORDS = {
  sixQuestions: t('Six questions', '六个问题'),
  observed: t('observed', '观察到'),
  expected: t('expected', '预期'),
  skipped: t('skipped', '跳过'),
  toRun: t('to run it', '运行方法'),
  article: t('article', '原文'),
  today: t('today', '今天'),
  cleanup: t('cleanup', '清理'),
  error: t('error', '错误'),
  passed: t('passed', '通过'),
  failed: t('failed', '失败'),
  done: t('done', '完成'),
  checks: t('checks', '项检查'),
} as const;

/** "label: " in English, "label：" in Chinese. */
export function colon(lang: Lang): string {
  return lang === 'zh' ? '：' : ': ';
}

/** " (text)" in English, "（text）" in Chinese. */
export function paren(s: string, lang: Lang): string {
  return lang === 'zh' ? `（${s}）` : ` (${s})`;
}

/** "observed X, expected Y" / "观察到 X，预期 Y". */
export function observedExpected(observed: string, expected: string, lang: Lang): string {
  return lang === 'zh' ? `${WORDS.observed.zh} ${observed}，${WORDS.expected.zh} ${expected}` : `observed ${observed}, expected ${expected}`;
}

/** "passed (5/5 checks)" / "通过（5/5 项检查）" */
export function statusWithChecks(status: 'passed' | 'failed' | 'skipped', passed: number, total: number, lang: Lang): string {
  const word = status === 'skipped' ? WORDS.skipped[lang] : WORDS[status][lang];
  return lang === 'zh' ? `${word}（${passed}/${total} 项检查）` : `${word} (${passed}/${total} checks)`;
}

/** "N passed, N failed, N skipped" / "通过 N 项，失败 N 项，跳过 N 项". */
export function countsLine(passed: number, failed: number, skipped: number, lang: Lang): string {
  return lang === 'zh' ? `通过 ${passed} 项，失败 ${failed} 项，跳过 ${skipped} 项` : `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

/** "… (5 more lines)" / "……（还有 5 行）". */
export function moreLines(n: number, lang: Lang): string {
  return lang === 'zh' ? `……（还有 ${n} 行）` : `… (${n} more lines)`;
}

/** "label: done (100%)" / "label：完成（100%）". */
export function doneLine(label: string | undefined, lang: Lang): string {
  const done = lang === 'zh' ? `${WORDS.done.zh}（100%）` : `${WORDS.done.en} (100%)`;
  return label ? `${label}${colon(lang)}${done}` : done;
}
