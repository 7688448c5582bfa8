// The last three steps: the shell as PID 1 of the image, the classic chroot escape tried in both
// containers, and the host's mount table compared with what it was before the lab.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probePath } from '../../addon/index.js';
import { Container, WHERE, mountsUnder, step, t, type ContainerSpec, type ProbeReport, type StepContext, type Text } from '../../runner/kit/index.js';
import { fileId, strayMounts } from './enter.js';
import { PROBE_IN_IMAGE, image } from './image.js';
import { CONTAINER_NS, chrootActions, escapeActions, pivotActions } from './setup.js';

const MARKER = 'nslab-host-only.txt';

/** bash started as the container's first process, and what it printed. */
export interface Pid1 {
  /** What `echo $$` printed. */
  readonly dollar: string;
  /** `ps -e -o pid,comm` rows. */
  readonly ps: readonly { pid: number; comm: string }[];
  readonly output: string;
}

/** What one process reached: its root as the kernel has it, the host-only file, the mounts it sees. */
export interface Reached {
  /** device:inode of /proc/PID/root, stat'ed from the host while the process held (null: unreadable). */
  readonly rootId: string | null;
  /** What the process itself reads as its root (readlink /proc/self/root). */
  readonly root: string | null;
  readonly readable: boolean;
  readonly errno: string | null;
  readonly mounts: readonly string[];
}

/** The host-only file and the root reached, from inside each container. */
export interface Escape {
  /** device:inode of the host's / and of the image folder (rootfs/). */
  readonly hostRootId: string | null;
  readonly imageRootId: string | null;
  readonly control: Reached;
  readonly fromChroot: Reached;
  readonly fromPivot: Reached;
}

/** The host's mount table after the lab, against the one before it. */
export interface HostClean {
  /** Lines of /proc/self/mountinfo that were not there before the lab. */
  readonly added: readonly string[];
  /** Those of them under this run's directory. */
  readonly ours: readonly string[];
  /** Mount points under the lab's scratch folder now. */
  readonly underLab: readonly string[];
}

export const pid1 = step<Pid1>({
  id: 'pid1',
  title: { en: 'The shell is PID 1 of the container', zh: 'shell 是容器里的 1 号进程' },
  explain: {
    en: 'The article ends in /bin/bash inside. Started as the container\'s first process, bash is PID 1 of the new PID namespace, and ps — reading the container\'s own /proc — lists only bash and itself.',
    zh: '文章最后进入容器里的 /bin/bash。作为容器的第一个进程启动时，bash 就是新 PID namespace 的 1 号进程；ps 读的是容器自己的 /proc，只列出 bash 和它自己。',
  },
  article: 'char* const container_args[] = { "/bin/bash", "-l", NULL }; execv(container_args[0], container_args);',
  modern: 'unshare --uts --ipc --pid --mount --fork --mount-proc chroot rootfs /bin/bash',
  async run(ctx) {
    const img = ctx.observed(image).image;
    const script = 'echo "pid of this shell: $$"\nps -e -o pid,comm\n';
    const { child, id } = ctx.spawn(
      { namespaces: CONTAINER_NS, argv: ['/bin/bash', '-s'], actions: pivotActions(img), stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/bin:/sbin' } },
      t('bash container', 'bash 容器'),
    );
    let out;
    try {
      child.stdin?.end(script);
      out = await child.output();
    } finally {
      ctx.cleanup.release(id);
    }
    const output = (out.stdout + out.stderr).trim();
    ctx.transcript({ command: `/bin/bash <<'EOF'\n${script}EOF`, output, where: t('container (bash is its first process)', '容器（bash 是它的第一个进程）') });
    const dollar = /pid of this shell: (\d+)/.exec(out.stdout)?.[1] ?? '';
    const ps = out.stdout
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), comm: m[2]! }));
    return { dollar, ps, output };
  },
  checks: [
    {
      id: 'shell-is-pid1',
      description: t('The shell started in the container is PID 1 there ($$ and ps agree).', '在容器里启动的 shell 就是那里的 1 号进程（$$ 和 ps 一致）。'),
      evaluate: (o) => {
        const one = o.ps.find((p) => p.pid === 1);
        return {
          observed: t(`$$ = ${o.dollar || '?'}; ps: PID 1 is ${one?.comm ?? 'missing'}`, `$$ = ${o.dollar || '?'}；ps：1 号进程是 ${one?.comm ?? '（没有）'}`),
          expected: t('$$ = 1; ps: PID 1 is bash', '$$ = 1；ps：1 号进程是 bash'),
          pass: o.dollar === '1' && one?.comm === 'bash',
        };
      },
    },
    {
      id: 'ps-only-container',
      description: t("ps inside lists only the container's processes: bash and ps itself.", '容器里的 ps 只列出容器自己的进程：bash 和 ps 自己。'),
      evaluate: (o) => ({
        observed:
          o.ps.length > 0
            ? t(`processes: ${o.ps.map((p) => `${p.pid} ${p.comm}`).join(', ')}`, `进程：${o.ps.map((p) => `${p.pid} ${p.comm}`).join('，')}`)
            : t('nothing', '什么也没有'),
        expected: t('1 bash, <n> ps (2 processes)', '1 bash，<n> ps（共 2 个进程）'),
        pass: o.ps.length === 2 && o.ps.some((p) => p.comm === 'ps'),
      }),
    },
  ],
});

