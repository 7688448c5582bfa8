// Made-up observations for 12-devicemapper's checks: one that passes per step (figures as the
// VM's kernel gives them), and for each check the ways it could really fail (a file that is
// not sparse, a loop on the wrong file, a read that was never held by the suspend, a read served
// from the page cache, blocks that leak…).
import { examples } from '../../runner/kit/index.js';
import type { PoolStatus } from './dm.js';
import {
  isolation,
  loopDevices,
  mkfsMount,
  overProvisioning,
  snapshot,
  snapshotOfSnapshot,
  sparseFiles,
  teardown,
  thinPoolStep,
  thinProvisioning,
  thinVolume,
  type Isolation,
  type LoopDevices,
  type MkfsMount,
  type OverProvisioning,
  type Snapshot,
  type SnapshotOfSnapshot,
  type SparseFiles,
  type HeldRead,
  type Teardown,
  type ThinPool,
  type ThinProvisioning,
  type ThinVolume,
} from './index.js';

const GiB = 1024 ** 3;
const DIR = '/run/nslab/c3d4/scratch';
const BASE = 'hello world, I am a base\n';
const SNAP = 'I am snap1\n';

const pool = (dataUsed: number, metaUsed = 10, dataTotal = 163840): PoolStatus => ({
  line: `0 20971522 thin-pool 0 ${metaUsed}/25600 ${dataUsed}/${dataTotal} - rw discard_passdown queue_if_no_space - 1024`,
  transaction: 0,
  metaUsed,
  metaTotal: 25600,
  dataUsed,
  dataTotal,
});

const files: SparseFiles = {
  dir: DIR,
  data: `${DIR}/data.img`,
  meta: `${DIR}/meta.data.img`,
  dataAlloc: { size: 10 * GiB + 1024, allocated: 4096 },
  metaAlloc: { size: 100 * 1024 * 1024 + 1024, allocated: 4096 },
};

const loops: LoopDevices = {
  dataFile: files.data,
  metaFile: files.meta,
  data: '/dev/loop0',
  meta: '/dev/loop1',
  dataMarker: 'nslab-c3d4-data marker',
  metaMarker: 'nslab-c3d4-meta marker',
  dataTail: 'nslab-c3d4-data marker',
  metaTail: 'nslab-c3d4-meta marker',
  dataBytes: 10 * GiB + 1024,
  made: { 'loop:data': 3, 'loop:meta': 4 },
};

const thinPool: ThinPool = {
  status: pool(0),
  dataMajMin: '7:0',
  metaMajMin: '7:1',
  metaBefore: { size: 100 * 1024 * 1024 + 1024, allocated: 4096 },
  metaAfter: { size: 100 * 1024 * 1024 + 1024, allocated: 28_672 },
  dataBefore: { size: 10 * GiB + 1024, allocated: 4096 },
  dataAfter: { size: 10 * GiB + 1024, allocated: 4096 },
  made: { 'nslab-c3d4-pool': 5 },
};

const volume: ThinVolume = { lastBlockBytes: 4096, pastEndBytes: 0, mapped: 0, poolAfter: pool(0, 11), made: { 'nslab-c3d4-thin0': 6 } };

const mkfs: MkfsMount = {
  device: '/dev/mapper/nslab-c3d4-thin0',
  mount: { fstype: 'ext4', source: '/dev/mapper/nslab-c3d4-thin0' },
  idText: BASE,
  poolAfter: pool(552, 24),
  made: { 'mount:nslab-c3d4-thin0': 7 },
};

/** Under emulation: the control read took 180 ms, so the read was watched for 1 s. */
const held: HeldRead = {
  controlMs: 180,
  controlBytes: 4096,
  heldMs: 1012,
  doneWhileSuspended: false,
  stateWhileSuspended: 'D',
  bytesAfterResume: 4096,
  msAfterResume: 35,
};

const snap: Snapshot = {
  held,
  idText: BASE,
  files: ['id.txt', 'lost+found'],
  made: { 'nslab-c3d4-snap1': 9, 'mount:nslab-c3d4-snap1': 10 },
};

