// nslab shell <lab>: an interactive shell inside the lab's container, torn down when it exits.
import { openShell, ShellUnavailable } from '../../core/shell-run.js';
import { exitCodeFor, onInterrupt } from '../interrupt.js';
import { loadImplemented, resolveLabs } from './labs.js';
import { inVm, requireRoot } from './run.js';
import { UsageError, type Options, type Out } from './usage.js';

export async function shellCommand(o: Options, out: Out): Promise<number> {
  if (o.positional.length !== 1) throw new UsageError('nslab shell takes exactly one lab, e.g. nslab shell 01-uts.');
  const [lab] = await loadImplemented(resolveLabs(o.positional));
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
