// 04-mount: a mount namespace gives the container its own mount table, so it can mount a
// /proc of its own PID namespace; mount propagation decides whether its mounts stay inside.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mount, umount, type SetupAction } from '../../addon/index.js';
import { Container, attempt, program, step, type ProbeReport, basics, filesystem, namespaces, tool, interactive, type Lab, type StepContext, hostMountinfoOf, mountAt, mountsOf, peerGroup, propagation, type MountLine } from '../../runner/kit/index.js';
import { about } from './about.js';

/** A container with its own PIDs, mounts and a fresh /proc, and the host's mount table around it. */
export interface FreshProc {
  readonly report: ProbeReport;
  /** What `ps -e` printed inside, and the PIDs of its rows. */
  readonly ps: string;
  readonly psPids: readonly number[];
  readonly hostPid: number;
  /** The host's /proc/self/mountinfo (without other runs' mounts) around the container. */
  readonly mountinfo: { readonly before: string; readonly during: string; readonly after: string };
}

/** A container that mounted under a copy of our shared tmpfs, without making anything private. */
export interface SharedLeak {
  /** Our shared tmpfs on the host (prop/ in the run's scratch directory) and its cleanup entry. */
  readonly dir: string;
  readonly cleanupId: number;
  /** The propagation of the host's / (measured, not judged). */
  readonly rootPropagation: string;
  /** Our tmpfs in the host's mount table, and the container's copy of it. */
  readonly hostProp?: MountLine;
  readonly insideProp?: MountLine;
  /** The host's mount table has nslab-leak on prop/leak: while the container runs, after it exited, after umount. */
  readonly hostSees: boolean;
  readonly hostSeesAfterStop: boolean;
  readonly hostSeesAfterUmount: boolean;
}

/** A container that made its mounts private first, and the host once our tmpfs is removed. */
export interface Contained {
  /** Our tmpfs in the host's mount table (from shared-leaks). */
  readonly hostProp?: MountLine;
  /** The container's / and its copy of our tmpfs. */
  readonly insideRoot?: MountLine;
  readonly insideProp?: MountLine;
  /** nslab-private on prop/leak2: in the container's mount table; in the host's. */
  readonly insideHasIt: boolean;
  readonly hostSees: boolean;
  /** Why removing our tmpfs failed, if it did; what is still mounted at or below it. */
  readonly error?: string;
  readonly leftover: readonly string[];
}

