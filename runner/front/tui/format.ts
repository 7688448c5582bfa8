// The TUI's screens as plain lines: pure functions shared by the Ink components and by the
// first frame that nslab paints before Ink has loaded. Every line is already wrapped to the
// terminal width (CJK characters count two columns), so a screen's height is known exactly.
import { displayWidth, wrap } from '../report/text.js';
import { CARD_KEYS, cardRows, colon, moreLines, observedExpected, paren, WORDS as SHARED } from '../report/words.js';
import type { About, CheckResult, Lab, Lang, PlannedLab, RequirementResult, StepResult, Text, Transcript } from '../../core/model.js';
import { say } from '../../core/model.js';
import { isPlanned } from '../../../labs/index.js';
import type { LabProgress, Progress } from './progress.js';

export type Tone = 'plain' | 'ok' | 'bad' | 'warn' | 'dim' | 'head' | 'accent' | 'select';

export interface Line {
  readonly text: string;
  readonly tone?: Tone;
}

/** The TUI keeps to this width even on wide terminals: prose reads better at 80. */
export const MAX_WIDTH = 80;
const RECORD_TRANSCRIPT_LINES = 12;
const INLINE_MAX = 160;

const t = (en: string, zh: string): Text => ({ en, zh });

export { CARD_KEYS };

export const WORDS = {
  tagline: t('the kernel mechanisms under Docker, one experiment at a time', 'Docker 背后的内核机制，一次一个实验'),
  passed: SHARED.passed,
  failed: SHARED.failed,
  skipped: t('skipped here', '此处跳过'),
  notRun: t('not run', '未运行'),
  planned: t('not yet available', '尚未提供'),
  checking: t('checking…', '检查中…'),
  step: t('Step', '步骤'),
  article: SHARED.article,
  today: SHARED.today,
  toRun: SHARED.toRun,
  listKeys: t('↑↓ choose · Enter open · t try it yourself · l 中文 · ? help · q quit', '↑↓ 选择 · Enter 打开 · t 亲手练习 · l English · ? 帮助 · q 退出'),
  cardKeys: t('Enter begin · a run all · s shell · t try · l 中文 · ? help · q back', 'Enter 开始 · a 全部运行 · s shell · t 练习 · l English · ? 帮助 · q 返回'),
  stepKeys: t('Enter run this step · a run the rest · r re-run · s shell · t try · l 中文 · ? · q back', 'Enter 运行本步 · a 运行剩余 · r 重跑 · s shell · t 练习 · l English · ? · q 返回'),
  runningKeys: t('running… · Ctrl-C stops and cleans up', '运行中… · Ctrl-C 停止并清理'),
  doneKeys: t('t try it yourself · r re-run the last step · s shell · l 中文 · ? help · q back to the list', 't 亲手练习 · r 重跑最后一步 · s shell · l English · ? 帮助 · q 返回列表'),
  skippedKeys: t('q back to the list', 'q 返回列表'),
  sixQuestions: SHARED.sixQuestions,
  openHint: t('Enter: open the lab', 'Enter：打开这个实验'),
  lastRun: t('last run', '上次运行'),
  checksWord: SHARED.checks,
  cleanup: SHARED.cleanup,
  error: SHARED.error,
  skippedCheck: SHARED.skipped,
  cleanupOk: t('cleanup: everything the lab created was removed', '清理：实验创建的一切都已删除'),
  cleanupBad: t('cleanup: something could not be removed (nslab clean retries)', '清理：有东西没能删除（可运行 nslab clean 重试）'),
  tryThis: t(
    'what to try: read the error above; `nslab doctor` says what this machine lacks; `nslab clean` removes anything left behind',
    '可以试试：看上面的错误；`nslab doctor` 会说明这台机器缺什么；`nslab clean` 会清除遗留的东西',
  ),
  busy: t('a step is running: wait for it, or press Ctrl-C to stop and clean up', '有步骤正在运行：请等待，或按 Ctrl-C 停止并清理'),
  noShell: t('this lab builds no container to open a shell in', '这个实验没有可以进入 shell 的容器'),
  noExercise: t('this lab has no exercises yet', '这个实验还没有练习'),
  capstoneHow: t(
    'the capstone is your own runtime: nslab capstone init, edit minidock.mjs, then nslab capstone check N (in a terminal)',
    '毕业项目是你自己的运行时：nslab capstone init，编辑 minidock.mjs，然后 nslab capstone check N（在终端里）',
  ),
  notLoaded: t('this lab is still being loaded: press t again in a moment', '这个实验还在加载：稍等片刻再按 t'),
  exercises: t('exercises', '练习'),
  replay: t('re-run from a fresh state: replaying the earlier steps first', '从全新状态重跑：先重放前面的步骤'),
  left: t('left', '剩余'),
  interrupted: t('stopping and removing what the lab created…', '正在停止并删除实验创建的东西……'),
  loading: t('loading…', '加载中……'),
  unmet: t('a requirement is not met', '有一项前提条件不满足'),
} as const;

