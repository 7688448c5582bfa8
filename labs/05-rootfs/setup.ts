// The container's setup, as actions its process runs between clone() and execve(): the
// article's mounts under the rootfs, then chroot (the article) or pivot_root (runc).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Namespace, SetupAction } from '../../addon/index.js';
import type { Image } from './image.js';

/** The article's clone flags: CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS. */
export const CONTAINER_NS: readonly Namespace[] = ['uts', 'ipc', 'pid', 'mnt'];

/** Where pivot_root parks the old root, inside the new one, until it is detached. */
export const OLD_ROOT = 'nslab-oldroot';

/**
 * What `mount` inside must list. `rel` is the mount point beneath the image's root, where
 * mountActions mounts it (nslab never touches the host's directories of the same names); the
 * container sees it at `/${rel}`. fstype undefined: a bind mount (the host file system's type).
 */
export interface ExpectedMount {
  readonly rel: string;
  readonly fstype?: string;
}

export const EXPECTED_MOUNTS: readonly ExpectedMount[] = [
  { rel: 'proc', fstype: 'proc' },
  { rel: 'sys', fstype: 'sysfs' },
  { rel: 'tmp', fstype: 'tmpfs' },
  { rel: 'dev', fstype: 'tmpfs' },
  { rel: 'dev/pts', fstype: 'devpts' },
  { rel: 'dev/shm', fstype: 'tmpfs' },
  { rel: 'run', fstype: 'tmpfs' },
  { rel: 'etc/hosts' },
  { rel: 'etc/hostname' },
  { rel: 'etc/resolv.conf' },
  { rel: 'mnt' },
];

/** Where the container sees an expected mount: its path from the container's own root. */
export const seenAt = (m: ExpectedMount): string => `/${m.rel}`;

/** The few device nodes a container needs (major, minor as in devices.txt). */
const DEVICES: readonly [string, number, number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

/** What `ls /dev` shows inside: the nodes above, the standard links, pts and shm. */
export const DEV_ENTRIES: readonly string[] = [...DEVICES.map(([name]) => name), 'fd', 'stdin', 'stdout', 'stderr', 'ptmx', 'pts', 'shm'];

/** The article's mount list, targets under the rootfs as the host path names them. */
export function mountActions(img: Image): SetupAction[] {
  const r = (p: string) => join(img.root, p);
  const tmpfs = (target: string, data: string, extra: readonly ('nodev' | 'noexec')[] = ['nodev']): SetupAction => ({
    do: 'mount', source: 'tmpfs', target: r(target), fstype: 'tmpfs', flags: ['nosuid', ...extra], data,
  });
  const bind = (source: string, target: string): SetupAction => ({ do: 'mount', source, target: r(target), flags: ['bind'] });
  return [
    { do: 'mount', source: 'proc', target: r('proc'), fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
    // Read-only, as Docker does: the container sees the kernel's objects but cannot retune them.
    { do: 'mount', source: 'sysfs', target: r('sys'), fstype: 'sysfs', flags: ['rdonly', 'nosuid', 'nodev', 'noexec'] },
    tmpfs('tmp', 'mode=1777'),
    // A private /dev: a small tmpfs holding only the nodes below (not the host's devtmpfs).
    tmpfs('dev', 'mode=755,size=64k', []),
    ...DEVICES.map(([name, major, minor]): SetupAction => ({ do: 'mknod', path: r(`dev/${name}`), type: 'c', mode: 0o666, major, minor })),
    { do: 'symlink', target: '/proc/self/fd', path: r('dev/fd') },
    { do: 'symlink', target: '/proc/self/fd/0', path: r('dev/stdin') },
    { do: 'symlink', target: '/proc/self/fd/1', path: r('dev/stdout') },
    { do: 'symlink', target: '/proc/self/fd/2', path: r('dev/stderr') },
    { do: 'symlink', target: 'pts/ptmx', path: r('dev/ptmx') },
    { do: 'mkdir', path: r('dev/pts') },
    { do: 'mkdir', path: r('dev/shm'), mode: 0o1777 },
    // A devpts of its own (terminals numbered from 0, not the host's ptys): since Linux 4.7 every
    // devpts mount is a new instance; `newinstance` is historical, a no-op kept as older guides write it.
    { do: 'mount', source: 'devpts', target: r('dev/pts'), fstype: 'devpts', flags: ['nosuid', 'noexec'], data: 'newinstance,ptmxmode=0666,mode=0620' },
    tmpfs('dev/shm', 'mode=1777', ['nodev', 'noexec']),
    tmpfs('run', 'mode=755'),
    bind(join(img.conf, 'hosts'), 'etc/hosts'),
    bind(join(img.conf, 'hostname'), 'etc/hostname'),
    bind(join(img.conf, 'resolv.conf'), 'etc/resolv.conf'),
    bind(img.volume, 'mnt'),
  ];
}

function prologue(img: Image): SetupAction[] {
  return [
    { do: 'sethostname', name: readFileSync(join(img.conf, 'hostname'), 'utf8').trim() },
    // Before any mount: nothing done in this namespace may propagate back to the host.
    { do: 'makePrivate', path: '/' },
  ];
}

/** The article's way: mount everything, then chdir + chroot into the rootfs. */
export function chrootActions(img: Image): SetupAction[] {
  return [...prologue(img), ...mountActions(img), { do: 'chdir', path: img.root }, { do: 'chroot', path: '.' }, { do: 'chdir', path: '/' }];
}

/** runc's way: the rootfs becomes a mount point, pivot_root swaps it in, the old root is detached. */
export function pivotActions(img: Image): SetupAction[] {
  return [
    ...prologue(img),
    { do: 'mount', source: img.root, target: img.root, flags: ['bind', 'rec'] },
    ...mountActions(img),
    { do: 'chdir', path: img.root },
    { do: 'mkdir', path: OLD_ROOT, mode: 0o700 },
    { do: 'pivotRoot', newRoot: '.', putOld: OLD_ROOT },
    { do: 'chdir', path: '/' },
    { do: 'umount', target: `/${OLD_ROOT}`, detach: true },
    { do: 'rmdir', path: `/${OLD_ROOT}` },
  ];
}

/** The classic chroot escape of a root process: a second chroot leaves the cwd outside the root. */
export function escapeActions(): SetupAction[] {
  return [
    { do: 'mkdir', path: '/nslab-escape', mode: 0o700 },
    { do: 'chroot', path: '/nslab-escape' },
    // The cwd is now outside the root, so ".." is never stopped at the root: it climbs to the top.
    { do: 'chdir', path: Array<string>(32).fill('..').join('/') },
    { do: 'chroot', path: '.' },
    { do: 'chdir', path: '/' },
  ];
}
