// The guided tour: the lab list and one lab at a time. Finished work goes into <Static> (it
// scrolls away like a log); the list, the current step and its live output re-render below.
// The list shows the catalogue (no lab code): a lab's code is loaded when it is opened, and in
// the background, one lab after another, to probe what it needs here.
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { Box, Static, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { loadLab } from '../../../labs/index.js';
import { errorText, type About, type Lab, type LabResult, type Lang, type RequirementResult } from '../../core/model.js';
import { isPlanned } from '../../../labs/index.js';
import { exitCodeFor } from '../interrupt.js';
import {
  cardLines,
  fit,
  helpLines,
  isLab,
  labHeader,
  labState,
  capstoneNote,
  liveLines,
  MAX_WIDTH,
  menuLines,
  plannedNote,
  progressLine,
  stepIntro,
  stepTitle,
  summaryLines,
  WORDS,
  type Line,
  type ListEntry,
  type Tone,
} from './format.js';
import type { MenuState } from './first-frame.js';
import { colon } from '../report/words.js';
import { loadExercises, loadProgress, recordResult, type ExercisesProgress, type Progress } from './progress.js';
import { useLabRun, useLatest } from './lab-view.js';

export interface AppProps {
  readonly entries: readonly ListEntry[];
  readonly lang: Lang;
  readonly version: string;
  readonly progressFile: string;
  readonly color: boolean;
  /** Open this lab first (nslab tour 01-uts, or Enter pressed before Ink was ready). */
  readonly initialLab?: string;
  /** Where the menu painted before Ink left off. */
  readonly initial?: Pick<MenuState, 'selected' | 'help' | 'note'>;
  /** A lab's code (default: the entry itself when it is a Lab, else labs/<id>/index.js). */
  readonly load?: (about: About) => Promise<Lab>;
  /** Called once, when the tour ends, with the exit code. */
  readonly onExit: (code: number) => void;
  /** Hand the terminal to `run` (the lab's shell) and take it back afterwards. */
  readonly suspend?: (run: () => Promise<number>, banner: string) => Promise<number>;
}

type StaticItem = { readonly id: number; readonly lines: readonly Line[] };

/** What the background probe found for a lab: its code, and whether it can run here. */
type Known = { readonly lab?: Lab; readonly probe: RequirementResult };

const TONE: { [K in Tone]: { color?: string; bold?: boolean; dimColor?: boolean } } = {
  plain: {},
  ok: { color: 'green' },
  bad: { color: 'red' },
  warn: { color: 'yellow' },
  dim: { dimColor: true },
  head: { bold: true },
  accent: { color: 'cyan' },
  select: { color: 'cyan', bold: true },
};

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const defaultLoad = (e: About): Promise<Lab> => (isLab(e) ? Promise.resolve(e) : loadLab(e));

function Lines({ lines, color }: { readonly lines: readonly Line[]; readonly color: boolean }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end" {...(color && l.tone ? TONE[l.tone] : {})}>
          {l.text === '' ? ' ' : l.text}
        </Text>
      ))}
    </Box>
  );
}