export const HELP: Text = t(
  `Keys
  ↑ ↓ / j k   choose a lab                Enter   open it / run the next step
  a           run the remaining steps     r       re-run the last step
  s           a shell inside what the lab builds (exit returns here)
  t           try it yourself: the lab's next exercise in a playground
  l           English / 中文              ?       this help
  q / Esc     back (quit from the list)   Ctrl-C  stop, clean up, quit

r re-runs from a fresh state: nslab removes what the lab made, replays
the earlier steps quietly (a step builds on what they set up), then runs
the step again. Progress is remembered in ~/.local/state/nslab
(nslab tour --reset forgets it). Press ? to close.`,
  `按键
  ↑ ↓ / j k   选择实验                    Enter   打开 / 运行下一步
  a           运行剩余的所有步骤          r       重跑最后一步
  s           进入实验搭建的环境的 shell（退出后回到这里）
  t           亲手练习：在练习场里做这个实验的下一个练习
  l           English / 中文              ?       本帮助
  q / Esc     返回（在列表中则退出）     Ctrl-C  停止、清理并退出

r 会从全新状态重跑：nslab 先删除实验创建的东西，悄悄重放前面的步骤
（后面的步骤依赖它们），再重新运行这一步。进度保存在
~/.local/state/nslab（nslab tour --reset 可清除）。按 ? 关闭。`,
);

// ---- text helpers ----

/** Cut a string to `width` columns, ending in … when cut. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = displayWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

/** Pad (or cut) to exactly `width` columns. */
export function pad(s: string, width: number): string {
  const cut = truncate(s, width);
  return cut + ' '.repeat(Math.max(0, width - displayWidth(cut)));
}

export function inline(s: string): string {
  const one = s.replace(/\r?\n$/, '').replace(/\r?\n/g, '⏎');
  return one.length > INLINE_MAX ? one.slice(0, INLINE_MAX - 1) + '…' : one;
}

const lines = (text: string, width: number, indent: string, tone?: Tone): Line[] =>
  wrap(text, width, indent).map((l) => (tone ? { text: l, tone } : { text: l }));

/** A labelled value: the label in a fixed column, the value wrapped beside it. */
function labelled(label: string, value: string, width: number, column: number, tone?: Tone): Line[] {
  const head = '  ' + pad(label, column - 2);
  const body = wrap(value, width, ' '.repeat(column));
  return body.map((l, i) => ({ text: i === 0 ? head + l.slice(column) : l, ...(tone ? { tone } : {}) }));
}

// ---- the lab list ----

/** A line of the list: the catalogue's (About), or a lab whose code is loaded. */
export type ListEntry = About | Lab | PlannedLab;

export type LabState =
  | { kind: 'planned' }
  | { kind: 'checking' }
  | { kind: 'skipped'; reason: Text; remedy?: Text }
  | { kind: 'recorded'; progress: LabProgress }
  | { kind: 'not-run' };


/** Whether the entry's code is loaded (then the list can say how many steps it has). */
export function isLab(e: ListEntry): e is Lab {
  return Array.isArray((e as Lab).steps);
}

/** What the list says when Enter is pressed on a planned lab. */
/** What t says on the capstone: how it is checked, how many levels hold, and the next one to check. */
export function capstoneNote(done: readonly boolean[], lang: Lang): string {
  const next = done.indexOf(false);
  const held = done.filter(Boolean).length;
  const where =
    next < 0
      ? t(`all ${done.length} levels hold`, `全部 ${done.length} 级都已通过`)
      : t(`${held}/${done.length} levels hold; next: nslab capstone check ${next}`, `已通过 ${held}/${done.length} 级；下一级：nslab capstone check ${next}`);
  return `${WORDS.capstoneHow[lang]}${lang === 'zh' ? '。' : '. '}${where[lang]}`;
}

