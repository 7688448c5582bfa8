// Lab 12's figures and its operations on the kernel: the article's sizes, this run's device
// names, and creating loop devices, device-mapper devices, mounts and snapshots, each recorded
// in the run's journal before (or as) it is made.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { WHERE, dmEnv, must, program, t, LabError, type StepContext } from '../../runner/kit/index.js';
import { ddBytes, parsePoolStatus, processState, type PoolStatus } from './dm.js';

export const KiB = 1024;
export const GiB = 1024 * 1024 * 1024;
/** The article's data file: dd bs=1K seek=10M count=1 → 10 GiB + 1 KiB = 20971522 sectors. */
export const DATA_BYTES = 10 * GiB + KiB;
export const DATA_SECTORS = DATA_BYTES / 512;
/**
 * The metadata file. The article's command reads seek=1G (1 TiB + 1 KiB with bs=1K), but the ls
 * right after it shows 101M, the size of seek=100K: nslab runs seek=100K and says so.
 */
export const META_SEEK = '100K';
export const META_BYTES = 100 * 1024 * KiB + KiB;
/** The article's table: 128-sector (64 KiB) blocks, low-water mark 65536 blocks, no zeroing. */
export const BLOCK_SECTORS = 128;
export const BLOCK_BYTES = BLOCK_SECTORS * 512;
export const LOW_WATER = 65536;
/** Thin volumes of 1 GiB (2097152 sectors), as in the article. */
export const VOLUME_SECTORS = 2097152;
/** The over-provisioned volume: 100 GiB on a 10 GiB pool. */
export const BIG_SECTORS = 100 * 2 * 1024 * 1024;
export const BIG_WRITE_AT_MIB = 50 * 1024;
/** A file with more than this fraction of its apparent size allocated is not "sparse" here. */
export const SPARSE_MAX_BYTES = 64 * KiB;
export const ALLOCATED_MAX_FRACTION = 0.02;

export const BASE_TEXT = 'hello world, I am a base';
export const SNAP_TEXT = 'I am snap1';
export const LATER_TEXT = 'written to the base after the snapshot';

/**
 * The device-mapper names of one run. Every host object of a run carries its token
 * (nslab-<token>-pool, …): the journal refuses any other name, and a parallel run's
 * devices never collide with ours.
 */
export interface DmNames {
  readonly pool: string;
  readonly thin: string;
  readonly snap1: string;
  readonly snap2: string;
  readonly big: string;
}
const dmNames = (name: (suffix: string) => string): DmNames => ({
  pool: name('pool'),
  thin: name('thin0'),
  snap1: name('snap1'),
  snap2: name('snap2'),
  big: name('big'),
});
/** This run's names (derived from its token). */
export const names = (ctx: StepContext): DmNames => dmNames((suffix) => ctx.name(suffix));
/** The names as the learner reads them in `modern:` lines (the run shows the real ones). */
export const SHOWN = dmNames((suffix) => `nslab-<token>-${suffix}`);
export const mapper = (name: string) => `/dev/mapper/${name}`;

/**
 * Journal ids of what a step made, by the keys teardown uses: a device-mapper name, `mount:NAME`,
 * `loop:data` and `loop:meta`. Teardown undoes each by hand and pops its entry.
 */
export type Made = Readonly<Record<string, number>>;

/** `dmsetup status` of the pool, parsed. */
export async function poolStatus(ctx: StepContext): Promise<PoolStatus> {
  const r = await must(ctx, ['dmsetup', 'status', names(ctx).pool], { env: dmEnv() });
  return parsePoolStatus(r.stdout);
}

/** losetup -f names a free device, recorded before `losetup DEV FILE` attaches it; returns it and its journal id. */
export async function attachLoop(ctx: StepContext, file: string): Promise<{ device: string; id: number }> {
  for (let tries = 0; tries < 5; tries++) {
    const device = (await must(ctx, ['losetup', '-f'])).stdout.trim();
    if (!/^\/dev\/loop\d+$/.test(device))
      throw new LabError(t(`losetup -f printed ${JSON.stringify(device)}, not a loop device`, `losetup -f 输出的是 ${JSON.stringify(device)}，不是 loop 设备`));
    try {
      const { id } = await ctx.cleanup.create({ kind: 'loop', device, rel: ctx.cleanup.rel(file) }, t(`loop device ${device} (${file})`, `loop 设备 ${device}（${file}）`), () =>
        must(ctx, ['losetup', device, file]),
      );
      return { device, id };
    } catch {
      // taken by someone else meanwhile: try the next free one
    }
  }
  throw new LabError(t('no loop device could be attached (five tries of losetup -f)', '无法挂接 loop 设备（losetup -f 试了五次）'));
}

