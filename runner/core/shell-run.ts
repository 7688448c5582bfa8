// `nslab shell <lab>` and the tour's shell key: the lab's container with an interactive shell as
// its process, set up and torn down like a lab run (requirements, recovery, a claimed run, its
// cleanup stack). The CLI and the TUI both call this; neither assembles a shell run itself.
import { recoverAll } from './cleanup.js';
import { LabContext } from './context.js';
import { checkRequirements } from './engine.js';
import type { Lab, Lang, Text } from './model.js';
import { ensureRunDir } from './paths.js';

/** Why a shell could not be opened: the lab has none, or a requirement is not met here. */
export class ShellUnavailable extends Error {
  constructor(
    readonly reason: Text,
    readonly remedy?: Text,
  ) {
    super(remedy !== undefined ? `${reason.en}; ${remedy.en}` : reason.en);
    this.name = 'ShellUnavailable';
  }
}

export interface ShellRun {
  /** The shell's exit status. */
  readonly code: number;
  /** What the unwind removed, and what it could not (each with its reason). */
  readonly removed: string[];
  readonly errors: string[];
}

/**
 * Build the lab's container with a shell in it, wait for the shell to exit, then remove
 * everything. `signal` is the caller's: Ctrl-C belongs to the shell, so callers usually pass
 * one that only SIGTERM/SIGHUP abort.
 */
export async function openShell(
  lab: Lab,
  opts: { readonly lang: Lang; readonly signal: AbortSignal; /** The lab's log lines while it builds the shell's container. */ readonly onLog?: (line: string) => void },
): Promise<ShellRun> {
  if (!lab.shell)
    throw new ShellUnavailable({ en: `lab ${lab.id} builds no container to open a shell in`, zh: `实验 ${lab.id} 没有可以打开 shell 的容器` });
  const req = await checkRequirements(lab);
  if (!req.ok) throw new ShellUnavailable(req.reason, req.remedy);
  ensureRunDir();
  recoverAll(opts.lang); // what a crashed run left goes before we create anything
  const onLog = opts.onLog;
  const ctx = new LabContext(lab, opts.lang, opts.signal, (ev) => {
    if (ev.type === 'log' && onLog) for (const line of ev.line.split('\n')) onLog(line);
  });
  let code: number;
  try {
    code = await lab.shell.open(ctx.forStep(lab.steps[0]!, { transcripts: [], measurements: {} }));
  } catch (e) {
    const left = ctx.finish().errors;
    if (left.length > 0) (e as Error).message += ` (and could not remove: ${left.join('; ')})`;
    throw e;
  }
  return { code, ...ctx.finish() };
}
