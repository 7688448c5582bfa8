// The home-made image: an FHS tree in the lab's scratch directory with a few host programs,
// every file `ldd` names for them (the loader and the libraries), and the configuration kept
// beside it in conf/ — and the step that builds it.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { probePath } from '../../addon/index.js';
import { WHERE, attempt, must, step, t, which, type StepContext } from '../../runner/kit/index.js';
import { filesToCopy, parseLdd, type LddAnswer } from './ldd.js';

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
  /** Where it is on the host (copied to /bin/<name>). */
  readonly host: string;
  /** What `ldd <host>` printed for it. */
  readonly ldd: LddAnswer;
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
  /** Files copied into the rootfs besides the programs (loader, libraries), at the paths ldd named. */
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

/**
 * Ask ldd which files each program needs, as the article does: `ldd bash` alone first, then the
 * other programs in one call (ldd heads each answer with the program's name). Shown with the
 * real output; a non-zero exit is judged by the check (a program ldd has no answer for).
 */
async function askLdd(ctx: StepContext, hosts: readonly string[]): Promise<LddAnswer[]> {
  const out: LddAnswer[] = [];
  for (const group of [hosts.slice(0, 1), hosts.slice(1)]) {
    if (group.length === 0) continue;
    const r = await attempt(ctx, ['ldd', ...group], { where: WHERE.host });
    out.push(...parseLdd(r.stdout, group));
  }
  return out;
}

/** Build the image under ctx.scratch(): the tree, the programs, what ldd names, conf/ and the volume. */
export async function buildImage(ctx: StepContext): Promise<Image> {
  const scratch = ctx.scratch();
  const root = join(scratch, 'rootfs');
  const conf = join(scratch, 'conf');
  const volume = join(scratch, 'nslab-volume');
  for (const d of FHS) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  chmodSync(join(root, 'tmp'), 0o1777);
  mkdirSync(conf, { recursive: true });
  mkdirSync(volume, { recursive: true });

  const found = BINARIES.map((name) => ({ name, host: which(name) }));
  const present = found.filter((p): p is { name: string; host: string } => p.host !== undefined);
  const answers = await askLdd(ctx, present.map((p) => p.host));
  const programs: Program[] = present.map((p, i) => ({ ...p, ldd: answers[i]! }));
  // Each file goes where ldd found it: the loader inside searches the same directories.
  const libraries = filesToCopy(answers);
  for (const p of programs) copyInto(root, join('/bin', p.name), p.host, 0o755);
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
  return { scratch, root, conf, volume, programs, libraries, missing: found.filter((p) => p.host === undefined).map((p) => p.name) };
}

/** The image as built, and the host's mount table before anything was mounted. */
export interface Built {
  readonly image: Image;
  /** Lines of /proc/self/mountinfo before the lab mounted anything (host-clean compares). */
  readonly mountinfoBefore: readonly string[];
  /** `ls rootfs` once built. */
  readonly rootEntries: readonly string[];
  /** Files of `libraries` that are not in the rootfs after the copy. */
  readonly notCopied: readonly string[];
}

/** What every copied program still lacks: libraries ldd did not find, and programs ldd had no answer for. */
export function unresolved(programs: readonly Program[]): string[] {
  return programs.flatMap((p) => [
    ...p.ldd.libs.filter((l) => l.path === undefined).map((l) => `${p.name}: ${l.name}`),
    ...(p.ldd.loader === undefined && !p.ldd.isStatic ? [`${p.name}: PT_INTERP?`] : []),
  ]);
}

