// The home-made image: an FHS tree in the lab's scratch directory with a few host programs,
// every shared library they need, and the configuration kept beside it in conf/.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { probePath } from '../../addon/index.js';
import { shown, which, type StepContext } from '../../runner/kit/index.js';
import { parseLdd, resolveLibraries, type Resolved } from './elf.js';

/** The article's directory list (`ls ~/rootfs`). */
export const FHS = ['bin', 'dev', 'etc', 'home', 'lib', 'lib64', 'mnt', 'opt', 'proc', 'root', 'run', 'sbin', 'sys', 'tmp', 'usr', 'var'];

/** Programs copied into /bin (the article's list, trimmed to what the lab uses). */
export const BINARIES = ['bash', 'sh', 'ls', 'ps', 'mount', 'umount', 'hostname', 'cat', 'echo', 'id', 'mkdir', 'uname', 'sleep'];

/** The hostname the container gets from conf/ (what `docker run --hostname` writes there). */
export const CONF_HOSTNAME = 'container';
/** What the image itself has in /etc/hostname: hidden by the bind mount of conf/hostname. */
export const IMAGE_HOSTNAME = 'nslab-image-default';
/** Where the probe sits inside the image. */
export const PROBE_IN_IMAGE = '/sbin/nslab-probe';

export interface Program {
  readonly name: string;
  readonly host: string;
  readonly interp?: string;
  readonly libs: readonly Resolved[];
  /** ldd's answer, when ldd is installed. */
  readonly ldd?: { readonly interp?: string; readonly libs: readonly Resolved[] };
}

export interface Image {
  readonly scratch: string;
  /** The rootfs folder on the host. */
  readonly root: string;
  /** Configuration kept outside the image (hostname, hosts, resolv.conf). */
  readonly conf: string;
  /** The host folder bind-mounted onto /mnt (docker run -v). */
  readonly volume: string;
  readonly programs: readonly Program[];
  /** Files copied into the rootfs besides the programs (loader, libraries), image paths. */
  readonly libraries: readonly string[];
  /** Programs of BINARIES the host lacks (left out of the image). */
  readonly missing: readonly string[];
}

function copyInto(root: string, imagePath: string, hostPath: string, mode?: number): void {
  const dest = join(root, imagePath);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(hostPath), dest);
  if (mode !== undefined) chmodSync(dest, mode);
}

/** Build the image under ctx.scratch(). With `show`, the learner sees ldd's view of it. */
export async function buildImage(ctx: StepContext, show: boolean): Promise<Image> {
  const scratch = ctx.scratch();
  const root = join(scratch, 'rootfs');
  const conf = join(scratch, 'conf');
  const volume = join(scratch, 'nslab-volume');
  for (const d of FHS) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  chmodSync(join(root, 'tmp'), 0o1777);
  mkdirSync(conf, { recursive: true });
  mkdirSync(volume, { recursive: true });

  const ldd = which('ldd');
  const programs: Program[] = [];
  const missing: string[] = [];
  const libraries = new Set<string>();
  for (const name of BINARIES) {
    const host = which(name);
    if (!host) {
      missing.push(name);
      continue;
    }
    const ours = resolveLibraries(host);
    let lddView: Program['ldd'];
    if (ldd) {
      const out = execFileSync(ldd, [host], { encoding: 'utf8' });
      lddView = parseLdd(out);
    }
    programs.push({ name, host, ...(ours.interp !== undefined ? { interp: ours.interp } : {}), libs: ours.libs, ...(lddView ? { ldd: lddView } : {}) });
    copyInto(root, join('/bin', name), host, 0o755);
    // Each library goes where the loader inside will look for it: the path the search found.
    for (const lib of ours.libs) if (lib.path) libraries.add(lib.path);
    if (ours.interp) libraries.add(ours.interp);
  }
  for (const lib of libraries) copyInto(root, lib, lib);
  copyInto(root, PROBE_IN_IMAGE, probePath(), 0o755);

  // The image's own configuration (as baked into an image) ...
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(root, 'etc/hostname'), `${IMAGE_HOSTNAME}\n`);
  writeFileSync(join(root, 'etc/hosts'), '# the image default, hidden by conf/hosts\n');
  writeFileSync(join(root, 'etc/resolv.conf'), '# the image default, hidden by conf/resolv.conf\n');
  // ... and what the runtime decides at start, kept outside it.
  writeFileSync(join(conf, 'hostname'), `${CONF_HOSTNAME}\n`);
  writeFileSync(join(conf, 'hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${CONF_HOSTNAME}\n`);
  // Only named, never queried: nothing in the image resolves names.
  writeFileSync(join(conf, 'resolv.conf'), 'nameserver 8.8.8.8\n');

  if (show) {
    const bash = programs.find((p) => p.name === 'bash');
    if (bash && ldd) {
      await shown(ctx, `ldd ${bash.host}`, [ldd, bash.host], { where: 'host' });
    } else if (bash) {
      ctx.transcript({ command: `nslab's resolver for ${bash.host} (ldd is not installed)`, output: lddLike(bash), where: 'host' });
    }
    const ls = which('ls') ?? '/bin/ls';
    for (const dir of [root, join(root, 'bin'), join(root, 'lib64'), conf]) await shown(ctx, `ls ${dir}`, [ls, '-C', dir], { where: 'host' });
  }
  return { scratch, root, conf, volume, programs, libraries: [...libraries].sort(), missing };
}

/** Our resolver's answer printed the way ldd prints it. */
export function lddLike(p: Program): string {
  const lines = p.libs.map((l) => `\t${l.name} => ${l.path ?? 'not found'}`);
  if (p.interp) lines.push(`\t${p.interp}`);
  return lines.join('\n');
}

/** The set of files (by real path) a resolution names, loader included. */
export function fileSet(r: { interp?: string; libs: readonly Resolved[] }): Set<string> {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const out = new Set(r.libs.map((l) => (l.path ? real(l.path) : `${l.name} => not found`)));
  if (r.interp) out.add(real(r.interp));
  return out;
}
