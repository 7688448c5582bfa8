// The steps of lab 07 up to root-inside: what each observes, and the checks that judge it (the
// finale, user namespace first and the others inside it, is finale.ts).
import { lstatSync, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join as joinPath } from 'node:path';
import { nsInode, type SetupAction } from '../../addon/index.js';
import { WHERE, attempt, probeOnce, program, shown, step, t, type ProbeReport, type Text } from '../../runner/kit/index.js';
import { hold, held, letGo, reportOf, statusIds } from './held.js';
import { MAP, OUTSIDE_GID, OUTSIDE_UID, asUser, creator, workspace, writeAsUser, type WriteResult, type Workspace } from './unprivileged.js';

export const HOSTNAME = 'nslab-userns';
/** The initial user namespace's map: every id from 0 on stands for itself, 2^32 - 1 of them. */
export const FULL_MAP = '0 0 4294967295';
/** The inode the kernel gives the initial user namespace (PROC_USER_INIT_INO, 0xEFFFFFFD). */
export const INIT_USER_INO = 4026531837;
/** A map uid 1000 may not write: it names uid 0 of the host, not its own uid. */
export const OTHER_MAP = '0 0 1';
/** The file root inside creates in uid 1000's directory. */
export const MADE = 'nslab-made-inside';

/** The experiment's processes as uid 1000, and what later steps need from the start. */
export interface Unprivileged {
  /** The probe and the root-only file uid 1000 works with (used by every later step). */
  readonly ws: Workspace;
  readonly hostBefore: string;
  readonly report: ProbeReport;
  /** What `id` printed as uid 1000. */
  readonly id: string;
}

/** The maps of the initial user namespace, as the kernel prints them. */
export interface InitialMap {
  /** /proc/1/uid_map and gid_map. */
  readonly uidMap: string;
  readonly gidMap: string;
  /** nslab's own /proc/self/uid_map. */
  readonly selfUidMap: string;
  /** The user namespace inodes of PID 1 (null: the kernel refused, e.g. without CAP_SYS_PTRACE) and of nslab. */
  readonly pid1User: number | null;
  readonly selfUser: number;
}

/** A user namespace that uid 1000 made and nobody mapped yet. */
export interface NoMap {
  readonly report: ProbeReport;
  readonly overflowuid: number;
  readonly overflowgid: number;
  /** /proc/self/uid_map inside, trimmed. */
  readonly uidMap: string;
  readonly id: string;
  /** The host's user namespace inode (/proc/self/ns/user of nslab). */
  readonly hostUser: number;
}

/** The parent's writes into the maps of a waiting child, before setgroups is denied. */
export interface Refused {
  /** The waiting child's host pid. */
  readonly pid: number;
  /** OTHER_MAP into uid_map: a uid that is not the writer's own. */
  readonly otherUid: WriteResult;
  readonly uidMap: WriteResult;
  /** MAP into uid_map a second time. */
  readonly again: WriteResult;
  readonly gidMap: WriteResult;
  /** /proc/PID/setgroups when gid_map was written. */
  readonly setgroups: string;
}

/** The same child after "deny" to setgroups and a second gid_map write. */
export interface Fixed {
  readonly deny: WriteResult;
  readonly gidMap: WriteResult;
}

/** The child let go: root inside its namespace, uid 1000 outside. */
export interface Inside {
  readonly report: ProbeReport;
  /** The Uid:/Gid: lines of /proc/PID/status as the host reads them. */
  readonly hostStatus: { uid: number[]; gid: number[] };
  readonly id: string;
  readonly hostname: string;
  /** Could the host root read the root-only file? */
  readonly secretAsHostRoot: boolean;
  /** What `cat` of that file printed inside. */
  readonly catSecret: string;
  readonly hostUts: number;
  readonly childUts: number;
  readonly hostBefore: string;
  readonly hostAfter: string;
  /** The file root inside created: its owner as the host's lstat() sees it (null: not there). */
  readonly made: readonly [number, number] | null;
  /** `stat -c '%u %g'` inside: of that file, and of the root-owned host file (null: not shown). */
  readonly madeInside: readonly [number, number] | null;
  readonly secretInside: readonly [number, number] | null;
  /** The overflow ids (no-map step). */
  readonly overflow: readonly [number, number];
}

/** PID 1's user namespace inode; null where the kernel does not let nslab read /proc/1/ns (no CAP_SYS_PTRACE). */
function pid1UserNs(): number | null {
  try {
    return nsInode(1, 'user');
  } catch {
    return null;
  }
}

