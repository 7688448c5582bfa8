// The guest kernel and its modules, cached under /var/cache/nslab/vm (NSLAB_VM_CACHE moves it).
// The host's own /boot kernel is used when its modules have what the labs need; otherwise the
// distribution's kernel package is fetched with apt-get download (the package linux-image-amd64
// depends on), unpacked into a build directory — never installed, never into /boot — and only
// the uncompressed ELF kernel and the needed modules are kept.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { release } from 'node:os';
import { basename, join } from 'node:path';
import { which } from '../../kit/container.js';
import { extractVmlinuxFile } from './vmlinux.js';
import type { Progress } from './progress.js';
import { t } from '../../core/model.js';
import { catalogue } from '../../../labs/index.js';

/** Bump when the cache layout or the way it is built changes: older caches are rebuilt. */
const CACHE_FORMAT = 1;

/** Modules every guest needs: PCI virtio and 9p (the host's root and the result share). */
export const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p'] as const;

/** What each lab needs beyond a bare kernel: its about.vmModules (loaded when present; built-ins need nothing). */
export const LAB_MODULES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(catalogue.map((a) => [a.id, 'vmModules' in a ? (a.vmModules ?? []) : []]));

const ALL_MODULES = [...new Set([...BASE_MODULES, ...Object.values(LAB_MODULES).flat()])];

export function modulesFor(labIds: readonly string[]): string[] {
  return [...new Set([...BASE_MODULES, ...labIds.flatMap((id) => LAB_MODULES[id] ?? [])])];
}

export interface Manifest {
  readonly format: number;
  /** 'host': this machine's /boot kernel; 'debian': a package fetched with apt-get download. */
  readonly source: 'host' | 'debian';
  readonly kver: string;
  readonly package?: string;
  readonly version?: string;
  /** File (in the cache directory) qemu boots: an ELF vmlinux (PVH entry) or the bzImage. */
  readonly kernel: string;
  readonly pvh: boolean;
  /** Module files (in modules/), in insmod order. */
  readonly modules: readonly string[];
  /** Requested module names this kernel has neither as a module nor built in. */
  readonly missing: readonly string[];
  readonly requested: readonly string[];
  readonly builtAt: string;
}

export interface PreparedKernel extends Manifest {
  readonly dir: string;
}

export function cacheRoot(): string {
  return process.env.NSLAB_VM_CACHE ?? '/var/cache/nslab/vm';
}

function readManifest(dir: string): PreparedKernel | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    if (m.format !== CACHE_FORMAT || ALL_MODULES.some((x) => !m.requested.includes(x))) return undefined;
    if (!existsSync(join(dir, m.kernel)) || m.modules.some((f) => !existsSync(join(dir, 'modules', f)))) return undefined;
    return { ...m, dir };
  } catch {
    return undefined;
  }
}

/** Kernels already in the cache, newest first. */
export function cachedKernels(): PreparedKernel[] {
  const root = cacheRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => !d.startsWith('nslab-build-'))
    .map((d) => readManifest(join(root, d)))
    .filter((m): m is PreparedKernel => m !== undefined)
    .sort((a, b) => b.builtAt.localeCompare(a.builtAt));
}

const satisfies = (k: Manifest, needed: readonly string[]) => needed.every((m) => !k.missing.includes(m));

// ---- helpers ----

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a host command; `onFd3` receives apt's status lines (APT::Status-Fd=3). */
function exec(cmd: string, args: readonly string[], opts: { cwd?: string; signal?: AbortSignal; onFd3?: (line: string) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.onFd3 ? (['pipe'] as const) : [])],
      env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    if (opts.onFd3) {
      let buf = '';
      (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) opts.onFd3!(l);
      });
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(what: string, cmd: string, args: readonly string[], opts: Parameters<typeof exec>[2] = {}): Promise<Ran> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} failed: ${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  return r;
}

/**
 * Resolve `wanted` module names with `modprobe -d ROOT -S KVER --show-depends`: the module files
 * in load order (dependencies first, each once), the built-ins, and the names not found.
 */
async function resolveModules(root: string, kver: string, wanted: readonly string[]): Promise<{ files: string[]; missing: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const name of wanted) {
    const r = await exec('modprobe', ['-d', root, '-S', kver, '--show-depends', name]);
    if (r.code !== 0) {
      missing.push(name);
      continue;
    }
    for (const line of r.stdout.split('\n')) {
      const m = /^insmod (\S+)/.exec(line);
      if (m && !files.includes(m[1]!)) files.push(m[1]!);
    }
  }
  return { files, missing };
}

