// 04-mount: a mount namespace gives the container its own mount table, so it can mount a
// /proc of its own PID namespace; mount propagation decides whether its mounts stay inside.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mount, umount, type SetupAction } from '../../addon/index.js';
import {
  Container,
  WHERE,
  attempt,
  program,
  step,
  t,
  basics,
  filesystem,
  namespaces,
  tool,
  interactive,
  hostMountinfoOf,
  mountAt,
  mountsOf,
  peerGroup,
  propagation,
  say,
  type Lab,
  type MountLine,
  type ProbeReport,
  type Shown,
  type StepContext,
  type Text,
} from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';

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
  /**
   * Where the article's `mount -t proc proc /proc` lands: the topmost mount at /proc (the new proc
   * is mounted on it) and the mount that contains the /proc directory (its parent, normally /),
   * on the host and, for /proc, the container's copy of it.
   */
  readonly procHost?: MountLine;
  readonly procParent?: MountLine;
  readonly procInside?: MountLine;
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
const showTree = (ctx: StepContext, dir: string, where: { container: Container } | { where: Text }) => {
  const argv = ['findmnt', '-o', 'TARGET,SOURCE,PROPAGATION', '-R', dir];
  return 'container' in where ? inside(ctx, where.container, argv) : attempt(ctx, argv, where);
};
const NOT_MOUNTED = t('not mounted', '未挂载');
/** A mount as "target propagation" (values findmnt prints), or "not mounted". */
const shownTag = (m: MountLine | undefined): Shown => (m ? `${m.target} ${propagation(m)}` : NOT_MOUNTED);
const yes = (b: boolean): Text => (b ? t('yes', '是') : t('no', '否'));

/**
 * The mount that contains `path` without being mounted on it: the topmost mount on the longest
 * proper ancestor of `path` ("/" for /proc). A mount made on `path` when nothing is mounted
 * there becomes its child.
 */
export function parentOf(mounts: readonly MountLine[], path: string): MountLine | undefined {
  const ancestors = mounts.filter((m) => m.target !== path && (m.target === '/' || path.startsWith(`${m.target}/`)));
  const depth = Math.max(-1, ...ancestors.map((m) => m.target.length));
  return mountAt(ancestors, ancestors.find((m) => m.target.length === depth)?.target ?? '');
}

/**
 * The article's proc mount on /proc: it is made on the topmost mount at /proc when there is one
 * (else on the mount containing /proc), and it reaches the host only if that mount is shared.
 */
export function procVerdict(on: MountLine | undefined, parent: MountLine | undefined): Text {
  const lands = on ?? parent;
  const what = on
    ? t(`on the mount at /proc (${on.fstype}, ${propagation(on)}), whose parent is ${parent?.target ?? '?'} (${propagation(parent)})`,
        `落在 /proc 上现有的挂载上（${on.fstype}，${propagation(on)}），它的父挂载是 ${parent?.target ?? '?'}（${propagation(parent)}）`)
    : t(`on ${parent?.target ?? '?'} (${propagation(parent)}), the mount containing /proc (nothing is mounted on /proc)`,
        `落在包含 /proc 目录的挂载 ${parent?.target ?? '?'} 上（${propagation(parent)}；/proc 上没有挂载）`);
  const pre = t(`the article's mount -t proc proc /proc lands ${what.en}: `, `文章的 mount -t proc proc /proc ${what.zh}：`);
  return peerGroup(lands) !== undefined
    ? t(`${pre.en}that mount is shared, so the container's copy is its peer and the new proc would also appear on the host's /proc`,
        `${pre.zh}这个挂载是 shared，容器里的副本和它同属一个对等组，新的 proc 也会出现在宿主机的 /proc 上`)
    : t(`${pre.en}that mount is not shared, so the article's program would not leak here; on a systemd host, where every mount is shared, it would`,
        `${pre.zh}这个挂载不是 shared，文章的程序在这里不会泄漏；在所有挂载都是 shared 的 systemd 主机上就会泄漏`);
}

/** The shared:N and master:N tags of a mount: what a copy in a new namespace must keep. */
const peerTags = (m: MountLine) => m.optional.filter((o) => /^(shared|master):/.test(o)).join(' ');

