// Entering the image two ways — the article's chroot and runc's pivot_root — and looking around
// inside with the image's own programs, the same way each time.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { probePath, type SetupAction } from '../../addon/index.js';
import { Container, WHERE, attempt, listDir, mountsUnder, shown, step, t, type Check, type ProbeReport, type StepContext, type Text } from '../../runner/kit/index.js';
import { PROBE_IN_IMAGE, image, type Image } from './image.js';
import { CONTAINER_NS, DEV_ENTRIES, EXPECTED_MOUNTS, OLD_ROOT, chrootActions, pivotActions, seenAt } from './setup.js';

export const VOLUME_FILE = 'nslab-from-container.txt';
export const VOLUME_TEXT = 'written in the container';

/** What one way of entering the image showed. */
export interface View {
  /** The programs copied into the image's /bin (what `ls /bin` must list). */
  readonly bin: readonly string[];
  /** The host folder bound onto /mnt. */
  readonly volume: string;
  readonly probe: ProbeReport;
  readonly mountCmd: string;
  readonly lsBin: readonly string[];
  /** The container's root as the kernel has it (stat /proc/PID/root from the host), the image folder's and the host's `/`. */
  readonly rootId: string | null;
  readonly imageRootId: string | null;
  readonly hostRootId: string | null;
  /** For each conf file: what the container sees at /etc/<name> (stat through /proc/PID/root), conf/<name> and the image's own etc/<name>. */
  readonly conf: readonly ConfFile[];
  readonly dev: readonly string[];
  /** The image's dev folder as the host sees it (the nodes must be in the container's tmpfs, not here). */
  readonly imageDev: readonly string[];
  /** What the host file behind /mnt/<VOLUME_FILE> says (null: no such file). */
  readonly volumeText: string | null;
  readonly tmpInside: string;
  /** The file written in the container's /tmp: named with the run's token, so nobody can plant it on the host beforehand. */
  readonly tmpFile: string;
  readonly tmpOnHost: readonly string[];
  /** Mount points under the lab's scratch directory in the host's own table, while the container ran. */
  readonly hostMountsDuring: readonly string[];
  /** Host mount points still present in the container's mount namespace (seen by a process that joins it). */
  readonly hostMountsInNs: readonly string[];
}

/** One of the files the runtime binds over the image's /etc, by device:inode. */
export interface ConfFile {
  readonly name: string;
  readonly inside: string | null;
  readonly conf: string | null;
  readonly image: string | null;
}