/**
 * Start the probe in a container built by `actions`, let it try the host-only file, and look from
 * the host at the root the kernel gives it while it holds.
 */
async function reach(ctx: StepContext, spec: ContainerSpec, marker: string): Promise<{ reached: Reached; report: ProbeReport }> {
  const c = await Container.start(ctx, { ...spec, probeArgs: ['--read', marker] });
  let rootId: string | null;
  try {
    rootId = fileId(`/proc/${c.pid}/root`);
  } finally {
    await c.stop();
  }
  const r = c.report;
  const reached: Reached = {
    rootId,
    root: r.root,
    readable: r.read?.ok === true,
    errno: r.read?.errno ?? null,
    mounts: (r.mounts ?? []).map((m) => m.target),
  };
  return { reached, report: r };
}

/** Which root a device:inode is: the host's /, the rootfs, or something else. */
const rootName = (o: Escape, id: string | null): Text =>
  id === null
    ? t('unreadable', '无法读取')
    : id === o.hostRootId
      ? t(`the host's / (${id})`, `宿主机的 /（${id}）`)
      : id === o.imageRootId
        ? t(`rootfs/ (${id})`, `rootfs/（${id}）`)
        : t(`something else (${id})`, `别的目录（${id}）`);
const fileSeen = (r: Reached): Text => (r.readable ? t('readable', '可以读取') : t(`not readable (${r.errno})`, `无法读取（${r.errno}）`));

