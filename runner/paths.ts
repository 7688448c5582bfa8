// Where nslab keeps its run-time state on the host: journals of what each run created (so a
// later run can remove what a crashed one left) and the labs' scratch directories.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The base directory; NSLAB_RUN_DIR moves it (tests use that). */
export function runDir(): string {
  return process.env.NSLAB_RUN_DIR ?? '/run/nslab';
}

export function journalDir(): string {
  return join(runDir(), 'journal');
}

/** Field 22 of /proc/PID/stat: the start time that tells a PID from a reused one. */
export function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterComm[19];
  } catch {
    return undefined;
  }
}

/** A name unique to this process, stable across its life. */
export function runId(): string {
  return `${process.pid}-${startTime('self') ?? '0'}`;
}
