// What every command shares: the parsed options, the output function, and the one-sentence
// usage error (exit 2 unless said otherwise) that echoes user input safely.
import type { Lang, Text } from '../../core/model.js';
import type { ReporterName } from '../report/names.js';

export interface Options {
  lang: Lang;
  reporter: ReporterName;
  all: boolean;
  help: boolean;
  version: boolean;
  /** tour: forget the progress remembered between sessions. */
  reset: boolean;
  /** run/verify/shell/try inside a throw-away VM on a stock kernel (runner/vm). */
  vm: boolean;
  /** try: list every exercise and what is done. */
  list?: boolean;
  /** try: print the exercise's reference solution. */
  solution?: boolean;
  /** try: run this file's commands (- for stdin) in the playground instead of a shell, then check. */
  script?: string;
  /** try: this machine's exercise results as json or junit. */
  report?: string;
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

/**
 * A pair of sentences (model.ts's `t`, repeated here: the command line's cold path loads no
 * module of the core).
 */
export const t = (en: string, zh: string): Text => ({ en, zh });

/** A mistake in how nslab was called: one sentence in both languages, exit code 2. */
export class UsageError extends Error {
  readonly text: Text;
  constructor(
    message: Text,
    readonly exitCode = 2,
  ) {
    super(message.en);
    this.text = message;
    this.name = 'UsageError';
  }
}

/** The words of a thrown value in `lang`: a UsageError's or LabError's own, else the system's. */
export function messageOf(e: unknown, lang: Lang): string {
  const text = e instanceof Error && 'text' in e ? (e as { text: unknown }).text : undefined;
  if (text instanceof Object && typeof (text as Text).en === 'string' && typeof (text as Text).zh === 'string') return (text as Text)[lang];
  return e instanceof Error ? e.message : String(e);
}

/** The language nslab speaks when --lang is not given: Chinese when the locale is. */
export function defaultLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const v = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return v.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/**
 * The language of a command line before it is parsed (an error in parsing it is said in it):
 * the last valid --lang, else the locale's.
 */
export function langOf(argv: readonly string[]): Lang {
  let lang = defaultLang();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    const v = a === '--lang' ? argv[i + 1] : a.startsWith('--lang=') ? a.slice('--lang='.length) : undefined;
    if (v === 'en' || v === 'zh') lang = v;
  }
  return lang;
}
