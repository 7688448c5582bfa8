// The five steps of lab 07: what each observes, and the checks that judge it.
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { nsInode } from '../../addon/index.js';
import { attempt, probeOnce, program, shown, step, type ProbeReport } from '../../runner/kit/index.js';
import { hold, held, letGo, reportOf, statusIds } from './held.js';
import { MAP, OUTSIDE_GID, OUTSIDE_UID, asUser, creator, workspace, writeAsUser, type WriteResult, type Workspace } from './unprivileged.js';

export const HOSTNAME = 'nslab-userns';

/** The experiment's processes as uid 1000, and what later steps need from the start. */
export interface Unprivileged {
  /** The probe and the root-only file uid 1000 works with (used by every later step). */
  readonly ws: Workspace;
  readonly hostBefore: string;
  readonly report: ProbeReport;
  /** What `id` printed as uid 1000. */
  readonly id: string;
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
  readonly uidMap: WriteResult;
  readonly gidMap: WriteResult;
  /** /proc/PID/setgroups when gid_map was written. */
  readonly setgroups: string;
}

/** The same child after "deny" to setgroups and a second gid_map write. */
export interface Fixed {
  readonly deny: WriteResult;
  readonly gidMap: WriteResult;
  readonly setgroups: string;
  /** uid_map and gid_map as read back from /proc/PID. */
  readonly uidMap: string;
  readonly gidMapText: string;
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
}

const kernelNumber = (name: string) => Number(readFileSync(`/proc/sys/kernel/${name}`, 'utf8').trim());
const same = (xs: readonly number[] | undefined, v: number) => xs !== undefined && xs.length === 4 && xs.every((x) => x === v);

export const unprivileged = step<Unprivileged>({
  id: 'unprivileged',
  title: { en: `The experiment runs as uid ${OUTSIDE_UID}, not as root`, zh: `实验以 uid ${OUTSIDE_UID} 运行,而不是 root` },
  explain: {
    en: `The article runs its program as the ordinary user hchen. nslab starts as root, so every process of this experiment first drops to uid/gid ${OUTSIDE_UID} with no supplementary groups (setgroups, setresgid, setresuid). No account is created: the kernel only needs the numbers.`,
    zh: `原文以普通用户 hchen 运行程序。nslab 以 root 启动,所以本实验的每个进程都先降到 uid/gid ${OUTSIDE_UID},并清空附加组(setgroups、setresgid、setresuid)。不需要创建账号:内核只认数字。`,
  },
  article: 'hchen@ubuntu:~$ id   # uid=1000(hchen) gid=1000(hchen) groups=1000(hchen)',
  modern: `setpriv --reuid ${OUTSIDE_UID} --regid ${OUTSIDE_GID} --clear-groups id`,
  async run(ctx) {
    const hostBefore = osHostname();
    const ws = workspace(ctx);
    const { report } = await probeOnce(ctx, { namespaces: [], actions: asUser, probeFile: ws.probe, label: 'probe as uid 1000' });
    const r = await shown(ctx, 'id', [program('id')], { actions: asUser, where: `uid ${OUTSIDE_UID}` });
    return { ws, hostBefore, report, id: r.stdout.trim() };
  },
  checks: [
    {
      id: 'runs-unprivileged',
      description: `The experiment's processes run with uid and gid ${OUTSIDE_UID} (real and effective) and no extra groups.`,
      evaluate: (o) => ({
        observed: `probe: uid ${o.report.uid} euid ${o.report.euid} gid ${o.report.gid} egid ${o.report.egid}; id: ${o.id}`,
        expected: `uid ${OUTSIDE_UID}, gid ${OUTSIDE_GID}, groups only ${OUTSIDE_GID}`,
        pass:
          [o.report.uid, o.report.euid].every((x) => x === OUTSIDE_UID) &&
          [o.report.gid, o.report.egid].every((x) => x === OUTSIDE_GID) &&
          new RegExp(`^uid=${OUTSIDE_UID}\\b.* gid=${OUTSIDE_GID}\\b.* groups=${OUTSIDE_GID}(\\([^)]*\\))?$`).test(o.id),
      }),
    },
  ],
});