export const image = step<Built>({
  id: 'image',
  title: { en: 'Build the image: a tree, programs and their libraries', zh: '制作镜像：目录树、程序和它们依赖的库' },
  explain: {
    en: 'A program linked against shared libraries names its loader (PT_INTERP) and the libraries it needs (DT_NEEDED) in its ELF headers; the loader finds them in RPATH/RUNPATH, ld.so.cache and its system directories. ldd asks the loader itself for that list, the libraries of the libraries included, so nslab does what the article does: it runs ldd on every program it copies and copies the loader and each library ldd names to the same path in the rootfs. Hostname, hosts and resolv.conf stay outside in conf/: the runtime decides them at start. Whether the image really works shows in the next steps, which run these programs inside it.',
    zh: '动态链接的程序在 ELF 头里写明了加载器（PT_INTERP）和所需的库（DT_NEEDED）；加载器在 RPATH/RUNPATH、ld.so.cache 和系统目录里查找它们。ldd 直接向加载器要这份清单（库所依赖的库也包括在内），所以 nslab 照文章的做法：对每个要复制的程序运行 ldd，把加载器和 ldd 列出的每个库复制到 rootfs 里相同的路径。hostname、hosts、resolv.conf 放在外面的 conf/ 里：由运行时在启动时决定。镜像是否真的能用，要到后面的步骤在容器里运行这些程序时才见分晓。',
  },
  article: 'ldd bash; cp ... ~/rootfs/bin; ls ./conf  # hostname hosts resolv.conf',
  modern: 'ldd /usr/bin/bash; cp /usr/bin/bash rootfs/bin/; cp --parents <each file ldd names> rootfs/',
  async run(ctx) {
    const mountinfoBefore = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
    const img = await buildImage(ctx);
    const loaders = [...new Set(img.programs.flatMap((p) => (p.ldd.loader !== undefined ? [p.ldd.loader] : [])))];
    const nLibs = img.libraries.length - loaders.length;
    ctx.log(
      t(
        `${img.programs.length} programs; ${img.libraries.length} files to copy: the loader ${loaders.join(', ') || '(none)'} and ${nLibs} libraries`,
        `${img.programs.length} 个程序；要复制 ${img.libraries.length} 个文件：加载器 ${loaders.join('、') || '（无）'} 和 ${nLibs} 个库`,
      ),
    );
    if (img.missing.length > 0) ctx.log(t(`not on this host, left out: ${img.missing.join(' ')}`, `这台主机上没有，未放进镜像：${img.missing.join(' ')}`));
    ctx.measure('libraries', img.libraries.length);
    for (const dir of [img.root, join(img.root, 'bin'), join(img.root, 'lib64'), img.conf])
      await must(ctx, ['ls', '-C', dir], { command: `ls ${dir}`, where: WHERE.host });
    const rootEntries = readdirSync(img.root).sort();
    const notCopied = img.libraries.filter((l) => !existsSync(join(img.root, l)));
    // What nslab itself just made and copied: shown, not judged (the next steps run the programs inside).
    const noDirs = FHS.filter((d) => !rootEntries.includes(d));
    ctx.log(
      t(
        `read back: rootfs/ has ${FHS.length - noDirs.length} of the article's ${FHS.length} directories; files ldd named and not in rootfs/: ${notCopied.join(' ') || 'none'}`,
        `回读：rootfs/ 有文章 ${FHS.length} 个目录中的 ${FHS.length - noDirs.length} 个；ldd 列出但不在 rootfs/ 里的文件：${notCopied.join(' ') || '没有'}`,
      ),
    );
    return { image: img, mountinfoBefore, rootEntries, notCopied };
  },
  checks: [
    {
      id: 'libs-resolved',
      description: t(
        "ldd (the dynamic loader's own search) found a file for every library every copied program needs, the libraries' libraries included.",
        'ldd（也就是动态加载器自己的查找）为每个复制的程序所需的每个库都找到了文件，库所依赖的库也包括在内。',
      ),
      evaluate: (o) => {
        const { programs, libraries } = o.image;
        const missing = unresolved(programs);
        const un = missing.join(', ');
        return {
          observed: t(
            `${programs.length} programs, ${libraries.length} files (loader + libraries); unresolved: ${un || 'none'}`,
            `${programs.length} 个程序，${libraries.length} 个文件（加载器 + 库）；没找到的：${un || '没有'}`,
          ),
          expected: t(`${BINARIES.length} programs; none unresolved`, `${BINARIES.length} 个程序；全部找到`),
          pass: programs.length === BINARIES.length && missing.length === 0 && libraries.length > 0,
        };
      },
    },
  ],
});