const kernelNumber = (name: string) => Number(readFileSync(`/proc/sys/kernel/${name}`, 'utf8').trim());
export const same = (xs: readonly number[] | undefined, v: number) => xs !== undefined && xs.length === 4 && xs.every((x) => x === v);
/** A map as one line with single spaces ("         0       1000          1" -> "0 1000 1"). */
export const norm = (text: string) => text.trim().split(/\s+/).join(' ');
const writeShown = (w: WriteResult): Text => (w.ok ? t('written', '写入成功') : t(`refused (${w.errno})`, `被拒绝（${w.errno}）`));

export const unprivileged = step<Unprivileged>({
  id: 'unprivileged',
  title: { en: `The experiment runs as uid ${OUTSIDE_UID}, not as root`, zh: `实验以 uid ${OUTSIDE_UID} 运行，而不是 root` },
  explain: {
    en: `The article runs its program as the ordinary user hchen. nslab starts as root, so every process of this experiment first drops to uid/gid ${OUTSIDE_UID} with no supplementary groups (setgroups, setresgid, setresuid). No account is created: the kernel only needs the numbers.`,
    zh: `原文以普通用户 hchen 运行程序。nslab 以 root 启动，所以本实验的每个进程都先降到 uid/gid ${OUTSIDE_UID}，并清空附加组（setgroups、setresgid、setresuid）。不需要创建账号：内核只认数字。`,
  },
  article: 'hchen@ubuntu:~$ id   # uid=1000(hchen) gid=1000(hchen) groups=1000(hchen)',
  modern: `setpriv --reuid ${OUTSIDE_UID} --regid ${OUTSIDE_GID} --clear-groups id`,
  async run(ctx) {
    const hostBefore = osHostname();
    const ws = workspace(ctx);
    const { report } = await probeOnce(ctx, { namespaces: [], actions: asUser, probeFile: ws.probe, label: t(`probe as uid ${OUTSIDE_UID}`, `以 uid ${OUTSIDE_UID} 运行的探针`) });
    const r = await shown(ctx, 'id', [program('id')], { actions: asUser, where: t(`uid ${OUTSIDE_UID}`, `uid ${OUTSIDE_UID} 的进程`) });
    return { ws, hostBefore, report, id: r.stdout.trim() };
  },
  checks: [
    {
      id: 'runs-unprivileged',
      description: t(
        `The experiment's processes run with uid and gid ${OUTSIDE_UID} (real and effective) and no extra groups.`,
        `实验的进程以 uid 和 gid ${OUTSIDE_UID} 运行（真实与有效 id），没有附加组。`,
      ),
      evaluate: (o) => ({
        observed: t(
          `probe: uid ${o.report.uid} euid ${o.report.euid} gid ${o.report.gid} egid ${o.report.egid}; id: ${o.id}`,
          `探针：uid ${o.report.uid} euid ${o.report.euid} gid ${o.report.gid} egid ${o.report.egid}；id：${o.id}`,
        ),
        expected: t(`uid ${OUTSIDE_UID}, gid ${OUTSIDE_GID}, groups only ${OUTSIDE_GID}`, `uid ${OUTSIDE_UID}，gid ${OUTSIDE_GID}，附加组只有 ${OUTSIDE_GID}`),
        pass:
          [o.report.uid, o.report.euid].every((x) => x === OUTSIDE_UID) &&
          [o.report.gid, o.report.egid].every((x) => x === OUTSIDE_GID) &&
          new RegExp(`^uid=${OUTSIDE_UID}\\b.* gid=${OUTSIDE_GID}\\b.* groups=${OUTSIDE_GID}(\\([^)]*\\))?$`).test(o.id),
      }),
    },
  ],
});