export const noMap = step<NoMap>({
  id: 'no-map',
  title: { en: 'A new user namespace without a map: everybody is 65534', zh: '没有映射的 user namespace:人人都是 65534' },
  explain: {
    en: 'uid 1000 calls unshare(CLONE_NEWUSER) itself, so the namespace belongs to uid 1000. Until someone writes a map, no id inside corresponds to an id outside, and the kernel shows the overflow id (/proc/sys/kernel/overflowuid, usually 65534, "nobody").',
    zh: 'uid 1000 自己调用 unshare(CLONE_NEWUSER),所以这个 namespace 属于 uid 1000。在写入映射之前,里面的 id 与外面没有对应关系,内核便显示溢出 id(/proc/sys/kernel/overflowuid,通常是 65534,即 nobody)。',
  },
  article: 'clone(container_main, ..., CLONE_NEWUSER | SIGCHLD, NULL);   // before set_uid_map()',
  modern: 'unshare --user id',
  async run(ctx) {
    const { ws } = ctx.observed(unprivileged);
    const { report } = await probeOnce(ctx, { namespaces: [], actions: creator, probeFile: ws.probe, label: 'probe in an unmapped user namespace' });
    const where = 'new user namespace, no map yet';
    const id = await shown(ctx, 'id', [program('id')], { actions: creator, where });
    const map = await shown(ctx, 'cat /proc/self/uid_map', [program('cat'), '/proc/self/uid_map'], { actions: creator, where });
    const overflowuid = kernelNumber('overflowuid');
    const overflowgid = kernelNumber('overflowgid');
    ctx.transcript({ command: 'cat /proc/sys/kernel/overflowuid /proc/sys/kernel/overflowgid', output: `${overflowuid}\n${overflowgid}`, where: 'host' });
    return { report, overflowuid, overflowgid, uidMap: map.stdout.trim(), id: id.stdout.trim(), hostUser: nsInode('self', 'user') };
  },
  checks: [
    {
      id: 'overflow-ids',
      description: 'Without a map the process sees its uid and gid as the overflow ids of /proc/sys/kernel/overflowuid and overflowgid.',
      evaluate: (o) => ({
        observed: `uid ${o.report.uid}, gid ${o.report.gid}; id: ${o.id}`,
        expected: `uid ${o.overflowuid}, gid ${o.overflowgid} (the article: 65534)`,
        pass: o.report.uid === o.overflowuid && o.report.gid === o.overflowgid && o.id.startsWith(`uid=${o.overflowuid}`),
      }),
    },
    {
      id: 'map-empty',
      description: 'The new namespace starts with an empty uid_map and its own user namespace inode.',
      evaluate: (o) => ({
        observed: `uid_map "${o.uidMap}", user:[${o.report.ns.user}] vs host user:[${o.hostUser}]`,
        expected: 'an empty uid_map and a different inode',
        pass: o.uidMap === '' && typeof o.report.ns.user === 'number' && o.report.ns.user !== o.hostUser,
      }),
    },
  ],
});

export const refused = step<Refused>({
  id: 'gid-map-refused',
  title: { en: 'The parent maps 0 → 1000; gid_map is refused', zh: '父进程映射 0 → 1000;gid_map 被拒绝' },
  explain: {
    en: 'The child unshares and then waits on a pipe, so the maps exist before it execs its program. The parent (also uid 1000) writes "0 1000 1" to uid_map: accepted, since it maps only its own uid. The same line to gid_map is refused with EPERM: since Linux 3.19 an unprivileged writer must first give up setgroups(), or a user could drop a group that was keeping it out of a file. The article\'s program predates that rule.',
    zh: '子进程 unshare 后在管道上等待,这样在它 execve 之前映射就已写好。父进程(同样是 uid 1000)向 uid_map 写入 "0 1000 1":成功,因为它只映射了自己的 uid。同样的内容写入 gid_map 却得到 EPERM:自 Linux 3.19 起,非特权写入者必须先放弃 setgroups(),否则用户可以丢掉某个本来用来拒绝它访问文件的组。原文的程序早于这条规则。',
  },
  article: 'set_uid_map(container_pid, 0, uid, 1); set_gid_map(container_pid, 0, gid, 1);   // the second fails (unchecked) on kernels since 3.19',
  modern: `echo '${MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/gid_map   # EPERM`,
  async run(ctx) {
    const { ws } = ctx.observed(unprivileged);
    const { child, id: cleanupId } = ctx.spawn(
      { argv: [ws.probe, '--sethostname', HOSTNAME, '--read', ws.secret, '--hold'], actions: [...creator, { do: 'wait' }], stdio: ['pipe', 'pipe', 'pipe'] },
      'user-namespace child',
    );
    await hold(ctx, child, cleanupId);
    try {
      ctx.log(`child ${child.pid} unshared a user namespace as uid ${OUTSIDE_UID} and waits on its pipe`);
      await attempt(ctx, ['cat', `/proc/${child.pid}/uid_map`], { where: 'host, before the map' });
      const uidMap = await writeAsUser(ctx, ws, `/proc/${child.pid}/uid_map`, MAP);
      const sg = await attempt(ctx, ['cat', `/proc/${child.pid}/setgroups`]);
      const gidMap = await writeAsUser(ctx, ws, `/proc/${child.pid}/gid_map`, MAP);
      return { pid: child.pid, uidMap, gidMap, setgroups: sg.stdout.trim() };
    } catch (e) {
      await letGo(ctx);
      throw e;
    }
  },
  checks: [
    {
      id: 'uid-map-written',
      description: `An unprivileged parent (uid ${OUTSIDE_UID}) may map its own uid: "${MAP}" is accepted in uid_map.`,
      evaluate: (o) => ({
        observed: `${o.uidMap.ok ? 'written' : `refused (${o.uidMap.errno})`} by uid ${o.uidMap.writerUid}`,
        expected: `written by uid ${OUTSIDE_UID}`,
        pass: o.uidMap.ok && o.uidMap.writerUid === OUTSIDE_UID,
      }),
    },
    {
      id: 'gid-map-eperm',
      description: 'While setgroups is still "allow", the unprivileged gid_map write is refused with EPERM.',
      evaluate: (o) => ({
        observed: `setgroups ${o.setgroups}; gid_map write: ${o.gidMap.ok ? 'written' : o.gidMap.errno} (writer uid ${o.gidMap.writerUid})`,
        expected: `setgroups allow; gid_map write: EPERM (writer uid ${OUTSIDE_UID})`,
        pass: o.setgroups === 'allow' && !o.gidMap.ok && o.gidMap.errno === 'EPERM' && o.gidMap.writerUid === OUTSIDE_UID,
      }),
    },
  ],
});

