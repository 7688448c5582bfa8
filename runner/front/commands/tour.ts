// nslab (nslab tour): the guided walkthrough. In a terminal the list is painted and answers keys
// at once, while React, Ink and the TUI load behind it; without one, it is nslab run.
import { catalogue, isPlanned, loadLab } from '../../../labs/index.js';
import { version } from './version.js';
import { progressFile, resetProgress } from '../tui/progress.js';
import { resolveLabs } from './labs.js';
import { t, UsageError, type Options, type Out } from './usage.js';

export async function tourCommand(o: Options, out: Out): Promise<number> {
  if (o.reset) resetProgress(progressFile());
  const chosen = resolveLabs(o.positional);
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
    // Plain text: the tour is `nslab run` on the chosen labs, or on every available one.
    const labs = chosen.length > 0 ? chosen : catalogue.filter((l) => !isPlanned(l));
    return (await import('./run.js')).runCommand({ ...o, positional: labs.map((l) => l.id) }, out);
  }
  if (chosen.length > 1) throw new UsageError(t('nslab tour opens one lab at a time, e.g. nslab tour 01-uts.', 'nslab tour 一次只打开一个实验，例如 nslab tour 01-uts。'));
  const common = {
    entries: catalogue,
    lang: o.lang,
    version: version(),
    progressFile: progressFile(),
    color: !process.env.NO_COLOR && process.env.TERM !== 'dumb',
  };
  // A lab's code loads beside Ink as soon as it is chosen (App reports a failure to load it).
  const preload = (id: string) => {
    const about = catalogue.find((l) => l.id === id);
    if (about && !isPlanned(about)) loadLab(about).catch(() => undefined);
  };
  const first = chosen[0];
  if (first) preload(first.id);
  const menu = first ? undefined : (await import('../tui/first-frame.js')).openEarlyMenu({ ...common, onOpen: preload });
  const tui = import('../tui/index.js');
  try {
    if (menu) {
      const quit = await Promise.race([menu.quit, tui.then(() => undefined)]);
      if (quit !== undefined) return quit; // q or Ctrl-C before Ink was needed
    }
    const { openTour } = await tui;
    const handed = await menu?.handOff();
    const initialLab = handed?.state.open ?? first?.id;
    return await openTour({
      ...common,
      lang: handed?.state.lang ?? o.lang,
      painted: handed?.painted ?? 0,
      ...(initialLab ? { initialLab } : {}),
      ...(handed ? { initial: { selected: handed.state.selected, help: handed.state.help, ...(handed.state.note ? { note: handed.state.note } : {}) } } : {}),
    });
  } catch (e) {
    menu?.close();
    throw e;
  }
}
