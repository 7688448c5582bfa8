// 12-devicemapper, building the pool: two sparse files, loop devices on them, the article's
// thin pool, and a first thin volume in it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dmEnv, must, step } from '../../runner/kit/index.js';
import { allocation, backingFile, blockBytes, majMin, thinMappedSectors, type PoolStatus } from './dm.js';
import {
  BLOCK_SECTORS,
  DATA_BYTES,
  DATA_SECTORS,
  GiB,
  KiB,
  LOW_WATER,
  META_BYTES,
  SHOWN,
  SPARSE_MAX_BYTES,
  VOLUME_SECTORS,
  attachLoop,
  createDm,
  mapper,
  names,
  poolStatus,
  type Made,
} from './ops.js';

/** Apparent size and bytes really allocated (st_blocks × 512) of a file. */
export interface Allocation {
  readonly size: number;
  readonly allocated: number;
}

/** The two sparse files the pool will live on. */
export interface SparseFiles {
  /** The run's scratch directory: files, and later the mount points, are in it. */
  readonly dir: string;
  readonly data: string;
  readonly meta: string;
  readonly dataAlloc: Allocation;
  readonly metaAlloc: Allocation;
}

/** The loop devices on the two files, and what sysfs says backs them. */
export interface LoopDevices {
  readonly dataFile: string;
  readonly metaFile: string;
  /** /dev/loopN of each file. */
  readonly data: string;
  readonly meta: string;
  readonly dataBacking: string | undefined;
  readonly metaBacking: string | undefined;
  readonly dataBytes: number;
  readonly made: Made;
}

/** The pool's table as the kernel holds it, its status, and the loop devices' MAJ:MIN. */
export interface ThinPool {
  readonly table: string;
  readonly status: PoolStatus;
  readonly dataMajMin: string;
  readonly metaMajMin: string;
  /** /dev/mapper/<pool> exists. */
  readonly node: boolean;
  readonly made: Made;
}

/** The new thin volume: its size, the sectors it maps, and the pool after it was made. */
export interface ThinVolume {
  readonly bytes: number;
  readonly mapped: number;
  readonly poolAfter: PoolStatus;
  readonly made: Made;
}

export const sparseFiles = step<SparseFiles>({
  id: 'sparse-files',
  title: { en: 'Two sparse files: 10 GiB of data, 100 MiB of metadata', zh: '两个稀疏文件:10 GiB 数据、100 MiB 元数据' },
  explain: {
    en: 'dd writes one 1 KiB block after seeking 10 GiB into a new file: the file is 10 GiB long, but the file system allocates only the block that was written. The pool will keep its data in the big file and its block maps in the small one.',
    zh: 'dd 在新文件中先跳过 10 GiB 再写入 1 KiB:文件长度是 10 GiB,但文件系统只为真正写入的那一块分配空间。精简池的数据放在大文件里,块映射表放在小文件里。',
  },
  article: 'dd if=/dev/zero of=/tmp/data.img bs=1K count=1 seek=10M',
  modern: 'truncate -s 10G data.img   # same idea; nslab runs the article\'s dd',
  async run(ctx) {
    const dir = ctx.scratch();
    const data = join(dir, 'data.img');
    const meta = join(dir, 'meta.data.img');
    await must(ctx, ['dd', 'if=/dev/zero', `of=${data}`, 'bs=1K', 'count=1', 'seek=10M']);
    await must(ctx, ['dd', 'if=/dev/zero', `of=${meta}`, 'bs=1K', 'count=1', 'seek=100K']);
    await must(ctx, ['ls', '-lsh', data, meta]);
    const o: SparseFiles = { dir, data, meta, dataAlloc: allocation(data), metaAlloc: allocation(meta) };
    ctx.measure('files', { data: o.dataAlloc, meta: o.metaAlloc });
    return o;
  },
  checks: [
    {
      id: 'data-apparent-size',
      description: 'The data file is 10 GiB + 1 KiB long (20971522 sectors), exactly.',
      evaluate: (o) => ({
        observed: `${o.dataAlloc.size} bytes`,
        expected: `${DATA_BYTES} bytes`,
        pass: o.dataAlloc.size === DATA_BYTES,
      }),
    },
    {
      id: 'files-sparse',
      description: `Both files occupy at most ${SPARSE_MAX_BYTES / KiB} KiB on disk (st_blocks × 512; the article saw 12K and 4K).`,
      evaluate: (o) => ({
        observed: `data ${o.dataAlloc.allocated} bytes, metadata ${o.metaAlloc.allocated} bytes allocated`,
        expected: `each ≤ ${SPARSE_MAX_BYTES} bytes (metadata file ${META_BYTES} bytes long)`,
        pass:
          o.dataAlloc.allocated <= SPARSE_MAX_BYTES &&
          o.metaAlloc.allocated <= SPARSE_MAX_BYTES &&
          o.metaAlloc.size === META_BYTES,
      }),
    },
  ],
});

