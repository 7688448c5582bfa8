// Made-up observations for 11-aufs's checks: one that passes per step, and for each check the
// ways it could really fail (a branch written through, a whiteout left as a plain `.wh.` file,
// a union that leaked to the host, timings that do not grow…).
import { examples, type MountLine } from '../../runner/kit/index.js';
import {
  aufs,
  copyUp,
  image,
  lookup,
  opaque,
  underneath,
  union,
  whiteout,
  type Aufs,
  type CopyUp,
  type Image,
  type Lookup,
  type Opaque,
  type Underneath,
  type Union,
  type Whiteout,
} from './index.js';
import { COPIED } from './underneath.js';
import type { LayerFigures } from './bench.js';

const DIR = '/run/nslab/a1b2/scratch/u';

const mount = (fstype: string, target = `${DIR}/mnt`): MountLine => ({
  id: 812,
  root: '/',
  target,
  options: ['rw', 'relatime'],
  optional: [],
  fstype,
  source: fstype,
  superOptions: ['rw', 'lowerdir=./fruits:./vegetables', 'upperdir=./upper', 'workdir=./work'],
});

const uni: Union = {
  dir: DIR,
  ls: ['apple', 'carrots', 'tomato'],
  readdir: ['tomato', 'apple', 'carrots'],
  tomato: 'tomato (fruits)\n',
  nsMounts: [mount('overlay')],
  hostMounts: [],
};

const au: Aufs = { ls: ['apple', 'carrots', 'tomato'], fruitsCarrots: 'mnt_carrots\n', whTomato: true, vegCarrots: 'carrots (vegetables)\n' };

const cu: CopyUp = {
  union: 'mnt_carrots\n',
  upper: 'mnt_carrots\n',
  vegBefore: 'carrots (vegetables)\n',
  vegAfter: 'carrots (vegetables)\n',
  upperTomato: 'tomato (fruits)\nmnt_tomato\n',
  fruitsTomato: 'tomato (fruits)\n',
};

const wh: Whiteout = { readdir: ['carrots', 'tomato'], stat: 'ENOENT', kind: 'whiteout 0/0', fruitsApple: 'apple (fruits)\n' };

/** On this kernel: the untouched lower file shows its new content, the copied-up one does not. */
const un: Underneath = {
  plainBefore: 'v1 (lower)\n',
  plainAfter: 'v2 (changed in lower)\n',
  copiedBefore: COPIED,
  copiedAfter: COPIED,
  upper: ['copied'],
  addedListed: true,
  addedStat: 'file',
  addedRead: 'added to lower\n',
};

const op: Opaque = { before: ['cucumber', 'lettuce'], after: ['dressing'], xattr: 'y', lower: ['lettuce', 'cucumber'], upperKind: 'dir' };

const TREE = ['app', 'app/config.txt', 'app/data', 'app/data/c.txt', 'bin', 'etc', 'etc/motd', 'etc/os-release', 'tmp'];
const img: Image = {
  applied: [
    { whiteouts: [], opaque: [], files: 6 },
    { whiteouts: ['tmp/cache.bin'], opaque: ['app/data'], files: 2 },
    { whiteouts: ['bin/hello'], opaque: [], files: 1 },
  ],
  tree: TREE,
  whitedOut: { 'tmp/cache.bin': 'ENOENT', 'bin/hello': 'ENOENT' },
  inBase: ['tmp/cache.bin', 'bin/hello'],
  data: ['c.txt'],
  baseData: ['b.txt', 'a.txt'],
  config: 'version=2\n',
};

const fig = (layers: number, us: number, read: number, anomalies = 0): LayerFigures => ({
  layers,
  statLowestColdUs: us,
  statMissingColdUs: us * 1.1,
  openLowestColdUs: us * 1.6,
  statLowestWarmUs: 0.6,
  statMissingWarmUs: 0.7,
  readMiBps: read,
  anomalies,
});
const look: Lookup = { figures: [fig(1, 2.1, 9100), fig(8, 4.9, 9050), fig(32, 14.2, 8900), fig(128, 52.7, 9020)] };
/** Each of the three timed figures flat: the dentry cache answered, or the layers were never searched. */
const flat = (key: 'statMissingColdUs' | 'statLowestColdUs' | 'openLowestColdUs'): Lookup => ({
  figures: look.figures.map((f) => ({ ...f, [key]: 3.0 })),
});

