// The article's closing advice, done: an ordinary user creates a user namespace first, is mapped
// to root in it, and as root of that namespace creates UTS, IPC, PID and mount namespaces, with a
// fresh /proc. Nothing here is privileged on the host: every process is uid 1000.
import { hostname as osHostname } from 'node:os';
import type { Namespace, SetupAction } from '../../addon/index.js';
import { LabError, WHERE, attempt, hostPids, nsOf, program, shown, statusField, step, t, type ProbeReport } from '../../runner/kit/index.js';
import { hold, letGo, reportOf, statusIds } from './held.js';
import { same, unprivileged } from './steps.js';
import { OUTSIDE_UID, asUser, userOnly, writeMaps } from './unprivileged.js';

/** The hostname the article's program gives its container. */
export const FINALE_HOST = 'container';
/** What the finale creates: the user namespace first, then these inside it. */
export const INSIDE_NS: readonly Namespace[] = ['uts', 'ipc', 'pid', 'mnt'];
const ALL_NS: readonly Namespace[] = ['user', ...INSIDE_NS];

/** The container made by uid 1000, as the host and the container itself see it. */
export interface Finale {
  /** Host view of the creator (the process that unshared the user namespace) while it waited for its maps. */
  readonly creatorUid: readonly number[];
  /** CapEff of a uid-1000 process in the initial user namespace, as /proc/self/status prints it (hex). */
  readonly capEffUser: string;
  /** The container's PID 1 as the host knows it. */
  readonly hostPid: number;
  /** Host-side /proc/PID/status of PID 1: Uid (all four) and NSpid (host pid, then pid inside). */
  readonly childUid: readonly number[];
  readonly nspid: readonly string[];
  /** Namespace inodes: nslab's own, and the container's read from the host. */
  readonly nsHost: Readonly<Partial<Record<Namespace, number>>>;
  readonly nsChild: Readonly<Partial<Record<Namespace, number>>>;
  /** The probe, PID 1 of the container. */
  readonly report: ProbeReport;
  /** `hostname` and `ps -e -o pid=,comm=` run inside (joined like docker exec). */
  readonly hostname: string;
  readonly ps: readonly { pid: number; comm: string }[];
  /** How many processes the host's /proc lists. */
  readonly hostProcs: number;
  readonly hostBefore: string;
  readonly hostAfter: string;
}

function psRows(out: string): { pid: number; comm: string }[] {
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S.*?)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), comm: m[2]! }));
}

const inodes = (pid: number | 'self'): Partial<Record<Namespace, number>> =>
  Object.fromEntries(ALL_NS.map((n) => [n, pid === 'self' ? nsOf(process.pid, n) : nsOf(pid, n)]).filter(([, v]) => v !== undefined));

