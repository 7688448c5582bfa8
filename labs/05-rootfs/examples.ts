// Made-up observations for 05-rootfs's checks, modelled on a run on Debian x86-64: one that
// passes each step, and for each check the ways it really goes wrong (a library ldd could not
// find, the host's devtmpfs on /dev, a mount that propagated to the host, an old root left
// attached, a chroot that holds or a pivot_root that leaks…).
import { examples, madeUpProbe, type MountEntry, type ProbeReport } from '../../runner/kit/index.js';
import type { Escape, HostClean, Pid1, Reached } from './after.js';
import { CONF_FILES, VOLUME_TEXT, type ConfFile, type View } from './enter.js';
import { BINARIES, FHS, type Built, type Program } from './image.js';
import { chroot, escape, hostClean, image, pid1, pivotRoot } from './index.js';
import { filesToCopy } from './ldd.js';
import { DEV_ENTRIES, EXPECTED_MOUNTS, seenAt } from './setup.js';

const SCRATCH = '/run/nslab/19ed/scratch';
const LOADER = '/lib64/ld-linux-x86-64.so.2';

// ---- image ----

/** What ldd printed for each program here (libc.so.6 alone unless listed). */
const NEEDS: Readonly<Record<string, readonly string[]>> = {
  bash: ['libtinfo.so.6', 'libc.so.6'],
  ls: ['libselinux.so.1', 'libc.so.6', 'libpcre2-8.so.0'],
  ps: ['libproc2.so.0', 'libc.so.6', 'libsystemd.so.0', 'libcap.so.2', 'libgcrypt.so.20', 'liblzma.so.5', 'libzstd.so.1', 'liblz4.so.1', 'libgpg-error.so.0'],
  mount: ['libmount.so.1', 'libselinux.so.1', 'libc.so.6', 'libblkid.so.1', 'libpcre2-8.so.0'],
  umount: ['libmount.so.1', 'libc.so.6', 'libblkid.so.1', 'libselinux.so.1', 'libpcre2-8.so.0'],
  id: ['libselinux.so.1', 'libc.so.6', 'libpcre2-8.so.0'],
  mkdir: ['libselinux.so.1', 'libc.so.6', 'libpcre2-8.so.0'],
};

const prog = (name: string, ldd: Partial<Program['ldd']> = {}): Program => ({
  name,
  host: `/usr/bin/${name}`,
  ldd: {
    file: `/usr/bin/${name}`,
    loader: LOADER,
    libs: (NEEDS[name] ?? ['libc.so.6']).map((n) => ({ name: n, path: `/lib/x86_64-linux-gnu/${n}` })),
    isStatic: false,
    ...ldd,
  },
});

function built(programs: readonly Program[], more: Partial<Built> = {}): Built {
  return {
    image: {
      scratch: SCRATCH,
      root: `${SCRATCH}/rootfs`,
      conf: `${SCRATCH}/conf`,
      volume: `${SCRATCH}/nslab-volume`,
      programs,
      libraries: filesToCopy(programs.map((p) => p.ldd)),
      missing: BINARIES.filter((b) => !programs.some((p) => p.name === b)),
    },
    mountinfoBefore: ['26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw', '27 26 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw'],
    rootEntries: [...FHS],
    notCopied: [],
    ...more,
  };
}

const img = built(BINARIES.map((b) => prog(b)));
const withProgram = (name: string, p: Program) => built(BINARIES.map((b) => (b === name ? p : prog(b))));

// ---- chroot and pivot-root ----

const mountsSeen = (withRoot: boolean): MountEntry[] => [
  ...(withRoot ? [{ target: '/', fstype: 'ext4', source: '/dev/sda1' }] : []),
  ...EXPECTED_MOUNTS.map((m) => ({ target: seenAt(m), fstype: m.fstype ?? 'ext4', source: m.fstype ?? '/dev/sda1' })),
];

const probe = (mounts: MountEntry[] | null): ProbeReport => madeUpProbe({ hostname: 'container', ns: { uts: 4026532178, ipc: 4026532179, pid: 4026532180, mnt: 4026532177 }, pids: [1], procCount: 1, mounts });

// device:inode as stat shows them: the host's /, the rootfs folder, conf/ and the image's etc/.
const HOST_ROOT = '64768:2';
const ROOTFS = '64768:1311004';
const conf = (name: string, i: number): ConfFile => ({ name, inside: `64768:13110${20 + i}`, conf: `64768:13110${20 + i}`, image: `64768:13110${40 + i}` });
const CONF: ConfFile[] = CONF_FILES.map(conf);

const mountCmd = (mounts: readonly MountEntry[]) => mounts.map((m) => `${m.source} on ${m.target} type ${m.fstype} (rw,relatime)`).join('\n');
const TMP_FILE = 'nslab-19ed-container-tmp.txt';

