// nslab try: the learner does a step with their own hands in a playground, nslab judges the
// kernel's state. `try --list` shows every exercise and what is done; `try --report json|junit`
// gives a teacher this machine's results; `--solution` prints the reference solution; `--script`
// runs commands instead of the interactive shell (then checks, like typing check at the end).
import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { catalogue, isPlanned, loadLab } from '../../../labs/index.js';
import type { Exercise, Judgement } from '../../core/exercise.js';
import type { About, Lab, Lang, Text } from '../../core/model.js';
import { exitCodeFor, onInterrupt } from '../interrupt.js';
import { xmlAttr, xmlText } from '../report/junit.js';
import { loadExercises, recordCheck, type ExerciseProgress, type ExercisesProgress } from '../tui/progress.js';
import { loadImplemented, resolveLabs } from './labs.js';
import { requireRoot } from './run.js';
import { echo, t, UsageError, type Options, type Out } from './usage.js';
import { version } from './version.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- exercises of every observation type
type AnyExercise = Exercise<any>;

export const KIND: Record<Exercise['kind'], Text> = {
  do: t('do', '动手'),
  predict: t('predict, then measure', '先预测，再测量'),
  break: t('what breaks', '弄坏它'),
};

const keyOf = (lab: { id: string }, ex: { id: string }) => `${lab.id}/${ex.id}`;

/** Every built lab with its exercises, in catalogue order. */
export async function allExercises(): Promise<{ lab: Lab; exercises: readonly AnyExercise[] }[]> {
  const labs = await Promise.all(catalogue.filter((a): a is About => !isPlanned(a)).map(loadLab));
  return labs.map((lab) => ({ lab, exercises: lab.exercises ?? [] }));
}

/** Whether an exercise can run here: undefined when it can, else why (said in `lang`). */
export async function unavailable(lab: Lab, ex: AnyExercise, lang: Lang): Promise<string | undefined> {
  const { whyUnavailable } = await import('../../core/playground.js');
  const why = await whyUnavailable(lab, ex);
  return why && (why.remedy ? `${why.reason[lang]}${lang === 'zh' ? '；' : '; '}${why.remedy[lang]}` : why.reason[lang]);
}

/** The lab's first exercise not done yet (the first one when all are). */
export function nextExercise(lab: Lab, done: ExercisesProgress): AnyExercise {
  const exercises = lab.exercises ?? [];
  return exercises.find((e) => !done[keyOf(lab, e)]?.done) ?? exercises[0]!;
}

/** Record one check of an exercise with the tour's progress. */
export function recordJudgement(lab: Lab, ex: AnyExercise, j: Judgement, file?: string): void {
  const held = j.conditions.filter((c) => c.status === 'passed').length;
  recordCheck(keyOf(lab, ex), j.done, `${held}/${ex.conditions.length}`, file);
}

function state(p: ExerciseProgress | undefined, lang: Lang): string {
  if (p?.done) return t('✓ done', '✓ 已完成')[lang];
  if (p) return t(`tried (${p.last})`, `试过（${p.last}）`)[lang];
  return '·';
}

async function listExercises(o: Options, out: Out): Promise<number> {
  const done = loadExercises();
  const lang = o.lang;
  let total = 0;
  let finished = 0;
  for (const { lab, exercises } of await allExercises()) {
    out(`${lab.id}  ${lab.title[lang]}`);
    for (const ex of exercises) {
      total++;
      const p = done[keyOf(lab, ex)];
      if (p?.done) finished++;
      const vm = ex.vmOnly ? t(' (--vm)', '（--vm）')[lang] : '';
      out(`  ${ex.id.padEnd(18)} ${state(p, lang).padEnd(12)} ${ex.title[lang]}${vm}  [${KIND[ex.kind][lang]}]`);
    }
    // The capstone's levels are checked with nslab capstone check N, not with try.
    for (const level of lab.levels ?? []) out(`  ${level.id.padEnd(18)} ${state(done[keyOf(lab, level)], lang).padEnd(12)} ${level.title[lang]}`);
    if (lab.levels) out(t('  (nslab capstone init, then nslab capstone check N)', '  （先 nslab capstone init，再 nslab capstone check N）')[lang]);
  }
  out(t(`${finished} of ${total} exercises done. Start one: nslab try <lab> <exercise>`, `已完成 ${finished}/${total} 个练习。开始一个：nslab try <实验> <练习>`)[lang]);
  return 0;
}

