// 11-aufs: union mounts. The article's fruits/vegetables experiment on overlayfs (and on AUFS
// where the kernel has it), copy-up, whiteouts, opaque directories, image layers and the cost
// of looking names up through many layers.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getxattr } from '../../addon/index.js';
import { which, mountsOf, type MountLine, basics, filesystem, namespaces, tool, interactive, type CheckOutcome, type Lab, type StepContext } from '../../runner/kit/index.js';
import { LAYER_COUNTS, buildLayers, chart, lowerFor, measureAll, type LayerFigures } from './bench.js';
import { IMAGE_LAYERS, OPAQUE_XATTR, WHITEOUT_PREFIX, applyLayer, type Applied } from './layers.js';
import { writeTar } from './tar.js';
import { Holder, hostSh, kindOf, overlayData, plant } from './union.js';

const FRUIT_TOMATO = 'I am a fruit\n';
const VEG_TOMATO = 'I am a vegetable\n';
const GARDEN: Readonly<Record<string, string>> = {
  'fruits/apple': 'I am an apple\n',
  'fruits/tomato': FRUIT_TOMATO,
  'vegetables/carrots': 'I am a carrot\n',
  'vegetables/tomato': VEG_TOMATO,
  'upper/': '',
  'work/': '',
  'mnt/': '',
};
/** The overlay equivalent of the article's `dirs=./fruits:./vegetables`: fruits is on top. */
const GARDEN_OPTIONS = overlayData(['./fruits', './vegetables'], { upper: './upper', work: './work' });
const GARDEN_MOUNT = `mount -t overlay overlay -o ${GARDEN_OPTIONS} ./mnt`;

/** Tolerances of the performance checks. */
const LOOKUP_FACTOR = 2;
const READ_TOLERANCE = 0.7;

interface State {
  holder?: Holder;
  union?: { ls: string[]; readdir: string[]; tomato: string; nsMounts: MountLine[]; hostMounts: MountLine[] };
  aufs?: { skip: string } | { ls: string[]; fruitsCarrots: string | undefined; whTomato: boolean; vegCarrots: string };
  copyUp?: {
    union: string;
    upper: string | undefined;
    vegBefore: string;
    vegAfter: string;
    upperTomato: string | undefined;
    fruitsTomato: string;
  };
  whiteout?: { readdir: string[]; kind: string; fruitsApple: string | undefined };
  opaque?: { before: string[]; after: string[]; xattr: string | undefined; lower: string[]; upperKind: string };
  image?: {
    applied: Applied[];
    kinds: Record<string, string>;
    leftover: string[];
    xattr: string | undefined;
    tree: string[];
    data: string[];
    baseData: string[];
    config: string;
  };
  perf?: LayerFigures[];
}

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);
const readOr = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);
const show = (s: string | undefined) => (s === undefined ? '(missing)' : JSON.stringify(s));
const sorted = (xs: readonly string[]) => [...xs].sort();
const sameList = (a: readonly string[], b: readonly string[]) => sorted(a).join(',') === sorted(b).join(',');

/** Every path below `root`, relative to it, sorted (directories too). */
function walk(root: string, at = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(at)) {
    const p = join(at, name);
    out.push(relative(root, p));
    if (lstatSync(p).isDirectory()) out.push(...walk(root, p));
  }
  return out.sort();
}

function aufsInKernel(): boolean {
  return readFileSync('/proc/filesystems', 'utf8')
    .split('\n')
    .some((l) => l.trim().split(/\s+/).pop() === 'aufs');
}

async function holder(ctx: StepContext, s: State): Promise<Holder> {
  s.holder ??= await Holder.start(ctx);
  return s.holder;
}

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('the step made no observation');
  return v;
}

const ratio = (figs: readonly LayerFigures[], key: keyof LayerFigures) => {
  const first = figs.find((f) => f.layers === 1)!;
  const last = figs.find((f) => f.layers === Math.max(...LAYER_COUNTS))!;
  return { first: first[key] as number, last: last[key] as number, factor: (last[key] as number) / (first[key] as number) };
};

function lookupGrows(s: State, key: 'statMissingColdUs' | 'statLowestColdUs' | 'openLowestColdUs'): CheckOutcome {
  const figs = need(s.perf);
  const r = ratio(figs, key);
  return {
    observed: `${figs.map((f) => `${f.layers}: ${(f[key] as number).toFixed(2)} µs`).join(', ')} (128 vs 1: ${r.factor.toFixed(1)}×)`,
    expected: `128 layers at least ${LOOKUP_FACTOR}× slower than 1 layer`,
    pass: figs.length === LAYER_COUNTS.length && r.factor >= LOOKUP_FACTOR,
  };
}