export const fresh = step<FreshProc>({
  id: 'fresh-proc',
  title: { en: 'A fresh /proc: ps sees only the container', zh: '新的 /proc：ps 只看到容器里的进程' },
  explain: {
    en: 'With CLONE_NEWNS the child gets a copy of the mount table that it may change freely. We first make that copy private (so nothing can travel back to the host), then mount a new proc on /proc. A proc mount shows the PID namespace of whoever mounted it, so ps inside now lists just PID 1 and ps itself: the 2 processes of the article (there: bash and ps). findmnt shows two proc mounts on /proc: the new one sits on top of the copy of the host\'s, and hides it.',
    zh: '加上 CLONE_NEWNS，子进程得到一份可以随意修改的挂载表副本。我们先把这份副本设为私有（这样什么都传不回宿主机），再把新的 proc 挂载到 /proc。proc 挂载显示的是执行挂载的进程所在的 PID namespace，所以容器里的 ps 只列出 1 号进程和 ps 自己：正是文章里的 2 个进程（文章中是 bash 和 ps）。findmnt 显示 /proc 上有两个 proc 挂载：新的叠在宿主机那份的副本上面，把它遮住了。',
  },
  article: 'system("mount -t proc proc /proc");   /* clone(..., CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD) */',
  modern: 'unshare --pid --fork --mount --propagation private --mount-proc ps -e',
  async run(ctx) {
    const before = hostMountinfoOf(ctx.token);
    const c = await Container.start(ctx, { namespaces: FRESH_NS, actions: freshProc, label: t('container with a fresh /proc', '带新 /proc 的容器') });
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
    await attempt(ctx, ['findmnt', '/proc'], { where: t('host, after the container', '主机，容器退出后') });
    const seen: FreshProc = { report: c.report, ps, psPids: psPids(ps), hostPid: c.pid, mountinfo: { before, during, after } };
    ctx.measure('psInside', seen.psPids.length);
    return seen;
  },
  checks: [
    {
      id: 'ps-two',
      description: t(
        "ps -e inside lists exactly 2 processes: PID 1 (our probe, the article's bash) and ps itself.",
        '容器里的 ps -e 恰好列出 2 个进程：1 号进程（我们的探针，相当于文章里的 bash）和 ps 自己。',
      ),
      evaluate: (o) => ({
        observed: t(`${o.psPids.length} processes: PIDs ${o.psPids.join(', ')}`, `${o.psPids.length} 个进程：PID ${o.psPids.join(', ')}`),
        expected: t('2 processes, one of them PID 1', '2 个进程，其中一个是 1 号进程'),
        pass: o.psPids.length === 2 && o.psPids.includes(1),
      }),
    },
    {
      id: 'proc-is-own',
      description: t(
        "The probe's /proc lists only itself as PID 1, and its mount table has a proc mount on /proc.",
        '探针的 /proc 里只有它自己，PID 为 1；它的挂载表里 /proc 上有一个 proc 挂载。',
      ),
      evaluate: (o) => {
        const r = o.report;
        const procs = (r.mounts ?? []).filter((m) => m.target === '/proc' && m.fstype === 'proc');
        const pids = (r.pids ?? []).join(', ');
        return {
          observed: t(
            `pid ${r.pid}, /proc entries [${pids}], proc mounts on /proc: ${procs.length}`,
            `pid ${r.pid}，/proc 中的条目 [${pids}]，/proc 上的 proc 挂载：${procs.length} 个`,
          ),
          expected: t('pid 1, /proc entries [1], at least 1 proc mount on /proc', 'pid 1，/proc 中的条目 [1]，/proc 上至少 1 个 proc 挂载'),
          pass: r.pid === 1 && r.pids?.length === 1 && r.pids[0] === 1 && procs.length >= 1,
        };
      },
    },
    {
      id: 'host-mountinfo-unchanged',
      description: t(
        "The host's /proc/self/mountinfo is byte-for-byte the same before, during and after the container.",
        '宿主机的 /proc/self/mountinfo 在容器运行前、运行中和退出后逐字节相同。',
      ),
      evaluate: (o) => {
        const { before, during, after } = o.mountinfo;
        const lines = (s: string) => s.split('\n').filter(Boolean).length;
        const same = (x: string): Text => (x === before ? t('identical', '相同') : t(`differs (${lines(x)} lines)`, `不同（${lines(x)} 行）`));
        const d = same(during);
        const a = same(after);
        return {
          observed: t(`before ${lines(before)} lines, during ${d.en}, after ${a.en}`, `之前 ${lines(before)} 行，运行中${d.zh}，退出后${a.zh}`),
          expected: t('identical, identical', '相同，相同'),
          pass: before.length > 0 && during === before && after === before,
        };
      },
    },
  ],
});