export default [
  examples(union, {
    pass: uni,
    fail: {
      'union-lists': [
        { ...uni, ls: ['apple', 'tomato'], readdir: ['apple', 'tomato'] }, // the lower branch is not in the union
        { ...uni, readdir: ['apple', 'carrots', 'tomato', 'tomato'] }, // readdir shows a name twice
      ],
      'leftmost-wins': { ...uni, tomato: 'tomato (vegetables)\n' }, // the branches stacked the wrong way round
      'private-mount': [
        { ...uni, hostMounts: [mount('overlay')] }, // the mount propagated to the host
        { ...uni, nsMounts: [] }, // nothing mounted at all
        { ...uni, nsMounts: [mount('tmpfs')] },
        { ...uni, nsMounts: [mount('overlay'), mount('overlay')] }, // mounted twice
      ],
    },
  }),
  examples(aufs, {
    pass: au,
    fail: {
      'aufs-union': [
        { ...au, fruitsCarrots: undefined }, // the write did not land in the writable branch
        { ...au, vegCarrots: 'mnt_carrots\n' }, // the write went through to the lower branch
        { ...au, whTomato: false }, // no whiteout: tomato was really deleted or not at all
        { ...au, ls: ['apple', 'tomato'] },
      ],
    },
    skip: {
      'aufs-union': {
        skip: {
          en: 'this kernel (6.8.0-49-generic) has no aufs in /proc/filesystems: AUFS never entered mainline, the overlayfs steps show the same mechanics',
          zh: '这个内核（6.8.0-49-generic）的 /proc/filesystems 里没有 aufs：AUFS 从未进入主线，overlayfs 的各步展示的是同样的机制',
        },
      },
    },
  }),
  examples(copyUp, {
    pass: cu,
    fail: {
      'copied-up': [
        { ...cu, upper: undefined }, // no copy in upper
        { ...cu, upper: 'carrots (vegetables)\n' }, // copied, but the write went elsewhere
        { ...cu, union: 'carrots (vegetables)\n' }, // the union still shows the lower file
      ],
      'lower-untouched': { ...cu, vegAfter: 'mnt_carrots\n' },
      'copies-visible-version': [
        { ...cu, upperTomato: 'tomato (vegetables)\nmnt_tomato\n' }, // the hidden version was copied
        { ...cu, upperTomato: 'mnt_tomato\n' }, // an empty file was made instead of a copy
        { ...cu, fruitsTomato: 'tomato (fruits)\nmnt_tomato\n' }, // the append reached the lower file
      ],
    },
  }),
  examples(whiteout, {
    pass: wh,
    fail: {
      'whiteout-device': [{ ...wh, kind: 'missing' }, { ...wh, kind: 'file' }, { ...wh, kind: 'char 1/3' }],
      'apple-gone': [
        { ...wh, readdir: ['apple', 'carrots', 'tomato'], stat: 'file' },
        { ...wh, stat: 'file' }, // readdir hides it, but a lookup still finds it
      ],
      'lower-keeps-apple': { ...wh, fruitsApple: undefined }, // the lower file was really deleted
    },
  }),
  examples(opaque, {
    pass: op,
    fail: {
      'opaque-xattr': [
        { ...op, xattr: undefined }, // recreated without the opaque mark
        { ...op, upperKind: 'file' },
      ],
      'lower-hidden': [
        { ...op, after: ['cucumber', 'dressing', 'lettuce'] }, // the old lettuce shows through
        { ...op, lower: ['cucumber'] }, // the rm reached the lower layer
        { ...op, before: [] }, // the lower directory never showed in the union
      ],
    },
  }),
  examples(underneath, {
    // What the lower change did to plain and added is undefined, so no check looks at it.
    pass: un,
    fail: {
      'copied-up-unaffected': [
        { ...un, copiedAfter: 'v2 (changed in lower)\n' }, // the lower change reached a copied-up file
        { ...un, copiedBefore: 'v1 (lower)\n', copiedAfter: 'v1 (lower)\n' }, // the write through the union never landed
        { ...un, copiedAfter: undefined },
      ],
      'reads-never-copy-up': [
        { ...un, upper: ['copied', 'plain'] }, // reading plain copied it up
        { ...un, upper: [] }, // the write through the union did not copy up either
      ],
    },
  }),
  examples(image, {
    pass: img,
    fail: {
      'whiteouts-translated': [
        { ...img, tree: [...TREE, 'tmp/.wh.cache.bin'].sort() }, // the `.wh.` file was left: the kernel shows it as a plain file
        { ...img, tree: [...TREE, 'app/data/.wh..wh..opq'].sort() },
        { ...img, applied: img.applied.map((a) => ({ ...a, whiteouts: [] })) }, // tar listed no whiteouts at all
      ],
      'whiteouts-hide': [
        { ...img, tree: [...TREE, 'tmp/cache.bin'].sort(), whitedOut: { ...img.whitedOut, 'tmp/cache.bin': 'file' } }, // mknod never ran
        { ...img, whitedOut: { ...img.whitedOut, 'bin/hello': 'char 1/3' } }, // a device, but not 0/0: not a whiteout
        { ...img, tree: TREE.filter((p) => p !== 'tmp') }, // the whole directory went, not the file
        { ...img, inBase: ['bin/hello'] }, // the base layer lost tmp/cache.bin: nothing left to hide
      ],
      'opaque-hides': [
        { ...img, data: ['a.txt', 'b.txt', 'c.txt'] }, // `.wh..wh..opq` not translated: the base shows through
        { ...img, data: ['.wh..wh..opq', 'c.txt'] }, // the marker file was left in place
        { ...img, baseData: [] }, // the base layer lost its files
      ],
      'upper-layer-wins': [
        { ...img, config: 'version=1\n' }, // the layers stacked bottom-up
        { ...img, tree: TREE.filter((p) => p !== 'etc/os-release') }, // a layer missing from the stack
      ],
    },
  }),
  examples(lookup, {
    pass: look,
    fail: {
      'missing-lookup-grows': [flat('statMissingColdUs'), { figures: [] }],
      'lowest-lookup-grows': [flat('statLowestColdUs'), { figures: look.figures.slice(0, 3) }], // no 128-layer figure
      'open-grows': flat('openLowestColdUs'),
      'read-unchanged': [
        { figures: look.figures.map((f) => (f.layers === 128 ? { ...f, readMiBps: 2100 } : f)) }, // reads slowed down with layers
        { figures: look.figures.map((f) => ({ ...f, readMiBps: 0 })) }, // nothing was read
        { figures: look.figures.filter((f) => f.layers !== 1) },
      ],
      'lookups-answered': [
        { figures: look.figures.map((f) => (f.layers === 32 ? { ...f, anomalies: 2000 } : f)) }, // the names were not there
        { figures: [] }, // interrupted: no lookup was timed
      ],
    },
  }),
];