export const lab: Lab<State> = {
  id: '11-aufs',
  title: { en: 'Union mounts: copy-up, whiteouts, opaque directories', zh: '联合挂载:写时复制、whiteout 与不透明目录' },
  card: {
    problem: {
      en: 'Many containers start from the same image; copying the whole file tree for each would cost time and disk. A union mount stacks read-only layers under one writable layer and shows them as one directory.',
      zh: '许多容器来自同一个镜像,为每个容器复制整棵文件树既费时又费盘。联合挂载把若干只读层叠在一个可写层下面,呈现为一个目录。',
    },
    tradeoff: {
      en: 'Sharing and instant start, paid for at lookup time (every layer may be searched) and at the first write of a lower file (the whole file is copied up).',
      zh: '换来共享与秒级启动,代价在查找时(可能要逐层搜索)以及第一次写下层文件时(整个文件被复制上来)。',
    },
    usedBy: {
      en: "Docker and containerd's overlay2/overlayfs snapshotters, Podman, live CDs (Knoppix, Ubuntu's casper), OpenWrt's read-only root with a writable overlay.",
      zh: 'Docker 与 containerd 的 overlay2/overlayfs 存储驱动、Podman、Live CD(Knoppix、Ubuntu casper)、OpenWrt 的只读根加可写 overlay。',
    },
    parts: {
      en: 'Branches (lower layers, one upper layer), a work directory, whiteouts for deleted names, opaque markers for replaced directories, and copy-up.',
      zh: '分支(若干下层、一个上层)、work 目录、表示删除的 whiteout、表示目录被替换的 opaque 标记,以及 copy-up。',
    },
    kernel: {
      en: 'overlayfs (mainline since 3.18) is a stacking file system: its lookup walks the layers top-down until a name is found, a whiteout stops it or an opaque directory ends the search; open files are passed straight to the real file.',
      zh: 'overlayfs(3.18 起进入主线)是堆叠式文件系统:查找时自上而下逐层搜索,直到找到名字、遇到 whiteout 或碰到不透明目录为止;打开后的读写直接交给真实文件。',
    },
    alternatives: {
      en: 'AUFS (the article’s, never merged), UnionFS, btrfs and ZFS snapshots, device-mapper thin snapshots (lab 12), and plain copies (Docker’s vfs driver).',
      zh: 'AUFS(文章所用,从未进入主线)、UnionFS、btrfs 与 ZFS 快照、device-mapper 精简快照(实验 12),以及直接复制(Docker 的 vfs 驱动)。',
    },
  },
  requirements: [...basics, namespaces('mnt'), filesystem('overlay'), tool('mknod', 'coreutils')],
  init: () => ({}),
  steps: [
    {
      id: 'union',
      title: { en: 'fruits + vegetables: one directory from two', zh: '水果 + 蔬菜:两个目录合成一个' },
      explain: {
        en: 'AUFS never entered mainline Linux; overlayfs did, so we replay the article with it. `lowerdir=./fruits:./vegetables` stacks fruits above vegetables, as AUFS’s `dirs=./fruits:./vegetables` did; writes go to a separate upper directory (like the article’s later `./test=rw`). The union lives in a private mount namespace, so the host never sees it.',
        zh: 'AUFS 始终没能进入 Linux 主线,overlayfs 进入了,所以我们用它重演文章的实验。`lowerdir=./fruits:./vegetables` 把 fruits 叠在 vegetables 之上,与 AUFS 的 `dirs=./fruits:./vegetables` 一致;写入落到单独的 upper 目录(相当于文章后面的 `./test=rw`)。联合挂载位于私有的 mount namespace 里,宿主机看不到它。',
      },
      article: 'sudo mount -t aufs -o dirs=./fruits:./vegetables none ./mnt',
      modern: GARDEN_MOUNT,
      async run(ctx, s) {
        const u = join(ctx.scratch(), 'u');
        plant(u, GARDEN);
        await hostSh(ctx, u, 'find fruits vegetables -type f | sort');
        const h = await holder(ctx, s);
        await h.mount(u, 'mnt', 'overlay', GARDEN_OPTIONS);
        ctx.log(`mounted in the private mount namespace of process ${h.pid}: ${GARDEN_MOUNT}`);
        await h.sh(ctx, u, `grep ' ${u}/mnt ' /proc/self/mounts`);
        const ls = await h.sh(ctx, u, 'ls ./mnt');
        const cat = await h.sh(ctx, u, 'cat ./mnt/tomato');
        s.union = {
          ls: lines(ls.stdout),
          readdir: readdirSync(h.inside(join(u, 'mnt'))),
          tomato: cat.stdout,
          nsMounts: h.mountsAt(join(u, 'mnt')),
          hostMounts: mountsOf('self').filter((m) => m.target === join(u, 'mnt')),
        };
      },
      checks: [
        {
          id: 'union-lists',
          description: 'The union shows apple, carrots and tomato (ls and readdir agree).',
          evaluate: (s) => ({
            observed: `ls: ${s.union!.ls.join(' ')}; readdir: ${sorted(s.union!.readdir).join(' ')}`,
            expected: 'apple carrots tomato',
            pass: sameList(s.union!.ls, ['apple', 'carrots', 'tomato']) && sameList(s.union!.readdir, ['apple', 'carrots', 'tomato']),
          }),
        },
        {
          id: 'leftmost-wins',
          description: 'tomato is in both branches; the union shows the leftmost (fruits) one.',
          evaluate: (s) => ({ observed: show(s.union!.tomato), expected: show(FRUIT_TOMATO), pass: s.union!.tomato === FRUIT_TOMATO }),
        },
        {
          id: 'private-mount',
          description: "The union is in the lab's mount namespace only: the host's mount table does not have it.",
          evaluate: (s) => ({
            observed: `namespace: ${s.union!.nsMounts.length} overlay mount(s) on mnt; host: ${s.union!.hostMounts.length}`,
            expected: 'namespace: 1; host: 0',
            pass: s.union!.nsMounts.length === 1 && s.union!.nsMounts[0]!.fstype === 'overlay' && s.union!.hostMounts.length === 0,
          }),
        },
      ],
    },
    {
      id: 'aufs',
      title: { en: 'The article’s own mount -t aufs (where the kernel has AUFS)', zh: '文章原本的 mount -t aufs(内核有 AUFS 时)' },
      explain: {
        en: 'Some distributions (Ubuntu 14.04 in the article, Debian kernels until 5.x) carried AUFS as a patch. Where it is in /proc/filesystems we run the article’s command on copies of the two folders: the leftmost branch is writable, so writing carrots copies it into fruits, and deleting tomato leaves a `.wh.tomato` file there.',
        zh: '一些发行版(文章里的 Ubuntu 14.04、5.x 之前的 Debian 内核)以补丁形式带有 AUFS。若 /proc/filesystems 里有 aufs,我们在两个目录的副本上运行文章的命令:最左边的分支可写,写 carrots 会把它复制到 fruits,删除 tomato 会在那里留下 `.wh.tomato` 文件。',
      },
      article: 'sudo mount -t aufs -o dirs=./fruits:./vegetables none ./mnt',
      modern: 'grep -w aufs /proc/filesystems && mount -t aufs -o dirs=./fruits:./vegetables none ./mnt',
      async run(ctx, s) {
        if (!aufsInKernel()) {
          s.aufs = { skip: `this kernel (${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}) has no aufs in /proc/filesystems: AUFS never entered mainline, the overlayfs steps show the same mechanics` };
          ctx.log(s.aufs.skip);
          return;
        }
        const a = join(ctx.scratch(), 'a');
        plant(a, GARDEN);
        const h = await holder(ctx, s);
        await h.mount(a, 'mnt', 'aufs', 'dirs=./fruits:./vegetables', 'none');
        const ls = await h.sh(ctx, a, 'ls ./mnt');
        await h.sh(ctx, a, 'echo mnt_carrots > ./mnt/carrots && rm ./mnt/tomato && ls -a ./fruits');
        s.aufs = {
          ls: lines(ls.stdout),
          fruitsCarrots: readOr(join(a, 'fruits/carrots')),
          whTomato: existsSync(join(a, 'fruits/.wh.tomato')),
          vegCarrots: readFileSync(join(a, 'vegetables/carrots'), 'utf8'),
        };
      },
      checks: [
        {
          id: 'aufs-union',
          description: 'AUFS: the union shows apple, carrots, tomato; writing carrots copies it into fruits; deleting tomato leaves fruits/.wh.tomato.',
          evaluate: (s) => {
            const a = need(s.aufs);
            if ('skip' in a) return { observed: 'aufs not available', expected: 'aufs in /proc/filesystems', pass: false, skip: a.skip };
            return {
              observed: `ls: ${a.ls.join(' ')}; fruits/carrots: ${show(a.fruitsCarrots)}; vegetables/carrots: ${show(a.vegCarrots)}; .wh.tomato: ${a.whTomato ? 'present' : 'absent'}`,
              expected: `apple carrots tomato; "mnt_carrots\\n"; ${show(GARDEN['vegetables/carrots'])}; present`,
              pass:
                sameList(a.ls, ['apple', 'carrots', 'tomato']) &&
                a.fruitsCarrots === 'mnt_carrots\n' &&
                a.vegCarrots === GARDEN['vegetables/carrots'] &&
                a.whTomato,
            };
          },
        },
      ],
    },
    {
      id: 'copy-up',
      title: { en: 'Copy-up: writing a lower file copies it to the upper layer', zh: '写时复制:写下层文件时先把它复制到上层' },
      explain: {
        en: 'Lower layers are never written. The first write to carrots makes overlayfs copy the whole file into upper and change the copy; vegetables/carrots stays as it was. Appending to tomato shows that what is copied is the version the union showed: fruits’ one.',
        zh: '下层永远不会被写。第一次写 carrots 时,overlayfs 先把整个文件复制到 upper 再修改副本;vegetables/carrots 保持原样。向 tomato 追加内容则说明被复制的是联合目录里看到的那个版本:fruits 的。',
      },
      article: 'echo mnt_carrots > ./mnt/carrots; cat ./vegetables/carrots; cat ./fruits/carrots',
      modern: 'echo mnt_carrots > ./mnt/carrots; cat ./vegetables/carrots ./upper/carrots',
      async run(ctx, s) {
        const u = join(ctx.scratch(), 'u');
        const h = await holder(ctx, s);
        const vegBefore = readFileSync(join(u, 'vegetables/carrots'), 'utf8');
        await h.sh(ctx, u, 'echo mnt_carrots > ./mnt/carrots && cat ./mnt/carrots');
        await h.sh(ctx, u, 'echo mnt_tomato >> ./mnt/tomato && cat ./mnt/tomato');
        await hostSh(ctx, u, 'cat ./vegetables/carrots; ls -l ./upper; cat ./upper/carrots ./upper/tomato');
        s.copyUp = {
          union: readFileSync(h.inside(join(u, 'mnt/carrots')), 'utf8'),
          upper: readOr(join(u, 'upper/carrots')),
          vegBefore,
          vegAfter: readFileSync(join(u, 'vegetables/carrots'), 'utf8'),
          upperTomato: readOr(join(u, 'upper/tomato')),
          fruitsTomato: readFileSync(join(u, 'fruits/tomato'), 'utf8'),
        };
      },
      checks: [
        {
          id: 'copied-up',
          description: 'After the write, upper/carrots exists with the new content and the union shows it.',
          evaluate: (s) => ({
            observed: `upper/carrots: ${show(s.copyUp!.upper)}; union: ${show(s.copyUp!.union)}`,
            expected: 'both "mnt_carrots\\n"',
            pass: s.copyUp!.upper === 'mnt_carrots\n' && s.copyUp!.union === 'mnt_carrots\n',
          }),
        },
        {
          id: 'lower-untouched',
          description: 'vegetables/carrots (a lower layer) is unchanged.',
          evaluate: (s) => ({ observed: show(s.copyUp!.vegAfter), expected: show(s.copyUp!.vegBefore), pass: s.copyUp!.vegAfter === s.copyUp!.vegBefore }),
        },
        {
          id: 'copies-visible-version',
          description: 'Appending to tomato copied up the fruits version (the one the union showed); fruits/tomato is unchanged.',
          evaluate: (s) => ({
            observed: `upper/tomato: ${show(s.copyUp!.upperTomato)}; fruits/tomato: ${show(s.copyUp!.fruitsTomato)}`,
            expected: `${show(FRUIT_TOMATO + 'mnt_tomato\n')}; ${show(FRUIT_TOMATO)}`,
            pass: s.copyUp!.upperTomato === `${FRUIT_TOMATO}mnt_tomato\n` && s.copyUp!.fruitsTomato === FRUIT_TOMATO,
          }),
        },
      ],
    },
    {
      id: 'whiteout',
      title: { en: 'Whiteout: deleting a lower file', zh: 'Whiteout:删除下层的文件' },
      explain: {
        en: 'apple lives in a read-only layer, so it cannot really be deleted. The union records the deletion in upper instead: AUFS with a `.wh.apple` file, overlayfs with a character device numbered 0/0 named apple. Lookups stop at it, so apple disappears from the union while fruits/apple remains.',
        zh: 'apple 位于只读层,无法真正删除。联合文件系统改为在 upper 里记下"已删除":AUFS 用 `.wh.apple` 文件,overlayfs 用一个名为 apple、设备号 0/0 的字符设备。查找到它就停止,于是 apple 从联合目录消失,而 fruits/apple 仍在。',
      },
      article: 'touch ./test/.wh.apple   # same effect as rm ./mnt/apple',
      modern: 'rm ./mnt/apple; ls -l ./upper   # c--------- 0, 0 apple',
      async run(ctx, s) {
        const u = join(ctx.scratch(), 'u');
        const h = await holder(ctx, s);
        await h.sh(ctx, u, 'rm ./mnt/apple && ls ./mnt');
        await hostSh(ctx, u, 'ls -l ./upper; stat -c "%n: %F, device %t/%T" ./upper/apple; ls ./fruits');
        s.whiteout = {
          readdir: readdirSync(h.inside(join(u, 'mnt'))),
          kind: kindOf(join(u, 'upper/apple')),
          fruitsApple: readOr(join(u, 'fruits/apple')),
        };
      },
      checks: [
        {
          id: 'whiteout-device',
          description: 'upper/apple is a character device with device number 0/0 (the overlayfs whiteout).',
          evaluate: (s) => ({ observed: s.whiteout!.kind, expected: 'whiteout 0/0', pass: s.whiteout!.kind === 'whiteout 0/0' }),
        },
        {
          id: 'apple-gone',
          description: 'The union no longer lists apple.',
          evaluate: (s) => ({
            observed: sorted(s.whiteout!.readdir).join(' '),
            expected: 'carrots tomato',
            pass: sameList(s.whiteout!.readdir, ['carrots', 'tomato']),
          }),
        },
        {
          id: 'lower-keeps-apple',
          description: 'fruits/apple, in the lower layer, is still there.',
          evaluate: (s) => ({ observed: show(s.whiteout!.fruitsApple), expected: show(GARDEN['fruits/apple']), pass: s.whiteout!.fruitsApple === GARDEN['fruits/apple'] }),
        },
      ],
    },
    {
      id: 'opaque',
      title: { en: 'Opaque directory: remove a directory and make it again', zh: '不透明目录:删除目录后重建' },
      explain: {
        en: 'A new salad directory must not show the lettuce of the old one still sitting in the lower layer. overlayfs marks the upper directory opaque with the xattr trusted.overlay.opaque="y" (AUFS put a `.wh..wh..opq` file in it): lookups and readdir stop there and never reach the lower layers.',
        zh: '新建的 salad 目录不应显示仍留在下层的旧目录里的 lettuce。overlayfs 给 upper 中的目录加上 xattr trusted.overlay.opaque="y"(AUFS 则在其中放一个 `.wh..wh..opq` 文件):查找和 readdir 到此为止,不再进入下层。',
      },
      article: '.wh..wh..opq   # AUFS: "stop readdir from entering the lower branches"',
      modern: 'rm -r ./mnt/salad && mkdir ./mnt/salad; getfattr -n trusted.overlay.opaque ./upper/salad',
      async run(ctx, s) {
        const d = join(ctx.scratch(), 'd');
        plant(d, { 'lower/salad/lettuce': 'green\n', 'lower/salad/cucumber': 'long\n', 'upper/': '', 'work/': '', 'mnt/': '' });
        const h = await holder(ctx, s);
        await h.mount(d, 'mnt', 'overlay', overlayData(['./lower'], { upper: './upper', work: './work' }));
        const before = await h.sh(ctx, d, 'ls ./mnt/salad');
        await h.sh(ctx, d, 'rm -r ./mnt/salad && mkdir ./mnt/salad && echo oil > ./mnt/salad/dressing && ls ./mnt/salad');
        await hostSh(ctx, d, 'ls -la ./upper/salad; ls ./lower/salad');
        const xattr = getxattr(join(d, 'upper/salad'), OPAQUE_XATTR)?.toString();
        ctx.log(`getxattr("./upper/salad", "${OPAQUE_XATTR}") = ${show(xattr)}`);
        s.opaque = {
          before: lines(before.stdout),
          after: readdirSync(h.inside(join(d, 'mnt/salad'))),
          xattr,
          lower: readdirSync(join(d, 'lower/salad')),
          upperKind: kindOf(join(d, 'upper/salad')),
        };
        ctx.log(`ls before: ${s.opaque.before.join(' ')}; readdir after: ${s.opaque.after.join(' ')}`);
      },
      checks: [
        {
          id: 'opaque-xattr',
          description: `The recreated upper/salad is a directory with ${OPAQUE_XATTR} = "y".`,
          evaluate: (s) => ({
            observed: `${s.opaque!.upperKind}, ${OPAQUE_XATTR} = ${show(s.opaque!.xattr)}`,
            expected: 'dir, "y"',
            pass: s.opaque!.upperKind === 'dir' && s.opaque!.xattr === 'y',
          }),
        },
        {
          id: 'lower-hidden',
          description: 'The union shows only the new content of salad, while the lower layer still has lettuce and cucumber.',
          evaluate: (s) => ({
            observed: `before: ${s.opaque!.before.join(' ')}; after: ${s.opaque!.after.join(' ')}; lower: ${sorted(s.opaque!.lower).join(' ')}`,
            expected: 'before: cucumber lettuce; after: dressing; lower: cucumber lettuce',
            pass:
              sameList(s.opaque!.before, ['cucumber', 'lettuce']) &&
              sameList(s.opaque!.after, ['dressing']) &&
              sameList(s.opaque!.lower, ['cucumber', 'lettuce']),
          }),
        },
      ],
    },
    {
      id: 'image-layers',
      title: { en: 'Image layers: tar files with .wh. entries, stacked', zh: '镜像分层:带 .wh. 条目的 tar 包叠在一起' },
      explain: {
        en: 'AUFS’s whiteout names outlived AUFS: image layer tarballs (Docker, OCI) still say `.wh.<name>` for a deleted file and `.wh..wh..opq` for an opaque directory. We build three layers as tar files, unpack each into its own branch translating those entries into overlayfs whiteouts and opaque xattrs, and stack the branches read-only: that is an image.',
        zh: 'AUFS 的 whiteout 命名比 AUFS 本身活得更久:镜像层 tar 包(Docker、OCI)至今用 `.wh.<name>` 表示删除的文件,用 `.wh..wh..opq` 表示不透明目录。我们把三个层做成 tar 文件,逐个解到各自的分支目录,并把这些条目翻译成 overlayfs 的 whiteout 和 opaque xattr,再把分支只读地叠起来:这就是一个镜像。',
      },
      article: '/var/lib/docker/aufs/diff/<id>=ro+wh',
      modern: 'mount -t overlay overlay -o lowerdir=layers/3:layers/2:layers/1 ./image   # /var/lib/docker/overlay2/<id>/diff',
      async run(ctx, s) {
        const img = join(ctx.scratch(), 'img');
        for (const d of ['', 'tars', 'image', 'layers']) mkdirSync(join(img, d));
        const applied: Applied[] = [];
        for (const [i, layer] of IMAGE_LAYERS.entries()) {
          const tarFile = `tars/${i + 1}-${layer.name}.tar`;
          writeFileSync(join(img, tarFile), writeTar(layer.entries));
          if (i > 0 && which('tar')) await hostSh(ctx, img, `tar -tvf ${tarFile}`);
          applied.push(await applyLayer(ctx, readFileSync(join(img, tarFile)), join(img, 'layers', String(i + 1))));
        }
        await hostSh(ctx, img, 'ls -l layers/2/tmp layers/3/bin');
        const h = await holder(ctx, s);
        const lower = IMAGE_LAYERS.map((_, i) => `layers/${i + 1}`).reverse();
        await h.mount(img, 'image', 'overlay', overlayData(lower));
        await h.sh(ctx, img, 'find ./image | sort; cat ./image/app/config.txt');
        const view = h.inside(join(img, 'image'));
        const kinds: Record<string, string> = {};
        for (const [i, a] of applied.entries())
          for (const w of a.whiteouts) kinds[`layers/${i + 1}/${w}`] = kindOf(join(img, 'layers', String(i + 1), w));
        s.image = {
          applied,
          kinds,
          leftover: walk(join(img, 'layers')).filter((p) => p.split('/').pop()!.startsWith(WHITEOUT_PREFIX)),
          xattr: getxattr(join(img, 'layers/2/app/data'), OPAQUE_XATTR)?.toString(),
          tree: walk(view),
          data: readdirSync(join(view, 'app/data')),
          baseData: readdirSync(join(img, 'layers/1/app/data')),
          config: readFileSync(join(view, 'app/config.txt'), 'utf8'),
        };
      },
      checks: [
        {
          id: 'whiteouts-translated',
          description: 'Every `.wh.NAME` entry became a 0/0 character device NAME in its branch, and no `.wh.` name is left in any branch.',
          evaluate: (s) => {
            const k = Object.entries(s.image!.kinds);
            return {
              observed: `${k.map(([p, kind]) => `${p}: ${kind}`).join('; ')}; .wh. names left: ${s.image!.leftover.length}`,
              expected: 'layers/2/tmp/cache.bin and layers/3/bin/hello: whiteout 0/0; none left',
              pass: k.length === 2 && k.every(([, kind]) => kind === 'whiteout 0/0') && s.image!.leftover.length === 0,
            };
          },
        },
        {
          id: 'whiteouts-hide',
          description: 'Files whited out by upper layers (tmp/cache.bin, bin/hello) are gone from the image.',
          evaluate: (s) => {
            const t = s.image!.tree;
            return {
              observed: `image has tmp/cache.bin: ${t.includes('tmp/cache.bin')}, bin/hello: ${t.includes('bin/hello')}`,
              expected: 'false, false',
              pass: t.includes('tmp') && t.includes('bin') && !t.includes('tmp/cache.bin') && !t.includes('bin/hello'),
            };
          },
        },
        {
          id: 'opaque-hides',
          description: 'The opaque app/data of layer 2 (xattr "y") hides the base layer’s a.txt and b.txt.',
          evaluate: (s) => ({
            observed: `xattr ${show(s.image!.xattr)}; image app/data: ${sorted(s.image!.data).join(' ')}; base app/data: ${sorted(s.image!.baseData).join(' ')}`,
            expected: 'xattr "y"; image app/data: c.txt; base app/data: a.txt b.txt',
            pass: s.image!.xattr === 'y' && sameList(s.image!.data, ['c.txt']) && sameList(s.image!.baseData, ['a.txt', 'b.txt']),
          }),
        },
        {
          id: 'upper-layer-wins',
          description: 'A file changed by a later layer shows its newest version, and files from every layer are merged.',
          evaluate: (s) => {
            const t = s.image!.tree;
            return {
              observed: `app/config.txt: ${show(s.image!.config)}; etc: ${t.filter((p) => p.startsWith('etc/')).join(' ')}`,
              expected: '"version=2\\n"; etc/motd etc/os-release',
              pass: s.image!.config === 'version=2\n' && t.includes('etc/motd') && t.includes('etc/os-release'),
            };
          },
        },
      ],
    },
    {
      id: 'lookup-cost',
      title: { en: 'Performance: lookups pay for layers, reads do not', zh: '性能:查找随层数变慢,读取不受影响' },
      explain: {
        en: 'The article: finding a file searches the branches one by one, so open and stat slow down as branches are added, while reads of an open file run at full speed. We time stat and open of a file in the lowest layer and of a missing name through 1, 8, 32 and 128 layers (each name looked up for the first time after a fresh mount, since overlayfs caches the merged result in the dentry cache), and read a 64 MiB file through one fd.',
        zh: '文章说:查找文件要逐个分支搜索,所以分支越多,open 和 stat 越慢;而打开之后的读写速度不变。我们分别在 1、8、32、128 层下,测量对最底层文件和不存在名字的 stat、open(每个名字在新挂载后首次查找,因为 overlayfs 会把合并结果缓存在 dentry cache 里),并通过一个 fd 读取 64 MiB 文件。',
      },
      article: '所以,如果你的程序跑在在AUFS下,open和stat操作会有明显的性能下降,branch越多,性能越差,但是在write/read操作上,性能没有什么变化。',
      modern: 'mount -t overlay overlay -o lowerdir=l/127:…:l/1:l/0,upperdir=up,workdir=wk mnt; stat mnt/s1; stat mnt/m1; read mnt/big',
      async run(ctx, s) {
        const b = join(ctx.scratch(), 'b');
        const h = await holder(ctx, s);
        try {
          buildLayers(b);
          const longest = overlayData(lowerFor(Math.max(...LAYER_COUNTS)), { upper: 'up', work: 'wk' });
          ctx.log(`128 layers as relative names from ${b}: a ${longest.length}-byte option string (the limit is one page, 4096 bytes)`);
          s.perf = await measureAll(ctx, h, b);
          if (ctx.signal.aborted) return;
          const rows = (key: keyof LayerFigures) => s.perf!.map((f) => ({ label: `${f.layers} layer${f.layers > 1 ? 's' : ''}`, value: f[key] as number }));
          for (const l of [
            ...chart('stat() of a missing name, first lookup (µs)', 'µs', rows('statMissingColdUs')),
            ...chart('stat() of a file in the lowest layer, first lookup (µs)', 'µs', rows('statLowestColdUs')),
            ...chart('open()+close() of a file in the lowest layer, first lookup (µs)', 'µs', rows('openLowestColdUs')),
            ...chart('stat() of the same name again, cached (µs)', 'µs', rows('statLowestWarmUs')),
            ...chart('read() through one open fd, 64 MiB, page cache warm (MiB/s)', 'MiB/s', rows('readMiBps')),
          ])
            ctx.log(l);
          ctx.measure('layers', s.perf);
          for (const key of ['statMissingColdUs', 'statLowestColdUs', 'openLowestColdUs', 'statLowestWarmUs', 'readMiBps'] as const)
            ctx.measure(`${key}Ratio128to1`, Number(ratio(s.perf, key).factor.toFixed(2)));
        } finally {
          s.holder = undefined;
          await h.stop();
        }
      },
      checks: [
        {
          id: 'missing-lookup-grows',
          description: `stat() of a missing name costs more with more layers (tolerance: 128 layers at least ${LOOKUP_FACTOR}× 1 layer).`,
          evaluate: (s) => lookupGrows(s, 'statMissingColdUs'),
        },
        {
          id: 'lowest-lookup-grows',
          description: `stat() of a file in the lowest layer costs more with more layers (tolerance: 128 layers at least ${LOOKUP_FACTOR}× 1 layer).`,
          evaluate: (s) => lookupGrows(s, 'statLowestColdUs'),
        },
        {
          id: 'open-grows',
          description: `open() of a file in the lowest layer costs more with more layers (tolerance: 128 layers at least ${LOOKUP_FACTOR}× 1 layer).`,
          evaluate: (s) => lookupGrows(s, 'openLowestColdUs'),
        },
        {
          id: 'read-unchanged',
          description: `Read throughput after open does not fall with layers (tolerance: every layer count at least ${READ_TOLERANCE * 100} % of 1 layer).`,
          evaluate: (s) => {
            const figs = need(s.perf);
            const base = figs.find((f) => f.layers === 1)!.readMiBps;
            return {
              observed: figs.map((f) => `${f.layers}: ${f.readMiBps.toFixed(0)} MiB/s (${((f.readMiBps / base) * 100).toFixed(0)} %)`).join(', '),
              expected: `each ≥ ${READ_TOLERANCE * 100} % of ${base.toFixed(0)} MiB/s`,
              pass: figs.length === LAYER_COUNTS.length && base > 0 && figs.every((f) => f.readMiBps >= READ_TOLERANCE * base),
            };
          },
        },
        {
          id: 'lookups-answered',
          description: 'Every timed lookup gave the right answer (lowest-layer files found, missing names missing), so the timings are of real lookups.',
          evaluate: (s) => {
            const bad = need(s.perf).reduce((a, f) => a + f.anomalies, 0);
            return { observed: `${bad} wrong answers`, expected: '0 wrong answers', pass: s.perf!.length === LAYER_COUNTS.length && bad === 0 };
          },
        },
      ],
    },
  ],
  shell: {
    open: (ctx) => {
      const u = join(ctx.scratch(), 'u');
      plant(u, GARDEN);
      return interactive(ctx, {
        labId: '11-aufs',
        namespaces: ['mnt'],
        actions: [
          { do: 'makePrivate' },
          { do: 'chdir', path: u },
          { do: 'mount', source: 'overlay', target: 'mnt', fstype: 'overlay', data: GARDEN_OPTIONS },
        ],
      });
    },
  },
};