export const sharedLeaks = step<SharedLeak>({
  id: 'shared-leaks',
  title: { en: 'Propagation: a mount on a shared mount leaks to the host', zh: '挂载传播：shared 挂载上的挂载会泄漏到宿主机' },
  explain: {
    en: 'A new mount namespace copies each mount with its propagation. A shared mount and its copy are peers: a mount made under one appears under the other. Whether a new mount travels is decided by the mount it is made on: mounting proc on /proc puts it on top of the mount already at /proc (or, if /proc is no mount point, on the mount containing it, normally /), so what counts for the article is /proc\'s propagation, not /\'s. On a systemd host every mount is shared, /proc included, so the article\'s program, run as written, lands its proc on the host\'s /proc. To show it safely we build a shared tmpfs of our own, start a container WITHOUT making its mounts private, and mount under it inside: the mount shows up on the host, and stays there after the container is gone.',
    zh: '新的 mount namespace 复制每个挂载时，连同它的传播类型一起复制。shared 挂载和它的副本属于同一个对等组：在其中一个下面挂载，另一个下面也会出现。新挂载会不会传出去，取决于它挂在哪个挂载上：把 proc 挂到 /proc，它就叠在 /proc 上已有的挂载之上（/proc 若不是挂载点，则挂在包含它的挂载上，通常是 /），所以对文章的程序来说，起决定作用的是 /proc 的传播类型，而不是 / 的。在 systemd 主机上所有挂载都是 shared，/proc 也不例外，所以文章的程序原样运行时，它的 proc 会落到宿主机的 /proc 上。为了安全地演示，我们自己建一个 shared tmpfs，启动一个不把挂载设为私有的容器，在容器里往它下面挂载：这个挂载出现在宿主机上，容器退出后还留着。',
  },
  article: 'clone(..., CLONE_NEWNS ...); system("mount -t proc proc /proc");   /* no MS_PRIVATE anywhere */',
  modern: 'mount --make-shared DIR; unshare --mount --propagation unchanged mount -t tmpfs nslab-leak DIR/leak',
  async run(ctx) {
    const dir = join(ctx.scratch(), 'prop');
    mkdirSync(dir);
    const host = mountsOf();
    const procHost = mountAt(host, '/proc');
    const procParent = parentOf(host, '/proc');
    for (const target of ['/', '/proc']) await attempt(ctx, ['findmnt', '-o', 'TARGET,SOURCE,FSTYPE,PROPAGATION', target], { where: WHERE.host });
    ctx.log(procVerdict(procHost, procParent));
    ctx.measure('procPropagation', propagation(procHost ?? procParent));

    // Journalled with everything that will be mounted below it (the leak included).
    const cleanupId = ctx.cleanup.createSync({ kind: 'mount', rel: ctx.cleanup.rel(dir) }, t(`tmpfs on ${dir}`, `${dir} 上的 tmpfs`), () =>
      mount('nslab-prop', dir, 'tmpfs', [], 'size=1m,mode=755'),
    ).id;
    mount(null, dir, null, ['shared']);
    ctx.log(t(`host: mount -t tmpfs -o size=1m nslab-prop ${dir}; mount --make-shared ${dir}`, `主机上执行：mount -t tmpfs -o size=1m nslab-prop ${dir}; mount --make-shared ${dir}`));
    const hostProp = mountAt(mountsOf(), dir);
    const leak = join(dir, 'leak');
    const c = await Container.start(ctx, {
      namespaces: ['mnt'],
      actions: [
        { do: 'mkdir', path: leak },
        { do: 'mount', source: 'nslab-leak', target: leak, fstype: 'tmpfs', data: 'size=1m' },
      ],
      label: t('container without makePrivate', '没有 makePrivate 的容器'),
    });
    let insideProp: MountLine | undefined;
    let procInside: MountLine | undefined;
    let hostSees: boolean;
    try {
      await showTree(ctx, dir, { container: c });
      await showTree(ctx, dir, { where: WHERE.host });
      const mounts = mountsOf(c.pid);
      insideProp = mountAt(mounts, dir);
      procInside = mountAt(mounts, '/proc');
      hostSees = mountAt(mountsOf(), leak)?.source === 'nslab-leak';
    } finally {
      await c.stop();
    }
    const seen = { dir, cleanupId, procHost, procParent, procInside, hostProp, insideProp, hostSees };
    // Interrupted: the cleanup stack has already removed everything, and nobody reads this.
    if (ctx.signal.aborted) return { ...seen, hostSeesAfterStop: false, hostSeesAfterUmount: true };
    const hostSeesAfterStop = mountAt(mountsOf(), leak)?.source === 'nslab-leak';
    ctx.log(
      t(
        `container gone; host still has ${leak}: ${yes(hostSeesAfterStop).en} → umount it on the host`,
        `容器已退出；宿主机上还有 ${leak} 吗：${yes(hostSeesAfterStop).zh} → 在宿主机上卸载它`,
      ),
    );
    umount(leak);
    ctx.log(t(`host: umount ${leak}`, `主机上执行：umount ${leak}`));
    return { ...seen, hostSeesAfterStop, hostSeesAfterUmount: mountAt(mountsOf(), leak) !== undefined };
  },
  checks: [
    {
      id: 'proc-copy-keeps-propagation',
      description: t(
        "The container's copy of /proc (where the article mounts its proc) keeps the host /proc's propagation: a peer of it when it is shared, in no peer group when it is private.",
        '容器里 /proc 的副本（文章的 proc 就挂在它上面）保持宿主机 /proc 的传播类型：宿主机的是 shared 时与它同属一个对等组，是 private 时不属于任何对等组。',
      ),
      evaluate: (o) => {
        const host = o.procHost;
        const copy = o.procInside;
        return {
          observed: t(`host: ${say(shownTag(host), 'en')}; container: ${say(shownTag(copy), 'en')}`, `主机：${say(shownTag(host), 'zh')}；容器：${say(shownTag(copy), 'zh')}`),
          expected: host
            ? t(`container: /proc ${propagation(host)}, as on the host`, `容器：/proc ${propagation(host)}，与主机相同`)
            : t('a mount at /proc on the host and in the container', '主机和容器的 /proc 上都有挂载'),
          pass: host !== undefined && copy !== undefined && copy.fstype === host.fstype && peerTags(copy) === peerTags(host),
        };
      },
    },
    {
      id: 'copy-is-peer',
      description: t(
        "The container's copy of our shared tmpfs is in the same peer group as the host's (same shared:N).",
        '容器里我们那个 shared tmpfs 的副本与宿主机上的属于同一个对等组（shared:N 相同）。',
      ),
      evaluate: (o) => ({
        observed: t(`host: ${say(shownTag(o.hostProp), 'en')}; container: ${say(shownTag(o.insideProp), 'en')}`, `主机：${say(shownTag(o.hostProp), 'zh')}；容器：${say(shownTag(o.insideProp), 'zh')}`),
        expected: t('both shared, same peer group', '两者都是 shared，且属于同一个对等组'),
        pass: peerGroup(o.hostProp) !== undefined && peerGroup(o.hostProp) === peerGroup(o.insideProp),
      }),
    },
    {
      id: 'mount-leaks',
      description: t(
        "The tmpfs the container mounted on prop/leak appears in the host's mount table, and stays there after the container exits.",
        '容器挂载到 prop/leak 的 tmpfs 出现在宿主机的挂载表里，容器退出后仍然留着。',
      ),
      evaluate: (o) => ({
        observed: t(
          `host sees nslab-leak while the container runs: ${yes(o.hostSees).en}; after it exited: ${yes(o.hostSeesAfterStop).en}`,
          `容器运行时宿主机能看到 nslab-leak：${yes(o.hostSees).zh}；容器退出后：${yes(o.hostSeesAfterStop).zh}`,
        ),
        expected: t('yes, yes', '是，是'),
        pass: o.hostSees && o.hostSeesAfterStop,
      }),
    },
    {
      id: 'leak-removed',
      description: t('After umount on the host, nothing is mounted on prop/leak any more.', '在宿主机上 umount 之后，prop/leak 上不再有任何挂载。'),
      evaluate: (o) => ({
        observed: o.hostSeesAfterUmount ? t('still mounted', '仍然挂载着') : NOT_MOUNTED,
        expected: NOT_MOUNTED,
        pass: !o.hostSeesAfterUmount,
      }),
    },
  ],
});

