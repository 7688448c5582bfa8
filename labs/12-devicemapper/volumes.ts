// 12-devicemapper, the volumes: ext4 on the thin volume, a snapshot of it, changes on each
// side that the other never sees, and a snapshot of the snapshot.
import { join } from 'node:path';
import { mountsOf, must, sh, step } from '../../runner/kit/index.js';
import type { PoolStatus } from './dm.js';
import { BASE_TEXT, BLOCK_BYTES, GiB, LATER_TEXT, SHOWN, SNAP_TEXT, VOLUME_SECTORS, createDm, lines, list, mapper, mountAt, names, poolStatus, read, snapshotOf, type Made } from './ops.js';
import { sparseFiles } from './pool.js';

/** The base volume after mkfs, mount and its first file. */
export interface MkfsMount {
  /** /dev/mapper/<thin>, the device that was mounted. */
  readonly device: string;
  /** The mount on base as /proc/self/mountinfo has it (undefined: not mounted). */
  readonly mount: { readonly fstype: string; readonly source: string } | undefined;
  readonly idText: string;
  readonly poolAfter: PoolStatus;
  readonly made: Made;
}

/** The origin's state during and after create_snap, and the snapshot's files. */
export interface Snapshot {
  readonly stateSuspended: string;
  readonly stateAfter: string;
  readonly idText: string;
  readonly files: readonly string[];
  readonly made: Made;
}

/** Both volumes after writes to each. */
export interface Isolation {
  readonly snapId: string;
  readonly snapFile: string;
  readonly baseId: string;
  readonly baseFiles: readonly string[];
  readonly snapFiles: readonly string[];
}

/** The snapshot of the snapshot's files. */
export interface SnapshotOfSnapshot {
  readonly files: readonly string[];
  readonly idText: string;
  readonly snap1Text: string;
  readonly made: Made;
}

export const mkfsMount = step<MkfsMount>({
  id: 'mkfs-mount',
  title: { en: 'ext4 on the volume, mounted, with id.txt', zh: '在卷上建 ext4,挂载,写入 id.txt' },
  explain: {
    en: 'To the file system the thin volume is an ordinary disk. mkfs.ext4 writes its metadata and the pool allocates blocks for exactly those writes; then the volume is mounted and gets its first file.',
    zh: '对文件系统来说,精简卷就是一块普通磁盘。mkfs.ext4 写入文件系统元数据,池只为这些写入分配块;然后挂载,写入第一个文件。',
  },
  article: 'mkfs.ext4 /dev/mapper/hchen-thin-volumn-001; mount /dev/mapper/hchen-thin-volumn-001 /mnt/base; echo "hello world, I am a base" > /mnt/base/id.txt',
  modern: `mkfs.ext4 -E lazy_itable_init=0 ${mapper(SHOWN.thin)}; mount ${mapper(SHOWN.thin)} base; echo "${BASE_TEXT}" > base/id.txt`,
  async run(ctx) {
    const n = names(ctx);
    // Inode tables written now (as the article's mke2fs did), not by a background thread
    // later: the pool's usage then only changes when the lab writes.
    await must(ctx, ['mkfs.ext4', '-E', 'lazy_itable_init=0', mapper(n.thin)]);
    const base = join(ctx.observed(sparseFiles).dir, 'base');
    const id = await mountAt(ctx, n.thin, base);
    await sh(ctx, `echo "${BASE_TEXT}" > ${base}/id.txt`);
    await must(ctx, ['cat', `${base}/id.txt`]);
    const m = mountsOf('self').find((l) => l.target === base);
    return {
      device: mapper(n.thin),
      mount: m ? { fstype: m.fstype, source: m.source } : undefined,
      idText: read(join(base, 'id.txt')),
      poolAfter: await poolStatus(ctx),
      made: { [`mount:${n.thin}`]: id },
    };
  },
  checks: [
    {
      id: 'mounted-ext4',
      description: 'The thin volume is mounted as ext4 (/proc/self/mountinfo).',
      evaluate: (o) => ({
        observed: o.mount ? `${o.mount.fstype} from ${o.mount.source}` : 'not mounted',
        expected: `ext4 from ${o.device}`,
        pass: o.mount?.fstype === 'ext4' && (o.mount.source === o.device || /^\/dev\/dm-\d+$/.test(o.mount.source)),
      }),
    },
    {
      id: 'allocated-on-write',
      description: 'After mkfs the pool uses some data blocks, but less than the 1 GiB volume (16384 blocks).',
      evaluate: (o) => ({
        observed: `${o.poolAfter.dataUsed} data blocks used`,
        expected: '> 0 and < 16384',
        pass: o.poolAfter.dataUsed > 0 && o.poolAfter.dataUsed < GiB / BLOCK_BYTES,
      }),
    },
    {
      id: 'id-written',
      description: 'id.txt on the base volume reads back the sentence written to it.',
      evaluate: (o) => ({ observed: o.idText.trim(), expected: BASE_TEXT, pass: o.idText === `${BASE_TEXT}\n` }),
    },
  ],
});