const iso: Isolation = {
  poolBefore: pool(555, 26),
  poolAfter: pool(571, 31),
  snapId: `${BASE}${SNAP}`,
  snapFile: SNAP,
  baseId: BASE,
  baseFiles: ['id.txt', 'later.txt', 'lost+found'],
  snapFiles: ['id.txt', 'lost+found', 'snap1.txt'],
};

const snap2: SnapshotOfSnapshot = {
  files: ['id.txt', 'lost+found', 'snap1.txt'],
  idText: `${BASE}${SNAP}`,
  snap1Text: SNAP,
  made: { 'nslab-c3d4-snap2': 12, 'mount:nslab-c3d4-snap2': 13 },
};

const usage: ThinProvisioning = {
  status: pool(571, 31),
  data: { size: 10 * GiB + 1024, allocated: 36_802_560 },
  volumes: { 'nslab-c3d4-thin0': 36_480, 'nslab-c3d4-snap1': 36_608, 'nslab-c3d4-snap2': 36_608 },
};

const over: OverProvisioning = {
  endBytes: 4096,
  poolBytes: 163840 * 65536,
  before: pool(571, 31),
  after: pool(587, 32),
  mapped: 2048,
  made: { 'nslab-c3d4-big': 14 },
};

const down: Teardown = { dm: [], loops: [], mounts: [] };