export const fixed = step<Fixed>({
  id: 'setgroups-deny',
  title: { en: 'The fix: "deny" to setgroups, then gid_map', zh: '修正:先向 setgroups 写 deny,再写 gid_map' },
  explain: {
    en: 'Writing "deny" to /proc/PID/setgroups promises that nobody in the namespace will ever call setgroups(); after that the kernel accepts the gid map. Runtimes use a fixed order: uid_map, setgroups deny, gid_map (bubblewrap, runc, unshare --map-root-user).',
    zh: '向 /proc/PID/setgroups 写入 deny,等于承诺这个 namespace 里永远不会调用 setgroups();之后内核便接受 gid 映射。各运行时都按固定顺序:uid_map、setgroups deny、gid_map(bubblewrap、runc、unshare --map-root-user)。',
  },
  article: '(not in the article: its kernel had no /proc/PID/setgroups)',
  modern: `echo deny > /proc/PID/setgroups; echo '${MAP}' > /proc/PID/gid_map`,
  async run(ctx) {
    try {
      const { ws } = ctx.observed(unprivileged);
      const { pid } = held(ctx);
      const deny = await writeAsUser(ctx, ws, `/proc/${pid}/setgroups`, 'deny');
      const gidMap = await writeAsUser(ctx, ws, `/proc/${pid}/gid_map`, MAP);
      const read = async (f: string) => (await attempt(ctx, ['cat', `/proc/${pid}/${f}`])).stdout.trim();
      return { deny, gidMap, setgroups: await read('setgroups'), uidMap: await read('uid_map'), gidMapText: await read('gid_map') };
    } catch (e) {
      await letGo(ctx);
      throw e;
    }
  },
  checks: [
    {
      id: 'gid-map-after-deny',
      description: 'After "deny" is written to setgroups, the same unprivileged gid_map write succeeds.',
      evaluate: (o) => ({
        observed: `setgroups write: ${o.deny.ok ? 'ok' : o.deny.errno}, now "${o.setgroups}"; gid_map write: ${o.gidMap.ok ? 'ok' : o.gidMap.errno}`,
        expected: 'setgroups write: ok, now "deny"; gid_map write: ok',
        pass: o.deny.ok && o.setgroups === 'deny' && o.gidMap.ok && o.gidMap.writerUid === OUTSIDE_UID,
      }),
    },
    {
      id: 'maps-read-back',
      description: `Both maps read back as "${MAP}" (inside, outside, length).`,
      evaluate: (o) => {
        const norm = (t: string) => t.trim().split(/\s+/).join(' ');
        return {
          observed: `uid_map "${norm(o.uidMap)}", gid_map "${norm(o.gidMapText)}"`,
          expected: `"${MAP}" twice`,
          pass: norm(o.uidMap) === MAP && norm(o.gidMapText) === MAP,
        };
      },
    },
  ],
});

