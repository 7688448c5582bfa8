// The guided tour: the lab list and one lab at a time. Finished work goes into <Static> (it
// scrolls away like a log); the list, the current step and its live output re-render below.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Box, Static, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { checkRequirements } from '../../core/engine.js';
import { openShell as openLabShell } from '../../core/shell-run.js';
import type { Lab, LabResult, Lang, RequirementResult } from '../../core/model.js';
import {
  cardLines,
  fit,
  helpLines,
  isPlannedEntry,
  labHeader,
  labState,
  listLines,
  liveLines,
  MAX_WIDTH,
  progressLine,
  stepIntro,
  stepTitle,
  summaryLines,
  WORDS,
  type Line,
  type ListEntry,
  type Tone,
} from './format.js';
import { loadProgress, recordResult, type Progress } from './progress.js';
import { useLabRun } from './lab-view.js';

export interface AppProps {
  readonly entries: readonly ListEntry[];
  readonly lang: Lang;
  readonly version: string;
  readonly progressFile: string;
  readonly color: boolean;
  /** Open this lab first (nslab tour 01-uts). */
  readonly initialLab?: string;
  /** Called once, when the tour ends, with the exit code. */
  readonly onExit: (code: number) => void;
  /** Hand the terminal to `run` (the lab's shell) and take it back afterwards. */
  readonly suspend?: (run: () => Promise<number>, banner: string) => Promise<number>;
}

type StaticItem = { readonly id: number; readonly lines: readonly Line[] };

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
  const rows = stdout.rows || 24;
  const room = rows - 2; // the live area never fills the terminal (Ink would then repaint it all)

  const [lang, setLang] = useState<Lang>(p.lang);
  const [progress, setProgress] = useState<Progress>(() => loadProgress(p.progressFile));
  const [probes, setProbes] = useState<Record<string, RequirementResult>>({});
  const startIndex = Math.max(0, p.initialLab ? p.entries.findIndex((e) => e.id === p.initialLab) : 0);
  const [selected, setSelected] = useState(startIndex);
  const [open, setOpen] = useState<Lab | undefined>(() => {
    const e = p.initialLab ? p.entries[startIndex] : undefined;
    return e && !isPlannedEntry(e) ? e : undefined;
  });
  const [help, setHelp] = useState(false);
  const [note, setNote] = useState<string | undefined>(undefined);
  const [records, setRecords] = useState<StaticItem[]>([]);
  const [suspended, setSuspended] = useState(false);
  const [stopping, setStopping] = useState(false);
  const controller = useMemo(() => new AbortController(), []);
  const langRef = useRef(lang);
  langRef.current = lang;
  const nextId = useRef(0);

  const addRecord = (lines: readonly Line[]) => setRecords((r) => [...r, { id: nextId.current++, lines }]);

  // What each lab needs is probed once, after the first frame (which must be fast).
  useEffect(() => {
    let live = true;
    void (async () => {
      for (const e of p.entries) {
        if (isPlannedEntry(e)) continue;
        const r = await checkRequirements(e);
        if (!live) return;
        setProbes((x) => ({ ...x, [e.id]: r.ok ? { ok: true } : { ok: false, reason: r.reason, ...(r.remedy ? { remedy: r.remedy } : {}) } }));
      }
    })();
    return () => {
      live = false;
    };
  }, [p.entries]);

  const onResult = (r: LabResult, complete: boolean) => {
    if (complete || r.status === 'failed') setProgress(recordResult(r, p.progressFile));
  };

  // One lab view at a time; the hook is keyed by the open lab (remounted by <LabPane key=…>).
  const stopRef = useRef<(() => Promise<void>) | undefined>(undefined);
  const keysRef = useRef<((input: string, key: Key) => void) | undefined>(undefined);

  const quit = async (code: number) => {
    if (stopping) return;
    setStopping(true);
    if (code !== 0) controller.abort();
    await stopRef.current?.();
    p.onExit(code);
    exit();
  };

  useEffect(() => {
    const codes: Partial<{ [S in NodeJS.Signals]: number }> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
    const handlers = (Object.keys(codes) as NodeJS.Signals[]).map((sig) => {
      const h = () => {
        if (sig === 'SIGINT' && suspendedRef.current) return; // Ctrl-C belongs to the shell
        void quitRef.current(codes[sig]!);
      };
      process.on(sig, h);
      return () => process.off(sig, h);
    });
    return () => handlers.forEach((off) => off());
  }, []);
  const quitRef = useRef(quit);
  quitRef.current = quit;
  const suspendedRef = useRef(suspended);
  suspendedRef.current = suspended;

  const openShell = async (lab: Lab) => {
    if (!lab.shell) {
      setNote(WORDS.noShell[langRef.current]);
      return;
    }
    if (!p.suspend) return;
    setSuspended(true);
    let code = 0;
    let unwindErrors: string[] = [];
    try {
      code = await p.suspend(async () => {
        const r = await openLabShell(lab, { lang: langRef.current, signal: controller.signal });
        unwindErrors = r.errors;
        return r.code;
      }, langRef.current === 'zh' ? `nslab:${lab.id} 容器里的 shell;输入 exit 返回导览。` : `nslab: a shell inside the ${lab.id} container; type exit to return to the tour.`);
      setNote(
        unwindErrors.length > 0
          ? `${langRef.current === 'zh' ? `shell 已退出(${code}),但有东西没能删除:` : `The shell exited (${code}), but nslab could not remove: `}${unwindErrors.join('; ')}`
          : langRef.current === 'zh' ? `shell 已退出(${code}),容器已删除。` : `The shell exited (${code}); its container was removed.`,
      );
    } catch (e) {
      setNote(`nslab: ${(e as Error).message}`);
    } finally {
      setSuspended(false);
    }
  };

  // Ink re-subscribes an input handler only after the frame is painted; a key pressed right
  // after a frame would reach the previous one. The handler reads this render's state via a ref.
  const onKey = useRef<(input: string, key: Key) => void>(() => undefined);
  useInput((input, key) => onKey.current(input, key), { isActive: !suspended });
  onKey.current = (input: string, key: Key) => {
      if (key.ctrl && input === 'c') {
        void quit(130);
        return;
      }
      if (stopping) return;
      setNote(undefined);
      if (input === '?') {
        setHelp((h) => !h);
        return;
      }
      if (input === 'l') {
        setLang((l) => (l === 'en' ? 'zh' : 'en'));
        return;
      }
      if (help) {
        if (key.escape || input === 'q') setHelp(false);
        return;
      }
      if (open) {
        keysRef.current?.(input, key);
        return;
      }
      if (key.upArrow || input === 'k') setSelected((s) => (s + p.entries.length - 1) % p.entries.length);
      else if (key.downArrow || input === 'j') setSelected((s) => (s + 1) % p.entries.length);
      else if (/^[0-9]$/.test(input)) {
        const i = p.entries.findIndex((e) => e.id.startsWith(input.padStart(2, '0')));
        if (i >= 0) setSelected(i);
      } else if (key.return) {
        const e = p.entries[selected]!;
        if (isPlannedEntry(e)) setNote(langRef.current === 'zh' ? `${e.id} 尚未提供。` : `${e.id} is not yet available.`);
        else setOpen(e);
      } else if (input === 'q' || key.escape) void quit(0);
  };

  const states = p.entries.map((e) => labState(e, progress, isPlannedEntry(e) ? undefined : (probes[e.id] ?? 'pending')));

  let body: Line[];
  if (stopping) body = [{ text: WORDS.interrupted[lang], tone: 'warn' }];
  else if (help) body = fit(helpLines(lang, width), room);
  else if (!open) body = fit(listLines({ entries: p.entries, states, selected, lang, width, version: p.version, ...(note ? { message: note } : {}) }), room);
  else body = [];

  return (
    <>
      <Static items={records}>{(r) => <Lines key={r.id} lines={r.lines} color={p.color} />}</Static>
      {open && !help && !stopping ? (
        <LabPane
          key={open.id}
          lab={open}
          lang={lang}
          width={width}
          room={room}
          color={p.color}
          signal={controller.signal}
          note={note}
          addRecord={addRecord}
          onResult={onResult}
          onBack={() => setOpen(undefined)}
          onShell={() => void openShell(open)}
          setNote={setNote}
          keysRef={keysRef}
          stopRef={stopRef}
        />
      ) : (
        <Lines lines={body} color={p.color} />
      )}
    </>
  );
}