const HOSTNAME = 'container';
/** The container of the article: its own PIDs and mounts, a private root, a fresh /proc. */
const freshProc: readonly SetupAction[] = [
  { do: 'makePrivate' },
  { do: 'sethostname', name: HOSTNAME },
  { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc' },
];
const FRESH_NS = ['pid', 'mnt', 'uts', 'ipc'] as const;

/** Data rows of `ps -e` output: their PIDs. */
const psPids = (out: string) =>
  out
    .split('\n')
    .slice(1)
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((n) => Number.isInteger(n) && n > 0);
/** A host program inside a container (exec needs its path), shown by its plain command. */
const inside = (ctx: StepContext, c: Container, argv: readonly string[]) =>
  attempt(ctx, [program(argv[0]!), ...argv.slice(1)], { container: c, command: argv.join(' ') });
/** Show the mounts at and below `dir` with their propagation, inside a container or on the host. */
const showTree = (ctx: StepContext, dir: string, where: { container: Container } | { where: string }) => {
  const argv = ['findmnt', '-o', 'TARGET,SOURCE,PROPAGATION', '-R', dir];
  return 'container' in where ? inside(ctx, where.container, argv) : attempt(ctx, argv, where);
};
const shownTag = (m: MountLine | undefined) => (m ? `${m.target} ${propagation(m)}` : 'not mounted');

export const fresh = step<FreshProc>({
  id: 'fresh-proc',
  title: { en: 'A fresh /proc: ps sees only the container', zh: '新的 /proc:ps 只看到容器里的进程' },
  explain: {
    en: 'With CLONE_NEWNS the child gets a copy of the mount table that it may change freely. We first make that copy private (so nothing can travel back to the host), then mount a new proc on /proc. A proc mount shows the PID namespace of whoever mounted it, so ps inside now lists just PID 1 and ps itself: the 2 processes of the article (there: bash and ps). findmnt shows two proc mounts on /proc: the new one sits on top of the copy of the host\'s, and hides it.',
    zh: '加上 CLONE_NEWNS,子进程得到一份可以随意修改的挂载表副本。我们先把这份副本设为私有(这样什么都传不回宿主机),再把新的 proc 挂到 /proc。proc 挂载显示的是挂载者所在的 PID namespace,所以容器里的 ps 只列出 1 号进程和 ps 自己:正是文章里的 2 个进程(文章中是 bash 和 ps)。findmnt 显示 /proc 上有两个 proc 挂载:新的叠在宿主机那份的副本上面,把它遮住了。',
  },
  article: 'system("mount -t proc proc /proc");   /* clone(..., CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD) */',
  modern: 'unshare --pid --fork --mount --propagation private --mount-proc ps -e',
  async run(ctx) {
    const before = hostMountinfoOf(ctx.token);
    const c = await Container.start(ctx, { namespaces: FRESH_NS, actions: freshProc, label: 'container with a fresh /proc' });
    let ps: string;
    let during: string;
    try {
      ps = (await inside(ctx, c, ['ps', '-e'])).stdout;
      await inside(ctx, c, ['findmnt', '/proc']);
      during = hostMountinfoOf(ctx.token);
    } finally {
      await c.stop();
    }
    const after = hostMountinfoOf(ctx.token);
    await attempt(ctx, ['findmnt', '/proc'], { where: 'host, after the container' });
    const seen: FreshProc = { report: c.report, ps, psPids: psPids(ps), hostPid: c.pid, mountinfo: { before, during, after } };
    ctx.measure('psInside', seen.psPids.length);
    return seen;
  },
  checks: [
    {
      id: 'ps-two',
      description: 'ps -e inside lists exactly 2 processes: PID 1 (our probe, the article\'s bash) and ps itself.',
      evaluate: (o) => ({
        observed: `${o.psPids.length} processes: PIDs ${o.psPids.join(', ')}`,
        expected: '2 processes, one of them PID 1',
        pass: o.psPids.length === 2 && o.psPids.includes(1),
      }),
    },
    {
      id: 'proc-is-own',
      description: "The probe's /proc lists only itself as PID 1, and its mount table has a proc mount on /proc.",
      evaluate: (o) => {
        const r = o.report;
        const procs = (r.mounts ?? []).filter((m) => m.target === '/proc' && m.fstype === 'proc');
        return {
          observed: `pid ${r.pid}, /proc entries [${(r.pids ?? []).join(', ')}], proc mounts on /proc: ${procs.length}`,
          expected: 'pid 1, /proc entries [1], at least 1 proc mount on /proc',
          pass: r.pid === 1 && r.pids?.length === 1 && r.pids[0] === 1 && procs.length >= 1,
        };
      },
    },
    {
      id: 'host-mountinfo-unchanged',
      description: "The host's /proc/self/mountinfo is byte-for-byte the same before, during and after the container.",
      evaluate: (o) => {
        const { before, during, after } = o.mountinfo;
        const lines = (t: string) => t.split('\n').filter(Boolean).length;
        return {
          observed: `before ${lines(before)} lines, during ${during === before ? 'identical' : `differs (${lines(during)} lines)`}, after ${after === before ? 'identical' : `differs (${lines(after)} lines)`}`,
          expected: 'identical, identical',
          pass: before.length > 0 && during === before && after === before,
        };
      },
    },
  ],
});

export const sharedLeaks = step<SharedLeak>({
  id: 'shared-leaks',
  title: { en: 'Propagation: a mount on a shared mount leaks to the host', zh: '挂载传播:shared 挂载上的挂载会泄漏到宿主机' },
  explain: {
    en: 'A new mount namespace copies each mount with its propagation. A shared mount and its copy are peers: a mount made under one appears under the other. We build a shared tmpfs of our own on the host, start a container WITHOUT making its mounts private, and mount inside it: the mount shows up on the host, and stays there after the container is gone. On a systemd host / itself is shared, which is why the article\'s mount of /proc, run as written, lands on the host\'s /proc.',
    zh: '新的 mount namespace 复制每个挂载时连同它的传播类型一起复制。shared 挂载和它的副本互为 peer:在其中一个下面挂载,另一个下面也会出现。我们在宿主机上建一个自己的 shared tmpfs,启动一个不把挂载设为私有的容器,在里面挂载:这个挂载出现在宿主机上,容器退出后还留着。在 systemd 主机上 / 本身就是 shared,所以文章的程序原样运行时,它挂的 /proc 会落到宿主机的 /proc 上。',
  },
  article: 'clone(..., CLONE_NEWNS ...); system("mount -t proc proc /proc");   /* no MS_PRIVATE anywhere */',
  modern: 'mount --make-shared DIR; unshare --mount --propagation unchanged mount -t tmpfs nslab-leak DIR/leak',
  async run(ctx) {
    const dir = join(ctx.scratch(), 'prop');
    mkdirSync(dir);
    const root = mountAt(mountsOf(), '/');
    const rootPropagation = propagation(root);
    await attempt(ctx, ['findmnt', '-o', 'TARGET,SOURCE,FSTYPE,PROPAGATION', '/']);
    ctx.log(
      root && peerGroup(root) !== undefined
        ? `this host's / is shared (${propagation(root)}): the article's program, run as written, would mount its /proc over the host's /proc`
        : `this host's / is ${propagation(root)}: the article's program would not leak here, but it would on a systemd host`,
    );
    ctx.measure('rootPropagation', rootPropagation);

    // Journalled with everything that will be mounted below it (the leak included).
    const cleanupId = ctx.cleanup.createSync({ kind: 'mount', rel: ctx.cleanup.rel(dir) }, `tmpfs on ${dir}`, () =>
      mount('nslab-prop', dir, 'tmpfs', [], 'size=1m,mode=755'),
    ).id;
    mount(null, dir, null, ['shared']);
    ctx.log(`host: mount -t tmpfs -o size=1m nslab-prop ${dir}; mount --make-shared ${dir}`);
    const hostProp = mountAt(mountsOf(), dir);
    const leak = join(dir, 'leak');
    const c = await Container.start(ctx, {
      namespaces: ['mnt'],
      actions: [
        { do: 'mkdir', path: leak },
        { do: 'mount', source: 'nslab-leak', target: leak, fstype: 'tmpfs', data: 'size=1m' },
      ],
      label: 'container without makePrivate',
    });
    let insideProp: MountLine | undefined;
    let hostSees: boolean;
    try {
      await showTree(ctx, dir, { container: c });
      await showTree(ctx, dir, { where: 'host' });
      insideProp = mountAt(mountsOf(c.pid), dir);
      hostSees = mountAt(mountsOf(), leak)?.source === 'nslab-leak';
    } finally {
      await c.stop();
    }
    const seen = { dir, cleanupId, rootPropagation, hostProp, insideProp, hostSees };
    // Interrupted: the cleanup stack has already removed everything, and nobody reads this.
    if (ctx.signal.aborted) return { ...seen, hostSeesAfterStop: false, hostSeesAfterUmount: true };
    const hostSeesAfterStop = mountAt(mountsOf(), leak)?.source === 'nslab-leak';
    ctx.log(`container gone; host still has ${leak}: ${hostSeesAfterStop ? 'yes' : 'no'} → umount it on the host`);
    umount(leak);
    ctx.log(`host: umount ${leak}`);
    return { ...seen, hostSeesAfterStop, hostSeesAfterUmount: mountAt(mountsOf(), leak) !== undefined };
  },
  checks: [
    {
      id: 'copy-is-peer',
      description: "The container's copy of our shared tmpfs is in the same peer group as the host's (same shared:N).",
      evaluate: (o) => ({
        observed: `host: ${shownTag(o.hostProp)}; container: ${shownTag(o.insideProp)}`,
        expected: 'both shared, same peer group',
        pass: peerGroup(o.hostProp) !== undefined && peerGroup(o.hostProp) === peerGroup(o.insideProp),
      }),
    },
    {
      id: 'mount-leaks',
      description: 'The tmpfs the container mounted on prop/leak appears in the host\'s mount table, and stays there after the container exits.',
      evaluate: (o) => ({
        observed: `host sees nslab-leak while the container runs: ${o.hostSees ? 'yes' : 'no'}; after it exited: ${o.hostSeesAfterStop ? 'yes' : 'no'}`,
        expected: 'yes, yes',
        pass: o.hostSees && o.hostSeesAfterStop,
      }),
    },
    {
      id: 'leak-removed',
      description: 'After umount on the host, nothing is mounted on prop/leak any more.',
      evaluate: (o) => ({
        observed: o.hostSeesAfterUmount ? 'still mounted' : 'not mounted',
        expected: 'not mounted',
        pass: !o.hostSeesAfterUmount,
      }),
    },
  ],
});

export const privateContains = step<Contained>({
  id: 'private-contains',
  title: { en: 'MS_REC|MS_PRIVATE keeps the mounts inside', zh: 'MS_REC|MS_PRIVATE 把挂载关在里面' },
  explain: {
    en: 'Now the same container first runs mount(NULL, "/", NULL, MS_REC|MS_PRIVATE), as unshare(1) does by default and runc does for every container. Its copies leave every peer group, so the tmpfs it mounts on prop/leak2 exists inside only. Then the shared tmpfs is removed from the host.',
    zh: '这次同样的容器先执行 mount(NULL, "/", NULL, MS_REC|MS_PRIVATE),unshare(1) 默认这样做,runc 对每个容器也这样做。它的副本离开了所有 peer group,所以它挂到 prop/leak2 上的 tmpfs 只存在于容器里。随后从宿主机上移除这个 shared tmpfs。',
  },
  modern: 'mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);   # unshare --mount --propagation private',
  async run(ctx) {
    const { dir, cleanupId, hostProp } = ctx.observed(sharedLeaks);
    const leak2 = join(dir, 'leak2');
    const c = await Container.start(ctx, {
      namespaces: ['mnt'],
      actions: [
        { do: 'makePrivate' },
        { do: 'mkdir', path: leak2 },
        { do: 'mount', source: 'nslab-private', target: leak2, fstype: 'tmpfs', data: 'size=1m' },
      ],
      label: 'container with makePrivate',
    });
    let seen: Pick<Contained, 'insideRoot' | 'insideProp' | 'insideHasIt' | 'hostSees'>;
    try {
      await showTree(ctx, dir, { container: c });
      await showTree(ctx, dir, { where: 'host' });
      const mounts = mountsOf(c.pid);
      seen = {
        insideHasIt: mountAt(mounts, leak2)?.source === 'nslab-private',
        hostSees: mountAt(mountsOf(), leak2) !== undefined,
        insideProp: mountAt(mounts, dir),
        insideRoot: mountAt(mounts, '/'),
      };
    } finally {
      await c.stop();
    }
    const error = ctx.cleanup.pop(cleanupId);
    ctx.log(`host: umount -R ${dir}`);
    const leftover = mountsOf()
      .filter((m) => m.target === dir || m.target.startsWith(`${dir}/`))
      .map((m) => `${m.target} (${m.source})`);
    return { hostProp, ...seen, ...(error !== undefined ? { error } : {}), leftover };
  },
  checks: [
    {
      id: 'private-copies',
      description: "After makePrivate, the container's root and its copy of our tmpfs carry no shared: tag.",
      evaluate: (o) => ({
        observed: `container: ${shownTag(o.insideRoot)}, ${shownTag(o.insideProp)}; host: ${shownTag(o.hostProp)}`,
        expected: 'container: both private; host: shared',
        pass:
          o.insideRoot !== undefined &&
          o.insideProp !== undefined &&
          peerGroup(o.insideRoot) === undefined &&
          peerGroup(o.insideProp) === undefined &&
          peerGroup(o.hostProp) !== undefined,
      }),
    },
    {
      id: 'mount-contained',
      description: 'The tmpfs mounted on prop/leak2 inside the private container is in its mount table but not in the host\'s.',
      evaluate: (o) => ({
        observed: `inside: ${o.insideHasIt ? 'mounted' : 'absent'}; host: ${o.hostSees ? 'mounted' : 'absent'}`,
        expected: 'inside: mounted; host: absent',
        pass: o.insideHasIt && !o.hostSees,
      }),
    },
    {
      id: 'host-clean',
      description: 'After the lab removes its shared tmpfs, nothing is mounted at or below its directory on the host.',
      evaluate: (o) => ({
        observed: o.error ?? (o.leftover.length === 0 ? 'nothing mounted' : o.leftover.join(', ')),
        expected: 'nothing mounted',
        pass: o.error === undefined && o.leftover.length === 0,
      }),
    },
  ],
});

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'A container needs its own view of the file system: its own /proc for its own PIDs, its own /tmp and later its own root, without any of its mounts appearing on the host or in other containers.',
      zh: '容器需要自己的文件系统视图:为自己的 PID 准备的 /proc、自己的 /tmp,以后还有自己的根目录,而且它的挂载不能出现在宿主机或别的容器里。',
    },
    tradeoff: {
      en: 'The new namespace starts as a copy of the parent\'s mount table, and mount propagation (shared/slave/private) can carry mounts across namespaces in either direction: powerful (systemd, Kubernetes volume mounts) but a trap when a container forgets to make its root private.',
      zh: '新 namespace 一开始是父进程挂载表的副本,而挂载传播(shared/slave/private)能让挂载在 namespace 之间双向流动:很强大(systemd、Kubernetes 卷挂载都靠它),但容器忘了把根设为私有时就成了陷阱。',
    },
    usedBy: {
      en: 'Every container runtime (runc, crun, LXC, systemd-nspawn), unshare --mount, systemd PrivateTmp= and ProtectSystem=, Flatpak and bubblewrap sandboxes, Kubernetes mountPropagation.',
      zh: '所有容器运行时(runc、crun、LXC、systemd-nspawn)、unshare --mount、systemd 的 PrivateTmp= 与 ProtectSystem=、Flatpak 与 bubblewrap 沙箱、Kubernetes 的 mountPropagation。',
    },
    parts: {
      en: 'clone(CLONE_NEWNS) or unshare(CLONE_NEWNS), mount(2) with MS_REC|MS_PRIVATE / MS_SHARED / MS_SLAVE, /proc/PID/mountinfo (optional fields shared:N, master:N), findmnt -o PROPAGATION.',
      zh: 'clone(CLONE_NEWNS) 或 unshare(CLONE_NEWNS)、带 MS_REC|MS_PRIVATE / MS_SHARED / MS_SLAVE 的 mount(2)、/proc/PID/mountinfo(可选字段 shared:N、master:N)、findmnt -o PROPAGATION。',
    },
    kernel: {
      en: 'CLONE_NEWNS makes copy_mnt_ns() duplicate the whole tree of struct mount; shared copies join their original\'s peer group, so propagate_mnt() replays a mount on every peer. A proc mount shows the PID namespace of the process that mounted it.',
      zh: 'CLONE_NEWNS 让 copy_mnt_ns() 复制整棵 struct mount 树;shared 的副本加入原挂载的 peer group,所以 propagate_mnt() 会在每个 peer 上重放一次挂载。proc 挂载显示的是执行挂载的那个进程所在的 PID namespace。',
    },
    alternatives: {
      en: 'chroot changes only the root directory and shares every mount; a VM has its own kernel and disks; FreeBSD jails and Solaris zones restrict one global mount table instead of copying it.',
      zh: 'chroot 只换根目录,所有挂载仍然共享;虚拟机有自己的内核和磁盘;FreeBSD jail 与 Solaris zone 是限制同一张全局挂载表,而不是复制一份。',
    },
  },
  requirements: [
    ...basics,
    namespaces(...FRESH_NS),
    filesystem('proc'),
    filesystem('tmpfs'),
    tool('ps', 'procps'),
    tool('findmnt', 'util-linux'),
  ],
  steps: [fresh, sharedLeaks, privateContains],
  shell: {
    open: (ctx) => interactive(ctx, { labId: about.id, namespaces: FRESH_NS, actions: freshProc }),
  },
};
