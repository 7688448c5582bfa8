// Image layers as tar files with AUFS-style whiteouts, applied onto overlayfs branches.
// An image layer names a deleted file `.wh.<name>` and an opaque directory `.wh..wh..opq`
// (the OCI image spec kept AUFS's spelling); overlayfs wants a 0/0 character device and the
// trusted.overlay.opaque xattr instead, so whoever unpacks a layer translates (containerd's
// and Docker's overlay snapshotters do exactly this).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setxattr } from '../../addon/index.js';
import type { StepContext } from '../../runner/kit/index.js';
import { readTar, type TarEntry } from './tar.js';
import { hostSh } from './union.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

const dir = (name: string): TarEntry => ({ name, type: 'dir' });
const file = (name: string, content: string): TarEntry => ({ name, type: 'file', content });

/** Three layers of a small image, bottom first. */
export const IMAGE_LAYERS: readonly { readonly name: string; readonly entries: readonly TarEntry[] }[] = [
  {
    name: 'base',
    entries: [
      dir('etc'), file('etc/os-release', 'NAME="nslab base"\n'),
      dir('bin'), file('bin/hello', '#!/bin/sh\necho hello\n'),
      dir('app'), file('app/config.txt', 'version=1\n'),
      dir('app/data'), file('app/data/a.txt', 'a\n'), file('app/data/b.txt', 'b\n'),
      dir('tmp'), file('tmp/cache.bin', 'stale cache\n'),
    ],
  },
  {
    name: 'update',
    entries: [
      dir('app'), file('app/config.txt', 'version=2\n'),
      dir('app/data'), file(`app/data/${OPAQUE_MARKER}`, ''), file('app/data/c.txt', 'c\n'),
      dir('tmp'), file(`tmp/${WHITEOUT_PREFIX}cache.bin`, ''),
    ],
  },
  {
    name: 'app',
    entries: [dir('etc'), file('etc/motd', 'welcome\n'), dir('bin'), file(`bin/${WHITEOUT_PREFIX}hello`, '')],
  },
];

export interface Applied {
  readonly whiteouts: string[];
  readonly opaque: string[];
  readonly files: number;
}

/**
 * Unpack one layer into its own empty branch directory, translating AUFS whiteouts to
 * overlayfs ones: `.wh.NAME` becomes a 0/0 character device NAME, `.wh..wh..opq` becomes the
 * trusted.overlay.opaque="y" xattr on its directory. Whiteout devices are made with mknod(1).
 */
export async function applyLayer(ctx: StepContext, archive: Buffer, branch: string): Promise<Applied> {
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  let files = 0;
  mkdirSync(branch); // its parent must exist: a cleaned-up scratch directory is never re-created
  for (const e of readTar(archive)) {
    const target = join(branch, e.name);
    if (!target.startsWith(`${branch}/`)) throw new Error(`layer entry escapes its branch: ${e.name}`);
    const base = basename(e.name);
    if (base === OPAQUE_MARKER) {
      mkdirSync(dirname(target), { recursive: true });
      opaque.push(dirname(e.name));
    } else if (base.startsWith(WHITEOUT_PREFIX)) {
      mkdirSync(dirname(target), { recursive: true });
      whiteouts.push(join(dirname(e.name), base.slice(WHITEOUT_PREFIX.length)));
    } else if (e.type === 'dir') {
      mkdirSync(target, { recursive: true, mode: e.mode });
    } else if (e.type === 'file') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, e.data, { mode: e.mode });
      files++;
    }
  }
  if (whiteouts.length > 0) {
    const r = await hostSh(ctx, branch, whiteouts.map((w) => `mknod ${w} c 0 0`).join(' && '));
    if (r.code !== 0) throw new Error(`mknod failed in ${branch}: ${r.stderr.trim()}`);
  }
  for (const d of opaque) {
    setxattr(join(branch, d), OPAQUE_XATTR, 'y');
    ctx.log(`setxattr("${d}", "${OPAQUE_XATTR}", "y")   # ${basename(branch)}: ${d}/${OPAQUE_MARKER}`);
  }
  return { whiteouts, opaque, files };
}
