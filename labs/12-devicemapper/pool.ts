// 12-devicemapper, building the pool: two sparse files, loop devices on them, the article's
// thin pool, and a first thin volume in it.
import { openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { dmEnv, must, sh, step, t } from '../../runner/kit/index.js';
import { allocation, backingFile, blockBytes, majMin, thinMappedSectors, type PoolStatus } from './dm.js';
import {
  BLOCK_BYTES,
  BLOCK_SECTORS,
  DATA_BYTES,
  DATA_SECTORS,
  GiB,
  KiB,
  LOW_WATER,
  META_BYTES,
  META_SEEK,
  SHOWN,
  SPARSE_MAX_BYTES,
  VOLUME_SECTORS,
  attachLoop,
  createDm,
  directRead,
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

/** The loop devices on the two files, and where a marker written to each device's last sector landed. */
export interface LoopDevices {
  readonly dataFile: string;
  readonly metaFile: string;
  /** /dev/loopN of each file. */
  readonly data: string;
  readonly meta: string;
  /** The marker written to each device's last sector (512 bytes, trailing spaces trimmed). */
  readonly dataMarker: string;
  readonly metaMarker: string;
  /** The last 512 bytes of each file, read from the file after the writes (trimmed). */
  readonly dataTail: string;
  readonly metaTail: string;
  readonly dataBytes: number;
  readonly made: Made;
}

/** The pool's status, its loop devices' MAJ:MIN, and both files' allocation before and after it was made. */
export interface ThinPool {
  readonly status: PoolStatus;
  readonly dataMajMin: string;
  readonly metaMajMin: string;
  readonly metaBefore: Allocation;
  readonly metaAfter: Allocation;
  readonly dataBefore: Allocation;
  readonly dataAfter: Allocation;
  readonly made: Made;
}

/** The new thin volume: direct reads at its end and just past it, the sectors it maps, and the pool after. */
export interface ThinVolume {
  /** Bytes the kernel returned for a 4 KiB read at 1 GiB − 4 KiB, and at 1 GiB. */
  readonly lastBlockBytes: number;
  readonly pastEndBytes: number;
  readonly mapped: number;
  readonly poolAfter: PoolStatus;
  readonly made: Made;
}

/** The last 512 bytes of a file, as a string with trailing spaces and NULs trimmed. */
function tail(file: string, size: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, size - 512);
    return buf.subarray(0, n).toString('latin1').replace(/[\s\0]+$/, '');
  } finally {
    closeSync(fd);
  }
}