export const loopDevices = step<LoopDevices>({
  id: 'loop-devices',
  title: { en: 'Loop devices make the files block devices', zh: 'loop 设备把文件变成块设备' },
  explain: {
    en: 'device-mapper stacks on block devices, not files. A loop device turns each file into one; losetup -f finds a free loop device (the article picked names by hand).',
    zh: 'device-mapper 叠加在块设备上,而不是文件上。loop 设备把每个文件变成块设备;losetup -f 找一个空闲的 loop 设备(原文是手工指定的名字)。',
  },
  article: 'losetup /dev/loop2015 /tmp/data.img',
  modern: 'losetup --find --show data.img; losetup -a',
  async run(ctx) {
    const files = ctx.observed(sparseFiles);
    const data = await attachLoop(ctx, files.data);
    const meta = await attachLoop(ctx, files.meta);
    await must(ctx, ['losetup', '-a']);
    return {
      dataFile: files.data,
      metaFile: files.meta,
      data: data.device,
      meta: meta.device,
      dataBacking: backingFile(data.device),
      metaBacking: backingFile(meta.device),
      dataBytes: blockBytes(data.device),
      made: { 'loop:data': data.id, 'loop:meta': meta.id },
    };
  },
  checks: [
    {
      id: 'backing-files',
      description: 'Each loop device is backed by its file (/sys/block/loopN/loop/backing_file).',
      evaluate: (o) => ({
        observed: `${o.data} → ${o.dataBacking}, ${o.meta} → ${o.metaBacking}`,
        expected: `${o.dataFile}, ${o.metaFile}`,
        pass: o.dataBacking === o.dataFile && o.metaBacking === o.metaFile,
      }),
    },
    {
      id: 'loop-size',
      description: 'The data loop device is as large as its file: 20971522 sectors.',
      evaluate: (o) => ({
        observed: `${o.dataBytes / 512} sectors`,
        expected: `${DATA_SECTORS} sectors`,
        pass: o.dataBytes === DATA_BYTES,
      }),
    },
  ],
});

