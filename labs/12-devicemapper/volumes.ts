// 12-devicemapper, the volumes: ext4 on the thin volume, a snapshot of it, changes on each
// side that the other never sees, and a snapshot of the snapshot.
import { join } from 'node:path';
import { mountsOf, must, sh, step, t } from '../../runner/kit/index.js';
import type { PoolStatus } from './dm.js';
import {
  BASE_TEXT,
  BLOCK_BYTES,
  GiB,
  LATER_TEXT,
  SHOWN,
  SNAP_TEXT,
  VOLUME_SECTORS,
  createDm,
  holdFor,
  lines,
  list,
  mapper,
  mountAt,
  names,
  poolStatus,
  read,
  remount,
  snapshotOf,
  type HeldRead,
  type Made,
} from './ops.js';
import { sparseFiles } from './pool.js';

/** The base volume after mkfs, mount and its first file. */
export interface MkfsMount {
  /** /dev/mapper/<thin>, the device that was mounted. */
  readonly device: string;
  /** The mount on base as /proc/self/mountinfo has it (undefined: not mounted). */
  readonly mount: { readonly fstype: string; readonly source: string } | undefined;
  /** id.txt as read after an unmount and a new mount: from the device, not the page cache. */
  readonly idText: string;
  /** The pool right after mkfs. */
  readonly poolAfter: PoolStatus;
  readonly made: Made;
}

/** A read held by the suspended origin, and the snapshot's files. */
export interface Snapshot {
  readonly held: HeldRead;
  readonly idText: string;
  readonly files: readonly string[];
  readonly made: Made;
}

