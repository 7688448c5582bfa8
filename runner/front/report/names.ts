// The reporter names `--reporter` takes: apart from the reporters themselves, so that the
// command line can check an option without loading them.
export type ReporterName = 'human' | 'json' | 'tap' | 'junit';

export const REPORTERS: readonly ReporterName[] = ['human', 'json', 'tap', 'junit'];

export function isReporterName(s: string): s is ReporterName {
  return (REPORTERS as readonly string[]).includes(s);
}
