// Where does a process land when it joins another's mount namespace? A copy of nslab's static
// probe in the playground's working directory runs only where the playground's tree is the root:
// joined from the playground itself it must run (else the answer tells nothing), joined from a
// process that pivoted or chrooted away it is not found (ENOENT).
import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { NsError, probePath } from '../../addon/index.js';
import type { PlaygroundView } from '../core/exercise.js';

export type Landing = 'playground-root' | 'elsewhere' | 'unknown';

/** The probe copy's name in the working directory: on the playground's tree, never in an image. */
export const LANDING_PROBE = '.nslab-probe';

/** Put the probe copy in an exercise's working directory (its setup). */
export function placeLandingProbe(dir: string): void {
  copyFileSync(probePath(), join(dir, LANDING_PROBE));
  chmodSync(join(dir, LANDING_PROBE), 0o755);
}

/** What a process that joins `pid`'s mount namespace finds at /. */
export async function landing(pg: PlaygroundView, pid: number): Promise<Landing> {
  const probe = join(pg.dir, LANDING_PROBE);
  const runs = async (who: number): Promise<boolean | undefined> => {
    try {
      await pg.runIn(who, ['mnt'], [probe]);
      return true;
    } catch (e) {
      return e instanceof NsError && e.code === 'ENOENT' ? false : undefined;
    }
  };
  if ((await runs(pg.init)) !== true) return 'unknown';
  const there = await runs(pid);
  return there === true ? 'playground-root' : there === false ? 'elsewhere' : 'unknown';
}
