// The ordered catalogue of every lab (../shared/LABS.md): cheap to import, no lab's code is
// loaded until loadLab asks for it. A lab that is not built yet would be listed as a
// PlannedLab ({ id, title, planned: true }) and never reported as passing.
import type { About, Lab, PlannedLab } from '../runner/core/model.js';

/** The registry: one line per lab, in order; a lab's folder name is its id. */
const registry = () => [
  import('./01-uts/about.js'),
  import('./02-ipc/about.js'),
  import('./03-pid/about.js'),
  import('./04-mount/about.js'),
  import('./05-rootfs/about.js'),
  import('./06-ns-files/about.js'),
  import('./07-user-namespace/about.js'),
  import('./08-network/about.js'),
  import('./09-cgroups/about.js'),
  import('./10-cgroup-v2/about.js'),
  import('./11-aufs/about.js'),
  import('./12-devicemapper/about.js'),
  import('./13-capstone/about.js'),
];

/**
 * The build (`npm run build:ts`: tsc, then scripts/catalogue.mjs) writes every lab's about, in
 * registry order, into one module, dist/labs/catalogue.js: `nslab list` then loads one small
 * file instead of one per lab (each module costs about 2 ms at start-up). Without it (a bare
 * tsc), or with NSLAB_CATALOGUE=modules, the about files are imported one by one.
 * test/unit/registry.test.ts fails when the two disagree.
 */
async function load(): Promise<readonly (About | PlannedLab)[]> {
  if (process.env.NSLAB_CATALOGUE !== 'modules') {
    const built = './catalogue.js'; // generated: not known to tsc
    try {
      return ((await import(built)) as { default: readonly (About | PlannedLab)[] }).default;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  return (await Promise.all(registry())).map((m) => m.about);
}

/** The catalogue: what list, the tour's menu and doctor need, without loading any lab's code. */
export const catalogue: readonly (About | PlannedLab)[] = await load();

/** Load a lab's code (labs/<id>/index.ts) the first time it is needed. */
export async function loadLab(about: About): Promise<Lab> {
  const { lab } = (await import(`./${about.id}/index.js`)) as { lab: Lab };
  if (lab.id !== about.id) throw new Error(`labs/${about.id}/index.ts exports lab ${lab.id}`);
  return lab;
}

/** True for a catalogue entry that is only planned (never run, never reported as passing). */
export function isPlanned(e: About | Lab | PlannedLab): e is PlannedLab {
  return (e as PlannedLab).planned === true;
}

/** Every built lab of the catalogue, loaded (doctor and the tests that walk all labs). */
export function loadAllLabs(): Promise<Lab[]> {
  return Promise.all(catalogue.filter((a): a is About => !isPlanned(a)).map(loadLab));
}

export function labIds(): string[] {
  return catalogue.map((l) => l.id);
}

/** Find a lab by id, by its number ("1", "01") or by its name ("uts"). */
export function findLab(query: string): About | PlannedLab | undefined {
  const q = query.trim().toLowerCase();
  return catalogue.find((l) => {
    const [num, ...rest] = l.id.split('-');
    return l.id === q || num === q.padStart(2, '0') || rest.join('-') === q;
  });
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** The id closest to a mistyped one. */
export function nearestId(query: string): string {
  const q = query.toLowerCase();
  let best = catalogue[0]!.id;
  let bestD = Infinity;
  for (const l of catalogue) {
    const name = l.id.slice(3);
    const d = Math.min(distance(q, l.id), distance(q, name));
    if (d < bestD) [best, bestD] = [l.id, d];
  }
  return best;
}
