// Entering the image two ways — the article's chroot and runc's pivot_root — and looking around
// inside with the image's own programs, the same way each time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probePath, type SetupAction } from '../../addon/index.js';
import { Container, attempt, mountsUnder, shown, step, type Check, type ProbeReport, type StepContext } from '../../runner/kit/index.js';
import { CONF_HOSTNAME, IMAGE_HOSTNAME, PROBE_IN_IMAGE, image, type Image } from './image.js';
import { CONTAINER_NS, DEV_ENTRIES, EXPECTED_MOUNTS, OLD_ROOT, chrootActions, pivotActions } from './setup.js';

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
  readonly etcHostname: string;
  readonly hostname: string;
  readonly dev: readonly string[];
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
  const dev = (await run('ls /dev', ['/bin/ls', '/dev'])).stdout.split('\n').filter(Boolean);
  await run(`echo '${VOLUME_TEXT}' > /mnt/${VOLUME_FILE}`, ['/bin/sh', '-c', `echo '${VOLUME_TEXT}' > /mnt/${VOLUME_FILE}`]);
  const volumeFile = join(img.volume, VOLUME_FILE);
  await attempt(ctx, ['cat', volumeFile], { where: 'host' });
  const volumeText = existsSync(volumeFile) ? readFileSync(volumeFile, 'utf8').trim() : null;
  const tmpFile = ctx.name('container-tmp.txt');
  const tmpInside = (await run(`echo secret > /tmp/${tmpFile}; ls /tmp`, ['/bin/sh', '-c', `echo secret > /tmp/${tmpFile}; ls /tmp`])).stdout.trim();
  await attempt(ctx, ['ls', '-a', join(img.root, 'tmp')], { where: 'host' });
  // Without its own tmpfs the container's /tmp is the image's tmp folder, beneath our run directory:
  // that is where a leak would show. (The host's /tmp is world-writable: nslab never looks there.)
  const tmpOnHost = [join(img.root, 'tmp', tmpFile)].filter((p) => existsSync(p));
  // A process that only joins the mount namespace (no chroot) lands at the namespace's root.
  const joined = await c.exec([joinProbe]);
  const line = joined.stdout.split('\n').find((l) => l.startsWith('{"probe":1'));
  const inNs = line ? ((JSON.parse(line) as ProbeReport).mounts ?? []).map((m) => m.target) : [];
  const expected = new Set(['/', ...EXPECTED_MOUNTS.map((m) => m.target)]);
  const host = new Set(hostTargets());
  return {
    bin: img.programs.map((p) => p.name),
    volume: img.volume,
    probe: c.report,
    mountCmd,
    lsBin,
    etcHostname,
    hostname,
    dev,
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
    label: chroot ? 'chroot container' : 'pivot_root container',
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
export const strayMounts = (targets: readonly string[]) => targets.filter((t) => t !== '/' && !EXPECTED_MOUNTS.some((e) => e.target === t));

/** The checks both ways of entering the image must pass. */
const viewChecks: readonly Check<View>[] = [
  {
    id: 'mounts-listed',
    description: "The container's mount table holds the article's list: proc, sysfs, tmpfs /tmp and /run, /dev, devpts, /dev/shm, the three conf files and /mnt.",
    evaluate: (v) => {
      const seen = v.probe.mounts ?? [];
      const missing = EXPECTED_MOUNTS.filter((e) => !seen.some((m) => m.target === e.target && (e.fstype === undefined || m.fstype === e.fstype)));
      const cmdMissing = EXPECTED_MOUNTS.filter((e) => !new RegExp(` on ${e.target} type `).test(v.mountCmd));
      return {
        observed: `probe: ${seen.map((m) => `${m.target}(${m.fstype})`).join(' ')}; \`mount\` misses ${cmdMissing.map((m) => m.target).join(' ') || 'nothing'}`,
        expected: EXPECTED_MOUNTS.map((m) => `${m.target}${m.fstype ? `(${m.fstype})` : ''}`).join(' '),
        pass: seen.length > 0 && missing.length === 0 && cmdMissing.length === 0,
      };
    },
  },
  {
    id: 'bin-only-copied',
    description: '`ls /bin` inside lists exactly the programs copied into the image.',
    evaluate: (v) => {
      const want = [...v.bin].sort();
      const got = [...v.lsBin].sort();
      return { observed: got.join(' '), expected: want.join(' '), pass: got.length > 0 && got.join(' ') === want.join(' ') };
    },
  },
  {
    id: 'etc-hostname-conf',
    description: '/etc/hostname inside reads the conf/ value, not the image\'s own file, and `hostname` agrees.',
    evaluate: (v) => ({
      observed: `cat /etc/hostname: ${v.etcHostname}; hostname: ${v.hostname}`,
      expected: `${CONF_HOSTNAME}; ${CONF_HOSTNAME} (the image has ${IMAGE_HOSTNAME})`,
      pass: v.etcHostname === CONF_HOSTNAME && v.hostname === CONF_HOSTNAME,
    }),
  },
  {
    id: 'dev-private',
    description: "/dev inside holds only the container's few device nodes and links, none of the host's devices (e.g. its disks).",
    evaluate: (v) => {
      const got = [...v.dev].sort();
      const want = [...DEV_ENTRIES].sort();
      return { observed: got.join(' ') || 'nothing', expected: want.join(' '), pass: got.join(' ') === want.join(' ') };
    },
  },
  {
    id: 'volume-on-host',
    description: 'A file written in /mnt inside appears in the host folder bound there (docker run -v).',
    evaluate: (v) => ({
      observed: v.volumeText === null ? `no ${VOLUME_FILE} in ${v.volume}` : `host file says "${v.volumeText}"`,
      expected: `"${VOLUME_TEXT}"`,
      pass: v.volumeText === VOLUME_TEXT,
    }),
  },
  {
    id: 'tmp-private',
    description: "A file in the container's /tmp exists inside, and not in the image's tmp folder on the host.",
    evaluate: (v) => ({
      observed: `inside: ls /tmp -> ${v.tmpInside || '(empty)'}; on the host: ${v.tmpOnHost.join(', ') || 'not found'}`,
      expected: `${v.tmpFile} inside; not found on the host`,
      pass: v.tmpInside.split(/\s+/).includes(v.tmpFile) && v.tmpOnHost.length === 0,
    }),
  },
  {
    id: 'host-table-untouched',
    description: "While the container runs, the host's mount table has no mount under the lab's folder: every mount lives in the container's namespace.",
    evaluate: (v) => ({
      observed: v.hostMountsDuring.join(', ') || 'none',
      expected: 'none',
      pass: v.hostMountsDuring.length === 0,
    }),
  },
];

export const chroot = step<View>({
  id: 'chroot',
  title: { en: "The article's way: mount, bind conf and a volume, then chroot", zh: '文章的做法:挂载、绑定 conf 和数据卷,然后 chroot' },
  explain: {
    en: 'In new UTS, IPC, PID and mount namespaces (made private first, so nothing propagates to the host) the child mounts proc, sysfs, tmpfs on /tmp and /run, a /dev, devpts and /dev/shm under the rootfs, binds the conf files over /etc and a host folder over /mnt, then chdir+chroot. The /dev is a small private tmpfs with six device nodes: the article\'s devtmpfs is the host\'s one shared instance, so it would show every host disk and let the container add or remove nodes on the host. devpts uses newinstance so the container gets its own terminals.',
    zh: '在新的 UTS、IPC、PID 和 mount namespace 中(先设为私有,挂载不会传播到宿主机),子进程在 rootfs 下挂载 proc、sysfs、/tmp 与 /run 的 tmpfs、/dev、devpts 和 /dev/shm,把 conf 文件绑定到 /etc、把宿主机目录绑定到 /mnt,然后 chdir+chroot。这里的 /dev 是只有六个设备节点的小 tmpfs:文章用的 devtmpfs 是宿主机唯一的那一份,容器会看到宿主机所有磁盘,还能在宿主机上增删节点。devpts 加 newinstance,容器就有自己独立的终端。',
  },
  article: 'mount("udev", "rootfs/dev", "devtmpfs", 0, NULL); ... chdir("./rootfs"); chroot("./");',
  modern: 'mount -t tmpfs -o mode=755 tmpfs rootfs/dev; mknod rootfs/dev/null c 1 3; mount -t devpts -o newinstance,ptmxmode=0666 devpts rootfs/dev/pts; chroot rootfs',
  run: (ctx) => enter(ctx, ctx.observed(image).image, 'chroot'),
  checks: [
    ...viewChecks,
    {
      id: 'host-tree-still-there',
      description: "Behind the chroot the container's mount namespace still holds the host's mounts (a process that joins it without chroot sees them).",
      evaluate: (v) => ({
        observed: `${v.hostMountsInNs.length} host mount points, e.g. ${v.hostMountsInNs.slice(0, 4).join(' ')}`,
        expected: 'at least one host mount point',
        pass: v.hostMountsInNs.length > 0,
      }),
    },
  ],
});

export const pivotRoot = step<View>({
  id: 'pivot-root',
  title: { en: "runc's way: pivot_root and detach the old root", zh: 'runc 的做法:pivot_root 并卸载旧根' },
  explain: {
    en: 'pivot_root needs the new root to be a mount point, so the rootfs is first bind-mounted onto itself. The same mounts follow; then pivot_root(".", "nslab-oldroot") makes the rootfs the namespace\'s root and parks the host\'s tree under nslab-oldroot, and umount2(MNT_DETACH) drops it. Afterwards the host\'s files are not hidden but gone from this namespace.',
    zh: 'pivot_root 要求新根是一个挂载点,所以先把 rootfs 绑定挂载到它自己身上。接着做同样的挂载;然后 pivot_root(".", "nslab-oldroot") 让 rootfs 成为 namespace 的根,宿主机的目录树暂放在 nslab-oldroot 下,再用 umount2(MNT_DETACH) 卸掉。此后宿主机的文件不是被藏起来,而是在这个 namespace 里根本不存在了。',
  },
  modern: `mount --bind rootfs rootfs; cd rootfs; mkdir ${OLD_ROOT}; pivot_root . ${OLD_ROOT}; umount -l /${OLD_ROOT}   # runc: pivot_root(".", "."); umount2(".", MNT_DETACH)`,
  run: (ctx) => enter(ctx, ctx.observed(image).image, 'pivot'),
  checks: [
    ...viewChecks,
    {
      id: 'old-root-gone',
      description: "After pivot_root and the detach, the container's mount namespace holds no host mount at all (a process that joins it sees only the container's).",
      evaluate: (v) => {
        const mounts = (v.probe.mounts ?? []).map((m) => m.target);
        const stray = strayMounts(mounts);
        return {
          observed: `host mount points in the namespace: ${v.hostMountsInNs.join(' ') || 'none'}; other mounts inside: ${stray.join(' ') || 'none'}`,
          expected: 'none; none',
          pass: mounts.length > 0 && v.hostMountsInNs.length === 0 && stray.length === 0,
        };
      },
    },
  ],
});
