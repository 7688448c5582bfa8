// 12-devicemapper, what thin provisioning costs and promises: the pool's and the data file's
// real usage, a volume larger than the pool, and the teardown in reverse order.
import { join } from 'node:path';
import { dmEnv, mountsOf, must, step, t, type Step } from '../../runner/kit/index.js';
import { allocation, blockBytes, loopsBacking, nslabDmDevices, thinMappedSectors, type PoolStatus } from './dm.js';
import {
  ALLOCATED_MAX_FRACTION,
  BIG_SECTORS,
  BIG_WRITE_AT_MIB,
  BLOCK_BYTES,
  DATA_BYTES,
  GiB,
  KiB,
  SHOWN,
  createDm,
  directRead,
  mapper,
  names,
  poolStatus,
  type Made,
} from './ops.js';
import { loopDevices, sparseFiles, thinPoolStep, thinVolume, type Allocation } from './pool.js';
import { mkfsMount, snapshot, snapshotOfSnapshot } from './volumes.js';

/** The pool's usage, the data file's allocation, and the sectors each volume maps, after sync. */
export interface ThinProvisioning {
  readonly status: PoolStatus;
  readonly data: Allocation;
  readonly volumes: Readonly<Record<string, number>>;
}

/** The 100 GiB volume on the 10 GiB pool: a read at its end, and the pool before and after 1 MiB written at 50 GiB. */
export interface OverProvisioning {
  /** Bytes the kernel returned for a direct 4 KiB read at END_OFFSET (100 GiB − 4 KiB). */
  readonly endBytes: number;
  /** The pool's data space: its total data blocks × 64 KiB (dmsetup status). */
  readonly poolBytes: number;
  readonly before: PoolStatus;
  readonly after: PoolStatus;
  readonly mapped: number;
  readonly made: Made;
}

/** What is left of this run after the teardown: its dm devices, loops on its files, mounts under its directory. */
export interface Teardown {
  readonly dm: readonly string[];
  readonly loops: readonly string[];
  readonly mounts: readonly string[];
}

/** The over-provisioned volume's last 4 KiB block: 100 GiB − 4 KiB. */
const END_OFFSET = BIG_SECTORS * 512 - 4 * KiB;

export const thinProvisioning = step<ThinProvisioning>({
  id: 'thin-provisioning',
  title: { en: 'What the pool and its data file really use', zh: '池和数据文件实际用了多少' },
  explain: {
    en: 'Three 1 GiB volumes with file systems exist now, yet the pool has handed out only the blocks that were written, and the 10 GiB data file occupies about that much on the host disk: allocation happens on write, at both levels. sync first, so that nothing written is still waiting in the page cache.',
    zh: '现在有三个带文件系统的 1 GiB 卷，可池只分出了被写过的块，10 GiB 的数据文件在宿主机磁盘上也只占这么多：两层都是写时才分配。先 sync，确保写入的内容不再停留在页缓存里。',
  },
  article: 'ls -lsh /var/lib/docker/devicemapper/devicemapper   # 506M … 100G data',
  modern: `sync; stat -c '%s bytes, %b blocks of %B' data.img; dmsetup status ${SHOWN.pool}`,
  async run(ctx) {
    const n = names(ctx);
    const file = ctx.observed(sparseFiles).data;
    await must(ctx, ['sync']);
    // The file first, the pool second: a write in between (a journal commit) can only make
    // the pool's count larger, never the file's allocation larger than the pool's count.
    await must(ctx, ['ls', '-lsh', file]);
    await must(ctx, ['stat', '-c', '%s bytes, %b blocks of %B', file], { command: `stat -c '%s bytes, %b blocks of %B' ${file}` });
    const data = allocation(file);
    const status = await poolStatus(ctx);
    const volumes: Record<string, number> = {};
    for (const v of [n.thin, n.snap1, n.snap2]) volumes[v] = thinMappedSectors((await must(ctx, ['dmsetup', 'status', v], { env: dmEnv() })).stdout);
    ctx.measure('pool', {
      dataBlocksUsed: status.dataUsed,
      dataBlocksTotal: status.dataTotal,
      blockBytes: BLOCK_BYTES,
      metaBlocksUsed: status.metaUsed,
      metaBlocksTotal: status.metaTotal,
      dataFileBytes: data.size,
      dataFileAllocatedBytes: data.allocated,
      mappedSectors: volumes,
    });
    return { status, data, volumes };
  },
  checks: [
    {
      id: 'pool-mostly-free',
      description: {
        en: `The pool has used some data blocks and under ${ALLOCATED_MAX_FRACTION * 100} % of them.`,
        zh: `池用了一些数据块，但不到总数的 ${ALLOCATED_MAX_FRACTION * 100} %。`,
      },
      evaluate: (o) => ({
        observed: t(
          `${o.status.dataUsed}/${o.status.dataTotal} blocks used (${((o.status.dataUsed * BLOCK_BYTES) / 1048576).toFixed(1)} MiB)`,
          `已用 ${o.status.dataUsed}/${o.status.dataTotal} 个块（${((o.status.dataUsed * BLOCK_BYTES) / 1048576).toFixed(1)} MiB）`,
        ),
        expected: `> 0, < ${Math.floor(o.status.dataTotal * ALLOCATED_MAX_FRACTION)}`,
        pass: o.status.dataUsed > 0 && o.status.dataUsed < o.status.dataTotal * ALLOCATED_MAX_FRACTION,
      }),
    },
    {
      id: 'file-holds-what-was-written',
      description: {
        en: "The data file is 10 GiB long but occupies no more than the pool's used blocks × 64 KiB (+ 64 KiB for the 1 KiB dd wrote at its end).",
        zh: '数据文件长 10 GiB，占用的空间却不超过池的已用块数 × 64 KiB（再加 64 KiB，给 dd 在末尾写的 1 KiB）。',
      },
      evaluate: (o) => {
        const limit = o.status.dataUsed * BLOCK_BYTES + 64 * KiB;
        return {
          observed: t(`${o.data.allocated} bytes allocated, length ${o.data.size}`, `已分配 ${o.data.allocated} 字节，长度 ${o.data.size}`),
          expected: t(`> 0 and ≤ ${limit} bytes, length ${DATA_BYTES}`, `> 0 且 ≤ ${limit} 字节，长度 ${DATA_BYTES}`),
          pass: o.data.allocated > 0 && o.data.allocated <= limit && o.data.size === DATA_BYTES,
        };
      },
    },
  ],
});