export const snapshot = step<Snapshot>({
  id: 'snapshot',
  title: { en: 'create_snap 1 0: suspend, snapshot, resume', zh: 'create_snap 1 0:挂起、快照、恢复' },
  explain: {
    en: "The kernel's thin-provisioning document says: if the origin is active, suspend it before create_snap, or the snapshot may be corrupt (the kernel does not enforce it, and the article skipped it). Suspending waits for in-flight I/O and freezes the ext4 on it, which writes id.txt out of the page cache; only then do the origin's block maps get shared with the new device id 1.",
    zh: '内核的 thin-provisioning 文档规定:源设备处于活动状态时,create_snap 之前必须先挂起它,否则快照可能损坏(内核并不强制,原文也省略了这一步)。挂起会等待进行中的 I/O 并冻结其上的 ext4,把 id.txt 从页缓存写到设备上;之后源设备的块映射才被新设备号 1 共享。',
  },
  article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_snap 1 0"; dmsetup create mysnap1 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 1"',
  modern: `dmsetup suspend ${SHOWN.thin}; dmsetup message ${SHOWN.pool} 0 "create_snap 1 0"; dmsetup resume ${SHOWN.thin}; dmsetup create ${SHOWN.snap1} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 1"`,
  async run(ctx) {
    const n = names(ctx);
    ctx.observed(mkfsMount); // the origin: the base volume with its file system
    const { during, after } = await snapshotOf(ctx, n.thin, 1, 0);
    const dm = await createDm(ctx, n.snap1, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 1`);
    const snap1 = join(ctx.observed(sparseFiles).dir, 'snap1');
    const mount = await mountAt(ctx, n.snap1, snap1);
    await must(ctx, ['ls', '-l', snap1]);
    await must(ctx, ['cat', `${snap1}/id.txt`]);
    return {
      stateSuspended: during,
      stateAfter: after,
      idText: read(join(snap1, 'id.txt')),
      files: list(snap1),
      made: { [n.snap1]: dm, [`mount:${n.snap1}`]: mount },
    };
  },
  checks: [
    {
      id: 'origin-suspended',
      description: 'While create_snap ran the origin was SUSPENDED, and it is ACTIVE again afterwards (dmsetup info).',
      evaluate: (o) => ({
        observed: `${o.stateSuspended}, then ${o.stateAfter}`,
        expected: 'SUSPENDED, then ACTIVE',
        pass: o.stateSuspended === 'SUSPENDED' && o.stateAfter === 'ACTIVE',
      }),
    },
    {
      id: 'snapshot-has-base',
      description: "The snapshot shows the base's id.txt with the base's sentence.",
      evaluate: (o) => ({
        observed: `files ${o.files.join(' ')}; id.txt: ${o.idText.trim()}`,
        expected: `id.txt and lost+found; id.txt: ${BASE_TEXT}`,
        pass: o.idText === `${BASE_TEXT}\n` && o.files.includes('lost+found'),
      }),
    },
  ],
});

export const isolation = step<Isolation>({
  id: 'isolation',
  title: { en: 'Change the snapshot; then the base: neither sees the other', zh: '改快照,再改基础卷:互不可见' },
  explain: {
    en: 'A write to a block the two devices share allocates a new block for the writer only. So the snapshot gets its own id.txt and snap1.txt while the base stays as it was, and a file written to the base afterwards never appears in the snapshot.',
    zh: '写入两个设备共享的块时,池只为写入方分配新块。于是快照有了自己的 id.txt 和 snap1.txt,基础卷保持原样;之后写进基础卷的文件也不会出现在快照里。',
  },
  article: 'echo "I am snap1" >> /mnt/mysnap1/id.txt; echo "I am snap1" > /mnt/mysnap1/snap1.txt; cat /mnt/base/id.txt',
  modern: `echo "${SNAP_TEXT}" >> snap1/id.txt; echo "${SNAP_TEXT}" > snap1/snap1.txt; echo … > base/later.txt`,
  async run(ctx) {
    ctx.observed(snapshot); // both volumes mounted
    const dir = ctx.observed(sparseFiles).dir;
    const [base, snap1] = [join(dir, 'base'), join(dir, 'snap1')];
    await sh(ctx, `echo "${SNAP_TEXT}" >> ${snap1}/id.txt`);
    await sh(ctx, `echo "${SNAP_TEXT}" > ${snap1}/snap1.txt`);
    await must(ctx, ['cat', `${snap1}/id.txt`]);
    await must(ctx, ['ls', base]);
    await must(ctx, ['cat', `${base}/id.txt`]);
    await sh(ctx, `echo "${LATER_TEXT}" > ${base}/later.txt`);
    await must(ctx, ['ls', snap1]);
    return {
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
      evaluate: (o) => ({
        observed: `id.txt: ${lines(o.snapId).join(' | ')}; snap1.txt: ${o.snapFile.trim()}`,
        expected: `id.txt: ${BASE_TEXT} | ${SNAP_TEXT}; snap1.txt: ${SNAP_TEXT}`,
        pass: o.snapId === `${BASE_TEXT}\n${SNAP_TEXT}\n` && o.snapFile === `${SNAP_TEXT}\n`,
      }),
    },
    {
      id: 'base-unchanged',
      description: 'The base still has only its own sentence in id.txt and no snap1.txt.',
      evaluate: (o) => ({
        observed: `id.txt: ${lines(o.baseId).join(' | ')}; files: ${o.baseFiles.join(' ')}`,
        expected: `id.txt: ${BASE_TEXT}; no snap1.txt`,
        pass: o.baseId === `${BASE_TEXT}\n` && !o.baseFiles.includes('snap1.txt'),
      }),
    },
    {
      id: 'snapshot-blind-to-base',
      description: 'A file written to the base after the snapshot does not appear in the snapshot.',
      evaluate: (o) => ({
        observed: `base: ${o.baseFiles.join(' ')}; snapshot: ${o.snapFiles.join(' ')}`,
        expected: 'later.txt in the base only',
        pass: o.baseFiles.includes('later.txt') && !o.snapFiles.includes('later.txt'),
      }),
    },
  ],
});

export const snapshotOfSnapshot = step<SnapshotOfSnapshot>({
  id: 'snapshot-of-snapshot',
  title: { en: 'create_snap 2 1: a snapshot of the snapshot', zh: 'create_snap 2 1:快照的快照' },
  explain: {
    en: "Snapshots can be taken of snapshots, as deep as you like, and all share the pool: this is an image layer on top of a layer. Device 2 starts as device 1 is now, with both files; the base's later.txt is not in it.",
    zh: '快照还可以再做快照,层数不限,全部共享同一个池:这就是叠在一层之上的镜像层。设备 2 的起点就是设备 1 的当前状态,有两个文件;基础卷后来写的 later.txt 不在其中。',
  },
  article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_snap 2 1"; dmsetup create mysnap2 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 2"',
  modern: `dmsetup suspend ${SHOWN.snap1}; dmsetup message ${SHOWN.pool} 0 "create_snap 2 1"; dmsetup resume ${SHOWN.snap1}; dmsetup create ${SHOWN.snap2} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 2"`,
  async run(ctx) {
    const n = names(ctx);
    ctx.observed(isolation); // the origin, snap1, as the previous step changed it
    await snapshotOf(ctx, n.snap1, 2, 1);
    const dm = await createDm(ctx, n.snap2, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 2`);
    const snap2 = join(ctx.observed(sparseFiles).dir, 'snap2');
    const mount = await mountAt(ctx, n.snap2, snap2);
    await must(ctx, ['ls', snap2]);
    await must(ctx, ['cat', `${snap2}/id.txt`]);
    return {
      files: list(snap2),
      idText: read(join(snap2, 'id.txt')),
      snap1Text: read(join(snap2, 'snap1.txt')),
      made: { [n.snap2]: dm, [`mount:${n.snap2}`]: mount },
    };
  },
  checks: [
    {
      id: 'sees-both-files',
      description: 'The snapshot of the snapshot has id.txt (both sentences) and snap1.txt, and not the base\'s later.txt.',
      evaluate: (o) => ({
        observed: `files: ${o.files.join(' ')}; id.txt: ${lines(o.idText).join(' | ')}`,
        expected: `files: id.txt lost+found snap1.txt; id.txt: ${BASE_TEXT} | ${SNAP_TEXT}`,
        pass:
          o.files.join(' ') === 'id.txt lost+found snap1.txt' &&
          o.idText === `${BASE_TEXT}\n${SNAP_TEXT}\n` &&
          o.snap1Text === `${SNAP_TEXT}\n`,
      }),
    },
  ],
});

