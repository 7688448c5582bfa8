// The nslab command line: list, run, verify, doctor, shell, clean (and the guided tour).
// Cold start matters (`nslab list` and `--version` should cost little more than node itself):
// this module loads only the catalogue and small helpers; each command loads what it needs
// (the engine, the reporters, a lab's code, React and Ink) when it runs.
import { parseArgs as parseArgv } from 'node:util';
import type { Lang } from '../core/model.js';
import { version } from './commands/version.js';
import { describeFailure, exitCodeForFailure, guardOutput, isBroken, outputFailure, writeOut } from './interrupt.js';
import { isReporterName, REPORTERS } from './report/names.js';
import { echo, UsageError, type Options, type Out } from './commands/usage.js';

export { echo, ECHO_MAX, UsageError, type Options } from './commands/usage.js';

/** Help for each command (built when asked for: its first line reads the version). */
const HELP = (): Record<string, string> => ({
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
});


function helpFor(topic: string | undefined): string {
  const help = HELP();
  return help[topic ?? 'main'] ?? help.main!;
}

function defaultLang(): Lang {
  const env = process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '';
  return env.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** The options nslab knows; anything else on the command line is a usage error. */
const OPTIONS = {
  lang: { type: 'string' },
  reporter: { type: 'string' },
  all: { type: 'boolean' },
  reset: { type: 'boolean' },
  vm: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/**
 * The command line as Options. Node's util.parseArgs splits it into tokens (in order, so the
 * first mistake is the one reported); nslab's own checks turn a bad token into one sentence.
 */
export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { lang: defaultLang(), reporter: 'human', all: false, help: false, version: false, reset: false, vm: false, positional: [] };
  const { tokens } = parseArgv({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional') {
      o.positional.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue; // "--": what follows is positional (POSIX)
    switch (t.name) {
      case 'lang': {
        if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value.`);
        if (t.value !== 'en' && t.value !== 'zh') throw new UsageError(`--lang takes en or zh, not ${echo(t.value)}.`);
        o.lang = t.value;
        break;
      }
      case 'reporter': {
        if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value.`);
        if (!isReporterName(t.value)) throw new UsageError(`Unknown reporter ${echo(t.value)}: use one of ${REPORTERS.join(', ')}.`);
        o.reporter = t.value;
        break;
      }
      case 'all':
      case 'reset':
      case 'vm':
      case 'help':
      case 'version':
        o[t.name] = true;
        break;
      default: // a short option in a group (-hx) is named by the whole group, as typed
        throw new UsageError(`Unknown option ${echo(t.rawName.startsWith('--') ? t.rawName : argv[t.index]!)}: see nslab --help.`);
    }
  }
  return o;
}

/** `nslab list`: the catalogue only, no lab's code. */
async function listCommand(o: Options, out: Out): Promise<number> {
  const { catalogue, isPlanned } = await import('../../labs/index.js');
  for (const l of catalogue) out(`${l.id.padEnd(20)} ${l.title[o.lang].padEnd(52)} ${isPlanned(l) ? 'not yet available' : 'available'}`);
  return 0;
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
      out(helpFor(command));
      return 0;
    }
    switch (command) {
      case 'help':
        out(helpFor(o.positional[0]));
        return 0;
      case 'list':
        return await listCommand(o, out);
      case 'run':
        return await (await import('./commands/run.js')).runCommand(o, out);
      case 'verify':
        return await (await import('./commands/run.js')).verifyCommand(o, out);
      case 'vm':
        return await (await import('./commands/run.js')).vmCommand(o, out);
      case 'doctor':
        await (await import('./doctor.js')).doctor(out);
        return 0;
      case 'clean':
        return (await import('./commands/clean.js')).cleanCommand(out);
      case 'shell':
        return await (await import('./commands/shell.js')).shellCommand(o, out);
      case 'tour':
        return await (await import('./commands/tour.js')).tourCommand(o, out);
      default: {
        const { findLab } = await import('../../labs/index.js');
        const lab = findLab(command);
        if (lab) throw new UsageError(`Unknown command ${echo(command)}; to run that lab: nslab run ${lab.id}.`);
        throw new UsageError(`Unknown command ${echo(command)}: use list, run, verify, doctor, shell or clean (nslab --help).`);
      }
    }
  } catch (e) {
    writeOut('stderr', `nslab: ${(e as Error).message}\n`);
    return e instanceof UsageError ? e.exitCode : 1;
  }
}