export const overProvisioning = step<OverProvisioning>({
  id: 'over-provisioning',
  title: { en: 'Over-provisioning: a 100 GiB volume on a 10 GiB pool', zh: '超额配置：10 GiB 的池上建 100 GiB 的卷' },
  explain: {
    en: "Volume sizes are promises (the article's 超配 or 超卖, like virtual memory): the pool checks none of them against its free space. A 100 GiB volume on a 10 GiB pool works until the pool really fills (then writes wait or fail, which is why the low-water mark exists). The kernel serves all of its 100 GiB: its last 4 KiB read back as zeros, and writing 1 MiB at its 50 GiB mark costs the pool 16 blocks, no more.",
    zh: '卷的大小只是承诺（原文所说的“超配”或“超卖”，和虚拟内存一样）：池不会拿它和剩余空间比对。10 GiB 的池上可以建 100 GiB 的卷，直到池真的写满（那时写入会等待或失败，这正是低水位存在的原因）。内核提供它完整的 100 GiB：最后 4 KiB 能读出来（全是零），在它 50 GiB 处写 1 MiB，池只多用 16 个块。',
  },
  modern: `dmsetup message ${SHOWN.pool} 0 "create_thin 3"; dmsetup create ${SHOWN.big} --table "0 ${BIG_SECTORS} thin ${mapper(SHOWN.pool)} 3"; dd if=/dev/zero of=${mapper(SHOWN.big)} bs=1M count=1 seek=${BIG_WRITE_AT_MIB} oflag=direct`,
  async run(ctx) {
    const n = names(ctx);
    await must(ctx, ['dmsetup', 'message', n.pool, '0', 'create_thin 3'], { command: `dmsetup message ${n.pool} 0 "create_thin 3"`, env: dmEnv() });
    const id = await createDm(ctx, n.big, `0 ${BIG_SECTORS} thin ${mapper(n.pool)} 3`);
    await must(ctx, ['blockdev', '--getsize64', mapper(n.big)]);
    const endBytes = await directRead(ctx, mapper(n.big), END_OFFSET);
    const before = await poolStatus(ctx);
    await must(ctx, ['dd', 'if=/dev/zero', `of=${mapper(n.big)}`, 'bs=1M', 'count=1', `seek=${BIG_WRITE_AT_MIB}`, 'oflag=direct']);
    const mapped = thinMappedSectors((await must(ctx, ['dmsetup', 'status', n.big], { env: dmEnv() })).stdout);
    const after = await poolStatus(ctx);
    const sizes = [n.thin, n.snap1, n.snap2, n.big].map((v) => blockBytes(mapper(v)));
    const sum = sizes.reduce((a, b) => a + b, 0);
    ctx.log(
      t(
        `Volume sizes in sysfs (what nslab's tables asked for): ${sizes.map((b) => `${b / GiB} GiB`).join(' + ')} = ${sum / GiB} GiB on a pool of ${(after.dataTotal * BLOCK_BYTES) / GiB} GiB.`,
        `sysfs 中的卷大小（nslab 的映射表要求的）：${sizes.map((b) => `${b / GiB} GiB`).join(' + ')} = ${sum / GiB} GiB，而池只有 ${(after.dataTotal * BLOCK_BYTES) / GiB} GiB。`,
      ),
    );
    const o: OverProvisioning = {
      endBytes,
      poolBytes: after.dataTotal * BLOCK_BYTES,
      before,
      after,
      mapped,
      made: { [n.big]: id },
    };
    ctx.measure('overProvisioning', { volumeBytes: sizes, poolBytes: o.poolBytes, blocksBefore: before.dataUsed, blocksAfter: after.dataUsed, mappedSectors: mapped });
    return o;
  },
  checks: [
    {
      id: 'promised-more-than-pool',
      description: {
        en: 'The kernel serves a volume larger than the whole pool: a direct 4 KiB read at its end (100 GiB − 4 KiB) returns 4096 bytes, though the pool has only 10 GiB.',
        zh: '内核提供了一个比整个池还大的卷：在它末尾（100 GiB − 4 KiB）直接读 4 KiB 得到 4096 字节，而池只有 10 GiB。',
      },
      evaluate: (o) => ({
        observed: t(`${o.endBytes} bytes at ${END_OFFSET} on a pool of ${o.poolBytes} bytes`, `在 ${END_OFFSET} 处读到 ${o.endBytes} 字节，池只有 ${o.poolBytes} 字节`),
        expected: t(`4096 bytes, pool < ${END_OFFSET} bytes`, `4096 字节，池 < ${END_OFFSET} 字节`),
        pass: o.endBytes === 4096 && o.poolBytes > 0 && o.poolBytes < END_OFFSET,
      }),
    },
    {
      id: 'write-beyond-pool-size',
      description: {
        en: 'The 1 MiB written at 50 GiB (past the pool\'s size) maps exactly 2048 sectors of the volume, and the pool grew by at least the 16 blocks they need.',
        zh: '在 50 GiB 处（已超出池的大小）写入的 1 MiB 恰好映射了卷的 2048 个扇区，池至少多用了它们所需的 16 个块。',
      },
      evaluate: (o) => ({
        observed: t(`${o.mapped} sectors mapped; pool ${o.before.dataUsed} → ${o.after.dataUsed} blocks`, `映射 ${o.mapped} 个扇区；池 ${o.before.dataUsed} → ${o.after.dataUsed} 个块`),
        expected: t('2048 sectors; + ≥ 16 blocks', '2048 个扇区；增加 ≥ 16 个块'),
        pass: o.mapped === 2048 && o.after.dataUsed - o.before.dataUsed >= 16,
      }),
    },
  ],
});