export function App(p: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const width = Math.min(MAX_WIDTH, stdout.columns || MAX_WIDTH) - 1;
  const listWidth = (stdout.columns || MAX_WIDTH) - 1; // the lab list uses the whole terminal
  const rows = stdout.rows || 24;
  const room = rows - 2; // the live area never fills the terminal (Ink would then repaint it all)
  const load = p.load ?? defaultLoad;

  const startIndex = Math.max(0, p.initialLab ? p.entries.findIndex((e) => e.id === p.initialLab) : 0);
  const first = p.initialLab ? p.entries[startIndex] : undefined;
  const [lang, setLang] = useState<Lang>(p.lang);
  const [progress, setProgress] = useState<Progress>(() => loadProgress(p.progressFile));
  const [known, setKnown] = useState<Record<string, Known>>({});
  const [selected, setSelected] = useState(p.initial?.selected ?? startIndex);
  const [open, setOpen] = useState<Lab | undefined>(first && isLab(first) ? first : undefined);
  const [opening, setOpening] = useState<About | undefined>(first && !isPlanned(first) && !isLab(first) ? first : undefined);
  const [help, setHelp] = useState(p.initial?.help ?? false);
  const [note, setNote] = useState<string | undefined>(p.initial?.note);
  const [records, setRecords] = useState<StaticItem[]>([]);
  /** The shell (s) or the playground (t) that has the terminal now. */
  const [shellFor, setShellFor] = useState<{ readonly kind: 'shell' | 'try'; readonly lab: Lab } | undefined>(undefined);
  const [tried, setTried] = useState<ExercisesProgress>(() => loadExercises(p.progressFile));
  /** The terminal belongs to a shell or a playground now (read by the background probes). */
  const handedOver = useRef(false);
  handedOver.current = shellFor !== undefined;
  const [stopping, setStopping] = useState(false);
  const [controller] = useState(() => new AbortController());
  const ending = useRef(false);
  const nextId = useRef(0);
  const pane = useRef<PaneHandle>(null);
  const langRef = useLatest(lang);

  const addRecord = (lines: readonly Line[]) => setRecords((r) => [...r, { id: nextId.current++, lines }]);

  const openLab = (e: About) => {
    setOpening(e);
    load(e).then(
      (lab) => {
        setOpening(undefined);
        setOpen(lab);
      },
      (err: unknown) => {
        setOpening(undefined);
        setNote(`nslab${langRef.current === 'zh' ? '：' : ': '}${errorText(err, langRef.current)}`);
      },
    );
  };
  useEffect(() => {
    if (opening) openLab(opening); // nslab tour <lab>: its code loads behind the first frame
  }, []);

  // Each lab's code is loaded and what it needs probed, one lab after another, after the first
  // frame (which must be fast).
  useEffect(() => {
    let live = true;
    void (async () => {
      for (const e of p.entries) {
        if (isPlanned(e)) continue;
        let found: Known;
        try {
          const lab = await load(e);
          const r = await (await import('../../core/engine.js')).checkRequirements(lab);
          found = { lab, probe: r.ok ? { ok: true } : { ok: false, reason: r.reason, ...(r.remedy ? { remedy: r.remedy } : {}) } };
        } catch (err) {
          found = { probe: { ok: false, reason: { en: `nslab could not load this lab: ${errorText(err, 'en')}`, zh: `nslab 无法加载这个实验：${errorText(err, 'zh')}` } } };
        }
        // While a shell or a playground has the terminal, Ink must not paint over it: hold the news.
        while (live && handedOver.current) await new Promise((r) => setTimeout(r, 100));
        if (!live) return;
        setKnown((x) => ({ ...x, [e.id]: found }));
      }
    })();
    return () => {
      live = false;
    };
  }, [p.entries]);

  const onResult = (r: LabResult, complete: boolean) => {
    if (complete || r.status === 'failed') setProgress(recordResult(r, p.progressFile));
  };

  /** Ctrl-C, a signal or q in the list: wait for the open lab to clean up, then exit. */
  const quit = async (code: number) => {
    if (ending.current) return;
    ending.current = true;
    setStopping(true);
    if (code !== 0) controller.abort();
    await pane.current?.stop();
    p.onExit(code);
    exit();
  };

  const quitRef = useLatest(quit);
  const shellRef = useLatest(shellFor);
  useEffect(() => {
    const handlers = SIGNALS.map((sig) => {
      const h = () => {
        if (sig === 'SIGINT' && shellRef.current) return; // Ctrl-C belongs to the shell
        void quitRef.current(exitCodeFor(sig));
      };
      process.on(sig, h);
      return () => process.off(sig, h);
    });
    return () => handlers.forEach((off) => off());
  }, []);

  const openShell = (lab: Lab) => {
    if (!lab.shell) setNote(WORDS.noShell[langRef.current]);
    else if (p.suspend) setShellFor({ kind: 'shell', lab });
  };
  const openTry = (lab: Lab | undefined) => {
    if (!lab) setNote(WORDS.notLoaded[langRef.current]);
    else if (lab.levels?.length) setNote(capstoneNote(lab.levels.map((l) => tried[`${lab.id}/${l.id}`]?.done === true), langRef.current));
    else if (!lab.exercises?.length) setNote(WORDS.noExercise[langRef.current]);
    else if (p.suspend) setShellFor({ kind: 'try', lab });
  };

  // The shell runs once the input hook below has let go of the terminal: React runs the hook's
  // cleanup (isActive went false) before this effect.
  useEffect(() => {
    if (!shellFor || !p.suspend) return;
    const lab = shellFor.lab;
    const zh = langRef.current === 'zh';
    if (shellFor.kind === 'try') {
      void (async () => {
        try {
          setNote(await (await import('./try.js')).tryInTour(lab, zh ? 'zh' : 'en', p.progressFile, controller.signal, p.suspend!));
        } catch (e) {
          setNote(`nslab${zh ? '：' : ': '}${errorText(e, zh ? 'zh' : 'en')}`);
        } finally {
          setTried(loadExercises(p.progressFile));
          setShellFor(undefined);
        }
      })();
      return;
    }
    void (async () => {
      let unwindErrors: string[] = [];
      try {
        const code = await p.suspend!(async () => {
          const r = await (await import('../../core/shell-run.js')).openShell(lab, { lang: zh ? 'zh' : 'en', signal: controller.signal });
          unwindErrors = r.errors;
          return r.code;
        }, zh ? `nslab：进入 ${lab.id} 搭建的环境的 shell；输入 exit 返回导览。` : `nslab: a shell inside what ${lab.id} builds; type exit to return to the tour.`);
        setNote(
          unwindErrors.length > 0
            ? zh
              ? `shell 已退出（${code}），但有东西没能删除：${unwindErrors.join('；')}`
              : `The shell exited (${code}), but nslab could not remove: ${unwindErrors.join('; ')}`
            : zh
              ? `shell 已退出（${code}），搭建的一切已删除。`
              : `The shell exited (${code}); everything the lab built was removed.`,
        );
      } catch (e) {
        setNote(`nslab${zh ? '：' : ': '}${errorText(e, zh ? 'zh' : 'en')}`);
      } finally {
        setShellFor(undefined);
      }
    })();
  }, [shellFor]);

  // Ink subscribes an input handler after the frame is painted, so a key pressed right after a
  // frame would reach the previous render's handler: the handler reads the latest one.
  const onKey = (input: string, key: Key) => {
    if (key.ctrl && input === 'c') {
      void quit(130);
      return;
    }
    if (ending.current) return;
    setNote(undefined);
    if (input === '?') setHelp((h) => !h);
    else if (input === 'l') setLang((l) => (l === 'en' ? 'zh' : 'en'));
    else if (help) {
      if (key.escape || input === 'q') setHelp(false);
    } else if (opening) return;
    else if (open) pane.current?.key(input, key);
    else if (key.upArrow || input === 'k') setSelected((s) => (s + p.entries.length - 1) % p.entries.length);
    else if (key.downArrow || input === 'j') setSelected((s) => (s + 1) % p.entries.length);
    else if (/^[0-9]$/.test(input)) {
      const i = p.entries.findIndex((e) => e.id.startsWith(input.padStart(2, '0')));
      if (i >= 0) setSelected(i);
    } else if (key.return) {
      const e = p.entries[selected]!;
      if (isPlanned(e)) setNote(plannedNote(e.id, lang));
      else openLab(e);
    } else if (input === 't') {
      const e = p.entries[selected]!;
      if (isPlanned(e)) setNote(plannedNote(e.id, lang));
      else openTry(known[e.id]?.lab ?? (isLab(e) ? e : undefined));
    } else if (input === 'q' || key.escape) void quit(0);
  };
  const keys = useLatest(onKey);
  useInput((input, key) => keys.current(input, key), { isActive: !shellFor });

  const entries = p.entries.map((e) => known[e.id]?.lab ?? e);
  const states = p.entries.map((e) => labState(e, progress, isPlanned(e) ? undefined : (known[e.id]?.probe ?? 'pending')));
  // What covers the screen: the key help, or the last words while the tour stops.
  const cover: Line[] | undefined = stopping ? [{ text: WORDS.interrupted[lang], tone: 'warn' }] : help ? fit(helpLines(lang, listWidth), room) : undefined;

  const tries = entries.map((e) => {
    const practice = isLab(e) ? [...(e.exercises ?? []), ...(e.levels ?? [])] : [];
    return practice.length > 0 ? `${practice.filter((x) => tried[`${e.id}/${x.id}`]?.done).length}/${practice.length}` : undefined;
  });
  let body: Line[];
  if (cover) body = cover;
  else if (opening) body = [...labHeader(opening, lang, width), { text: WORDS.loading[lang], tone: 'dim' }];
  else body = menuLines({ entries, states, selected, lang, width: listWidth, version: p.version, help: false, rows, tries, ...(note ? { message: note } : {}) });

  return (
    <>
      <Static items={records}>{(r) => <Lines key={r.id} lines={r.lines} color={p.color} />}</Static>
      {open ? (
        <LabPane
          ref={pane}
          key={open.id}
          lab={open}
          lang={lang}
          width={width}
          room={room}
          color={p.color}
          signal={controller.signal}
          note={note}
          {...(cover ? { cover } : {})}
          addRecord={addRecord}
          onResult={onResult}
          onBack={() => setOpen(undefined)}
          onShell={() => openShell(open)}
          onTry={() => openTry(open)}
          setNote={setNote}
        />
      ) : (
        <Lines lines={body} color={p.color} />
      )}
    </>
  );
}

