// 12-devicemapper, by hand (in the VM only): the learner builds a thin pool on loop devices over
// sparse files in the working directory, a volume with 1 MiB written and a snapshot of it, and
// predicts what one 4 KiB write into a shared block costs the pool. The checks read the kernel's
// device-mapper tables and status (dmsetup table, dmsetup status: the pool's used data blocks,
// each thin device's mapped sectors) and, in sysfs, which files the loop devices read.
//
// Device-mapper and loop devices are not in any namespace: what the learner makes outlives the
// playground unless someone removes it. `leftovers` does: every dm device stacked (sysfs holders)
// on a loop device whose file is beneath the working directory, topmost first, then those loops.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dmEnv, exercise, t, which, type Condition, type PlaygroundView, type Text } from '../../runner/kit/index.js';
import { parsePoolStatus, thinMappedSectors } from './dm.js';
import { BLOCK_SECTORS, DATA_SECTORS, LOW_WATER, META_SEEK, VOLUME_SECTORS } from './ops.js';

/** What the task writes to the origin before the snapshot: 1 MiB, 2048 sectors, 16 blocks of 64 KiB. */
const ORIGIN_SECTORS = 2048;
const ORIGIN_BLOCKS = ORIGIN_SECTORS / BLOCK_SECTORS;
/** One 4 KiB write into a shared block copies that whole block: one more block in the pool. */
const AFTER_WRITE_BLOCKS = ORIGIN_BLOCKS + 1;

/**
 * The names the tasks suggest, as shell words (any name works: the checks find the pool by the
 * files it stands on). $NSLAB_NAME is the playground's nslab-<token>-pg: devices named with it
 * are found and removed by the next nslab if this one crashes (core/sweep.ts).
 */
const POOL = '$NSLAB_NAME-pool';
const BASE = '$NSLAB_NAME-base';
const SNAP = '$NSLAB_NAME-snap';
const POOL_TABLE = `0 ${DATA_SECTORS} thin-pool $meta $data ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`;

/** The commands of the snapshot exercise: the lab's pool, volume 0 with 1 MiB written, snapshot 1. */
const BUILD = `dd if=/dev/zero of=data.img bs=1K count=1 seek=10M status=none
dd if=/dev/zero of=meta.data.img bs=1K count=1 seek=${META_SEEK} status=none
data=$(losetup -f --show data.img)
meta=$(losetup -f --show meta.data.img)
dmsetup create ${POOL} --table "${POOL_TABLE}"
dmsetup message ${POOL} 0 "create_thin 0"
dmsetup create ${BASE} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 0"
dd if=/dev/urandom of=/dev/mapper/${BASE} bs=1M count=1 iflag=fullblock oflag=direct status=none
dmsetup suspend ${BASE}
dmsetup message ${POOL} 0 "create_snap 1 0"
dmsetup resume ${BASE}
dmsetup create ${SNAP} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 1"`;

const NAME_NOTE = t(
  '$NSLAB_NAME is set in the playground (nslab-<token>-pg): names that start with it are removed by the next nslab even if this one crashes.',
  '练习场里设置了 $NSLAB_NAME（nslab-<令牌>-pg）：以它开头的设备名，即使这次 nslab 崩溃，下一次运行的 nslab 也会把它们删除。',
);

/** A thin device of the pool, as its table and status show it. */
export interface ThinSeen {
  readonly name: string;
  /** The pool's device id it shows (the last number of its table). */
  readonly id: number;
  /** Sectors it maps (dmsetup status); undefined when the status could not be read (Fail). */
  readonly mapped: number | undefined;
  readonly suspended: boolean;
}

/** A thin-pool device, the files its two loop devices read, its usage and its thin devices. */
export interface PoolSeen {
  readonly name: string;
  readonly blockSectors: number;
  /** The files behind its metadata and data devices (undefined: not a loop device). */
  readonly metaFile: string | undefined;
  readonly dataFile: string | undefined;
  /** Both files are in the working directory. */
  readonly inDir: boolean;
  /** Data blocks used and in all (undefined: the status could not be read). */
  readonly dataUsed: number | undefined;
  readonly dataTotal: number | undefined;
  readonly thins: readonly ThinSeen[];
}

export interface ThinWorld {
  /** Every thin-pool on this machine (device-mapper has no namespaces). */
  readonly pools: readonly PoolSeen[];
  /** The one on files of the working directory. */
  readonly pool: PoolSeen | undefined;
  /** Loop devices that read files of the working directory: /dev/loopN → file. */
  readonly loops: readonly string[];
  readonly answer: string | undefined;
}

const readSys = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const list = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** "major:minor:inode" of every regular file beneath `dir` (a few levels deep). */
function filesBeneath(dir: string, depth = 4): Set<string> {
  const out = new Set<string>();
  const walk = (d: string, left: number) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isFile()) {
        try {
          const st = statSync(p, { bigint: true });
          out.add(`${devMajor(st.dev)}:${devMinor(st.dev)}:${st.ino}`);
        } catch {
          // gone meanwhile
        }
      } else if (e.isDirectory() && left > 0) walk(p, left - 1);
    }
  };
  walk(dir, depth);
  return out;
}

const devMajor = (dev: bigint) => Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
const devMinor = (dev: bigint) => Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));

