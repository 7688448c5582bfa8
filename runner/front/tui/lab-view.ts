// The lab screen's engine: drives a LabSession one key press at a time and turns its RunEvents
// into screen state. Finished steps are handed to `addRecord` (they go into Ink's <Static>);
// the running step's live output stays here and re-renders.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { waitingLine } from '../report/text.js';
import type { LabSession } from '../../core/engine.js';
import { errorText, type Lab, type LabResult, type Lang, type RunListener, type StepResult, type Transcript } from '../../core/model.js';
import { colon } from '../report/words.js';
import { labHeader, liveLines, stepRecord, stepTitle, WORDS, cardLines, type Line } from './format.js';

export type Phase = 'card' | 'starting' | 'skipped' | 'steps' | 'done';

export type LiveEvent = { transcript: Transcript } | { log: string };

export interface LabScreen {
  readonly phase: Phase;
  /** The next step to run (or the one running). */
  readonly index: number;
  readonly running: boolean;
  readonly live: readonly LiveEvent[];
  readonly progress?: { fraction: number; label?: string; startedAt: number };
  readonly skip?: { reason: string; remedy?: string };
  readonly summary?: { steps: readonly StepResult[]; cleanupErrors: number; reason?: string };
  /** The last step that really ran (what `r` runs again). */
  readonly lastRun?: number;
}

export interface LabControls {
  readonly screen: LabScreen;
  /** Enter: begin (from the card) or run the next step. */
  next(): void;
  /** a: run every remaining step. */
  rest(): void;
  /** r: run the last step again from a fresh state. */
  rerun(): void;
  /** q: leave the lab; cleans up an unfinished session. */
  leave(): void;
  /** Ctrl-C / SIGTERM: wait for the running step (the signal stops it), then clean up. */
  stop(): Promise<void>;
}

export interface LabViewOptions {
  readonly lab: Lab;
  readonly lang: Lang;
  readonly width: number;
  readonly signal: AbortSignal;
  readonly addRecord: (lines: readonly Line[]) => void;
  /** A lab run ended (finished, failed or skipped): remember it. */
  readonly onResult: (r: LabResult, complete: boolean) => void;
}

/**
 * The latest value, for callbacks that outlive the render that made them (events of a running
 * step, key handlers): set after each commit, never during render.
 */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

