// Ctrl-C and SIGTERM: the first one aborts the running step and lets the engine unwind the
// cleanup stack; further ones while cleaning up are acknowledged but do not cut cleanup short.
export interface Interrupt {
  readonly signal: AbortSignal;
  /** The signal that interrupted the run, if any. */
  readonly received: () => NodeJS.Signals | undefined;
  dispose(): void;
}

export function onInterrupt(say: (line: string) => void): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received) {
      say(`${sig} again: still cleaning up, nslab exits as soon as everything is removed`);
      return;
    }
    received = sig;
    say(`${sig}: stopping and removing what the lab created…`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  return {
    signal: controller.signal,
    received: () => received,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.off('SIGHUP', handler);
    },
  };
}

export function exitCodeFor(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129;
}