export const initialMap = step<InitialMap>({
  id: 'initial-map',
  title: { en: 'The initial user namespace: every id maps to itself', zh: '初始 user namespace：每个 id 都映射到它自己' },
  explain: {
    en: `Every process starts in the initial user namespace (PID 1's, nslab's own; its inode is always ${INIT_USER_INO}), and its map is one line, "${FULL_MAP}": inside id 0 is outside id 0, for 4294967295 ids — every uid from 0 to 4294967294 stands for itself. The count is 2^32 - 1, not 2^32, because uid 4294967295 is (uid_t) -1, which system calls use to mean "no id": it is never mapped. The article shows this map for /proc/$$/uid_map; a namespace made by an ordinary user gets a one-line map of that user's own id instead (next steps).`,
    zh: `每个进程一开始都在初始 user namespace 中（PID 1 的、nslab 自己的；它的 inode 总是 ${INIT_USER_INO}），它的映射只有一行“${FULL_MAP}”：里面的 id 0 就是外面的 id 0，共 4294967295 个 id——从 0 到 4294967294 的每个 uid 都代表它自己。数量是 2^32 - 1 而不是 2^32，因为 uid 4294967295 就是 (uid_t) -1，系统调用用它表示“没有 id”，所以永远不会被映射。原文为 /proc/$$/uid_map 展示的就是这个映射；普通用户创建的 namespace 则只得到一行映射它自己 id 的映射（见后面的步骤）。`,
  },
  article: 'cat /proc/$$/uid_map   #          0          0 4294967295',
  modern: 'cat /proc/1/uid_map /proc/1/gid_map /proc/self/uid_map',
  async run(ctx) {
    await attempt(ctx, ['cat', '/proc/1/uid_map', '/proc/1/gid_map'], { where: WHERE.host });
    const read = (p: string) => readFileSync(p, 'utf8');
    const o: InitialMap = {
      uidMap: read('/proc/1/uid_map'),
      gidMap: read('/proc/1/gid_map'),
      selfUidMap: read('/proc/self/uid_map'),
      pid1User: pid1UserNs(),
      selfUser: nsInode('self', 'user'),
    };
    ctx.log(
      t(
        `user namespace of PID 1: ${o.pid1User === null ? 'not readable here' : `user:[${o.pid1User}]`}, of nslab: user:[${o.selfUser}] (the initial one is always user:[${INIT_USER_INO}]); nslab's own uid_map: ${norm(o.selfUidMap)}`,
        `PID 1 的 user namespace：${o.pid1User === null ? '这里读不到' : `user:[${o.pid1User}]`}，nslab 的：user:[${o.selfUser}]（初始 user namespace 总是 user:[${INIT_USER_INO}]）；nslab 自己的 uid_map：${norm(o.selfUidMap)}`,
      ),
    );
    return o;
  },
  checks: [
    {
      id: 'full-range',
      description: t(
        `nslab is in the initial user namespace (user:[${INIT_USER_INO}], PID 1's too where the kernel lets nslab read it), and the maps of PID 1 and of nslab are the single line "${FULL_MAP}" (every id is itself).`,
        `nslab 位于初始 user namespace（user:[${INIT_USER_INO}]，内核允许读取时 PID 1 也在其中），PID 1 和 nslab 的映射都只有一行“${FULL_MAP}”（每个 id 都是它自己）。`,
      ),
      evaluate: (o) => ({
        observed: `uid_map "${norm(o.uidMap)}", gid_map "${norm(o.gidMap)}", self "${norm(o.selfUidMap)}"; user:[${o.pid1User ?? '?'}] / user:[${o.selfUser}]`,
        expected: t(
          `"${FULL_MAP}" three times; nslab in user:[${INIT_USER_INO}], and PID 1 too where it can be read`,
          `三次都是“${FULL_MAP}”；nslab 在 user:[${INIT_USER_INO}] 中，能读到时 PID 1 也是`,
        ),
        pass:
          [o.uidMap, o.gidMap, o.selfUidMap].every((m) => norm(m) === FULL_MAP) &&
          o.selfUser === INIT_USER_INO &&
          (o.pid1User === null || o.pid1User === o.selfUser),
      }),
    },
  ],
});