/** What the tour asks of the open lab: take a key, or stop and clean up. */
interface PaneHandle {
  key(input: string, key: Key): void;
  stop(): Promise<void>;
}

interface PaneProps {
  readonly ref: Ref<PaneHandle>;
  readonly lab: Lab;
  readonly lang: Lang;
  readonly width: number;
  readonly room: number;
  readonly color: boolean;
  readonly signal: AbortSignal;
  readonly note: string | undefined;
  /** Shown instead of the lab (help, stopping); the lab's run goes on underneath. */
  readonly cover?: readonly Line[];
  readonly addRecord: (lines: readonly Line[]) => void;
  readonly onResult: (r: LabResult, complete: boolean) => void;
  readonly onBack: () => void;
  readonly onShell: () => void;
  readonly onTry: () => void;
  readonly setNote: (s: string | undefined) => void;
}

function LabPane(p: PaneProps) {
  const { lab, lang, width } = p;
  const run = useLabRun({ lab, lang, width, signal: p.signal, addRecord: p.addRecord, onResult: p.onResult });
  const s = run.screen;
  const [now, setNow] = useState(Date.now());

  // A running step with a progress bar: refresh "time left" once a second.
  useEffect(() => {
    if (!s.progress) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [s.progress !== undefined]);

  useImperativeHandle(p.ref, () => ({
    key(input, key) {
      if (key.return) run.next();
      else if (input === 'a') run.rest();
      else if (input === 'r') run.rerun();
      else if (input === 's') {
        if (s.running) p.setNote(WORDS.busy[lang]);
        else p.onShell();
      } else if (input === 't') {
        if (s.running) p.setNote(WORDS.busy[lang]);
        else p.onTry();
      } else if (input === 'q' || key.escape) {
        if (s.running) p.setNote(WORDS.busy[lang]);
        else {
          run.leave();
          p.onBack();
        }
      }
    },
    stop: run.stop,
  }));

  if (p.cover) return <Lines lines={p.cover} color={p.color} />;
  const footer: Line[] = [];
  if (p.note) footer.push({ text: p.note, tone: 'warn' });
  let head: Line[] = [];
  let tail: Line[] = [];
  switch (s.phase) {
    case 'card':
      head = cardLines(lab, lang, width);
      footer.push({ text: WORDS.cardKeys[lang], tone: 'dim' });
      break;
    case 'starting':
      head = labHeader(lab, lang, width);
      footer.push({ text: WORDS.checking[lang], tone: 'dim' });
      break;
    case 'skipped':
      head = [
        ...labHeader(lab, lang, width),
        { text: `⊘ ${WORDS.skipped[lang]}${colon(lang)}${s.skip?.reason ?? ''}`, tone: 'warn' },
        ...(s.skip?.remedy ? [{ text: `  ${WORDS.toRun[lang]}${colon(lang)}${s.skip.remedy}`, tone: 'warn' as const }] : []),
      ];
      footer.push({ text: WORDS.skippedKeys[lang], tone: 'dim' });
      break;
    case 'steps': {
      head = [{ text: '' }, { text: stepTitle(lab, s.index, lang), tone: 'head' }, ...stepIntro(lab, s.index, lang, width)];
      if (s.running) {
        tail = liveLines(s.live, lang, width, Infinity);
        if (s.progress) tail.push(progressLine(s.progress.fraction, s.progress.label, now - s.progress.startedAt, lang, width));
      }
      footer.push({ text: s.running ? WORDS.runningKeys[lang] : WORDS.stepKeys[lang], tone: 'dim' });
      break;
    }
    case 'done':
      head = summaryLines(lab, s.summary?.steps ?? [], lang, width, s.summary?.cleanupErrors ?? 0, s.summary?.reason);
      footer.push({ text: WORDS.doneKeys[lang], tone: 'dim' });
      break;
  }
  // The step's text stays on top, the newest live output at the bottom, the keys always shown.
  const space = p.room - footer.length;
  const headShown = fit(head, Math.max(3, space - Math.min(tail.length, Math.floor(space / 2))));
  const tailShown = fit(tail, Math.max(0, space - headShown.length), 'tail');
  return <Lines lines={[...headShown, ...tailShown, ...footer]} color={p.color} />;
}
