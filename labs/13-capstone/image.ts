// The capstone's image (`nslab capstone image [dir]`): an offline image in the layout
// `docker save` writes — manifest.json, a config JSON named by its sha256, and one
// `<sha256>/layer.tar` per layer, each layer named by the sha256 of its tar (the config's
// rootfs.diff_ids) — made only from this machine's busybox-static, no network. nslab writes
// the tar files itself (ustar, owner 0/0, dated 1970, sorted), so the same busybox always
// gives the same digests. Unpacking runs GNU tar and translates the image's whiteouts
// (`.wh.NAME`, `.wh..wh..opq`) into overlayfs ones, as Docker's and containerd's overlay
// snapshotters do.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { setxattr } from '../../addon/index.js';
import { LabError, program, t } from '../../runner/kit/index.js';

/** Where busybox-static puts its program (Debian and Ubuntu package `busybox-static`). */
export const BUSYBOX = '/bin/busybox';
export const REPO_TAG = 'nslab/busybox:latest';
/** What the image has in /etc/hostname. */
export const IMAGE_HOSTNAME = 'minidock';
export const MOTD = 'Welcome to minidock: a busybox image made by nslab, offline.\n';
export const HELLO = 'hello from layer 2\n';
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Every entry's mtime (and the config's `created`): 1970, so a build is reproducible. */
export const EPOCH = 0;
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One member of a layer tar: a path without a leading `/` or `./` (as in a docker layer). */
export type TarEntry =
  | { readonly path: string; readonly kind: 'dir'; readonly mode: number }
  | { readonly path: string; readonly kind: 'file'; readonly mode: number; readonly data: Buffer | string }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string };

/** One layer of an image, bottom first: its entries and what made it (the config's history). */
export interface LayerSpec {
  readonly entries: readonly TarEntry[];
  readonly createdBy: string;
}

export interface LayerInfo {
  /** Relative to the image folder, as manifest.json lists it: `<sha256>/layer.tar`. */
  readonly path: string;
  /** `sha256:<hex>` of the tar file: its diff_id. */
  readonly digest: string;
  readonly size: number;
  /** The member names, in tar order. */
  readonly entries: readonly string[];
}

export interface ImageInfo {
  readonly dir: string;
  readonly repoTag: string;
  /** The config's file name, `<sha256>.json`. */
  readonly config: string;
  readonly configDigest: string;
  /** Bottom first. */
  readonly layers: readonly LayerInfo[];
  /** The applets linked in /bin (what `busybox --list` printed, `busybox` itself left out). */
  readonly applets: readonly string[];
  readonly busybox: string;
}

/** The image config (the part of the docker/OCI config nslab writes and reads). */
export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly created: string;
  readonly config: { readonly Env?: readonly string[]; readonly Cmd?: readonly string[]; readonly WorkingDir?: string };
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly string[] };
  readonly history?: readonly { readonly created: string; readonly created_by: string }[];
}

