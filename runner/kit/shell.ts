// `nslab shell <lab>`: an interactive shell as the container's process, the terminal handed
// over to it, torn down when it exits. The shell starts inside a cgroup of its own
// (nslab-<token>-shell), so everything started from it — a `setsid sleep &` included — is
// found and killed at the end, and SIGTERM or SIGHUP to nslab tear it all down the same way.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reclaimTerminal, type Child, type Namespace, type SetupAction } from '../../addon/index.js';
import type { StepContext } from '../core/model.js';
import { mountsOf } from '../core/proc.js';
import { removeCgroup } from '../core/undo.js';

export interface InteractiveSpec {
  readonly namespaces: readonly Namespace[];
  readonly actions?: readonly SetupAction[];
  /** The shell inside the container's final root (default /bin/bash, else /bin/sh). */
  readonly shell?: string;
  readonly labId: string;
  /** Runs once the child exists, before the shell starts: e.g. write its id maps while a 'wait'
   *  action holds it, then call child.go(). */
  readonly prepare?: (child: Child) => Promise<void>;
  /** More environment for the shell (e.g. DM_DISABLE_UDEV=1 where there is no udev). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A hierarchy that only tracks processes (v1 pids, freezer or name=systemd; else cgroup2). */
function trackingMount(): string {
  const mounts = mountsOf();
  const v1 = (opt: string) => mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(opt));
  const found = v1('pids') ?? v1('freezer') ?? v1('name=systemd') ?? mounts.find((m) => m.fstype === 'cgroup2');
  if (!found) throw new Error('nslab shell needs a cgroup hierarchy to keep track of the shell\'s processes, and none is mounted');
  return found.target;
}

export async function interactive(ctx: StepContext, spec: InteractiveSpec): Promise<number> {
  const shell = spec.shell ?? (existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh');
  const group = join(trackingMount(), ctx.name('shell'));
  const label = { en: `cgroup ${group} of the shell and all it started`, zh: `shell 及其启动的一切所在的 cgroup ${group}` };
  const { id: groupId } = ctx.cleanup.createSync({ kind: 'cgroup', path: group, killAll: true }, label, () =>
    mkdirSync(group),
  );
  const waits = (spec.actions ?? []).some((a) => a.do === 'wait');
  const { child, id } = ctx.spawn(
    {
      namespaces: spec.namespaces,
      argv: [shell, ...(shell.endsWith('bash') ? ['--norc', '--noprofile', '-i'] : ['-i'])],
      // Held before exec until it is in the group: nothing it starts can be outside.
      actions: waits ? (spec.actions ?? []) : [{ do: 'wait' }, ...(spec.actions ?? [])],
      stdio: ['inherit', 'inherit', 'inherit'],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        TERM: process.env.TERM ?? 'xterm',
        HOME: '/root',
        PS1: `[nslab ${spec.labId}] \\u@\\h:\\w\\$ `,
        ...(spec.env ?? {}),
      },
    },
    { en: 'shell process', zh: 'shell 进程' },
  );
  // SIGTERM and SIGHUP end the shell and everything in its group; Ctrl-C belongs to the shell.
  const teardown = () => removeCgroup(group, { killAll: true });
  process.on('SIGTERM', teardown);
  process.on('SIGHUP', teardown);
  try {
    writeFileSync(join(group, 'cgroup.procs'), String(child.pid));
    if (spec.prepare) await spec.prepare(child);
    else child.go();
    await child.ready();
    const status = await child.exited;
    return status.code ?? 128 + 1;
  } finally {
    process.off('SIGTERM', teardown);
    process.off('SIGHUP', teardown);
    ctx.cleanup.release(id);
    reclaimTerminal(0);
    // What the learner left running goes with the group.
    const err = ctx.cleanup.pop(groupId);
    if (err) throw new Error(err);
  }
}