/** `dmsetup create NAME --table TABLE`; returns its journal id. */
export async function createDm(ctx: StepContext, name: string, table: string): Promise<number> {
  // dmsetup may fail after the device exists; the name carries our token, so it is kept to remove.
  const { id } = await ctx.cleanup.create(
    { kind: 'dm', name },
    t(`device-mapper device ${name}`, `device-mapper 设备 ${name}`),
    () => must(ctx, ['dmsetup', 'create', name, '--table', table], { command: `dmsetup create ${name} --table "${table}"`, env: dmEnv() }),
    { keepOnFailure: true },
  );
  return id;
}

/** `mount /dev/mapper/NAME DIR`; returns its journal id. */
export async function mountAt(ctx: StepContext, name: string, dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const { id } = await ctx.cleanup.create({ kind: 'mount', rel: ctx.cleanup.rel(dir) }, t(`mount of ${name} on ${dir}`, `${name} 在 ${dir} 上的挂载`), () => must(ctx, ['mount', mapper(name), dir]));
  return id;
}

/**
 * Unmount and mount again (the journal's entry names the directory, so it stays right): what is
 * read afterwards comes from the device, not from the page cache of the earlier mount.
 */
export async function remount(ctx: StepContext, name: string, dir: string): Promise<void> {
  await must(ctx, ['umount', dir]);
  await must(ctx, ['mount', mapper(name), dir]);
}

/** `dd … iflag=direct` of one 4 KiB block at `offset` bytes: the bytes the kernel returned (0 past the end). */
export async function directRead(ctx: StepContext, device: string, offset: number): Promise<number> {
  const r = await must(ctx, ['dd', `if=${device}`, 'of=/dev/null', 'bs=4096', 'count=1', `skip=${offset / 4096}`, 'iflag=direct']);
  return ddBytes(r.stderr);
}

/** A direct read started while the origin was suspended, timed against a read of the active origin. */
export interface HeldRead {
  /** The control: ms one direct 4 KiB read of the active origin took, and the bytes it got. */
  readonly controlMs: number;
  readonly controlBytes: number;
  /** How long the same read was left pending while the origin was suspended. */
  readonly heldMs: number;
  /** It had already completed when that wait ended (it should not have). */
  readonly doneWhileSuspended: boolean;
  /** Its process state at the end of the wait (/proc/PID/stat: D is waiting for I/O). */
  readonly stateWhileSuspended: string;
  /** Bytes it read after resume (-1: not done within RESUME_LIMIT_MS), and ms from resume to its exit. */
  readonly bytesAfterResume: number;
  readonly msAfterResume: number;
}