/** The pool before and after writes to both volumes, and both volumes read after a new mount. */
export interface Isolation {
  readonly poolBefore: PoolStatus;
  readonly poolAfter: PoolStatus;
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

/** A file's text as shown in a check: its lines, each quoted ("(missing)" stays as it is). */
const quoted = (text: string) => lines(text).map((l) => `“${l}”`).join(' + ');
const BOTH = `${BASE_TEXT}\n${SNAP_TEXT}`;

const REMOUNTED = t(
  'Both volumes are unmounted and mounted again before they are read: what is read then comes from the devices, not from the page cache of the mounts that did the writes.',
  '读之前先把两个卷卸载再重新挂载：这样读到的内容来自设备，而不是来自执行写入的那次挂载的页缓存。',
);

export const mkfsMount = step<MkfsMount>({
  id: 'mkfs-mount',
  title: { en: 'ext4 on the volume, mounted, with id.txt', zh: '在卷上建 ext4，挂载，写入 id.txt' },
  explain: {
    en: 'To the file system the thin volume is an ordinary disk. mkfs.ext4 writes its metadata and the pool allocates blocks for exactly those writes; then the volume is mounted and gets its first file. nslab then unmounts and mounts it again, so that id.txt is read from the volume, not from the page cache.',
    zh: '对文件系统来说，精简卷就是一块普通磁盘。mkfs.ext4 写入文件系统元数据，池只为这些写入分配块；然后挂载，写入第一个文件。接着 nslab 把它卸载再重新挂载，这样 id.txt 是从卷上读出来的，而不是来自页缓存。',
  },
  article: 'mkfs.ext4 /dev/mapper/hchen-thin-volumn-001; mount /dev/mapper/hchen-thin-volumn-001 /mnt/base; echo "hello world, I am a base" > /mnt/base/id.txt',
  modern: `mkfs.ext4 -E lazy_itable_init=0 ${mapper(SHOWN.thin)}; mount ${mapper(SHOWN.thin)} base; echo "${BASE_TEXT}" > base/id.txt; umount base; mount ${mapper(SHOWN.thin)} base`,
  async run(ctx) {
    const n = names(ctx);
    // Inode tables written now (as the article's mke2fs did), not by a background thread
    // later: the pool's usage then only changes when the lab writes.
    await must(ctx, ['mkfs.ext4', '-E', 'lazy_itable_init=0', mapper(n.thin)]);
    const poolAfter = await poolStatus(ctx);
    const base = join(ctx.observed(sparseFiles).dir, 'base');
    const id = await mountAt(ctx, n.thin, base);
    await sh(ctx, `echo "${BASE_TEXT}" > ${base}/id.txt`);
    await remount(ctx, n.thin, base);
    await must(ctx, ['cat', `${base}/id.txt`]);
    const m = mountsOf('self').find((l) => l.target === base);
    return {
      device: mapper(n.thin),
      mount: m ? { fstype: m.fstype, source: m.source } : undefined,
      idText: read(join(base, 'id.txt')),
      poolAfter,
      made: { [`mount:${n.thin}`]: id },
    };
  },
  checks: [
    {
      id: 'mounted-ext4',
      description: {
        en: 'The kernel recognises the thin volume as ext4 when it mounts it (/proc/self/mountinfo; mount was given no type).',
        zh: '内核挂载精简卷时把它识别为 ext4（/proc/self/mountinfo；mount 没有指定类型）。',
      },
      evaluate: (o) => ({
        observed: o.mount ? `${o.mount.fstype} ← ${o.mount.source}` : t('not mounted', '未挂载'),
        expected: `ext4 ← ${o.device}`,
        pass: o.mount?.fstype === 'ext4' && (o.mount.source === o.device || /^\/dev\/dm-\d+$/.test(o.mount.source)),
      }),
    },
    {
      id: 'allocated-on-write',
      description: {
        en: 'After mkfs the pool uses some data blocks, but less than the 1 GiB volume (16384 blocks).',
        zh: 'mkfs 之后池用了一些数据块，但少于整个 1 GiB 卷（16384 个块）。',
      },
      evaluate: (o) => ({
        observed: t(`${o.poolAfter.dataUsed} data blocks used`, `已用 ${o.poolAfter.dataUsed} 个数据块`),
        expected: '> 0, < 16384',
        pass: o.poolAfter.dataUsed > 0 && o.poolAfter.dataUsed < GiB / BLOCK_BYTES,
      }),
    },
    {
      id: 'id-written',
      description: {
        en: 'id.txt, read after the volume was unmounted and mounted again (from the device, not the page cache), holds the sentence written to it.',
        zh: '卷卸载并重新挂载之后（从设备而不是页缓存）读到的 id.txt 含有写进去的那句话。',
      },
      evaluate: (o) => ({
        observed: t(`id.txt: ${quoted(o.idText)}`, `id.txt 的内容：${quoted(o.idText)}`),
        expected: t(`id.txt: ${quoted(BASE_TEXT)}`, `id.txt 的内容：${quoted(BASE_TEXT)}`),
        pass: o.idText === `${BASE_TEXT}\n`,
      }),
    },
  ],
});

export const snapshot = step<Snapshot>({
  id: 'snapshot',
  title: { en: 'create_snap 1 0: suspend, snapshot, resume', zh: 'create_snap 1 0：挂起、快照、恢复' },
  explain: {
    en: "The kernel's thin-provisioning document says: if the origin is active, suspend it before create_snap, or the snapshot may be corrupt (the kernel does not enforce it, and the article skipped it). Suspending waits for in-flight I/O and freezes the ext4 on it, which writes id.txt out of the page cache; then the kernel holds every new I/O to the origin until the resume, so its block maps can be shared with the new device id 1. nslab shows it: a direct read of the origin started while it is suspended only completes after the resume.",
    zh: '内核的 thin-provisioning 文档规定：源设备处于活动状态时，create_snap 之前必须先挂起它，否则快照可能损坏（内核并不强制，原文也省略了这一步）。挂起会等待进行中的 I/O 并冻结其上的 ext4，把 id.txt 从页缓存写到设备上；之后内核扣住发往源设备的所有新 I/O，直到恢复为止，源设备的块映射才能安全地被新设备号 1 共享。nslab 把这一点演示出来：挂起期间对源设备发起的直接读，要等到恢复之后才完成。',
  },
  article: 'dmsetup message /dev/mapper/hchen-thin-pool 0 "create_snap 1 0"; dmsetup create mysnap1 --table "0 2097152 thin /dev/mapper/hchen-thin-pool 1"',
  modern: `dmsetup suspend ${SHOWN.thin}; dmsetup message ${SHOWN.pool} 0 "create_snap 1 0"; dmsetup resume ${SHOWN.thin}; dmsetup create ${SHOWN.snap1} --table "0 ${VOLUME_SECTORS} thin ${mapper(SHOWN.pool)} 1"`,
  async run(ctx) {
    const n = names(ctx);
    ctx.observed(mkfsMount); // the origin: the base volume with its file system
    const { held } = await snapshotOf(ctx, n.thin, 1, 0, true);
    const dm = await createDm(ctx, n.snap1, `0 ${VOLUME_SECTORS} thin ${mapper(n.pool)} 1`);
    const snap1 = join(ctx.observed(sparseFiles).dir, 'snap1');
    const mount = await mountAt(ctx, n.snap1, snap1);
    await must(ctx, ['ls', '-l', snap1]);
    await must(ctx, ['cat', `${snap1}/id.txt`]);
    return {
      held: held!,
      idText: read(join(snap1, 'id.txt')),
      files: list(snap1),
      made: { [n.snap1]: dm, [`mount:${n.snap1}`]: mount },
    };
  },
  checks: [
    {
      id: 'origin-held',
      description: {
        en: 'While the origin was suspended for create_snap, the kernel held a direct read of it (still waiting for I/O, state D, after five times what the same read took on the active device, at least 1 s), and completed it after the resume.',
        zh: '源设备为 create_snap 挂起期间，内核扣住了对它的一次直接读（等了同样的读在设备活动时所需时间的五倍、至少 1 秒之后，它仍在等待 I/O，状态 D），恢复之后这次读才完成。',
      },
      evaluate: ({ held: h }) => {
        const hold = holdFor(h.controlMs);
        const during = h.doneWhileSuspended ? t('already done', '已经完成') : t(`pending, state ${h.stateWhileSuspended}`, `仍在等待，状态 ${h.stateWhileSuspended}`);
        return {
          observed: t(
            `active: ${h.controlBytes} bytes in ${h.controlMs} ms; suspended ${h.heldMs} ms: ${during.en}; after resume: ${h.bytesAfterResume} bytes in ${h.msAfterResume} ms`,
            `活动时：${h.controlMs} 毫秒读到 ${h.controlBytes} 字节；挂起 ${h.heldMs} 毫秒：${during.zh}；恢复后：${h.msAfterResume} 毫秒读到 ${h.bytesAfterResume} 字节`,
          ),
          expected: t(`4096 bytes; pending in state D for ≥ ${hold} ms; then 4096 bytes`, `4096 字节；处于状态 D 等待 ≥ ${hold} 毫秒；然后读到 4096 字节`),
          pass:
            h.controlBytes === 4096 &&
            !h.doneWhileSuspended &&
            h.stateWhileSuspended === 'D' &&
            h.heldMs >= hold &&
            h.bytesAfterResume === 4096,
        };
      },
    },
    {
      id: 'snapshot-has-base',
      description: {
        en: "The snapshot, mounted for the first time, shows the base's id.txt with the base's sentence.",
        zh: '第一次挂载的快照里有基础卷的 id.txt，内容是基础卷的那句话。',
      },
      evaluate: (o) => ({
        observed: t(`files: ${o.files.join(' ')}; id.txt: ${quoted(o.idText)}`, `文件：${o.files.join(' ')}；id.txt 的内容：${quoted(o.idText)}`),
        expected: t(`files: id.txt lost+found; id.txt: ${quoted(BASE_TEXT)}`, `文件：id.txt lost+found；id.txt 的内容：${quoted(BASE_TEXT)}`),
        pass: o.idText === `${BASE_TEXT}\n` && o.files.includes('lost+found'),
      }),
    },
  ],
});

export const isolation = step<Isolation>({
  id: 'isolation',
  title: { en: 'Change the snapshot; then the base: neither sees the other', zh: '改快照，再改基础卷：互不可见' },
  explain: {
    en: 'A write to a block the two devices share makes the pool allocate a new block for the writer only (copy-on-write, per 64 KiB block), so the pool\'s count of used data blocks grows. The snapshot gets its own id.txt and snap1.txt while the base stays as it was, and a file written to the base afterwards (nslab adds later.txt to the article\'s steps) never appears in the snapshot.',
    zh: '写入两个设备共享的块时，池只为写入方分配新块（写时复制，以 64 KiB 的块为单位），所以池的已用数据块数会增加。于是快照有了自己的 id.txt 和 snap1.txt，基础卷保持原样；之后写进基础卷的文件（later.txt，是 nslab 在原文步骤之外加的）也不会出现在快照里。',
  },
  article: 'echo "I am snap1" >> /mnt/mysnap1/id.txt; echo "I am snap1" > /mnt/mysnap1/snap1.txt; cat /mnt/base/id.txt',
  modern: `echo "${SNAP_TEXT}" >> snap1/id.txt; echo "${SNAP_TEXT}" > snap1/snap1.txt; echo … > base/later.txt; sync; dmsetup status ${SHOWN.pool}`,
  async run(ctx) {
    const n = names(ctx);
    ctx.observed(snapshot); // both volumes mounted
    const dir = ctx.observed(sparseFiles).dir;
    const [base, snap1] = [join(dir, 'base'), join(dir, 'snap1')];
    await must(ctx, ['sync']);
    const poolBefore = await poolStatus(ctx);
    await sh(ctx, `echo "${SNAP_TEXT}" >> ${snap1}/id.txt`);
    await sh(ctx, `echo "${SNAP_TEXT}" > ${snap1}/snap1.txt`);
    await sh(ctx, `echo "${LATER_TEXT}" > ${base}/later.txt`);
    await must(ctx, ['sync']);
    const poolAfter = await poolStatus(ctx);
    ctx.log(REMOUNTED);
    await remount(ctx, n.snap1, snap1);
    await remount(ctx, n.thin, base);
    await must(ctx, ['cat', `${snap1}/id.txt`]);
    await must(ctx, ['ls', base]);
    await must(ctx, ['cat', `${base}/id.txt`]);
    await must(ctx, ['ls', snap1]);
    return {
      poolBefore,
      poolAfter,
      snapId: read(join(snap1, 'id.txt')),
      snapFile: read(join(snap1, 'snap1.txt')),
      baseId: read(join(base, 'id.txt')),
      baseFiles: list(base),
      snapFiles: list(snap1),
    };
  },
  checks: [
    {
      id: 'copy-on-write-allocates',
      description: {
        en: 'The writes to shared blocks made the pool allocate new data blocks (dmsetup status before the writes and after sync).',
        zh: '对共享块的写入让池分配了新的数据块（写入之前与 sync 之后的 dmsetup status）。',
      },
      evaluate: (o) => ({
        observed: t(`${o.poolBefore.dataUsed} → ${o.poolAfter.dataUsed} data blocks used`, `已用数据块 ${o.poolBefore.dataUsed} → ${o.poolAfter.dataUsed}`),
        expected: t(`more than ${o.poolBefore.dataUsed}`, `多于 ${o.poolBefore.dataUsed}`),
        pass: o.poolAfter.dataUsed > o.poolBefore.dataUsed,
      }),
    },
    {
      id: 'snapshot-changed',
      description: {
        en: "Read from a new mount, the snapshot's id.txt has both sentences and it has snap1.txt.",
        zh: '重新挂载后读取，快照的 id.txt 有两句话，并且快照里有 snap1.txt。',
      },
      evaluate: (o) => ({
        observed: t(`id.txt: ${quoted(o.snapId)}; snap1.txt: ${quoted(o.snapFile)}`, `id.txt 的内容：${quoted(o.snapId)}；snap1.txt 的内容：${quoted(o.snapFile)}`),
        expected: t(`id.txt: ${quoted(BOTH)}; snap1.txt: ${quoted(SNAP_TEXT)}`, `id.txt 的内容：${quoted(BOTH)}；snap1.txt 的内容：${quoted(SNAP_TEXT)}`),
        pass: o.snapId === `${BASE_TEXT}\n${SNAP_TEXT}\n` && o.snapFile === `${SNAP_TEXT}\n`,
      }),
    },
    {
      id: 'base-unchanged',
      description: {
        en: 'Read from a new mount, the base still has only its own sentence in id.txt and no snap1.txt.',
        zh: '重新挂载后读取，基础卷的 id.txt 仍然只有它自己的那句话，也没有 snap1.txt。',
      },
      evaluate: (o) => ({
        observed: t(`id.txt: ${quoted(o.baseId)}; files: ${o.baseFiles.join(' ')}`, `id.txt 的内容：${quoted(o.baseId)}；文件：${o.baseFiles.join(' ')}`),
        expected: t(`id.txt: ${quoted(BASE_TEXT)}; no snap1.txt`, `id.txt 的内容：${quoted(BASE_TEXT)}；没有 snap1.txt`),
        pass: o.baseId === `${BASE_TEXT}\n` && !o.baseFiles.includes('snap1.txt'),
      }),
    },
    {
      id: 'snapshot-blind-to-base',
      description: {
        en: 'A file written to the base after the snapshot does not appear in the snapshot (both read from new mounts).',
        zh: '快照之后写进基础卷的文件不会出现在快照里（两边都在重新挂载后读取）。',
      },
      evaluate: (o) => ({
        observed: t(`base: ${o.baseFiles.join(' ')}; snapshot: ${o.snapFiles.join(' ')}`, `基础卷：${o.baseFiles.join(' ')}；快照：${o.snapFiles.join(' ')}`),
        expected: t('later.txt in the base only', 'later.txt 只在基础卷里'),
        pass: o.baseFiles.includes('later.txt') && !o.snapFiles.includes('later.txt'),
      }),
    },
  ],
});

export const snapshotOfSnapshot = step<SnapshotOfSnapshot>({
  id: 'snapshot-of-snapshot',
  title: { en: 'create_snap 2 1: a snapshot of the snapshot', zh: 'create_snap 2 1：快照的快照' },
  explain: {
    en: "Snapshots can be taken of snapshots, as deep as you like, and all share the pool: this is an image layer on top of a layer. Device 2 starts as device 1 is now, with both files; the base's later.txt is not in it.",
    zh: '快照还可以再做快照，层数不限，全部共享同一个池：这就是叠在一层之上的镜像层。设备 2 的起点就是设备 1 的当前状态，有两个文件；基础卷后来写的 later.txt 不在其中。',
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
      description: {
        en: "The snapshot of the snapshot, mounted for the first time, has id.txt (both sentences) and snap1.txt, and not the base's later.txt.",
        zh: '第一次挂载的“快照的快照”里有 id.txt（两句话）和 snap1.txt，没有基础卷的 later.txt。',
      },
      evaluate: (o) => ({
        observed: t(
          `files: ${o.files.join(' ')}; id.txt: ${quoted(o.idText)}; snap1.txt: ${quoted(o.snap1Text)}`,
          `文件：${o.files.join(' ')}；id.txt 的内容：${quoted(o.idText)}；snap1.txt 的内容：${quoted(o.snap1Text)}`,
        ),
        expected: t(
          `files: id.txt lost+found snap1.txt; id.txt: ${quoted(BOTH)}; snap1.txt: ${quoted(SNAP_TEXT)}`,
          `文件：id.txt lost+found snap1.txt；id.txt 的内容：${quoted(BOTH)}；snap1.txt 的内容：${quoted(SNAP_TEXT)}`,
        ),
        pass:
          o.files.join(' ') === 'id.txt lost+found snap1.txt' &&
          o.idText === `${BASE_TEXT}\n${SNAP_TEXT}\n` &&
          o.snap1Text === `${SNAP_TEXT}\n`,
      }),
    },
  ],
});
