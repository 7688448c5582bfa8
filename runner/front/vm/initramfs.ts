// The VM's tiny initramfs: a static busybox, the kernel modules the labs need, and two shell
// scripts. Stage 1 (/init) loads the modules, mounts the host's root read-only over 9p with
// tmpfs on /tmp and /run and a throw-away writable layer over /etc, and switches to it; stage 2 (PID 1 on the host's root) runs the job
// nslab wrote into the shared result directory and records its exit code there, then powers
// off. Anything else — a panic, an init that dies, a hang — leaves no exit code behind.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Where stage 1 puts the writable share and stage 2's files inside the guest. */
export const GUEST_DIR = '/run/nslab-vm';
export const GUEST_OUT = `${GUEST_DIR}/out`;
/** 9p mount tags (qemu -device virtio-9p-pci,mount_tag=...). */
export const TAGS = { root: 'hostroot', out: 'nslabout', pkg: 'nslabpkg' } as const;

interface Entry {
  readonly path: string;
  readonly mode: number;
  readonly data?: Buffer;
  readonly rdev?: readonly [number, number];
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

const hex = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

/** A cpio archive in the "newc" format the kernel unpacks into its rootfs. */
export function cpio(entries: readonly Entry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const add = (e: Entry) => {
    const name = Buffer.from(`${e.path}\0`);
    const data = e.data ?? Buffer.alloc(0);
    const fields = [ino++, e.mode, 0, 0, (e.mode & S_IFDIR) !== 0 ? 2 : 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0];
    const header = Buffer.from(`070701${fields.map(hex).join('')}`);
    parts.push(header, name, pad4(header.length + name.length), data, pad4(data.length));
  };
  for (const e of entries) add(e);
  add({ path: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(parts);
}

/** Stage 1: /init of the initramfs. `@MODULES@` is the load order, one file name a line. */
const STAGE1 = `#!/bin/busybox sh
# nslab VM, stage 1 (initramfs): modules, the host's root over 9p, then stage 2 on it.
B=/bin/busybox
R=/newroot
fail() { echo "nslab-vm: $*"; $B poweroff -f; }
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
while read -r m; do
  $B insmod "/modules/$m" 2>/dev/null || echo "nslab-vm: insmod $m failed (skipped)"
done < /modules/order
O="trans=virtio,version=9p2000.L,msize=512000"
$B mount -t 9p -o "$O,ro,cache=loose" ${TAGS.root} $R || fail "cannot mount the host's root over 9p"
$B mount -t tmpfs -o mode=0755 tmpfs $R/run || fail "no tmpfs on /run"
$B mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "no tmpfs on /tmp"
# /etc stays the host's, read-only underneath, with a tmpfs upper layer (under /run) on top:
# what a lab writes there (ip netns's /etc/netns/NAME) lives in guest memory and dies with the VM.
E=$R${GUEST_DIR}/etc
$B mkdir -p $E/upper $E/work
$B mount -t overlay -o "lowerdir=$R/etc,upperdir=$E/upper,workdir=$E/work" overlay $R/etc \
  || echo "nslab-vm: no overlay over /etc (labs that write there will fail)"
$B mkdir -p $R${GUEST_OUT}
$B mount -t 9p -o "$O" ${TAGS.out} $R${GUEST_OUT} || fail "cannot mount the result share"
P=$($B cat $R${GUEST_OUT}/pkgroot)
$B mkdir -p "$R$P" 2>/dev/null
$B mount -t 9p -o "$O,ro,cache=loose" ${TAGS.pkg} "$R$P" || fail "cannot mount nslab's package directory"
$B mount --move /dev $R/dev
$B mount --move /proc $R/proc
$B mount --move /sys $R/sys
$B mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || fail "no cgroup2"
$B mkdir -p $R/dev/pts $R/dev/shm
$B mount -t devpts -o ptmxmode=0666,mode=0620 devpts $R/dev/pts
$B mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
$B cp $B /stage2 $R${GUEST_DIR}/
exec $B switch_root $R ${GUEST_DIR}/busybox sh ${GUEST_DIR}/stage2
`;

/**
 * Stage 2: PID 1 on the host's (read-only) root. The job is a shell script nslab wrote into the
 * share; its output goes to the second serial port, which the host streams live. `fault` (tests
 * only) makes the guest misbehave on purpose: the host must report an error, never a pass.
 */
const STAGE2 = `# nslab VM, stage 2: PID 1 on the host's root; runs the job, records its exit code.
B=${GUEST_DIR}/busybox
OUT=${GUEST_OUT}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$B hostname nslab-vm
$B ip link set lo up 2>/dev/null
case "$($B cat $OUT/fault 2>/dev/null)" in
  panic) echo c > /proc/sysrq-trigger ;;
  noresult) $B poweroff -f ;;
  exit) exit 0 ;;
esac
$B cat /proc/uptime > $OUT/ready
cd /
$B setsid -c $B sh $OUT/job < /dev/ttyS1 > /dev/ttyS1 2>&1
echo $? > $OUT/exit.tmp && $B mv $OUT/exit.tmp $OUT/exit
$B sync
$B umount $OUT
$B poweroff -f
`;

/** The initramfs for `modules` (paths of .ko files, in load order) and a static busybox. */
export function initramfs(busybox: string, modules: readonly string[]): Buffer {
  const dir = (path: string) => ({ path, mode: S_IFDIR | 0o755 });
  const names = modules.map((m) => basename(m));
  return cpio([
    dir('bin'),
    dir('dev'),
    { path: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    dir('proc'),
    dir('sys'),
    dir('newroot'),
    dir('modules'),
    { path: 'bin/busybox', mode: S_IFREG | 0o755, data: readFileSync(busybox) },
    { path: 'init', mode: S_IFREG | 0o755, data: Buffer.from(STAGE1) },
    { path: 'stage2', mode: S_IFREG | 0o644, data: Buffer.from(STAGE2) },
    { path: 'modules/order', mode: S_IFREG | 0o644, data: Buffer.from(names.map((n) => `${n}\n`).join('')) },
    ...modules.map((m, i) => ({ path: `modules/${names[i]}`, mode: S_IFREG | 0o644, data: readFileSync(m) })),
  ]);
}
