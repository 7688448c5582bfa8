// A real terminal for tests: a private tmux server (its own socket), one detached session of
// a given size running a command, keys sent and the screen captured as text.
import { execFileSync, spawnSync } from 'node:child_process';

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export class Tmux {
  private readonly socket = `nslab-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private started = false;

  private tmux(args: readonly string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Start `command` (a shell command line) in an 80×24 (by default) terminal. */
  start(command: string, size = { cols: 80, rows: 24 }): void {
    this.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', 'nslab', '-x', String(size.cols), '-y', String(size.rows), command]);
    this.started = true;
  }

  /** Keys as tmux names them ("Enter", "C-c", "q"); -l sends text literally. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'nslab', ...keys]);
  }

  text(s: string): void {
    this.tmux(['send-keys', '-t', 'nslab', '-l', s]);
  }

  /** The visible screen as text (plus `history` lines above it). */
  screen(history = 0): string {
    return this.tmux(['capture-pane', '-p', '-t', 'nslab', ...(history > 0 ? ['-S', String(-history)] : [])]);
  }

  /** Poll the screen until `pred` holds; fail with the last screen. */
  async until(pred: (screen: string) => boolean, what: string, timeoutMs = 10_000, history = 0): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen(history);
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}

/** A clean environment for a program under test in tmux: no CI variables (Ink then renders like CI logs). */
export function terminalEnv(extra: Record<string, string>): string {
  const keep = ['PATH', 'HOME', 'NSLAB_RUN_DIR'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${quote(process.env[k]!)}`);
  const more = Object.entries(extra).map(([k, v]) => `${k}=${quote(v)}`);
  return `env -i ${[...keep, 'TERM=xterm-256color', 'LANG=C.UTF-8', ...more].join(' ')}`;
}

export function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