/** Copy a module into the cache uncompressed (busybox insmod reads plain .ko files). */
async function copyModule(src: string, destDir: string): Promise<string> {
  const m = /^(.*\.ko)(\.xz|\.zst|\.gz)?$/.exec(basename(src));
  if (!m) throw new Error(`unexpected module file ${src}`);
  const dest = join(destDir, m[1]!);
  if (!m[2]) copyFileSync(src, dest);
  else {
    const tool = m[2] === '.xz' ? 'xz' : m[2] === '.zst' ? 'zstd' : 'gzip';
    const r = await must(`decompressing ${basename(src)}`, 'sh', ['-c', `${tool} -dc "$1" > "$2"`, 'sh', src, dest]);
    void r;
  }
  return m[1]!;
}

/** Fill `build` with the ELF kernel and the modules from a tree laid out like / (boot/, lib/modules/). */
async function assemble(
  build: string,
  tree: string,
  kver: string,
  progress: Progress,
  from: number,
): Promise<Pick<Manifest, 'kernel' | 'pvh' | 'modules' | 'missing' | 'requested'>> {
  progress(from, t(`resolving modules for ${kver}`, `解析 ${kver} 的模块依赖`));
  const { files, missing } = await resolveModules(tree, kver, ALL_MODULES);
  const modDir = join(build, 'modules');
  mkdirSync(modDir, { recursive: true });
  const modules: string[] = [];
  for (const f of files) modules.push(await copyModule(f, modDir));
  progress(from + (1 - from) * 0.4, t(`extracting the ELF kernel from vmlinuz-${kver}`, `从 vmlinuz-${kver} 中取出 ELF 内核`));
  const config = join(tree, 'boot', `config-${kver}`);
  const pvh = existsSync(config) ? /^CONFIG_PVH=y$/m.test(readFileSync(config, 'utf8')) : false;
  let kernel = 'vmlinuz';
  const vmlinuz = join(tree, 'boot', `vmlinuz-${kver}`);
  if (pvh) {
    extractVmlinuxFile(vmlinuz, join(build, 'vmlinux'));
    kernel = 'vmlinux';
  } else copyFileSync(vmlinuz, join(build, 'vmlinuz'));
  return { kernel, pvh, modules, missing, requested: ALL_MODULES };
}