export const thinPoolStep = step<ThinPool>({
  id: 'thin-pool',
  title: { en: "The article's thin pool", zh: '原文的精简池' },
  explain: {
    en: 'One table line makes the pool: sectors 0 to 20971522 are a thin-pool on the metadata device and the data device, allocating 128-sector (64 KiB) blocks, with a low-water mark of 65536 free blocks (an event for whoever grows the pool) and one feature, skip_block_zeroing: new blocks are not zeroed first.',
    zh: '一行映射表就建好池:0 到 20971522 扇区是一个 thin-pool,使用元数据设备和数据设备,按 128 扇区(64 KiB)分配块,低水位 65536 个空闲块(到达时通知负责扩容的程序),一个特性 skip_block_zeroing:新块不先清零。',
  },
  article: 'dmsetup create hchen-thin-pool --table "0 20971522 thin-pool /dev/loop2016 /dev/loop2015 128 65536 1 skip_block_zeroing"',
  modern: `dmsetup create ${SHOWN.pool} --table "0 ${DATA_SECTORS} thin-pool META DATA ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"`,
  async run(ctx) {
    const n = names(ctx);
    const loops = ctx.observed(loopDevices);
    const table = `0 ${DATA_SECTORS} thin-pool ${loops.meta} ${loops.data} ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`;
    const id = await createDm(ctx, n.pool, table);
    await must(ctx, ['ls', '-l', mapper(n.pool)]);
    const shownTable = (await must(ctx, ['dmsetup', 'table', n.pool], { env: dmEnv() })).stdout.trim();
    return {
      table: shownTable,
      status: await poolStatus(ctx),
      dataMajMin: majMin(loops.data),
      metaMajMin: majMin(loops.meta),
      node: existsSync(mapper(n.pool)),
      made: { [n.pool]: id },
    };
  },
  checks: [
    {
      id: 'pool-table',
      description: 'The kernel holds the table: thin-pool on the metadata and data loop devices (by MAJ:MIN), 128-sector blocks, low-water mark 65536, skip_block_zeroing.',
      evaluate: (o) => {
        const expected = `0 ${DATA_SECTORS} thin-pool ${o.metaMajMin} ${o.dataMajMin} ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`;
        return { observed: o.table, expected, pass: o.table === expected && o.node };
      },
    },
    {
      id: 'pool-empty',
      description: 'A new pool has 163840 data blocks of 64 KiB and none used (dmsetup status).',
      evaluate: (o) => ({
        observed: `${o.status.dataUsed}/${o.status.dataTotal} data blocks used`,
        expected: `0/${Math.floor(DATA_SECTORS / BLOCK_SECTORS)}`,
        pass: o.status.dataUsed === 0 && o.status.dataTotal === Math.floor(DATA_SECTORS / BLOCK_SECTORS),
      }),
    },
  ],
});

export const thinVolume = step<ThinVolume>({
  id: 'thin-volume',
  title: { en: 'create_thin 0: a 1 GiB thin volume', zh: 'create_thin 0:一个 1 GiB 的精简卷' },
  explain: {
    en: 'A message asks the pool to create device id 0; a second table makes it a block device of 2097152 sectors (1 GiB). It takes no space yet: a thin volume gets pool blocks only when it is written.',
    zh: '一条消息让池创建设备号 0;再用一行映射表把它变成 2097152 扇区(1 GiB)的块设备。它暂时不占空间:精简卷只有在被写入时才从池中分到块。',
  },
  article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_thin 0"; dmsetup create hchen-thin-volumn-001 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 0"',
  modern: `dmsetup message ${SHOWN.pool} 0 "create_thin 0"; dmsetup create ${SHOWN.thin} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 0"`,
  async run(ctx) {
    const n = names(ctx);
    ctx.observed(thinPoolStep); // the pool it is made in
    await must(ctx, ['dmsetup', 'message', n.pool, '0', 'create_thin 0'], { command: `dmsetup message ${n.pool} 0 "create_thin 0"`, env: dmEnv() });
    const id = await createDm(ctx, n.thin, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 0`);
    const status = (await must(ctx, ['dmsetup', 'status', n.thin], { env: dmEnv() })).stdout;
    return { bytes: blockBytes(mapper(n.thin)), mapped: thinMappedSectors(status), poolAfter: await poolStatus(ctx), made: { [n.thin]: id } };
  },
  checks: [
    {
      id: 'volume-size',
      description: 'The thin volume is a 1 GiB block device.',
      evaluate: (o) => ({ observed: `${o.bytes} bytes`, expected: `${GiB} bytes`, pass: o.bytes === GiB }),
    },
    {
      id: 'nothing-mapped',
      description: 'Before any write the volume maps no sectors and the pool still uses no data block.',
      evaluate: (o) => ({
        observed: `${o.mapped} sectors mapped, pool ${o.poolAfter.dataUsed} blocks used`,
        expected: '0 sectors mapped, pool 0 blocks used',
        pass: o.mapped === 0 && o.poolAfter.dataUsed === 0,
      }),
    },
  ],
});