export function plannedNote(id: string, lang: Lang): string {
  return lang === 'zh' ? `${id} 尚未提供。` : `${id} is not yet available.`;
}

/** What the list says about a lab: planned, unable to run here, its last result, or not run. */
export function labState(e: ListEntry, progress: Progress, probe: RequirementResult | undefined | 'pending'): LabState {
  if (isPlanned(e)) return { kind: 'planned' };
  if (probe !== 'pending' && probe !== undefined && !probe.ok)
    return {
      kind: 'skipped',
      reason: probe.reason ?? WORDS.unmet,
      ...(probe.remedy ? { remedy: probe.remedy } : {}),
    };
  const p = progress[e.id];
  if (p) return { kind: 'recorded', progress: p };
  return { kind: 'not-run' };
}

function stateCell(s: LabState, lang: Lang): Line {
  switch (s.kind) {
    case 'planned':
      return { text: `· ${WORDS.planned[lang]}`, tone: 'dim' };
    case 'checking':
      return { text: `… ${WORDS.checking[lang]}`, tone: 'dim' };
    case 'skipped':
      return { text: `⊘ ${WORDS.skipped[lang]}`, tone: 'warn' };
    case 'not-run':
      return { text: `○ ${WORDS.notRun[lang]}` };
    case 'recorded': {
      const st = s.progress.status;
      if (st === 'passed') return { text: `✓ ${WORDS.passed[lang]}`, tone: 'ok' };
      if (st === 'failed') return { text: `✗ ${WORDS.failed[lang]}`, tone: 'bad' };
      return { text: `⊘ ${WORDS.skipped[lang]}`, tone: 'warn' };
    }
  }
}

export interface ListView {
  readonly entries: readonly ListEntry[];
  readonly states: readonly LabState[];
  readonly selected: number;
  readonly lang: Lang;
  readonly width: number;
  readonly version: string;
  readonly message?: string;
  /** Per entry: exercises done of those there are ("1/2"), when the lab has any. */
  readonly tries?: readonly (string | undefined)[];
}

/**
 * The lab list. Its rows use the terminal's whole width (`width`), so that a wider terminal shows
 * longer titles whole; the prose under it keeps to MAX_WIDTH.
 */
export function listLines(v: ListView): Line[] {
  const { lang } = v;
  const width = v.width;
  const prose = Math.min(width, MAX_WIDTH - 1);
  const out: Line[] = [{ text: truncate(`nslab ${v.version} · ${WORDS.tagline[lang]}`, width), tone: 'head' }, { text: '' }];
  const idW = 19;
  // The state column is as wide as the longest state word of the language (steady while probes finish).
  const stateW = 1 + Math.max(...(['planned', 'checking', 'skipped', 'notRun', 'passed', 'failed'] as const).map((k) => displayWidth(WORDS[k][lang]) + 2));
  const longest = Math.max(0, ...v.entries.map((e) => displayWidth(e.title[lang]) + 1));
  // The exercises column ("✎ 1/2"), when a lab has exercises, takes its room from the titles.
  const triesW = Math.max(0, ...(v.tries ?? []).map((x) => (x === undefined ? 0 : 3 + displayWidth(x))));
  const titleW = Math.max(10, Math.min(width - 2 - idW - stateW - 1 - triesW, Math.max(longest, MAX_WIDTH - 1 - 2 - idW - stateW - 1 - triesW)));
  v.entries.forEach((e, i) => {
    const sel = i === v.selected;
    const cell = stateCell(v.states[i]!, lang);
    const tried = v.tries?.[i];
    const row = `${sel ? '▸ ' : '  '}${pad(e.id, idW)}${pad(e.title[lang], titleW)} ${truncate(cell.text, stateW)}`;
    const text = tried !== undefined ? `${pad(row, 2 + idW + titleW + 1 + stateW)} ✎ ${tried}` : row;
    const tone: Tone | undefined = sel ? 'select' : isPlanned(e) ? 'dim' : cell.tone;
    out.push(tone ? { text, tone } : { text });
  });
  out.push({ text: '' });
  const e = v.entries[v.selected];
  const s = v.states[v.selected];
  if (e && s) out.push(...detailLines(e, s, lang, prose));
  out.push({ text: '' });
  if (v.message) out.push(...lines(v.message, prose, '', 'warn'));
  out.push({ text: truncate(WORDS.listKeys[lang], width), tone: 'dim' });
  return out;
}

