// 11-aufs, image layers: three tar files whose `.wh.` entries say what an upper layer deleted
// or replaced, packed, listed and unpacked with GNU tar, translated for overlayfs and stacked.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getxattr } from '../../addon/index.js';
import { attempt, must, step } from '../../runner/kit/index.js';
import { IMAGE_LAYERS, OPAQUE_XATTR, WHITEOUT_PREFIX, applyLayer, packLayer, type Applied } from './layers.js';
import { both, holderOf, kindOf, overlayData, sameList, show, sorted, statThrough, walk } from './union.js';

/** The three branches after unpacking, and the image their union shows. */
export interface Image {
  /** What unpacking each layer translated, bottom first (from the tar files' `.wh.` entries). */
  readonly applied: readonly Applied[];
  /** Every path of the image as the kernel shows it through the mount. */
  readonly tree: readonly string[];
  /** lstat through the mount of each path an upper layer whited out: 'ENOENT', or what is there. */
  readonly whitedOut: Readonly<Record<string, string>>;
  /** The whited-out paths that the base layer still has (read in the branch). */
  readonly inBase: readonly string[];
  /** app/data in the image and in the base layer. */
  readonly data: readonly string[];
  readonly baseData: readonly string[];
  readonly config: string;
}

export const image = step<Image>({
  id: 'image-layers',
  title: { en: 'Image layers: tar files with .wh. entries, stacked', zh: '镜像分层：带 .wh. 条目的 tar 包叠在一起' },
  explain: {
    en: 'AUFS’s whiteout names outlived AUFS: image layer tarballs (Docker, OCI) still say `.wh.<name>` for a deleted file and `.wh..wh..opq` for an opaque directory. We build three layers as tar files, unpack each into its own branch translating those entries into overlayfs whiteouts and opaque xattrs, and stack the branches read-only: that is an image. Whether the translation is right is judged by what the kernel shows through the mount, not by the files we made.',
    zh: 'AUFS 的 whiteout 命名比 AUFS 本身活得更久：镜像层 tar 包（Docker、OCI）至今用 `.wh.<name>` 表示删除的文件，用 `.wh..wh..opq` 表示不透明目录。我们把三个层做成 tar 文件，逐个解到各自的分支目录，并把这些条目翻译成 overlayfs 的 whiteout 文件和 opaque xattr，再把分支只读地叠起来：这就是一个镜像。翻译得对不对，看内核经挂载点显示的结果，而不是看我们自己做出的文件。',
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
    // What nslab made in the branches (read back, so only logged): the devices and the xattr.
    const made = [
      ...applied.flatMap((a, i) => a.whiteouts.map((w) => `layers/${i + 1}/${w}: ${kindOf(join(img, 'layers', String(i + 1), w))}`)),
      `layers/2/app/data ${OPAQUE_XATTR} = ${show(getxattr(join(img, 'layers/2/app/data'), OPAQUE_XATTR)?.toString())}`,
    ].join('; ');
    const leftover = walk(join(img, 'layers')).filter((p) => p.split('/').pop()!.startsWith(WHITEOUT_PREFIX));
    ctx.log({
      en: `made in the branches: ${made}; .wh. names left: ${leftover.length}`,
      zh: `在各分支里做出的：${made}；剩下的 .wh. 名字：${leftover.length} 个`,
    });
    const h = await holderOf(ctx);
    const lower = IMAGE_LAYERS.map((_, i) => `layers/${i + 1}`).reverse();
    await h.mount(img, 'image', 'overlay', overlayData(lower));
    await h.sh(ctx, img, 'find ./image | sort; cat ./image/app/config.txt');
    const view = h.inside(join(img, 'image'));
    const gone = applied.flatMap((a) => a.whiteouts);
    const whitedOut: Record<string, string> = {};
    for (const w of gone) whitedOut[w] = statThrough(join(view, w));
    return {
      applied,
      tree: walk(view),
      whitedOut,
      inBase: gone.filter((w) => kindOf(join(img, 'layers/1', w)) === 'file'),
      data: readdirSync(join(view, 'app/data')),
      baseData: readdirSync(join(img, 'layers/1/app/data')),
      config: readFileSync(join(view, 'app/config.txt'), 'utf8'),
    };
  },
  checks: [
    {
      id: 'whiteouts-translated',
      description: {
        en: 'Through the mounted image no `.wh.` name shows: the kernel honours every whiteout the tar files carried (two of them).',
        zh: '经挂载点看镜像，不出现任何 `.wh.` 名字：tar 包里的每个 whiteout（共两个）都被内核当作 whiteout 文件处理。',
      },
      evaluate: (o) => {
        const left = o.tree.filter((p) => p.split('/').pop()!.startsWith(WHITEOUT_PREFIX));
        const n = o.applied.reduce((a, x) => a + x.whiteouts.length, 0);
        return {
          observed: both((l) =>
            l === 'en'
              ? `whiteouts in the tar files: ${n}; .wh. names in the image: ${left.length ? left.join(' ') : 'none'}`
              : `tar 包里的 whiteout：${n} 个；镜像里的 .wh. 名字：${left.length ? left.join(' ') : '无'}`,
          ),
          expected: both((l) => (l === 'en' ? 'whiteouts in the tar files: 2; .wh. names in the image: none' : 'tar 包里的 whiteout：2 个；镜像里的 .wh. 名字：无')),
          pass: n === 2 && left.length === 0,
        };
      },
    },
    {
      id: 'whiteouts-hide',
      description: {
        en: 'Files whited out by upper layers (tmp/cache.bin, bin/hello) are gone from the image (lstat through the mount: ENOENT), though the base layer still has them.',
        zh: '被上层 whiteout 的文件（tmp/cache.bin、bin/hello）从镜像中消失（经挂载点 lstat：ENOENT），尽管最底层仍有它们。',
      },
      evaluate: (o) => {
        const w = Object.entries(o.whitedOut);
        const t = o.tree;
        return {
          observed: both((l) =>
            l === 'en'
              ? `${w.map(([p, r]) => `${p}: ${r}`).join('; ')}; in the base layer: ${o.inBase.join(' ') || 'none'}`
              : `${w.map(([p, r]) => `${p}：${r}`).join('；')}；最底层里有：${o.inBase.join(' ') || '无'}`,
          ),
          expected: both((l) =>
            l === 'en'
              ? 'tmp/cache.bin: ENOENT; bin/hello: ENOENT; in the base layer: both'
              : 'tmp/cache.bin：ENOENT；bin/hello：ENOENT；最底层里两个都有',
          ),
          pass:
            w.length === 2 &&
            w.every(([, r]) => r === 'ENOENT') &&
            o.inBase.length === 2 &&
            t.includes('tmp') &&
            t.includes('bin') &&
            !t.includes('tmp/cache.bin') &&
            !t.includes('bin/hello'),
        };
      },
    },
    {
      id: 'opaque-hides',
      description: {
        en: 'The opaque app/data of layer 2 hides the base layer’s a.txt and b.txt: the image shows only c.txt, and no `.wh..wh..opq`.',
        zh: '第 2 层的不透明目录 app/data 挡住了最底层的 a.txt 和 b.txt：镜像里只显示 c.txt，也没有 `.wh..wh..opq`。',
      },
      evaluate: (o) => ({
        observed: both((l) =>
          l === 'en'
            ? `image app/data: ${sorted(o.data).join(' ')}; base app/data: ${sorted(o.baseData).join(' ')}`
            : `镜像的 app/data：${sorted(o.data).join(' ')}；最底层的 app/data：${sorted(o.baseData).join(' ')}`,
        ),
        expected: both((l) => (l === 'en' ? 'image app/data: c.txt; base app/data: a.txt b.txt' : '镜像的 app/data：c.txt；最底层的 app/data：a.txt b.txt')),
        pass: sameList(o.data, ['c.txt']) && sameList(o.baseData, ['a.txt', 'b.txt']),
      }),
    },
    {
      id: 'upper-layer-wins',
      description: {
        en: 'A file changed by a later layer shows its newest version, and files from every layer are merged.',
        zh: '被后面的层改过的文件显示最新版本，各层的文件合并在一起。',
      },
      evaluate: (o) => {
        const t = o.tree;
        return {
          observed: both((l) => {
            const etc = t.filter((p) => p.startsWith('etc/')).join(' ');
            return l === 'en' ? `app/config.txt: ${show(o.config)}; etc: ${etc}` : `app/config.txt 的内容：${show(o.config)}；etc 里有：${etc}`;
          }),
          expected: { en: 'app/config.txt: "version=2\\n"; etc: etc/motd etc/os-release', zh: 'app/config.txt 的内容："version=2\\n"；etc 里有：etc/motd etc/os-release' },
          pass: o.config === 'version=2\n' && t.includes('etc/motd') && t.includes('etc/os-release'),
        };
      },
    },
  ],
});
