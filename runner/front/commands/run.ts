// nslab run, nslab verify and nslab vm prepare: the commands that run labs (on this kernel, or
// with --vm inside a disposable VM on a stock one).
import { catalogue, isPlanned } from '../../../labs/index.js';
import { runLab } from '../../core/engine.js';
import { isRoot } from '../../kit/requirements.js';
import type { Lab, LabResult, Lang, PlannedLab, Report, RunListener } from '../../core/model.js';
import { hostInfo, version } from '../host.js';
import { exitCodeFor, onInterrupt, writeOut } from '../interrupt.js';
import { cardStrings, humanListener, render, summaryLine, waitingLine, type ReportedLab, type ReporterName } from '../report/index.js';
import { loadImplemented, loadLabs, resolveLabs } from './labs.js';
import { t, UsageError, type Options, type Out } from './usage.js';

function plannedResult(l: PlannedLab, lang: Lang): LabResult {
  const reason = t('not yet available in this version of nslab', '这个版本的 nslab 尚未提供');
  return { id: l.id, title: l.title[lang], status: 'skipped', reason: reason[lang], steps: [] };
}

async function runMany(labs: readonly (Lab | PlannedLab)[], o: Options, listener: RunListener): Promise<{ report: Report; interrupted?: NodeJS.Signals }> {
  const interrupt = onInterrupt((line) => writeOut('stderr', `\n${line}\n`), o.lang);
  const results: ReportedLab[] = [];
  try {
    for (const l of labs) {
      if (interrupt.signal.aborted) break;
      if (isPlanned(l)) {
        const r = plannedResult(l, o.lang);
        listener({ type: 'lab-skipped', lab: l as unknown as Lab, reason: r.reason! });
        results.push(r);
        continue;
      }
      // The report carries each lab's card (the JSON reporter's `card`), in the run's language.
      results.push({ ...(await runLab(l, { lang: o.lang, listener, signal: interrupt.signal })), card: cardStrings(l.card, o.lang) });
    }
  } finally {
    interrupt.dispose();
  }
  const received = interrupt.received();
  return { report: { nslab: version(), host: hostInfo(), labs: results }, ...(received ? { interrupted: received } : {}) };
}

export async function runCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length === 0 && !o.all)
    throw new UsageError(
      t('nslab run needs a lab or --all, e.g. nslab run 01-uts (nslab list shows them all).', 'nslab run 需要一个实验或 --all，例如 nslab run 01-uts（nslab list 会列出所有实验）。'),
    );
  // --all: every lab this version has, in the catalogue's order (planned ones are not run).
  const labs = await loadImplemented(o.all ? catalogue.filter((l) => !isPlanned(l)) : resolveLabs(o.positional));
  requireRoot(labs, 'run', o.all ? ['--all'] : o.positional);
  if (o.vm) return inVm('run', labs, o, out);
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const { report, interrupted } = await runMany(labs, o, humanListener({ lang: o.lang, out, color, prose: true }));
  out('');
  out(summaryLine(report, o.lang));
  if (interrupted) return exitCodeFor(interrupted);
  if (report.labs.some((l) => l.status === 'failed')) return 1;
  if (report.labs.some((l) => l.status === 'skipped')) return 4;
  return 0;
}

export async function verifyCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length === 0 && !o.all)
    throw new UsageError(t('nslab verify needs labs or --all, e.g. nslab verify --all --reporter tap.', 'nslab verify 需要实验或 --all，例如 nslab verify --all --reporter tap。'));
  const labs = await loadLabs(o.all ? catalogue : resolveLabs(o.positional));
  requireRoot(labs, 'verify', o.all ? ['--all'] : o.positional);
  if (o.vm) return inVm('verify', labs, o, out);
  const human = o.reporter === 'human';
  const color = human && process.stdout.isTTY === true && !process.env.NO_COLOR;
  // Machine reporters keep stdout for the document; a wait for another run is said on stderr.
  const listener: RunListener = human
    ? humanListener({ lang: o.lang, out, color, prose: false })
    : (ev) => {
        if (ev.type === 'waiting') writeOut('stderr', `nslab${o.lang === 'zh' ? '：' : ': '}${waitingLine(ev, o.lang)}\n`);
      };
  const { report, interrupted } = await runMany(labs, o, listener);
  if (human) out(summaryLine(report, o.lang));
  else out(render(o.reporter as Exclude<ReporterName, 'human'>, report).replace(/\n$/, ''));
  if (interrupted) return exitCodeFor(interrupted);
  return report.labs.some((l) => l.status === 'failed') ? 1 : 0;
}

/** Labs that need root, run by someone else: one sentence that says to use sudo (exit 1). */
export function requireRoot(labs: readonly (Lab | PlannedLab)[], command: string, names: readonly string[]): void {
  const needs = labs.filter((l) => !isPlanned(l) && l.requirements.some((r) => r.id === 'root'));
  if (needs.length > 0 && !isRoot()) {
    const ids = needs.map((l) => l.id).join(' ');
    const again = `sudo npx nslab ${command} ${names.join(' ')}`;
    throw new UsageError(
      t(
        `nslab ${command} ${ids} needs root to create namespaces and mounts: run it with sudo (${again}).`,
        `nslab ${command} ${ids} 需要 root 才能创建 namespace 和挂载：请用 sudo 运行（${again}）。`,
      ),
      1,
    );
  }
}

/** --vm: the same command, run by the nslab inside a disposable VM (runner/vm). */
export async function inVm(command: 'run' | 'verify' | 'shell', labs: readonly (Lab | PlannedLab)[], o: Options, out: Out): Promise<number> {
  const { runInVm } = await import('../vm/index.js');
  return runInVm({ command, labs, all: o.all, lang: o.lang, reporter: o.reporter }, out);
}

export async function vmCommand(o: Options, out: Out): Promise<number> {
  if (o.positional[0] !== 'prepare') throw new UsageError(t('nslab vm takes one subcommand: nslab vm prepare.', 'nslab vm 只有一个子命令：nslab vm prepare。'));
  return (await import('../vm/index.js')).vmPrepare(out, o.lang);
}
