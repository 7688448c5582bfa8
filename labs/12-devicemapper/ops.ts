// Lab 12's figures and its operations on the kernel: the article's sizes, this run's device
// names, and creating loop devices, device-mapper devices, mounts and snapshots, each recorded
// in the run's journal before (or as) it is made.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dmEnv, must, type StepContext } from '../../runner/kit/index.js';
import { parsePoolStatus, type PoolStatus } from './dm.js';

export const KiB = 1024;
export const GiB = 1024 * 1024 * 1024;
/** The article's data file: dd bs=1K seek=10M count=1 → 10 GiB + 1 KiB = 20971522 sectors. */
export const DATA_BYTES = 10 * GiB + KiB;
export const DATA_SECTORS = DATA_BYTES / 512;
/** The article's ls shows a 101M metadata file: dd bs=1K seek=100K count=1. */
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
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup -f printed ${JSON.stringify(device)}`);
    try {
      const { id } = await ctx.cleanup.create({ kind: 'loop', device, rel: ctx.cleanup.rel(file) }, `loop device ${device} (${file})`, () =>
        must(ctx, ['losetup', device, file]),
      );
      return { device, id };
    } catch {
      // taken by someone else meanwhile: try the next free one
    }
  }
  throw new Error('no loop device could be attached');
}

/** `dmsetup create NAME --table TABLE`; returns its journal id. */
export async function createDm(ctx: StepContext, name: string, table: string): Promise<number> {
  // dmsetup may fail after the device exists; the name carries our token, so it is kept to remove.
  const { id } = await ctx.cleanup.create(
    { kind: 'dm', name },
    `device-mapper device ${name}`,
    () => must(ctx, ['dmsetup', 'create', name, '--table', table], { command: `dmsetup create ${name} --table "${table}"`, env: dmEnv() }),
    { keepOnFailure: true },
  );
  return id;
}

/** `mount /dev/mapper/NAME DIR`; returns its journal id. */
export async function mountAt(ctx: StepContext, name: string, dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const { id } = await ctx.cleanup.create({ kind: 'mount', rel: ctx.cleanup.rel(dir) }, `mount of ${name} on ${dir}`, () => must(ctx, ['mount', mapper(name), dir]));
  return id;
}

const stateOf = async (ctx: StepContext, device: string) =>
  /State:\s+(\S+)/.exec((await must(ctx, ['dmsetup', 'info', device], { env: dmEnv() })).stdout)?.[1] ?? '?';

/**
 * The kernel's rule for a snapshot of an active volume: suspend it, send create_snap, resume.
 * Suspending waits for in-flight I/O and freezes the file system on it, so the snapshot is a
 * complete, consistent image; a pending resume is recorded so that an interrupt never leaves it frozen.
 */
export async function snapshotOf(ctx: StepContext, origin: string, newId: number, originId: number): Promise<{ during: string; after: string }> {
  const resume = ctx.cleanup.push({ kind: 'dmResume', name: origin }, `resume of ${origin}`);
  await must(ctx, ['dmsetup', 'suspend', origin], { env: dmEnv() });
  const during = await stateOf(ctx, origin);
  const pool = names(ctx).pool;
  const message = `create_snap ${newId} ${originId}`;
  await must(ctx, ['dmsetup', 'message', pool, '0', message], { command: `dmsetup message ${pool} 0 "${message}"`, env: dmEnv() });
  await must(ctx, ['dmsetup', 'resume', origin], { env: dmEnv() });
  ctx.cleanup.release(resume);
  const after = await stateOf(ctx, origin);
  return { during, after };
}

export const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
export const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(missing)');
export const lines = (text: string) => text.trimEnd().split('\n');