export default [
  examples(sparseFiles, {
    pass: files,
    fail: {
      'data-apparent-size': [
        { ...files, dataAlloc: { size: 1024, allocated: 4096 } }, // dd did not seek
        { ...files, dataAlloc: { size: 10 * GiB, allocated: 4096 } }, // the 1 KiB at the end is missing
      ],
      'files-sparse': [
        { ...files, dataAlloc: { size: 10 * GiB + 1024, allocated: 10 * GiB + 4096 } }, // written out in full (a file system without holes)
        { ...files, metaAlloc: { size: 100 * 1024 * 1024 + 1024, allocated: 100 * 1024 * 1024 + 4096 } },
        { ...files, metaAlloc: { size: 1024, allocated: 4096 } }, // the metadata file is too short
      ],
    },
  }),
  examples(loopDevices, {
    pass: loops,
    fail: {
      'backing-files': [
        { ...loops, dataTail: '' }, // the write never reached the data file
        { ...loops, metaTail: '' }, // losetup -f raced: /dev/loop1 is someone else's file
        { ...loops, dataTail: loops.metaMarker, metaTail: loops.dataMarker }, // the two swapped
      ],
      'loop-size': [
        { ...loops, dataBytes: 10 * GiB }, // rounded down
        { ...loops, dataBytes: 0 },
      ],
    },
  }),
  examples(thinPoolStep, {
    pass: thinPool,
    fail: {
      'metadata-formatted': [
        { ...thinPool, metaAfter: thinPool.metaBefore }, // nothing written to the metadata file
        { ...thinPool, dataAfter: { size: 10 * GiB + 1024, allocated: 28_672 } }, // data and metadata swapped: the data file was formatted
      ],
      'pool-empty': [
        { ...thinPool, status: pool(16) }, // a pool reused from an earlier run
        { ...thinPool, status: pool(0, 10, 81920) }, // 256-sector blocks
      ],
    },
  }),
  examples(thinVolume, {
    pass: volume,
    fail: {
      'volume-size': [
        { ...volume, lastBlockBytes: 0 }, // a volume smaller than 1 GiB
        { ...volume, pastEndBytes: 4096 }, // a volume larger than 1 GiB
        { ...volume, lastBlockBytes: -1 }, // dd said nothing
      ],
      'nothing-mapped': [
        { ...volume, mapped: 2048 }, // the volume id already had data
        { ...volume, poolAfter: pool(16, 11) },
      ],
    },
  }),
  examples(mkfsMount, {
    pass: mkfs,
    fail: {
      'mounted-ext4': [
        { ...mkfs, mount: undefined },
        { ...mkfs, mount: { fstype: 'ext2', source: '/dev/mapper/nslab-c3d4-thin0' } },
        { ...mkfs, mount: { fstype: 'ext4', source: '/dev/loop0' } }, // something else is mounted there
      ],
      'allocated-on-write': [
        { ...mkfs, poolAfter: pool(0, 11) }, // mkfs wrote nothing through the pool
        { ...mkfs, poolAfter: pool(16384, 60) }, // the whole volume was allocated (zeroed)
      ],
      'id-written': [
        { ...mkfs, idText: '(missing)' },
        { ...mkfs, idText: 'hello world, I am a base' }, // the newline was lost
      ],
    },
  }),
  examples(snapshot, {
    pass: snap,
    fail: {
      'origin-held': [
        { ...snap, held: { ...held, doneWhileSuspended: true, stateWhileSuspended: 'exited' } }, // the origin was never suspended
        { ...snap, held: { ...held, stateWhileSuspended: 'R' } }, // dd had not reached its read yet
        { ...snap, held: { ...held, heldMs: 300 } }, // watched too briefly to tell
        { ...snap, held: { ...held, bytesAfterResume: -1 } }, // left frozen: never completed
        { ...snap, held: { ...held, controlBytes: 0 } }, // the control read failed
      ],
      'snapshot-has-base': [
        { ...snap, idText: '(missing)', files: ['lost+found'] }, // id.txt was still in the page cache
        { ...snap, files: ['id.txt'] },
      ],
    },
  }),
  examples(isolation, {
    pass: iso,
    fail: {
      'copy-on-write-allocates': [
        { ...iso, poolAfter: iso.poolBefore }, // the writes overwrote shared blocks in place
        { ...iso, poolAfter: pool(540, 31) }, // blocks were freed instead
      ],
      'snapshot-changed': [
        { ...iso, snapId: BASE }, // the append did not reach the snapshot
        { ...iso, snapFile: '(missing)' },
      ],
      'base-unchanged': [
        { ...iso, baseId: `${BASE}${SNAP}` }, // the two share the changed block
        { ...iso, baseFiles: ['id.txt', 'later.txt', 'lost+found', 'snap1.txt'] },
      ],
      'snapshot-blind-to-base': [
        { ...iso, snapFiles: ['id.txt', 'later.txt', 'lost+found', 'snap1.txt'] },
        { ...iso, baseFiles: ['id.txt', 'lost+found'] }, // the write to the base never happened
      ],
    },
  }),
  examples(snapshotOfSnapshot, {
    pass: snap2,
    fail: {
      'sees-both-files': [
        { ...snap2, files: ['id.txt', 'later.txt', 'lost+found', 'snap1.txt'] }, // a snapshot of the base instead
        { ...snap2, files: ['id.txt', 'lost+found'], snap1Text: '(missing)' }, // taken from snap1 before its writes
        { ...snap2, idText: BASE },
      ],
    },
  }),
  examples(thinProvisioning, {
    pass: usage,
    fail: {
      'pool-mostly-free': [
        { ...usage, status: pool(0, 31) }, // nothing allocated: writes never reached the pool
        { ...usage, status: pool(49152, 200) }, // the volumes were allocated in full (3 × 1 GiB)
      ],
      'file-holds-what-was-written': [
        { ...usage, data: { size: 10 * GiB + 1024, allocated: 10 * GiB + 4096 } }, // the data file is not sparse
        { ...usage, data: { size: 10 * GiB + 1024, allocated: 0 } }, // nothing reached the disk: sync missing
        { ...usage, data: { size: 10 * GiB, allocated: 36_802_560 } },
      ],
    },
  }),
  examples(overProvisioning, {
    pass: over,
    fail: {
      'promised-more-than-pool': [
        { ...over, endBytes: 0 }, // the volume ends before 100 GiB
        { ...over, poolBytes: 200 * GiB }, // the pool is larger than the volume: nothing over-provisioned
      ],
      'write-beyond-pool-size': [
        { ...over, mapped: 0 }, // the write never reached the volume
        { ...over, after: pool(571, 31) }, // the pool did not grow
        { ...over, mapped: 4096 },
      ],
    },
  }),
  examples(teardown, {
    pass: down,
    fail: {
      'nothing-left': [
        { ...down, dm: ['nslab-c3d4-pool'] }, // a device still open
        { ...down, loops: ['loop0'] },
        { ...down, mounts: [`${DIR}/snap1`] },
      ],
    },
  }),
];
