// 11-aufs, image layers: three tar files whose `.wh.` entries say what an upper layer deleted
// or replaced, packed, listed and unpacked with GNU tar, translated for overlayfs and stacked.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getxattr } from '../../addon/index.js';
import { attempt, must, step } from '../../runner/kit/index.js';
import { IMAGE_LAYERS, OPAQUE_XATTR, WHITEOUT_PREFIX, applyLayer, packLayer, type Applied } from './layers.js';
import { holderOf, kindOf, overlayData, sameList, show, sorted, walk } from './union.js';

/** The three branches after unpacking, and the image their union shows. */
export interface Image {
  /** What unpacking each layer translated, bottom first. */
  readonly applied: readonly Applied[];
  /** What each translated whiteout is in its branch ('whiteout 0/0', 'file', 'missing'…), by branch path. */
  readonly kinds: Readonly<Record<string, string>>;
  /** Paths in any branch whose name still starts with `.wh.`. */
  readonly leftover: readonly string[];
  /** trusted.overlay.opaque of layers/2/app/data. */
  readonly xattr: string | undefined;
  /** Every path of the image (the union), and app/data in it and in the base layer. */
  readonly tree: readonly string[];
  readonly data: readonly string[];
  readonly baseData: readonly string[];
  readonly config: string;
}

export const image = step<Image>({
  id: 'image-layers',
  title: { en: 'Image layers: tar files with .wh. entries, stacked', zh: '镜像分层:带 .wh. 条目的 tar 包叠在一起' },
  explain: {
    en: 'AUFS’s whiteout names outlived AUFS: image layer tarballs (Docker, OCI) still say `.wh.<name>` for a deleted file and `.wh..wh..opq` for an opaque directory. We build three layers as tar files, unpack each into its own branch translating those entries into overlayfs whiteouts and opaque xattrs, and stack the branches read-only: that is an image.',
    zh: 'AUFS 的 whiteout 命名比 AUFS 本身活得更久:镜像层 tar 包(Docker、OCI)至今用 `.wh.<name>` 表示删除的文件,用 `.wh..wh..opq` 表示不透明目录。我们把三个层做成 tar 文件,逐个解到各自的分支目录,并把这些条目翻译成 overlayfs 的 whiteout 和 opaque xattr,再把分支只读地叠起来:这就是一个镜像。',
  },
  article: '/var/lib/docker/aufs/diff/<id>=ro+wh',
  modern: 'mount -t overlay overlay -o lowerdir=layers/3:layers/2:layers/1 ./image   # /var/lib/docker/overlay2/<id>/diff',
  async run(ctx) {
    const img = join(ctx.scratch(), 'img');
    for (const d of ['', 'build', 'tars', 'image', 'layers']) mkdirSync(join(img, d));
    const applied: Applied[] = [];
    for (const i of IMAGE_LAYERS.keys()) {
      const tarFile = await packLayer(ctx, img, i);
      if (i > 0) await must(ctx, ['tar', '-tvf', tarFile], { cwd: img });
      applied.push(await applyLayer(ctx, img, tarFile, `layers/${i + 1}`));
    }
    const look = 'ls -l layers/2/tmp layers/3/bin';
    await attempt(ctx, ['sh', '-c', look], { command: look, cwd: img });
    const h = await holderOf(ctx);
    const lower = IMAGE_LAYERS.map((_, i) => `layers/${i + 1}`).reverse();
    await h.mount(img, 'image', 'overlay', overlayData(lower));
    await h.sh(ctx, img, 'find ./image | sort; cat ./image/app/config.txt');
    const view = h.inside(join(img, 'image'));
    const kinds: Record<string, string> = {};
    for (const [i, a] of applied.entries())
      for (const w of a.whiteouts) kinds[`layers/${i + 1}/${w}`] = kindOf(join(img, 'layers', String(i + 1), w));
    return {
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
      evaluate: (o) => {
        const k = Object.entries(o.kinds);
        return {
          observed: `${k.map(([p, kind]) => `${p}: ${kind}`).join('; ')}; .wh. names left: ${o.leftover.length}`,
          expected: 'layers/2/tmp/cache.bin and layers/3/bin/hello: whiteout 0/0; none left',
          pass: k.length === 2 && k.every(([, kind]) => kind === 'whiteout 0/0') && o.leftover.length === 0,
        };
      },
    },
    {
      id: 'whiteouts-hide',
      description: 'Files whited out by upper layers (tmp/cache.bin, bin/hello) are gone from the image.',
      evaluate: (o) => {
        const t = o.tree;
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
      evaluate: (o) => ({
        observed: `xattr ${show(o.xattr)}; image app/data: ${sorted(o.data).join(' ')}; base app/data: ${sorted(o.baseData).join(' ')}`,
        expected: 'xattr "y"; image app/data: c.txt; base app/data: a.txt b.txt',
        pass: o.xattr === 'y' && sameList(o.data, ['c.txt']) && sameList(o.baseData, ['a.txt', 'b.txt']),
      }),
    },
    {
      id: 'upper-layer-wins',
      description: 'A file changed by a later layer shows its newest version, and files from every layer are merged.',
      evaluate: (o) => {
        const t = o.tree;
        return {
          observed: `app/config.txt: ${show(o.config)}; etc: ${t.filter((p) => p.startsWith('etc/')).join(' ')}`,
          expected: '"version=2\\n"; etc/motd etc/os-release',
          pass: o.config === 'version=2\n' && t.includes('etc/motd') && t.includes('etc/os-release'),
        };
      },
    },
  ],
});