export const teardown = step<Teardown>({
  id: 'teardown',
  title: { en: 'Take it all down again', zh: '全部拆除' },
  explain: {
    en: 'In reverse order of creation: unmount the file systems, remove the thin devices and then the pool, detach the loop devices, delete the files. A device that is still open cannot be removed, which is why the order matters.',
    zh: '按创建的相反顺序：卸载文件系统，删除精简设备再删除池，解除 loop 设备，删除文件。仍被打开的设备不能删除，所以顺序很重要。',
  },
  modern: `umount snap2 snap1 base; dmsetup remove ${SHOWN.big} ${SHOWN.snap2} ${SHOWN.snap1} ${SHOWN.thin} ${SHOWN.pool}; losetup -d …; rm data.img meta.data.img`,
  async run(ctx) {
    const n = names(ctx);
    const files = ctx.observed(sparseFiles);
    const loops = ctx.observed(loopDevices);
    // What the earlier steps made, by the keys below: each is undone by hand, then popped.
    const makers: readonly Step<{ readonly made: Made }>[] = [loopDevices, thinPoolStep, thinVolume, mkfsMount, snapshot, snapshotOfSnapshot, overProvisioning];
    const ids: Made = Object.assign({}, ...makers.map((m) => ctx.observed(m).made));
    for (const [name, mnt] of [[n.snap2, 'snap2'], [n.snap1, 'snap1'], [n.thin, 'base']] as const) {
      const d = join(files.dir, mnt);
      await must(ctx, ['umount', d]);
      ctx.cleanup.pop(ids[`mount:${name}`]!);
    }
    for (const name of [n.big, n.snap2, n.snap1, n.thin, n.pool]) {
      await must(ctx, ['dmsetup', 'remove', '--retry', name], { command: `dmsetup remove ${name}`, env: dmEnv() });
      ctx.cleanup.pop(ids[name]!);
    }
    for (const key of ['loop:meta', 'loop:data'] as const) {
      const dev = key === 'loop:data' ? loops.data : loops.meta;
      await must(ctx, ['losetup', '-d', dev]);
      ctx.cleanup.pop(ids[key]!);
    }
    await must(ctx, ['rm', files.data, files.meta]);
    return {
      dm: nslabDmDevices(ctx.token),
      loops: loopsBacking([files.data, files.meta]),
      mounts: mountsOf('self').filter((m) => m.target.startsWith(files.dir)).map((m) => m.target),
    };
  },
  checks: [
    {
      id: 'nothing-left',
      description: {
        en: 'No device-mapper device of this run (nslab-<token>-…), no loop device on our files and no mount under the scratch directory remain.',
        zh: '本次运行的 device-mapper 设备（nslab-<token>-…）、挂在我们文件上的 loop 设备、临时目录下的挂载，一个都不剩。',
      },
      evaluate: (o) => ({
        observed: `dm: [${o.dm.join(', ')}], loops: [${o.loops.join(', ')}], mounts: [${o.mounts.join(', ')}]`,
        expected: 'dm: [], loops: [], mounts: []',
        pass: o.dm.length === 0 && o.loops.length === 0 && o.mounts.length === 0,
      }),
    },
  ],
});