function detailLines(e: ListEntry, s: LabState, lang: Lang, width: number): Line[] {
  const when = (iso: string) => {
    const d = new Date(iso);
    const two = (n: number) => String(n).padStart(2, '0');
    return Number.isNaN(d.getTime()) ? iso : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
  };
  switch (s.kind) {
    case 'planned':
      return lines(lang === 'zh' ? `${e.id} 在这个版本的 nslab 中尚未提供。` : `${e.id} is not yet available in this version of nslab.`, width, '  ', 'dim');
    case 'skipped':
      return [
        ...lines(`${e.id} ${WORDS.skipped[lang]}${colon(lang)}${s.reason[lang]}`, width, '  ', 'warn'),
        ...(s.remedy ? lines(`${WORDS.toRun[lang]}${colon(lang)}${s.remedy[lang]}`, width, '  ', 'warn') : []),
      ].slice(0, 3);
    case 'recorded': {
      const p = s.progress;
      const word = p.status === 'passed' ? WORDS.passed[lang] : p.status === 'failed' ? WORDS.failed[lang] : WORDS.skipped[lang];
      const sep = lang === 'zh' ? '，' : ', ';
      return lines(`${WORDS.lastRun[lang]} ${when(p.at)}${colon(lang)}${word}${sep}${p.checks} ${WORDS.checksWord[lang]}${p.reason ? paren(p.reason, lang) : ''} · ${WORDS.openHint[lang]}`, width, '  ');
    }
    default:
      if (!isLab(e)) return lines(WORDS.openHint[lang], width, '  ');
      return lines(`${WORDS.openHint[lang]}${paren(lang === 'zh' ? `${e.steps.length} 个步骤` : `${e.steps.length} steps`, lang)}`, width, '  ');
  }
}

// ---- a lab ----

export function labHeader(lab: Pick<Lab, 'id' | 'title'>, lang: Lang, width: number): Line[] {
  return lines(`■ ${lab.id} — ${lab.title[lang]}`, width, '', 'head');
}

/** The lab's six-question card (the same rows `nslab run` prints before the first step). */
export function cardLines(lab: Lab, lang: Lang, width: number): Line[] {
  return [
    ...labHeader(lab, lang, width),
    { text: WORDS.sixQuestions[lang], tone: 'accent' },
    ...cardRows(lab.card, lang, width).flatMap((r) => r.lines.map((text) => ({ text }))),
  ];
}

export function stepTitle(lab: Lab, index: number, lang: Lang): string {
  return `${WORDS.step[lang]} ${index + 1}/${lab.steps.length} · ${lab.steps[index]!.title[lang]}`;
}

/** What a step shows before it runs: title, explanation, the article's command and today's. */
export function stepIntro(lab: Lab, index: number, lang: Lang, width: number, explain = true): Line[] {
  const step = lab.steps[index]!;
  const out: Line[] = [];
  if (explain) out.push(...lines(step.explain[lang], width, '  '));
  if (step.article) out.push(...labelled(WORDS.article[lang], step.article, width, 11, 'accent'));
  if (step.modern) out.push(...labelled(WORDS.today[lang], say(step.modern, lang), width, 11, 'accent'));
  return out;
}

export function transcriptLines(tr: Transcript, lang: Lang, width: number, max = Infinity): Line[] {
  const [first, ...more] = tr.command.replace(/\r?\n$/, '').split(/\r?\n/);
  const out: Line[] = [
    { text: truncate(`  $ ${first}${tr.where ? `   [${tr.where}]` : ''}`, width), tone: 'head' },
    ...more.map((l): Line => ({ text: truncate(`    ${l}`, width), tone: 'head' })),
  ];
  const body = tr.output.replace(/\r?\n$/, '');
  if (body === '') return out;
  const all = body.split(/\r?\n/);
  for (const l of all.slice(0, max)) out.push({ text: truncate('    ' + l, width) });
  if (all.length > max) out.push({ text: `    ${moreLines(all.length - max, lang)}`, tone: 'dim' });
  return out;
}

