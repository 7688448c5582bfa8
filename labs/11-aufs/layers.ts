// Image layers as tar files with AUFS-style whiteouts, applied onto overlayfs branches.
// An image layer names a deleted file `.wh.<name>` and an opaque directory `.wh..wh..opq`
// (the OCI image spec kept AUFS's spelling); overlayfs wants a 0/0 character device and the
// trusted.overlay.opaque xattr instead, so whoever unpacks a layer translates (containerd's
// and Docker's overlay snapshotters do exactly this). The tar files are made, listed and
// unpacked by GNU tar, the program `docker save` layers are read with.
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setxattr } from '../../addon/index.js';
import { must, sh, type StepContext } from '../../runner/kit/index.js';
import { plant, walk } from './union.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

/** One layer: its files as a build step left them ({ 'a/b': 'text' }, a trailing '/' is a directory). */
export interface Layer {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
}

/** Three layers of a small image, bottom first. */
export const IMAGE_LAYERS: readonly Layer[] = [
  {
    name: 'base',
    files: {
      'etc/os-release': 'NAME="nslab base"\n',
      'bin/hello': '#!/bin/sh\necho hello\n',
      'app/config.txt': 'version=1\n',
      'app/data/a.txt': 'a\n',
      'app/data/b.txt': 'b\n',
      'tmp/cache.bin': 'stale cache\n',
    },
  },
  {
    name: 'update',
    files: {
      'app/config.txt': 'version=2\n',
      [`app/data/${OPAQUE_MARKER}`]: '',
      'app/data/c.txt': 'c\n',
      [`tmp/${WHITEOUT_PREFIX}cache.bin`]: '',
    },
  },
  {
    name: 'app',
    files: { 'etc/motd': 'welcome\n', [`bin/${WHITEOUT_PREFIX}hello`]: '' },
  },
];

/** The top-level names of a layer, which tar is asked to pack (so members have no `./` prefix, as in a docker layer). */
const tops = (layer: Layer) => [...new Set(Object.keys(layer.files).map((p) => p.split('/')[0]!))].sort();

/**
 * Write layer `i` as a tar file under `img`: plant its files in build/<n>-<name>, then let GNU
 * tar pack them, owned by root and dated 1970 (reproducible, like `docker build` with
 * SOURCE_DATE_EPOCH). Returns the tar file's path relative to `img`.
 */
export async function packLayer(ctx: StepContext, img: string, i: number): Promise<string> {
  const layer = IMAGE_LAYERS[i]!;
  const src = `build/${i + 1}-${layer.name}`;
  const tarFile = `tars/${i + 1}-${layer.name}.tar`;
  plant(join(img, src), layer.files);
  await must(ctx, ['tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', tarFile, '-C', src, ...tops(layer)], { cwd: img });
  return tarFile;
}

export interface Applied {
  readonly whiteouts: string[];
  readonly opaque: string[];
  readonly files: number;
}

/**
 * Unpack one layer's tar file (relative to `img`) into its own new branch directory with GNU
 * tar, then translate AUFS whiteouts to overlayfs ones: `.wh.NAME` becomes a 0/0 character
 * device NAME (made with mknod(1)), `.wh..wh..opq` becomes the trusted.overlay.opaque="y" xattr
 * on its directory.
 */
export async function applyLayer(ctx: StepContext, img: string, tarFile: string, branch: string): Promise<Applied> {
  const dir = join(img, branch);
  mkdirSync(dir); // its parent must exist: a cleaned-up scratch directory is never re-created
  await must(ctx, ['tar', '-xf', tarFile, '-C', branch], { cwd: img });
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  let files = 0;
  for (const rel of walk(dir)) {
    const base = basename(rel);
    if (base === OPAQUE_MARKER) opaque.push(dirname(rel));
    else if (base.startsWith(WHITEOUT_PREFIX)) whiteouts.push(join(dirname(rel), base.slice(WHITEOUT_PREFIX.length)));
    else if (lstatSync(join(dir, rel)).isFile()) files++;
  }
  if (whiteouts.length > 0) {
    const script = whiteouts.map((w) => `rm ${join(dirname(w), WHITEOUT_PREFIX + basename(w))} && mknod ${w} c 0 0`).join(' && ');
    await sh(ctx, script, { cwd: dir });
  }
  for (const d of opaque) {
    unlinkSync(join(dir, d, OPAQUE_MARKER));
    setxattr(join(dir, d), OPAQUE_XATTR, 'y');
    ctx.log({
      en: `layer ${basename(branch)}: ${d}/${OPAQUE_MARKER} becomes an xattr: rm ${d}/${OPAQUE_MARKER}; setxattr("${d}", "${OPAQUE_XATTR}", "y")`,
      zh: `第 ${basename(branch)} 层：把 ${d}/${OPAQUE_MARKER} 换成 xattr：rm ${d}/${OPAQUE_MARKER}；setxattr("${d}", "${OPAQUE_XATTR}", "y")`,
    });
  }
  return { whiteouts, opaque, files };
}