export const privateContains = step<Contained>({
  id: 'private-contains',
  title: { en: 'MS_REC|MS_PRIVATE keeps the mounts inside', zh: 'MS_REC|MS_PRIVATE 把挂载关在里面' },
  explain: {
    en: 'Now the same container first runs mount(NULL, "/", NULL, MS_REC|MS_PRIVATE), as unshare(1) does by default. Its copies leave every peer group, so the tmpfs it mounts on prop/leak2 exists inside only. Then the shared tmpfs is removed from the host. runc does something close by default: MS_REC|MS_SLAVE on its root (unless the config\'s rootfsPropagation says otherwise), so mounts made on the host still reach the container, but none made inside come back.',
    zh: '这次同样的容器先执行 mount(NULL, "/", NULL, MS_REC|MS_PRIVATE)，unshare(1) 默认就这样做。它的副本离开了所有对等组，所以它挂载到 prop/leak2 上的 tmpfs 只存在于容器里。随后从宿主机上移除这个 shared tmpfs。runc 默认的做法与此相近：对根执行 MS_REC|MS_SLAVE（除非配置里的 rootfsPropagation 另有规定），这样宿主机上新做的挂载仍会传到容器里，容器里做的挂载却一个也传不回来。',
  },
  modern: {
    en: 'mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);   # unshare --mount --propagation private; runc: MS_REC | MS_SLAVE',
    zh: 'mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);   # unshare --mount --propagation private；runc 用 MS_REC | MS_SLAVE',
  },
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
      label: t('container with makePrivate', '执行了 makePrivate 的容器'),
    });
    let seen: Pick<Contained, 'insideRoot' | 'insideProp' | 'insideHasIt' | 'hostSees'>;
    try {
      await showTree(ctx, dir, { container: c });
      await showTree(ctx, dir, { where: WHERE.host });
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
    ctx.log(t(`host: umount -R ${dir}`, `主机上执行：umount -R ${dir}`));
    const leftover = mountsOf()
      .filter((m) => m.target === dir || m.target.startsWith(`${dir}/`))
      .map((m) => `${m.target} (${m.source})`);
    return { hostProp, ...seen, ...(error !== undefined ? { error } : {}), leftover };
  },
  checks: [
    {
      id: 'private-copies',
      description: t(
        "After makePrivate, the container's root and its copy of our tmpfs carry no shared: tag.",
        '执行 makePrivate 之后，容器的根和它那份我们的 tmpfs 副本都不再带 shared: 标记。',
      ),
      evaluate: (o) => {
        const r = shownTag(o.insideRoot);
        const p = shownTag(o.insideProp);
        const h = shownTag(o.hostProp);
        return {
          observed: t(`container: ${say(r, 'en')}, ${say(p, 'en')}; host: ${say(h, 'en')}`, `容器：${say(r, 'zh')}，${say(p, 'zh')}；主机：${say(h, 'zh')}`),
          expected: t('container: both private; host: shared', '容器：两者都是 private；主机：shared'),
          pass:
            o.insideRoot !== undefined &&
            o.insideProp !== undefined &&
            peerGroup(o.insideRoot) === undefined &&
            peerGroup(o.insideProp) === undefined &&
            peerGroup(o.hostProp) !== undefined,
        };
      },
    },
    {
      id: 'mount-contained',
      description: t(
        "The tmpfs mounted on prop/leak2 inside the private container is in its mount table but not in the host's.",
        '私有容器里挂载到 prop/leak2 的 tmpfs 在容器的挂载表里，但不在宿主机的挂载表里。',
      ),
      evaluate: (o) => {
        const where = (b: boolean): Text => (b ? t('mounted', '已挂载') : t('absent', '没有'));
        return {
          observed: t(`inside: ${where(o.insideHasIt).en}; host: ${where(o.hostSees).en}`, `容器里：${where(o.insideHasIt).zh}；主机：${where(o.hostSees).zh}`),
          expected: t('inside: mounted; host: absent', '容器里：已挂载；主机：没有'),
          pass: o.insideHasIt && !o.hostSees,
        };
      },
    },
    {
      id: 'host-clean',
      description: t(
        'After the lab removes its shared tmpfs, nothing is mounted at or below its directory on the host.',
        '实验移除它的 shared tmpfs 之后，宿主机上这个目录及其下面没有任何挂载。',
      ),
      evaluate: (o) => ({
        observed:
          o.error !== undefined
            ? t(`removing it failed: ${o.error}`, `移除失败：${o.error}`)
            : o.leftover.length === 0
              ? t('nothing mounted', '没有任何挂载')
              : o.leftover.join(', '),
        expected: t('nothing mounted', '没有任何挂载'),
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
      zh: '容器需要自己的文件系统视图：为自己的 PID 准备的 /proc、自己的 /tmp，以后还有自己的根目录，而且它的挂载不能出现在宿主机或别的容器里。',
    },
    tradeoff: {
      en: 'The new namespace starts as a copy of the parent\'s mount table, and mount propagation (shared/slave/private) can carry mounts across namespaces in either direction: powerful (systemd, Kubernetes volume mounts) but a trap when a container forgets to make its root private (or slave).',
      zh: '新 namespace 一开始是父进程挂载表的副本，而挂载传播（shared/slave/private）能让挂载在 namespace 之间双向流动：很强大（systemd、Kubernetes 卷挂载都靠它），但容器忘了把根设为私有（或 slave）时就成了陷阱。',
    },
    usedBy: {
      en: 'Every container runtime (runc, crun, LXC, systemd-nspawn), unshare --mount, systemd PrivateTmp= and ProtectSystem=, Flatpak and bubblewrap sandboxes, Kubernetes mountPropagation.',
      zh: '所有容器运行时（runc、crun、LXC、systemd-nspawn）、unshare --mount、systemd 的 PrivateTmp= 与 ProtectSystem=、Flatpak 与 bubblewrap 沙箱、Kubernetes 的 mountPropagation。',
    },
    parts: {
      en: 'clone(CLONE_NEWNS) or unshare(CLONE_NEWNS), mount(2) with MS_REC|MS_PRIVATE / MS_SHARED / MS_SLAVE, /proc/PID/mountinfo (optional fields shared:N, master:N), findmnt -o PROPAGATION.',
      zh: 'clone(CLONE_NEWNS) 或 unshare(CLONE_NEWNS)、带 MS_REC|MS_PRIVATE / MS_SHARED / MS_SLAVE 的 mount(2)、/proc/PID/mountinfo（可选字段 shared:N、master:N）、findmnt -o PROPAGATION。',
    },
    kernel: {
      en: 'CLONE_NEWNS makes copy_mnt_ns() duplicate the whole tree of struct mount; shared copies join their original\'s peer group, so propagate_mnt() replays a mount on every peer. A proc mount shows the PID namespace of the process that mounted it.',
      zh: 'CLONE_NEWNS 让 copy_mnt_ns() 复制整棵 struct mount 树；shared 的副本加入原挂载的对等组，所以 propagate_mnt() 会在对等组的每个成员上重放一次挂载。proc 挂载显示的是执行挂载的那个进程所在的 PID namespace。',
    },
    alternatives: {
      en: 'chroot changes only the root directory and shares every mount; a VM has its own kernel and disks; FreeBSD jails and Solaris zones restrict one global mount table instead of copying it.',
      zh: 'chroot 只换根目录，所有挂载仍然共享；虚拟机有自己的内核和磁盘；FreeBSD jail 与 Solaris zone 是限制同一张全局挂载表，而不是复制一份。',
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
  exercises,
  shell: {
    open: (ctx) => interactive(ctx, { labId: about.id, namespaces: FRESH_NS, actions: freshProc }),
  },
};
