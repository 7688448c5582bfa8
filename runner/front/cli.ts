// The nslab command line: list, run, verify, doctor, shell, clean (and the guided tour).
import { findLab, isPlanned, nearestId, registry } from '../../labs/index.js';
import { recoverAll } from '../core/cleanup.js';
import { openShell, ShellUnavailable } from '../core/shell-run.js';
import { ensureRunDir } from '../core/paths.js';
import { runLab } from '../core/engine.js';
import { hostInfo, version } from './host.js';
import { describeFailure, exitCodeFor, exitCodeForFailure, guardOutput, isBroken, onInterrupt, outputFailure, writeOut } from './interrupt.js';
import { isRoot } from '../kit/requirements.js';
import { humanListener, isReporterName, waitingLine, render, summaryLine, REPORTERS, type ReporterName } from './report/index.js';
import type { Lab, LabResult, Lang, PlannedLab, Report, RunListener } from '../core/model.js';

/** The longest piece of user input an error message echoes (longer input is cut with "…"). */
export const ECHO_MAX = 40;

/**
 * User input as an error message shows it: quoted, cut to ECHO_MAX characters, and with control
 * characters escaped (JSON string syntax), so that no argument can flood or repaint the terminal.
 */
export function echo(input: string): string {
  const chars = [...input];
  const cut = chars.length > ECHO_MAX ? `${chars.slice(0, ECHO_MAX).join('')}…` : input;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A mistake in how nslab was called: one sentence, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Options {
  lang: Lang;
  reporter: ReporterName;
  all: boolean;
  help: boolean;
  version: boolean;
  /** tour: forget the progress remembered between sessions. */
  reset: boolean;
  /** run/verify/shell inside a throw-away VM on a stock kernel (runner/vm). */
  vm: boolean;
  positional: string[];
}

const HELP: Record<string, string> = {
  main: `nslab ${version()} — replay the kernel experiments under Docker on your own kernel

Usage:
  nslab                      guided walkthrough (the same as nslab tour)
  nslab list                 the labs and whether they are available
  nslab run <lab...>         run labs with explanations, commands and checks
  nslab verify [<lab...>|--all] [--reporter human|json|tap|junit]
                             CI mode: checks only; exit 1 if any check failed
  nslab doctor               can each lab run here, and if not, why
  nslab shell <lab>          a shell inside the lab's container (torn down on exit)
  nslab clean                remove what an interrupted or crashed run left behind
  nslab vm prepare           fetch and cache the kernel that --vm boots (progress bar)

Options:
  --lang en|zh               language of explanations (default from LANG)
  --vm                       run, verify or shell inside a disposable VM on a stock kernel
  -h, --help                 help for a command (nslab run --help)
  -V, --version              print the version

Labs are named by id (01-uts), number (1) or name (uts). Most need root: sudo npx nslab run 01-uts`,
  list: 'nslab list — show every lab of the catalogue, in order, and whether this version has it.',
  run: `nslab run <lab...> [--lang en|zh]
Runs each lab step by step: what the step shows (in English or Chinese), the article's
command beside today's equivalent, the commands run and their real output, and the checks
(observed vs expected). Exit status: 0 all checks passed, 1 a check failed, 4 a lab was skipped.`,
  verify: `nslab verify [<lab...>|--all] [--reporter human|json|tap|junit]
Runs the labs without prose and reports every check. Skipped labs are listed with the reason.
Exit status: 0 no check failed, 1 a check failed, 2 bad usage.`,
  doctor: 'nslab doctor — for every lab, whether it can run on this machine, and if not, why and what to do.',
  shell: `nslab shell <lab>
Builds the lab's container and starts an interactive shell inside it, the way the article
always ends in /bin/bash. Everything is removed when the shell exits.`,
  vm: `nslab vm prepare
Builds the cache the --vm option boots from (/var/cache/nslab/vm): this host's /boot kernel
when its modules have what the labs need, otherwise the kernel package linux-image-amd64
depends on, fetched with apt-get download and unpacked there (never installed). With --vm,
run, verify and shell boot that kernel under qemu (KVM when usable, else TCG emulation), share
the host's root read-only, give the VM no network device, run the same nslab inside and exit
with its verdict; a VM that panics, hangs (NSLAB_VM_TIMEOUT seconds, default 900) or leaves no
result is an error.`,
  clean: `nslab clean — remove what interrupted or crashed runs left behind: processes, mounts, cgroups,
network namespaces, loop and dm devices, queues and directories. Only objects that prove they are a dead
run's are removed (journal entries are checked, names must carry the run's token); live runs are left
alone, and objects of a dead run that lost its journal are found by their names.`,
  tour: `nslab tour [lab] [--lang en|zh] [--reset]
The guided walkthrough: the labs with their state on this machine, then one lab a step at a
time (Enter runs a step, a runs the rest, r re-runs, s opens a shell, l switches language,
? lists the keys, q goes back, Ctrl-C cleans up and quits). Progress is remembered in
$XDG_STATE_HOME/nslab/progress.json (~/.local/state/nslab); --reset forgets it.
When stdout is not a terminal it prints what nslab run would (all available labs by default).`,
};

function defaultLang(): Lang {
  const env = process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '';
  return env.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { lang: defaultLang(), reporter: 'human', all: false, help: false, version: false, reset: false, vm: false, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value.`); // flag is a known option here
      return v;
    };
    switch (flag) {
      case '--lang': {
        const v = value();
        if (v !== 'en' && v !== 'zh') throw new UsageError(`--lang takes en or zh, not ${echo(v)}.`);
        o.lang = v;
        break;
      }
      case '--reporter': {
        const v = value();
        if (!isReporterName(v)) throw new UsageError(`Unknown reporter ${echo(v)}: use one of ${REPORTERS.join(', ')}.`);
        o.reporter = v;
        break;
      }
      case '--all':
        o.all = true;
        break;
      case '--reset':
        o.reset = true;
        break;
      case '--vm':
        o.vm = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-V':
      case '--version':
        o.version = true;
        break;
      default:
        if (flag.startsWith('-')) throw new UsageError(`Unknown option ${echo(flag)}: see nslab --help.`);
        o.positional.push(a);
    }
  }
  return o;
}

/** Resolve lab names; an unknown one is a usage error that suggests the nearest id. */
export function resolveLabs(names: readonly string[]): (Lab | PlannedLab)[] {
  return names.map((n) => {
    const lab = findLab(n);
    if (!lab) throw new UsageError(`There is no lab ${echo(n)}; did you mean ${nearestId(n)}? (nslab list shows them all)`);
    return lab;
  });
}

function implemented(labs: readonly (Lab | PlannedLab)[], command: string): Lab[] {
  const planned = labs.filter(isPlanned);
  if (planned.length > 0 && command !== 'verify') {
    throw new UsageError(`Lab ${planned.map((l) => l.id).join(', ')} is not yet available in nslab ${version()}; nslab list shows which labs are.`, 4);
  }
  return labs.filter((l): l is Lab => !isPlanned(l));
}

function requireRoot(labs: readonly (Lab | PlannedLab)[], command: string, names: readonly string[]): void {
  const needs = labs.filter((l) => !isPlanned(l) && l.requirements.some((r) => r.id === 'root'));
  if (needs.length > 0 && !isRoot()) {
    throw new UsageError(
      `nslab ${command} ${needs.map((l) => l.id).join(' ')} needs root to create namespaces and mounts: run it with sudo (sudo npx nslab ${command} ${names.join(' ')}).`,
      1,
    );
  }
}

function plannedResult(l: PlannedLab, lang: Lang): LabResult {
  return { id: l.id, title: l.title[lang], status: 'skipped', reason: 'not yet available in this version of nslab', steps: [] };
}

type Out = (s: string) => void;

async function runMany(labs: readonly (Lab | PlannedLab)[], o: Options, listener: RunListener): Promise<{ report: Report; interrupted?: NodeJS.Signals }> {
  const interrupt = onInterrupt((line) => writeOut('stderr', `\n${line}\n`));
  const results: LabResult[] = [];
  try {
    for (const l of labs) {
      if (interrupt.signal.aborted) break;
      if (isPlanned(l)) {
        const r = plannedResult(l, o.lang);
        listener({ type: 'lab-skipped', lab: l as unknown as Lab, reason: r.reason! });
        results.push(r);
        continue;
      }
      results.push(await runLab(l, { lang: o.lang, listener, signal: interrupt.signal }));
    }
  } finally {
    interrupt.dispose();
  }
  const received = interrupt.received();
  return { report: { nslab: version(), host: hostInfo(), labs: results }, ...(received ? { interrupted: received } : {}) };
}

function listCommand(o: Options, out: Out): number {
  for (const l of registry) {
    const state = isPlanned(l) ? 'not yet available' : 'available';
    out(`${l.id.padEnd(20)} ${l.title[o.lang].padEnd(52)} ${state}`);
  }
  return 0;
}

async function runCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length === 0) throw new UsageError('nslab run needs a lab, e.g. nslab run 01-uts (nslab list shows them all).');
  const labs = implemented(resolveLabs(o.positional), 'run');
  requireRoot(labs, 'run', o.positional);
  if (o.vm) return inVm('run', labs, o, out);
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const { report, interrupted } = await runMany(labs, o, humanListener({ lang: o.lang, out, color, prose: true }));
  out('');
  out(summaryLine(report));
  if (interrupted) return exitCodeFor(interrupted);
  if (report.labs.some((l) => l.status === 'failed')) return 1;
  if (report.labs.some((l) => l.status === 'skipped')) return 4;
  return 0;
}

async function verifyCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length === 0 && !o.all) throw new UsageError('nslab verify needs labs or --all, e.g. nslab verify --all --reporter tap.');
  const labs = o.all ? [...registry] : resolveLabs(o.positional);
  requireRoot(labs, 'verify', o.all ? ['--all'] : o.positional);
  if (o.vm) return inVm('verify', labs, o, out);
  const human = o.reporter === 'human';
  const color = human && process.stdout.isTTY === true && !process.env.NO_COLOR;
  // Machine reporters keep stdout for the document; progress goes nowhere.
  // Machine reporters keep stdout for the document; a wait for another run is said on stderr.
  const listener: RunListener = human
    ? humanListener({ lang: o.lang, out, color, prose: false })
    : (ev) => {
        if (ev.type === 'waiting') writeOut('stderr', `nslab: ${waitingLine(ev, o.lang)}\n`);
      };
  const { report, interrupted } = await runMany(labs, o, listener);
  if (human) out(summaryLine(report));
  else out(render(o.reporter as Exclude<ReporterName, 'human'>, report).replace(/\n$/, ''));
  if (interrupted) return exitCodeFor(interrupted);
  return report.labs.some((l) => l.status === 'failed') ? 1 : 0;
}

async function doctorCommand(_o: Options, out: Out): Promise<number> {
  await (await import('./doctor.js')).doctor(out);
  return 0;
}

/** --vm: the same command, run by the nslab inside a disposable VM (runner/vm). */
async function inVm(command: 'run' | 'verify' | 'shell', labs: readonly (Lab | PlannedLab)[], o: Options, out: Out): Promise<number> {
  const { runInVm } = await import('./vm/index.js');
  return runInVm({ command, labs, all: o.all, lang: o.lang, reporter: o.reporter }, out);
}

async function vmCommand(o: Options, out: Out): Promise<number> {
  if (o.positional[0] !== 'prepare') throw new UsageError('nslab vm takes one subcommand: nslab vm prepare.');
  return (await import('./vm/index.js')).vmPrepare(out);
}

function cleanCommand(_o: Options, out: Out): number {
  if (!isRoot()) throw new UsageError('nslab clean removes mounts and processes a run left behind and needs root: sudo npx nslab clean.', 1);
  ensureRunDir();
  const r = recoverAll();
  for (const line of r.live) out(`left alone: ${line} is still running`);
  for (const line of r.bad) out(`skipped a journal line: ${line}`);
  for (const line of r.removed) out(`removed ${line}`);
  for (const line of r.errors) out(`could not remove ${line}`);
  if (r.removed.length === 0 && r.errors.length === 0 && r.bad.length === 0) out(r.live.length > 0 ? 'nothing else to clean: no finished run left anything behind' : 'nothing to clean: no run left anything behind');
  return r.errors.length > 0 ? 1 : 0;
}

async function shellCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length !== 1) throw new UsageError('nslab shell takes exactly one lab, e.g. nslab shell 01-uts.');
  const [lab] = implemented(resolveLabs(o.positional), 'shell');
  requireRoot([lab!], 'shell', o.positional);
  if (!lab!.shell) throw new UsageError(`Lab ${lab!.id} builds no container to open a shell in.`, 4);
  if (o.vm) return inVm('shell', [lab!], o, out);
  const interrupt = onInterrupt(() => undefined); // Ctrl-C belongs to the shell; we clean up after it
  let code: number;
  try {
    const started = openShell(lab!, { lang: o.lang, signal: interrupt.signal });
    out(`nslab: a shell inside the ${lab!.id} container; exit to tear it down.`);
    const r = await started;
    for (const e of r.errors) out(`could not remove ${e}`);
    out(`nslab: ${lab!.id} container removed.`);
    code = r.code;
  } catch (e) {
    if (e instanceof ShellUnavailable) throw new UsageError(`Lab ${lab!.id} cannot run here: ${e.message}.`, 4);
    throw e;
  } finally {
    interrupt.dispose();
  }
  const received = interrupt.received();
  return received && received !== 'SIGINT' ? exitCodeFor(received) : code;
}

async function tourCommand(o: Options, out: Out): Promise<number> {
  const { progressFile, resetProgress } = await import('./tui/progress.js');
  if (o.reset) resetProgress(progressFile());
  const chosen = resolveLabs(o.positional);
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
    // Plain text: the tour is `nslab run` on the chosen labs, or on every available one.
    const labs = chosen.length > 0 ? chosen : registry.filter((l) => !isPlanned(l));
    return runCommand({ ...o, positional: labs.map((l) => l.id) }, out);
  }
  if (chosen.length > 1) throw new UsageError('nslab tour opens one lab at a time, e.g. nslab tour 01-uts.');
  const common = {
    entries: registry,
    lang: o.lang,
    version: version(),
    progressFile: progressFile(),
    color: !process.env.NO_COLOR && process.env.TERM !== 'dumb',
  };
  // The list appears at once; React and Ink load behind it.
  const { paintFirstFrame } = await import('./tui/first-frame.js');
  const painted = chosen.length === 0 ? paintFirstFrame(common) : 0;
  const { openTour } = await import('./tui/index.js');
  return openTour({ ...common, painted, ...(chosen[0] ? { initialLab: chosen[0].id } : {}) });
}

/**
 * The whole command line. Output goes through `out` (stdout by default); a write error on stdout
 * or stderr (EPIPE, ENOSPC, …) stops a running lab like Ctrl-C does, the engine unwinds it, and
 * main returns 141 for a closed pipe or 1 for another write error, with nothing more written to
 * the broken stream (see interrupt.ts).
 */
export async function main(argv: readonly string[], out: Out = (s) => writeOut('stdout', `${s}\n`)): Promise<number> {
  guardOutput();
  const code = await command(argv, out);
  const broken = outputFailure();
  if (!broken) return code;
  const line = describeFailure(broken);
  if (line !== undefined && !isBroken('stderr')) writeOut('stderr', `${line}\n`);
  return exitCodeForFailure(broken);
}

async function command(argv: readonly string[], out: Out): Promise<number> {
  try {
    const o = parseArgs(argv);
    const command = o.positional.shift() ?? 'tour';
    if (o.version) {
      out(version());
      return 0;
    }
    if (o.help) {
      out(HELP[command] ?? HELP.main!);
      return 0;
    }
    if (command === 'help') {
      out(HELP[o.positional[0] ?? 'main'] ?? HELP.main!);
      return 0;
    }
    switch (command) {
      case 'list':
        return listCommand(o, out);
      case 'run':
        return await runCommand(o, out);
      case 'verify':
        return await verifyCommand(o, out);
      case 'doctor':
        return await doctorCommand(o, out);
      case 'clean':
        return cleanCommand(o, out);
      case 'shell':
        return await shellCommand(o, out);
      case 'tour':
        return await tourCommand(o, out);
      case 'vm':
        return await vmCommand(o, out);
      default: {
        const lab = findLab(command);
        if (lab) throw new UsageError(`Unknown command ${echo(command)}; to run that lab: nslab run ${lab.id}.`);
        throw new UsageError(`Unknown command ${echo(command)}: use list, run, verify, doctor, shell or clean (nslab --help).`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      writeOut('stderr', `nslab: ${e.message}\n`);
      return e.exitCode;
    }
    writeOut('stderr', `nslab: ${(e as Error).message}\n`);
    return 1;
  }
}

