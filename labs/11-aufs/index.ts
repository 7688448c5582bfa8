// 11-aufs: union mounts. The article's fruits/vegetables experiment on overlayfs (and on AUFS
// where the kernel has it), copy-up, whiteouts, opaque directories, a lower layer changed under
// the mount (the article's udba question), image layers and the cost of looking names up
// through many layers.
import { join } from 'node:path';
import { basics, filesystem, namespaces, tool, interactive, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';
import { GARDEN, GARDEN_OPTIONS, aufs, copyUp, opaque, union, whiteout } from './garden.js';
import { image } from './image.js';
import { lookup } from './lookup.js';
import { plant } from './union.js';
import { underneath } from './underneath.js';

export { aufs, copyUp, image, lookup, opaque, underneath, union, whiteout };
export type { Aufs, CopyUp, Opaque, Union, Whiteout } from './garden.js';
export type { Image } from './image.js';
export type { Lookup } from './lookup.js';
export type { Underneath } from './underneath.js';

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Many containers start from the same image; copying the whole file tree for each would cost time and disk. A union mount stacks read-only layers under one writable layer and shows them as one directory.',
      zh: '许多容器来自同一个镜像，为每个容器复制整棵文件树既费时又费盘。联合挂载把若干只读层叠在一个可写层下面，呈现为一个目录。',
    },
    tradeoff: {
      en: 'Sharing and instant start, paid for at lookup time (every layer may be searched) and at the first write of a lower file (the whole file is copied up).',
      zh: '换来共享与秒级启动，代价在查找时（可能要逐层搜索）以及第一次写下层文件时（整个文件被向上复制）。',
    },
    usedBy: {
      en: "Docker and containerd's overlay2/overlayfs snapshotters, Podman, live CDs (Knoppix, Ubuntu's casper), OpenWrt's read-only root with a writable overlay.",
      zh: 'Docker 与 containerd 的 overlay2/overlayfs 存储驱动、Podman、Live CD（Knoppix、Ubuntu casper）、OpenWrt 的只读根加可写 overlay。',
    },
    parts: {
      en: 'Branches (lower layers, one upper layer), a work directory, whiteouts for deleted names, opaque markers for replaced directories, and copy-up. Lower layers must not change while mounted.',
      zh: '分支（若干下层、一个上层）、work 目录、表示删除的 whiteout 文件、表示目录被替换的不透明标记，以及向上复制（copy-up）。挂载期间下层不得改动。',
    },
    kernel: {
      en: 'overlayfs (mainline since 3.18) is a stacking file system: its lookup walks the layers top-down until a name is found, a whiteout stops it or an opaque directory ends the search; open files are passed straight to the real file.',
      zh: 'overlayfs（3.18 起进入主线）是堆叠式文件系统：查找时自上而下逐层搜索，直到找到名字、遇到 whiteout 文件或碰到不透明目录为止；打开后的读写直接交给真实文件。',
    },
    alternatives: {
      en: 'AUFS (the article’s, never merged), UnionFS, btrfs and ZFS snapshots, device-mapper thin snapshots (lab 12), and plain copies (Docker’s vfs driver).',
      zh: 'AUFS（文章所用，从未进入主线）、UnionFS、btrfs 与 ZFS 快照、device-mapper 的 thin 快照（实验 12），以及直接复制（Docker 的 vfs 驱动）。',
    },
  },
  requirements: [...basics, namespaces('mnt'), filesystem('overlay'), tool('mknod', 'coreutils'), tool('tar', 'tar')],
  steps: [union, aufs, copyUp, whiteout, opaque, underneath, image, lookup],
  shell: {
    open: (ctx) => {
      const u = join(ctx.scratch(), 'u');
      plant(u, GARDEN);
      return interactive(ctx, {
        labId: about.id,
        namespaces: ['mnt'],
        actions: [
          { do: 'makePrivate' },
          { do: 'chdir', path: u },
          { do: 'mount', source: 'overlay', target: 'mnt', fstype: 'overlay', data: GARDEN_OPTIONS },
        ],
      });
    },
  },
  exercises,
};