export const sparseFiles = step<SparseFiles>({
  id: 'sparse-files',
  title: { en: 'Two sparse files: 10 GiB of data, 100 MiB of metadata', zh: '两个稀疏文件：10 GiB 数据、100 MiB 元数据' },
  explain: {
    en: `dd writes one 1 KiB block after seeking 10 GiB into a new file: the file is 10 GiB long, but the file system allocates only the block that was written. The pool will keep its data in the big file and its block maps in the small one. The article's second command reads seek=1G, which with bs=1K makes a 1 TiB file, yet the ls it shows next lists 101M, the size seek=${META_SEEK} gives: nslab runs seek=${META_SEEK}, the file the article really had (the kernel would use at most about 16 GiB of a larger metadata device anyway).`,
    zh: `dd 在新文件中先跳过 10 GiB 再写入 1 KiB：文件长度是 10 GiB，但文件系统只为真正写入的那一块分配空间。精简池的数据放在大文件里，块映射表放在小文件里。原文第二条命令写的是 seek=1G，配合 bs=1K 会得到 1 TiB 的文件，可它紧接着的 ls 显示的是 101M，正是 seek=${META_SEEK} 的大小：nslab 用 seek=${META_SEEK}，即原文实际得到的文件（元数据设备再大，内核最多也只用约 16 GiB）。`,
  },
  article: 'dd if=/dev/zero of=/tmp/data.img bs=1K count=1 seek=10M; dd if=/dev/zero of=/tmp/meta.data.img bs=1K count=1 seek=1G',
  modern: `dd if=/dev/zero of=data.img bs=1K count=1 seek=10M; dd if=/dev/zero of=meta.data.img bs=1K count=1 seek=${META_SEEK}`,
  async run(ctx) {
    const dir = ctx.scratch();
    const data = join(dir, 'data.img');
    const meta = join(dir, 'meta.data.img');
    await must(ctx, ['dd', 'if=/dev/zero', `of=${data}`, 'bs=1K', 'count=1', 'seek=10M']);
    ctx.log(
      t(
        `The article wrote seek=1G for meta.data.img (a 1 TiB file) but its ls shows 101M; nslab uses seek=${META_SEEK}, which gives those 101M.`,
        `原文给 meta.data.img 写的是 seek=1G（1 TiB 的文件），但它的 ls 显示 101M；nslab 用 seek=${META_SEEK}，得到的正是这 101M。`,
      ),
    );
    await must(ctx, ['dd', 'if=/dev/zero', `of=${meta}`, 'bs=1K', 'count=1', `seek=${META_SEEK}`]);
    await must(ctx, ['ls', '-lsh', data, meta]);
    const o: SparseFiles = { dir, data, meta, dataAlloc: allocation(data), metaAlloc: allocation(meta) };
    ctx.measure('files', { data: o.dataAlloc, meta: o.metaAlloc });
    return o;
  },
  checks: [
    {
      id: 'data-apparent-size',
      description: {
        en: 'The data file is 10 GiB + 1 KiB long (20971522 sectors), exactly.',
        zh: '数据文件的长度恰好是 10 GiB + 1 KiB（20971522 个扇区）。',
      },
      evaluate: (o) => ({
        observed: t(`${o.dataAlloc.size} bytes`, `${o.dataAlloc.size} 字节`),
        expected: t(`${DATA_BYTES} bytes`, `${DATA_BYTES} 字节`),
        pass: o.dataAlloc.size === DATA_BYTES,
      }),
    },
    {
      id: 'files-sparse',
      description: {
        en: `Both files occupy at most ${SPARSE_MAX_BYTES / KiB} KiB on disk (st_blocks × 512; the article saw 12K and 4K), and the metadata file is 101 MiB long.`,
        zh: `两个文件在磁盘上各自最多占 ${SPARSE_MAX_BYTES / KiB} KiB（st_blocks × 512；原文看到的是 12K 和 4K），元数据文件长 101 MiB。`,
      },
      evaluate: (o) => ({
        observed: t(
          `data ${o.dataAlloc.allocated} bytes, metadata ${o.metaAlloc.allocated} bytes allocated; metadata file ${o.metaAlloc.size} bytes long`,
          `已分配：数据 ${o.dataAlloc.allocated} 字节，元数据 ${o.metaAlloc.allocated} 字节；元数据文件长 ${o.metaAlloc.size} 字节`,
        ),
        expected: t(`each ≤ ${SPARSE_MAX_BYTES} bytes; metadata file ${META_BYTES} bytes long`, `各自 ≤ ${SPARSE_MAX_BYTES} 字节；元数据文件长 ${META_BYTES} 字节`),
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
    en: 'device-mapper stacks on block devices, not files. A loop device turns each file into one. The article picked the names /dev/loop2015 and /dev/loop2016 by hand; nslab asks losetup -f for free ones, so your devices are /dev/loopN (major number 7), and the output below shows their real names. A marker written to the last sector of each device must then appear at the end of its own file.',
    zh: 'device-mapper 叠加在块设备上，而不是文件上。loop 设备把每个文件变成一个块设备。原文手工取了 /dev/loop2015 和 /dev/loop2016 这两个名字；nslab 用 losetup -f 找空闲的设备，所以你的设备是 /dev/loopN（主设备号 7），下面的输出给出它们的真实名字。随后往每个设备的最后一个扇区写一个标记，它必须出现在对应文件的末尾。',
  },
  article: 'losetup /dev/loop2015 /tmp/data.img; losetup /dev/loop2016 /tmp/meta.data.img',
  modern: 'losetup --find --show data.img; losetup -a',
  async run(ctx) {
    const files = ctx.observed(sparseFiles);
    const data = await attachLoop(ctx, files.data);
    const meta = await attachLoop(ctx, files.meta);
    await must(ctx, ['losetup', '-a']);
    for (const dev of [data.device, meta.device])
      ctx.log(t(`${dev} (${majMin(dev)}): backing file ${backingFile(dev) ?? '?'} in sysfs`, `${dev}（${majMin(dev)}）：sysfs 中的后备文件是 ${backingFile(dev) ?? '?'}`));
    // The last sector of each file is beyond what the pool will use (it uses whole 64 KiB data
    // blocks and whole 4 KiB metadata blocks), so the markers disturb nothing.
    const marker = (which: string) => `${ctx.name(which)} marker`;
    const write = async (dev: string, bytes: number, which: string) =>
      sh(ctx, `printf '%-512s' '${marker(which)}' | dd of=${dev} bs=512 count=1 seek=${bytes / 512 - 1} iflag=fullblock oflag=direct conv=notrunc`);
    await write(data.device, DATA_BYTES, 'data');
    await write(meta.device, META_BYTES, 'meta');
    await sh(ctx, `tail -c 512 ${files.data} | sed 's/ *$//'`);
    return {
      dataFile: files.data,
      metaFile: files.meta,
      data: data.device,
      meta: meta.device,
      dataMarker: marker('data'),
      metaMarker: marker('meta'),
      dataTail: tail(files.data, DATA_BYTES),
      metaTail: tail(files.meta, META_BYTES),
      dataBytes: blockBytes(data.device),
      made: { 'loop:data': data.id, 'loop:meta': meta.id },
    };
  },
  checks: [
    {
      id: 'backing-files',
      description: {
        en: 'What is written to each loop device lands in its own file: the marker written to the device\'s last sector is read back from the end of that file.',
        zh: '写进每个 loop 设备的内容落在它自己的文件里：写到设备最后一个扇区的标记，能从该文件末尾读回来。',
      },
      evaluate: (o) => ({
        observed: `${o.dataFile}: “${o.dataTail}”, ${o.metaFile}: “${o.metaTail}”`,
        expected: `“${o.dataMarker}”, “${o.metaMarker}”`,
        pass: o.dataTail === o.dataMarker && o.metaTail === o.metaMarker,
      }),
    },
    {
      id: 'loop-size',
      description: { en: 'The data loop device is as large as its file: 20971522 sectors.', zh: '数据 loop 设备和它的文件一样大：20971522 个扇区。' },
      evaluate: (o) => ({
        observed: t(`${o.dataBytes / 512} sectors`, `${o.dataBytes / 512} 个扇区`),
        expected: t(`${DATA_SECTORS} sectors`, `${DATA_SECTORS} 个扇区`),
        pass: o.dataBytes === DATA_BYTES,
      }),
    },
  ],
});

const LOW_WATER_GIB = (LOW_WATER * BLOCK_BYTES) / GiB;

export const thinPoolStep = step<ThinPool>({
  id: 'thin-pool',
  title: { en: "The article's thin pool", zh: '原文的 thin pool（精简池）' },
  explain: {
    en: `One table line makes the pool: sectors 0 to 20971522 are a thin-pool on the metadata device and the data device, allocating 128-sector (64 KiB) blocks, with a low-water mark of 65536 and one feature, skip_block_zeroing: new blocks are not zeroed first. The article calls 65536 a number of sectors; the kernel's thin-provisioning document says blocks: 65536 blocks of 64 KiB are ${LOW_WATER_GIB} GiB, so the pool raises its event (for whoever grows it) once fewer than ${LOW_WATER_GIB} GiB of its 10 GiB are free. Creating the pool formats the metadata device: the kernel writes to the metadata file, not to the data file.`,
    zh: `一行映射表就建好池：0 到 20971522 扇区是一个 thin-pool，使用元数据设备和数据设备，按 128 扇区（64 KiB）分配块，低水位 65536，带一个特性 skip_block_zeroing：新块不先清零。原文说 65536 是扇区数；内核的 thin-provisioning 文档说的是块数：65536 个 64 KiB 的块就是 ${LOW_WATER_GIB} GiB，所以当 10 GiB 的池剩余空间少于 ${LOW_WATER_GIB} GiB 时，池会发出事件（通知负责扩容的程序）。建池时内核会格式化元数据设备：它写的是元数据文件，而不是数据文件。`,
  },
  article: 'dmsetup create hchen-thin-pool --table "0 20971522 thin-pool /dev/loop2016 /dev/loop2015 128 65536 1 skip_block_zeroing"',
  modern: `dmsetup create ${SHOWN.pool} --table "0 ${DATA_SECTORS} thin-pool META DATA ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing"`,
  async run(ctx) {
    const n = names(ctx);
    const files = ctx.observed(sparseFiles);
    const loops = ctx.observed(loopDevices);
    const [metaBefore, dataBefore] = [allocation(files.meta), allocation(files.data)];
    const table = `0 ${DATA_SECTORS} thin-pool ${loops.meta} ${loops.data} ${BLOCK_SECTORS} ${LOW_WATER} 1 skip_block_zeroing`;
    const id = await createDm(ctx, n.pool, table);
    await must(ctx, ['ls', '-l', mapper(n.pool)]);
    const shownTable = (await must(ctx, ['dmsetup', 'table', n.pool], { env: dmEnv() })).stdout.trim();
    const [dataMajMin, metaMajMin] = [majMin(loops.data), majMin(loops.meta)];
    ctx.log(
      t(
        `The article's table named /dev/loop2016 /dev/loop2015; this run's are ${loops.meta} ${loops.data}, and the kernel shows them by number: ${metaMajMin} ${dataMajMin} (major 7 is the loop driver; the 8:0 of the article's blkio example is a SCSI/SATA disk, the 253:0 in Docker's pool name a device-mapper disk).`,
        `原文的映射表写的是 /dev/loop2016 /dev/loop2015；本次运行用的是 ${loops.meta} ${loops.data}，内核按设备号显示它们：${metaMajMin} ${dataMajMin}（主设备号 7 是 loop 驱动；原文 blkio 例子里的 8:0 是 SCSI/SATA 磁盘，Docker 池名里的 253:0 是 device-mapper 磁盘）。`,
      ),
    );
    ctx.log(t(`dmsetup table ${n.pool}: ${shownTable} (the table nslab loaded, shown, not checked)`, `dmsetup table ${n.pool}：${shownTable}（这是 nslab 刚加载的映射表，只显示，不作为检查）`));
    ctx.log(
      t(
        `Low-water mark: ${LOW_WATER} blocks × 64 KiB = ${LOW_WATER_GIB} GiB (the article said sectors, which would be 32 MiB).`,
        `低水位：${LOW_WATER} 个块 × 64 KiB = ${LOW_WATER_GIB} GiB（原文说是扇区，那样只有 32 MiB）。`,
      ),
    );
    await must(ctx, ['ls', '-ls', files.meta, files.data]);
    return {
      status: await poolStatus(ctx),
      dataMajMin,
      metaMajMin,
      metaBefore,
      metaAfter: allocation(files.meta),
      dataBefore,
      dataAfter: allocation(files.data),
      made: { [n.pool]: id },
    };
  },
  checks: [
    {
      id: 'metadata-formatted',
      description: {
        en: 'Creating the pool made the kernel write its metadata to the metadata file (its allocation grew) and nothing to the data file.',
        zh: '建池时内核把元数据写进了元数据文件（它的已分配空间变大了），数据文件则一点没写。',
      },
      evaluate: (o) => ({
        observed: t(
          `metadata file ${o.metaBefore.allocated} → ${o.metaAfter.allocated} bytes allocated, data file ${o.dataBefore.allocated} → ${o.dataAfter.allocated}`,
          `元数据文件已分配 ${o.metaBefore.allocated} → ${o.metaAfter.allocated} 字节，数据文件 ${o.dataBefore.allocated} → ${o.dataAfter.allocated}`,
        ),
        expected: t('metadata file grows, data file unchanged', '元数据文件变大，数据文件不变'),
        pass: o.metaAfter.allocated > o.metaBefore.allocated && o.dataAfter.allocated === o.dataBefore.allocated,
      }),
    },
    {
      id: 'pool-empty',
      description: {
        en: 'A new pool has 163840 data blocks of 64 KiB and none used (dmsetup status).',
        zh: '新建的池有 163840 个 64 KiB 的数据块，一个都没用（dmsetup status）。',
      },
      evaluate: (o) => ({
        observed: t(`${o.status.dataUsed}/${o.status.dataTotal} data blocks used`, `已用数据块 ${o.status.dataUsed}/${o.status.dataTotal}`),
        expected: `0/${Math.floor(DATA_SECTORS / BLOCK_SECTORS)}`,
        pass: o.status.dataUsed === 0 && o.status.dataTotal === Math.floor(DATA_SECTORS / BLOCK_SECTORS),
      }),
    },
  ],
});

export const thinVolume = step<ThinVolume>({
  id: 'thin-volume',
  title: { en: 'create_thin 0: a 1 GiB thin volume', zh: 'create_thin 0：一个 1 GiB 的精简卷' },
  explain: {
    en: 'A message asks the pool to create device id 0; a second table makes it a block device of 2097152 sectors (1 GiB). It takes no space yet: a thin volume gets pool blocks only when it is written. Reading it costs nothing either: its last 4 KiB read back (as zeros) and the pool still has no block in use.',
    zh: '一条消息让池创建设备号 0；再用一行映射表把它变成 2097152 扇区（1 GiB）的块设备。它暂时不占空间：精简卷只有在被写入时才从池中分到块。读它也不花空间：它最后 4 KiB 能读出来（全是零），池仍然一个块都没用。',
  },
  article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_thin 0"; dmsetup create hchen-thin-volumn-001 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 0"',
  modern: `dmsetup message ${SHOWN.pool} 0 "create_thin 0"; dmsetup create ${SHOWN.thin} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 0"`,
  async run(ctx) {
    const n = names(ctx);
    ctx.observed(thinPoolStep); // the pool it is made in
    await must(ctx, ['dmsetup', 'message', n.pool, '0', 'create_thin 0'], { command: `dmsetup message ${n.pool} 0 "create_thin 0"`, env: dmEnv() });
    const id = await createDm(ctx, n.thin, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 0`);
    const bytes = blockBytes(mapper(n.thin));
    ctx.log(t(`${mapper(n.thin)}: ${bytes} bytes in sysfs (the size nslab's table gave it)`, `${mapper(n.thin)}：sysfs 中为 ${bytes} 字节（nslab 的映射表给它的大小）`));
    const lastBlockBytes = await directRead(ctx, mapper(n.thin), GiB - 4 * KiB);
    const pastEndBytes = await directRead(ctx, mapper(n.thin), GiB);
    const status = (await must(ctx, ['dmsetup', 'status', n.thin], { env: dmEnv() })).stdout;
    return { lastBlockBytes, pastEndBytes, mapped: thinMappedSectors(status), poolAfter: await poolStatus(ctx), made: { [n.thin]: id } };
  },
  checks: [
    {
      id: 'volume-size',
      description: {
        en: 'The kernel serves the volume up to 1 GiB and no further: a direct 4 KiB read at 1 GiB − 4 KiB returns 4096 bytes, one at 1 GiB returns none.',
        zh: '内核提供的卷恰好到 1 GiB 为止：在 1 GiB − 4 KiB 处直接读 4 KiB 得到 4096 字节，在 1 GiB 处读得到 0 字节。',
      },
      evaluate: (o) => ({
        observed: t(`${o.lastBlockBytes} bytes at 1 GiB − 4 KiB, ${o.pastEndBytes} at 1 GiB`, `1 GiB − 4 KiB 处 ${o.lastBlockBytes} 字节，1 GiB 处 ${o.pastEndBytes} 字节`),
        expected: t('4096 bytes, then 0', '4096 字节，然后 0 字节'),
        pass: o.lastBlockBytes === 4096 && o.pastEndBytes === 0,
      }),
    },
    {
      id: 'nothing-mapped',
      description: {
        en: 'Before any write (reads included) the volume maps no sectors and the pool still uses no data block.',
        zh: '在任何写入之前（读过也一样），卷没有映射任何扇区，池也一个数据块都没用。',
      },
      evaluate: (o) => ({
        observed: t(`${o.mapped} sectors mapped, pool ${o.poolAfter.dataUsed} blocks used`, `映射 ${o.mapped} 个扇区，池已用 ${o.poolAfter.dataUsed} 个块`),
        expected: t('0 sectors mapped, pool 0 blocks used', '映射 0 个扇区，池已用 0 个块'),
        pass: o.mapped === 0 && o.poolAfter.dataUsed === 0,
      }),
    },
  ],
});