function view(withRoot: boolean, hostMountsInNs: readonly string[]): View {
  const mounts = mountsSeen(withRoot);
  return {
    bin: BINARIES,
    volume: `${SCRATCH}/nslab-volume`,
    probe: probe(mounts),
    mountCmd: mountCmd(mounts),
    lsBin: [...BINARIES].sort(),
    rootId: ROOTFS,
    imageRootId: ROOTFS,
    hostRootId: HOST_ROOT,
    conf: CONF,
    dev: [...DEV_ENTRIES].sort(),
    imageDev: [],
    volumeText: VOLUME_TEXT,
    tmpInside: TMP_FILE,
    tmpFile: TMP_FILE,
    tmpOnHost: [],
    hostMountsDuring: [],
    hostMountsInNs,
  };
}

const inChroot = view(false, ['/sys/fs/cgroup', '/sys/fs/cgroup/cpu', '/boot', '/home']);
const inPivot = view(true, []);

/** The ways the seven checks both containers share go wrong, from a passing view. */
function viewFails(v: View): Record<string, View[]> {
  const mounts = v.probe.mounts ?? [];
  const without = (target: string) => mounts.filter((m) => m.target !== target);
  const devtmpfs = mounts.map((m) => (m.target === '/dev' ? { ...m, fstype: 'devtmpfs', source: 'udev' } : m));
  return {
    'mounts-listed': [
      { ...v, probe: probe(without('/dev/pts')), mountCmd: mountCmd(without('/dev/pts')) }, // devpts failed to mount
      { ...v, probe: probe(devtmpfs), mountCmd: mountCmd(devtmpfs) }, // the article's devtmpfs: the host's devices
      { ...v, mountCmd: mountCmd(without('/mnt')) }, // the probe saw it, `mount` inside did not
      { ...v, probe: probe(null) }, // the probe could not read its mounts
    ],
    'bin-only-copied': [
      { ...v, lsBin: [...v.lsBin, 'python3', 'sudo'].sort() }, // the host's /bin shows through
      { ...v, lsBin: v.lsBin.filter((p) => p !== 'ps') },
      { ...v, lsBin: [] },
    ],
    'root-is-image': [
      { ...v, rootId: HOST_ROOT }, // no chroot or pivot_root took place: the host's /
      { ...v, rootId: '64768:1311099' }, // some other folder
      { ...v, rootId: null }, // /proc/PID/root could not be read
      { ...v, rootId: HOST_ROOT, imageRootId: HOST_ROOT }, // the "image" is the host's / itself
    ],
    'conf-bound': [
      // conf/hostname was not bound over the image's file: the container sees the image's own
      { ...v, conf: v.conf.map((f) => (f.name === 'hostname' ? { ...f, inside: f.image } : f)) },
      { ...v, conf: v.conf.map((f) => (f.name === 'resolv.conf' ? { ...f, inside: HOST_ROOT.replace(':2', ':917') } : f)) }, // the host's /etc/resolv.conf
      { ...v, conf: v.conf.map((f) => (f.name === 'hosts' ? { ...f, inside: null } : f)) }, // no /etc/hosts inside at all
      { ...v, conf: v.conf.slice(0, 1) }, // only one file looked at
    ],
    'dev-private': [
      { ...v, dev: [...v.dev, 'sda', 'sda1', 'kmsg', 'mem'].sort() }, // the host's devtmpfs
      { ...v, dev: v.dev.filter((d) => d !== 'pts') },
      { ...v, dev: [] },
      { ...v, imageDev: ['null', 'zero'] }, // no tmpfs on /dev: the nodes landed in the image folder
      { ...v, probe: probe(devtmpfs) }, // the article's devtmpfs, even with the right names in it
    ],
    'volume-on-host': [
      { ...v, volumeText: null }, // written into the image's /mnt, not the bound folder
      { ...v, volumeText: '' },
    ],
    'tmp-private': [
      { ...v, tmpOnHost: [`${SCRATCH}/rootfs/tmp/${TMP_FILE}`] }, // no tmpfs on /tmp: it landed in the image
      { ...v, tmpInside: '' }, // never written inside
    ],
    'host-table-untouched': [
      { ...v, hostMountsDuring: [`${SCRATCH}/rootfs/proc`, `${SCRATCH}/rootfs/mnt`] }, // propagated to the host (not made private)
    ],
  };
}

// ---- pid1, escape, host-clean ----

const shell: Pid1 = {
  dollar: '1',
  ps: [
    { pid: 1, comm: 'bash' },
    { pid: 2, comm: 'ps' },
  ],
  output: 'pid of this shell: 1\n    PID COMMAND\n      1 bash\n      2 ps',
};

const ATTACHED = ['/', ...EXPECTED_MOUNTS.map(seenAt)];
// A made-up host mount table, as the chroot escape reads it (nothing is created there).
const HOST_MOUNTS = ['/', '/proc', '/sys', '/dev', '/run', '/boot', '/home', `${SCRATCH}/rootfs/proc`];
const control: Reached = { rootId: ROOTFS, root: `${SCRATCH}/rootfs`, readable: false, errno: 'ENOENT', mounts: HOST_MOUNTS };
const esc: Escape = {
  hostRootId: HOST_ROOT,
  imageRootId: ROOTFS,
  control,
  fromChroot: { rootId: HOST_ROOT, root: '/', readable: true, errno: null, mounts: HOST_MOUNTS },
  fromPivot: { rootId: ROOTFS, root: '/', readable: false, errno: 'ENOENT', mounts: ATTACHED },
};

