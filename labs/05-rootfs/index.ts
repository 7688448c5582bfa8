// 05-rootfs: the article's home-made image ("山寨镜像"): a rootfs folder, the mounts a
// container needs, configuration and a volume bound in from outside, entered with chroot (the
// article) and with pivot_root (runc) — and why the second one is the one to trust.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probePath, type SetupAction } from '../../addon/index.js';
import { Container, probeOnce, shown, type ProbeReport, basics, filesystem, namespaces, tool, interactive, mountsUnder, type Check, type Lab, type StepContext } from '../../runner/kit/index.js';
import { BINARIES, CONF_HOSTNAME, FHS, IMAGE_HOSTNAME, PROBE_IN_IMAGE, buildImage, fileSet, type Image } from './image.js';
import { CONTAINER_NS, DEV_ENTRIES, EXPECTED_MOUNTS, OLD_ROOT, chrootActions, escapeActions, pivotActions } from './setup.js';

/** What one way of entering the image showed. */
interface View {
  readonly probe: ProbeReport;
  readonly mountCmd: string;
  readonly lsBin: string[];
  readonly etcHostname: string;
  readonly hostname: string;
  readonly dev: string[];
  readonly volumeText: string | null;
  readonly tmpInside: string;
  /** The file written in the container's /tmp: named with the run's token, so nobody can plant it on the host beforehand. */
  readonly tmpFile: string;
  readonly tmpOnHost: string[];
  /** Mount points under the lab's scratch directory in the host's own table, while the container ran. */
  readonly hostMountsDuring: string[];
  /** Host mount points still present in the container's mount namespace (seen by a process that joins it). */
  readonly hostMountsInNs: string[];
}

interface Escape {
  readonly control: { readable: boolean; errno: string | null };
  readonly fromChroot: { readable: boolean; errno: string | null; mounts: number };
  readonly fromPivot: { readable: boolean; errno: string | null; mounts: string[] };
}

interface State {
  img?: Image;
  mountinfoBefore?: string;
  chroot?: View;
  pivot?: View;
  pid1?: { dollar: string; ps: { pid: number; comm: string }[]; output: string };
  escape?: Escape;
  after?: { added: string[]; ours: string[] };
}

const VOLUME_FILE = 'nslab-from-container.txt';
const VOLUME_TEXT = 'written in the container';
const MARKER = 'nslab-host-only.txt';

