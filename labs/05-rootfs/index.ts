// 05-rootfs: the article's home-made image ("山寨镜像"): a rootfs folder, the mounts a
// container needs, configuration and a volume bound in from outside, entered with chroot (the
// article) and with pivot_root (runc) — and why the second one is the one to trust.
import { basics, filesystem, interactive, namespaces, tool, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';
import { escape, hostClean, pid1 } from './after.js';
import { chroot, pivotRoot } from './enter.js';
import { buildImage, image } from './image.js';
import { CONTAINER_NS, pivotActions } from './setup.js';

export { escape, hostClean, pid1, type Escape, type HostClean, type Pid1 } from './after.js';
export { chroot, pivotRoot, type View } from './enter.js';
export { image, type Built } from './image.js';

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
  // The article's way to find what a program needs: the image holds exactly what ldd names.
  tool('ldd', 'libc-bin'),
];

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'A container should run the programs and libraries of its image, not the host\'s, with its own /proc, /dev and /tmp, while the runtime still decides hostname, DNS and volumes at start.',
      zh: '容器应当运行镜像里的程序和库，而不是宿主机的；它要有自己的 /proc、/dev 和 /tmp，同时主机名、DNS 和数据卷仍由运行时在启动时决定。',
    },
    tradeoff: {
      en: 'Changing the root is nearly free, but the image must carry every library its programs need, and the runtime must mount each kernel file system itself; chroot alone is not a security boundary.',
      zh: '换根几乎没有开销，但镜像必须带上程序需要的每一个库，运行时要自己挂载每个内核文件系统；单靠 chroot 并不是安全边界。',
    },
    usedBy: {
      en: 'runc and crun (pivot_root into the bundle\'s rootfs), Docker\'s /etc/hosts, hostname and resolv.conf bind mounts, docker run -v, systemd-nspawn, debootstrap chroots.',
      zh: 'runc 与 crun（pivot_root 进入 bundle 的 rootfs）、Docker 绑定挂载的 /etc/hosts、hostname、resolv.conf，docker run -v，systemd-nspawn，debootstrap 的 chroot 环境。',
    },
    parts: {
      en: 'A rootfs folder (FHS tree, programs, the loader and libraries from DT_NEEDED/ldd), a mount namespace made private, proc/sysfs/tmpfs/devpts mounts, bind mounts, chroot(2) or pivot_root(2) + umount2(MNT_DETACH).',
      zh: 'rootfs 目录（FHS 目录树、程序、按 DT_NEEDED/ldd 找到的加载器与库）、设为私有的 mount namespace、proc/sysfs/tmpfs/devpts 挂载、绑定挂载、chroot(2) 或 pivot_root(2) + umount2(MNT_DETACH)。',
    },
    kernel: {
      en: 'chroot only changes the task\'s fs->root; the mount tree stays. pivot_root moves the namespace\'s root mount under put_old and puts the new root in its place for every task whose root was the old one; detaching put_old removes the host tree from the namespace.',
      zh: 'chroot 只修改进程的 fs->root，挂载树原样保留；pivot_root 把 namespace 的根挂载移到 put_old 之下，让新根取而代之（对所有以旧根为根的进程生效）；再卸载 put_old，宿主机的目录树就从这个 namespace 里消失了。',
    },
    alternatives: {
      en: 'A VM boots its own disk image; FreeBSD jails and Solaris zones give a changed root with kernel-enforced limits; union file systems (lab 11) stack image layers under the rootfs.',
      zh: '虚拟机启动自己的磁盘镜像；FreeBSD jail 和 Solaris zone 提供由内核强制约束的换根；联合文件系统（实验 11）把镜像分层叠在 rootfs 之下。',
    },
  },
  requirements,
  steps: [image, chroot, pivotRoot, pid1, escape, hostClean],
  exercises,
  shell: {
    async open(ctx) {
      const img = await buildImage(ctx);
      return interactive(ctx, { labId: '05-rootfs', namespaces: CONTAINER_NS, actions: pivotActions(img), shell: '/bin/bash' });
    },
  },
};