/** A file's identity as the kernel has it: device:inode (null: no such file). */
export function fileId(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

export const CONF_FILES = ['hostname', 'hosts', 'resolv.conf'] as const;

/** Mount points of the host's table (read by nslab, in the host's mount namespace). */
function hostTargets(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((t): t is string => t !== undefined);
}

/** Look at a running container the way a learner would, with the image's own programs. */
async function inspect(ctx: StepContext, img: Image, c: Container, enter: readonly SetupAction[], joinProbe: string): Promise<View> {
  const run = (cmd: string, argv: string[]) => shown(ctx, cmd, argv, { container: c, actions: enter });
  const mountCmd = (await run('mount', ['/bin/mount'])).stdout;
  const lsBin = (await run('ls /bin', ['/bin/ls', '/bin'])).stdout.split('\n').filter(Boolean);
  const etcHostname = (await run('cat /etc/hostname', ['/bin/cat', '/etc/hostname'])).stdout.trim();
  const hostname = (await run('hostname', ['/bin/hostname'])).stdout.trim();
  // Both values were written by nslab (conf/hostname, sethostname): shown, not judged.
  ctx.log(
    t(
      `read back: /etc/hostname says ${etcHostname || '(nothing)'}, hostname says ${hostname || '(nothing)'}; nslab wrote both, so the check below looks at which file the kernel resolves instead`,
      `回读：/etc/hostname 的内容是 ${etcHostname || '（空）'}，hostname 输出 ${hostname || '（空）'}；这两个值都是 nslab 自己写的，所以下面的检查改看内核把这个路径解析到了哪个文件`,
    ),
  );
  // The kernel's view, from the host: /proc/PID/root is the container's root, and a path below it
  // is resolved in the container's mount namespace (its bind mounts included).
  const procRoot = `/proc/${c.pid}/root`;
  const conf = CONF_FILES.map((name) => ({
    name,
    inside: fileId(join(procRoot, 'etc', name)),
    conf: fileId(join(img.conf, name)),
    image: fileId(join(img.root, 'etc', name)),
  }));
  const rootId = fileId(procRoot);
  const dev = (await run('ls /dev', ['/bin/ls', '/dev'])).stdout.split('\n').filter(Boolean);
  await run(`echo '${VOLUME_TEXT}' > /mnt/${VOLUME_FILE}`, ['/bin/sh', '-c', `echo '${VOLUME_TEXT}' > /mnt/${VOLUME_FILE}`]);
  const volumeFile = join(img.volume, VOLUME_FILE);
  await attempt(ctx, ['cat', volumeFile], { where: WHERE.host });
  const volumeText = existsSync(volumeFile) ? readFileSync(volumeFile, 'utf8').trim() : null;
  const tmpFile = ctx.name('container-tmp.txt');
  const tmpInside = (await run(`echo secret > /tmp/${tmpFile}; ls /tmp`, ['/bin/sh', '-c', `echo secret > /tmp/${tmpFile}; ls /tmp`])).stdout.trim();
  await attempt(ctx, ['ls', '-a', join(img.root, 'tmp')], { where: WHERE.host });
  // Without its own tmpfs the container's /tmp is the image's tmp folder, beneath our run directory:
  // that is where a leak would show. (The host's /tmp is world-writable: nslab never looks there.)
  const tmpOnHost = [join(img.root, 'tmp', tmpFile)].filter((p) => existsSync(p));
  // A process that only joins the mount namespace (no chroot) lands at the namespace's root.
  const joined = await c.exec([joinProbe]);
  const line = joined.stdout.split('\n').find((l) => l.startsWith('{"probe":1'));
  const inNs = line ? ((JSON.parse(line) as ProbeReport).mounts ?? []).map((m) => m.target) : [];
  const expected = new Set(['/', ...EXPECTED_MOUNTS.map(seenAt)]);
  const host = new Set(hostTargets());
  return {
    bin: img.programs.map((p) => p.name),
    volume: img.volume,
    probe: c.report,
    mountCmd,
    lsBin,
    rootId,
    imageRootId: fileId(img.root),
    hostRootId: fileId('/'),
    conf,
    dev,
    imageDev: listDir(join(img.root, 'dev')).sort(),
    volumeText,
    tmpInside,
    tmpFile,
    tmpOnHost,
    hostMountsDuring: mountsUnder(img.scratch),
    hostMountsInNs: [...new Set(inNs.filter((t) => !expected.has(t) && host.has(t)))],
  };
}

/** Start the container one way or the other, look around inside, stop it. */
async function enter(ctx: StepContext, img: Image, how: 'chroot' | 'pivot'): Promise<View> {
  const chroot = how === 'chroot';
  const c = await Container.start(ctx, {
    namespaces: CONTAINER_NS,
    actions: chroot ? chrootActions(img) : pivotActions(img),
    probeFile: PROBE_IN_IMAGE,
    label: chroot ? t('chroot container', 'chroot 容器') : t('pivot_root container', 'pivot_root 容器'),
  });
  try {
    // Joining the mount namespace lands at its root: the host's tree (chroot again) or the rootfs.
    const again: SetupAction[] = chroot ? [{ do: 'chroot', path: img.root }, { do: 'chdir', path: '/' }] : [];
    return await inspect(ctx, img, c, again, chroot ? probePath() : PROBE_IN_IMAGE);
  } finally {
    await c.stop();
  }
}

/** Mount points besides `/` and the container's own list. */
export const strayMounts = (targets: readonly string[]) => targets.filter((t) => t !== '/' && !EXPECTED_MOUNTS.some((e) => seenAt(e) === t));

const NONE = t('none', '没有');
/** A list of values, or "none". */
const listOr = (xs: readonly string[], sep = ' '): string | Text => (xs.length > 0 ? xs.join(sep) : NONE);
const en = (x: string | Text) => (typeof x === 'string' ? x : x.en);
const zh = (x: string | Text) => (typeof x === 'string' ? x : x.zh);

/** The checks both ways of entering the image must pass. */
const viewChecks: readonly Check<View>[] = [
  {
    id: 'root-is-image',
    description: t(
      "The container's root, as the kernel has it (/proc/PID/root seen from the host), is the image folder: same device and inode as rootfs/, not the host's /.",
      '内核记录的容器根目录（从宿主机看 /proc/PID/root）就是镜像目录：设备号和 inode 与 rootfs/ 相同，而不是宿主机的 /。',
    ),
    evaluate: (v) => ({
      observed: t(
        `root ${v.rootId ?? 'unreadable'}; rootfs/ ${v.imageRootId ?? '?'}; host / ${v.hostRootId ?? '?'}`,
        `根 ${v.rootId ?? '无法读取'}；rootfs/ ${v.imageRootId ?? '?'}；宿主机 / ${v.hostRootId ?? '?'}`,
      ),
      expected: t(`root = rootfs/ (${v.imageRootId ?? '?'}), not host /`, `根 = rootfs/（${v.imageRootId ?? '?'}），不是宿主机 /`),
      pass: v.rootId !== null && v.rootId === v.imageRootId && v.rootId !== v.hostRootId,
    }),
  },
  {
    id: 'mounts-listed',
    description: t(
      "The container's mount table holds the article's list: proc, sysfs, tmpfs /tmp and /run, /dev, devpts, /dev/shm, the three conf files and /mnt.",
      '容器的挂载表里有文章列出的全部挂载：proc、sysfs、/tmp 与 /run 的 tmpfs、/dev、devpts、/dev/shm、三个 conf 文件和 /mnt。',
    ),
    evaluate: (v) => {
      const seen = v.probe.mounts ?? [];
      const missing = EXPECTED_MOUNTS.filter((e) => !seen.some((m) => m.target === seenAt(e) && (e.fstype === undefined || m.fstype === e.fstype)));
      const notInCmd = EXPECTED_MOUNTS.filter((e) => !new RegExp(` on ${seenAt(e)} type `).test(v.mountCmd)).map(seenAt);
      const cmdMissing = listOr(notInCmd);
      const probe = seen.map((m) => `${m.target}(${m.fstype})`).join(' ');
      return {
        observed: t(`probe: ${probe}; \`mount\` misses ${en(cmdMissing)}`, `探针：${probe}；\`mount\` 缺少：${zh(cmdMissing)}`),
        expected: EXPECTED_MOUNTS.map((m) => `${seenAt(m)}${m.fstype ? `(${m.fstype})` : ''}`).join(' '),
        pass: seen.length > 0 && missing.length === 0 && notInCmd.length === 0,
      };
    },
  },
  {
    id: 'bin-only-copied',
    description: t('`ls /bin` inside lists exactly the programs copied into the image.', '容器里的 `ls /bin` 恰好列出复制进镜像的那些程序。'),
    evaluate: (v) => {
      const want = [...v.bin].sort();
      const got = [...v.lsBin].sort();
      const shownGot = listOr(got);
      return {
        observed: t(`programs: ${en(shownGot)}`, `程序：${zh(shownGot)}`),
        expected: t(`programs: ${want.join(' ')}`, `程序：${want.join(' ')}`),
        pass: got.length > 0 && got.join(' ') === want.join(' '),
      };
    },
  },
  {
    id: 'conf-bound',
    description: t(
      "/etc/hostname, /etc/hosts and /etc/resolv.conf inside are the host's conf/ files (same device and inode, resolved through /proc/PID/root), not the image's own.",
      '容器里的 /etc/hostname、/etc/hosts、/etc/resolv.conf 就是宿主机 conf/ 下的文件（经 /proc/PID/root 解析，设备号和 inode 相同），而不是镜像自带的文件。',
    ),
    evaluate: (v) => {
      const bad = v.conf.filter((f) => f.inside === null || f.inside !== f.conf || f.inside === f.image);
      // Which file the container's /etc/<name> is: conf/'s, the image's, another one, or none.
      const which = (f: ConfFile): Text =>
        f.inside === null
          ? t(`${f.name}: missing`, `${f.name}：不存在`)
          : f.inside === f.conf
            ? t(`${f.name}: conf/${f.name} (${f.inside})`, `${f.name}：就是 conf/${f.name}（${f.inside}）`)
            : f.inside === f.image
              ? t(`${f.name}: the image's own (${f.inside})`, `${f.name}：镜像自带的（${f.inside}）`)
              : t(`${f.name}: another file (${f.inside})`, `${f.name}：别的文件（${f.inside}）`);
      const rows = v.conf.map(which);
      return {
        observed: t(rows.map((r) => r.en).join('; ') || 'no file looked at', rows.map((r) => r.zh).join('；') || '没有查看任何文件'),
        expected: t(`${CONF_FILES.join(', ')}: each the same device:inode as its conf/ file`, `${CONF_FILES.join('、')}：设备号和 inode 都与 conf/ 下的对应文件相同`),
        pass: v.conf.length === CONF_FILES.length && bad.length === 0,
      };
    },
  },
  {
    id: 'dev-private',
    description: t(
      "/dev inside is a tmpfs of the container's own holding only its few device nodes and links, none of the host's devices (e.g. its disks); the image's dev folder on the host stays empty.",
      '容器里的 /dev 是它自己的 tmpfs，只有少数几个设备节点和链接，没有宿主机的任何设备（比如磁盘）；宿主机上镜像的 dev 目录仍然是空的。',
    ),
    evaluate: (v) => {
      const got = [...v.dev].sort();
      const want = [...DEV_ENTRIES].sort();
      const devMount = (v.probe.mounts ?? []).filter((m) => m.target === '/dev').pop();
      const fs = devMount?.fstype ?? t('no mount', '没有挂载');
      const imageDev = listOr(v.imageDev);
      return {
        observed: t(
          `/dev: ${en(fs)}, ls: ${en(listOr(got))}; image dev/ on the host: ${en(imageDev)}`,
          `/dev：${zh(fs)}，ls：${zh(listOr(got))}；宿主机上镜像的 dev/：${zh(imageDev)}`,
        ),
        expected: t(`/dev: tmpfs, ls: ${want.join(' ')}; image dev/ on the host: none`, `/dev：tmpfs，ls：${want.join(' ')}；宿主机上镜像的 dev/：没有`),
        pass: devMount?.fstype === 'tmpfs' && got.join(' ') === want.join(' ') && v.imageDev.length === 0,
      };
    },
  },
  {
    id: 'volume-on-host',
    description: t('A file written in /mnt inside appears in the host folder bound there (docker run -v).', '在容器的 /mnt 里写的文件出现在绑定到那里的宿主机目录中（docker run -v）。'),
    evaluate: (v) => ({
      observed:
        v.volumeText === null
          ? t(`no ${VOLUME_FILE} in ${v.volume}`, `${v.volume} 里没有 ${VOLUME_FILE}`)
          : t(`host file says "${v.volumeText}"`, `宿主机上的文件内容是“${v.volumeText}”`),
      expected: t(`host file says "${VOLUME_TEXT}"`, `宿主机上的文件内容是“${VOLUME_TEXT}”`),
      pass: v.volumeText === VOLUME_TEXT,
    }),
  },
  {
    id: 'tmp-private',
    description: t(
      "A file written in the container's /tmp is there inside, and not in the image's tmp folder on the host.",
      '写进容器 /tmp 的文件在容器里存在，但不在宿主机上镜像的 tmp 目录里。',
    ),
    evaluate: (v) => {
      const onHost = v.tmpOnHost.length > 0 ? v.tmpOnHost.join(', ') : t('not found', '找不到');
      const ls = v.tmpInside || t('(empty)', '（空）');
      return {
        observed: t(`inside: ls /tmp -> ${en(ls)}; on the host: ${en(onHost)}`, `容器里：ls /tmp -> ${zh(ls)}；宿主机上：${zh(onHost)}`),
        expected: t(`${v.tmpFile} inside; not found on the host`, `容器里有 ${v.tmpFile}；宿主机上找不到`),
        pass: v.tmpInside.split(/\s+/).includes(v.tmpFile) && v.tmpOnHost.length === 0,
      };
    },
  },
  {
    id: 'host-table-untouched',
    description: t(
      "While the container runs, the host's mount table has no mount under the lab's folder: every mount lives in the container's namespace.",
      '容器运行期间，宿主机的挂载表里在实验目录下没有任何挂载：所有挂载都只在容器的 namespace 里。',
    ),
    evaluate: (v) => ({
      observed: listOr(v.hostMountsDuring, ', '),
      expected: NONE,
      pass: v.hostMountsDuring.length === 0,
    }),
  },
];

export const chroot = step<View>({
  id: 'chroot',
  title: { en: "The article's way: mount, bind conf and a volume, then chroot", zh: '文章的做法：挂载、绑定 conf 和数据卷，然后 chroot' },
  explain: {
    en: 'In new UTS, IPC, PID and mount namespaces (made private first, so nothing propagates to the host) the child mounts proc, sysfs, tmpfs on /tmp and /run, a /dev, devpts and /dev/shm under the rootfs, binds the conf files over /etc and a host folder over /mnt, then chdir+chroot. The /dev is a small private tmpfs with six device nodes: the article\'s devtmpfs is the host\'s one shared instance, so it would show every host disk and let the container add or remove nodes on the host. The devpts mount is an instance of its own with its own terminals: since Linux 4.7 every devpts mount is a new instance, so the newinstance option nslab still passes is historical (a no-op today).',
    zh: '在新的 UTS、IPC、PID 和 mount namespace 中（先设为私有，挂载不会传播到宿主机），子进程在 rootfs 下挂载 proc、sysfs、/tmp 与 /run 的 tmpfs、/dev、devpts 和 /dev/shm，把 conf 文件绑定挂载到 /etc、把宿主机目录绑定挂载到 /mnt，然后 chdir+chroot。这里的 /dev 是只有六个设备节点的小 tmpfs：文章用的 devtmpfs 是宿主机唯一的那一份，容器会看到宿主机所有磁盘，还能在宿主机上增删节点。devpts 挂载是独立的一份，有自己的终端：从 Linux 4.7 起每次挂载 devpts 都是新的实例，nslab 仍然传的 newinstance 选项只是历史遗留（如今不起作用）。',
  },
  article: 'mount("udev", "rootfs/dev", "devtmpfs", 0, NULL); ... chdir("./rootfs"); chroot("./");',
  modern: 'mount -t tmpfs -o mode=755 tmpfs rootfs/dev; mknod rootfs/dev/null c 1 3; mount -t devpts -o newinstance,ptmxmode=0666 devpts rootfs/dev/pts; chroot rootfs',
  run: (ctx) => enter(ctx, ctx.observed(image).image, 'chroot'),
  checks: [
    ...viewChecks,
    {
      id: 'host-tree-still-there',
      description: t(
        "Behind the chroot the container's mount namespace still holds the host's mounts (a process that joins it without chroot sees them).",
        'chroot 背后，容器的 mount namespace 里仍然有宿主机的挂载（不做 chroot、只加入这个 namespace 的进程能看到它们）。',
      ),
      evaluate: (v) => {
        const eg = v.hostMountsInNs.slice(0, 4).join(' ');
        return {
          observed: t(`${v.hostMountsInNs.length} host mount points, e.g. ${eg}`, `${v.hostMountsInNs.length} 个宿主机挂载点，例如 ${eg}`),
          expected: t('at least one host mount point', '至少一个宿主机挂载点'),
          pass: v.hostMountsInNs.length > 0,
        };
      },
    },
  ],
});

export const pivotRoot = step<View>({
  id: 'pivot-root',
  title: { en: "runc's way: pivot_root and detach the old root", zh: 'runc 的做法：pivot_root 并卸载旧根' },
  explain: {
    en: 'pivot_root needs the new root to be a mount point, so the rootfs is first bind-mounted onto itself. The same mounts follow; then pivot_root(".", "nslab-oldroot") makes the rootfs the namespace\'s root and parks the host\'s tree under nslab-oldroot, and umount2(MNT_DETACH) drops it. Afterwards the host\'s files are not hidden but gone from this namespace.',
    zh: 'pivot_root 要求新根是一个挂载点，所以先把 rootfs 绑定挂载到它自己身上。接着做同样的挂载；然后 pivot_root(".", "nslab-oldroot") 让 rootfs 成为 namespace 的根，宿主机的目录树暂放在 nslab-oldroot 下，再用 umount2(MNT_DETACH) 卸掉。此后宿主机的文件不是被藏起来，而是在这个 namespace 里根本不存在了。',
  },
  modern: {
    en: `mount --bind rootfs rootfs; cd rootfs; mkdir ${OLD_ROOT}; pivot_root . ${OLD_ROOT}; umount -l /${OLD_ROOT}   # runc: pivot_root(".", "."); umount2(".", MNT_DETACH)`,
    zh: `mount --bind rootfs rootfs; cd rootfs; mkdir ${OLD_ROOT}; pivot_root . ${OLD_ROOT}; umount -l /${OLD_ROOT}   # runc 的做法：pivot_root(".", ".")；umount2(".", MNT_DETACH)`,
  },
  run: (ctx) => enter(ctx, ctx.observed(image).image, 'pivot'),
  checks: [
    ...viewChecks,
    {
      id: 'old-root-gone',
      description: t(
        "After pivot_root and the detach, the container's mount namespace holds no host mount at all (a process that joins it sees only the container's).",
        'pivot_root 并卸掉旧根之后，容器的 mount namespace 里没有任何宿主机挂载（加入这个 namespace 的进程只看到容器自己的挂载）。',
      ),
      evaluate: (v) => {
        const mounts = (v.probe.mounts ?? []).map((m) => m.target);
        const inNs = listOr(v.hostMountsInNs);
        const stray = listOr(strayMounts(mounts));
        return {
          observed: t(
            `host mount points in the namespace: ${en(inNs)}; other mounts inside: ${en(stray)}`,
            `namespace 里的宿主机挂载点：${zh(inNs)}；容器里的其他挂载：${zh(stray)}`,
          ),
          expected: t('none; none', '没有；没有'),
          pass: mounts.length > 0 && v.hostMountsInNs.length === 0 && strayMounts(mounts).length === 0,
        };
      },
    },
  ],
});