const HOLD_MIN_MS = 1000;
const HOLD_MAX_MS = 10_000;
const RESUME_LIMIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`'s value, or undefined after `ms`; the timer goes as soon as either comes, so it keeps nslab alive no longer. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long a suspended read is watched: five times the control read, 1 to 10 s. */
export const holdFor = (controlMs: number) => Math.min(HOLD_MAX_MS, Math.max(HOLD_MIN_MS, 5 * controlMs));

/**
 * The kernel's rule for a snapshot of an active volume: suspend it, send create_snap, resume.
 * Suspending waits for in-flight I/O and freezes the file system on it, so the snapshot is a
 * complete, consistent image; a pending resume is recorded so that an interrupt never leaves it
 * frozen. With `probe`, a direct read of the origin is started while it is suspended: the
 * kernel must hold it until the resume.
 */
export async function snapshotOf(ctx: StepContext, origin: string, newId: number, originId: number, probe = false): Promise<{ state: string; held?: HeldRead }> {
  const dev = mapper(origin);
  const ddArgs = [`if=${dev}`, 'of=/dev/null', 'bs=4096', 'count=1', 'iflag=direct'];
  let control = { ms: 0, bytes: -1 };
  if (probe) {
    const t0 = Date.now();
    const r = await must(ctx, ['dd', ...ddArgs]);
    control = { ms: Date.now() - t0, bytes: ddBytes(r.stderr) };
  }
  const resume = ctx.cleanup.push({ kind: 'dmResume', name: origin }, t(`resume of ${origin}`, `恢复 ${origin}`));
  await must(ctx, ['dmsetup', 'suspend', origin], { env: dmEnv() });
  const info = await must(ctx, ['dmsetup', 'info', origin], { env: dmEnv() });
  const state = /State:\s+(\S+)/.exec(info.stdout)?.[1] ?? '?';
  ctx.log(t(`dmsetup info ${origin}: State ${state} (what nslab just asked for, shown, not checked)`, `dmsetup info ${origin}：State ${state}（这是 nslab 刚刚要求的状态，只显示，不作为检查）`));
  let pending: { child: { pid: number; kill(): void }; id: number; out: Promise<{ stderr: string; code: number | null }>; done: boolean } | undefined;
  let heldMs = 0;
  let stateWhileSuspended = '';
  if (probe) {
    const { child, id } = ctx.spawn(
      { argv: [program('dd'), ...ddArgs], stdio: ['null', 'pipe', 'pipe'] },
      t(`direct read of the suspended ${origin} (dd)`, `对挂起的 ${origin} 的直接读（dd）`),
    );
    const p = { child, id, out: child.output(), done: false };
    void p.out.then(
      () => (p.done = true),
      () => (p.done = true),
    );
    pending = p;
    const hold = holdFor(control.ms);
    ctx.log(
      t(
        `A direct read of ${dev} is started while it is suspended; nslab watches it for ${(hold / 1000).toFixed(1)} s (the same read took ${control.ms} ms on the active device).`,
        `在 ${dev} 挂起期间发起一次直接读；nslab 观察它 ${(hold / 1000).toFixed(1)} 秒（同样的读在设备活动时用了 ${control.ms} 毫秒）。`,
      ),
    );
    const t0 = Date.now();
    while (Date.now() - t0 < hold && !p.done && !ctx.signal.aborted) await sleep(50);
    heldMs = Date.now() - t0;
    stateWhileSuspended = p.done ? 'exited' : (processState(child.pid) ?? 'exited');
  }
  const pool = names(ctx).pool;
  const message = `create_snap ${newId} ${originId}`;
  await must(ctx, ['dmsetup', 'message', pool, '0', message], { command: `dmsetup message ${pool} 0 "${message}"`, env: dmEnv() });
  const doneWhileSuspended = pending?.done ?? false;
  await must(ctx, ['dmsetup', 'resume', origin], { env: dmEnv() });
  ctx.cleanup.release(resume);
  if (!pending) return { state };
  const resumed = Date.now();
  const r = await within(pending.out.catch(() => undefined), RESUME_LIMIT_MS);
  const msAfterResume = Date.now() - resumed;
  if (r) {
    ctx.cleanup.release(pending.id);
    ctx.transcript({ command: `dd ${ddArgs.join(' ')}`, output: r.stderr, where: WHERE.host });
  } else pending.child.kill();
  const held: HeldRead = {
    controlMs: control.ms,
    controlBytes: control.bytes,
    heldMs,
    doneWhileSuspended,
    stateWhileSuspended,
    bytesAfterResume: r && r.code === 0 ? ddBytes(r.stderr) : -1,
    msAfterResume,
  };
  ctx.log(
    t(
      `The read was ${doneWhileSuspended ? 'already done' : `still pending (state ${stateWhileSuspended})`} after ${heldMs} ms of suspension; it completed ${msAfterResume} ms after resume.`,
      `挂起 ${heldMs} 毫秒后，这次读${doneWhileSuspended ? '已经完成' : `仍在等待（状态 ${stateWhileSuspended}）`}；恢复后 ${msAfterResume} 毫秒完成。`,
    ),
  );
  return { state, held };
}

export const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
export const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(missing)');
export const lines = (text: string) => text.trimEnd().split('\n');