/** One entry of manifest.json. */
export interface ManifestEntry {
  readonly Config: string;
  readonly RepoTags: readonly string[];
  readonly Layers: readonly string[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// --- tar (POSIX ustar) ---------------------------------------------------------------------

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** name (≤100 bytes) and prefix (≤155 bytes), split at a `/` when the path is long. */
function splitName(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return [path, ''];
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    const [prefix, name] = [path.slice(0, i), path.slice(i + 1)];
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return [name, prefix];
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => {
    if (Buffer.byteLength(s) > len) throw new Error(`tar: field too long: ${s}`);
    h.write(s, at, len, 'utf8');
  };
  const [name, prefix] = splitName(e.kind === 'dir' ? `${e.path}/` : e.path);
  put(name, 0, 100);
  put(octal(e.kind === 'symlink' ? 0o777 : e.mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(size, 12), 124, 12);
  put(octal(EPOCH, 12), 136, 12);
  put('        ', 148, 8); // the checksum counts its own field as spaces
  put(e.kind === 'file' ? '0' : e.kind === 'symlink' ? '2' : '5', 156, 1);
  if (e.kind === 'symlink') put(e.target, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  put(octal(0, 8), 329, 8);
  put(octal(0, 8), 337, 8);
  put(prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** A tar file of these entries, in this order: ustar headers, data padded to 512, two zero blocks. */
export function tarOf(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.path === '' || e.path.startsWith('/') || e.path.split('/').some((s) => s === '' || s === '.' || s === '..'))
      throw new Error(`tar: not a clean relative path: ${JSON.stringify(e.path)}`);
    const data = e.kind === 'file' ? Buffer.from(e.data) : Buffer.alloc(0);
    parts.push(header(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// --- busybox ---------------------------------------------------------------------------------

const INSTALL = t(
  'install it with: apt-get install busybox-static (the image is made from it, offline)',
  '请用 apt-get install busybox-static 安装它（镜像就是用它离线做出来的）',
);

/** 'static', 'dynamic' (it has a PT_INTERP: it needs a loader and libraries the image lacks) or 'not-elf'. */
export function elfLinking(b: Buffer): 'static' | 'dynamic' | 'not-elf' {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const phoff = is64 ? Number(le ? b.readBigUInt64LE(0x20) : b.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > b.length) return 'not-elf';
    if (u32(at) === 3 /* PT_INTERP */) return 'dynamic';
  }
  return 'static';
}

/** The busybox program's bytes, after checking it is there and statically linked. */
function readBusybox(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new LabError({
      en: `no busybox at ${path} (${code}); ${INSTALL.en}`,
      zh: `${path} 没有 busybox（${code}）；${INSTALL.zh}`,
    });
  }
  const linking = elfLinking(bytes);
  if (linking !== 'static')
    throw new LabError({
      en: `${path} is ${linking === 'dynamic' ? 'linked dynamically (it would need a loader and libraries the image does not have)' : 'not an ELF program'}; ${INSTALL.en}`,
      zh: `${path} ${linking === 'dynamic' ? '是动态链接的（它需要加载器和库，而镜像里没有）' : '不是 ELF 程序'}；${INSTALL.zh}`,
    });
  return bytes;
}

/** What `busybox --list` prints, one applet a line; `busybox` itself and odd names left out. */
function appletsOf(path: string): string[] {
  let out: string;
  try {
    out = execFileSync(path, ['--list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new LabError({
      en: `\`${path} --list\` failed: ${(e as Error).message.split('\n')[0]}; ${INSTALL.en}`,
      zh: `\`${path} --list\` 运行失败：${(e as Error).message.split('\n')[0]}；${INSTALL.zh}`,
    });
  }
  const applets = [...new Set(out.split('\n').map((l) => l.trim()))].filter((a) => /^[A-Za-z0-9_.[\]+-]+$/.test(a) && a !== 'busybox' && a !== '.' && a !== '..').sort();
  if (!applets.includes('sh'))
    throw new LabError({
      en: `\`${path} --list\` names no sh applet; ${INSTALL.en}`,
      zh: `\`${path} --list\` 里没有 sh 这个 applet；${INSTALL.zh}`,
    });
  return applets;
}

// --- the two layers --------------------------------------------------------------------------

/** Layer 1: busybox with a /bin symlink per applet, /etc, and the empty mount points. */
export function baseLayer(busybox: Buffer, applets: readonly string[]): LayerSpec {
  const dirs = (names: string[], mode = 0o755) => names.map((path): TarEntry => ({ path, kind: 'dir', mode }));
  const file = (path: string, data: string | Buffer, mode = 0o644): TarEntry => ({ path, kind: 'file', mode, data });
  const entries: TarEntry[] = [
    ...dirs(['bin']),
    file('bin/busybox', busybox, 0o755),
    ...applets.map((a): TarEntry => ({ path: `bin/${a}`, kind: 'symlink', target: 'busybox' })),
    ...dirs(['dev', 'etc']),
    file('etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
    file('etc/hostname', `${IMAGE_HOSTNAME}\n`),
    file('etc/motd', MOTD),
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'),
    ...dirs(['proc']),
    ...dirs(['root'], 0o700),
    ...dirs(['sys']),
    ...dirs(['tmp'], 0o1777),
  ];
  return { entries: sorted(entries), createdBy: `nslab: busybox-static as /bin/busybox, ${applets.length} applet symlinks, /etc, /proc /sys /dev /tmp /root` };
}

/** Layer 2: /etc/motd deleted (its whiteout) and /hello.txt added. */
export function helloLayer(): LayerSpec {
  const entries: TarEntry[] = [
    { path: 'etc', kind: 'dir', mode: 0o755 },
    { path: `etc/${WHITEOUT_PREFIX}motd`, kind: 'file', mode: 0o644, data: '' },
    { path: 'hello.txt', kind: 'file', mode: 0o644, data: HELLO },
  ];
  return { entries: sorted(entries), createdBy: 'nslab: rm /etc/motd; echo "hello from layer 2" > /hello.txt' };
}

/** Entries in name order (a directory before what it holds), as `tar --sort=name` packs them. */
function sorted(entries: readonly TarEntry[]): TarEntry[] {
  const key = (e: TarEntry) => Buffer.from(e.path.replaceAll('/', '\0'));
  return [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
}

// --- writing and reading the image -----------------------------------------------------------

function goArch(): string {
  const a = arch();
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[a] ?? a;
}

/** An existing, empty directory that is not a symlink, or a LabError. */
function emptyDir(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    throw new LabError({ en: `${dir} does not exist: create an empty folder for the image first`, zh: `${dir} 不存在：请先为镜像建一个空文件夹` });
  }
  if (!st.isDirectory() || readdirSync(dir).length > 0)
    throw new LabError({
      en: `${dir} is not an empty folder: the image is written only into an empty one`,
      zh: `${dir} 不是空文件夹：镜像只写进空文件夹`,
    });
}

/** Write layers (bottom first) into the empty folder `dir` in the `docker save` layout. */
export function writeImage(dir: string, layers: readonly LayerSpec[], repoTag = REPO_TAG): Omit<ImageInfo, 'applets' | 'busybox'> {
  emptyDir(dir);
  const created = new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z');
  const infos: LayerInfo[] = [];
  for (const layer of layers) {
    const tar = tarOf(layer.entries);
    const hex = sha256(tar);
    // Two identical layers share one file, as in docker save.
    if (!infos.some((l) => l.digest === `sha256:${hex}`)) {
      mkdirSync(join(dir, hex));
      writeFileSync(join(dir, hex, 'layer.tar'), tar, { flag: 'wx', mode: 0o644 });
    }
    infos.push({ path: `${hex}/layer.tar`, digest: `sha256:${hex}`, size: tar.length, entries: layer.entries.map((e) => (e.kind === 'dir' ? `${e.path}/` : e.path)) });
  }
  const config: ImageConfig = {
    architecture: goArch(),
    os: 'linux',
    created,
    config: { Env: [PATH_ENV], Cmd: ['/bin/sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: infos.map((l) => l.digest) },
    history: layers.map((l) => ({ created, created_by: l.createdBy })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configHex = sha256(configBytes);
  writeFileSync(join(dir, `${configHex}.json`), configBytes, { flag: 'wx', mode: 0o644 });
  const manifest: ManifestEntry[] = [{ Config: `${configHex}.json`, RepoTags: [repoTag], Layers: infos.map((l) => l.path) }];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest), { flag: 'wx', mode: 0o644 });
  // The older index docker save also writes: repository → tag → the top layer's id.
  const [repo, tag] = [repoTag.slice(0, repoTag.lastIndexOf(':')), repoTag.slice(repoTag.lastIndexOf(':') + 1)];
  const top = infos.at(-1)?.path.split('/')[0] ?? '';
  writeFileSync(join(dir, 'repositories'), JSON.stringify({ [repo]: { [tag]: top } }), { flag: 'wx', mode: 0o644 });
  return { dir, repoTag, config: `${configHex}.json`, configDigest: `sha256:${configHex}`, layers: infos };
}

/**
 * Build the capstone's image into the existing empty folder `dir`: layer 1 is this machine's
 * busybox-static with its applets and /etc, layer 2 deletes /etc/motd and adds /hello.txt.
 * Nothing is written outside `dir`; no network.
 */
export function buildImage(dir: string, opts: { busybox?: string } = {}): ImageInfo {
  const busybox = opts.busybox ?? BUSYBOX;
  emptyDir(dir);
  const bytes = readBusybox(busybox);
  const applets = appletsOf(busybox);
  return { ...writeImage(dir, [baseLayer(bytes, applets), helloLayer()]), applets, busybox };
}

/** `rel` resolved under `root`, refusing absolute paths, `..`, and symlinks on the way. */
function under(root: string, rel: string, what: 'file' | 'dir' = 'file'): string {
  const bad = () =>
    new LabError({
      en: `the image names ${JSON.stringify(rel)}, which is not a ${what} inside ${root}`,
      zh: `镜像里写的 ${JSON.stringify(rel)} 不是 ${root} 里面的${what === 'file' ? '文件' : '文件夹'}`,
    });
  if (typeof rel !== 'string' || rel === '' || isAbsolute(rel)) throw bad();
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw bad();
  let p = root;
  for (const [i, part] of parts.entries()) {
    p = join(p, part);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      throw bad();
    }
    const last = i === parts.length - 1;
    if (last ? (what === 'file' ? !st.isFile() : !st.isDirectory()) : !st.isDirectory()) throw bad();
  }
  return p;
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new LabError({ en: `cannot read ${path} as JSON: ${(e as Error).message}`, zh: `无法把 ${path} 读成 JSON：${(e as Error).message}` });
  }
}

export interface ReadImage {
  /** The layer.tar files, absolute, bottom first. */
  readonly layers: string[];
  readonly config: ImageConfig;
  readonly repoTags: readonly string[];
}

/**
 * Read an image folder in the `docker save` layout (its first manifest entry), checking what
 * `docker load` checks: the config is named by its sha256, and each layer's sha256 is the
 * config's diff_id in the same place.
 */
export function readImage(dir: string): ReadImage {
  const root = resolve(dir);
  const manifest = readJson<ManifestEntry[]>(under(root, 'manifest.json'));
  const entry = Array.isArray(manifest) ? manifest[0] : undefined;
  if (entry === undefined || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers))
    throw new LabError({ en: `${root}/manifest.json has no image entry (Config, Layers)`, zh: `${root}/manifest.json 里没有镜像条目（Config、Layers）` });
  const configPath = under(root, entry.Config);
  const configBytes = readFileSync(configPath);
  const configHex = sha256(configBytes);
  if (basename(entry.Config) !== `${configHex}.json`)
    throw new LabError({
      en: `the config ${entry.Config} has sha256 ${configHex}: it is not the file its name says`,
      zh: `配置文件 ${entry.Config} 的 sha256 是 ${configHex}：和它的文件名不符`,
    });
  const config = readJson<ImageConfig>(configPath);
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = entry.Layers.map((l) => under(root, l));
  const digests = layers.map((l) => `sha256:${sha256(readFileSync(l))}`);
  if (digests.length !== diffIds.length || digests.some((d, i) => d !== diffIds[i]))
    throw new LabError({
      en: `the layers' sha256 (${digests.join(' ')}) are not the config's rootfs.diff_ids (${diffIds.join(' ')})`,
      zh: `各层的 sha256（${digests.join(' ')}）与配置里的 rootfs.diff_ids（${diffIds.join(' ')}）不一致`,
    });
  return { layers, config, repoTags: Array.isArray(entry.RepoTags) ? entry.RepoTags : [] };
}

/** Every path under `root` (relative), without following symlinks; a directory before what it holds. */
function walk(root: string, at = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, at)).sort()) {
    const rel = at === '' ? name : `${at}/${name}`;
    out.push(rel);
    if (lstatSync(join(root, rel)).isDirectory()) out.push(...walk(root, rel));
  }
  return out;
}

/**
 * Unpack each layer of the image in `dir` with GNU tar into a new folder `into/<n>` (n = 1 for
 * the bottom layer; `into` must exist, `into/<n>` must not), then translate the image's
 * whiteouts for overlayfs: `.wh.NAME` becomes a 0/0 character device NAME (mknod(1)) and
 * `.wh..wh..opq` becomes trusted.overlay.opaque="y" on its directory. Needs root (mknod, the
 * trusted.* xattr). Returns the branches topmost first, as overlayfs's lowerdir= lists them.
 */
export function unpackLayers(dir: string, into: string): string[] {
  const { layers } = readImage(dir);
  const base = resolve(into);
  under(dirname(base), basename(base), 'dir');
  const tar = program('tar');
  const mknod = program('mknod');
  const branches: string[] = [];
  for (const [i, layer] of layers.entries()) {
    const branch = join(base, String(i + 1));
    mkdirSync(branch);
    execFileSync(tar, ['--numeric-owner', '-xf', layer, '-C', branch], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const rel of walk(branch)) {
      const name = basename(rel);
      const parent = dirname(rel) === '.' ? branch : join(branch, dirname(rel));
      if (name === OPAQUE_MARKER) {
        unlinkSync(join(parent, name));
        setxattr(parent, OPAQUE_XATTR, 'y');
      } else if (name.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
        // AUFS's own metadata (.wh..wh.plnk, .wh..wh.aufs): not part of the image's files.
        rmSync(join(parent, name), { recursive: true, force: true });
      } else if (name.startsWith(WHITEOUT_PREFIX)) {
        unlinkSync(join(parent, name));
        execFileSync(mknod, [join(parent, name.slice(WHITEOUT_PREFIX.length)), 'c', '0', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      }
    }
    branches.push(branch);
  }
  return branches.reverse();
}
