// 11-aufs, by hand: the learner mounts an overlay over layers nslab planted in the working
// directory, hides a lower file with a whiteout of their own, replaces a directory with an opaque
// one, and predicts what a copy-up costs. The checks read the mounts from /proc/PID/mountinfo of
// the playground's processes, the upper layer with lstat(2) and getxattr(2), and the union
// through /proc/PID/root of a process that sees it.
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, normalize } from 'node:path';
import { getxattr } from '../../addon/index.js';
import { exercise, mountAt, mountsOf, t, type Condition, type PlaygroundView } from '../../runner/kit/index.js';
import { OPAQUE_XATTR } from './layers.js';
import { majorMinor, statThrough } from './union.js';

/** lower/notes.txt: 1000 bytes that the copy-up exercise appends to. */
const NOTES = `${'n'.repeat(999)}\n`;
const APPLE = 'apple (lower)\n';
const APPENDED = 'hello\n';
/** What `echo hello >> mnt/notes.txt` leaves in upper: the whole lower file, then the line. */
const COPIED_SIZE = NOTES.length + APPENDED.length;

/** The layers every exercise starts from (a trailing '/' is a directory). */
const LAYERS: Readonly<Record<string, string>> = {
  'lower/apple': APPLE,
  'lower/tomato': 'tomato (lower)\n',
  'lower/notes.txt': NOTES,
  'lower/salad/lettuce': 'green\n',
  'lower/salad/cucumber': 'long\n',
  'upper/': '',
  'work/': '',
  'mnt/': '',
};

function plantLayers(dir: string): void {
  for (const [rel, content] of Object.entries(LAYERS)) {
    const p = join(dir, rel);
    if (rel.endsWith('/')) mkdirSync(p, { recursive: true });
    else {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, content);
    }
  }
}

const MOUNT = 'mount -t overlay overlay -o lowerdir=lower,upperdir=upper,workdir=work mnt';

/** An overlay mount in one of the playground's mount namespaces (the topmost at its mount point). */
export interface OverlaySeen {
  /** A process whose mount namespace has it, as the learner knows it: comm[pid in the playground]. */
  readonly who: string;
  /** Its mount point, relative to the working directory when beneath it (./mnt). */
  readonly target: string;
  readonly lowerdir: readonly string[];
  readonly upperdir: string | undefined;
  readonly workdir: string | undefined;
  /** The layers are the working directory's ./lower, ./upper and ./work. */
  readonly taskLayers: boolean;
}

/** The overlays of the playground, and the one on ./mnt. */
export interface UnionSeen {
  readonly overlays: readonly OverlaySeen[];
  readonly onMnt: OverlaySeen | undefined;
}

/** One entry of a layer, as lstat(2) describes it. */
export interface EntrySeen {
  readonly kind: 'missing' | 'file' | 'dir' | 'char' | 'other';
  readonly major: number;
  readonly minor: number;
  /** Permission bits (st_mode & 07777). */
  readonly mode: number;
  readonly nlink: number;
  readonly size: number;
}

function entry(path: string): EntrySeen {
  try {
    const st = lstatSync(path);
    const { major, minor } = st.isCharacterDevice() ? majorMinor(st.rdev) : { major: 0, minor: 0 };
    const kind = st.isCharacterDevice() ? 'char' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    return { kind, major, minor, mode: st.mode & 0o7777, nlink: st.nlink, size: st.size };
  } catch {
    return { kind: 'missing', major: 0, minor: 0, mode: 0, nlink: 0, size: 0 };
  }
}

const isWhiteout = (e: EntrySeen) => e.kind === 'char' && e.major === 0 && e.minor === 0;
/**
 * A whiteout the kernel made (rm through the union): mode 0000, and since Linux 5.8 a hard link
 * of one shared whiteout inode kept in the work directory. mknod(1) makes mode 0644, one link.
 */
const kernelMade = (e: EntrySeen) => isWhiteout(e) && (e.nlink >= 2 || e.mode === 0);
const octal = (m: number) => m.toString(8).padStart(4, '0');

function showEntry(e: EntrySeen): string {
  switch (e.kind) {
    case 'char':
      return `char ${e.major}/${e.minor}, mode ${octal(e.mode)}, links ${e.nlink}`;
    case 'file':
      return `file, ${e.size} B`;
    default:
      return e.kind;
  }
}

