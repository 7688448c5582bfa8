// From the names on the command line to labs: looked up in the catalogue (no lab code loaded),
// then only the chosen labs' code is loaded, for the commands that run them.
import { findLab, isPlanned, loadLab, nearestId } from '../../../labs/index.js';
import type { About, Lab, PlannedLab } from '../../core/model.js';
import { version } from './version.js';
import { echo, t, UsageError } from './usage.js';

/** Resolve lab names; an unknown one is a usage error that suggests the nearest id. */
export function resolveLabs(names: readonly string[]): (About | PlannedLab)[] {
  return names.map((n) => {
    const lab = findLab(n);
    if (!lab) {
      const name = echo(n);
      const near = nearestId(n);
      throw new UsageError(t(`There is no lab ${name}; did you mean ${near}? (nslab list shows them all)`, `没有实验 ${name}；你是不是想找 ${near}？（nslab list 会列出所有实验）`));
    }
    return lab;
  });
}

/** Load the labs' code; planned labs stay as they are (verify reports them skipped). */
export function loadLabs(labs: readonly (About | PlannedLab)[]): Promise<(Lab | PlannedLab)[]> {
  return Promise.all(labs.map((l) => (isPlanned(l) ? l : loadLab(l))));
}

/** The labs' code, for a command that cannot run a planned lab (exit 4 when one is named). */
export function loadImplemented(labs: readonly (About | PlannedLab)[]): Promise<Lab[]> {
  const planned = labs.filter(isPlanned);
  if (planned.length > 0) {
    const ids = planned.map((l) => l.id);
    throw new UsageError(
      t(`Lab ${ids.join(', ')} is not yet available in nslab ${version()}; nslab list shows which labs are.`, `实验 ${ids.join('、')} 在 nslab ${version()} 中尚未提供；nslab list 会列出已提供的实验。`),
      4,
    );
  }
  return Promise.all(labs.map((l) => loadLab(l as About)));
}