export const inside = step<Inside>({
  id: 'root-inside',
  title: { en: 'Root inside, uid 1000 outside', zh: '里面是 root,外面是 uid 1000' },
  explain: {
    en: 'The parent lets the child go; it execs the probe, which now runs as uid 0 inside. Its capabilities cover what its namespace owns: it may rename its own UTS namespace. The host still sees uid 1000 in /proc/PID/status, and a file only the host root may read stays closed: root inside is not root outside.',
    zh: '父进程放行子进程,子进程执行 probe,此时它在里面是 uid 0。它的 capability 只覆盖自己 namespace 拥有的东西:可以修改自己 UTS namespace 的主机名。宿主机在 /proc/PID/status 里看到的仍是 uid 1000,只有宿主机 root 能读的文件依然打不开:里面的 root 不是外面的 root。',
  },
  article: 'root@container:~# id   # uid=0(root) gid=0(root) groups=0(root),65534(nogroup)',
  modern: `unshare --user --map-root-user --uts sh -c 'id; hostname ${HOSTNAME}; cat /etc/shadow'`,
  async run(ctx) {
    let seen: Omit<Inside, 'hostAfter'>;
    try {
      const { ws, hostBefore } = ctx.observed(unprivileged);
      const child = held(ctx);
      const reported = reportOf(child);
      child.go();
      await child.ready();
      const report = await reported;
      const pid = child.pid;
      const hostStatus = statusIds(pid);
      await attempt(ctx, ['grep', '-E', '^(Uid|Gid):', `/proc/${pid}/status`], { command: `grep -E '^(Uid|Gid):' /proc/${pid}/status`, where: 'host' });
      const join = [...asUser, { do: 'setns' as const, path: `/proc/${pid}/ns/user`, ns: 'user' as const }, { do: 'setns' as const, path: `/proc/${pid}/ns/uts`, ns: 'uts' as const }];
      const where = `inside the user namespace of ${pid}`;
      const id = await shown(ctx, 'id', [program('id')], { actions: join, where });
      const hn = await shown(ctx, 'hostname', [program('hostname')], { actions: join, where });
      const cat = await shown(ctx, `cat ${ws.secret}`, [program('cat'), ws.secret], { actions: join, where });
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
      };
    } finally {
      await letGo(ctx);
    }
    return { ...seen, hostAfter: osHostname() };
  },
  checks: [
    {
      id: 'root-inside',
      description: 'After the maps, the child runs as uid 0 and gid 0 inside its namespace.',
      evaluate: (o) => {
        const r = o.report;
        return {
          observed: `probe: uid ${r.uid} euid ${r.euid} gid ${r.gid} egid ${r.egid}; id: ${o.id}`,
          expected: 'uid 0, gid 0 everywhere; id prints uid=0 gid=0',
          pass: [r.uid, r.euid, r.gid, r.egid].every((x) => x === 0) && /^uid=0\b.* gid=0\b/.test(o.id),
        };
      },
    },
    {
      id: 'host-sees-1000',
      description: `The host sees the same process as uid ${OUTSIDE_UID} and gid ${OUTSIDE_GID} (all four ids of /proc/PID/status).`,
      evaluate: (o) => ({
        observed: `Uid: ${o.hostStatus.uid.join(' ')}; Gid: ${o.hostStatus.gid.join(' ')}`,
        expected: `Uid: ${Array(4).fill(OUTSIDE_UID).join(' ')}; Gid: ${Array(4).fill(OUTSIDE_GID).join(' ')}`,
        pass: same(o.hostStatus.uid, OUTSIDE_UID) && same(o.hostStatus.gid, OUTSIDE_GID),
      }),
    },
    {
      id: 'own-hostname',
      description: `Root inside may set the hostname of its own UTS namespace ("${HOSTNAME}"); the host keeps its name.`,
      evaluate: (o) => ({
        observed: `probe: ${o.report.hostname} (sethostname error: ${o.report.sethostnameErrno ?? 'none'}), hostname inside: ${o.hostname}, host: ${o.hostAfter}, uts:[${o.childUts}] vs host uts:[${o.hostUts}]`,
        expected: `${HOSTNAME} inside with no error, host still ${o.hostBefore}, two different uts inodes`,
        pass:
          o.report.hostname === HOSTNAME &&
          !o.report.sethostnameErrno &&
          o.hostname === HOSTNAME &&
          o.hostAfter === o.hostBefore &&
          o.childUts !== o.hostUts,
      }),
    },
    {
      id: 'root-file-closed',
      description: 'Root inside cannot read a root-only (0600, owner root) host file that the host root can read.',
      evaluate: (o) => {
        const read = o.report.read;
        return {
          observed: `probe read: ${read ? (read.ok ? `ok (${read.bytes} bytes)` : read.errno) : 'not reported'}; cat: ${o.catSecret}; host root read it: ${o.secretAsHostRoot ? 'yes' : 'no'}`,
          expected: 'EACCES inside, Permission denied from cat, readable by the host root',
          pass: read !== undefined && !read.ok && read.errno === 'EACCES' && /Permission denied/.test(o.catSecret) && o.secretAsHostRoot,
        };
      },
    },
  ],
});
