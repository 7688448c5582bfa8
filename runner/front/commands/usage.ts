// What every command shares: the parsed options, the output function, and the one-sentence
// usage error (exit 2 unless said otherwise) that echoes user input safely.
import type { Lang } from '../../core/model.js';
import type { ReporterName } from '../report/names.js';

export interface Options {
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

/** Receives one line, without its newline. */
export type Out = (s: string) => void;

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
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