export function useLabRun(o: LabViewOptions): LabControls {
  const { lab } = o;
  const [screen, setScreen] = useState<LabScreen>({ phase: 'card', index: 0, running: false, live: [] });
  const session = useRef<LabSession | undefined>(undefined);
  const busy = useRef<Promise<void> | undefined>(undefined);
  const quiet = useRef(false);
  const live = useRef<LiveEvent[]>([]);
  const cleanupErrors = useRef(0);
  const opts = useLatest(o);

  const update = (patch: Partial<LabScreen>) => setScreen((s) => ({ ...s, ...patch }));

  const listener: RunListener = useCallback((ev) => {
    const { lang, width, addRecord } = opts.current;
    switch (ev.type) {
      case 'step-start':
        live.current = [];
        update({ live: [], running: true });
        break;
      case 'transcript':
        live.current = [...live.current, { transcript: ev.transcript }];
        update({ live: live.current });
        break;
      case 'log':
        live.current = [...live.current, { log: ev.line }];
        update({ live: live.current });
        break;
      case 'progress':
        setScreen((s) => ({
          ...s,
          progress: { fraction: ev.fraction, ...(ev.label !== undefined ? { label: ev.label } : {}), startedAt: s.progress?.startedAt ?? Date.now() },
        }));
        break;
      case 'step-end': {
        const index = lab.steps.findIndex((s) => s.id === ev.result.id);
        if (quiet.current) {
          const mark = ev.result.status === 'passed' ? '✓' : ev.result.status === 'failed' ? '✗' : '⊘';
          addRecord([{ text: `  ↻ ${mark} ${stepTitle(lab, index, lang)}`, tone: 'dim' }]);
        } else {
          addRecord(stepRecord(lab, index, ev.result, lang, width, liveLines(live.current, lang, width)));
        }
        live.current = [];
        setScreen((s) => {
          const { progress: _drop, ...rest } = s;
          return { ...rest, live: [] };
        });
        break;
      }
      case 'waiting':
        addRecord([{ text: `  ${waitingLine(ev, lang)}`, tone: 'warn' }]);
        break;
      case 'cleanup':
        // The engine says "removed …" or "could not remove …" in the run's language.
        if (ev.line.startsWith('could not') || ev.line.startsWith('无法删除')) {
          cleanupErrors.current++;
          addRecord([{ text: `  ${WORDS.cleanup[lang]}${colon(lang)}${ev.line}`, tone: 'bad' }]);
        }
        break;
      default:
        break;
    }
  }, [lab]);

  /** Run `job` unless something is running; remembers it so stop() can wait for it. */
  const exclusive = (job: () => Promise<void>) => {
    if (busy.current || o.signal.aborted) return;
    const p = job()
      .catch((e: unknown) => {
        const { lang } = opts.current;
        opts.current.addRecord([{ text: `nslab${colon(lang)}${errorText(e, lang)}`, tone: 'bad' }]);
      })
      .finally(() => {
        busy.current = undefined;
        update({ running: false });
      });
    busy.current = p;
  };

  const finish = (): void => {
    const s = session.current;
    if (!s) return;
    const r = s.finish();
    session.current = undefined;
    const complete = r.steps.filter((x) => x.id !== 'cleanup').length >= lab.steps.length;
    opts.current.onResult(r, complete);
    update({
      phase: 'done',
      running: false,
      summary: { steps: r.steps, cleanupErrors: cleanupErrors.current, ...(r.reason ? { reason: r.reason } : {}) },
    });
  };

  const begin = async (): Promise<boolean> => {
    if (session.current) return true;
    const { lang } = opts.current;
    update({ phase: 'starting', running: true, index: 0 });
    cleanupErrors.current = 0;
    const { LabSession } = await import('../../core/engine.js'); // loaded by the first lab opened
    const s = new LabSession(lab, { lang, listener, signal: o.signal });
    session.current = s;
    const st = await s.start();
    if (!st.ok) {
      session.current = undefined;
      opts.current.onResult(st.result, true);
      update({ phase: 'skipped', skip: { reason: st.reason, ...(st.remedy ? { remedy: st.remedy } : {}) } });
      return false;
    }
    update({ phase: 'steps' });
    return true;
  };

  /** Run step i; after a failure the later steps are reported skipped and the lab ends. */
  const runStep = async (i: number): Promise<void> => {
    const s = session.current!;
    update({ index: i, running: true });
    const r = await s.runStep(i);
    if (r.status !== 'skipped' || r.error !== undefined) update({ lastRun: i });
    if (s.isBlocked) {
      for (let j = i + 1; j < lab.steps.length; j++) await s.runStep(j);
      finish();
      return;
    }
    if (i + 1 >= lab.steps.length) finish();
    else update({ index: i + 1 });
  };

  const pushCard = () => {
    const { lang, width, addRecord } = opts.current;
    addRecord([...cardLines(lab, lang, width)]);
  };

  const next = () =>
    exclusive(async () => {
      if (screen.phase === 'card') {
        pushCard();
        await begin();
        return;
      }
      if (screen.phase !== 'steps' || !session.current) return;
      await runStep(screen.index);
    });

  const rest = () =>
    exclusive(async () => {
      if (screen.phase === 'card') pushCard();
      if (screen.phase === 'card' || screen.phase === 'steps') {
        if (!(await begin())) return;
        for (let i = screen.phase === 'card' ? 0 : screen.index; session.current && i < lab.steps.length; i++) {
          if (o.signal.aborted) return;
          await runStep(i);
        }
      }
    });

  const rerun = () =>
    exclusive(async () => {
      const target = screen.lastRun;
      if (target === undefined) return;
      const { lang, width, addRecord } = opts.current;
      if (session.current) {
        session.current.finish(); // what the earlier run built goes first
        session.current = undefined;
      }
      addRecord([{ text: '' }, ...labHeader(lab, lang, width).map((l) => ({ ...l, tone: 'dim' as const })), { text: `  ↻ ${WORDS.replay[lang]}`, tone: 'dim' }]);
      if (!(await begin())) return;
      quiet.current = true;
      try {
        for (let j = 0; j < target; j++) {
          const r = await session.current!.runStep(j);
          if (r.status === 'failed') {
            quiet.current = false;
            for (let k = j + 1; k < lab.steps.length; k++) await session.current!.runStep(k);
            finish();
            return;
          }
        }
      } finally {
        quiet.current = false;
      }
      await runStep(target);
    });

  const leave = () => {
    if (busy.current) return;
    if (session.current) {
      const r = session.current.finish();
      session.current = undefined;
      const complete = r.steps.filter((x) => x.id !== 'cleanup').length >= lab.steps.length;
      if (complete || r.status === 'failed') opts.current.onResult(r, complete);
    }
  };

  const stop = async () => {
    if (busy.current) await busy.current;
    leave();
  };

  // A lab view that goes away (the tour ends) takes its unfinished session with it.
  const leaveLatest = useLatest(leave);
  useEffect(() => () => leaveLatest.current(), []);

  return { screen, next, rest, rerun, leave, stop };
}
