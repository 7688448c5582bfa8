// Made-up observations for 11-aufs's checks: one that passes per step, and for each check the
// ways it could really fail (a branch written through, a whiteout left as a plain `.wh.` file,
// a union that leaked to the host, timings that do not grow…).
import { examples, type MountLine } from '../../runner/kit/index.js';
import { aufs, copyUp, image, lookup, opaque, union, whiteout, type Aufs, type CopyUp, type Image, type Lookup, type Opaque, type Union, type Whiteout } from './index.js';
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
  tomato: 'I am a fruit\n',
  nsMounts: [mount('overlay')],
  hostMounts: [],
};

const au: Aufs = { ls: ['apple', 'carrots', 'tomato'], fruitsCarrots: 'mnt_carrots\n', whTomato: true, vegCarrots: 'I am a carrot\n' };

const cu: CopyUp = {
  union: 'mnt_carrots\n',
  upper: 'mnt_carrots\n',
  vegBefore: 'I am a carrot\n',
  vegAfter: 'I am a carrot\n',
  upperTomato: 'I am a fruit\nmnt_tomato\n',
  fruitsTomato: 'I am a fruit\n',
};

const wh: Whiteout = { readdir: ['carrots', 'tomato'], kind: 'whiteout 0/0', fruitsApple: 'I am an apple\n' };

const op: Opaque = { before: ['cucumber', 'lettuce'], after: ['dressing'], xattr: 'y', lower: ['lettuce', 'cucumber'], upperKind: 'dir' };

const TREE = ['app', 'app/config.txt', 'app/data', 'app/data/c.txt', 'bin', 'etc', 'etc/motd', 'etc/os-release', 'tmp'];
const img: Image = {
  applied: [
    { whiteouts: [], opaque: [], files: 6 },
    { whiteouts: ['tmp/cache.bin'], opaque: ['app/data'], files: 2 },
    { whiteouts: ['bin/hello'], opaque: [], files: 1 },
  ],
  kinds: { 'layers/2/tmp/cache.bin': 'whiteout 0/0', 'layers/3/bin/hello': 'whiteout 0/0' },
  leftover: [],
  xattr: 'y',
  tree: TREE,
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
      'leftmost-wins': { ...uni, tomato: 'I am a vegetable\n' }, // the branches stacked the wrong way round
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
      'aufs-union': { skip: 'this kernel (6.8.0-49-generic) has no aufs in /proc/filesystems: AUFS never entered mainline, the overlayfs steps show the same mechanics' },
    },
  }),
  examples(copyUp, {
    pass: cu,
    fail: {
      'copied-up': [
        { ...cu, upper: undefined }, // no copy in upper
        { ...cu, upper: 'I am a carrot\n' }, // copied, but the write went elsewhere
        { ...cu, union: 'I am a carrot\n' }, // the union still shows the lower file
      ],
      'lower-untouched': { ...cu, vegAfter: 'mnt_carrots\n' },
      'copies-visible-version': [
        { ...cu, upperTomato: 'I am a vegetable\nmnt_tomato\n' }, // the hidden version was copied
        { ...cu, upperTomato: 'mnt_tomato\n' }, // an empty file was made instead of a copy
        { ...cu, fruitsTomato: 'I am a fruit\nmnt_tomato\n' }, // the append reached the lower file
      ],
    },
  }),
  examples(whiteout, {
    pass: wh,
    fail: {
      'whiteout-device': [{ ...wh, kind: 'missing' }, { ...wh, kind: 'file' }, { ...wh, kind: 'char 1/3' }],
      'apple-gone': { ...wh, readdir: ['apple', 'carrots', 'tomato'] },
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
  examples(image, {
    pass: img,
    fail: {
      'whiteouts-translated': [
        { ...img, kinds: { 'layers/2/tmp/cache.bin': 'missing', 'layers/3/bin/hello': 'whiteout 0/0' } }, // mknod never ran
        { ...img, leftover: ['2/tmp/.wh.cache.bin'] }, // the `.wh.` file stayed beside the device
        { ...img, kinds: {} }, // tar listed no whiteouts at all
      ],
      'whiteouts-hide': [
        { ...img, tree: [...TREE, 'tmp/cache.bin'].sort() },
        { ...img, tree: [...TREE, 'bin/hello'].sort() },
        { ...img, tree: TREE.filter((p) => p !== 'tmp') }, // the whole directory went, not the file
      ],
      'opaque-hides': [
        { ...img, xattr: undefined, data: ['a.txt', 'b.txt', 'c.txt'] }, // `.wh..wh..opq` not translated
        { ...img, data: ['a.txt', 'c.txt'] },
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