function commit(build: string, final: string, manifest: Manifest): PreparedKernel {
  writeFileSync(join(build, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(build, final);
  return { ...manifest, dir: final };
}

/** A build directory inside the cache, removed on failure and on interrupt. */
async function inBuildDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(cacheRoot(), `nslab-build-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the host's own kernel ----

/** Installed kernels of this host: /boot/vmlinuz-KVER with /lib/modules/KVER, the running one first. */
function hostKernels(): string[] {
  let kvers: string[] = [];
  try {
    kvers = readdirSync('/lib/modules');
  } catch {
    return [];
  }
  const running = release();
  return kvers
    .filter((k) => existsSync(`/boot/vmlinuz-${k}`) && existsSync(`/lib/modules/${k}/modules.dep`))
    .sort((a, b) => (a === running ? -1 : b === running ? 1 : b.localeCompare(a)));
}

async function prepareHost(kver: string, progress: Progress): Promise<PreparedKernel> {
  const final = join(cacheRoot(), `host-${kver}`);
  return inBuildDir(async (build) => {
    const parts = await assemble(build, '/', kver, progress, 0.1);
    return commit(build, final, { format: CACHE_FORMAT, source: 'host', kver, ...parts, builtAt: new Date().toISOString() });
  });
}

// ---- the distribution's kernel package ----

/** The package linux-image-amd64 depends on (linux-image-6.1.0-NN-amd64), updating apt's lists once if needed. */
async function debianPackage(signal?: AbortSignal): Promise<string> {
  const find = async () => {
    const r = await exec('apt-cache', ['depends', 'linux-image-amd64'], signal ? { signal } : {});
    return /Depends:\s*(linux-image-\S+)/.exec(r.stdout)?.[1];
  };
  return (
    (await find()) ??
    (await must('apt-get update', 'apt-get', ['update', '-q'], signal ? { signal } : {}).then(find)) ??
    (() => {
      throw new Error('apt-cache depends linux-image-amd64 names no kernel package (is this Debian with a main archive in sources.list?)');
    })()
  );
}

async function prepareDebian(progress: Progress, signal?: AbortSignal): Promise<PreparedKernel> {
  for (const t of ['apt-get', 'apt-cache', 'dpkg-deb', 'tar'])
    if (!which(t)) throw new Error(`the kernel download needs ${t} (a Debian-family host), or install a kernel with its modules in /boot and /lib/modules`);
  progress(0, t('asking apt which kernel package linux-image-amd64 depends on', '询问 apt：linux-image-amd64 依赖哪个内核包'));
  const pkg = await debianPackage(signal);
  return inBuildDir(async (build) => {
    const download = async () =>
      exec('apt-get', ['download', '-o', 'APT::Sandbox::User=root', '-o', 'APT::Status-Fd=3', pkg], {
        cwd: build,
        ...(signal ? { signal } : {}),
        onFd3: (line) => {
          const m = /^dlstatus:[^:]*:([\d.]+):/.exec(line);
          if (m) progress(0.02 + 0.45 * (Number(m[1]) / 100), t(`downloading ${pkg} (apt-get download)`, `下载 ${pkg}（apt-get download）`));
        },
      });
    progress(0.02, t(`downloading ${pkg} (apt-get download)`, `下载 ${pkg}（apt-get download）`));
    let r = await download();
    if (r.code !== 0) {
      // Stale package lists (the mirror moved on): refresh once and try again.
      progress(0.02, t('apt-get update (the package lists are stale)', 'apt-get update（软件包列表已过期）'));
      await must('apt-get update', 'apt-get', ['update', '-q'], signal ? { signal } : {});
      r = await download();
    }
    if (r.code !== 0) throw new Error(`apt-get download ${pkg} failed: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    const deb = readdirSync(build).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb file`);
    const debPath = join(build, deb);
    const version = (await must('dpkg-deb', 'dpkg-deb', ['-f', debPath, 'Version'])).stdout.trim();
    const tree = join(build, 'tree');
    mkdirSync(tree);
    await unpack(debPath, tree, progress, signal);
    rmSync(debPath);
    const kver = readdirSync(join(tree, 'lib', 'modules'))[0];
    if (!kver) throw new Error(`${deb} has no lib/modules/<version>`);
    progress(0.8, t(`depmod -b … ${kver} (the package ships no modules.dep)`, `depmod -b … ${kver}（软件包没有带 modules.dep）`));
    await must('depmod', 'depmod', ['-b', tree, kver]);
    const parts = await assemble(build, tree, kver, progress, 0.85);
    rmSync(tree, { recursive: true, force: true });
    progress(1, t('done', '完成'));
    return commit(build, join(cacheRoot(), `debian-${kver}`), {
      format: CACHE_FORMAT,
      source: 'debian',
      kver,
      package: pkg,
      version,
      ...parts,
      builtAt: new Date().toISOString(),
    });
  });
}

/** dpkg-deb -x, with the bytes of the data archive counted for the progress bar. */
async function unpack(deb: string, into: string, progress: Progress, signal?: AbortSignal): Promise<void> {
  const sizeKiB = Number((await must('dpkg-deb', 'dpkg-deb', ['-f', deb, 'Installed-Size'])).stdout.trim()) || 400_000;
  const label = t(
    `unpacking ${basename(deb)} (dpkg-deb -x, into the cache, not /boot)`,
    `解包 ${basename(deb)}（dpkg-deb -x，解到缓存里，而不是 /boot）`,
  );
  progress(0.5, label);
  await new Promise<void>((resolve, reject) => {
    const opts = signal ? { signal } : {};
    const src = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
    const tar = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'inherit'], ...opts });
    let bytes = 0;
    src.stdout!.on('data', (c: Buffer) => {
      bytes += c.length;
      progress(0.5 + 0.28 * Math.min(1, bytes / (sizeKiB * 1024)), label);
    });
    src.stdout!.pipe(tar.stdin!);
    let pending = 2;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${what} exited ${code} while unpacking ${deb}`));
      else if (--pending === 0) resolve();
    };
    src.on('error', reject).on('close', done('dpkg-deb --fsys-tarfile'));
    tar.on('error', reject).on('close', done('tar -x'));
  });
}

/**
 * A kernel with what `labIds` need: from the cache when it has one, else the host's /boot
 * kernel, else the distribution's package (downloaded once).
 */
export async function prepareKernel(labIds: readonly string[], progress: Progress, signal?: AbortSignal): Promise<PreparedKernel> {
  const needed = modulesFor(labIds);
  const cached = cachedKernels();
  const hosts = hostKernels();
  // The host's kernel first, when it serves; then a cached download; then build.
  for (const kver of hosts) {
    const hit = cached.find((k) => k.source === 'host' && k.kver === kver);
    if (hit && satisfies(hit, needed)) return hit;
  }
  const debian = cached.find((k) => k.source === 'debian' && satisfies(k, needed));
  for (const kver of hosts) {
    if (cached.some((k) => k.source === 'host' && k.kver === kver)) continue;
    const k = await prepareHost(kver, progress);
    if (satisfies(k, needed)) return k;
  }
  if (debian) return debian;
  const k = await prepareDebian(progress, signal);
  if (!satisfies(k, needed)) throw new Error(`kernel ${k.kver} lacks the modules ${k.missing.join(', ')}`);
  return k;
}

/** A cached kernel serving `labIds`, without building anything (for doctor). */
export function cachedKernelFor(labIds: readonly string[]): PreparedKernel | undefined {
  const needed = modulesFor(labIds);
  return cachedKernels().find((k) => satisfies(k, needed));
}

/** Bytes the cache takes on disk. */
export function cacheSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? cacheSize(p) : statSync(p).size;
  }
  return total;
}