const requirements = [
  ...basics,
  namespaces(...CONTAINER_NS),
  filesystem('tmpfs'),
  filesystem('devpts'),
  filesystem('sysfs'),
  tool('bash', 'bash'),
  tool('sh', 'dash'),
  tool('ls', 'coreutils'),
  tool('ps', 'procps'),
  tool('mount', 'mount'),
  tool('hostname', 'hostname'),
];

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
  await shown(ctx, `cat ${volumeFile}`, ['/bin/cat', volumeFile], { where: 'host' });
  const volumeText = existsSync(volumeFile) ? readFileSync(volumeFile, 'utf8').trim() : null;
  const tmpFile = ctx.name('container-tmp.txt');
  const tmpInside = (await run(`echo secret > /tmp/${tmpFile}; ls /tmp`, ['/bin/sh', '-c', `echo secret > /tmp/${tmpFile}; ls /tmp`])).stdout.trim();
  await shown(ctx, `ls -a ${join(img.root, 'tmp')}`, ['/bin/ls', '-a', join(img.root, 'tmp')], { where: 'host' });
  const tmpOnHost = [join(img.root, 'tmp', tmpFile), join('/tmp', tmpFile)].filter((p) => existsSync(p));
  // A process that only joins the mount namespace (no chroot) lands at the namespace's root.
  const joined = await c.exec([joinProbe]);
  const line = joined.stdout.split('\n').find((l) => l.startsWith('{"probe":1'));
  const inNs = line ? ((JSON.parse(line) as ProbeReport).mounts ?? []).map((m) => m.target) : [];
  const expected = new Set(['/', ...EXPECTED_MOUNTS.map((m) => m.target)]);
  const host = new Set(hostTargets());
  return {
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

/** The checks both ways of entering the image must pass. */
function viewChecks(key: 'chroot' | 'pivot'): Check<State>[] {
  const v = (s: State) => s[key]!;
  return [
    {
      id: 'mounts-listed',
      description: "The container's mount table holds the article's list: proc, sysfs, tmpfs /tmp and /run, /dev, devpts, /dev/shm, the three conf files and /mnt.",
      evaluate: (s) => {
        const seen = v(s).probe.mounts ?? [];
        const missing = EXPECTED_MOUNTS.filter((e) => !seen.some((m) => m.target === e.target && (e.fstype === undefined || m.fstype === e.fstype)));
        const cmdMissing = EXPECTED_MOUNTS.filter((e) => !new RegExp(` on ${e.target} type `).test(v(s).mountCmd));
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
      evaluate: (s) => {
        const want = s.img!.programs.map((p) => p.name).sort();
        const got = [...v(s).lsBin].sort();
        return { observed: got.join(' '), expected: want.join(' '), pass: got.length > 0 && got.join(' ') === want.join(' ') };
      },
    },
    {
      id: 'etc-hostname-conf',
      description: '/etc/hostname inside reads the conf/ value, not the image\'s own file, and `hostname` agrees.',
      evaluate: (s) => ({
        observed: `cat /etc/hostname: ${v(s).etcHostname}; hostname: ${v(s).hostname}`,
        expected: `${CONF_HOSTNAME}; ${CONF_HOSTNAME} (the image has ${IMAGE_HOSTNAME})`,
        pass: v(s).etcHostname === CONF_HOSTNAME && v(s).hostname === CONF_HOSTNAME,
      }),
    },
    {
      id: 'dev-private',
      description: "/dev inside holds only the container's few device nodes and links, none of the host's devices (e.g. its disks).",
      evaluate: (s) => {
        const got = [...v(s).dev].sort();
        const want = [...DEV_ENTRIES].sort();
        return { observed: got.join(' ') || 'nothing', expected: want.join(' '), pass: got.join(' ') === want.join(' ') };
      },
    },
    {
      id: 'volume-on-host',
      description: 'A file written in /mnt inside appears in the host folder bound there (docker run -v).',
      evaluate: (s) => ({
        observed: v(s).volumeText === null ? `no ${VOLUME_FILE} in ${s.img!.volume}` : `host file says "${v(s).volumeText}"`,
        expected: `"${VOLUME_TEXT}"`,
        pass: v(s).volumeText === VOLUME_TEXT,
      }),
    },
    {
      id: 'tmp-private',
      description: "A file in the container's /tmp exists inside and nowhere on the host (neither the image's tmp folder nor /tmp).",
      evaluate: (s) => ({
        observed: `inside: ls /tmp -> ${v(s).tmpInside || '(empty)'}; on the host: ${v(s).tmpOnHost.join(', ') || 'not found'}`,
        expected: `${v(s).tmpFile} inside; not found on the host`,
        pass: v(s).tmpInside.split(/\s+/).includes(v(s).tmpFile) && v(s).tmpOnHost.length === 0,
      }),
    },
    {
      id: 'host-table-untouched',
      description: "While the container runs, the host's mount table has no mount under the lab's folder: every mount lives in the container's namespace.",
      evaluate: (s) => ({
        observed: v(s).hostMountsDuring.join(', ') || 'none',
        expected: 'none',
        pass: v(s).hostMountsDuring.length === 0,
      }),
    },
  ];
}

export const lab: Lab<State> = {
  id: '05-rootfs',
  title: { en: 'A home-made image: rootfs, chroot and pivot_root', zh: '山寨镜像:rootfs、chroot 与 pivot_root' },
  card: {
    problem: {
      en: 'A container should run the programs and libraries of its image, not the host\'s, with its own /proc, /dev and /tmp, while the runtime still decides hostname, DNS and volumes at start.',
      zh: '容器应当运行镜像里的程序和库,而不是宿主机的;它要有自己的 /proc、/dev 和 /tmp,同时主机名、DNS 和数据卷仍由运行时在启动时决定。',
    },
    tradeoff: {
      en: 'Changing the root is nearly free, but the image must carry every library its programs need, and the runtime must mount each kernel file system itself; chroot alone is not a security boundary.',
      zh: '换根几乎没有开销,但镜像必须带上程序需要的每一个库,运行时要自己挂载每个内核文件系统;单靠 chroot 并不是安全边界。',
    },
    usedBy: {
      en: 'runc and crun (pivot_root into the bundle\'s rootfs), Docker\'s /etc/hosts, hostname and resolv.conf bind mounts, docker run -v, systemd-nspawn, debootstrap chroots.',
      zh: 'runc 与 crun(pivot_root 进入 bundle 的 rootfs)、Docker 绑定挂载的 /etc/hosts、hostname、resolv.conf,docker run -v,systemd-nspawn,debootstrap 的 chroot 环境。',
    },
    parts: {
      en: 'A rootfs folder (FHS tree, programs, the loader and libraries from DT_NEEDED/ldd), a mount namespace made private, proc/sysfs/tmpfs/devpts mounts, bind mounts, chroot(2) or pivot_root(2) + umount2(MNT_DETACH).',
      zh: 'rootfs 目录(FHS 目录树、程序、按 DT_NEEDED/ldd 找到的加载器与库)、设为私有的 mount namespace、proc/sysfs/tmpfs/devpts 挂载、绑定挂载、chroot(2) 或 pivot_root(2) + umount2(MNT_DETACH)。',
    },
    kernel: {
      en: 'chroot only changes the task\'s fs->root; the mount tree stays. pivot_root moves the namespace\'s root mount under put_old and puts the new root in its place for every task whose root was the old one; detaching put_old removes the host tree from the namespace.',
      zh: 'chroot 只修改进程的 fs->root,挂载树原样保留;pivot_root 把 namespace 的根挂载移到 put_old 之下,让新根取而代之(对所有以旧根为根的进程生效);再卸载 put_old,宿主机的目录树就从这个 namespace 里消失了。',
    },
    alternatives: {
      en: 'A VM boots its own disk image; FreeBSD jails and Solaris zones give a changed root with kernel-enforced limits; union file systems (lab 11) stack image layers under the rootfs.',
      zh: '虚拟机启动自己的磁盘镜像;FreeBSD jail 和 Solaris zone 提供由内核强制约束的换根;联合文件系统(实验 11)把镜像分层叠在 rootfs 之下。',
    },
  },
  requirements,
  init: () => ({}),
  steps: [
    {
      id: 'image',
      title: { en: 'Build the image: a tree, programs and their libraries', zh: '制作镜像:目录树、程序和它们依赖的库' },
      explain: {
        en: 'A program linked against shared libraries names its loader (PT_INTERP) and the libraries it needs (DT_NEEDED) in its ELF headers; the loader finds them in RPATH/RUNPATH, the ld.so.conf directories and its system directories. nslab reads those headers itself and checks its answer against ldd, then copies programs, loader and libraries into the rootfs. Hostname, hosts and resolv.conf stay outside in conf/: the runtime decides them at start.',
        zh: '动态链接的程序在 ELF 头里写明了加载器(PT_INTERP)和所需的库(DT_NEEDED);加载器在 RPATH/RUNPATH、ld.so.conf 列出的目录和系统目录里查找它们。nslab 自己读取这些头部,再与 ldd 的结果核对,然后把程序、加载器和库复制进 rootfs。hostname、hosts、resolv.conf 放在外面的 conf/ 里:由运行时在启动时决定。',
      },
      article: 'ldd bash; cp ... ~/rootfs/bin; ls ./conf  # hostname hosts resolv.conf',
      modern: 'readelf -d /usr/bin/bash | grep NEEDED; ldd /usr/bin/bash',
      async run(ctx, s) {
        s.mountinfoBefore = readFileSync('/proc/self/mountinfo', 'utf8');
        s.img = await buildImage(ctx, true);
        for (const p of s.img.programs) {
          const agree = p.ldd ? (sameSet(fileSet(p), fileSet(p.ldd)) ? 'ldd agrees' : 'ldd DIFFERS') : 'no ldd';
          ctx.log(`${p.name.padEnd(9)} ${p.libs.length} libraries (${agree})`);
        }
        ctx.measure('libraries', s.img.libraries.length);
      },
      checks: [
        {
          id: 'fhs-tree',
          description: "The rootfs has the article's directories (bin dev etc home lib lib64 mnt opt proc root run sbin sys tmp usr var).",
          evaluate: (s) => {
            const got = readdirSync(s.img!.root).sort();
            return { observed: got.join(' '), expected: `${FHS.join(' ')} (at least)`, pass: FHS.every((d) => got.includes(d)) };
          },
        },
        {
          id: 'libs-resolved',
          description: 'Every library every copied program needs (transitively) was found and copied.',
          evaluate: (s) => {
            const missing = s.img!.programs.flatMap((p) => p.libs.filter((l) => !l.path).map((l) => `${p.name}: ${l.name}`));
            const notCopied = s.img!.libraries.filter((l) => !existsSync(join(s.img!.root, l)));
            return {
              observed: `${s.img!.programs.length} programs, ${s.img!.libraries.length} files (loader + libraries); unresolved: ${missing.join(', ') || 'none'}; not copied: ${notCopied.join(', ') || 'none'}`,
              expected: `${BINARIES.length} programs; none unresolved, none missing`,
              pass: s.img!.programs.length === BINARIES.length && missing.length === 0 && notCopied.length === 0 && s.img!.libraries.length > 0,
            };
          },
        },
        {
          id: 'ldd-agrees',
          description: "nslab's own ELF resolver finds the same files as ldd for every program (compared by real path; the vDSO has no file).",
          evaluate: (s) => {
            const progs = s.img!.programs;
            if (progs.some((p) => !p.ldd)) return { observed: 'ldd is not installed', expected: 'ldd output', pass: false, skip: 'ldd is not installed (apt-get install libc-bin)' };
            const differ = progs.filter((p) => !sameSet(fileSet(p), fileSet(p.ldd!)));
            return {
              observed: differ.length === 0 ? `${progs.length} of ${progs.length} programs agree` : `differ: ${differ.map((p) => `${p.name} (ours ${[...fileSet(p)].join(',')}; ldd ${[...fileSet(p.ldd!)].join(',')})`).join('; ')}`,
              expected: `${progs.length} of ${progs.length} programs agree`,
              pass: progs.length > 0 && differ.length === 0,
            };
          },
        },
      ],
    },
    {
      id: 'chroot',
      title: { en: "The article's way: mount, bind conf and a volume, then chroot", zh: '文章的做法:挂载、绑定 conf 和数据卷,然后 chroot' },
      explain: {
        en: 'In new UTS, IPC, PID and mount namespaces (made private first, so nothing propagates to the host) the child mounts proc, sysfs, tmpfs on /tmp and /run, a /dev, devpts and /dev/shm under the rootfs, binds the conf files over /etc and a host folder over /mnt, then chdir+chroot. The /dev is a small private tmpfs with six device nodes: the article\'s devtmpfs is the host\'s one shared instance, so it would show every host disk and let the container add or remove nodes on the host. devpts uses newinstance so the container gets its own terminals.',
        zh: '在新的 UTS、IPC、PID 和 mount namespace 中(先设为私有,挂载不会传播到宿主机),子进程在 rootfs 下挂载 proc、sysfs、/tmp 与 /run 的 tmpfs、/dev、devpts 和 /dev/shm,把 conf 文件绑定到 /etc、把宿主机目录绑定到 /mnt,然后 chdir+chroot。这里的 /dev 是只有六个设备节点的小 tmpfs:文章用的 devtmpfs 是宿主机唯一的那一份,容器会看到宿主机所有磁盘,还能在宿主机上增删节点。devpts 加 newinstance,容器就有自己独立的终端。',
      },
      article: 'mount("udev", "rootfs/dev", "devtmpfs", 0, NULL); ... chdir("./rootfs"); chroot("./");',
      modern: 'mount -t tmpfs -o mode=755 tmpfs rootfs/dev; mknod rootfs/dev/null c 1 3; mount -t devpts -o newinstance,ptmxmode=0666 devpts rootfs/dev/pts; chroot rootfs',
      async run(ctx, s) {
        s.chroot = await enter(ctx, s.img!, 'chroot');
      },
      checks: [
        ...viewChecks('chroot'),
        {
          id: 'host-tree-still-there',
          description: "Behind the chroot the container's mount namespace still holds the host's mounts (a process that joins it without chroot sees them).",
          evaluate: (s) => ({
            observed: `${s.chroot!.hostMountsInNs.length} host mount points, e.g. ${s.chroot!.hostMountsInNs.slice(0, 4).join(' ')}`,
            expected: 'at least one host mount point',
            pass: s.chroot!.hostMountsInNs.length > 0,
          }),
        },
      ],
    },
    {
      id: 'pivot-root',
      title: { en: "runc's way: pivot_root and detach the old root", zh: 'runc 的做法:pivot_root 并卸载旧根' },
      explain: {
        en: 'pivot_root needs the new root to be a mount point, so the rootfs is first bind-mounted onto itself. The same mounts follow; then pivot_root(".", "nslab-oldroot") makes the rootfs the namespace\'s root and parks the host\'s tree under nslab-oldroot, and umount2(MNT_DETACH) drops it. Afterwards the host\'s files are not hidden but gone from this namespace.',
        zh: 'pivot_root 要求新根是一个挂载点,所以先把 rootfs 绑定挂载到它自己身上。接着做同样的挂载;然后 pivot_root(".", "nslab-oldroot") 让 rootfs 成为 namespace 的根,宿主机的目录树暂放在 nslab-oldroot 下,再用 umount2(MNT_DETACH) 卸掉。此后宿主机的文件不是被藏起来,而是在这个 namespace 里根本不存在了。',
      },
      modern: `mount --bind rootfs rootfs; cd rootfs; mkdir ${OLD_ROOT}; pivot_root . ${OLD_ROOT}; umount -l /${OLD_ROOT}   # runc: pivot_root(".", "."); umount2(".", MNT_DETACH)`,
      async run(ctx, s) {
        s.pivot = await enter(ctx, s.img!, 'pivot');
      },
      checks: [
        ...viewChecks('pivot'),
        {
          id: 'old-root-gone',
          description: "After pivot_root and the detach, the container's mount namespace holds no host mount at all (a process that joins it sees only the container's).",
          evaluate: (s) => {
            const mounts = (s.pivot!.probe.mounts ?? []).map((m) => m.target);
            const stray = mounts.filter((t) => t !== '/' && !EXPECTED_MOUNTS.some((e) => e.target === t));
            return {
              observed: `host mount points in the namespace: ${s.pivot!.hostMountsInNs.join(' ') || 'none'}; other mounts inside: ${stray.join(' ') || 'none'}`,
              expected: 'none; none',
              pass: mounts.length > 0 && s.pivot!.hostMountsInNs.length === 0 && stray.length === 0,
            };
          },
        },
      ],
    },
    {
      id: 'pid1',
      title: { en: 'The shell is PID 1 of the container', zh: 'shell 是容器里的 1 号进程' },
      explain: {
        en: 'The article ends in /bin/bash inside. Started as the container\'s first process, bash is PID 1 of the new PID namespace, and ps — reading the container\'s own /proc — lists only bash and itself.',
        zh: '文章最后进入容器里的 /bin/bash。作为容器的第一个进程启动时,bash 就是新 PID namespace 的 1 号进程;ps 读的是容器自己的 /proc,只列出 bash 和它自己。',
      },
      article: 'char* const container_args[] = { "/bin/bash", "-l", NULL }; execv(container_args[0], container_args);',
      modern: 'unshare --uts --ipc --pid --mount --fork --mount-proc chroot rootfs /bin/bash',
      async run(ctx, s) {
        const script = 'echo "pid of this shell: $$"\nps -e -o pid,comm\n';
        const { child, id } = ctx.spawn(
          { namespaces: CONTAINER_NS, argv: ['/bin/bash', '-s'], actions: pivotActions(s.img!), stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/bin:/sbin' } },
          'bash container',
        );
        let out;
        try {
          child.stdin?.end(script);
          out = await child.output();
        } finally {
          ctx.cleanup.release(id);
        }
        const output = (out.stdout + out.stderr).trim();
        ctx.transcript({ command: `/bin/bash <<'EOF'\n${script}EOF`, output, where: 'container (bash is its first process)' });
        const dollar = /pid of this shell: (\d+)/.exec(out.stdout)?.[1] ?? '';
        const ps = out.stdout
          .split('\n')
          .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ pid: Number(m[1]), comm: m[2]! }));
        s.pid1 = { dollar, ps, output };
      },
      checks: [
        {
          id: 'shell-is-pid1',
          description: 'The shell started in the container is PID 1 there ($$ and ps agree).',
          evaluate: (s) => {
            const one = s.pid1!.ps.find((p) => p.pid === 1);
            return {
              observed: `$$ = ${s.pid1!.dollar || '?'}; ps: PID 1 is ${one?.comm ?? 'missing'}`,
              expected: '$$ = 1; ps: PID 1 is bash',
              pass: s.pid1!.dollar === '1' && one?.comm === 'bash',
            };
          },
        },
        {
          id: 'ps-only-container',
          description: 'ps inside lists only the container\'s processes: bash and ps itself.',
          evaluate: (s) => ({
            observed: s.pid1!.ps.map((p) => `${p.pid} ${p.comm}`).join(', ') || 'nothing',
            expected: '1 bash, <n> ps (2 processes)',
            pass: s.pid1!.ps.length === 2 && s.pid1!.ps.some((p) => p.comm === 'ps'),
          }),
        },
      ],
    },
    {
      id: 'escape',
      title: { en: 'Leaving a chroot, and why pivot_root holds', zh: '逃出 chroot,以及 pivot_root 为什么关得住' },
      explain: {
        en: 'chroot changes where "/" points, not where the process is. A root process inside makes a directory, chroots into it — its working directory is now outside its root, so ".." is never stopped — climbs up and chroots to "." : it is back at the top of the mount tree, which after a plain chroot is the host\'s. After pivot_root with the old root detached the same moves end at the rootfs, because nothing above it is left. (Real runtimes also drop CAP_SYS_CHROOT and use user namespaces.)',
        zh: 'chroot 改变的是 "/" 指向哪里,而不是进程在哪里。容器里的 root 进程新建一个目录并 chroot 进去——此时它的当前目录在根之外,".." 永远不会被根挡住——一路向上,再 chroot("."),就回到了挂载树的顶端:普通 chroot 之后,那就是宿主机的根。pivot_root 并卸掉旧根之后,同样的动作只能停在 rootfs,因为它上面什么都没有了。(真正的运行时还会去掉 CAP_SYS_CHROOT 并使用 user namespace。)',
      },
      article: 'if ( chdir("./rootfs") != 0 || chroot("./") != 0 ){',
      modern: 'mkdir x; chroot x; cd ../../../..; chroot .   # the classic escape, tried in both containers',
      async run(ctx, s) {
        const img = s.img!;
        const marker = join(img.scratch, MARKER);
        writeFileSync(marker, 'only on the host\n');
        const read = (r: ProbeReport) => ({ readable: r.read?.ok === true, errno: r.read?.errno ?? null });
        // Control: inside the plain chroot the host file is out of reach.
        const control = await probeOnce(ctx, { namespaces: CONTAINER_NS, actions: chrootActions(img), probeFile: PROBE_IN_IMAGE, probeArgs: ['--read', marker], label: 'chroot control' });
        // After the escape the host's own probe (a host path) can be executed at all only from the host's tree.
        const esc = await probeOnce(ctx, { namespaces: CONTAINER_NS, actions: [...chrootActions(img), ...escapeActions()], probeFile: probePath(), probeArgs: ['--read', marker], label: 'chroot escape' });
        const piv = await probeOnce(ctx, { namespaces: CONTAINER_NS, actions: [...pivotActions(img), ...escapeActions()], probeFile: PROBE_IN_IMAGE, probeArgs: ['--read', marker], label: 'pivot_root escape' });
        s.escape = {
          control: read(control.report),
          fromChroot: { ...read(esc.report), mounts: esc.report.mounts?.length ?? 0 },
          fromPivot: { ...read(piv.report), mounts: (piv.report.mounts ?? []).map((m) => m.target) },
        };
        // The probe's own answer: its "read" field, and how many mount points it can see.
        const fmt = (r: ProbeReport) => `"read":${JSON.stringify(r.read)} (and ${r.mounts?.length ?? 0} mount points)`;
        const trick = 'mkdir /nslab-escape; chroot /nslab-escape; cd ../../../..(x32); chroot .;';
        ctx.transcript({ command: `nslab-probe --read ${marker}`, output: fmt(control.report), where: 'chroot container' });
        ctx.transcript({ command: `${trick} ${probePath()} --read ${marker}`, output: fmt(esc.report), where: 'chroot container' });
        ctx.transcript({ command: `${trick} nslab-probe --read ${marker}`, output: fmt(piv.report), where: 'pivot_root container' });
      },
      checks: [
        {
          id: 'chroot-hides',
          description: 'Control: inside the chroot, before any trick, the host-only file cannot be opened.',
          evaluate: (s) => ({
            observed: s.escape!.control.readable ? 'readable' : `not readable (${s.escape!.control.errno})`,
            expected: 'not readable (ENOENT)',
            pass: !s.escape!.control.readable && s.escape!.control.errno === 'ENOENT',
          }),
        },
        {
          id: 'chroot-escaped',
          description: "A root process leaves the chroot: after the escape it runs the host's probe by its host path and reads the host-only file.",
          evaluate: (s) => ({
            observed: `host probe ran; host-only file ${s.escape!.fromChroot.readable ? 'readable' : `not readable (${s.escape!.fromChroot.errno})`}; ${s.escape!.fromChroot.mounts} mount points visible`,
            expected: 'host probe ran; host-only file readable',
            pass: s.escape!.fromChroot.readable,
          }),
        },
        {
          id: 'pivot-holds',
          description: 'After pivot_root with the old root detached, the same escape stays inside: the host-only file cannot be opened and only the container\'s mounts are visible.',
          evaluate: (s) => {
            const p = s.escape!.fromPivot;
            const stray = p.mounts.filter((t) => t !== '/' && !EXPECTED_MOUNTS.some((e) => e.target === t));
            return {
              observed: `host-only file ${p.readable ? 'readable' : `not readable (${p.errno})`}; mounts besides the container's: ${stray.join(' ') || 'none'}`,
              expected: 'not readable (ENOENT); none',
              pass: !p.readable && p.errno === 'ENOENT' && p.mounts.length > 0 && stray.length === 0,
            };
          },
        },
      ],
    },
    {
      id: 'host-clean',
      title: { en: 'Nothing of it is mounted on the host', zh: '宿主机上没有留下任何挂载' },
      explain: {
        en: 'Every mount of this lab was made inside a private mount namespace; when its last process exited the kernel dropped the whole tree. The host\'s own mount table never saw any of it.',
        zh: '本实验的每一次挂载都发生在私有的 mount namespace 里;最后一个进程退出时,内核把整棵挂载树一起释放。宿主机自己的挂载表从头到尾没有出现过它们。',
      },
      modern: 'diff <(cat /proc/self/mountinfo) mountinfo.before',
      async run(ctx, s) {
        const before = new Set(s.mountinfoBefore!.split('\n').filter(Boolean));
        const now = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
        const added = now.filter((l) => !before.has(l));
        const ours = added.filter((l) => l.includes(ctx.cleanup.run.dir));
        s.after = { added, ours };
        ctx.transcript({ command: 'diff mountinfo.before /proc/self/mountinfo', output: added.join('\n') || '(no difference)', where: 'host' });
      },
      checks: [
        {
          id: 'no-mounts-left',
          description: "The host's mount table has no mount of this lab (compared with the table before the lab; mounts of other programs are listed, not counted).",
          evaluate: (s) => ({
            observed: `lab mounts: ${s.after!.ours.length}; other new lines: ${s.after!.added.length - s.after!.ours.length}; under the lab folder: ${mountsUnder(s.img!.scratch).length}`,
            expected: 'lab mounts: 0; under the lab folder: 0',
            pass: s.after!.ours.length === 0 && mountsUnder(s.img!.scratch).length === 0,
          }),
        },
      ],
    },
  ],
  shell: {
    async open(ctx) {
      const img = await buildImage(ctx, false);
      return interactive(ctx, { labId: '05-rootfs', namespaces: CONTAINER_NS, actions: pivotActions(img), shell: '/bin/bash' });
    },
  },
};

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