export const escape = step<Escape>({
  id: 'escape',
  title: { en: 'Leaving a chroot, and why pivot_root holds', zh: '逃出 chroot，以及 pivot_root 为什么关得住' },
  explain: {
    en: 'chroot changes where "/" points, not where the process is. A root process inside makes a directory, chroots into it — its working directory is now outside its root, so ".." is never stopped — climbs up and chroots to "." : it is back at the top of the mount tree, which after a plain chroot is the host\'s. After pivot_root with the old root detached (umount2 with MNT_DETACH) the same moves end at the rootfs, because nothing above it is left in the namespace: that, not a missing capability, is what holds. Docker\'s default capability set keeps CAP_SYS_CHROOT, and user namespaces are off by default, so a root process in a default container can make these calls. nslab looks from the host at /proc/PID/root of each process to see which root the kernel gave it.',
    zh: 'chroot 改变的是 "/" 指向哪里，而不是进程在哪里。容器里的 root 进程新建一个目录并 chroot 进去——此时它的当前目录在根之外，".." 永远不会被根挡住——一路向上，再 chroot(".")，就回到了挂载树的顶端：普通 chroot 之后，那就是宿主机的根。pivot_root 并用 umount2(MNT_DETACH) 卸掉旧根之后，同样的动作只能停在 rootfs，因为这个 namespace 里它上面什么都没有了：关住进程的是这一点，而不是少了哪项能力（capability）。Docker 默认的能力（capability）集合保留了 CAP_SYS_CHROOT，user namespace 默认也不开启，所以默认容器里的 root 进程完全可以做这些调用。nslab 从宿主机查看每个进程的 /proc/PID/root，看内核给了它哪个根。',
  },
  article: 'if ( chdir("./rootfs") != 0 || chroot("./") != 0 ){',
  modern: {
    en: 'mkdir x; chroot x; cd ../../../..; chroot .   # the classic escape, tried in both containers',
    zh: 'mkdir x; chroot x; cd ../../../..; chroot .   # 经典的逃逸方法，在两个容器里各试一次',
  },
  async run(ctx) {
    const img = ctx.observed(image).image;
    const marker = join(img.scratch, MARKER);
    writeFileSync(marker, 'only on the host\n');
    // Control: inside the plain chroot the host file is out of reach.
    const control = await reach(ctx, { namespaces: CONTAINER_NS, actions: chrootActions(img), probeFile: PROBE_IN_IMAGE, label: t('chroot control', 'chroot 对照组') }, marker);
    // After the escape the host's own probe (a host path) can be executed at all only from the host's tree.
    const esc = await reach(ctx, { namespaces: CONTAINER_NS, actions: [...chrootActions(img), ...escapeActions()], probeFile: probePath(), label: t('chroot escape', 'chroot 逃逸') }, marker);
    const piv = await reach(ctx, { namespaces: CONTAINER_NS, actions: [...pivotActions(img), ...escapeActions()], probeFile: PROBE_IN_IMAGE, label: t('pivot_root escape', 'pivot_root 逃逸') }, marker);
    // The probe's own answer: its "read" field, its root, and how many mount points it can see.
    const fmt = (r: ProbeReport) => `"read":${JSON.stringify(r.read)} "root":${JSON.stringify(r.root)} "mounts":${r.mounts?.length ?? 0}`;
    const trick = 'mkdir /nslab-escape; chroot /nslab-escape; cd ../../../..(x32); chroot .;';
    const chrootWhere = t('chroot container', 'chroot 容器');
    ctx.transcript({ command: `nslab-probe --read ${marker}`, output: fmt(control.report), where: chrootWhere });
    ctx.transcript({ command: `${trick} ${probePath()} --read ${marker}`, output: fmt(esc.report), where: chrootWhere });
    ctx.transcript({ command: `${trick} nslab-probe --read ${marker}`, output: fmt(piv.report), where: t('pivot_root container', 'pivot_root 容器') });
    const seen: Escape = { hostRootId: fileId('/'), imageRootId: fileId(img.root), control: control.reached, fromChroot: esc.reached, fromPivot: piv.reached };
    const roots = [seen.control, seen.fromChroot, seen.fromPivot].map((r) => rootName(seen, r.rootId));
    ctx.log(
      t(
        `stat /proc/PID/root from the host: control ${roots[0]!.en}; after the escape from chroot ${roots[1]!.en}; from pivot_root ${roots[2]!.en}`,
        `从宿主机 stat /proc/PID/root：对照组是 ${roots[0]!.zh}；从 chroot 逃逸后是 ${roots[1]!.zh}；从 pivot_root 逃逸后是 ${roots[2]!.zh}`,
      ),
    );
    return seen;
  },
  checks: [
    {
      id: 'chroot-hides',
      description: t(
        'Control: inside the chroot, before any trick, the process\'s root is rootfs/ and the host-only file cannot be opened.',
        '对照组：在 chroot 里、还没耍任何花招时，进程的根是 rootfs/，宿主机独有的文件打不开。',
      ),
      evaluate: (o) => {
        const root = rootName(o, o.control.rootId);
        const file = fileSeen(o.control);
        return {
          observed: t(`root: ${root.en}; host-only file ${file.en}`, `根：${root.zh}；宿主机独有的文件${file.zh}`),
          expected: t('root: rootfs/; host-only file not readable (ENOENT)', '根：rootfs/；宿主机独有的文件无法读取（ENOENT）'),
          pass: o.control.rootId !== null && o.control.rootId === o.imageRootId && !o.control.readable && o.control.errno === 'ENOENT',
        };
      },
    },
    {
      id: 'chroot-escaped',
      description: t(
        "A root process leaves the chroot: after the escape its root is the host's / (same device and inode), where it runs the host's probe by its host path and reads the host-only file.",
        'root 进程逃出了 chroot：逃逸之后它的根是宿主机的 /（设备号和 inode 相同），它能按宿主机路径运行宿主机上的探针，并读到宿主机独有的文件。',
      ),
      evaluate: (o) => {
        const r = o.fromChroot;
        const root = rootName(o, r.rootId);
        const file = fileSeen(r);
        return {
          observed: t(
            `root: ${root.en}; host probe ran; host-only file ${file.en}; ${r.mounts.length} mount points visible`,
            `根：${root.zh}；宿主机的探针运行了；宿主机独有的文件${file.zh}；能看到 ${r.mounts.length} 个挂载点`,
          ),
          expected: t("root: the host's /; host-only file readable", '根：宿主机的 /；宿主机独有的文件可以读取'),
          pass: r.rootId !== null && r.rootId === o.hostRootId && r.rootId !== o.imageRootId && r.readable,
        };
      },
    },
    {
      id: 'pivot-holds',
      description: t(
        "After pivot_root with the old root detached, the same escape stays inside: the root is still rootfs/, the host-only file cannot be opened and only the container's mounts are visible.",
        'pivot_root 并卸掉旧根之后，同样的逃逸留在容器里：根仍然是 rootfs/，宿主机独有的文件打不开，只能看到容器自己的挂载。',
      ),
      evaluate: (o) => {
        const p = o.fromPivot;
        const stray = strayMounts(p.mounts);
        const root = rootName(o, p.rootId);
        const file = fileSeen(p);
        const others = stray.length > 0 ? stray.join(' ') : t('none', '没有');
        return {
          observed: t(
            `root: ${root.en}; host-only file ${file.en}; mounts besides the container's: ${typeof others === 'string' ? others : others.en}`,
            `根：${root.zh}；宿主机独有的文件${file.zh}；容器之外的挂载：${typeof others === 'string' ? others : others.zh}`,
          ),
          expected: t('root: rootfs/; not readable (ENOENT); none', '根：rootfs/；无法读取（ENOENT）；没有'),
          pass: p.rootId !== null && p.rootId === o.imageRootId && !p.readable && p.errno === 'ENOENT' && p.mounts.length > 0 && stray.length === 0,
        };
      },
    },
  ],
});