/** The JSON report: the same contract style as verify's (version, host, one entry per item, summary). */
export interface ExerciseReport {
  readonly nslab: string;
  readonly kind: 'exercises';
  readonly host: { readonly hostname: string; readonly kernel: string };
  readonly generated: string;
  readonly exercises: readonly {
    readonly lab: string;
    readonly id: string;
    readonly kind: Exercise['kind'];
    readonly title: string;
    readonly status: 'done' | 'tried' | 'not-started' | 'unavailable';
    readonly checks: number;
    readonly last?: string;
    readonly at?: string;
    readonly doneAt?: string;
    readonly reason?: string;
  }[];
  readonly summary: { readonly total: number; readonly done: number; readonly tried: number; readonly notStarted: number; readonly unavailable: number };
}

export async function exerciseReport(lang: Lang, progress: ExercisesProgress = loadExercises()): Promise<ExerciseReport> {
  const rows: ExerciseReport['exercises'][number][] = [];
  for (const { lab, exercises } of await allExercises())
    for (const ex of exercises) {
      const p = progress[keyOf(lab, ex)];
      const why = p ? undefined : await unavailable(lab, ex, lang);
      const status = p?.done ? 'done' : p ? 'tried' : why !== undefined ? 'unavailable' : 'not-started';
      rows.push({
        lab: lab.id,
        id: ex.id,
        kind: ex.kind,
        title: ex.title[lang],
        status,
        checks: p?.checks ?? 0,
        ...(p ? { last: p.last, at: p.at } : {}),
        ...(p?.doneAt !== undefined ? { doneAt: p.doneAt } : {}),
        ...(why !== undefined ? { reason: why } : {}),
      });
    }
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  return {
    nslab: version(),
    kind: 'exercises',
    host: { hostname: hostname(), kernel: release() },
    generated: new Date().toISOString(),
    exercises: rows,
    summary: { total: rows.length, done: count('done'), tried: count('tried'), notStarted: count('not-started'), unavailable: count('unavailable') },
  };
}

export function exerciseJunit(r: ExerciseReport): string {
  const labs = [...new Set(r.exercises.map((e) => e.lab))];
  const failures = r.summary.tried;
  const skipped = r.summary.notStarted + r.summary.unavailable;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="nslab try" tests="${r.summary.total}" failures="${failures}" skipped="${skipped}">`,
  ];
  for (const lab of labs) {
    const mine = r.exercises.filter((e) => e.lab === lab);
    const f = mine.filter((e) => e.status === 'tried').length;
    const s = mine.filter((e) => e.status === 'not-started' || e.status === 'unavailable').length;
    lines.push(`  <testsuite name="${xmlAttr(lab)}" tests="${mine.length}" failures="${f}" skipped="${s}" hostname="${xmlAttr(r.host.hostname)}">`);
    for (const e of mine) {
      const open = `    <testcase classname="${xmlAttr(lab)}" name="${xmlAttr(`${e.id}: ${e.title}`)}">`;
      if (e.status === 'done') lines.push(`${open}</testcase>`);
      else if (e.status === 'tried')
        lines.push(`${open}<failure message="${xmlAttr(`not done: ${e.last ?? ''} conditions held at the last of ${e.checks} checks`)}">${xmlText(`last check ${e.at ?? ''}`)}</failure></testcase>`);
      else lines.push(`${open}<skipped message="${xmlAttr(e.status === 'unavailable' ? (e.reason ?? 'unavailable') : 'not started')}"/></testcase>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n');
}

/** The lab's exercise by id, or the first not done yet (a usage error names the ones there are). */
function pick(lab: Lab, id: string | undefined): AnyExercise {
  const exercises = lab.exercises ?? [];
  if (exercises.length === 0) throw new UsageError(t(`Lab ${lab.id} has no exercises yet.`, `实验 ${lab.id} 还没有练习。`), 4);
  if (id === undefined) return nextExercise(lab, loadExercises());
  const ex = exercises.find((e) => e.id === id);
  if (!ex) {
    const names = exercises.map((e) => e.id);
    throw new UsageError(
      t(`Lab ${lab.id} has no exercise ${echo(id)}: it has ${names.join(', ')} (nslab try --list).`, `实验 ${lab.id} 没有练习 ${echo(id)}：它有 ${names.join('、')}（见 nslab try --list）。`),
    );
  }
  return ex;
}

/** The task card printed before the playground opens. */
export function taskCard(lab: Lab, ex: AnyExercise, lang: Lang): string[] {
  return [
    `── nslab try ${lab.id} ${ex.id} · ${ex.title[lang]} [${KIND[ex.kind][lang]}]`,
    ex.task[lang],
    t(
      'In the playground: check (judge now) · hint (next hint) · answer <text> · task (show this again) · exit (leave; everything is removed)',
      '练习场里可用：check（现在判定）· hint（下一条提示）· answer <内容>（回答）· task（再看一遍任务）· exit（离开；一切都会被删除）',
    )[lang],
  ];
}

