// 12-devicemapper: a device-mapper thin pool on two sparse files, a thin volume with ext4 on it,
// copy-on-write snapshots of it (and of a snapshot), and thin provisioning measured: the pool
// and its data file hold only what was written, and volumes may promise more than the pool has.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountsOf, basics, filesystem, tool, type Entry, type Lab, type StepContext } from '../../runner/kit/index.js';
import {
  allocation,
  backingFile,
  blockBytes,
  cmd,
  dmsetup,
  loopDriver,
  loopsBacking,
  majMin,
  nslabDmDevices,
  parsePoolStatus,
  sh,
  thinMappedSectors,
  thinPool,
  type PoolStatus,
} from './dm.js';

const KiB = 1024;
const GiB = 1024 * 1024 * 1024;
/** The article's data file: dd bs=1K seek=10M count=1 → 10 GiB + 1 KiB = 20971522 sectors. */
const DATA_BYTES = 10 * GiB + KiB;
const DATA_SECTORS = DATA_BYTES / 512;
/** The article's ls shows a 101M metadata file: dd bs=1K seek=100K count=1. */
const META_BYTES = 100 * 1024 * KiB + KiB;
/** The article's table: 128-sector (64 KiB) blocks, low-water mark 65536 blocks, no zeroing. */
const BLOCK_SECTORS = 128;
const BLOCK_BYTES = BLOCK_SECTORS * 512;
const LOW_WATER = 65536;
/** Thin volumes of 1 GiB (2097152 sectors), as in the article. */
const VOLUME_SECTORS = 2097152;
/** The over-provisioned volume: 100 GiB on a 10 GiB pool. */
const BIG_SECTORS = 100 * 2 * 1024 * 1024;
const BIG_WRITE_AT_MIB = 50 * 1024;
/** A file with more than this fraction of its apparent size allocated is not "sparse" here. */
const SPARSE_MAX_BYTES = 64 * KiB;
const ALLOCATED_MAX_FRACTION = 0.02;

/**
 * The device-mapper names of one run. Every host object of a run carries its token
 * (nslab-<token>-pool, …): the journal refuses any other name, and a parallel run's
 * devices never collide with ours.
 */