export function logLines(line: string, width: number): Line[] {
  return line.split(/\r?\n/).map((l) => ({ text: truncate('  ' + l, width) }));
}

export function checkLines(k: CheckResult, lang: Lang, width: number): Line[] {
  if (k.status === 'skipped') return lines(`- ${WORDS.skippedCheck[lang]}${colon(lang)}${k.description} — ${k.reason ?? ''}`, width, '  ', 'warn').map(hang);
  const mark = k.status === 'passed' ? '✓' : '✗';
  const text = `${mark} ${k.description} — ${observedExpected(inline(k.observed), inline(k.expected), lang)}${k.reason ? paren(k.reason, lang) : ''}`;
  return lines(text, width - 2, '  ', k.status === 'passed' ? 'ok' : 'bad').map(hang);
}

/** Continuation lines of a check sit under its text, not under its mark. */
function hang(l: Line, i: number): Line {
  return i === 0 ? l : { ...l, text: '  ' + l.text };
}

const BLOCKS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => BLOCKS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1))]).join('');
}

const fmt = (n: number) => (Math.abs(n) >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(2));

/** Measurements as small charts: numbers side by side as bars, series as sparklines. */
export function measureLines(m: Record<string, unknown> | undefined, width: number): Line[] {
  if (!m) return [];
  const scalars: [string, number][] = [];
  const series: [string, number[]][] = [];
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number' && Number.isFinite(v)) scalars.push([k, v]);
    else if (Array.isArray(v) && v.length > 1 && v.every((x) => typeof x === 'number')) series.push([k, v as number[]]);
    else if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number' && Number.isFinite(v2)) scalars.push([`${k}.${k2}`, v2]);
  }
  const out: Line[] = [];
  const nameW = Math.min(24, Math.max(0, ...[...scalars, ...series].map(([k]) => k.length)));
  if (scalars.length > 1) {
    const max = Math.max(...scalars.map(([, v]) => Math.abs(v)), 1e-9);
    const barW = Math.max(10, width - nameW - 16);
    for (const [k, v] of scalars) out.push({ text: `  ${pad(k, nameW)} ${'█'.repeat(Math.round((Math.abs(v) / max) * barW)) || '▏'} ${fmt(v)}`, tone: 'accent' });
  } else {
    for (const [k, v] of scalars) out.push({ text: `  ${pad(k, nameW)} ${fmt(v)}`, tone: 'accent' });
  }
  for (const [k, v] of series) {
    const room = Math.max(8, width - nameW - 24);
    const shown = v.length > room ? v.slice(v.length - room) : v;
    out.push({ text: `  ${pad(k, nameW)} ${sparkline(shown)} ${fmt(Math.min(...v))}…${fmt(Math.max(...v))}`, tone: 'accent' });
  }
  return out;
}

export function progressLine(fraction: number, label: string | undefined, elapsedMs: number, lang: Lang, width: number): Line {
  const f = Math.max(0, Math.min(1, fraction));
  const barW = 24;
  const full = Math.round(f * barW);
  const left = f > 0.02 && f < 1 ? Math.round((elapsedMs / f - elapsedMs) / 1000) : undefined;
  const text = `  [${'█'.repeat(full)}${'░'.repeat(barW - full)}] ${String(Math.round(f * 100)).padStart(3)}%${label ? ` ${label}` : ''}${left !== undefined ? ` · ~${left} s ${WORDS.left[lang]}` : ''}`;
  return { text: truncate(text, width), tone: 'accent' };
}