export const noMap = step<NoMap>({
  id: 'no-map',
  title: { en: 'A new user namespace without a map: everybody is 65534', zh: '没有映射的 user namespace：人人都是 65534' },
  explain: {
    en: 'uid 1000 calls unshare(CLONE_NEWUSER) itself, so the namespace belongs to uid 1000. Until someone writes a map, no id inside corresponds to an id outside, and the kernel shows the overflow id (/proc/sys/kernel/overflowuid, usually 65534, "nobody").',
    zh: 'uid 1000 自己调用 unshare(CLONE_NEWUSER)，所以这个 namespace 属于 uid 1000。在写入映射之前，里面的 id 与外面没有对应关系，内核便显示溢出 id（/proc/sys/kernel/overflowuid，通常是 65534，即 nobody）。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUSER | SIGCHLD, NULL);   // before set_uid_map()',
  modern: 'unshare --user id',
  async run(ctx) {
    const { ws } = ctx.observed(unprivileged);
    const { report } = await probeOnce(ctx, {
      namespaces: [],
      actions: creator,
      probeFile: ws.probe,
      label: t('probe in an unmapped user namespace', '未映射的 user namespace 中的探针'),
    });
    const where = t('new user namespace, no map yet', '新的 user namespace，尚无映射');
    const id = await shown(ctx, 'id', [program('id')], { actions: creator, where });
    const map = await shown(ctx, 'cat /proc/self/uid_map', [program('cat'), '/proc/self/uid_map'], { actions: creator, where });
    const overflowuid = kernelNumber('overflowuid');
    const overflowgid = kernelNumber('overflowgid');
    ctx.transcript({ command: 'cat /proc/sys/kernel/overflowuid /proc/sys/kernel/overflowgid', output: `${overflowuid}\n${overflowgid}`, where: WHERE.host });
    return { report, overflowuid, overflowgid, uidMap: map.stdout.trim(), id: id.stdout.trim(), hostUser: nsInode('self', 'user') };
  },
  checks: [
    {
      id: 'overflow-ids',
      description: t(
        'Without a map the process sees its uid and gid as the overflow ids of /proc/sys/kernel/overflowuid and overflowgid.',
        '没有映射时，进程看到自己的 uid 和 gid 是 /proc/sys/kernel/overflowuid 与 overflowgid 中的溢出 id。',
      ),
      evaluate: (o) => ({
        observed: t(`uid ${o.report.uid}, gid ${o.report.gid}; id: ${o.id}`, `探针：uid ${o.report.uid}，gid ${o.report.gid}；id 命令：${o.id}`),
        expected: t(`uid ${o.overflowuid}, gid ${o.overflowgid} (the article: 65534)`, `uid ${o.overflowuid}，gid ${o.overflowgid}（原文：65534）`),
        pass: o.report.uid === o.overflowuid && o.report.gid === o.overflowgid && o.id.startsWith(`uid=${o.overflowuid}`),
      }),
    },
    {
      id: 'map-empty',
      description: t('The new namespace starts with an empty uid_map and its own user namespace inode.', '新的 namespace 一开始 uid_map 为空，并有自己的 user namespace inode。'),
      evaluate: (o) => ({
        observed: t(
          `uid_map "${o.uidMap}", user:[${o.report.ns.user}] vs host user:[${o.hostUser}]`,
          `uid_map“${o.uidMap}”，user:[${o.report.ns.user}]，宿主机 user:[${o.hostUser}]`,
        ),
        expected: t('an empty uid_map and a different inode', '空的 uid_map 和一个不同的 inode'),
        pass: o.uidMap === '' && typeof o.report.ns.user === 'number' && o.report.ns.user !== o.hostUser,
      }),
    },
  ],
});

export const refused = step<Refused>({
  id: 'map-rules',
  title: { en: 'Who may write a map: the kernel refuses three writes', zh: '谁可以写映射：内核拒绝了三次写入' },
  explain: {
    en: `The child unshares and then waits on a pipe, so the maps exist before it execs its program. The parent (also uid 1000, the namespace's owner, in the parent namespace) writes its maps; user_namespaces(7) decides. "${OTHER_MAP}" (map root of the host) is refused with EPERM: without CAP_SETUID in the parent namespace a writer may map only its own effective uid. "${MAP}" is accepted. Writing it again is refused with EPERM: a map is written once, for good. The same line to gid_map is refused with EPERM: since Linux 3.19 an unprivileged writer must first give up setgroups(), or a user could drop a group that was keeping it out of a file. The article's program predates that rule and does not check the error.`,
    zh: `子进程 unshare 后在管道上等待，这样在它 execve 之前映射就已写好。父进程（同样是 uid 1000，即该 namespace 的属主，位于父 namespace 中）写入映射，由 user_namespaces(7) 的规则裁决。“${OTHER_MAP}”（映射宿主机的 root）被拒绝，得到 EPERM：在父 namespace 中没有 CAP_SETUID 的写入者只能映射它自己的有效 uid。“${MAP}”被接受。再写一次则得到 EPERM：映射只能写一次，写入后不可更改。同样的内容写入 gid_map 也得到 EPERM：自 Linux 3.19 起，非特权写入者必须先放弃 setgroups()，否则用户可以丢掉某个本来用来拒绝它访问文件的组。原文的程序早于这条规则，而且不检查错误。`,
  },
  article: 'set_uid_map(container_pid, 0, uid, 1); set_gid_map(container_pid, 0, gid, 1);',
  modern: {
    en: `echo '${OTHER_MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/gid_map   # EPERM, ok, EPERM, EPERM`,
    zh: `echo '${OTHER_MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/gid_map   # EPERM、成功、EPERM、EPERM`,
  },
  async run(ctx) {
    const { ws } = ctx.observed(unprivileged);
    const { child, id: cleanupId } = ctx.spawn(
      {
        argv: [ws.probe, '--sethostname', HOSTNAME, '--read', ws.secret, '--write', joinPath(ws.home, MADE), 'made by root inside\n', '--hold'],
        actions: [...creator, { do: 'wait' }],
        stdio: ['pipe', 'pipe', 'pipe'],
      },
      t('user-namespace child', 'user namespace 子进程'),
    );
    await hold(ctx, child, cleanupId);
    try {
      ctx.log(
        t(
          `child ${child.pid} unshared a user namespace as uid ${OUTSIDE_UID} and waits on its pipe`,
          `子进程 ${child.pid} 以 uid ${OUTSIDE_UID} 创建（unshare）了一个 user namespace，正在管道上等待`,
        ),
      );
      await attempt(ctx, ['cat', `/proc/${child.pid}/uid_map`], { where: t('host, before the map', '主机，写映射之前') });
      const uidFile = `/proc/${child.pid}/uid_map`;
      const otherUid = await writeAsUser(ctx, ws, uidFile, OTHER_MAP);
      const uidMap = await writeAsUser(ctx, ws, uidFile, MAP);
      const again = await writeAsUser(ctx, ws, uidFile, MAP);
      const sg = await attempt(ctx, ['cat', `/proc/${child.pid}/setgroups`]);
      const gidMap = await writeAsUser(ctx, ws, `/proc/${child.pid}/gid_map`, MAP);
      return { pid: child.pid, otherUid, uidMap, again, gidMap, setgroups: sg.stdout.trim() };
    } catch (e) {
      await letGo(ctx);
      throw e;
    }
  },
  checks: [
    {
      id: 'other-uid-eperm',
      description: t(
        `An unprivileged writer may not map a uid that is not its own: "${OTHER_MAP}" (host root as root inside) is refused with EPERM.`,
        `非特权写入者不能映射不属于自己的 uid：“${OTHER_MAP}”（把宿主机 root 映射为里面的 root）被拒绝，得到 EPERM。`,
      ),
      evaluate: (o) => ({
        observed: t(`${writeShown(o.otherUid).en} by uid ${o.otherUid.writerUid}`, `${writeShown(o.otherUid).zh}，写入者 uid ${o.otherUid.writerUid}`),
        expected: t(`refused (EPERM) by uid ${OUTSIDE_UID}`, `被拒绝（EPERM），写入者 uid ${OUTSIDE_UID}`),
        pass: !o.otherUid.ok && o.otherUid.errno === 'EPERM' && o.otherUid.writerUid === OUTSIDE_UID,
      }),
    },
    {
      id: 'uid-map-written',
      description: t(
        `An unprivileged parent (uid ${OUTSIDE_UID}) may map its own uid: "${MAP}" is accepted in uid_map.`,
        `非特权的父进程（uid ${OUTSIDE_UID}）可以映射它自己的 uid：“${MAP}”写入 uid_map 被接受。`,
      ),
      evaluate: (o) => ({
        observed: t(`${writeShown(o.uidMap).en} by uid ${o.uidMap.writerUid}`, `${writeShown(o.uidMap).zh}，写入者 uid ${o.uidMap.writerUid}`),
        expected: t(`written by uid ${OUTSIDE_UID}`, `写入成功，写入者 uid ${OUTSIDE_UID}`),
        pass: o.uidMap.ok && o.uidMap.writerUid === OUTSIDE_UID,
      }),
    },
    {
      id: 'second-write-eperm',
      description: t(
        'A map is written once: the same line written to uid_map a second time is refused with EPERM.',
        '映射只能写一次：同样的内容第二次写入 uid_map 被拒绝，得到 EPERM。',
      ),
      evaluate: (o) => ({
        observed: t(
          `first write: ${writeShown(o.uidMap).en}; second: ${writeShown(o.again).en}`,
          `第一次写入：${writeShown(o.uidMap).zh}；第二次：${writeShown(o.again).zh}`,
        ),
        expected: t('first write: written; second: refused (EPERM)', '第一次写入：写入成功；第二次：被拒绝（EPERM）'),
        pass: o.uidMap.ok && !o.again.ok && o.again.errno === 'EPERM' && o.again.writerUid === OUTSIDE_UID,
      }),
    },
    {
      id: 'gid-map-eperm',
      description: t(
        'While setgroups is still "allow", the unprivileged gid_map write is refused with EPERM.',
        'setgroups 仍为“allow”时，非特权的 gid_map 写入被拒绝，得到 EPERM。',
      ),
      evaluate: (o) => ({
        observed: t(
          `setgroups ${o.setgroups}; gid_map write: ${o.gidMap.ok ? 'written' : o.gidMap.errno} (writer uid ${o.gidMap.writerUid})`,
          `setgroups ${o.setgroups}；gid_map 写入：${o.gidMap.ok ? '写入成功' : o.gidMap.errno}（写入者 uid ${o.gidMap.writerUid}）`,
        ),
        expected: t(`setgroups allow; gid_map write: EPERM (writer uid ${OUTSIDE_UID})`, `setgroups allow；gid_map 写入：EPERM（写入者 uid ${OUTSIDE_UID}）`),
        pass: o.setgroups === 'allow' && !o.gidMap.ok && o.gidMap.errno === 'EPERM' && o.gidMap.writerUid === OUTSIDE_UID,
      }),
    },
  ],
});

export const fixed = step<Fixed>({
  id: 'setgroups-deny',
  title: { en: 'The fix: "deny" to setgroups, then gid_map', zh: '修正：先向 setgroups 写 deny，再写 gid_map' },
  explain: {
    en: 'Writing "deny" to /proc/PID/setgroups promises that nobody in the namespace will ever call setgroups(); after that the kernel accepts the gid map. Runtimes use a fixed order: uid_map, setgroups deny, gid_map (bubblewrap, runc, unshare --map-root-user). The article has no such step: /proc/PID/setgroups came with Linux 3.19, after it was written. The maps read back as written (shown below); what they do is seen in the next step, from both sides.',
    zh: '向 /proc/PID/setgroups 写入 deny，等于承诺这个 namespace 里永远不会调用 setgroups()；之后内核便接受 gid 映射。各运行时都按固定顺序：uid_map、setgroups deny、gid_map（bubblewrap、runc、unshare --map-root-user）。原文没有这一步：/proc/PID/setgroups 是 Linux 3.19 才加入的，晚于原文。映射读回来与写入的一样（见下方）；它们的效果在下一步从里外两边观察。',
  },
  modern: `echo deny > /proc/PID/setgroups; echo '${MAP}' > /proc/PID/gid_map`,
  async run(ctx) {
    try {
      const { ws } = ctx.observed(unprivileged);
      const { pid } = held(ctx);
      const deny = await writeAsUser(ctx, ws, `/proc/${pid}/setgroups`, 'deny');
      const gidMap = await writeAsUser(ctx, ws, `/proc/${pid}/gid_map`, MAP);
      const r = await attempt(ctx, ['grep', '-H', '', `/proc/${pid}/setgroups`, `/proc/${pid}/uid_map`, `/proc/${pid}/gid_map`], {
        command: `grep -H '' /proc/${pid}/{setgroups,uid_map,gid_map}`,
      });
      ctx.log(
        t(
          `read back (what nslab just wrote, so no proof by itself): ${r.stdout.trim().split('\n').map(norm).join('; ')}`,
          `读回的内容（正是 nslab 刚写入的，本身不算证据）：${r.stdout.trim().split('\n').map(norm).join('；')}`,
        ),
      );
      return { deny, gidMap };
    } catch (e) {
      await letGo(ctx);
      throw e;
    }
  },
  checks: [
    {
      id: 'gid-map-after-deny',
      description: t('After "deny" is written to setgroups, the same unprivileged gid_map write succeeds.', '向 setgroups 写入“deny”之后，同样的非特权 gid_map 写入成功了。'),
      evaluate: (o) => ({
        observed: t(
          `setgroups write: ${writeShown(o.deny).en}; gid_map write: ${writeShown(o.gidMap).en} (writer uid ${o.gidMap.writerUid})`,
          `setgroups 写入：${writeShown(o.deny).zh}；gid_map 写入：${writeShown(o.gidMap).zh}（写入者 uid ${o.gidMap.writerUid}）`,
        ),
        expected: t(`both written by uid ${OUTSIDE_UID}`, `两次都写入成功，写入者 uid ${OUTSIDE_UID}`),
        pass: o.deny.ok && o.gidMap.ok && o.gidMap.writerUid === OUTSIDE_UID,
      }),
    },
  ],
});

/** "U G" lines of `stat -c '%u %g %n'`, by file name. */
function statIds(out: string, file: string): [number, number] | null {
  const line = out.split('\n').find((l) => l.endsWith(` ${file}`));
  const m = line ? /^(\d+) (\d+) /.exec(line) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export const inside = step<Inside>({
  id: 'root-inside',
  title: { en: 'Root inside, uid 1000 outside', zh: '里面是 root，外面是 uid 1000' },
  explain: {
    en: 'The parent lets the child go; it execs the probe, which now runs as uid 0 inside. One process, two views: the probe reports uid 0, the host\'s /proc/PID/status shows uid 1000; a file it creates belongs to uid 1000 on the host and to 0 inside, while a host file owned by root — an id this namespace does not map — shows up inside as 65534 ("nobody"). Its capabilities cover what its namespace owns (it may rename its own UTS namespace) and files whose owner and group are mapped into it, nothing else: the root-only host file stays closed. Root inside is not root outside.',
    zh: '父进程放行子进程，子进程执行探针，此时它在里面是 uid 0。同一个进程，两种视角：探针报告 uid 0，宿主机的 /proc/PID/status 显示 uid 1000；它创建的文件在宿主机上属于 uid 1000，在里面属于 0；而宿主机上属于 root 的文件——root 这个 id 没有映射进这个 namespace——在里面显示为 65534（nobody）。它的能力（capability）只覆盖自己 namespace 拥有的东西（可以修改自己 UTS namespace 的主机名），以及属主和属组都映射进来的文件，别的都不行：只有宿主机 root 能读的文件依然打不开。里面的 root 不是外面的 root。',
  },
  article: 'root@container:~# id   # uid=0(root) gid=0(root) groups=0(root),65534(nogroup)',
  modern: `unshare --user --map-root-user --uts sh -c 'id; hostname ${HOSTNAME}; touch f; stat -c "%u %g" f /etc/shadow; cat /etc/shadow'`,
  async run(ctx) {
    let seen: Omit<Inside, 'hostAfter'>;
    try {
      const { ws, hostBefore } = ctx.observed(unprivileged);
      const { overflowuid, overflowgid } = ctx.observed(noMap);
      const child = held(ctx);
      const reported = reportOf(child);
      child.go();
      await child.ready();
      const report = await reported;
      const pid = child.pid;
      const hostStatus = statusIds(pid);
      await attempt(ctx, ['grep', '-E', '^(Uid|Gid):', `/proc/${pid}/status`], { command: `grep -E '^(Uid|Gid):' /proc/${pid}/status`, where: WHERE.host });
      const join: SetupAction[] = [...asUser, { do: 'setns', path: `/proc/${pid}/ns/user`, ns: 'user' }, { do: 'setns', path: `/proc/${pid}/ns/uts`, ns: 'uts' }];
      const where = t(`inside the user namespace of ${pid}`, `在 ${pid} 的 user namespace 里`);
      const id = await shown(ctx, 'id', [program('id')], { actions: join, where });
      const hn = await shown(ctx, 'hostname', [program('hostname')], { actions: join, where });
      const cat = await shown(ctx, `cat ${ws.secret}`, [program('cat'), ws.secret], { actions: join, where });
      const madePath = joinPath(ws.home, MADE);
      const statCmd = `stat -c '%u %g %n' ${madePath} ${ws.secret}`;
      const statIn = await shown(ctx, statCmd, [program('stat'), '-c', '%u %g %n', madePath, ws.secret], { actions: join, where });
      await attempt(ctx, ['stat', '-c', '%u %g %n', madePath, ws.secret], { command: statCmd, where: WHERE.host });
      let made: Inside['made'] = null;
      try {
        const st = lstatSync(madePath); // the directory is uid 1000's: never follow what it may hold
        made = [st.uid, st.gid];
      } catch {
        made = null;
      }
      let secretAsHostRoot = false;
      try {
        secretAsHostRoot = readFileSync(ws.secret, 'utf8').length > 0;
      } catch {
        secretAsHostRoot = false;
      }
      seen = {
        report,
        hostStatus,
        id: id.stdout.trim(),
        hostname: hn.stdout.trim(),
        secretAsHostRoot,
        catSecret: (cat.stdout + cat.stderr).trim(),
        hostUts: nsInode('self', 'uts'),
        childUts: nsInode(pid, 'uts'),
        hostBefore,
        made,
        madeInside: statIds(statIn.stdout, madePath),
        secretInside: statIds(statIn.stdout, ws.secret),
        overflow: [overflowuid, overflowgid],
      };
    } finally {
      await letGo(ctx);
    }
    return { ...seen, hostAfter: osHostname() };
  },
  checks: [
    {
      id: 'root-inside',
      description: t('After the maps, the child runs as uid 0 and gid 0 inside its namespace.', '写好映射后，子进程在自己的 namespace 里以 uid 0、gid 0 运行。'),
      evaluate: (o) => {
        const r = o.report;
        return {
          observed: t(
            `probe: uid ${r.uid} euid ${r.euid} gid ${r.gid} egid ${r.egid}; id: ${o.id}`,
            `探针：uid ${r.uid} euid ${r.euid} gid ${r.gid} egid ${r.egid}；id：${o.id}`,
          ),
          expected: t('uid 0, gid 0 everywhere; id prints uid=0 gid=0', '全部是 uid 0、gid 0；id 输出 uid=0 gid=0'),
          pass: [r.uid, r.euid, r.gid, r.egid].every((x) => x === 0) && /^uid=0\b.* gid=0\b/.test(o.id),
        };
      },
    },
    {
      id: 'host-sees-1000',
      description: t(
        `One process, two views: the probe reports uid 0 and gid 0 inside, while the host's /proc/PID/status shows uid ${OUTSIDE_UID} and gid ${OUTSIDE_GID} (all four ids).`,
        `同一个进程，两种视角：探针在里面报告 uid 0、gid 0，而宿主机的 /proc/PID/status 显示 uid ${OUTSIDE_UID}、gid ${OUTSIDE_GID}（四个 id 都是）。`,
      ),
      evaluate: (o) => ({
        observed: t(
          `inside: uid ${o.report.uid} gid ${o.report.gid}; host: Uid: ${o.hostStatus.uid.join(' ')}; Gid: ${o.hostStatus.gid.join(' ')}`,
          `里面：uid ${o.report.uid} gid ${o.report.gid}；宿主机：Uid: ${o.hostStatus.uid.join(' ')}；Gid: ${o.hostStatus.gid.join(' ')}`,
        ),
        expected: t(
          `inside: uid 0 gid 0; host: Uid: ${Array(4).fill(OUTSIDE_UID).join(' ')}; Gid: ${Array(4).fill(OUTSIDE_GID).join(' ')}`,
          `里面：uid 0 gid 0；宿主机：Uid: ${Array(4).fill(OUTSIDE_UID).join(' ')}；Gid: ${Array(4).fill(OUTSIDE_GID).join(' ')}`,
        ),
        pass: o.report.uid === 0 && o.report.gid === 0 && same(o.hostStatus.uid, OUTSIDE_UID) && same(o.hostStatus.gid, OUTSIDE_GID),
      }),
    },
    {
      id: 'ids-across',
      description: t(
        `A file root inside creates is owned by ${OUTSIDE_UID}:${OUTSIDE_GID} on the host and 0:0 inside; a host file owned by root (not mapped) shows up inside as the overflow id.`,
        `里面的 root 创建的文件，在宿主机上属于 ${OUTSIDE_UID}:${OUTSIDE_GID}，在里面属于 0:0；宿主机上属于 root 的文件（root 未被映射）在里面显示为溢出 id。`,
      ),
      evaluate: (o) => {
        const ids = (x: readonly [number, number] | null, none = 'none'): string => (x === null ? none : `${x[0]}:${x[1]}`);
        const is = (x: readonly [number, number] | null, u: number, g: number) => x !== null && x[0] === u && x[1] === g;
        return {
          observed: t(
            `new file: host ${ids(o.made)}, inside ${ids(o.madeInside)}; root's file inside: ${ids(o.secretInside)}`,
            `新文件：宿主机 ${ids(o.made, '无')}，里面 ${ids(o.madeInside, '无')}；root 的文件在里面：${ids(o.secretInside, '无')}`,
          ),
          expected: t(
            `new file: host ${OUTSIDE_UID}:${OUTSIDE_GID}, inside 0:0; root's file inside: ${ids(o.overflow)}`,
            `新文件：宿主机 ${OUTSIDE_UID}:${OUTSIDE_GID}，里面 0:0；root 的文件在里面：${ids(o.overflow)}`,
          ),
          pass: is(o.made, OUTSIDE_UID, OUTSIDE_GID) && is(o.madeInside, 0, 0) && is(o.secretInside, o.overflow[0], o.overflow[1]),
        };
      },
    },
    {
      id: 'own-hostname',
      description: t(
        `Root inside may set the hostname of its own UTS namespace ("${HOSTNAME}"); the host keeps its name.`,
        `里面的 root 可以设置自己 UTS namespace 的主机名（“${HOSTNAME}”）；宿主机的名字不变。`,
      ),
      evaluate: (o) => ({
        observed: t(
          `probe: ${o.report.hostname} (sethostname error: ${o.report.sethostnameErrno ?? 'none'}), hostname inside: ${o.hostname}, host: ${o.hostAfter}, uts:[${o.childUts}] vs host uts:[${o.hostUts}]`,
          `探针：${o.report.hostname}（sethostname 错误：${o.report.sethostnameErrno ?? '无'}），里面的主机名：${o.hostname}，宿主机：${o.hostAfter}，uts:[${o.childUts}]，宿主机 uts:[${o.hostUts}]`,
        ),
        expected: t(
          `${HOSTNAME} inside with no error, host still ${o.hostBefore}, two different uts inodes`,
          `里面是 ${HOSTNAME} 且没有错误，宿主机仍是 ${o.hostBefore}，两个不同的 uts inode`,
        ),
        pass: o.report.hostname === HOSTNAME && !o.report.sethostnameErrno && o.hostname === HOSTNAME && o.hostAfter === o.hostBefore && o.childUts !== o.hostUts,
      }),
    },
    {
      id: 'root-file-closed',
      description: t(
        'Root inside cannot read a root-only (0600, owner root) host file that the host root can read.',
        '里面的 root 读不了宿主机上只有 root 能读的文件（0600，属主 root），而宿主机的 root 可以读。',
      ),
      evaluate: (o) => {
        const read = o.report.read;
        const probeRead = read ? (read.ok ? t(`ok (${read.bytes} bytes)`, `成功（${read.bytes} 字节）`) : t(read.errno ?? '?', read.errno ?? '?')) : t('not reported', '没有报告');
        return {
          observed: t(
            `probe read: ${probeRead.en}; cat: ${o.catSecret}; host root read it: ${o.secretAsHostRoot ? 'yes' : 'no'}`,
            `探针读取：${probeRead.zh}；cat：${o.catSecret}；宿主机 root 能读：${o.secretAsHostRoot ? '是' : '否'}`,
          ),
          expected: t('EACCES inside, Permission denied from cat, readable by the host root', '里面得到 EACCES，cat 报 Permission denied，宿主机 root 可以读'),
          pass: read !== undefined && !read.ok && read.errno === 'EACCES' && /Permission denied/.test(o.catSecret) && o.secretAsHostRoot,
        };
      },
    },
  ],
});
