// Ctrl-C and SIGTERM: the first one aborts the running step and lets the engine unwind the
// cleanup stack; further ones while cleaning up are acknowledged but do not cut cleanup short.
// A write error on stdout or stderr (EPIPE from `nslab run … | head`, ENOSPC from `> /dev/full`)
// stops the run the same way: the stream is marked broken, nothing more is written to it, and
// the exit code says why (141 for a closed pipe, as shells expect; 1 otherwise).
import type { Lang, Text } from '../core/model.js';

export interface Interrupt {
  readonly signal: AbortSignal;
  /** The signal that interrupted the run, if any. */
  readonly received: () => NodeJS.Signals | undefined;
  /** The write error on stdout/stderr that stopped the run, if that came first. */
  readonly broken: () => OutputFailure | undefined;
  dispose(): void;
}

export type OutputStream = 'stdout' | 'stderr';

/** A write error on one of the process's output streams. */
export interface OutputFailure {
  readonly stream: OutputStream;
  /** EPIPE, ENOSPC, EIO, … (or ERR_STREAM_DESTROYED). */
  readonly code: string;
  /** When it was noticed (Date.now()), to tell whether it came before a signal. */
  readonly at: number;
}

const failures = new Map<OutputStream, OutputFailure>();
const watchers = new Set<(f: OutputFailure) => void>();
let guarded = false;
let firstSignalAt: number | undefined;
/** Whether an output failure stopped a run (then the run was unwound before nslab exits). */
let stoppedRun = false;

function streamOf(name: OutputStream): NodeJS.WriteStream {
  return name === 'stdout' ? process.stdout : process.stderr;
}

/** Record that `name` broke (the first error counts) and tell the running interrupts. */
function fail(name: OutputStream, e: unknown): void {
  if (failures.has(name)) return;
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
  const f: OutputFailure = { stream: name, code, at: Date.now() };
  failures.set(name, f);
  // Not from inside the caller's write: the abort runs listeners that stop the step.
  process.nextTick(() => {
    for (const w of [...watchers]) w(f);
  });
}

/**
 * Handle write errors on stdout and stderr for the life of the process (idempotent): an
 * 'error' event no longer crashes nslab with a stack trace, it marks the stream broken.
 */
export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  for (const name of ['stdout', 'stderr'] as const) streamOf(name).on('error', (e) => fail(name, e));
}

/** Whether `name` can no longer be written to. */
export function isBroken(name: OutputStream): boolean {
  if (failures.has(name)) return true;
  // A failed write marks the stream errored at once; its 'error' event follows on the next tick.
  const s = streamOf(name) as NodeJS.WriteStream & { errored?: Error | null };
  if (s.errored) {
    fail(name, s.errored);
    return true;
  }
  if (s.destroyed || s.writableEnded) {
    fail(name, Object.assign(new Error('stream closed'), { code: 'ERR_STREAM_DESTROYED' }));
    return true;
  }
  return false;
}

/** Write to stdout or stderr unless it broke; a write error (thrown or emitted) breaks it. */
export function writeOut(name: OutputStream, text: string): void {
  if (isBroken(name)) return;
  try {
    streamOf(name).write(text);
  } catch (e) {
    fail(name, e);
    return;
  }
  isBroken(name); // a synchronous failure shows as `errored` right after write()
}

/** The first output failure, unless a signal stopped nslab before it (then the signal wins). */
export function outputFailure(): OutputFailure | undefined {
  const first = [...failures.values()].sort((a, b) => a.at - b.at)[0];
  if (!first) return undefined;
  return firstSignalAt !== undefined && firstSignalAt < first.at ? undefined : first;
}

/** One sentence for stderr about an output failure, or nothing (a closed pipe is no news). */
export function describeFailure(f: OutputFailure, lang: Lang = 'en'): string | undefined {
  if (f.code === 'EPIPE') return undefined;
  if (lang === 'zh') {
    const what: Record<string, string> = { ENOSPC: '设备上没有剩余空间', EIO: '输入/输出错误', EFBIG: '文件太大', EDQUOT: '超出磁盘配额' };
    return `nslab：${f.stream}：${what[f.code] ?? `写入失败（${f.code}）`}${stoppedRun ? '；已停止并清理' : ''}`;
  }
  const what: Record<string, string> = { ENOSPC: 'no space left on device', EIO: 'input/output error', EFBIG: 'file too large', EDQUOT: 'disk quota exceeded' };
  return `nslab: ${f.stream}: ${what[f.code] ?? `write failed (${f.code})`}${stoppedRun ? '; stopped and cleaned up' : ''}`;
}

export function exitCodeForFailure(f: OutputFailure): number {
  return f.code === 'EPIPE' ? 141 : 1; // 128 + SIGPIPE, as for a command killed by the pipe
}

export function onInterrupt(say: (line: string) => void, lang: Lang = 'en'): Interrupt {
  guardOutput();
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let broken: OutputFailure | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received || broken) {
      say(lang === 'zh' ? `又收到 ${sig}：仍在清理，一切删除后 nslab 立即退出` : `${sig} again: still cleaning up, nslab exits as soon as everything is removed`);
      return;
    }
    received = sig;
    firstSignalAt ??= Date.now();
    say(lang === 'zh' ? `${sig}：正在停止并删除实验创建的东西……` : `${sig}: stopping and removing what the lab created…`);
    controller.abort();
  };
  const onBroken = (f: OutputFailure) => {
    if (received || broken) return;
    broken = f;
    stoppedRun = true;
    // Quietly: the reason is a sentence the engine puts in the step's error.
    const reason: Text = { en: `stopped: ${f.stream} failed (${f.code})`, zh: `已停止：${f.stream} 写入失败（${f.code}）` };
    controller.abort(reason);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  watchers.add(onBroken);
  // A stream that broke before this run started stops it at once.
  const already = outputFailure();
  if (already) onBroken(already);
  return {
    signal: controller.signal,
    received: () => received,
    broken: () => broken,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('SIGHUP', handler);
      watchers.delete(onBroken);
    },
  };
}

export function exitCodeFor(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129;
}
