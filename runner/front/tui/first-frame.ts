// The tour's menu before React and Ink have loaded (loading them takes longer than a learner
// should wait): the lab list is painted at once, and the list's keys (↑↓ j k, digits, ?, l,
// Enter, q, Esc, Ctrl-C) are answered here, with the same screens as the App draws from the
// same functions. When Ink is ready the menu hands over what the learner chose (selection,
// language, help, a lab to open) and its screen; Ink's first frame replaces it line for line.
import type { Lang } from '../../core/model.js';
import { exitCodeFor } from '../interrupt.js';
import { isPlanned } from '../../../labs/index.js';
import { labState, MAX_WIDTH, menuLines, paint, plannedNote, type ListEntry } from './format.js';
import { loadProgress } from './progress.js';

export interface FirstFrame {
  readonly entries: readonly ListEntry[];
  readonly lang: Lang;
  readonly version: string;
  readonly progressFile: string;
  readonly color: boolean;
  /** Enter was pressed on this lab (its code can start loading). */
  readonly onOpen?: (id: string) => void;
}

/** What the learner did in the menu before Ink took over. */
export interface MenuState {
  readonly selected: number;
  readonly lang: Lang;
  readonly help: boolean;
  readonly note?: string;
  /** Enter was pressed on this lab: the tour opens it. */
  readonly open?: string;
}

export interface EarlyMenu {
  /** Settles with the exit code when the learner quits (q, Esc, Ctrl-C, a signal) before Ink is ready. */
  readonly quit: Promise<number>;
  /**
   * Stop answering keys (they wait in the terminal for Ink); resolves with the state and the lines
   * painted once stdin has stopped reading, so that Ink's input hook starts it again.
   */
  handOff(): Promise<{ readonly state: MenuState; readonly painted: number }>;
  /** Stop and give the terminal back as it was (the tour could not start). */
  close(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const UP = new Set(['\x1b[A', '\x1bOA', 'k']);
const DOWN = new Set(['\x1b[B', '\x1bOB', 'j']);

/** Split raw terminal input into keys: escape sequences whole, a lone ESC as Escape. */
export function splitKeys(s: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < s.length; ) {
    const seq = s[i] === '\x1b' ? /^\x1b(?:\[[0-9;?]*[ -/]*[@-~]|O[A-Za-z])/.exec(s.slice(i))?.[0] : undefined;
    const k = seq ?? String.fromCodePoint(s.codePointAt(i)!);
    keys.push(k);
    i += k.length;
  }
  return keys;
}

/** Move back over a painted frame and erase it (what Ink's log-update does between frames). */
export function eraseFrame(lines: number): string {
  let s = '';
  for (let i = 0; i <= lines; i++) s += `\x1b[2K${i < lines ? '\x1b[1A' : ''}`;
  return `${s}\x1b[G`;
}

/** Paint the lab list and answer the list's keys until Ink takes over (see EarlyMenu). */
export function openEarlyMenu(f: FirstFrame, out: NodeJS.WriteStream = process.stdout, input: NodeJS.ReadStream = process.stdin): EarlyMenu {
  const progress = loadProgress(f.progressFile);
  const states = f.entries.map((e) => labState(e, progress, 'pending'));
  let state: MenuState = { selected: 0, lang: f.lang, help: false };
  let painted = 0;
  let shown = '';
  let reading = false;
  let settle: (code: number) => void = () => undefined;
  const quit = new Promise<number>((resolve) => (settle = resolve));

  const paintMenu = () => {
    const width = (out.columns || MAX_WIDTH) - 1; // the list uses the whole terminal, as the App's does
    const { selected, lang, help, note } = state;
    const lines = menuLines({ entries: f.entries, states, selected, lang, width, version: f.version, help, rows: out.rows || 24, ...(note ? { message: note } : {}) });
    const text = lines.map((l) => paint(l, f.color)).join('\n');
    if (text === shown) return;
    out.write(`${painted > 0 ? eraseFrame(painted) : '\x1b[?25l'}${text}\n`);
    shown = text;
    painted = lines.length;
  };

  const stopReading = () => {
    if (!reading) return;
    reading = false;
    input.off('data', onData);
    input.pause(); // keys typed from now on wait in the terminal for Ink
    for (const sig of SIGNALS) process.off(sig, onSignal);
  };

  const end = (code: number) => {
    stopReading();
    try {
      input.setRawMode(false);
    } catch {
      // not a terminal after all
    }
    out.write('\x1b[?25h');
    settle(code);
  };

  const onKey = (k: string) => {
    const s = state;
    if (k === '\x03') return end(130);
    if (k === '?') state = { ...s, help: !s.help, note: undefined };
    else if (k === 'l') state = { ...s, lang: s.lang === 'en' ? 'zh' : 'en', note: undefined };
    else if (s.help) state = { ...s, help: !(k === '\x1b' || k === 'q'), note: undefined };
    else if (UP.has(k)) state = { ...s, selected: (s.selected + f.entries.length - 1) % f.entries.length, note: undefined };
    else if (DOWN.has(k)) state = { ...s, selected: (s.selected + 1) % f.entries.length, note: undefined };
    else if (/^[0-9]$/.test(k)) {
      const i = f.entries.findIndex((e) => e.id.startsWith(k.padStart(2, '0')));
      state = { ...s, ...(i >= 0 ? { selected: i } : {}), note: undefined };
    } else if (k === '\r' || k === '\n') {
      const e = f.entries[s.selected]!;
      if (isPlanned(e)) state = { ...s, note: plannedNote(e.id, s.lang) };
      else {
        state = { ...s, open: e.id, note: undefined };
        stopReading(); // the lab opens when Ink is ready; later keys are its
        return f.onOpen?.(e.id);
      }
    } else if (k === 'q' || k === '\x1b') return end(0);
    else state = { ...s, note: undefined };
    paintMenu();
  };

  function onData(chunk: Buffer | string) {
    for (const k of splitKeys(chunk.toString())) {
      if (!reading) return;
      onKey(k);
    }
  }

  function onSignal(sig: NodeJS.Signals) {
    end(exitCodeFor(sig));
  }

  paintMenu();
  try {
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    reading = true;
    for (const sig of SIGNALS) process.on(sig, onSignal);
  } catch {
    // not a terminal after all: Ink will say so
  }

  return {
    quit,
    async handOff() {
      stopReading();
      // pause() stops the terminal read on the next tick; a 'readable' listener added before
      // that would find the stream still "reading" and never start it again.
      await new Promise((resolve) => setImmediate(resolve));
      return { state, painted };
    },
    close() {
      end(0);
    },
  };
}