const FOREIGN = '412 26 0:61 / /media/usb rw,relatime shared:240 - vfat /dev/sdb1 rw';
const OURS = `401 26 0:58 / ${SCRATCH}/rootfs/proc rw,nosuid,nodev,noexec,relatime shared:230 - proc proc rw`;
const clean: HostClean = { added: [FOREIGN], ours: [], underLab: [] }; // someone else mounted a stick meanwhile: listed, not counted

export default [
  examples(image, {
    pass: img,
    fail: {
      'libs-resolved': [
        // ldd: "libproc2.so.0 => not found"
        withProgram('ps', prog('ps', { libs: [{ name: 'libproc2.so.0' }, { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' }] })),
        // ldd printed nothing for ls (its complaint went to stderr)
        withProgram('ls', { name: 'ls', host: '/usr/bin/ls', ldd: { file: '/usr/bin/ls', libs: [], isStatic: false } }),
        // the host has no ps: one program fewer
        built(BINARIES.filter((b) => b !== 'ps').map((b) => prog(b))),
        // no loader, no library in any answer: nothing was copied, nothing is proven
        built(BINARIES.map((b) => ({ name: b, host: `/usr/bin/${b}`, ldd: { file: `/usr/bin/${b}`, libs: [], isStatic: true } }))),
      ],
    },
  }),
  examples(chroot, {
    pass: inChroot,
    fail: {
      ...viewFails(inChroot),
      'host-tree-still-there': { ...inChroot, hostMountsInNs: [] },
    },
  }),
  examples(pivotRoot, {
    pass: inPivot,
    fail: {
      ...viewFails(inPivot),
      'old-root-gone': [
        // put_old never detached: the host's tree hangs under /nslab-oldroot
        { ...inPivot, probe: probe([...mountsSeen(true), { target: '/nslab-oldroot', fstype: 'ext4', source: '/dev/sda1' }]) },
        { ...inPivot, hostMountsInNs: ['/sys/fs/cgroup', '/boot'] },
        { ...inPivot, probe: probe([]) },
      ],
    },
  }),
  examples(pid1, {
    pass: shell,
    fail: {
      'shell-is-pid1': [
        { ...shell, dollar: '7' },
        { ...shell, ps: [{ pid: 1, comm: 'nslab-probe' }, { pid: 7, comm: 'bash' }] },
        { ...shell, dollar: '', ps: [] }, // bash printed nothing
      ],
      'ps-only-container': [
        // the host's /proc: every process of the machine
        { ...shell, ps: [{ pid: 1, comm: 'systemd' }, { pid: 2, comm: 'kthreadd' }, { pid: 4242, comm: 'bash' }, { pid: 4250, comm: 'ps' }] },
        { ...shell, ps: [{ pid: 1, comm: 'bash' }, { pid: 2, comm: 'sleep' }] },
      ],
    },
  }),
  examples(escape, {
    pass: esc,
    fail: {
      'chroot-hides': [
        { ...esc, control: { ...control, readable: true, errno: null } },
        { ...esc, control: { ...control, errno: 'EACCES' } }, // unreadable for another reason proves nothing
        { ...esc, control: { ...control, rootId: HOST_ROOT } }, // no chroot at all: the file is just missing
        { ...esc, control: { ...control, rootId: null } }, // the process was gone before nslab looked
      ],
      'chroot-escaped': [
        { ...esc, fromChroot: { ...esc.fromChroot, rootId: ROOTFS, readable: false, errno: 'ENOENT' } }, // it stayed in rootfs/
        { ...esc, fromChroot: { ...esc.fromChroot, rootId: '64768:1311099', readable: false, errno: 'ENOENT' } }, // stuck in /nslab-escape
        { ...esc, fromChroot: { ...esc.fromChroot, readable: false, errno: 'EACCES' } }, // at the host's / but the file was not read
        { ...esc, fromChroot: { ...esc.fromChroot, rootId: null } }, // its root was never seen
      ],
      'pivot-holds': [
        { ...esc, fromPivot: { ...esc.fromPivot, rootId: HOST_ROOT, readable: true, errno: null } }, // it got out
        { ...esc, fromPivot: { ...esc.fromPivot, mounts: [...ATTACHED, '/nslab-oldroot', '/nslab-oldroot/boot'] } }, // old root left attached
        { ...esc, fromPivot: { ...esc.fromPivot, mounts: [] } },
        { ...esc, fromPivot: { ...esc.fromPivot, errno: 'EACCES' } },
        { ...esc, fromPivot: { ...esc.fromPivot, rootId: '64768:1311099' } }, // stuck in /nslab-escape: the escape never ran
      ],
    },
  }),
  examples(hostClean, {
    pass: clean,
    fail: {
      'no-mounts-left': [
        { added: [FOREIGN, OURS], ours: [OURS], underLab: [`${SCRATCH}/rootfs/proc`] },
        { added: [], ours: [], underLab: [`${SCRATCH}/rootfs/mnt`] },
      ],
    },
  }),
];
