// The unprivileged side of lab 07: a world-readable workspace (the probe and a root-only file)
// and processes that drop to uid/gid 1000 before they do anything, like the article's user
// hchen. No account is created: the kernel needs only the numbers.
import { chownSync, closeSync, constants, fchmodSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { probePath, type SetupAction } from '../../addon/index.js';
import { LabError, probeOnce, t, type StepContext } from '../../runner/kit/index.js';

export const OUTSIDE_UID = 1000;
export const OUTSIDE_GID = 1000;
export const MAP = `0 ${OUTSIDE_UID} 1`;

/** Become uid/gid 1000 with no supplementary groups: what a login as an ordinary user gives. */
export const asUser: readonly SetupAction[] = [
  { do: 'setgroups' },
  { do: 'setresgid', gid: OUTSIDE_GID },
  { do: 'setresuid', uid: OUTSIDE_UID },
];

/**
 * The creator of the user namespace: uid 1000 unshares it itself, so the namespace belongs to
 * uid 1000, as when hchen runs the article's program. The uid change made the process
 * non-dumpable (its /proc files turn root-owned until execve); dumpable gives them back to
 * uid 1000 so an unprivileged parent can write the maps, as it could for hchen's own program.
 */
export const creator: readonly SetupAction[] = [
  ...asUser,
  { do: 'dumpable' },
  { do: 'unshare', namespaces: ['user', 'uts'] },
];

/** The same creator, with a user namespace only: the finale creates the others later, as root inside. */
export const userOnly: readonly SetupAction[] = [...asUser, { do: 'dumpable' }, { do: 'unshare', namespaces: ['user'] }];

export interface Workspace {
  readonly dir: string;
  /** A probe uid 1000 may execute. */
  readonly probe: string;
  /** A root-owned 0600 file: the host secret root inside must not read. */
  readonly secret: string;
  /** A directory owned by uid/gid 1000 (0700): where root inside may create a file. */
  readonly home: string;
}

/** Can a process that is neither owner nor group reach and run `file`? */
function othersCanRun(file: string): boolean {
  try {
    if ((statSync(file).mode & 0o005) !== 0o005) return false;
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/** Create a new file, never through a symlink, never over an existing file; then set its mode. */
function writeNew(path: string, data: string | Buffer, mode: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fchmodSync(fd, mode); // the umask may have taken bits away
  } finally {
    closeSync(fd);
  }
}

/**
 * uid 1000 must reach the probe and fail to read the secret. The workspace is the run's public
 * directory: root-owned 0755 under the run's root-owned 0711 directory in /run/nslab, so no
 * other user can create, rename or swap anything on the way (a world-writable /tmp would let
 * them plant symlinks that root then writes through). Files are created O_EXCL|O_NOFOLLOW.
 */
export function workspace(ctx: StepContext): Workspace {
  const dir = ctx.publicScratch();
  let probe = probePath();
  if (!othersCanRun(probe)) {
    const copy = join(dir, 'nslab-probe');
    writeNew(copy, readFileSync(probe), 0o755);
    probe = copy;
  }
  const secret = join(dir, 'nslab-root-only.txt');
  writeNew(secret, 'only the host root may read this\n', 0o600);
  const home = join(dir, `nslab-home-${OUTSIDE_UID}`);
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, OUTSIDE_UID, OUTSIDE_GID);
  return { dir, probe, secret, home };
}

export interface WriteResult {
  readonly ok: boolean;
  readonly errno: string | null;
  /** The writer's uid as the probe saw it (proves the write was unprivileged). */
  readonly writerUid: number;
}

/** Write `text` into a /proc file as uid 1000, and show it as the shell command it stands for. */
export async function writeAsUser(ctx: StepContext, ws: Workspace, file: string, text: string): Promise<WriteResult> {
  const { report } = await probeOnce(ctx, {
    namespaces: [],
    actions: asUser,
    probeFile: ws.probe,
    probeArgs: ['--write', file, text],
    label: t(`uid ${OUTSIDE_UID} writing ${file}`, `uid ${OUTSIDE_UID} 写入 ${file}`),
  });
  const w = report.write;
  const result: WriteResult = { ok: w?.ok === true, errno: w?.errno ?? null, writerUid: report.uid };
  ctx.transcript({
    command: `echo '${text}' > ${file}`,
    output: result.ok ? '' : `bash: echo: write error: ${result.errno === 'EPERM' ? 'Operation not permitted' : result.errno} (${result.errno})`,
    where: t(`the parent, uid ${report.uid}`, `父进程，uid ${report.uid}`),
  });
  return result;
}

/** The modern order (bubblewrap, runc): uid_map, then "deny" to setgroups, then gid_map. */
export async function writeMaps(ctx: StepContext, ws: Workspace, pid: number): Promise<void> {
  for (const [file, text] of [
    [`/proc/${pid}/uid_map`, MAP],
    [`/proc/${pid}/setgroups`, 'deny'],
    [`/proc/${pid}/gid_map`, MAP],
  ] as const) {
    const r = await writeAsUser(ctx, ws, file, text);
    if (!r.ok)
      throw new LabError(t(`writing "${text}" to ${file} as uid ${OUTSIDE_UID} failed: ${r.errno}`, `以 uid ${OUTSIDE_UID} 向 ${file} 写入“${text}”失败：${r.errno}`));
  }
}
