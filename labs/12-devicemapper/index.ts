// 12-devicemapper: a device-mapper thin pool on two sparse files, a thin volume with ext4 on it,
// copy-on-write snapshots of it (and of a snapshot), and thin provisioning measured: the pool
// and its data file hold only what was written, and volumes may promise more than the pool has.
import { basics, filesystem, tool, type Lab } from '../../runner/kit/index.js';
import { openShell } from './shell.js';
import { about } from './about.js';
import { exercises } from './exercises.js';
import { loopDriver, thinPool } from './dm.js';
import { loopDevices, sparseFiles, thinPoolStep, thinVolume } from './pool.js';
import { overProvisioning, teardown, thinProvisioning } from './provisioning.js';
import { isolation, mkfsMount, snapshot, snapshotOfSnapshot } from './volumes.js';

export { loopDevices, sparseFiles, thinPoolStep, thinVolume, mkfsMount, snapshot, isolation, snapshotOfSnapshot, thinProvisioning, overProvisioning, teardown };
export type { Allocation, LoopDevices, SparseFiles, ThinPool, ThinVolume } from './pool.js';
export type { Isolation, MkfsMount, Snapshot, SnapshotOfSnapshot } from './volumes.js';
export type { OverProvisioning, Teardown, ThinProvisioning } from './provisioning.js';
export type { HeldRead } from './ops.js';

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Docker needed copy-on-write image layers on distributions without AUFS (RHEL, CentOS). Thin provisioning gives block devices that share unchanged blocks: each layer or container is a snapshot of its parent.',
      zh: 'Docker 需要在没有 AUFS 的发行版（RHEL、CentOS）上实现写时复制的镜像分层。精简配置（thin provisioning）提供共享未修改块的块设备：每一层或每个容器都是其父层的一个快照。',
    },
    tradeoff: {
      en: 'Works under any file system and copies only 64 KiB blocks, but every container gets a fixed-size device with its own file system and page cache, and loop files (as here) are slow: Docker deprecated the driver and removed it in Engine 25.',
      zh: '它在任何文件系统之下工作，只按 64 KiB 的块复制；但每个容器都有固定大小的设备、独立的文件系统和页缓存，而用 loop 文件（如本实验）很慢：Docker 已弃用该驱动，并在 Engine 25 中移除。',
    },
    usedBy: {
      en: "Docker's devicemapper storage driver (loop-lvm and direct-lvm), LVM thin volumes (lvcreate --thin), containerd's devmapper snapshotter for Firecracker and Kata VMs, Stratis.",
      zh: 'Docker 的 devicemapper 存储驱动（loop-lvm 与 direct-lvm）、LVM 精简卷（lvcreate --thin）、containerd 为 Firecracker 和 Kata 虚拟机提供的 devmapper snapshotter、Stratis。',
    },
    parts: {
      en: 'Two block devices (metadata and data; here loop devices on sparse files), the thin-pool target, thin targets naming a device id in the pool, and messages to the pool: create_thin, create_snap, delete. dmsetup talks to the kernel through /dev/mapper/control.',
      zh: '两个块设备（元数据与数据；这里是稀疏文件上的 loop 设备）、thin-pool 目标、指向池中设备号的 thin 目标，以及发给池的消息：create_thin、create_snap、delete。dmsetup 通过 /dev/mapper/control 与内核交互。',
    },
    kernel: {
      en: 'drivers/md/dm-thin.c keeps, in B-trees on the metadata device, a map from (device id, virtual block) to data block. A snapshot shares its origin\'s tree; the first write to a shared block allocates a new block and remaps it (copy-on-write), with reference counts.',
      zh: 'drivers/md/dm-thin.c 在元数据设备上的 B 树里维护（设备号，虚拟块）到数据块的映射。快照共享源设备的树；对共享块的第一次写会分配新块并重新映射（写时复制），靠引用计数管理。',
    },
    alternatives: {
      en: "overlayfs (file-level copy-up, shared page cache: Docker's default overlay2), btrfs and ZFS snapshots, the older dm-snapshot target (slow with many snapshots), qcow2 backing files for VM disks.",
      zh: 'overlayfs（整个文件向上复制，共享页缓存；即 Docker 默认的 overlay2）、btrfs 与 ZFS 快照、较老的 dm-snapshot 目标（快照多了就慢）、虚拟机磁盘的 qcow2 后备文件。',
    },
  },
  requirements: [
    ...basics,
    thinPool,
    loopDriver,
    tool('dmsetup', 'dmsetup'),
    tool('losetup', 'mount'),
    tool('mkfs.ext4', 'e2fsprogs'),
    tool('dd', 'coreutils'),
    filesystem('ext4'),
  ],
  steps: [sparseFiles, loopDevices, thinPoolStep, thinVolume, mkfsMount, snapshot, isolation, snapshotOfSnapshot, thinProvisioning, overProvisioning, teardown],
  // A root shell next to the mounted base volume and its snapshot (only where device-mapper works: the VM).
  shell: { open: openShell },
  exercises,
};