export const finale = step<Finale>({
  id: 'userns-first',
  title: { en: 'User namespace first, then the others inside it, as uid 1000', zh: '先建 user namespace，再在里面建其他 namespace，全程是 uid 1000' },
  explain: {
    en: `The article ends with the way out: an ordinary user may not create UTS, IPC, PID or mount namespaces (each needs CAP_SYS_ADMIN), but it may create a user namespace, be mapped to root in it, and then, as root of that namespace, create the others — they belong to the new user namespace, so its capabilities count there. nslab does it step by step as uid ${OUTSIDE_UID}: unshare(CLONE_NEWUSER); wait while the parent (also uid ${OUTSIDE_UID}) writes the maps; unshare(CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNS); fork, so the child is PID 1; mount a fresh /proc; set the hostname "${FINALE_HOST}". The article's program passes all the flags to one clone(), and the kernel then creates the user namespace first too. The host's /proc/PID/status shows a full CapEff for PID 1: capabilities are counted in the process's own user namespace, not the host's.`,
    zh: `原文最后给出了办法：普通用户不能创建 UTS、IPC、PID 或挂载 namespace（都需要 CAP_SYS_ADMIN），但可以先创建 user namespace，在其中被映射为 root，然后以这个 namespace 的 root 身份创建其他 namespace——它们属于新的 user namespace，所以它的能力（capability）在那里有效。nslab 以 uid ${OUTSIDE_UID} 一步步地做：unshare(CLONE_NEWUSER)；等父进程（同样是 uid ${OUTSIDE_UID}）写好映射；unshare(CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNS)；fork，使子进程成为 PID 1；挂载新的 /proc；把主机名设为“${FINALE_HOST}”。原文的程序把所有标志交给一次 clone()，内核同样先创建 user namespace。宿主机的 /proc/PID/status 显示 PID 1 的 CapEff 是满的：能力是在进程自己的 user namespace 里计算的，而不是宿主机的。`,
  },
  article: 'hchen@ubuntu:~$ ./user   # clone(container_main, ..., CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUSER | SIGCHLD, NULL)',
  modern: `unshare --user --map-root-user --uts --ipc --pid --mount --fork --mount-proc sh -c 'hostname ${FINALE_HOST}; ps -e'`,
  async run(ctx) {
    const { ws } = ctx.observed(unprivileged);
    const hostBefore = osHostname();
    const caps = await shown(ctx, "grep -E '^(Uid|CapEff):' /proc/self/status", [program('grep'), '-E', '^(Uid|CapEff):', '/proc/self/status'], {
      actions: asUser,
      where: t(`uid ${OUTSIDE_UID}, initial user namespace`, `uid ${OUTSIDE_UID}，初始 user namespace`),
    });
    const capEffUser = /^CapEff:\s*([0-9a-f]+)/m.exec(caps.stdout)?.[1] ?? '?';
    const actions: SetupAction[] = [
      ...userOnly,
      { do: 'wait' },
      { do: 'unshare', namespaces: INSIDE_NS },
      { do: 'fork' },
      { do: 'makePrivate', path: '/' },
      { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
      { do: 'sethostname', name: FINALE_HOST },
    ];
    const { child, id: cleanupId } = ctx.spawn({ argv: [ws.probe, '--hold'], actions, stdio: ['pipe', 'pipe', 'pipe'] }, t('user-namespace-first container', '先建 user namespace 的容器'));
    await hold(ctx, child, cleanupId);
    try {
      const mid = child.pid;
      ctx.log(
        t(
          `process ${mid} (uid ${OUTSIDE_UID}) unshared a user namespace and waits for its maps`,
          `进程 ${mid}（uid ${OUTSIDE_UID}）创建（unshare）了一个 user namespace，正在等待映射`,
        ),
      );
      await attempt(ctx, ['grep', '-E', '^Uid:', `/proc/${mid}/status`], { command: `grep -E '^Uid:' /proc/${mid}/status`, where: WHERE.host });
      const creatorUid = statusIds(mid).uid;
      await writeMaps(ctx, ws, mid);
      const reported = reportOf(child);
      child.go();
      await child.ready();
      const report = await reported;
      const hostPid = hostPids().find((p) => statusField(p, 'PPid')?.[0] === String(mid));
      if (hostPid === undefined)
        throw new LabError(t(`the container's PID 1 (a child of ${mid}) was not found in /proc`, `在 /proc 中没有找到容器的 1 号进程（${mid} 的子进程）`));
      ctx.log(
        t(
          `unshare(CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNS) by ${mid} as root inside, fork: PID 1 of the new PID namespace is ${hostPid} on the host`,
          `${mid} 以里面的 root 身份执行 unshare(CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNS) 并 fork：新 PID namespace 的 1 号进程在宿主机上是 ${hostPid}`,
        ),
      );
      await attempt(ctx, ['grep', '-E', '^(Uid|NSpid|CapEff):', `/proc/${hostPid}/status`], {
        command: `grep -E '^(Uid|NSpid|CapEff):' /proc/${hostPid}/status`,
        where: WHERE.host,
      });
      const nsHost = inodes('self');
      const nsChild = inodes(hostPid);
      ctx.log(
        t(
          `namespaces of PID 1 seen from the host: ${ALL_NS.map((n) => `${n}:[${nsChild[n]}]`).join(' ')}; nslab's: ${ALL_NS.map((n) => `${n}:[${nsHost[n]}]`).join(' ')}`,
          `宿主机看到的 1 号进程的 namespace：${ALL_NS.map((n) => `${n}:[${nsChild[n]}]`).join(' ')}；nslab 的：${ALL_NS.map((n) => `${n}:[${nsHost[n]}]`).join(' ')}`,
        ),
      );
      const join: SetupAction[] = [
        ...asUser,
        ...(['user', 'uts', 'ipc', 'pid', 'mnt'] as const).map((ns): SetupAction => ({ do: 'setns', path: `/proc/${hostPid}/ns/${ns}`, ns })),
        { do: 'fork' },
      ];
      const where = t(`inside, joined as uid ${OUTSIDE_UID}`, `在里面，以 uid ${OUTSIDE_UID} 加入`);
      const hn = await shown(ctx, 'hostname', [program('hostname')], { actions: join, where });
      const ps = await shown(ctx, 'ps -e -o pid,comm', [program('ps'), '-e', '-o', 'pid,comm'], { actions: join, where });
      const hostProcs = hostPids().length;
      return {
        creatorUid,
        capEffUser,
        hostPid,
        childUid: statusIds(hostPid).uid,
        nspid: statusField(hostPid, 'NSpid') ?? [],
        nsHost,
        nsChild,
        report,
        hostname: hn.stdout.trim(),
        ps: psRows(ps.stdout),
        hostProcs,
        hostBefore,
        hostAfter: osHostname(),
      };
    } finally {
      await letGo(ctx);
    }
  },
  checks: [
    {
      id: 'unprivileged-creator',
      description: t(
        `The namespaces were made by a process unprivileged on the host: uid ${OUTSIDE_UID} in all four ids of the host's /proc/PID/status (a uid-${OUTSIDE_UID} process has CapEff 0 in the initial namespace), yet uid 0 inside.`,
        `这些 namespace 是由一个在宿主机上没有特权的进程创建的：宿主机 /proc/PID/status 的四个 uid 都是 ${OUTSIDE_UID}（uid ${OUTSIDE_UID} 的进程在初始 namespace 中 CapEff 为 0），而在里面是 uid 0。`,
      ),
      evaluate: (o) => ({
        observed: t(
          `creator Uid: ${o.creatorUid.join(' ')}; PID 1 Uid: ${o.childUid.join(' ')}; uid ${OUTSIDE_UID} CapEff ${o.capEffUser}; inside uid ${o.report.uid}`,
          `创建者 Uid: ${o.creatorUid.join(' ')}；1 号进程 Uid: ${o.childUid.join(' ')}；uid ${OUTSIDE_UID} 的 CapEff ${o.capEffUser}；里面 uid ${o.report.uid}`,
        ),
        expected: t(
          `Uid ${OUTSIDE_UID} (×4) for both; CapEff 0000000000000000; inside uid 0`,
          `两者 Uid 都是 ${OUTSIDE_UID}（×4）；CapEff 0000000000000000；里面 uid 0`,
        ),
        pass: same(o.creatorUid, OUTSIDE_UID) && same(o.childUid, OUTSIDE_UID) && /^0+$/.test(o.capEffUser) && o.report.uid === 0,
      }),
    },
    {
      id: 'all-new-ns',
      description: t(
        "PID 1 of the container is in a user, UTS, IPC, PID and mount namespace of its own: each inode differs from the host's (read from the host).",
        '容器的 1 号进程有自己的 user、UTS、IPC、PID 和挂载 namespace：每个 inode 都与宿主机的不同（在宿主机上读取）。',
      ),
      evaluate: (o) => {
        const shared = ALL_NS.filter((n) => o.nsChild[n] === undefined || o.nsChild[n] === o.nsHost[n]);
        return {
          observed: t(
            `${ALL_NS.map((n) => `${n}:[${o.nsChild[n] ?? '?'}]`).join(' ')}; the same as the host: ${shared.join(' ') || 'none'}`,
            `${ALL_NS.map((n) => `${n}:[${o.nsChild[n] ?? '?'}]`).join(' ')}；与宿主机相同的：${shared.join(' ') || '无'}`,
          ),
          expected: t('five new inodes; none the same as the host', '五个新的 inode；没有与宿主机相同的'),
          pass: shared.length === 0 && ALL_NS.every((n) => o.nsHost[n] !== undefined),
        };
      },
    },
    {
      id: 'hostname-inside-only',
      description: t(
        `Root of the new user namespace set the hostname of its UTS namespace to "${FINALE_HOST}"; the host keeps its own.`,
        `新 user namespace 的 root 把它的 UTS namespace 的主机名设为“${FINALE_HOST}”；宿主机保持原来的名字。`,
      ),
      evaluate: (o) => ({
        observed: t(
          `probe: ${o.report.hostname}; hostname inside: ${o.hostname}; host: ${o.hostBefore} before, ${o.hostAfter} after`,
          `探针：${o.report.hostname}；里面的 hostname：${o.hostname}；宿主机：之前 ${o.hostBefore}，之后 ${o.hostAfter}`,
        ),
        expected: t(`${FINALE_HOST} inside; the host unchanged`, `里面是 ${FINALE_HOST}；宿主机不变`),
        pass: o.report.hostname === FINALE_HOST && o.hostname === FINALE_HOST && o.hostAfter === o.hostBefore && o.hostBefore !== FINALE_HOST,
      }),
    },
    {
      id: 'pid-one',
      description: t(
        'The container process is PID 1 inside, and the kernel lists both of its numbers in the host\'s /proc/PID/status (NSpid: host pid, then 1).',
        '容器进程在里面是 1 号进程，内核在宿主机的 /proc/PID/status 中列出它的两个编号（NSpid：宿主机 pid，然后是 1）。',
      ),
      evaluate: (o) => ({
        observed: t(`probe: PID ${o.report.pid}; NSpid: ${o.nspid.join(' ') || '?'}`, `探针：PID ${o.report.pid}；NSpid: ${o.nspid.join(' ') || '?'}`),
        expected: t(`PID 1; NSpid: ${o.hostPid} 1`, `里面是 PID 1；NSpid: ${o.hostPid} 1`),
        pass: o.report.pid === 1 && o.nspid.length === 2 && o.nspid[0] === String(o.hostPid) && o.nspid[1] === '1' && o.hostPid !== 1,
      }),
    },
    {
      id: 'fresh-proc',
      description: t(
        "The /proc mounted inside belongs to the new PID namespace: the probe sees only PID 1, and ps inside lists only the container's processes, not the host's.",
        '里面挂载的 /proc 属于新的 PID namespace：探针只看到 1 号进程，里面的 ps 也只列出容器的进程，而不是宿主机的。',
      ),
      evaluate: (o) => {
        const one = o.ps.find((p) => p.pid === 1);
        return {
          observed: t(
            `probe's /proc: PIDs ${o.report.pids?.join(' ') ?? '?'}; ps inside: ${o.ps.map((p) => `${p.pid} ${p.comm}`).join(', ') || 'nothing'}; host: ${o.hostProcs} processes`,
            `探针的 /proc：PID ${o.report.pids?.join(' ') ?? '?'}；里面的 ps：${o.ps.map((p) => `${p.pid} ${p.comm}`).join('，') || '无'}；宿主机：${o.hostProcs} 个进程`,
          ),
          expected: t('PIDs 1; ps: 1 nslab-probe and ps itself', 'PID 只有 1；ps：1 nslab-probe 和 ps 自己'),
          pass:
            o.report.pids !== null &&
            o.report.pids.length === 1 &&
            o.report.pids[0] === 1 &&
            one?.comm === 'nslab-probe' &&
            o.ps.length >= 2 &&
            o.ps.length <= 3 &&
            o.hostProcs > o.ps.length,
        };
      },
    },
  ],
});
