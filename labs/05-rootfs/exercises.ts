// 05-rootfs, by hand: the learner builds a root of their own with ldd and enters it. The checks
// stat /proc/PID/root against the folder, read the process's mount table, join its mount
// namespace to see where that lands, and read a program's ELF header for the loader it names.
import { closeSync, lstatSync, openSync, readSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exercise, landing, mountAt, mountsOf, placeLandingProbe, t, tool, type Landing, type PlaygroundView, type Text } from '../../runner/kit/index.js';

/** A file's identity as the kernel has it: device:inode (null: no such file). */
function fileId(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

// ---- pivot: a root of its own, the old one gone ----

const ROOTFS = 'rootfs';

/** Where a process that joins a mount namespace (setns, as nsenter -m does) lands. */

/** A process whose root is ./rootfs, and what its mount namespace still holds of the playground's tree. */
export interface Rooted {
  readonly inside: number;
  readonly comm: string;
  readonly mnt: number;
  /** Mount points (as the process sees them) of the playground's root file system, mounted whole: the old root. */
  readonly oldRoot: readonly string[];
  /** Joining its mount namespace: does the playground's / come back? */
  readonly join: Landing;
  /** Its /proc/1/root resolves to the playground's / (a proc of the playground's PID namespace). */
  readonly procLeadsBack: boolean;
}

export interface RootWorld {
  /** device:inode of ./rootfs and of the playground's / (null: missing). */
  readonly rootfsId: string | null;
  readonly playgroundRootId: string | null;
  readonly playgroundMnt: number;
  /** Processes whose root is ./rootfs. */
  readonly rooted: readonly Rooted[];
  /** Other processes whose root is neither ./rootfs nor the playground's /. */
  readonly elsewhere: readonly { readonly inside: number; readonly comm: string; readonly rootId: string | null }[];
}

async function rootWorld(pg: PlaygroundView): Promise<RootWorld> {
  const rootfsId = fileId(pg.hostPath(join(pg.dir, ROOTFS)));
  const playgroundRootId = fileId(`/proc/${pg.init}/root`);
  const top = mountAt(mountsOf(pg.init), '/');
  const rooted: Rooted[] = [];
  const elsewhere: RootWorld['elsewhere'][number][] = [];
  for (const p of pg.processes()) {
    if (p.pid === pg.init) continue;
    const rootId = fileId(`/proc/${p.pid}/root`);
    if (rootId === playgroundRootId) continue;
    if (rootId === null || rootId !== rootfsId) {
      elsewhere.push({ inside: p.inside, comm: p.comm, rootId });
      continue;
    }
    const oldRoot = mountsOf(p.pid)
      .filter((m) => top !== undefined && m.root === '/' && m.fstype === top.fstype && m.source === top.source)
      .map((m) => m.target);
    rooted.push({
      inside: p.inside,
      comm: p.comm,
      mnt: p.ns.mnt,
      oldRoot,
      join: p.ns.mnt === pg.ns.mnt ? 'playground-root' : await landing(pg, p.pid),
      procLeadsBack: playgroundRootId !== null && fileId(`/proc/${p.pid}/root/proc/1/root`) === playgroundRootId,
    });
  }
  // unshare and nsenter that started it share its namespace (pivot_root moved their root too): name the process itself first.
  const launcher = (r: Rooted) => (r.comm === 'unshare' || r.comm === 'nsenter' ? 1 : 0);
  rooted.sort((a, b) => launcher(a) - launcher(b) || a.inside - b.inside);
  return { rootfsId, playgroundRootId, playgroundMnt: pg.ns.mnt, rooted, elsewhere };
}

const rootedList = (o: RootWorld) => (o.rooted.length === 0 ? '-' : o.rooted.map((r) => `${r.comm}[${r.inside}] mnt:[${r.mnt}]`).join(', '));
/** The rooted processes in a mount namespace of their own. */
const ownNs = (o: RootWorld) => o.rooted.filter((r) => r.mnt !== o.playgroundMnt);
const clean = (r: Rooted) => r.oldRoot.length === 0 && r.join === 'elsewhere' && !r.procLeadsBack;

const BINS = 'bash sleep mount umount';
const COPY = `mkdir -p ${ROOTFS}/bin ${ROOTFS}/proc ${ROOTFS}/oldroot; for p in ${BINS}; do f=$(command -v $p); cp "$f" ${ROOTFS}/bin/; for l in $(ldd "$f" | grep -o '/[^ ]*'); do cp --parents "$l" ${ROOTFS}/; done; done`;
const PIVOT = `unshare -m -p -f sh -c 'mount --bind ${ROOTFS} ${ROOTFS}; cd ${ROOTFS}; pivot_root . oldroot; exec /bin/bash -c "mount -t proc proc /proc; umount -l /oldroot; exec sleep 600"' &`;

export const pivot = exercise<RootWorld>({
  id: 'pivot',
  kind: 'do',
  title: t('A root of your own, the old one gone', '换上自己的根，旧根彻底消失'),
  task: t(
    `Build ./${ROOTFS}: copy ${BINS.split(' ').join(', ')} into ./${ROOTFS}/bin with every file ldd names for them. Then leave a process running whose root is ./${ROOTFS}, in a mount namespace of its own from which the playground's / cannot be reached: not mounted anywhere in it (pivot_root, then unmount the old root), not where a joining process lands, not through its /proc. check stats /proc/PID/root, reads its mountinfo and joins its mount namespace.`,
    `制作 ./${ROOTFS}：把 ${BINS.split(' ').join('、')} 复制到 ./${ROOTFS}/bin，并带上 ldd 为它们列出的每个文件。然后留下一个正在运行的进程：它的根是 ./${ROOTFS}，处于自己的 mount namespace，从那里到不了练习场的 /：它没有挂载在那个 namespace 的任何地方（pivot_root，再卸载旧根），加入这个 namespace 的进程不会落到它上面，通过它的 /proc 也到不了。check 会 stat /proc/PID/root、读取它的 mountinfo，并加入它的 mount namespace 查看。`,
  ),
  hints: [
    t(
      'chroot changes the root of one process; pivot_root changes the root of a whole mount namespace and parks the old root on a directory, which you then unmount. The new root must be a mount point (mount --bind it onto itself).',
      'chroot 只改变一个进程的根；pivot_root 改变整个 mount namespace 的根，并把旧根暂放在一个目录上，随后你再把它卸载。新根必须是挂载点（把它绑定挂载到它自己身上）。',
    ),
    t(
      "After pivot_root only the new root's programs exist: umount needs a /proc, and a proc of the playground's PID namespace would show /proc/1/root, the playground's /. unshare -m -p -f gives the process a PID namespace of its own.",
      'pivot_root 之后只剩新根里的程序：umount 需要 /proc，而练习场 PID namespace 的 proc 会露出 /proc/1/root，也就是练习场的 /。unshare -m -p -f 给进程一个自己的 PID namespace。',
    ),
    t(`${COPY}; ${PIVOT}`, `${COPY}; ${PIVOT}（在后台运行）`),
  ],
  looksAt: t(
    `/proc/PID/root of every process (device:inode, against ./${ROOTFS}), its /proc/PID/mountinfo, what a process that joins its mount namespace finds at /, and its /proc/1/root`,
    `每个进程的 /proc/PID/root（device:inode，与 ./${ROOTFS} 比较）、它的 /proc/PID/mountinfo、加入它的 mount namespace 的进程在 / 看到什么，以及它的 /proc/1/root`,
  ),
  requirements: [tool('unshare', 'util-linux'), tool('pivot_root', 'util-linux')],
  setup: placeLandingProbe,
  observe: rootWorld,
  conditions: [
    {
      id: 'root-is-rootfs',
      description: t(`A process of the playground has ./${ROOTFS} as its root.`, `练习场里有一个进程以 ./${ROOTFS} 为根。`),
      evaluate: (o) => {
        const ok = o.rootfsId !== null && o.rooted.length > 0;
        const hint = (): Text => {
          if (o.rootfsId === null) return t(`there is no ./${ROOTFS} in the working directory: build it first (mkdir -p ${ROOTFS}/bin, cp, ldd)`, `工作目录里没有 ./${ROOTFS}：先制作它（mkdir -p ${ROOTFS}/bin、cp、ldd）`);
          const other = o.elsewhere[0];
          if (other !== undefined)
            return t(
              `${other.comm}[${other.inside}]'s root is another directory (${other.rootId ?? '?'}), not ./${ROOTFS} (${o.rootfsId})`,
              `${other.comm}[${other.inside}] 的根是另一个目录（${other.rootId ?? '?'}），不是 ./${ROOTFS}（${o.rootfsId}）`,
            );
          return t(
            `every process's root is still the playground's /: start one with its root in ./${ROOTFS} and keep it running (exec sleep 600, &)`,
            `每个进程的根都还是练习场的 /：启动一个以 ./${ROOTFS} 为根的进程，并让它一直运行（exec sleep 600，&）`,
          );
        };
        return {
          observed: rootedList(o),
          expected: t(`a process whose /proc/PID/root is ./${ROOTFS} (${o.rootfsId ?? '?'})`, `一个 /proc/PID/root 为 ./${ROOTFS}（${o.rootfsId ?? '?'}）的进程`),
          pass: ok,
          ...(ok ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'own-mount-ns',
      description: t('That process is in a mount namespace of its own.', '这个进程处于自己的 mount namespace。'),
      evaluate: (o) => {
        const ok = ownNs(o).length > 0;
        const r = o.rooted[0];
        return {
          observed: rootedList(o),
          expected: t(`mnt:[≠${o.playgroundMnt}]`, `mnt:[≠${o.playgroundMnt}]`),
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  r === undefined
                    ? t(`no process has ./${ROOTFS} as its root yet`, `还没有进程以 ./${ROOTFS} 为根`)
                    : t(
                        `${r.comm}[${r.inside}]'s root is ./${ROOTFS}, but it shares the playground's mount namespace: that is a chroot. pivot_root works on a mount namespace of its own: do it inside unshare -m.`,
                        `${r.comm}[${r.inside}] 的根是 ./${ROOTFS}，但它和练习场共用 mount namespace：这是 chroot。pivot_root 作用于一个独立的 mount namespace：请在 unshare -m 里做。`,
                      ),
              }),
        };
      },
    },
    {
      id: 'old-root-gone',
      description: t(
        "From that namespace the playground's / cannot be reached: it is mounted nowhere, a joining process does not land on it, and /proc/1/root does not lead to it.",
        '从那个 namespace 到不了练习场的 /：它没有挂载在任何地方，加入的进程不会落到它上面，/proc/1/root 也不通向它。',
      ),
      evaluate: (o) => {
        const mine = ownNs(o);
        const good = mine.find(clean);
        const r = mine[0];
        const routes = (x: Rooted): Text => {
          const en = [
            ...(x.oldRoot.length > 0 ? [`mounted at ${x.oldRoot[0]}`] : []),
            ...(x.join === 'playground-root' ? ['setns lands on it'] : x.join === 'unknown' ? ['setns: ?'] : []),
            ...(x.procLeadsBack ? ['/proc/1/root leads to it'] : []),
          ];
          const zh = [
            ...(x.oldRoot.length > 0 ? [`挂载在 ${x.oldRoot[0]}`] : []),
            ...(x.join === 'playground-root' ? ['setns 落在它上面'] : x.join === 'unknown' ? ['setns：?'] : []),
            ...(x.procLeadsBack ? ['/proc/1/root 通向它'] : []),
          ];
          return t(en.join(', ') || 'none', zh.join('，') || '没有');
        };
        const hint = (): Text => {
          if (r === undefined) return t(`no process with ./${ROOTFS} as its root in a mount namespace of its own yet`, `还没有以 ./${ROOTFS} 为根、处于自己 mount namespace 的进程`);
          const who = `${r.comm}[${r.inside}]`;
          if (r.oldRoot.length > 0)
            return t(
              `the old root is still mounted at ${r.oldRoot[0]} in ${who}'s namespace: after pivot_root, umount -l ${r.oldRoot[0]} (inside, before exec sleep)`,
              `${who} 的 namespace 里旧根仍挂载在 ${r.oldRoot[0]}：pivot_root 之后执行 umount -l ${r.oldRoot[0]}（在里面、exec sleep 之前）`,
            );
          if (r.join === 'playground-root')
            return t(
              `a process that joins ${who}'s mount namespace lands on the playground's /: its root was changed with chroot, which moves one process, not the namespace. Use pivot_root (and unmount the old root).`,
              `加入 ${who} 的 mount namespace 的进程落在练习场的 / 上：它的根是用 chroot 换的，只移动了一个进程，而不是整个 namespace。请用 pivot_root（并卸载旧根）。`,
            );
          if (r.procLeadsBack)
            return t(
              `${who}'s /proc is a proc of the playground's PID namespace: /proc/1/root is the playground's /. Start it with unshare -m -p -f and mount proc after pivot_root.`,
              `${who} 的 /proc 属于练习场的 PID namespace：/proc/1/root 就是练习场的 /。请用 unshare -m -p -f 启动它，并在 pivot_root 之后再挂载 proc。`,
            );
          return t(`nslab could not join ${who}'s mount namespace to look; try check again`, `nslab 无法加入 ${who} 的 mount namespace 查看；请再 check 一次`);
        };
        return {
          observed:
            mine.length === 0
              ? '-'
              : t(mine.map((x) => `${x.comm}[${x.inside}]: ${routes(x).en}`).join('; '), mine.map((x) => `${x.comm}[${x.inside}]：${routes(x).zh}`).join('；')),
          expected: t("routes back to the playground's /: none", '通向练习场 / 的退路：没有'),
          pass: good !== undefined,
          ...(good !== undefined ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `${COPY}
${PIVOT}
sleep 0.5`,
  nearMisses: [
    {
      id: 'chroot-here',
      what: t('chroot in the playground itself', '直接在练习场里 chroot'),
      script: `${COPY}\nchroot ${ROOTFS} /bin/sleep 600 &\nsleep 0.5`,
      fails: 'own-mount-ns',
      hint: "shares the playground's mount namespace: that is a chroot",
    },
    {
      id: 'chroot-in-ns',
      what: t('chroot inside a new mount namespace', '在新的 mount namespace 里 chroot'),
      script: `${COPY}\nunshare -m chroot ${ROOTFS} /bin/sleep 600 &\nsleep 0.5`,
      fails: 'old-root-gone',
      hint: "lands on the playground's /: its root was changed with chroot",
    },
    {
      id: 'old-root-kept',
      what: t('pivot_root without unmounting the old root', 'pivot_root 之后没有卸载旧根'),
      script: `${COPY}\nunshare -m -p -f sh -c 'mount --bind ${ROOTFS} ${ROOTFS}; cd ${ROOTFS}; pivot_root . oldroot; exec /bin/sleep 600' &\nsleep 0.5`,
      fails: 'old-root-gone',
      hint: 'the old root is still mounted at /oldroot',
    },
    {
      id: 'shared-proc',
      what: t("pivot_root with a proc of the playground's PID namespace", '用练习场 PID namespace 的 proc 做 pivot_root'),
      script: `${COPY}\n${PIVOT.replace('-m -p -f', '-m')}\nsleep 0.5`,
      fails: 'old-root-gone',
      hint: "proc of the playground's PID namespace",
    },
  ],
});

// ---- missing-loader: a program that exists and still "is not found" ----

const BROKEN = 'broken';

/** PT_INTERP of an ELF file: the loader the kernel opens to run it. */
export type ElfInterp = { readonly kind: 'missing' } | { readonly kind: 'not-elf' } | { readonly kind: 'static' } | { readonly kind: 'dynamic'; readonly interp: string };

/** Read just enough of an ELF file (header, program headers) to find PT_INTERP. */
export function elfInterp(path: string): ElfInterp {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { kind: 'missing' };
  }
  try {
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, pos);
      return b.subarray(0, n);
    };
    const h = read(0, 64);
    if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return { kind: 'not-elf' };
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const phoff = is64 ? u64(h, 32) : u32(h, 28);
    const phentsize = u16(h, is64 ? 54 : 42);
    const phnum = u16(h, is64 ? 56 : 44);
    for (let i = 0; i < Math.min(phnum, 256); i++) {
      const ph = read(phoff + i * phentsize, phentsize);
      if (ph.length < (is64 ? 56 : 32) || u32(ph, 0) !== 3) continue; // PT_INTERP
      const off = is64 ? u64(ph, 8) : u32(ph, 4);
      const size = is64 ? u64(ph, 32) : u32(ph, 16);
      const interp = read(off, Math.min(size, 4096)).toString('latin1').replace(/\0.*$/s, '');
      return { kind: 'dynamic', interp };
    }
    return { kind: 'static' };
  } finally {
    closeSync(fd);
  }
}

/**
 * Does `path` exist under `root` as a process chrooted there would see it? Symlinks are followed
 * beneath the root (an absolute target starts again at the root), never through it.
 */
export function existsBeneath(root: string, path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  const done: string[] = [];
  for (let hops = 0; parts.length > 0 && hops < 64; ) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = join(root, ...done, part);
    let st;
    try {
      st = lstatSync(here);
    } catch {
      return false;
    }
    if (st.isSymbolicLink()) {
      hops++;
      const target = readlinkSync(here);
      if (target.startsWith('/')) done.length = 0;
      parts.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(part);
  }
  return parts.length === 0;
}

export interface BrokenWorld {
  /** What ./broken/bin/bash is. */
  readonly program: ElfInterp;
  /** The loader it names exists beneath ./broken. */
  readonly loaderThere: boolean;
  readonly answer: string | undefined;
}

/** Does an answer name the missing loader or libraries? (en and zh, leniently) */
export function namesLoader(answer: string | undefined): boolean {
  if (answer === undefined) return false;
  const a = answer.toLowerCase();
  return ['loader', 'interpreter', 'interp', 'ld-linux', 'ld.so', 'ld-', 'linker', 'dynamic', 'librar', 'libc', 'lib64', 'ldd', 'shared object', '.so', '加载器', '解释器', '链接器', '动态', '库'].some((k) => a.includes(k));
}

export const missingLoader = exercise<BrokenWorld>({
  id: 'missing-loader',
  kind: 'break',
  title: t('What breaks: bash is there, yet "No such file"', '哪里坏了：bash 明明在，却“没有那个文件”'),
  task: t(
    `Copy /bin/bash alone, without anything ldd names for it, to ./${BROKEN}/bin/bash and run chroot ${BROKEN} /bin/bash: it fails with "No such file or directory", although ./${BROKEN}/bin/bash is there. Leave ./${BROKEN} that way, find out which file is missing, answer why in a sentence (answer because …) and type check. check reads the ELF header of ./${BROKEN}/bin/bash and looks for the file it names under ./${BROKEN}.`,
    `只把 /bin/bash 复制到 ./${BROKEN}/bin/bash，不带 ldd 为它列出的任何文件，然后运行 chroot ${BROKEN} /bin/bash：它以“No such file or directory”失败，尽管 ./${BROKEN}/bin/bash 就在那里。让 ./${BROKEN} 保持这个样子，找出缺的是哪个文件，用一句话回答原因（answer 因为……），然后输入 check。check 会读取 ./${BROKEN}/bin/bash 的 ELF 头，并在 ./${BROKEN} 下查找其中写明的文件。`,
  ),
  hints: [
    t(
      'To run a dynamically linked program the kernel opens a second file the program names in its ELF header; ENOENT from execve can mean that file is missing.',
      '运行动态链接的程序时，内核还要打开程序在 ELF 头里写明的另一个文件；execve 返回 ENOENT 也可能是那个文件不存在。',
    ),
    t('ldd /bin/bash lists it on its last line; readelf -l /bin/bash shows it as "Requesting program interpreter".', 'ldd /bin/bash 的最后一行列出了它；readelf -l /bin/bash 把它显示为“Requesting program interpreter”。'),
    t(
      `mkdir -p ${BROKEN}/bin; cp /bin/bash ${BROKEN}/bin/; chroot ${BROKEN} /bin/bash; ldd /bin/bash; answer because …`,
      `mkdir -p ${BROKEN}/bin; cp /bin/bash ${BROKEN}/bin/; chroot ${BROKEN} /bin/bash; ldd /bin/bash; answer 因为……`,
    ),
  ],
  looksAt: t(
    `the ELF program headers of ./${BROKEN}/bin/bash (PT_INTERP: the loader), whether that file exists under ./${BROKEN}, and your answer`,
    `./${BROKEN}/bin/bash 的 ELF 程序头（PT_INTERP：加载器）、该文件在 ./${BROKEN} 下是否存在，以及你的回答`,
  ),
  requirements: [tool('chroot', 'coreutils')],
  observe: (pg) => {
    const root = pg.hostPath(join(pg.dir, BROKEN));
    const program = elfInterp(join(root, 'bin', 'bash'));
    const loaderThere = program.kind === 'dynamic' && existsBeneath(root, program.interp);
    return { program, loaderThere, answer: pg.answer };
  },
  conditions: [
    {
      id: 'bash-copied',
      description: t(`./${BROKEN}/bin/bash is a dynamically linked program (its ELF header names a loader).`, `./${BROKEN}/bin/bash 是动态链接的程序（ELF 头里写明了加载器）。`),
      evaluate: (o) => {
        const p = o.program;
        const ok = p.kind === 'dynamic';
        return {
          observed:
            p.kind === 'dynamic'
              ? `PT_INTERP ${p.interp}`
              : p.kind === 'missing'
                ? t('no such file', '没有这个文件')
                : p.kind === 'static'
                  ? t('static (no PT_INTERP)', '静态链接（没有 PT_INTERP）')
                  : t('not an ELF file', '不是 ELF 文件'),
          expected: 'PT_INTERP /…',
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  p.kind === 'missing'
                    ? t(`there is no ./${BROKEN}/bin/bash: mkdir -p ${BROKEN}/bin; cp /bin/bash ${BROKEN}/bin/`, `没有 ./${BROKEN}/bin/bash：mkdir -p ${BROKEN}/bin; cp /bin/bash ${BROKEN}/bin/`)
                    : t(`./${BROKEN}/bin/bash is not the host's dynamically linked bash: cp /bin/bash ${BROKEN}/bin/`, `./${BROKEN}/bin/bash 不是宿主机上动态链接的 bash：cp /bin/bash ${BROKEN}/bin/`),
              }),
        };
      },
    },
    {
      id: 'loader-missing',
      description: t(`The loader bash names is missing under ./${BROKEN}, so execve fails with ENOENT.`, `bash 写明的加载器在 ./${BROKEN} 下不存在，所以 execve 以 ENOENT 失败。`),
      evaluate: (o) => {
        const interp = o.program.kind === 'dynamic' ? o.program.interp : '?';
        const ok = o.program.kind === 'dynamic' && !o.loaderThere;
        return {
          observed: o.program.kind !== 'dynamic' ? '-' : o.loaderThere ? t(`${BROKEN}${interp} exists`, `${BROKEN}${interp} 存在`) : t(`${BROKEN}${interp} missing`, `${BROKEN}${interp} 不存在`),
          expected: t(`${BROKEN}${interp} missing`, `${BROKEN}${interp} 不存在`),
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  o.program.kind !== 'dynamic'
                    ? t(`copy /bin/bash to ./${BROKEN}/bin first`, `先把 /bin/bash 复制到 ./${BROKEN}/bin`)
                    : t(
                        `./${BROKEN} has the loader ${interp}, so the kernel would start it (and the loader would complain about libraries instead): leave it out, rm ${BROKEN}${interp}`,
                        `./${BROKEN} 里有加载器 ${interp}，内核能启动它（然后由加载器抱怨缺库）：把它去掉，rm ${BROKEN}${interp}`,
                      ),
              }),
        };
      },
    },
    {
      id: 'why',
      description: t('Your answer names what is missing: the loader (program interpreter) or the libraries ldd lists.', '你的回答说出了缺的是什么：加载器（程序解释器）或 ldd 列出的库。'),
      evaluate: (o) => {
        const ok = namesLoader(o.answer);
        return {
          observed: o.answer ?? t('no answer', '没有回答'),
          expected: t('the loader / the libraries', '加载器 / 库'),
          pass: ok,
          ...(ok
            ? {}
            : {
                hint:
                  o.answer === undefined
                    ? t('type answer because … once you know which file is missing', '知道缺哪个文件后，输入 answer 因为……')
                    : t(
                        'the file /bin/bash does exist inside: which other file must the kernel open to run it? ldd /bin/bash, last line',
                        '里面确实有 /bin/bash 这个文件：要运行它，内核还必须打开哪个文件？看 ldd /bin/bash 的最后一行',
                      ),
              }),
        };
      },
    },
  ],
  solution: `mkdir -p ${BROKEN}/bin
cp /bin/bash ${BROKEN}/bin/
chroot ${BROKEN} /bin/bash -c true || true
answer because the dynamic loader named in the ELF header of bash is not in ${BROKEN}`,
  nearMisses: [
    {
      id: 'file-not-found',
      what: t('answers that bash is not there', '回答说 bash 不在那里'),
      script: `mkdir -p ${BROKEN}/bin\ncp /bin/bash ${BROKEN}/bin/\nanswer because bash is not found`,
      fails: 'why',
      hint: 'which other file must the kernel open',
    },
    {
      id: 'loader-copied',
      what: t('copies the loader too: a different failure', '把加载器也复制了：那是另一种失败'),
      script: `mkdir -p ${BROKEN}/bin
cp /bin/bash ${BROKEN}/bin/
i=$(ldd /bin/bash | grep -o '/[^ ]*ld-linux[^ ]*' | head -1)
cp --parents "$i" ${BROKEN}/
answer because the loader is missing`,
      fails: 'loader-missing',
      hint: 'so the kernel would start it',
    },
  ],
});

export const exercises = [pivot, missingLoader];