interface DmNames {
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
/** The names as the learner reads them in `modern:` lines (the run shows the real ones). */
const SHOWN = dmNames((suffix) => `nslab-<token>-${suffix}`);
const mapper = (name: string) => `/dev/mapper/${name}`;

const BASE_TEXT = 'hello world, I am a base';
const SNAP_TEXT = 'I am snap1';
const LATER_TEXT = 'written to the base after the snapshot';

interface Files {
  data: string;
  meta: string;
  dataAlloc: { size: number; allocated: number };
  metaAlloc: { size: number; allocated: number };
}

interface State {
  dir?: string;
  /** This run's device names, set by the first step from ctx.token. */
  dm?: DmNames;
  ids: Record<string, number>;
  files?: Files;
  loops?: { data: string; meta: string; dataBacking?: string; metaBacking?: string; dataBytes: number };
  pool?: { table: string; status: PoolStatus; dataMajMin: string; metaMajMin: string; node: boolean };
  thin?: { bytes: number; mapped: number; poolAfter: PoolStatus };
  base?: { mount?: { fstype: string; source: string }; idText: string; poolAfter: PoolStatus };
  snap?: { stateSuspended: string; stateAfter: string; idText: string; files: string[] };
  iso?: { snapId: string; snapFile: string; baseId: string; baseFiles: string[]; snapFiles: string[] };
  snap2?: { files: string[]; idText: string; snap1Text: string };
  usage?: { status: PoolStatus; data: { size: number; allocated: number }; volumes: Record<string, number> };
  over?: { bigBytes: number; sumBytes: number; poolBytes: number; before: PoolStatus; after: PoolStatus; mapped: number };
  teardown?: { dm: string[]; loops: string[]; mounts: string[] };
}

/** Journal a state change before it is made (a suspend); the id is kept to release it once undone by hand. */
function record(ctx: StepContext, s: State, key: string, entry: Entry, label: string): void {
  s.ids[key] = ctx.cleanup.push(entry, label);
}

/** This run's names (set in the first step; derived again from the token if a step runs alone). */
function names(ctx: StepContext, s: State): DmNames {
  return (s.dm ??= dmNames((suffix) => ctx.name(suffix)));
}

function poolStatus(ctx: StepContext, s: State): Promise<PoolStatus> {
  const pool = names(ctx, s).pool;
  return cmd(ctx, `dmsetup status ${pool}`, dmsetup('status', pool)).then((r) => parsePoolStatus(r.stdout));
}

/** losetup -f names a free device, recorded before `losetup DEV FILE` attaches it. */
async function attachLoop(ctx: StepContext, s: State, key: string, file: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const device = (await cmd(ctx, 'losetup -f', ['losetup', '-f'])).stdout.trim();
    if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup -f printed ${JSON.stringify(device)}`);
    try {
      const { id } = await ctx.cleanup.create({ kind: 'loop', device, rel: ctx.cleanup.rel(file) }, `loop device ${device} (${file})`, () =>
        cmd(ctx, `losetup ${device} ${file}`, ['losetup', device, file]),
      );
      s.ids[key] = id;
      return device;
    } catch {
      // taken by someone else meanwhile: try the next free one
    }
  }
  throw new Error('no loop device could be attached');
}

async function createDm(ctx: StepContext, s: State, name: string, table: string): Promise<void> {
  // dmsetup may fail after the device exists; the name carries our token, so it is kept to remove.
  const { id } = await ctx.cleanup.create({ kind: 'dm', name }, `device-mapper device ${name}`, () => cmd(ctx, `dmsetup create ${name} --table "${table}"`, dmsetup('create', name, '--table', table)), {
    keepOnFailure: true,
  });
  s.ids[name] = id;
}

async function mountAt(ctx: StepContext, s: State, name: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { id } = await ctx.cleanup.create({ kind: 'mount', rel: ctx.cleanup.rel(dir) }, `mount of ${name} on ${dir}`, () => cmd(ctx, `mount ${mapper(name)} ${dir}`, ['mount', mapper(name), dir]));
  s.ids[`mount:${name}`] = id;
}

/**
 * The kernel's rule for a snapshot of an active volume: suspend it, send create_snap, resume.
 * Suspending waits for in-flight I/O and freezes the file system on it, so the snapshot is a
 * complete, consistent image; a pending resume is recorded so that an interrupt never leaves it frozen.
 */
async function snapshotOf(ctx: StepContext, s: State, origin: string, newId: number, originId: number): Promise<{ during: string; after: string }> {
  record(ctx, s, `resume:${origin}`, { kind: 'dmResume', name: origin }, `resume of ${origin}`);
  await cmd(ctx, `dmsetup suspend ${origin}`, dmsetup('suspend', origin));
  const during = /State:\s+(\S+)/.exec((await cmd(ctx, `dmsetup info ${origin}`, dmsetup('info', origin))).stdout)?.[1] ?? '?';
  const pool = names(ctx, s).pool;
  await cmd(ctx, `dmsetup message ${pool} 0 "create_snap ${newId} ${originId}"`, dmsetup('message', pool, '0', `create_snap ${newId} ${originId}`));
  await cmd(ctx, `dmsetup resume ${origin}`, dmsetup('resume', origin));
  ctx.cleanup.release(s.ids[`resume:${origin}`]!);
  const after = /State:\s+(\S+)/.exec((await cmd(ctx, `dmsetup info ${origin}`, dmsetup('info', origin))).stdout)?.[1] ?? '?';
  return { during, after };
}

const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(missing)');
const lines = (text: string) => text.trimEnd().split('\n');
const dir = (s: State, name: string) => join(s.dir!, name);

export const lab: Lab<State> = {
  id: '12-devicemapper',
  title: { en: 'Device-mapper thin pool and snapshots', zh: 'Device-mapper 精简池与快照' },
  card: {
    problem: {
      en: 'Docker needed copy-on-write image layers on distributions without AUFS (RHEL, CentOS). Thin provisioning gives block devices that share unchanged blocks: each layer or container is a snapshot of its parent.',
      zh: 'Docker 需要在没有 AUFS 的发行版(RHEL、CentOS)上实现写时复制的镜像分层。精简配置提供共享未修改块的块设备:每一层或每个容器都是其父层的一个快照。',
    },
    tradeoff: {
      en: 'Works under any file system and copies only 64 KiB blocks, but every container gets a fixed-size device with its own file system and page cache, and loop files (as here) are slow: Docker deprecated the driver and removed it in Engine 25.',
      zh: '它在任何文件系统之下工作,只按 64 KiB 的块复制;但每个容器都有固定大小的设备、独立的文件系统和页缓存,而用 loop 文件(如本实验)很慢:Docker 已弃用该驱动,并在 Engine 25 中移除。',
    },
    usedBy: {
      en: "Docker's devicemapper storage driver (loop-lvm and direct-lvm), LVM thin volumes (lvcreate --thin), containerd's devmapper snapshotter for Firecracker and Kata VMs, Stratis.",
      zh: 'Docker 的 devicemapper 存储驱动(loop-lvm 与 direct-lvm)、LVM 精简卷(lvcreate --thin)、containerd 为 Firecracker 和 Kata 虚拟机提供的 devmapper snapshotter、Stratis。',
    },
    parts: {
      en: 'Two block devices (metadata and data; here loop devices on sparse files), the thin-pool target, thin targets naming a device id in the pool, and messages to the pool: create_thin, create_snap, delete. dmsetup talks to the kernel through /dev/mapper/control.',
      zh: '两个块设备(元数据与数据;这里是稀疏文件上的 loop 设备)、thin-pool 目标、指向池中设备号的 thin 目标,以及发给池的消息:create_thin、create_snap、delete。dmsetup 通过 /dev/mapper/control 与内核交互。',
    },
    kernel: {
      en: 'drivers/md/dm-thin.c keeps, in B-trees on the metadata device, a map from (device id, virtual block) to data block. A snapshot shares its origin\'s tree; the first write to a shared block allocates a new block and remaps it (copy-on-write), with reference counts.',
      zh: 'drivers/md/dm-thin.c 在元数据设备上的 B 树里维护(设备号, 虚拟块)到数据块的映射。快照共享源设备的树;对共享块的第一次写会分配新块并重新映射(写时复制),靠引用计数管理。',
    },
    alternatives: {
      en: "overlayfs (file-level copy-up, shared page cache: Docker's default overlay2), btrfs and ZFS snapshots, the older dm-snapshot target (slow with many snapshots), qcow2 backing files for VM disks.",
      zh: 'overlayfs(文件级 copy-up,共享页缓存:Docker 默认的 overlay2)、btrfs 与 ZFS 快照、较老的 dm-snapshot 目标(快照多了就慢)、虚拟机磁盘的 qcow2 后备文件。',
    },
  },
  requirements: [
    ...basics,
    thinPool,
    loopDriver,
    tool('dmsetup', 'dmsetup'),
    tool('losetup', 'mount'),
    tool('mkfs.ext4', 'e2fsprogs'),
    tool('dd', 'coreutils'),
    filesystem('ext4'),
  ],
  init: () => ({ ids: {} }),
  steps: [
    {
      id: 'sparse-files',
      title: { en: 'Two sparse files: 10 GiB of data, 100 MiB of metadata', zh: '两个稀疏文件:10 GiB 数据、100 MiB 元数据' },
      explain: {
        en: 'dd writes one 1 KiB block after seeking 10 GiB into a new file: the file is 10 GiB long, but the file system allocates only the block that was written. The pool will keep its data in the big file and its block maps in the small one.',
        zh: 'dd 在新文件中先跳过 10 GiB 再写入 1 KiB:文件长度是 10 GiB,但文件系统只为真正写入的那一块分配空间。精简池的数据放在大文件里,块映射表放在小文件里。',
      },
      article: 'dd if=/dev/zero of=/tmp/data.img bs=1K count=1 seek=10M',
      modern: 'truncate -s 10G data.img   # same idea; nslab runs the article\'s dd',
      async run(ctx, s) {
        s.dm = dmNames((suffix) => ctx.name(suffix));
        s.dir = ctx.scratch();
        const data = join(s.dir, 'data.img');
        const meta = join(s.dir, 'meta.data.img');
        await cmd(ctx, `dd if=/dev/zero of=${data} bs=1K count=1 seek=10M`, ['dd', 'if=/dev/zero', `of=${data}`, 'bs=1K', 'count=1', 'seek=10M']);
        await cmd(ctx, `dd if=/dev/zero of=${meta} bs=1K count=1 seek=100K`, ['dd', 'if=/dev/zero', `of=${meta}`, 'bs=1K', 'count=1', 'seek=100K']);
        await cmd(ctx, `ls -lsh ${data} ${meta}`, ['ls', '-lsh', data, meta]);
        s.files = { data, meta, dataAlloc: allocation(data), metaAlloc: allocation(meta) };
        ctx.measure('files', { data: s.files.dataAlloc, meta: s.files.metaAlloc });
      },
      checks: [
        {
          id: 'data-apparent-size',
          description: 'The data file is 10 GiB + 1 KiB long (20971522 sectors), exactly.',
          evaluate: (s) => ({
            observed: `${s.files!.dataAlloc.size} bytes`,
            expected: `${DATA_BYTES} bytes`,
            pass: s.files!.dataAlloc.size === DATA_BYTES,
          }),
        },
        {
          id: 'files-sparse',
          description: `Both files occupy at most ${SPARSE_MAX_BYTES / KiB} KiB on disk (st_blocks × 512; the article saw 12K and 4K).`,
          evaluate: (s) => ({
            observed: `data ${s.files!.dataAlloc.allocated} bytes, metadata ${s.files!.metaAlloc.allocated} bytes allocated`,
            expected: `each ≤ ${SPARSE_MAX_BYTES} bytes (metadata file ${META_BYTES} bytes long)`,
            pass:
              s.files!.dataAlloc.allocated <= SPARSE_MAX_BYTES &&
              s.files!.metaAlloc.allocated <= SPARSE_MAX_BYTES &&
              s.files!.metaAlloc.size === META_BYTES,
          }),
        },
      ],
    },
    {
      id: 'loop-devices',
      title: { en: 'Loop devices make the files block devices', zh: 'loop 设备把文件变成块设备' },
      explain: {
        en: 'device-mapper stacks on block devices, not files. A loop device turns each file into one; losetup -f finds a free loop device (the article picked names by hand).',
        zh: 'device-mapper 叠加在块设备上,而不是文件上。loop 设备把每个文件变成块设备;losetup -f 找一个空闲的 loop 设备(原文是手工指定的名字)。',
      },
      article: 'losetup /dev/loop2015 /tmp/data.img',
      modern: 'losetup --find --show data.img; losetup -a',
      async run(ctx, s) {
        const data = await attachLoop(ctx, s, 'loop:data', s.files!.data);
        const meta = await attachLoop(ctx, s, 'loop:meta', s.files!.meta);
        await cmd(ctx, 'losetup -a', ['losetup', '-a']);
        s.loops = { data, meta, dataBytes: blockBytes(data) };
        const db = backingFile(data);
        const mb = backingFile(meta);
        if (db !== undefined) s.loops.dataBacking = db;
        if (mb !== undefined) s.loops.metaBacking = mb;
      },
      checks: [
        {
          id: 'backing-files',
          description: 'Each loop device is backed by its file (/sys/block/loopN/loop/backing_file).',
          evaluate: (s) => ({
            observed: `${s.loops!.data} → ${s.loops!.dataBacking}, ${s.loops!.meta} → ${s.loops!.metaBacking}`,
            expected: `${s.files!.data}, ${s.files!.meta}`,
            pass: s.loops!.dataBacking === s.files!.data && s.loops!.metaBacking === s.files!.meta,
          }),
        },
        {
          id: 'loop-size',
          description: 'The data loop device is as large as its file: 20971522 sectors.',
          evaluate: (s) => ({
            observed: `${s.loops!.dataBytes / 512} sectors`,
            expected: `${DATA_SECTORS} sectors`,
            pass: s.loops!.dataBytes === DATA_BYTES,
          }),
        },
      ],
    },
    {
      id: 'thin-pool',
      title: { en: "The article's thin pool", zh: '原文的精简池' },
      explain: {
        en: 'One table line makes the pool: sectors 0 to 20971522 are a thin-pool on the metadata device and the data device, allocating 128-sector (64 KiB) blocks, with a low-water mark of 65536 free blocks (an event for whoever grows the pool) and one feature, skip_block_zeroing: new blocks are not zeroed first.',
        zh: '一行映射表就建好池:0 到 20971522 扇区是一个 thin-pool,使用元数据设备和数据设备,按 128 扇区(64 KiB)分配块,低水位 65536 个空闲块(到达时通知负责扩容的程序),一个特性 skip_block_zeroing:新块不先清零。',
      },
      article: 'dmsetup create hchen-thin-pool --table "0 20971522 thin-pool /dev/loop2016 /dev/loop2015 128 65536 1 skip_block_zeroing"',
      modern: `dmsetup create ${SHOWN.pool} --table "0 ${DATA_SECTORS} thin-pool META DATA ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"`,
      async run(ctx, s) {
        const n = names(ctx, s);
        const table = `0 ${DATA_SECTORS} thin-pool ${s.loops!.meta} ${s.loops!.data} ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`;
        await createDm(ctx, s, n.pool, table);
        await cmd(ctx, `ls -l ${mapper(n.pool)}`, ['ls', '-l', mapper(n.pool)]);
        const shownTable = (await cmd(ctx, `dmsetup table ${n.pool}`, dmsetup('table', n.pool))).stdout.trim();
        s.pool = {
          table: shownTable,
          status: await poolStatus(ctx, s),
          dataMajMin: majMin(s.loops!.data),
          metaMajMin: majMin(s.loops!.meta),
          node: existsSync(mapper(n.pool)),
        };
      },
      checks: [
        {
          id: 'pool-table',
          description: 'The kernel holds the table: thin-pool on the metadata and data loop devices (by MAJ:MIN), 128-sector blocks, low-water mark 65536, skip_block_zeroing.',
          evaluate: (s) => {
            const expected = `0 ${DATA_SECTORS} thin-pool ${s.pool!.metaMajMin} ${s.pool!.dataMajMin} ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`;
            return { observed: s.pool!.table, expected, pass: s.pool!.table === expected && s.pool!.node };
          },
        },
        {
          id: 'pool-empty',
          description: 'A new pool has 163840 data blocks of 64 KiB and none used (dmsetup status).',
          evaluate: (s) => ({
            observed: `${s.pool!.status.dataUsed}/${s.pool!.status.dataTotal} data blocks used`,
            expected: `0/${Math.floor(DATA_SECTORS / BLOCK_SECTORS)}`,
            pass: s.pool!.status.dataUsed === 0 && s.pool!.status.dataTotal === Math.floor(DATA_SECTORS / BLOCK_SECTORS),
          }),
        },
      ],
    },
    {
      id: 'thin-volume',
      title: { en: 'create_thin 0: a 1 GiB thin volume', zh: 'create_thin 0:一个 1 GiB 的精简卷' },
      explain: {
        en: 'A message asks the pool to create device id 0; a second table makes it a block device of 2097152 sectors (1 GiB). It takes no space yet: a thin volume gets pool blocks only when it is written.',
        zh: '一条消息让池创建设备号 0;再用一行映射表把它变成 2097152 扇区(1 GiB)的块设备。它暂时不占空间:精简卷只有在被写入时才从池中分到块。',
      },
      article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_thin 0"; dmsetup create hchen-thin-volumn-001 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 0"',
      modern: `dmsetup message ${SHOWN.pool} 0 "create_thin 0"; dmsetup create ${SHOWN.thin} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 0"`,
      async run(ctx, s) {
        const n = names(ctx, s);
        await cmd(ctx, `dmsetup message ${n.pool} 0 "create_thin 0"`, dmsetup('message', n.pool, '0', 'create_thin 0'));
        await createDm(ctx, s, n.thin, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 0`);
        const status = (await cmd(ctx, `dmsetup status ${n.thin}`, dmsetup('status', n.thin))).stdout;
        s.thin = { bytes: blockBytes(mapper(n.thin)), mapped: thinMappedSectors(status), poolAfter: await poolStatus(ctx, s) };
      },
      checks: [
        {
          id: 'volume-size',
          description: 'The thin volume is a 1 GiB block device.',
          evaluate: (s) => ({ observed: `${s.thin!.bytes} bytes`, expected: `${GiB} bytes`, pass: s.thin!.bytes === GiB }),
        },
        {
          id: 'nothing-mapped',
          description: 'Before any write the volume maps no sectors and the pool still uses no data block.',
          evaluate: (s) => ({
            observed: `${s.thin!.mapped} sectors mapped, pool ${s.thin!.poolAfter.dataUsed} blocks used`,
            expected: '0 sectors mapped, pool 0 blocks used',
            pass: s.thin!.mapped === 0 && s.thin!.poolAfter.dataUsed === 0,
          }),
        },
      ],
    },
    {
      id: 'mkfs-mount',
      title: { en: 'ext4 on the volume, mounted, with id.txt', zh: '在卷上建 ext4,挂载,写入 id.txt' },
      explain: {
        en: 'To the file system the thin volume is an ordinary disk. mkfs.ext4 writes its metadata and the pool allocates blocks for exactly those writes; then the volume is mounted and gets its first file.',
        zh: '对文件系统来说,精简卷就是一块普通磁盘。mkfs.ext4 写入文件系统元数据,池只为这些写入分配块;然后挂载,写入第一个文件。',
      },
      article: 'mkfs.ext4 /dev/mapper/hchen-thin-volumn-001; mount /dev/mapper/hchen-thin-volumn-001 /mnt/base; echo "hello world, I am a base" > /mnt/base/id.txt',
      modern: `mkfs.ext4 -E lazy_itable_init=0 ${mapper(SHOWN.thin)}; mount ${mapper(SHOWN.thin)} base; echo "${BASE_TEXT}" > base/id.txt`,
      async run(ctx, s) {
        const n = names(ctx, s);
        // Inode tables written now (as the article's mke2fs did), not by a background thread
        // later: the pool's usage then only changes when the lab writes.
        await cmd(ctx, `mkfs.ext4 -E lazy_itable_init=0 ${mapper(n.thin)}`, ['mkfs.ext4', '-E', 'lazy_itable_init=0', mapper(n.thin)]);
        const base = dir(s, 'base');
        await mountAt(ctx, s, n.thin, base);
        await sh(ctx, `echo "${BASE_TEXT}" > ${base}/id.txt`);
        await cmd(ctx, `cat ${base}/id.txt`, ['cat', `${base}/id.txt`]);
        const m = mountsOf('self').find((l) => l.target === base);
        s.base = {
          ...(m ? { mount: { fstype: m.fstype, source: m.source } } : {}),
          idText: read(join(base, 'id.txt')),
          poolAfter: await poolStatus(ctx, s),
        };
      },
      checks: [
        {
          id: 'mounted-ext4',
          description: 'The thin volume is mounted as ext4 (/proc/self/mountinfo).',
          evaluate: (s) => ({
            observed: s.base!.mount ? `${s.base!.mount.fstype} from ${s.base!.mount.source}` : 'not mounted',
            expected: `ext4 from ${mapper(s.dm!.thin)}`,
            pass: s.base!.mount?.fstype === 'ext4' && (s.base!.mount.source === mapper(s.dm!.thin) || /^\/dev\/dm-\d+$/.test(s.base!.mount.source)),
          }),
        },
        {
          id: 'allocated-on-write',
          description: 'After mkfs the pool uses some data blocks, but less than the 1 GiB volume (16384 blocks).',
          evaluate: (s) => ({
            observed: `${s.base!.poolAfter.dataUsed} data blocks used`,
            expected: '> 0 and < 16384',
            pass: s.base!.poolAfter.dataUsed > 0 && s.base!.poolAfter.dataUsed < GiB / BLOCK_BYTES,
          }),
        },
        {
          id: 'id-written',
          description: 'id.txt on the base volume reads back the sentence written to it.',
          evaluate: (s) => ({ observed: s.base!.idText.trim(), expected: BASE_TEXT, pass: s.base!.idText === `${BASE_TEXT}\n` }),
        },
      ],
    },
    {
      id: 'snapshot',
      title: { en: 'create_snap 1 0: suspend, snapshot, resume', zh: 'create_snap 1 0:挂起、快照、恢复' },
      explain: {
        en: "The kernel's thin-provisioning document says: if the origin is active, suspend it before create_snap, or the snapshot may be corrupt (the kernel does not enforce it, and the article skipped it). Suspending waits for in-flight I/O and freezes the ext4 on it, which writes id.txt out of the page cache; only then do the origin's block maps get shared with the new device id 1.",
        zh: '内核的 thin-provisioning 文档规定:源设备处于活动状态时,create_snap 之前必须先挂起它,否则快照可能损坏(内核并不强制,原文也省略了这一步)。挂起会等待进行中的 I/O 并冻结其上的 ext4,把 id.txt 从页缓存写到设备上;之后源设备的块映射才被新设备号 1 共享。',
      },
      article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_snap 1 0"; dmsetup create mysnap1 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 1"',
      modern: `dmsetup suspend ${SHOWN.thin}; dmsetup message ${SHOWN.pool} 0 "create_snap 1 0"; dmsetup resume ${SHOWN.thin}; dmsetup create ${SHOWN.snap1} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 1"`,
      async run(ctx, s) {
        const n = names(ctx, s);
        const { during, after } = await snapshotOf(ctx, s, n.thin, 1, 0);
        await createDm(ctx, s, n.snap1, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 1`);
        const snap1 = dir(s, 'snap1');
        await mountAt(ctx, s, n.snap1, snap1);
        await cmd(ctx, `ls -l ${snap1}`, ['ls', '-l', snap1]);
        await cmd(ctx, `cat ${snap1}/id.txt`, ['cat', `${snap1}/id.txt`]);
        s.snap = { stateSuspended: during, stateAfter: after, idText: read(join(snap1, 'id.txt')), files: list(snap1) };
      },
      checks: [
        {
          id: 'origin-suspended',
          description: 'While create_snap ran the origin was SUSPENDED, and it is ACTIVE again afterwards (dmsetup info).',
          evaluate: (s) => ({
            observed: `${s.snap!.stateSuspended}, then ${s.snap!.stateAfter}`,
            expected: 'SUSPENDED, then ACTIVE',
            pass: s.snap!.stateSuspended === 'SUSPENDED' && s.snap!.stateAfter === 'ACTIVE',
          }),
        },
        {
          id: 'snapshot-has-base',
          description: "The snapshot shows the base's id.txt with the base's sentence.",
          evaluate: (s) => ({
            observed: `files ${s.snap!.files.join(' ')}; id.txt: ${s.snap!.idText.trim()}`,
            expected: `id.txt and lost+found; id.txt: ${BASE_TEXT}`,
            pass: s.snap!.idText === `${BASE_TEXT}\n` && s.snap!.files.includes('lost+found'),
          }),
        },
      ],
    },
    {
      id: 'isolation',
      title: { en: 'Change the snapshot; then the base: neither sees the other', zh: '改快照,再改基础卷:互不可见' },
      explain: {
        en: 'A write to a block the two devices share allocates a new block for the writer only. So the snapshot gets its own id.txt and snap1.txt while the base stays as it was, and a file written to the base afterwards never appears in the snapshot.',
        zh: '写入两个设备共享的块时,池只为写入方分配新块。于是快照有了自己的 id.txt 和 snap1.txt,基础卷保持原样;之后写进基础卷的文件也不会出现在快照里。',
      },
      article: 'echo "I am snap1" >> /mnt/mysnap1/id.txt; echo "I am snap1" > /mnt/mysnap1/snap1.txt; cat /mnt/base/id.txt',
      modern: `echo "${SNAP_TEXT}" >> snap1/id.txt; echo "${SNAP_TEXT}" > snap1/snap1.txt; echo … > base/later.txt`,
      async run(ctx, s) {
        const [base, snap1] = [dir(s, 'base'), dir(s, 'snap1')];
        await sh(ctx, `echo "${SNAP_TEXT}" >> ${snap1}/id.txt`);
        await sh(ctx, `echo "${SNAP_TEXT}" > ${snap1}/snap1.txt`);
        await cmd(ctx, `cat ${snap1}/id.txt`, ['cat', `${snap1}/id.txt`]);
        await cmd(ctx, `ls ${base}`, ['ls', base]);
        await cmd(ctx, `cat ${base}/id.txt`, ['cat', `${base}/id.txt`]);
        await sh(ctx, `echo "${LATER_TEXT}" > ${base}/later.txt`);
        await cmd(ctx, `ls ${snap1}`, ['ls', snap1]);
        s.iso = {
          snapId: read(join(snap1, 'id.txt')),
          snapFile: read(join(snap1, 'snap1.txt')),
          baseId: read(join(base, 'id.txt')),
          baseFiles: list(base),
          snapFiles: list(snap1),
        };
      },
      checks: [
        {
          id: 'snapshot-changed',
          description: "The snapshot's id.txt has both sentences and it has snap1.txt.",
          evaluate: (s) => ({
            observed: `id.txt: ${lines(s.iso!.snapId).join(' | ')}; snap1.txt: ${s.iso!.snapFile.trim()}`,
            expected: `id.txt: ${BASE_TEXT} | ${SNAP_TEXT}; snap1.txt: ${SNAP_TEXT}`,
            pass: s.iso!.snapId === `${BASE_TEXT}\n${SNAP_TEXT}\n` && s.iso!.snapFile === `${SNAP_TEXT}\n`,
          }),
        },
        {
          id: 'base-unchanged',
          description: 'The base still has only its own sentence in id.txt and no snap1.txt.',
          evaluate: (s) => ({
            observed: `id.txt: ${lines(s.iso!.baseId).join(' | ')}; files: ${s.iso!.baseFiles.join(' ')}`,
            expected: `id.txt: ${BASE_TEXT}; no snap1.txt`,
            pass: s.iso!.baseId === `${BASE_TEXT}\n` && !s.iso!.baseFiles.includes('snap1.txt'),
          }),
        },
        {
          id: 'snapshot-blind-to-base',
          description: 'A file written to the base after the snapshot does not appear in the snapshot.',
          evaluate: (s) => ({
            observed: `base: ${s.iso!.baseFiles.join(' ')}; snapshot: ${s.iso!.snapFiles.join(' ')}`,
            expected: 'later.txt in the base only',
            pass: s.iso!.baseFiles.includes('later.txt') && !s.iso!.snapFiles.includes('later.txt'),
          }),
        },
      ],
    },
    {
      id: 'snapshot-of-snapshot',
      title: { en: 'create_snap 2 1: a snapshot of the snapshot', zh: 'create_snap 2 1:快照的快照' },
      explain: {
        en: "Snapshots can be taken of snapshots, as deep as you like, and all share the pool: this is an image layer on top of a layer. Device 2 starts as device 1 is now, with both files; the base's later.txt is not in it.",
        zh: '快照还可以再做快照,层数不限,全部共享同一个池:这就是叠在一层之上的镜像层。设备 2 的起点就是设备 1 的当前状态,有两个文件;基础卷后来写的 later.txt 不在其中。',
      },
      article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_snap 2 1"; dmsetup create mysnap2 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 2"',
      modern: `dmsetup suspend ${SHOWN.snap1}; dmsetup message ${SHOWN.pool} 0 "create_snap 2 1"; dmsetup resume ${SHOWN.snap1}; dmsetup create ${SHOWN.snap2} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 2"`,
      async run(ctx, s) {
        const n = names(ctx, s);
        await snapshotOf(ctx, s, n.snap1, 2, 1);
        await createDm(ctx, s, n.snap2, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 2`);
        const snap2 = dir(s, 'snap2');
        await mountAt(ctx, s, n.snap2, snap2);
        await cmd(ctx, `ls ${snap2}`, ['ls', snap2]);
        await cmd(ctx, `cat ${snap2}/id.txt`, ['cat', `${snap2}/id.txt`]);
        s.snap2 = { files: list(snap2), idText: read(join(snap2, 'id.txt')), snap1Text: read(join(snap2, 'snap1.txt')) };
      },
      checks: [
        {
          id: 'sees-both-files',
          description: 'The snapshot of the snapshot has id.txt (both sentences) and snap1.txt, and not the base\'s later.txt.',
          evaluate: (s) => ({
            observed: `files: ${s.snap2!.files.join(' ')}; id.txt: ${lines(s.snap2!.idText).join(' | ')}`,
            expected: `files: id.txt lost+found snap1.txt; id.txt: ${BASE_TEXT} | ${SNAP_TEXT}`,
            pass:
              s.snap2!.files.join(' ') === 'id.txt lost+found snap1.txt' &&
              s.snap2!.idText === `${BASE_TEXT}\n${SNAP_TEXT}\n` &&
              s.snap2!.snap1Text === `${SNAP_TEXT}\n`,
          }),
        },
      ],
    },
    {
      id: 'thin-provisioning',
      title: { en: 'What the pool and its data file really use', zh: '池和数据文件实际用了多少' },
      explain: {
        en: 'Three 1 GiB volumes with file systems exist now, yet the pool has handed out only the blocks that were written, and the 10 GiB data file occupies about that much on the host disk: allocation happens on write, at both levels. sync first, so that nothing written is still waiting in the page cache.',
        zh: '现在有三个带文件系统的 1 GiB 卷,可池只分出了被写过的块,10 GiB 的数据文件在宿主机磁盘上也只占这么多:两层都是写时才分配。先 sync,确保写入的内容不再停留在页缓存里。',
      },
      article: 'ls -lsh /var/lib/docker/devicemapper/devicemapper   # 506M … 100G data',
      modern: `sync; stat -c '%s bytes, %b blocks of %B' data.img; dmsetup status ${SHOWN.pool}`,
      async run(ctx, s) {
        const n = names(ctx, s);
        await cmd(ctx, 'sync', ['sync']);
        // The file first, the pool second: a write in between (a journal commit) can only make
        // the pool's count larger, never the file's allocation larger than the pool's count.
        await cmd(ctx, `ls -lsh ${s.files!.data}`, ['ls', '-lsh', s.files!.data]);
        await cmd(ctx, `stat -c '%s bytes, %b blocks of %B' ${s.files!.data}`, ['stat', '-c', '%s bytes, %b blocks of %B', s.files!.data]);
        const data = allocation(s.files!.data);
        const status = await poolStatus(ctx, s);
        const volumes: Record<string, number> = {};
        for (const v of [n.thin, n.snap1, n.snap2])
          volumes[v] = thinMappedSectors((await cmd(ctx, `dmsetup status ${v}`, dmsetup('status', v))).stdout);
        s.usage = { status, data, volumes };
        ctx.measure('pool', {
          dataBlocksUsed: status.dataUsed,
          dataBlocksTotal: status.dataTotal,
          blockBytes: BLOCK_BYTES,
          metaBlocksUsed: status.metaUsed,
          metaBlocksTotal: status.metaTotal,
          dataFileBytes: s.usage.data.size,
          dataFileAllocatedBytes: s.usage.data.allocated,
          mappedSectors: volumes,
        });
      },
      checks: [
        {
          id: 'pool-mostly-free',
          description: `The pool has used some data blocks and under ${ALLOCATED_MAX_FRACTION * 100} % of them.`,
          evaluate: (s) => ({
            observed: `${s.usage!.status.dataUsed}/${s.usage!.status.dataTotal} blocks (${((s.usage!.status.dataUsed * BLOCK_BYTES) / 1048576).toFixed(1)} MiB)`,
            expected: `> 0 and < ${Math.floor(s.usage!.status.dataTotal * ALLOCATED_MAX_FRACTION)}`,
            pass: s.usage!.status.dataUsed > 0 && s.usage!.status.dataUsed < s.usage!.status.dataTotal * ALLOCATED_MAX_FRACTION,
          }),
        },
        {
          id: 'file-holds-what-was-written',
          description: 'The data file is 10 GiB long but occupies no more than the pool\'s used blocks × 64 KiB (+ 64 KiB for the 1 KiB dd wrote at its end).',
          evaluate: (s) => {
            const limit = s.usage!.status.dataUsed * BLOCK_BYTES + 64 * KiB;
            return {
              observed: `${s.usage!.data.allocated} bytes allocated of ${s.usage!.data.size}`,
              expected: `> 0 and ≤ ${limit} bytes, and length ${DATA_BYTES}`,
              pass: s.usage!.data.allocated > 0 && s.usage!.data.allocated <= limit && s.usage!.data.size === DATA_BYTES,
            };
          },
        },
      ],
    },
    {
      id: 'over-provisioning',
      title: { en: 'Over-provisioning: a 100 GiB volume on a 10 GiB pool', zh: '超额配置:10 GiB 的池上建 100 GiB 的卷' },
      explain: {
        en: 'Volume sizes are promises: the pool checks none of them against its free space. A 100 GiB volume on a 10 GiB pool works until the pool really fills (then writes wait or fail, which is why the low-water mark exists). Writing 1 MiB at its 50 GiB mark costs the pool 16 blocks, no more.',
        zh: '卷的大小只是承诺:池不会拿它和剩余空间比对。10 GiB 的池上可以建 100 GiB 的卷,直到池真的写满(那时写入会等待或失败,这正是低水位存在的原因)。在它 50 GiB 处写 1 MiB,池只多用 16 个块。',
      },
      article: '(the article: "所谓的超配,或是超卖" — over-provisioning, like virtual memory)',
      modern: `dmsetup message ${SHOWN.pool} 0 "create_thin 3"; dmsetup create ${SHOWN.big} --table "0 ${BIG_SECTORS} thin ${mapper(SHOWN.pool)} 3"; dd if=/dev/zero of=${mapper(SHOWN.big)} bs=1M count=1 seek=${BIG_WRITE_AT_MIB} oflag=direct`,
      async run(ctx, s) {
        const n = names(ctx, s);
        await cmd(ctx, `dmsetup message ${n.pool} 0 "create_thin 3"`, dmsetup('message', n.pool, '0', 'create_thin 3'));
        await createDm(ctx, s, n.big, `0 ${BIG_SECTORS} thin ${mapper(n.pool)} 3`);
        await cmd(ctx, `blockdev --getsize64 ${mapper(n.big)}`, ['blockdev', '--getsize64', mapper(n.big)]);
        const before = await poolStatus(ctx, s);
        await cmd(ctx, `dd if=/dev/zero of=${mapper(n.big)} bs=1M count=1 seek=${BIG_WRITE_AT_MIB} oflag=direct`, [
          'dd',
          'if=/dev/zero',
          `of=${mapper(n.big)}`,
          'bs=1M',
          'count=1',
          `seek=${BIG_WRITE_AT_MIB}`,
          'oflag=direct',
        ]);
        const mapped = thinMappedSectors((await cmd(ctx, `dmsetup status ${n.big}`, dmsetup('status', n.big))).stdout);
        const after = await poolStatus(ctx, s);
        const sizes = [n.thin, n.snap1, n.snap2, n.big].map((v) => blockBytes(mapper(v)));
        s.over = {
          bigBytes: blockBytes(mapper(n.big)),
          sumBytes: sizes.reduce((a, b) => a + b, 0),
          poolBytes: after.dataTotal * BLOCK_BYTES,
          before,
          after,
          mapped,
        };
        ctx.measure('overProvisioning', { volumeBytes: sizes, poolBytes: s.over.poolBytes, blocksBefore: before.dataUsed, blocksAfter: after.dataUsed, mappedSectors: mapped });
      },
      checks: [
        {
          id: 'promised-more-than-pool',
          description: 'The volumes add up to more than the pool: 100 GiB + 3 × 1 GiB on a 10 GiB pool.',
          evaluate: (s) => ({
            observed: `volumes ${(s.over!.sumBytes / GiB).toFixed(0)} GiB (largest ${(s.over!.bigBytes / GiB).toFixed(0)} GiB), pool ${(s.over!.poolBytes / GiB).toFixed(0)} GiB`,
            expected: 'volumes > pool',
            pass: s.over!.bigBytes === BIG_SECTORS * 512 && s.over!.sumBytes > s.over!.poolBytes && s.over!.bigBytes > s.over!.poolBytes,
          }),
        },
        {
          id: 'write-beyond-pool-size',
          description: 'The 1 MiB written at 50 GiB maps exactly 2048 sectors of the volume, and the pool grew by at least the 16 blocks they need.',
          evaluate: (s) => ({
            observed: `${s.over!.mapped} sectors mapped; pool ${s.over!.before.dataUsed} → ${s.over!.after.dataUsed} blocks`,
            expected: '2048 sectors; + ≥ 16 blocks',
            pass: s.over!.mapped === 2048 && s.over!.after.dataUsed - s.over!.before.dataUsed >= 16,
          }),
        },
      ],
    },
    {
      id: 'teardown',
      title: { en: 'Take it all down again', zh: '全部拆除' },
      explain: {
        en: 'In reverse order of creation: unmount the file systems, remove the thin devices and then the pool, detach the loop devices, delete the files. A device that is still open cannot be removed, which is why the order matters.',
        zh: '按创建的相反顺序:卸载文件系统,删除精简设备再删除池,解除 loop 设备,删除文件。仍被打开的设备不能删除,所以顺序很重要。',
      },
      modern: `umount snap2 snap1 base; dmsetup remove ${SHOWN.big} ${SHOWN.snap2} ${SHOWN.snap1} ${SHOWN.thin} ${SHOWN.pool}; losetup -d …; rm data.img meta.data.img`,
      async run(ctx, s) {
        const n = names(ctx, s);
        for (const [name, mnt] of [[n.snap2, 'snap2'], [n.snap1, 'snap1'], [n.thin, 'base']] as const) {
          const d = dir(s, mnt);
          await cmd(ctx, `umount ${d}`, ['umount', d]);
          ctx.cleanup.pop(s.ids[`mount:${name}`]!);
        }
        for (const name of [n.big, n.snap2, n.snap1, n.thin, n.pool]) {
          await cmd(ctx, `dmsetup remove ${name}`, dmsetup('remove', '--retry', name));
          ctx.cleanup.pop(s.ids[name]!);
        }
        for (const key of ['loop:meta', 'loop:data'] as const) {
          const dev = key === 'loop:data' ? s.loops!.data : s.loops!.meta;
          await cmd(ctx, `losetup -d ${dev}`, ['losetup', '-d', dev]);
          ctx.cleanup.pop(s.ids[key]!);
        }
        await cmd(ctx, `rm ${s.files!.data} ${s.files!.meta}`, ['rm', s.files!.data, s.files!.meta]);
        s.teardown = {
          dm: nslabDmDevices(ctx.token),
          loops: loopsBacking([s.files!.data, s.files!.meta]),
          mounts: mountsOf('self').filter((m) => m.target.startsWith(s.dir!)).map((m) => m.target),
        };
      },
      checks: [
        {
          id: 'nothing-left',
          description: 'No device-mapper device of this run (nslab-<token>-…), no loop device on our files and no mount under the scratch directory remain.',
          evaluate: (s) => ({
            observed: `dm: [${s.teardown!.dm.join(', ')}], loops: [${s.teardown!.loops.join(', ')}], mounts: [${s.teardown!.mounts.join(', ')}]`,
            expected: 'dm: [], loops: [], mounts: []',
            pass: s.teardown!.dm.length === 0 && s.teardown!.loops.length === 0 && s.teardown!.mounts.length === 0,
          }),
        },
      ],
    },
  ],
};