export const hostClean = step<HostClean>({
  id: 'host-clean',
  title: { en: 'Nothing of it is mounted on the host', zh: '宿主机上没有留下任何挂载' },
  explain: {
    en: 'Every mount of this lab was made inside a private mount namespace; when its last process exited the kernel dropped the whole tree. The host\'s own mount table never saw any of it.',
    zh: '本实验的每一次挂载都发生在私有的 mount namespace 里；最后一个进程退出时，内核把整棵挂载树一起释放。宿主机自己的挂载表从头到尾没有出现过它们。',
  },
  modern: 'diff <(cat /proc/self/mountinfo) mountinfo.before',
  async run(ctx) {
    const built = ctx.observed(image);
    const before = new Set(built.mountinfoBefore);
    const now = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
    const added = now.filter((l) => !before.has(l));
    const ours = added.filter((l) => l.includes(ctx.cleanup.run.dir));
    ctx.transcript({ command: 'diff mountinfo.before /proc/self/mountinfo', output: added.join('\n'), where: WHERE.host });
    if (added.length === 0) ctx.log(t('no difference: the mount table is exactly as before the lab', '没有差别：挂载表与实验前完全一样'));
    return { added, ours, underLab: mountsUnder(built.image.scratch) };
  },
  checks: [
    {
      id: 'no-mounts-left',
      description: t(
        "The host's mount table has no mount of this lab (compared with the table before the lab; mounts of other programs are listed, not counted).",
        '宿主机的挂载表里没有本实验的任何挂载（与实验前的挂载表比较；其他程序的挂载只列出，不计入）。',
      ),
      evaluate: (o) => ({
        observed: t(
          `lab mounts: ${o.ours.length}; other new lines: ${o.added.length - o.ours.length}; under the lab folder: ${o.underLab.length}`,
          `本实验的挂载：${o.ours.length}；其他新增行：${o.added.length - o.ours.length}；实验目录下：${o.underLab.length}`,
        ),
        expected: t('lab mounts: 0; under the lab folder: 0', '本实验的挂载：0；实验目录下：0'),
        pass: o.ours.length === 0 && o.underLab.length === 0,
      }),
    },
  ],
});
