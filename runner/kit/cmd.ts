// One helper for host commands: find the program, run it through the addon, show the learner
// the command and its real output, and fail with the command, its exit and its stderr.
import type { RunResult } from '../../addon/index.js';
import { LabError, type StepContext, type Text } from '../core/model.js';
import { shown, which, type Container } from './container.js';

/** The absolute path of a host program; throws one clear sentence when it is not installed. */
export function program(name: string): string {
  if (name.includes('/')) return name;
  const p = which(name);
  if (p === undefined)
    throw new LabError({
      en: `the ${name} command is not installed on this host (looked in PATH, /usr/sbin, /sbin, /usr/bin and /bin)`,
      zh: `这台主机没有安装 ${name} 命令（查找了 PATH、/usr/sbin、/sbin、/usr/bin 和 /bin）`,
    });
  return p;
}

export interface CmdOptions {
  /** What the learner sees as the command (default: argv joined by spaces). */
  readonly command?: string;
  /** Where it runs, as shown ({en: 'host', zh: '主机'}, "c1"…). */
  readonly where?: Text;
  /**
   * Run it inside this container instead of on the host. The program is then named as the
   * container sees it: a bare name is passed as is (give `program('ps')` when the container
   * shares the host's file system, and show `command` for the learner).
   */
  readonly container?: Container;
  /** Working directory (host commands only). */
  readonly cwd?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Run a command, show it and its output; a bare program name is found on the host. Throws,
 * naming the command, its exit status and what it printed, unless it exits 0.
 */
export async function must(ctx: StepContext, argv: readonly string[], opts: CmdOptions = {}): Promise<RunResult> {
  const r = await attempt(ctx, argv, opts);
  if (r.code !== 0) {
    const what = opts.command ?? argv.join(' ');
    const said = (r.stderr || r.stdout).trim();
    throw new LabError({
      en: `${what} failed (exit ${r.code ?? r.signal}): ${said}`,
      zh: `${what} 失败（退出码 ${r.code ?? r.signal}）：${said}`,
    });
  }
  return r;
}

/** Like `must`, but a non-zero exit is an observation, not an error (the caller judges it). */
export function attempt(ctx: StepContext, argv: readonly string[], opts: CmdOptions = {}): Promise<RunResult> {
  const [name, ...args] = argv;
  const command = opts.command ?? argv.join(' ');
  const env = opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : [];
  const exe = opts.container ? name! : program(name!);
  const full = env.length > 0 ? [opts.container ? '/usr/bin/env' : program('env'), ...env, exe, ...args] : [exe, ...args];
  return shown(ctx, command, full, {
    ...(opts.where !== undefined ? { where: opts.where } : {}),
    ...(opts.container ? { container: opts.container } : {}),
    ...(opts.cwd !== undefined ? { actions: [{ do: 'chdir' as const, path: opts.cwd }] } : {}),
  });
}

/** `sh -c script` on the host (or in a container), shown as the script itself; must exit 0. */
export function sh(ctx: StepContext, script: string, opts: Omit<CmdOptions, 'command'> = {}): Promise<RunResult> {
  return must(ctx, [opts.container ? '/bin/sh' : 'sh', '-c', script], { ...opts, command: script });
}
