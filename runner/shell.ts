// `nslab shell <lab>`: an interactive shell as the container's process, the terminal handed
// over to it, torn down when it exits.
import { existsSync } from 'node:fs';
import { spawn, reclaimTerminal, type Child, type Namespace, type SetupAction } from '../addon/index.js';
import type { StepContext } from './model.js';

export interface InteractiveSpec {
  readonly namespaces: readonly Namespace[];
  readonly actions?: readonly SetupAction[];
  /** The shell inside the container's final root (default /bin/bash, else /bin/sh). */
  readonly shell?: string;
  readonly labId: string;
  /** Runs once the child exists, before the shell starts: e.g. write its id maps while a 'wait'
   *  action holds it, then call child.go(). */
  readonly prepare?: (child: Child) => Promise<void>;
}

export async function interactive(ctx: StepContext, spec: InteractiveSpec): Promise<number> {
  const shell = spec.shell ?? (existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh');
  const child = spawn({
    namespaces: spec.namespaces,
    argv: [shell, ...(shell.endsWith('bash') ? ['--norc', '--noprofile', '-i'] : ['-i'])],
    actions: spec.actions ?? [],
    stdio: ['inherit', 'inherit', 'inherit'],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      TERM: process.env.TERM ?? 'xterm',
      HOME: '/root',
      PS1: `[nslab ${spec.labId}] \\u@\\h:\\w\\$ `,
    },
  });
  const id = ctx.cleanup.pushProcess(child.pid, `shell process ${child.pid}`);
  try {
    if (spec.prepare) await spec.prepare(child);
    await child.ready();
    const status = await child.exited;
    return status.code ?? 128 + 1;
  } finally {
    ctx.cleanup.release(id);
    reclaimTerminal(0);
  }
}