interface PaneProps {
  readonly lab: Lab;
  readonly lang: Lang;
  readonly width: number;
  readonly room: number;
  readonly color: boolean;
  readonly signal: AbortSignal;
  readonly note: string | undefined;
  readonly addRecord: (lines: readonly Line[]) => void;
  readonly onResult: (r: LabResult, complete: boolean) => void;
  readonly onBack: () => void;
  readonly onShell: () => void;
  readonly setNote: (s: string | undefined) => void;
  readonly keysRef: { current: ((input: string, key: Key) => void) | undefined };
  readonly stopRef: { current: (() => Promise<void>) | undefined };
}

function LabPane(p: PaneProps) {
  const { lab, lang, width } = p;
  const langRef = useRef(lang);
  langRef.current = lang;
  const widthRef = useRef(width);
  widthRef.current = width;
  const run = useLabRun({
    lab,
    lang: () => langRef.current,
    width: () => widthRef.current,
    signal: p.signal,
    addRecord: p.addRecord,
    onResult: p.onResult,
  });
  const s = run.screen;
  const [now, setNow] = useState(Date.now());

  // A running step with a progress bar: refresh "time left" once a second.
  useEffect(() => {
    if (!s.progress) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [s.progress !== undefined]);

  p.stopRef.current = run.stop;
  p.keysRef.current = (input, key) => {
    if (key.return) run.next();
    else if (input === 'a') run.rest();
    else if (input === 'r') run.rerun();
    else if (input === 's') {
      if (s.running) p.setNote(WORDS.busy[langRef.current]);
      else p.onShell();
    } else if (input === 'q' || key.escape) {
      if (s.running) p.setNote(WORDS.busy[langRef.current]);
      else {
        run.leave();
        p.stopRef.current = undefined;
        p.onBack();
      }
    }
  };

  useEffect(() => () => void (p.stopRef.current = undefined), []);

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
        { text: `⊘ ${WORDS.skipped[lang]}: ${s.skip?.reason ?? ''}`, tone: 'warn' },
        ...(s.skip?.remedy ? [{ text: `  ${WORDS.toRun[lang]}: ${s.skip.remedy}`, tone: 'warn' as const }] : []),
      ];
      footer.push({ text: WORDS.skippedKeys[lang], tone: 'dim' });
      break;
    case 'steps': {
      head = [{ text: '' }, { text: stepTitle(lab, s.index, lang), tone: 'head' }, ...stepIntro(lab, s.index, lang, width)];
      if (s.running) {
        tail = liveLines(s.live, width, Infinity);
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