/** A finished step as it stays on screen: what ran, what it printed, what was checked. */
export function stepRecord(lab: Lab, index: number, r: StepResult, lang: Lang, width: number, live: readonly Line[]): Line[] {
  const mark = r.status === 'passed' ? '✓' : r.status === 'failed' ? '✗' : '⊘';
  const tone: Tone = r.status === 'passed' ? 'ok' : r.status === 'failed' ? 'bad' : 'warn';
  const out: Line[] = [{ text: '' }, ...lines(`${mark} ${stepTitle(lab, index, lang)}`, width, '', tone)];
  out.push(...stepIntro(lab, index, lang, width).map((l) => (l.tone ? l : { ...l, tone: 'dim' as const })));
  out.push(...live);
  if (r.error !== undefined) {
    out.push(...lines(`${WORDS.error[lang]}${colon(lang)}${r.error}`, width, '  ', 'bad'));
    out.push(...lines(WORDS.tryThis[lang], width, '  ', 'dim'));
  }
  out.push(...measureLines(r.measurements, width));
  for (const k of r.checks) out.push(...checkLines(k, lang, width));
  return out;
}

/** Live output of a step as lines (all of it for the record, the tail while it runs). */
export function liveLines(events: readonly ({ transcript: Transcript } | { log: string })[], lang: Lang, width: number, recordMax = RECORD_TRANSCRIPT_LINES): Line[] {
  return events.flatMap((e) => ('transcript' in e ? transcriptLines(e.transcript, lang, width, recordMax) : logLines(e.log, width)));
}

export function summaryLines(lab: Lab, steps: readonly StepResult[], lang: Lang, width: number, cleanupErrors: number, reason?: string): Line[] {
  const checks = steps.flatMap((s) => s.checks);
  const passed = checks.filter((c) => c.status === 'passed').length;
  const failed = steps.some((s) => s.status === 'failed');
  const allSkipped = steps.length > 0 && steps.every((s) => s.status === 'skipped');
  const word = failed ? WORDS.failed[lang] : allSkipped ? WORDS.skipped[lang] : WORDS.passed[lang];
  const mark = failed ? '✗' : allSkipped ? '⊘' : '✓';
  return [
    { text: '' },
    ...labHeader(lab, lang, width),
    ...lines(`${mark} ${lab.id} ${word}${colon(lang)}${passed}/${checks.length} ${WORDS.checksWord[lang]}${reason ? paren(reason, lang) : ''}`, width, '', failed ? 'bad' : allSkipped ? 'warn' : 'ok'),
    ...lines(cleanupErrors > 0 ? WORDS.cleanupBad[lang] : WORDS.cleanupOk[lang], width, '', cleanupErrors > 0 ? 'bad' : 'dim'),
  ];
}

export function helpLines(lang: Lang, width: number): Line[] {
  return HELP[lang].split('\n').map((l, i) => ({ text: truncate(l, width), ...(i === 0 ? { tone: 'head' as const } : {}) }));
}

/** The tour's menu screen (the list, or the key help over it), kept inside `rows` - 2 lines. */
export function menuLines(v: ListView & { readonly help: boolean; readonly rows: number }): Line[] {
  return fit(v.help ? helpLines(v.lang, v.width) : listLines(v), v.rows - 2);
}

/** Keep a screen inside the terminal: at most `rows` lines, the head kept, the cut marked. */
export function fit(ls: readonly Line[], rows: number, keep: 'head' | 'tail' = 'head'): Line[] {
  if (ls.length <= rows) return [...ls];
  if (rows <= 1) return ls.slice(0, Math.max(0, rows));
  return keep === 'head' ? [...ls.slice(0, rows - 1), { text: '  …', tone: 'dim' }] : [{ text: '  …', tone: 'dim' }, ...ls.slice(ls.length - rows + 1)];
}

/** Plain ANSI for the first frame (and any non-Ink output): the same tones Ink would paint. */
export function paint(l: Line, color: boolean): string {
  if (!color || !l.tone || l.tone === 'plain') return l.text;
  const code: Record<Exclude<Tone, 'plain'>, [string, string]> = {
    ok: ['\x1b[32m', '\x1b[39m'],
    bad: ['\x1b[31m', '\x1b[39m'],
    warn: ['\x1b[33m', '\x1b[39m'],
    dim: ['\x1b[2m', '\x1b[22m'],
    head: ['\x1b[1m', '\x1b[22m'],
    accent: ['\x1b[36m', '\x1b[39m'],
    select: ['\x1b[1m\x1b[36m', '\x1b[39m\x1b[22m'],
  };
  const [a, b] = code[l.tone];
  return a + l.text + b;
}