/**
 * The loop devices (loopN) whose backing file is a file beneath `dir`, told by the file's
 * identity (device and inode, from LOOP_GET_STATUS64 through losetup), never by its path: once
 * the playground's mount namespace is gone, the kernel names the file relative to its mount.
 */
function loopsUnder(dir: string): { dev: string; file: string }[] {
  const ours = filesBeneath(dir);
  let listed: { loopdevices?: { name: string; 'back-file'?: string; 'back-ino'?: number | string; 'back-maj:min'?: string }[] };
  try {
    const text = execFileSync(which('losetup') ?? 'losetup', ['--list', '--json', '-O', 'NAME,BACK-FILE,BACK-INO,BACK-MAJ:MIN'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    listed = text.trim() === '' ? {} : (JSON.parse(text) as typeof listed);
  } catch {
    return [];
  }
  const out: { dev: string; file: string }[] = [];
  for (const l of listed.loopdevices ?? []) {
    const id = `${(l['back-maj:min'] ?? '').trim()}:${String(l['back-ino'] ?? '').trim()}`;
    if (ours.has(id)) out.push({ dev: l.name.replace(/^\/dev\//, ''), file: (l['back-file'] ?? '').replace(/ \(deleted\)$/, '') });
  }
  return out;
}

/** `name: start length target args…` lines of `dmsetup table` or `dmsetup status`, first segment of each device. */
function byName(text: string): Map<string, { target: string; line: string; args: string[] }> {
  const out = new Map<string, { target: string; line: string; args: string[] }>();
  for (const l of text.split('\n')) {
    const m = /^(\S+):\s+(\d+\s+\d+\s+(\S+)(?:\s+(.*))?)$/.exec(l.trim());
    if (m && !out.has(m[1]!)) out.set(m[1]!, { target: m[3]!, line: m[2]!, args: (m[4] ?? '').split(/\s+/).filter(Boolean) });
  }
  return out;
}

/** What observe() read from the kernel: dmsetup's two listings, and each dm device's maj:min and suspension (sysfs). */
export interface DmListing {
  readonly table: string;
  readonly status: string;
  readonly devices: ReadonlyMap<string, { readonly majMin: string; readonly suspended: boolean }>;
}

/** The thin-pools of a listing with their thin devices; `fileOf` names the file behind a loop device's maj:min. */
export function poolsFrom(
  l: DmListing,
  dir: string,
  fileOf: (majMin: string | undefined) => string | undefined,
  /** Whether the loop device MAJ:MIN stands on a file beneath `dir` (default: its path says so). */
  ours: (majMin: string | undefined) => boolean = (m) => fileOf(m)?.startsWith(`${dir}/`) === true,
): PoolSeen[] {
  const tables = byName(l.table);
  const statuses = byName(l.status);
  const pools: PoolSeen[] = [];
  for (const [name, tb] of tables) {
    if (tb.target !== 'thin-pool') continue;
    const [meta, data, block] = tb.args;
    const majMin = l.devices.get(name)?.majMin;
    const thins: ThinSeen[] = [];
    for (const [tname, tt] of tables) {
      if (tt.target !== 'thin' || majMin === undefined || tt.args[0] !== majMin) continue;
      const st = statuses.get(tname);
      let mapped: number | undefined;
      try {
        mapped = st !== undefined ? thinMappedSectors(st.line) : undefined;
      } catch {
        mapped = undefined;
      }
      thins.push({ name: tname, id: Number(tt.args[1]), mapped, suspended: l.devices.get(tname)?.suspended === true });
    }
    let used: { dataUsed: number; dataTotal: number } | undefined;
    try {
      const st = statuses.get(name);
      if (st !== undefined) used = parsePoolStatus(st.line);
    } catch {
      used = undefined;
    }
    const metaFile = fileOf(meta);
    const dataFile = fileOf(data);
    pools.push({
      name,
      blockSectors: Number(block),
      metaFile,
      dataFile,
      inDir: ours(meta) && ours(data),
      dataUsed: used?.dataUsed,
      dataTotal: used?.dataTotal,
      thins,
    });
  }
  return pools;
}

async function thinWorld(pg: PlaygroundView): Promise<ThinWorld> {
  const dir = pg.dir;
  // device-mapper has no namespaces: dmsetup runs on the host side (runIn with none to join).
  const table = await pg.runIn(pg.init, [], ['dmsetup', 'table']);
  const status = await pg.runIn(pg.init, [], ['dmsetup', 'status']);
  const devices = new Map<string, { majMin: string; suspended: boolean }>();
  for (const d of list('/sys/block').filter((n) => n.startsWith('dm-'))) {
    const name = readSys(`/sys/block/${d}/dm/name`);
    const majMin = readSys(`/sys/block/${d}/dev`);
    if (name !== undefined && majMin !== undefined) devices.set(name, { majMin, suspended: readSys(`/sys/block/${d}/dm/suspended`) === '1' });
  }
  const fileOf = (majMin: string | undefined) =>
    majMin !== undefined && majMin.startsWith('7:') ? readSys(`/sys/dev/block/${majMin}/loop/backing_file`)?.replace(/ \(deleted\)$/, '') : undefined;
  const mine = new Set(loopsUnder(dir).map((l) => readSys(`/sys/block/${l.dev}/dev`)));
  const pools = poolsFrom({ table: table.stdout, status: status.stdout, devices }, dir, fileOf, (m) => m !== undefined && mine.has(m));
  return {
    pools,
    pool: pools.find((p) => p.inDir),
    loops: loopsUnder(dir).map((l) => `/dev/${l.dev} → ${l.file}`),
    answer: pg.answer,
  };
}

const showThin = (v: ThinSeen) => `${v.name} (id ${v.id}): ${v.mapped ?? '?'} sectors${v.suspended ? ', suspended' : ''}`;

/** The two thin devices of the pool the checks compare: active, distinct ids, the most mapped first. */
function pairOf(p: PoolSeen | undefined): { a: ThinSeen; b: ThinSeen } | undefined {
  if (p === undefined) return undefined;
  const active = p.thins.filter((v) => !v.suspended);
  for (const a of [...active].sort((x, y) => (y.mapped ?? 0) - (x.mapped ?? 0)))
    for (const b of active) if (b.id !== a.id) return { a, b };
  return undefined;
}

/** A thin-pool on two loop devices over files of the working directory (with 64 KiB blocks when `block` is set). */
function poolCondition(block: boolean): Condition<ThinWorld> {
  return {
    id: 'pool',
    description: block
      ? t(
          `A thin-pool with ${BLOCK_SECTORS}-sector (64 KiB) blocks stands on two loop devices whose files are in the working directory.`,
          `有一个 thin-pool（${BLOCK_SECTORS} 扇区即 64 KiB 的块），建在两个 loop 设备上，它们的文件在工作目录里。`,
        )
      : t('A thin-pool stands on two loop devices whose files are in the working directory.', '有一个 thin-pool 建在两个 loop 设备上，它们的文件在工作目录里。'),
    evaluate: (o) => {
      const p = o.pool;
      const pass = p !== undefined && (!block || p.blockSectors === BLOCK_SECTORS);
      const other = o.pools[0];
      const hint: Text | undefined = pass
        ? undefined
        : p !== undefined
          ? t(
              `the thin-pool ${p.name} allocates blocks of ${p.blockSectors} sectors; the task's table uses the article's ${BLOCK_SECTORS} (64 KiB), which the counts below assume. Remove it (its thin devices first) and make it again with ${BLOCK_SECTORS}.`,
              `thin-pool ${p.name} 按 ${p.blockSectors} 扇区分配块；任务的映射表用原文的 ${BLOCK_SECTORS}（64 KiB），后面的计数都以此为准。请删除它（先删它的精简设备），再用 ${BLOCK_SECTORS} 重建。`,
            )
          : other !== undefined
            ? t(
                `the thin-pool ${other.name} reads ${other.metaFile ?? 'a device that is not a loop'} and ${other.dataFile ?? 'a device that is not a loop'}: make its two files in the working directory.`,
                `thin-pool ${other.name} 读的是 ${other.metaFile ?? '一个不是 loop 的设备'} 和 ${other.dataFile ?? '一个不是 loop 的设备'}：请把它的两个文件放在工作目录里。`,
              )
            : o.loops.length > 0
              ? t(
                  `loop devices read files here (${o.loops.join(', ')}), but no thin-pool uses them yet: dmsetup create ${POOL} --table "0 ${DATA_SECTORS} thin-pool METADATA DATA ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"`,
                  `已有 loop 设备读这里的文件（${o.loops.join('，')}），但还没有 thin-pool 用它们：dmsetup create ${POOL} --table "0 ${DATA_SECTORS} thin-pool 元数据设备 数据设备 ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"`,
                )
              : t(
                  `no loop device reads a file of the working directory yet: make two sparse files (dd if=/dev/zero of=data.img bs=1K count=1 seek=10M, and meta.data.img with seek=${META_SEEK}) and attach them (losetup -f --show data.img).`,
                  `还没有 loop 设备读工作目录里的文件：先做两个稀疏文件（dd if=/dev/zero of=data.img bs=1K count=1 seek=10M，meta.data.img 用 seek=${META_SEEK}），再挂接它们（losetup -f --show data.img）。`,
                );
      return {
        observed:
          p !== undefined
            ? `${p.name}: thin-pool, ${p.blockSectors}-sector blocks, on ${p.metaFile ?? '-'} + ${p.dataFile ?? '-'}`
            : o.pools.length > 0
              ? o.pools.map((x) => `${x.name}: thin-pool on ${x.metaFile ?? '?'} + ${x.dataFile ?? '?'}`).join('; ')
              : t('no thin-pool', '没有 thin-pool'),
        expected: t(`a thin-pool on loop devices over two files in the working directory${block ? `, ${BLOCK_SECTORS}-sector blocks` : ''}`, `一个建在 loop 设备上的 thin-pool，两个文件都在工作目录里${block ? `，块大小 ${BLOCK_SECTORS} 扇区` : ''}`),
        pass,
        ...(hint !== undefined ? { hint } : {}),
      };
    },
  };
}

/** Two active thin devices of that pool with different device ids. */
const twoVolumes: Condition<ThinWorld> = {
  id: 'two-volumes',
  description: t('Two thin devices of that pool are active, with different device ids (a volume and its snapshot).', '这个池有两个处于活动状态的精简设备，设备号不同（一个卷和它的快照）。'),
  evaluate: (o) => {
    const p = o.pool;
    const pair = pairOf(p);
    const pass = pair !== undefined;
    const thins = p?.thins ?? [];
    const stuck = thins.find((v) => v.suspended);
    const ids = new Set(thins.map((v) => v.id));
    const hint: Text | undefined = pass
      ? undefined
      : p === undefined
        ? t('there is no pool on files of the working directory yet (see the first condition).', '还没有建在工作目录文件上的池（见第一个条件）。')
        : stuck !== undefined
          ? t(`${stuck.name} is still suspended: every I/O to it waits. dmsetup resume ${stuck.name}`, `${stuck.name} 仍处于挂起状态：对它的每次 I/O 都在等待。dmsetup resume ${stuck.name}`)
          : thins.length === 0
            ? t(
                `the pool ${p.name} has no active thin device: dmsetup message ${p.name} 0 "create_thin 0", then dmsetup create ${BASE} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${p.name} 0"`,
                `池 ${p.name} 还没有活动的精简设备：dmsetup message ${p.name} 0 "create_thin 0"，然后 dmsetup create ${BASE} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${p.name} 0"`,
              )
            : ids.size === 1 && thins.length >= 2
              ? t(
                  `${thins.map((v) => v.name).join(', ')} show the same device id, ${thins[0]!.id}: that is one volume activated twice, not a snapshot. A snapshot has an id of its own: dmsetup message ${p.name} 0 "create_snap 1 ${thins[0]!.id}", then a table that names id 1.`,
                  `${thins.map((v) => v.name).join('、')} 显示的是同一个设备号 ${thins[0]!.id}：这是同一个卷被激活了两次，而不是快照。快照有自己的设备号：dmsetup message ${p.name} 0 "create_snap 1 ${thins[0]!.id}"，再用一行指向设备号 1 的映射表激活它。`,
                )
              : t(
                  `only ${thins[0]!.name} (id ${thins[0]!.id}) is active: snapshot it (dmsetup suspend ${thins[0]!.name}; dmsetup message ${p.name} 0 "create_snap 1 ${thins[0]!.id}"; dmsetup resume ${thins[0]!.name}), then activate id 1: dmsetup create ${SNAP} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${p.name} 1"`,
                  `只有 ${thins[0]!.name}（设备号 ${thins[0]!.id}）是活动的：给它做快照（dmsetup suspend ${thins[0]!.name}；dmsetup message ${p.name} 0 "create_snap 1 ${thins[0]!.id}"；dmsetup resume ${thins[0]!.name}），再激活设备号 1：dmsetup create ${SNAP} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${p.name} 1"`,
                );
    return {
      observed: thins.length > 0 ? thins.map(showThin).join('; ') : t('no thin device', '没有精简设备'),
      expected: t('two active thin devices, two different ids', '两个活动的精简设备，设备号不同'),
      pass,
      ...(hint !== undefined ? { hint } : {}),
    };
  },
};

/** How the pool's count compares with what the two volumes map: shared sectors, at least. */
function sharing(p: PoolSeen, a: ThinSeen, b: ThinSeen): { held: number; shared: number } {
  const held = (p.dataUsed ?? 0) * p.blockSectors;
  return { held, shared: (a.mapped ?? 0) + (b.mapped ?? 0) - held };
}

const showPool = (p: PoolSeen) => `${p.name}: ${p.dataUsed ?? '?'} blocks used (× ${p.blockSectors} = ${(p.dataUsed ?? 0) * p.blockSectors} sectors)`;

// ---------------------------------------------------------------------------------------------
// 1. A snapshot that shares every block with its origin.

export const snapshot = exercise<ThinWorld>({
  id: 'snapshot',
  kind: 'do',
  vmOnly: true,
  title: t('A snapshot that shares its blocks', '一个共享数据块的快照'),
  task: t(
    `Build the lab's thin pool on two sparse files in the working directory (data.img, meta.data.img, each on a loop device), create thin volume 0 and activate it (1 GiB), write 1 MiB to it, then snapshot it (create_snap 1 0, with the volume suspended around it) and activate the snapshot too. Names are yours (${POOL}, ${BASE}, ${SNAP} say the hints). check looks for: that pool; two active thin devices of it with different ids; each mapping at least ${ORIGIN_SECTORS} sectors while the pool holds fewer blocks than they map together, i.e. blocks they share. ${NAME_NOTE.en}`,
    `在工作目录里用两个稀疏文件（data.img、meta.data.img，各自挂在一个 loop 设备上）建出本实验的 thin pool（精简池），创建并激活精简卷 0（1 GiB），往里写 1 MiB，然后给它做快照（create_snap 1 0，前后要挂起、恢复这个卷），并把快照也激活。名字随你（提示里用 ${POOL}、${BASE}、${SNAP}）。check 检查：这个池；池里两个设备号不同的活动精简设备；它们各自至少映射 ${ORIGIN_SECTORS} 个扇区，而池里的块比两者映射的总和少，也就是说有共享的块。${NAME_NOTE.zh}`,
  ),
  hints: [
    t(
      'A thin volume takes pool blocks only when written; a snapshot (create_snap NEW ORIGIN) starts as its origin\'s block map, so it maps as much as the origin while the pool holds each block once. dmsetup status shows both counts.',
      '精简卷只有在被写入时才占用池里的块；快照（create_snap 新设备号 源设备号）一开始就是源设备的块映射表，所以它映射的和源设备一样多，而池里每个块只存一份。dmsetup status 会显示这两种计数。',
    ),
    t(
      `pool: losetup -f --show FILE for each file, then dmsetup create ${POOL} --table "0 ${DATA_SECTORS} thin-pool META DATA ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"; a volume: dmsetup message ${POOL} 0 "create_thin 0" and dmsetup create ${BASE} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 0".`,
      `池：对每个文件 losetup -f --show 文件名，然后 dmsetup create ${POOL} --table "0 ${DATA_SECTORS} thin-pool 元数据设备 数据设备 ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"；卷：dmsetup message ${POOL} 0 "create_thin 0"，再 dmsetup create ${BASE} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 0"。`,
    ),
    t(
      `dd if=/dev/urandom of=/dev/mapper/${BASE} bs=1M count=1 iflag=fullblock oflag=direct; dmsetup suspend ${BASE}; dmsetup message ${POOL} 0 "create_snap 1 0"; dmsetup resume ${BASE}; dmsetup create ${SNAP} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 1"; dmsetup status`,
      `依次运行：dd if=/dev/urandom of=/dev/mapper/${BASE} bs=1M count=1 iflag=fullblock oflag=direct；dmsetup suspend ${BASE}；dmsetup message ${POOL} 0 "create_snap 1 0"；dmsetup resume ${BASE}；dmsetup create ${SNAP} --table "0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 1"；dmsetup status`,
    ),
  ],
  looksAt: t(
    "dmsetup table and dmsetup status of every device-mapper device (the pool's used data blocks, each thin device's id and mapped sectors), /sys/block/dm-*/dm/suspended, and /sys/dev/block/7:N/loop/backing_file of the pool's loop devices",
    '所有 device-mapper 设备的 dmsetup table 与 dmsetup status（池的已用数据块、每个精简设备的设备号和映射扇区数）、/sys/block/dm-*/dm/suspended，以及池所用 loop 设备的 /sys/dev/block/7:N/loop/backing_file',
  ),
  observe: thinWorld,
  leftovers: releaseDevices,
  conditions: [
    poolCondition(false),
    twoVolumes,
    {
      id: 'blocks-shared',
      description: t(
        `Each of the two maps at least ${ORIGIN_SECTORS} sectors (1 MiB), and the pool holds fewer blocks than they map together: some blocks are shared.`,
        `两者各自至少映射 ${ORIGIN_SECTORS} 个扇区（1 MiB），而池里的块比它们映射的总和少：有些块是共享的。`,
      ),
      evaluate: (o) => {
        const p = o.pool;
        const pair = pairOf(p);
        if (p === undefined || pair === undefined)
          return {
            observed: t('no pool with two volumes yet', '还没有带两个卷的池'),
            expected: t('a volume and its snapshot', '一个卷和它的快照'),
            pass: false,
            hint: t('first the pool and its two thin devices (see the conditions above).', '先要有池和它的两个精简设备（见上面的条件）。'),
          };
        const { a, b } = pair;
        const { held, shared } = sharing(p, a, b);
        const am = a.mapped ?? 0;
        const bm = b.mapped ?? 0;
        const pass = am >= ORIGIN_SECTORS && bm >= ORIGIN_SECTORS && shared > 0;
        const hint: Text | undefined = pass
          ? undefined
          : am === 0
            ? t(
                `neither volume maps a sector: write 1 MiB to the first one before you snapshot it (dd if=/dev/urandom of=/dev/mapper/${a.name} bs=1M count=1 iflag=fullblock oflag=direct).`,
                `两个卷都没有映射任何扇区：做快照之前先往第一个卷写 1 MiB（dd if=/dev/urandom of=/dev/mapper/${a.name} bs=1M count=1 iflag=fullblock oflag=direct）。`,
              )
            : bm === 0
              ? t(
                  `${b.name} maps no sectors: it started empty, so it was made with create_thin, or snapshotted before the write. A snapshot taken after the write starts with all of its origin's mappings: dmsetup remove ${b.name}; dmsetup message ${p.name} 0 "delete ${b.id}"; then create_snap ${b.id} ${a.id} (suspended) and activate it again.`,
                  `${b.name} 没有映射任何扇区：它一开始就是空的，所以它是用 create_thin 建的，或者是在写入之前做的快照。写入之后做的快照一开始就带着源设备的全部映射：dmsetup remove ${b.name}；dmsetup message ${p.name} 0 "delete ${b.id}"；然后（挂起源设备）create_snap ${b.id} ${a.id}，再激活它。`,
                )
              : shared <= 0
                ? t(
                    `the pool holds ${p.dataUsed} blocks (${held} sectors), as many as both volumes map together (${am + bm}): they share nothing. Copying the data into a second volume is not a snapshot; create_snap makes one that shares its origin's blocks.`,
                    `池里有 ${p.dataUsed} 个块（${held} 个扇区），与两个卷映射的总和（${am + bm}）一样多：它们什么也没共享。把数据复制到第二个卷里不是快照；create_snap 做出的快照才与源设备共享块。`,
                  )
                : t(
                    `the volumes map ${am} and ${bm} sectors: write 1 MiB (${ORIGIN_SECTORS} sectors) to the origin before the snapshot.`,
                    `两个卷分别映射 ${am} 和 ${bm} 个扇区：做快照之前要往源设备写 1 MiB（${ORIGIN_SECTORS} 个扇区）。`,
                  );
        return {
          observed: `${showThin(a)}; ${showThin(b)}; ${showPool(p)}`,
          expected: t(`each ≥ ${ORIGIN_SECTORS} sectors; pool < ${am + bm} sectors`, `各自 ≥ ${ORIGIN_SECTORS} 个扇区；池 < ${am + bm} 个扇区`),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
  ],
  solution: BUILD,
  nearMisses: [
    {
      id: 'create-thin',
      what: t('a second volume made with create_thin: empty, not a snapshot', '用 create_thin 建第二个卷：它是空的，不是快照'),
      script: BUILD.replace('"create_snap 1 0"', '"create_thin 1"'),
      fails: 'blocks-shared',
      hint: 'maps no sectors: it started empty',
    },
    {
      id: 'same-id',
      what: t('the volume activated twice under two names', '同一个卷用两个名字激活了两次'),
      script: BUILD.replace(`thin /dev/mapper/${POOL} 1"`, `thin /dev/mapper/${POOL} 0"`),
      fails: 'two-volumes',
      hint: 'that is one volume activated twice',
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// 2. Predict, then measure: a 4 KiB write into a shared block.

/** setup of the second exercise: the first one's state, made for the learner (host side, in the VM). */
function buildSnapshotFor(dir: string, name: string): void {
  const env = { ...process.env, ...dmEnv() };
  const [POOL, BASE, SNAP] = ['pool', 'base', 'snap'].map((s) => `${name}-${s}`) as [string, string, string];
  const run = (argv: string[]) =>
    execFileSync(which(argv[0]!) ?? argv[0]!, argv.slice(1), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  run(['dd', 'if=/dev/zero', 'of=data.img', 'bs=1K', 'count=1', 'seek=10M', 'status=none']);
  run(['dd', 'if=/dev/zero', 'of=meta.data.img', 'bs=1K', 'count=1', `seek=${META_SEEK}`, 'status=none']);
  const data = run(['losetup', '-f', '--show', join(dir, 'data.img')]);
  const meta = run(['losetup', '-f', '--show', join(dir, 'meta.data.img')]);
  run(['dmsetup', 'create', POOL, '--table', POOL_TABLE.replace('$meta', meta).replace('$data', data)]);
  run(['dmsetup', 'message', POOL, '0', 'create_thin 0']);
  run(['dmsetup', 'create', BASE, '--table', `0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 0`]);
  run(['dd', 'if=/dev/urandom', `of=/dev/mapper/${BASE}`, 'bs=1M', 'count=1', 'iflag=fullblock', 'oflag=direct', 'status=none']);
  run(['dmsetup', 'suspend', BASE]);
  try {
    run(['dmsetup', 'message', POOL, '0', 'create_snap 1 0']);
  } finally {
    run(['dmsetup', 'resume', BASE]);
  }
  run(['dmsetup', 'create', SNAP, '--table', `0 ${VOLUME_SECTORS} thin /dev/mapper/${POOL} 1`]);
}

const WRITE = `dd if=/dev/urandom of=/dev/mapper/${SNAP} bs=4K count=1 oflag=direct`;

export const cowCost = exercise<ThinWorld>({
  id: 'cow-cost',
  kind: 'predict',
  vmOnly: true,
  title: t('Predict the cost of one write to a snapshot', '预测写一次快照的代价'),
  task: t(
    `Ready for you: the pool ${POOL} (64 KiB blocks) on data.img and meta.data.img here, volume ${BASE} (id 0) with 1 MiB written (${ORIGIN_BLOCKS} blocks), and its snapshot ${SNAP} (id 1), sharing all of them: dmsetup status shows it. First predict: after one 4 KiB write to ${SNAP} at offset 0 (${WRITE}), how many data blocks will the pool use? Type answer N. Then write, and check: it reads the pool's used blocks and both volumes' mapped sectors, and compares with your answer. ${NAME_NOTE.en}`,
    `已经为你准备好：这里的 data.img 和 meta.data.img 上的池 ${POOL}（64 KiB 的块），写了 1 MiB（${ORIGIN_BLOCKS} 个块）的卷 ${BASE}（设备号 0），以及它的快照 ${SNAP}（设备号 1），这些块全部共享：dmsetup status 可以看到。先预测：往 ${SNAP} 的偏移 0 处写一次 4 KiB（${WRITE}）之后，池会用多少个数据块？输入 answer N。然后写入，再 check：它读取池的已用块数和两个卷的映射扇区数，并与你的答案比较。${NAME_NOTE.zh}`,
  ),
  hints: [
    t('dmsetup status shows the pool as … USED/TOTAL (metadata) USED/TOTAL (data) …, and each thin device as its mapped sectors.', 'dmsetup status 把池显示为 … 已用/总数（元数据） 已用/总数（数据） …，把每个精简设备显示为它映射的扇区数。'),
    t(
      'A shared block may not be changed in place (the other volume still reads it): the pool allocates a new block, copies, then writes. Its unit is the pool\'s block, not the 4 KiB you wrote.',
      '共享的块不能原地修改（另一个卷还在读它）：池分配一个新块，先复制，再写入。复制的单位是池的块，而不是你写的 4 KiB。',
    ),
    t(`answer N; ${WRITE}; dmsetup status ${POOL}`, `先 answer N（N 是你预测的块数），再运行：${WRITE}；dmsetup status ${POOL}`),
  ],
  looksAt: t(
    "dmsetup table and dmsetup status of every device-mapper device (the pool's used data blocks, each thin device's mapped sectors), and your answer",
    '所有 device-mapper 设备的 dmsetup table 与 dmsetup status（池的已用数据块、每个精简设备的映射扇区数），以及你的答案',
  ),
  setup: buildSnapshotFor,
  leftovers: releaseDevices,
  observe: thinWorld,
  conditions: [
    poolCondition(true),
    twoVolumes,
    {
      id: 'one-block-copied',
      description: t(
        `Both volumes still map ${ORIGIN_SECTORS} sectors, and the pool now uses ${AFTER_WRITE_BLOCKS} blocks: the ${ORIGIN_BLOCKS} shared ones and one copy.`,
        `两个卷仍各自映射 ${ORIGIN_SECTORS} 个扇区，而池现在用了 ${AFTER_WRITE_BLOCKS} 个块：${ORIGIN_BLOCKS} 个共享块加一个副本。`,
      ),
      evaluate: (o) => {
        const p = o.pool;
        const pair = pairOf(p);
        if (p === undefined || pair === undefined)
          return {
            observed: t('no pool with two volumes', '没有带两个卷的池'),
            expected: `${AFTER_WRITE_BLOCKS} blocks`,
            pass: false,
            hint: t('the pool or a volume nslab made is gone: leave the playground (exit) and start the exercise again.', 'nslab 建好的池或卷不见了：请离开练习场（exit），重新开始这个练习。'),
          };
        const { a, b } = pair;
        const used = p.dataUsed ?? -1;
        const maps = a.mapped === ORIGIN_SECTORS && b.mapped === ORIGIN_SECTORS;
        const pass = maps && used === AFTER_WRITE_BLOCKS;
        const hint: Text | undefined = pass
          ? undefined
          : !maps
            ? t(
                `the volumes map ${a.mapped ?? '?'} and ${b.mapped ?? '?'} sectors, not ${ORIGIN_SECTORS} each: something was written outside the first 1 MiB. Write exactly 4 KiB at offset 0 (${WRITE}); to start again, exit and open the exercise anew.`,
                `两个卷分别映射 ${a.mapped ?? '?'} 和 ${b.mapped ?? '?'} 个扇区，而不是各 ${ORIGIN_SECTORS} 个：有写入落在了前 1 MiB 之外。请只在偏移 0 处写 4 KiB（${WRITE}）；要重来，先 exit，再重新打开这个练习。`,
              )
            : used === ORIGIN_BLOCKS
              ? t(
                  `the pool still uses ${ORIGIN_BLOCKS} blocks: the two volumes still share every block, nothing was written to either since the snapshot. ${WRITE}`,
                  `池仍然只用 ${ORIGIN_BLOCKS} 个块：两个卷仍共享每一个块，快照之后谁都没被写过。${WRITE}`,
                )
              : t(
                  `the pool uses ${used} blocks: more than one shared 64 KiB block was written since the snapshot. Write exactly 4 KiB, once, at offset 0; to start again, exit and open the exercise anew.`,
                  `池用了 ${used} 个块：快照之后被写到的共享 64 KiB 块不止一个。请只在偏移 0 处写一次 4 KiB；要重来，先 exit，再重新打开这个练习。`,
                );
        return {
          observed: `${showThin(a)}; ${showThin(b)}; ${showPool(p)}`,
          expected: t(`${ORIGIN_SECTORS} sectors each; ${AFTER_WRITE_BLOCKS} blocks used`, `各 ${ORIGIN_SECTORS} 个扇区；已用 ${AFTER_WRITE_BLOCKS} 个块`),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'prediction',
      description: t('Your answer is the number of data blocks the pool uses after the write.', '你的答案等于写入之后池所用的数据块数。'),
      evaluate: (o) => {
        const p = o.pool;
        const pair = pairOf(p);
        const said = o.answer === undefined ? undefined : Number(/^\d+/.exec(o.answer.replace(/[\s,_]/g, ''))?.[0] ?? NaN);
        const written = p !== undefined && pair !== undefined && pair.a.mapped === ORIGIN_SECTORS && pair.b.mapped === ORIGIN_SECTORS && (p.dataUsed ?? 0) > ORIGIN_BLOCKS;
        const measured = written ? p.dataUsed : undefined;
        const pass = said === AFTER_WRITE_BLOCKS && measured === AFTER_WRITE_BLOCKS;
        const hint: Text | undefined = pass
          ? undefined
          : said === undefined
            ? t('no answer recorded: type answer N (your prediction, in blocks), then check again.', '还没有记录答案：输入 answer N（你预测的块数），然后再 check。')
            : Number.isNaN(said)
              ? t(`"${o.answer}" is not a number of blocks: answer N`, `“${o.answer}”不是块数：answer N`)
              : measured === undefined
                ? t(`your answer ${said} is noted; now write (${WRITE}) and check again.`, `已记下你的答案 ${said}；现在写入（${WRITE}），然后再 check。`)
                : measured !== AFTER_WRITE_BLOCKS
                  ? t(
                      `the pool uses ${measured} blocks, which is not what the task's single 4 KiB write leaves (see the condition above): your answer is judged once that holds.`,
                      `池用了 ${measured} 个块，这不是任务中那一次 4 KiB 写入留下的结果（见上面的条件）：等它成立后再评判你的答案。`,
                    )
                  : said === ORIGIN_BLOCKS
                    ? t(
                        `the write did cost a block: a shared block is never changed in place, since the other volume still reads it. The pool copied that whole 64 KiB block and wrote the 4 KiB into the copy: ${measured} blocks.`,
                        `这次写入确实花了一个块：共享的块从不原地修改，因为另一个卷还在读它。池复制了整个 64 KiB 的块，再把 4 KiB 写进副本：${measured} 个块。`,
                      )
                    : said >= 2 * ORIGIN_BLOCKS
                      ? t(
                          `a snapshot is not a copy of the volume: only the block that was written got its own copy; the other ${ORIGIN_BLOCKS - 1} are still shared: ${measured} blocks.`,
                          `快照不是卷的副本：只有被写到的那个块有了自己的副本，其余 ${ORIGIN_BLOCKS - 1} 个仍然共享：${measured} 个块。`,
                        )
                      : t(
                          `the pool uses ${measured} blocks, not ${said}: the ${ORIGIN_BLOCKS} shared blocks, plus one 64 KiB copy of the block the 4 KiB went into.`,
                          `池用了 ${measured} 个块，而不是 ${said}：${ORIGIN_BLOCKS} 个共享块，加上 4 KiB 写入的那个块的一份 64 KiB 副本。`,
                        );
        return {
          observed: t(`answer ${o.answer ?? '-'}; measured ${measured ?? '-'}`, `答案 ${o.answer ?? '-'}；测得 ${measured ?? '-'}`),
          expected: measured === undefined ? t('your answer, then the measurement', '先有你的答案，再有测量值') : t(`answer ${measured}`, `答案 ${measured}`),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
  ],
  solution: `export DM_DISABLE_UDEV=1
answer ${AFTER_WRITE_BLOCKS}
${WRITE} status=none`,
  nearMisses: [
    {
      id: 'no-write',
      what: t('answers, but never writes', '回答了，却没有写入'),
      script: `answer ${AFTER_WRITE_BLOCKS}`,
      fails: 'one-block-copied',
      hint: `the pool still uses ${ORIGIN_BLOCKS} blocks`,
    },
    {
      id: 'in-place',
      what: t('predicts that a write into a shared block costs nothing', '预测写共享块不花任何空间'),
      script: `export DM_DISABLE_UDEV=1\nanswer ${ORIGIN_BLOCKS}\n${WRITE} status=none`,
      fails: 'prediction',
      hint: 'a shared block is never changed in place',
    },
  ],
});

/**
 * Remove every device-mapper device stacked on a loop device whose file is beneath `dir`
 * (through sysfs holders, the topmost first, suspended ones resumed), then detach those loops.
 * The files being beneath the playground's own working directory proves the devices ours.
 */
export function releaseDevices(dir: string): string[] {
  const env = { ...process.env, ...dmEnv() };
  const tool = (argv: string[]) => execFileSync(which(argv[0]!) ?? argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const loops = loopsUnder(dir);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (dev: string) => {
    for (const h of list(`/sys/block/${dev}/holders`))
      if (!seen.has(h)) {
        seen.add(h);
        visit(h);
        order.push(h); // after its own holders
      }
  };
  for (const l of loops) visit(l.dev);
  const nameOf = (dm: string) => readSys(`/sys/block/${dm}/dm/name`);
  const removed: string[] = [];
  const failed: string[] = [];
  // A suspended device would keep its I/O (and a remove) waiting: resume, lowest first.
  for (const dm of [...order].reverse()) {
    const name = nameOf(dm);
    if (name !== undefined && readSys(`/sys/block/${dm}/dm/suspended`) === '1')
      try {
        tool(['dmsetup', 'resume', name]);
      } catch (e) {
        failed.push(`dmsetup resume ${name}: ${(e as Error).message}`);
      }
  }
  for (const dm of order) {
    const name = nameOf(dm);
    if (name === undefined) continue;
    try {
      tool(['dmsetup', 'remove', '--retry', name]);
      removed.push(`device-mapper ${name}`);
    } catch (e) {
      failed.push(`dmsetup remove ${name}: ${(e as Error).message}`);
    }
  }
  for (const l of loops)
    try {
      tool(['losetup', '-d', `/dev/${l.dev}`]);
      removed.push(`/dev/${l.dev} (${l.file})`);
    } catch (e) {
      failed.push(`losetup -d /dev/${l.dev}: ${(e as Error).message}`);
    }
  if (failed.length > 0) throw new Error(`could not remove: ${failed.join('; ')}`);
  return removed;
}

export const exercises = [snapshot, cowCost];