export async function tryCommand(o: Options, out: Out): Promise<number> {
  const lang = o.lang;
  if (o.report !== undefined) {
    if (o.report !== 'json' && o.report !== 'junit') throw new UsageError(t(`--report takes json or junit, not ${echo(o.report)}.`, `--report 只接受 json 或 junit，不接受 ${echo(o.report)}。`));
    const r = await exerciseReport(lang);
    out(o.report === 'json' ? JSON.stringify(r, null, 2) : exerciseJunit(r));
    return 0;
  }
  if (o.list || o.positional.length === 0) return listExercises(o, out);
  if (o.positional.length > 2) throw new UsageError(t('nslab try takes one lab and at most one exercise, e.g. nslab try 01-uts box.', 'nslab try 只接受一个实验和至多一个练习，例如 nslab try 01-uts box。'));
  const [lab] = await loadImplemented(resolveLabs([o.positional[0]!]));
  const ex = pick(lab!, o.positional[1]);
  if (o.solution) {
    out(t(`# the reference solution of ${lab!.id} ${ex.id} (one way among others):`, `# ${lab!.id} ${ex.id} 的参考答案（做法不止一种）：`)[lang]);
    out(ex.solution);
    return 0;
  }
  requireRoot([lab!], 'try', o.positional);
  const script = o.script === undefined ? undefined : o.script === '-' ? readFileSync(0, 'utf8') : readFileSync(o.script, 'utf8');
  if (o.vm) {
    const { runInVm } = await import('../vm/index.js');
    const { GUEST_OUT } = await import('../vm/initramfs.js');
    // The commands travel with the VM's job (the guest's /tmp is its own).
    const code = await runInVm(
      {
        command: 'try',
        labs: [lab!],
        all: false,
        lang,
        reporter: 'human',
        extra: [ex.id, ...(script !== undefined ? ['--script', `${GUEST_OUT}/try-script`] : [])],
        ...(script !== undefined ? { files: { 'try-script': script } } : {}),
      },
      out,
    );
    // The guest's progress goes with the VM: its verdict (0: done) is recorded here.
    if (code === 0) recordCheck(keyOf(lab!, ex), true, `${ex.conditions.length}/${ex.conditions.length}`);
    return code;
  }
  const { openPlayground, PlaygroundUnavailable } = await import('../../core/playground.js');
  for (const line of taskCard(lab!, ex, lang)) out(line);
  // Ctrl-C belongs to the shell (or the script); SIGTERM and SIGHUP end the playground.
  const interrupt = onInterrupt(() => undefined, lang);
  const zh = lang === 'zh';
  let last: Judgement | undefined;
  let everDone = false;
  try {
    const r = await openPlayground(lab!, ex, {
      lang,
      signal: interrupt.signal,
      ...(script !== undefined ? { script } : {}),
      onLog: (line) => out(`  ${line}`),
      onJudge: (j) => {
        last = j;
        everDone ||= j.done;
        recordJudgement(lab!, ex, j);
      },
    });
    for (const e of r.errors) out(zh ? `无法删除 ${e}` : `could not remove ${e}`);
    out(zh ? 'nslab：练习场里的一切都已删除。' : 'nslab: everything in the playground is removed.');
    if (everDone) out(zh ? `✓ ${lab!.id} ${ex.id} 已完成，记录在进度里（nslab try --list）。` : `✓ ${lab!.id} ${ex.id} is done and recorded (nslab try --list).`);
    else
      out(
        zh
          ? `${lab!.id} ${ex.id} 还没有完成${last ? '' : '（没有运行过 check）'}；回来继续：nslab try ${lab!.id} ${ex.id}`
          : `${lab!.id} ${ex.id} is not done yet${last ? '' : ' (check was never run)'}; come back with: nslab try ${lab!.id} ${ex.id}`,
      );
  } catch (e) {
    if (e instanceof PlaygroundUnavailable) {
      const why = (l: Lang) => (e.remedy ? `${e.reason[l]}${l === 'zh' ? '；' : '; '}${e.remedy[l]}` : e.reason[l]);
      throw new UsageError(t(`Exercise ${lab!.id} ${ex.id} cannot run here: ${why('en')}.`, `练习 ${lab!.id} ${ex.id} 在这里无法运行：${why('zh')}。`), 4);
    }
    throw e;
  } finally {
    interrupt.dispose();
  }
  const received = interrupt.received();
  if (received) return exitCodeFor(received);
  return everDone ? 0 : 1;
}