function listOr(path: string): string[] | undefined {
  try {
    return readdirSync(path).sort();
  } catch {
    return undefined;
  }
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The union's mounts, and a host path through which the union on ./mnt can be read. */
async function unionOf(pg: PlaygroundView): Promise<{ seen: UnionSeen; mnt: string | undefined }> {
  const dir = pg.dir;
  const rel = (p: string) => (p.startsWith(`${dir}/`) ? `./${p.slice(dir.length + 1)}` : p);
  /** A layer option names dir/<name>: absolute, or relative to where mount ran (the working directory, or above it). */
  const names = (v: string | undefined, name: string) => {
    if (v === undefined) return false;
    if (isAbsolute(v)) return normalize(v) === join(dir, name);
    const n = normalize(v).replace(/\/$/, '');
    return n === name || n.endsWith(`/${basename(dir)}/${name}`);
  };
  const overlays: OverlaySeen[] = [];
  let onMnt: OverlaySeen | undefined;
  let mnt: string | undefined;
  const seenNs = new Set<number>();
  const procs = pg.processes();
  // The playground's own mount namespace first, then any the learner made.
  procs.sort((a, b) => Number(b.pid === pg.init) - Number(a.pid === pg.init));
  for (const p of procs) {
    if (p.ns.mnt === 0 || seenNs.has(p.ns.mnt)) continue;
    seenNs.add(p.ns.mnt);
    const mounts = mountsOf(p.pid);
    const targets = [...new Set(mounts.filter((m) => m.fstype === 'overlay').map((m) => m.target))];
    for (const target of targets) {
      const m = mountAt(mounts, target);
      if (m === undefined || m.fstype !== 'overlay') continue;
      const opt = (k: string) => m.superOptions.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
      const lowerdir = (opt('lowerdir') ?? '').split(':').filter(Boolean);
      const upperdir = opt('upperdir');
      const workdir = opt('workdir');
      const o: OverlaySeen = {
        who: `${p.comm}[${p.inside}]`,
        target: rel(target),
        lowerdir,
        upperdir,
        workdir,
        taskLayers: lowerdir.length === 1 && names(lowerdir[0], 'lower') && names(upperdir, 'upper') && names(workdir, 'work'),
      };
      overlays.push(o);
      if (target === join(dir, 'mnt') && (onMnt === undefined || (!onMnt.taskLayers && o.taskLayers))) {
        onMnt = o;
        mnt = pg.hostPath(join(dir, 'mnt'), p.pid);
      }
    }
  }
  return { seen: { overlays, onMnt }, mnt };
}

const showOverlay = (o: OverlaySeen) =>
  `overlay ${o.target} lowerdir=${o.lowerdir.join(':')},upperdir=${o.upperdir ?? '-'},workdir=${o.workdir ?? '-'} (${o.who})`;

/** The overlay on ./mnt exists and stacks the task's layers. */
function mounted<O extends UnionSeen>(): Condition<O> {
  return {
    id: 'mounted',
    description: t(
      'An overlay is mounted on ./mnt with lowerdir ./lower, upperdir ./upper and workdir ./work (in a mount namespace of the playground).',
      './mnt 上挂载着一个 overlay：lowerdir 是 ./lower，upperdir 是 ./upper，workdir 是 ./work（在练习场的某个 mount namespace 里）。',
    ),
    evaluate: (o) => {
      const m = o.onMnt;
      const pass = m?.taskLayers === true;
      const elsewhere = o.overlays.filter((x) => x.target !== './mnt');
      const hint = pass
        ? undefined
        : m !== undefined
          ? t(
              `the overlay on ./mnt stacks lowerdir=${m.lowerdir.join(':')}, upperdir=${m.upperdir ?? '-'}, workdir=${m.workdir ?? '-'}: the task's layers are ./lower, ./upper and ./work. umount mnt, then ${MOUNT} (from the working directory).`,
              `./mnt 上的 overlay 叠的是 lowerdir=${m.lowerdir.join(':')}、upperdir=${m.upperdir ?? '-'}、workdir=${m.workdir ?? '-'}：任务要求的层是 ./lower、./upper 和 ./work。先 umount mnt，再在工作目录里运行 ${MOUNT}。`,
            )
          : elsewhere.length > 0
            ? t(
                `an overlay is mounted on ${elsewhere[0]!.target}, not on ./mnt of the working directory: mount it there (${MOUNT}).`,
                `overlay 挂载在 ${elsewhere[0]!.target} 上，而不是工作目录的 ./mnt 上：请挂载到那里（${MOUNT}）。`,
              )
            : t(`no overlay is mounted on ./mnt in any mount namespace of the playground: ${MOUNT}`, `练习场的所有 mount namespace 里，./mnt 上都没有挂载 overlay：${MOUNT}`);
      return {
        observed: m !== undefined ? showOverlay(m) : o.overlays.length > 0 ? o.overlays.map(showOverlay).join('; ') : t('no overlay mounted', '没有挂载 overlay'),
        expected: 'overlay ./mnt lowerdir=lower,upperdir=upper,workdir=work',
        pass,
        ...(hint !== undefined ? { hint } : {}),
      };
    },
  };
}

/** The lower layer still holds what nslab planted there. */
function lowerKept<O>(what: string, read: (o: O) => string, good: (o: O) => boolean, hint: (o: O) => ReturnType<typeof t>): Condition<O> {
  return {
    id: 'lower-kept',
    description: t(`The lower layer is unchanged: ${what}.`, `下层没有变：${what}。`),
    evaluate: (o) => {
      const pass = good(o);
      return { observed: read(o), expected: what, pass, ...(pass ? {} : { hint: hint(o) }) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 1. A whiteout made by hand, before the mount: what an image unpacker does with `.wh.apple`.

export interface HandWhiteout extends UnionSeen {
  readonly upperApple: EntrySeen;
  /** upper/.wh.apple exists (AUFS's spelling, which overlayfs does not read). */
  readonly aufsStyle: boolean;
  /** readdir(2) of the union (undefined: nothing on ./mnt). */
  readonly merged: readonly string[] | undefined;
  /** lstat of mnt/apple through the union: 'ENOENT', 'file', …; undefined when nothing is mounted. */
  readonly mergedApple: string | undefined;
  readonly lowerApple: string | undefined;
}

export const handWhiteout = exercise<HandWhiteout>({
  id: 'whiteout',
  kind: 'do',
  title: t('A whiteout of your own', '亲手做一个 whiteout 文件'),
  task: t(
    `The working directory holds lower/ (apple, tomato, notes.txt, salad/), an empty upper/, work/ and mnt/. Hide lower/apple the way an image unpacker does, before anything is mounted: make the overlayfs whiteout upper/apple yourself with mknod (not by rm through the union). Then mount the union (${MOUNT}) and leave it mounted. check looks for: the overlay on ./mnt with those three layers; upper/apple a character device 0/0 made by mknod; apple gone from ./mnt while tomato shows; lower/apple unchanged.`,
    `工作目录里有 lower/（apple、tomato、notes.txt、salad/）、空的 upper/、work/ 和 mnt/。请像解包镜像的程序那样，在挂载之前隐藏 lower/apple：自己用 mknod 在 upper 里做出 overlayfs 的 whiteout 文件 upper/apple（不要经联合目录 rm）。然后挂载联合目录（${MOUNT}），并保持挂载。check 检查：./mnt 上有叠着这三个目录的 overlay；upper/apple 是用 mknod 做的 0/0 字符设备；./mnt 里没有 apple 但有 tomato；lower/apple 没有变。`,
  ),
  hints: [
    t(
      'An image layer says "deleted" with a file .wh.apple; overlayfs wants something else in the upper layer: a character device named apple whose device number is 0/0.',
      '镜像层用 .wh.apple 文件表示“已删除”；overlayfs 要的是另一种东西：upper 里一个名为 apple、设备号为 0/0 的字符设备。',
    ),
    t('mknod NAME c MAJOR MINOR makes a character device; do it while ./mnt is not mounted (changing the layers of a mounted overlay is undefined).', 'mknod 名字 c 主设备号 次设备号 可以创建字符设备；请在 ./mnt 没有挂载时做（挂载期间改动 overlay 的层，结果是未定义的）。'),
    t(`mknod upper/apple c 0 0; ${MOUNT}; ls mnt`, `依次运行：mknod upper/apple c 0 0；${MOUNT}；ls mnt`),
  ],
  looksAt: t(
    "/proc/PID/mountinfo of the playground's processes, lstat of upper/apple (type, device number, mode, links), and the union read through /proc/PID/root",
    '练习场各进程的 /proc/PID/mountinfo，upper/apple 的 lstat（类型、设备号、权限、链接数），以及经 /proc/PID/root 读到的联合目录',
  ),
  setup: plantLayers,
  async observe(pg) {
    const { seen, mnt } = await unionOf(pg);
    return {
      ...seen,
      upperApple: entry(join(pg.dir, 'upper/apple')),
      aufsStyle: entry(join(pg.dir, 'upper/.wh.apple')).kind !== 'missing',
      merged: mnt !== undefined ? listOr(mnt) : undefined,
      mergedApple: mnt !== undefined ? statThrough(join(mnt, 'apple')) : undefined,
      lowerApple: readOr(join(pg.dir, 'lower/apple')),
    };
  },
  conditions: [
    mounted<HandWhiteout>(),
    {
      id: 'whiteout-by-hand',
      description: t('upper/apple is a character device 0/0 made with mknod (one link, not the kernel’s shared whiteout).', 'upper/apple 是用 mknod 做的 0/0 字符设备（只有一个链接，不是内核共享的那个 whiteout 文件）。'),
      evaluate: (o) => {
        const e = o.upperApple;
        const pass = isWhiteout(e) && !kernelMade(e);
        const hint = pass
          ? undefined
          : o.aufsStyle && e.kind === 'missing'
            ? t(
                'upper/.wh.apple is the spelling of AUFS and of image layers in tar files; overlayfs reads only a character device 0/0 named apple: umount mnt; rm upper/.wh.apple; mknod upper/apple c 0 0; mount again.',
                'upper/.wh.apple 是 AUFS 以及 tar 格式镜像层的写法；overlayfs 只认名为 apple 的 0/0 字符设备：先 umount mnt，rm upper/.wh.apple，mknod upper/apple c 0 0，再重新挂载。',
              )
            : e.kind === 'missing'
              ? t('upper has no apple: make the whiteout there with mknod upper/apple c 0 0 (with ./mnt unmounted), then mount.', 'upper 里没有 apple：请在 ./mnt 未挂载时用 mknod upper/apple c 0 0 做出 whiteout 文件，再挂载。')
              : e.kind === 'char' && !isWhiteout(e)
                ? t(
                    `upper/apple is a character device ${e.major}/${e.minor}, not 0/0: overlayfs treats only device number 0/0 as a whiteout. umount mnt; rm upper/apple; mknod upper/apple c 0 0; mount again.`,
                    `upper/apple 是设备号 ${e.major}/${e.minor} 的字符设备，不是 0/0：overlayfs 只把设备号 0/0 当作 whiteout 文件。先 umount mnt，rm upper/apple，mknod upper/apple c 0 0，再重新挂载。`,
                  )
                : kernelMade(e)
                  ? t(
                      `upper/apple is a whiteout the kernel made (mode ${octal(e.mode)}, ${e.nlink} links: rm through the union does that). The task is to make it yourself, as an image unpacker does: umount mnt; rm upper/apple; mknod upper/apple c 0 0; mount again.`,
                      `upper/apple 是内核做的 whiteout 文件（权限 ${octal(e.mode)}，${e.nlink} 个链接：经联合目录 rm 就会这样）。任务要求像解包镜像的程序那样自己做：先 umount mnt，rm upper/apple，mknod upper/apple c 0 0，再重新挂载。`,
                    )
                  : t(
                      `upper/apple is a ${e.kind === 'dir' ? 'directory' : 'regular file'}: it hides the lower apple by showing itself in its place. A whiteout is a character device 0/0: umount mnt; rm -r upper/apple; mknod upper/apple c 0 0; mount again.`,
                      `upper/apple 是一个${e.kind === 'dir' ? '目录' : '普通文件'}：它遮住了下层的 apple，却以自己的身份出现在那里。whiteout 文件是 0/0 字符设备：先 umount mnt，rm -r upper/apple，mknod upper/apple c 0 0，再重新挂载。`,
                    );
        return {
          observed: `upper/apple: ${showEntry(e)}${o.aufsStyle ? '; upper/.wh.apple' : ''}`,
          expected: 'upper/apple: char 0/0, links 1',
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'apple-hidden',
      description: t('Through the union, apple is gone (not listed, lstat fails with ENOENT) while tomato from the same lower layer shows.', '经联合目录看，apple 不见了（不被列出，lstat 以 ENOENT 失败），而同一下层的 tomato 仍在。'),
      evaluate: (o) => {
        const m = o.merged;
        const pass = m !== undefined && !m.includes('apple') && o.mergedApple === 'ENOENT' && m.includes('tomato');
        const hint = pass
          ? undefined
          : m === undefined
            ? t('there is no union to look through yet: nothing is mounted on ./mnt.', '还没有可以查看的联合目录：./mnt 上什么也没挂载。')
            : !m.includes('tomato')
              ? t('the union does not show tomato: ./lower is not its lower layer.', '联合目录里没有 tomato：./lower 不是它的下层。')
              : isWhiteout(o.upperApple)
                ? t(
                    'upper/apple is a whiteout, yet the union still shows apple: it was made while ./mnt was mounted, after overlayfs had looked apple up. umount mnt and mount it again.',
                    'upper/apple 已是 whiteout 文件，联合目录却仍显示 apple：它是在 ./mnt 挂载期间、overlayfs 已经查找过 apple 之后才做的。请 umount mnt 再重新挂载。',
                  )
                : t('the union still shows apple: the upper layer has no whiteout for it.', '联合目录仍显示 apple：上层没有它的 whiteout 文件。');
        return {
          observed: m === undefined ? t('nothing mounted on ./mnt', './mnt 上没有挂载') : `ls mnt: ${m.join(' ')}; lstat mnt/apple: ${o.mergedApple ?? '-'}`,
          expected: 'ls mnt: notes.txt salad tomato; lstat mnt/apple: ENOENT',
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    lowerKept<HandWhiteout>(
      `lower/apple ${JSON.stringify(APPLE)}`,
      (o) => `lower/apple ${o.lowerApple === undefined ? '-' : JSON.stringify(o.lowerApple)}`,
      (o) => o.lowerApple === APPLE,
      (o) =>
        o.lowerApple === undefined
          ? t(
              "lower/apple is gone: you deleted it from the lower layer itself. A union never changes its lower layers (an image's layers are shared by every container made from it). Put it back (echo 'apple (lower)' > lower/apple) and hide it with a whiteout in upper instead.",
              "lower/apple 不见了：你是从下层本身删除的。联合挂载从不改动下层（镜像的各层被用它创建的所有容器共享）。请把它放回去（echo 'apple (lower)' > lower/apple），改用 upper 里的 whiteout 文件隐藏它。",
            )
          : t("lower/apple was changed: a union never writes to its lower layers. Put it back: echo 'apple (lower)' > lower/apple", "lower/apple 被改动了：联合挂载从不写下层。请改回去：echo 'apple (lower)' > lower/apple"),
    ),
  ],
  solution: `mknod upper/apple c 0 0
${MOUNT}
ls mnt`,
  nearMisses: [
    {
      id: 'rm-through-union',
      what: t('lets the kernel make the whiteout (rm through the union)', '让内核做 whiteout 文件（经联合目录 rm）'),
      script: `${MOUNT}\nrm mnt/apple`,
      fails: 'whiteout-by-hand',
      hint: 'a whiteout the kernel made',
    },
    {
      id: 'rm-lower',
      what: t('deletes the file from the lower layer', '从下层删除了文件'),
      script: `rm lower/apple\n${MOUNT}`,
      fails: 'lower-kept',
      hint: 'you deleted it from the lower layer itself',
    },
    {
      id: 'wrong-device',
      what: t('a character device, but 1/3 (/dev/null’s number)', '字符设备，但设备号是 1/3（/dev/null 的设备号）'),
      script: `mknod upper/apple c 1 3\n${MOUNT}`,
      fails: 'whiteout-by-hand',
      hint: 'not 0/0',
    },
    {
      id: 'not-mounted',
      what: t('the whiteout, but no union mounted', '做了 whiteout 文件，却没有挂载联合目录'),
      script: 'mknod upper/apple c 0 0',
      fails: 'mounted',
      hint: 'no overlay is mounted on ./mnt',
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// 2. An opaque directory: salad replaced, the lower salad's files never show again.

export interface OpaqueSalad extends UnionSeen {
  readonly upperSalad: EntrySeen;
  /** trusted.overlay.opaque of upper/salad (undefined: none). */
  readonly opaque: string | undefined;
  /** Whiteouts (0/0 character devices) inside upper/salad. */
  readonly whiteouts: readonly string[];
  /** readdir(2) of mnt/salad through the union (undefined: nothing mounted, or no salad there). */
  readonly merged: readonly string[] | undefined;
  readonly lower: readonly string[] | undefined;
}

const SALAD_LOWER = ['cucumber', 'lettuce'];

export const opaqueSalad = exercise<OpaqueSalad>({
  id: 'opaque',
  kind: 'do',
  title: t('Replace a directory: an opaque one', '替换一个目录：不透明目录'),
  task: t(
    `lower/salad holds lettuce and cucumber. In the union on ./mnt (${MOUNT}), replace salad by a new directory that holds only a file dressing: the old lettuce and cucumber must not show through, and lower/salad must keep them. check looks for: the overlay on ./mnt; upper/salad a directory with the xattr ${OPAQUE_XATTR}="y"; ls mnt/salad printing only dressing; lower/salad unchanged.`,
    `lower/salad 里有 lettuce 和 cucumber。请在 ./mnt 上的联合目录里（${MOUNT}）把 salad 换成一个新目录，里面只有 dressing 一个文件：旧的 lettuce 和 cucumber 不能透出来，lower/salad 里却要保留它们。check 检查：./mnt 上的 overlay；upper/salad 是带 xattr ${OPAQUE_XATTR}="y" 的目录；ls mnt/salad 只列出 dressing；lower/salad 没有变。`,
  ),
  hints: [
    t(
      'Deleting a directory through the union and making it again gives a directory that must not merge with the lower one: overlayfs marks it opaque in the upper layer.',
      '经联合目录删除一个目录再新建它，得到的目录不能与下层的合并：overlayfs 会在上层把它标记为不透明目录。',
    ),
    t(
      `rm -r removes the directory through the union, mkdir makes it again; getfattr -n ${OPAQUE_XATTR} upper/salad shows the mark, if getfattr is installed.`,
      `rm -r 经联合目录删除目录，mkdir 再建一个；如果装了 getfattr，getfattr -n ${OPAQUE_XATTR} upper/salad 可以看到这个标记。`,
    ),
    t(`${MOUNT}; rm -r mnt/salad; mkdir mnt/salad; echo oil > mnt/salad/dressing`, `依次运行：${MOUNT}；rm -r mnt/salad；mkdir mnt/salad；echo oil > mnt/salad/dressing`),
  ],
  looksAt: t(
    `/proc/PID/mountinfo of the playground's processes, getxattr(upper/salad, "${OPAQUE_XATTR}") and the entries of upper/salad, and readdir of mnt/salad through /proc/PID/root`,
    `练习场各进程的 /proc/PID/mountinfo，getxattr(upper/salad, "${OPAQUE_XATTR}") 和 upper/salad 里的条目，以及经 /proc/PID/root 对 mnt/salad 的 readdir`,
  ),
  setup: plantLayers,
  async observe(pg) {
    const { seen, mnt } = await unionOf(pg);
    const upperSalad = join(pg.dir, 'upper/salad');
    const e = entry(upperSalad);
    return {
      ...seen,
      upperSalad: e,
      opaque: e.kind === 'dir' ? getxattr(upperSalad, OPAQUE_XATTR)?.toString() : undefined,
      whiteouts: e.kind === 'dir' ? (listOr(upperSalad) ?? []).filter((n) => isWhiteout(entry(join(upperSalad, n)))) : [],
      merged: mnt !== undefined ? listOr(join(mnt, 'salad')) : undefined,
      lower: listOr(join(pg.dir, 'lower/salad')),
    };
  },
  conditions: [
    mounted<OpaqueSalad>(),
    {
      id: 'opaque',
      description: t(`upper/salad is a directory marked opaque: ${OPAQUE_XATTR} = "y".`, `upper/salad 是标记为不透明的目录：${OPAQUE_XATTR} = "y"。`),
      evaluate: (o) => {
        const e = o.upperSalad;
        const pass = e.kind === 'dir' && o.opaque === 'y';
        const hint = pass
          ? undefined
          : e.kind === 'missing'
            ? t(
                'upper has no salad yet: replace the directory through the union (rm -r mnt/salad; mkdir mnt/salad) and the kernel makes an opaque one there.',
                'upper 里还没有 salad：经联合目录替换这个目录（rm -r mnt/salad；mkdir mnt/salad），内核就会在那里建一个不透明目录。',
              )
            : e.kind !== 'dir'
              ? t(`upper/salad is ${showEntry(e)}, not a directory.`, `upper/salad 是 ${showEntry(e)}，不是目录。`)
              : o.opaque !== undefined
                ? t(`${OPAQUE_XATTR} is ${JSON.stringify(o.opaque)}, not "y".`, `${OPAQUE_XATTR} 的值是 ${JSON.stringify(o.opaque)}，不是 "y"。`)
                : o.whiteouts.length > 0
                  ? t(
                      `upper/salad holds whiteouts for ${o.whiteouts.join(', ')} but is not opaque: deleting the files one by one hides each name, it does not replace the directory. Remove the directory itself and make it again (rm -r mnt/salad; mkdir mnt/salad).`,
                      `upper/salad 里有 ${o.whiteouts.join('、')} 的 whiteout 文件，但它不是不透明目录：逐个删除文件只隐藏了每个名字，并没有替换目录。请删除目录本身再重建（rm -r mnt/salad；mkdir mnt/salad）。`,
                    )
                  : t(
                      'upper/salad is a plain directory: it merges with lower/salad. Remove it through the union and make it again (rm -r mnt/salad; mkdir mnt/salad).',
                      'upper/salad 是普通目录：它会与 lower/salad 合并。请经联合目录删除再重建它（rm -r mnt/salad；mkdir mnt/salad）。',
                    );
        return {
          observed: `upper/salad: ${showEntry(e)}${e.kind === 'dir' ? `, ${OPAQUE_XATTR} = ${o.opaque === undefined ? '-' : JSON.stringify(o.opaque)}` : ''}${o.whiteouts.length > 0 ? `; whiteouts: ${o.whiteouts.join(' ')}` : ''}`,
          expected: `upper/salad: dir, ${OPAQUE_XATTR} = "y"`,
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'salad-replaced',
      description: t('Through the union, salad holds only dressing.', '经联合目录看，salad 里只有 dressing。'),
      evaluate: (o) => {
        const m = o.merged;
        const pass = m !== undefined && m.length === 1 && m[0] === 'dressing';
        const old = (m ?? []).filter((n) => SALAD_LOWER.includes(n));
        const hint = pass
          ? undefined
          : o.onMnt === undefined
            ? t('there is no union to look through yet: nothing is mounted on ./mnt.', '还没有可以查看的联合目录：./mnt 上什么也没挂载。')
            : m === undefined
              ? t('mnt/salad does not exist: after removing it, make it again (mkdir mnt/salad).', 'mnt/salad 不存在：删除之后请重新建它（mkdir mnt/salad）。')
              : old.length > 0
                ? t(`mnt/salad still shows ${old.join(', ')} from the lower layer.`, `mnt/salad 仍显示下层的 ${old.join('、')}。`)
                : !m.includes('dressing')
                  ? t('mnt/salad has no dressing yet: echo oil > mnt/salad/dressing', 'mnt/salad 里还没有 dressing：echo oil > mnt/salad/dressing')
                  : t(`mnt/salad holds more than dressing: ${m.join(' ')}.`, `mnt/salad 里不止 dressing：${m.join(' ')}。`);
        return {
          observed: m === undefined ? t('no mnt/salad to list', '没有 mnt/salad 可列') : `ls mnt/salad: ${m.join(' ')}`,
          expected: 'ls mnt/salad: dressing',
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    lowerKept<OpaqueSalad>(
      `lower/salad: ${SALAD_LOWER.join(' ')}`,
      (o) => `lower/salad: ${o.lower === undefined ? '-' : o.lower.join(' ')}`,
      (o) => o.lower !== undefined && o.lower.join(',') === SALAD_LOWER.join(','),
      (o) =>
        t(
          `lower/salad has lost ${SALAD_LOWER.filter((n) => !(o.lower ?? []).includes(n)).join(', ') || 'its files'}: it was changed directly, not through the union. Put them back (echo green > lower/salad/lettuce; echo long > lower/salad/cucumber) and hide them from the union only.`,
          `lower/salad 少了 ${SALAD_LOWER.filter((n) => !(o.lower ?? []).includes(n)).join('、') || '它的文件'}：它被直接改动了，而不是经联合目录。请把它们放回去（echo green > lower/salad/lettuce；echo long > lower/salad/cucumber），只在联合目录里隐藏它们。`,
        ),
    ),
  ],
  solution: `${MOUNT}
rm -r mnt/salad
mkdir mnt/salad
echo oil > mnt/salad/dressing`,
  nearMisses: [
    {
      id: 'one-by-one',
      what: t('deletes the files one by one instead of the directory', '逐个删除文件，而不是删除目录'),
      script: `${MOUNT}\nrm mnt/salad/lettuce mnt/salad/cucumber\necho oil > mnt/salad/dressing`,
      fails: 'opaque',
      hint: 'holds whiteouts for',
    },
    {
      id: 'rm-lower',
      what: t('empties the lower directory itself', '直接清空了下层的目录'),
      script: `rm lower/salad/lettuce lower/salad/cucumber\n${MOUNT}\necho oil > mnt/salad/dressing`,
      fails: 'lower-kept',
      hint: 'lower/salad has lost',
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// 3. Predict, then measure: what a 6-byte append to a 1000-byte lower file leaves in upper.

export interface CopyUpSize extends UnionSeen {
  readonly answer: string | undefined;
  readonly lowerNotes: EntrySeen;
  /** lower/notes.txt still holds what nslab planted. */
  readonly lowerSame: boolean;
  readonly upperNotes: EntrySeen;
  /** upper/notes.txt begins with the whole lower file; what follows it (undefined: it does not). */
  readonly upperTail: string | undefined;
}

export const copyUpSize = exercise<CopyUpSize>({
  id: 'copy-up',
  kind: 'predict',
  title: t('Predict a copy-up', '预测一次向上复制（copy-up）'),
  task: t(
    `lower/notes.txt is ${NOTES.length} bytes. First predict: once you run echo hello >> mnt/notes.txt (${APPENDED.length} bytes) in the union on ./mnt (${MOUNT}), how many bytes long will upper/notes.txt be? Type answer N. Then mount, append, and check: it measures upper/notes.txt (the whole lower file followed by hello), checks that lower/notes.txt is unchanged, and compares with your answer.`,
    `lower/notes.txt 长 ${NOTES.length} 字节。先预测：在 ./mnt 上的联合目录里（${MOUNT}）运行 echo hello >> mnt/notes.txt（${APPENDED.length} 字节）之后，upper/notes.txt 有多少字节？输入 answer N。然后挂载、追加，再 check：它测量 upper/notes.txt（应是整个下层文件后接 hello），确认 lower/notes.txt 没有变，并与你的答案比较。`,
  ),
  hints: [
    t('The lower layer is read-only to the union: the first write to one of its files must happen somewhere else.', '对联合目录来说下层是只读的：第一次写它的文件时，必须写到别处。'),
    t('overlayfs does not store differences: what lands in upper is a file, opened and appended to like any other.', 'overlayfs 不保存差异：落到 upper 里的是一个完整的文件，像别的文件一样被打开、追加。'),
    t(`answer N; ${MOUNT}; echo hello >> mnt/notes.txt; ls -l upper`, `先 answer N（N 是你预测的字节数），再运行：${MOUNT}；echo hello >> mnt/notes.txt；ls -l upper`),
  ],
  looksAt: t(
    "/proc/PID/mountinfo of the playground's processes, lstat and the content of upper/notes.txt and lower/notes.txt, and your answer",
    '练习场各进程的 /proc/PID/mountinfo，upper/notes.txt 与 lower/notes.txt 的 lstat 和内容，以及你的答案',
  ),
  setup: plantLayers,
  async observe(pg) {
    const { seen } = await unionOf(pg);
    const lowerText = readOr(join(pg.dir, 'lower/notes.txt'));
    const upperText = readOr(join(pg.dir, 'upper/notes.txt'));
    return {
      ...seen,
      answer: pg.answer,
      lowerNotes: entry(join(pg.dir, 'lower/notes.txt')),
      lowerSame: lowerText === NOTES,
      upperNotes: entry(join(pg.dir, 'upper/notes.txt')),
      upperTail: upperText !== undefined && upperText.startsWith(NOTES) ? upperText.slice(NOTES.length) : undefined,
    };
  },
  conditions: [
    mounted<CopyUpSize>(),
    {
      id: 'copied-up',
      description: t(
        `upper/notes.txt is the whole lower file followed by hello (${COPIED_SIZE} bytes), and lower/notes.txt is unchanged (${NOTES.length} bytes).`,
        `upper/notes.txt 是整个下层文件后接 hello（${COPIED_SIZE} 字节），lower/notes.txt 没有变（${NOTES.length} 字节）。`,
      ),
      evaluate: (o) => {
        const u = o.upperNotes;
        const pass = o.lowerSame && u.kind === 'file' && o.upperTail === APPENDED;
        const hint = pass
          ? undefined
          : !o.lowerSame
            ? t(
                `lower/notes.txt is now ${o.lowerNotes.size} bytes: you wrote to the lower layer itself, not through ./mnt. truncate -s ${NOTES.length} lower/notes.txt puts it back; then append through the union.`,
                `lower/notes.txt 现在是 ${o.lowerNotes.size} 字节：你写的是下层本身，而不是经 ./mnt。truncate -s ${NOTES.length} lower/notes.txt 可以改回去；然后经联合目录追加。`,
              )
            : u.kind === 'missing'
              ? t('upper/notes.txt does not exist: nothing has written notes.txt through the union yet (echo hello >> mnt/notes.txt).', 'upper/notes.txt 不存在：还没有经联合目录写过 notes.txt（echo hello >> mnt/notes.txt）。')
              : o.upperTail === undefined
                ? t(
                    `upper/notes.txt is ${u.size} bytes and does not begin with the lower file: > replaced it instead of appending to it. Start again and append with >>: umount mnt; rm upper/notes.txt; mount; echo hello >> mnt/notes.txt`,
                    `upper/notes.txt 是 ${u.size} 字节，开头不是下层文件：> 替换了它，而不是追加。请用 >> 追加；重新开始：umount mnt；rm upper/notes.txt；重新挂载；echo hello >> mnt/notes.txt`,
                  )
                : t(
                    `upper/notes.txt is ${u.size} bytes: after the lower file it holds ${JSON.stringify(o.upperTail)}, not ${JSON.stringify(APPENDED)}. Append exactly one line, once: umount mnt; rm upper/notes.txt; mount; echo hello >> mnt/notes.txt`,
                    `upper/notes.txt 是 ${u.size} 字节：下层文件之后是 ${JSON.stringify(o.upperTail)}，而不是 ${JSON.stringify(APPENDED)}。请只追加一行、一次：umount mnt；rm upper/notes.txt；重新挂载；echo hello >> mnt/notes.txt`,
                  );
        return {
          observed: `upper/notes.txt: ${showEntry(u)}; lower/notes.txt: ${showEntry(o.lowerNotes)}`,
          expected: `upper/notes.txt: file, ${COPIED_SIZE} B; lower/notes.txt: file, ${NOTES.length} B`,
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'prediction',
      description: t('Your answer is the size the kernel gave upper/notes.txt.', '你的答案等于内核给 upper/notes.txt 的大小。'),
      evaluate: (o) => {
        const said = o.answer === undefined ? undefined : Number(/^\d+/.exec(o.answer.replace(/[\s,_]/g, ''))?.[0] ?? NaN);
        const measured = o.upperNotes.kind === 'file' && o.upperTail === APPENDED && o.lowerSame ? o.upperNotes.size : undefined;
        const pass = said === COPIED_SIZE && measured === COPIED_SIZE;
        const hint = pass
          ? undefined
          : said === undefined
            ? t('no answer recorded: type answer N (your prediction, in bytes), then check again.', '还没有记录答案：输入 answer N（你预测的字节数），然后再 check。')
            : Number.isNaN(said)
              ? t(`"${o.answer}" is not a number of bytes: answer N`, `“${o.answer}”不是字节数：answer N`)
              : measured === undefined
                ? t(`your answer ${said} is noted; now append through the union and check again.`, `已记下你的答案 ${said}；现在经联合目录追加，然后再 check。`)
                : said === APPENDED.length
                  ? t(
                      `${said} bytes would be the appended line alone. overlayfs never stores a difference: the first write copies the whole lower file up (${NOTES.length} bytes), then appends to the copy: ${COPIED_SIZE}.`,
                      `${said} 字节只是追加的那一行。overlayfs 从不保存差异：第一次写时先把整个下层文件向上复制（${NOTES.length} 字节），再往副本里追加：${COPIED_SIZE}。`,
                    )
                  : t(
                      `the kernel made upper/notes.txt ${measured} bytes, not ${said}: the whole ${NOTES.length}-byte lower file was copied up, then the ${APPENDED.length} bytes appended.`,
                      `内核让 upper/notes.txt 成了 ${measured} 字节，而不是 ${said}：整个 ${NOTES.length} 字节的下层文件被向上复制，然后追加了 ${APPENDED.length} 字节。`,
                    );
        return {
          observed: t(`answer ${o.answer ?? '-'}; measured ${measured ?? '-'}`, `答案 ${o.answer ?? '-'}；测得 ${measured ?? '-'}`),
          expected: measured === undefined ? t('your answer, then the measurement', '先有你的答案，再有测量值') : t(`answer ${measured}`, `答案 ${measured}`),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
  ],
  solution: `answer ${COPIED_SIZE}
${MOUNT}
echo hello >> mnt/notes.txt`,
  nearMisses: [
    {
      id: 'only-the-line',
      what: t('predicts that only the appended line lands in upper', '预测只有追加的那一行落到 upper'),
      script: `answer ${APPENDED.length}\n${MOUNT}\necho hello >> mnt/notes.txt`,
      fails: 'prediction',
      hint: 'would be the appended line alone',
    },
    {
      id: 'wrote-lower',
      what: t('appends to the lower file itself', '直接追加到下层文件'),
      script: `answer ${COPIED_SIZE}\n${MOUNT}\necho hello >> lower/notes.txt`,
      fails: 'copied-up',
      hint: 'you wrote to the lower layer itself',
    },
  ],
});

export const exercises = [handWhiteout, opaqueSalad, copyUpSize];
