// 07-user-namespace: root inside a user namespace is an ordinary user outside.
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { createInterface } from 'node:readline';
import { nsInode, type Child } from '../../addon/index.js';
import { probeOnce, shown, which, type ProbeReport, basics, namespaces, interactive, type Lab, type StepContext } from '../../runner/kit/index.js';
import { unprivilegedUserns } from './sysctl.js';
import { MAP, OUTSIDE_GID, OUTSIDE_UID, asUser, creator, workspace, writeAsUser, writeMaps, type WriteResult, type Workspace } from './unprivileged.js';

const HOSTNAME = 'nslab-userns';

interface Waiting {
  readonly child: Child;
  readonly cleanupId: number;
}

interface State {
  ws?: Workspace;
  hostBefore?: string;
  plain?: { report: ProbeReport; id: string };
  noMap?: { report: ProbeReport; overflowuid: number; overflowgid: number; uidMap: string; id: string };
  waiting?: Waiting;
  refused?: { uidMap: WriteResult; gidMap: WriteResult; setgroups: string };
  fixed?: { deny: WriteResult; gidMap: WriteResult; setgroups: string; uidMap: string; gidMapText: string };
  inside?: {
    report: ProbeReport;
    hostStatus: { uid: number[]; gid: number[] };
    id: string;
    hostname: string;
    secretAsHostRoot: boolean;
    catSecret: string;
    hostUts: number;
    childUts: number;
    hostAfter: string;
  };
}

const tool = (name: string) => which(name) ?? `/bin/${name}`;
const kernelNumber = (name: string) => Number(readFileSync(`/proc/sys/kernel/${name}`, 'utf8').trim());

/** The Uid:/Gid: lines of /proc/PID/status: real, effective, saved, filesystem ids. */
function statusIds(pid: number): { uid: number[]; gid: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const ids = (key: string) => (new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  return { uid: ids('Uid'), gid: ids('Gid') };
}

/** The probe's JSON report from a child that keeps running (--hold). */
function reportOf(child: Child, timeoutMs = 10_000): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('the probe has no stdout pipe'));
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`no report from the probe within ${timeoutMs} ms`)), timeoutMs);
    rl.on('line', (line) => {
      if (!line.startsWith('{"probe":1')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as ProbeReport);
    });
    rl.on('close', () => reject(new Error('the probe ended before it reported')));
  });
}

async function stopWaiting(ctx: StepContext, s: State): Promise<void> {
  const w = s.waiting;
  if (!w) return;
  s.waiting = undefined;
  w.child.abandon();
  w.child.stdin?.end();
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 3000);
  await w.child.exited;
  clearTimeout(timer);
  ctx.cleanup.release(w.cleanupId);
}

const same = (xs: readonly number[] | undefined, v: number) => xs !== undefined && xs.length === 4 && xs.every((x) => x === v);

export const lab: Lab<State> = {
  id: '07-user-namespace',
  title: { en: 'User namespace: root inside, nobody outside', zh: 'User namespace:里面是 root,外面是普通用户' },
  card: {
    problem: {
      en: 'A container wants to run as root (install packages, bind low ports, own its files) without its processes being root on the host if they ever escape.',
      zh: '容器里的程序常常需要 root(装软件、监听低端口、拥有自己的文件),但又不能让它们逃出容器后在宿主机上也是 root。',
    },
    tradeoff: {
      en: 'Much safer than a real root, but every id must be mapped; files on the host show up as nobody, and the extra kernel surface reachable by unprivileged users is why some distributions switch it off.',
      zh: '比真正的 root 安全得多,但每个 id 都要映射;宿主机上未映射的文件显示为 nobody;而且普通用户由此能触及更多内核代码,所以有些发行版默认把它关掉。',
    },
    usedBy: {
      en: 'rootless Docker and Podman (with subuid/subgid ranges), dockerd --userns-remap, LXC unprivileged containers, bubblewrap/Flatpak, Chrome\'s sandbox.',
      zh: 'rootless Docker 与 Podman(配合 subuid/subgid 区间)、dockerd --userns-remap、LXC 非特权容器、bubblewrap/Flatpak、Chrome 沙箱。',
    },
    parts: {
      en: 'clone/unshare(CLONE_NEWUSER), /proc/PID/uid_map and gid_map ("inside outside length"), /proc/PID/setgroups, /proc/sys/kernel/overflowuid, and newuidmap/newgidmap for ranges.',
      zh: 'clone/unshare(CLONE_NEWUSER)、/proc/PID/uid_map 与 gid_map("内部 外部 长度")、/proc/PID/setgroups、/proc/sys/kernel/overflowuid,以及映射区间用的 newuidmap/newgidmap。',
    },
    kernel: {
      en: 'Credentials hold kernel ids (kuid_t); each user_namespace has an extent table that translates them at every boundary. Capabilities are relative: a process has them only over its own namespace and the objects that namespace owns (its UTS, net, mount namespaces), never over host files.',
      zh: '进程凭据里保存的是内核 id(kuid_t),每个 user_namespace 有一张区间表,在边界处翻译。capability 是相对的:进程只对自己的 namespace 及其拥有的对象(它的 UTS、网络、挂载 namespace)有效,对宿主机文件无效。',
    },
    alternatives: {
      en: 'Before 3.8 there was only real root, dropped capabilities and seccomp; today rootless runtimes pair user namespaces with subordinate id ranges, and gVisor or a VM put a whole kernel in between.',
      zh: '3.8 之前只有真正的 root,加上削减 capability 与 seccomp;如今 rootless 运行时把 user namespace 与从属 id 区间结合;gVisor 或虚拟机则在中间再隔一个内核。',
    },
  },
  requirements: [...basics, namespaces('user', 'uts'), unprivilegedUserns],
  init: () => ({}),
  steps: [
    {
      id: 'unprivileged',
      title: { en: `The experiment runs as uid ${OUTSIDE_UID}, not as root`, zh: `实验以 uid ${OUTSIDE_UID} 运行,而不是 root` },
      explain: {
        en: `The article runs its program as the ordinary user hchen. nslab starts as root, so every process of this experiment first drops to uid/gid ${OUTSIDE_UID} with no supplementary groups (setgroups, setresgid, setresuid). No account is created: the kernel only needs the numbers.`,
        zh: `原文以普通用户 hchen 运行程序。nslab 以 root 启动,所以本实验的每个进程都先降到 uid/gid ${OUTSIDE_UID},并清空附加组(setgroups、setresgid、setresuid)。不需要创建账号:内核只认数字。`,
      },
      article: 'hchen@ubuntu:~$ id   # uid=1000(hchen) gid=1000(hchen) groups=1000(hchen)',
      modern: `setpriv --reuid ${OUTSIDE_UID} --regid ${OUTSIDE_GID} --clear-groups id`,
      async run(ctx, s) {
        s.hostBefore = osHostname();
        s.ws = workspace(ctx);
        const { report } = await probeOnce(ctx, { namespaces: [], actions: asUser, probeFile: s.ws.probe, label: 'probe as uid 1000' });
        const r = await shown(ctx, 'id', [tool('id')], { actions: asUser, where: `uid ${OUTSIDE_UID}` });
        s.plain = { report, id: r.stdout.trim() };
      },
      checks: [
        {
          id: 'runs-unprivileged',
          description: `The experiment's processes run with uid and gid ${OUTSIDE_UID} (real and effective) and no extra groups.`,
          evaluate: (s) => ({
            observed: `probe: uid ${s.plain!.report.uid} euid ${s.plain!.report.euid} gid ${s.plain!.report.gid} egid ${s.plain!.report.egid}; id: ${s.plain!.id}`,
            expected: `uid ${OUTSIDE_UID}, gid ${OUTSIDE_GID}, groups only ${OUTSIDE_GID}`,
            pass:
              [s.plain!.report.uid, s.plain!.report.euid].every((x) => x === OUTSIDE_UID) &&
              [s.plain!.report.gid, s.plain!.report.egid].every((x) => x === OUTSIDE_GID) &&
              new RegExp(`^uid=${OUTSIDE_UID}\\b.* gid=${OUTSIDE_GID}\\b.* groups=${OUTSIDE_GID}(\\([^)]*\\))?$`).test(s.plain!.id),
          }),
        },
      ],
    },
    {
      id: 'no-map',
      title: { en: 'A new user namespace without a map: everybody is 65534', zh: '没有映射的 user namespace:人人都是 65534' },
      explain: {
        en: 'uid 1000 calls unshare(CLONE_NEWUSER) itself, so the namespace belongs to uid 1000. Until someone writes a map, no id inside corresponds to an id outside, and the kernel shows the overflow id (/proc/sys/kernel/overflowuid, usually 65534, "nobody").',
        zh: 'uid 1000 自己调用 unshare(CLONE_NEWUSER),所以这个 namespace 属于 uid 1000。在写入映射之前,里面的 id 与外面没有对应关系,内核便显示溢出 id(/proc/sys/kernel/overflowuid,通常是 65534,即 nobody)。',
      },
      article: 'clone(container_main, ..., CLONE_NEWUSER | SIGCHLD, NULL);   // before set_uid_map()',
      modern: 'unshare --user id',
      async run(ctx, s) {
        const ws = s.ws!;
        const { report } = await probeOnce(ctx, { namespaces: [], actions: creator, probeFile: ws.probe, label: 'probe in an unmapped user namespace' });
        const id = await shown(ctx, 'id', [tool('id')], { actions: creator, where: 'new user namespace, no map yet' });
        const map = await shown(ctx, 'cat /proc/self/uid_map', [tool('cat'), '/proc/self/uid_map'], { actions: creator, where: 'new user namespace, no map yet' });
        const overflowuid = kernelNumber('overflowuid');
        const overflowgid = kernelNumber('overflowgid');
        ctx.transcript({ command: 'cat /proc/sys/kernel/overflowuid /proc/sys/kernel/overflowgid', output: `${overflowuid}\n${overflowgid}`, where: 'host' });
        s.noMap = { report, overflowuid, overflowgid, uidMap: map.stdout.trim(), id: id.stdout.trim() };
      },
      checks: [
        {
          id: 'overflow-ids',
          description: 'Without a map the process sees its uid and gid as the overflow ids of /proc/sys/kernel/overflowuid and overflowgid.',
          evaluate: (s) => ({
            observed: `uid ${s.noMap!.report.uid}, gid ${s.noMap!.report.gid}; id: ${s.noMap!.id}`,
            expected: `uid ${s.noMap!.overflowuid}, gid ${s.noMap!.overflowgid} (the article: 65534)`,
            pass: s.noMap!.report.uid === s.noMap!.overflowuid && s.noMap!.report.gid === s.noMap!.overflowgid && s.noMap!.id.startsWith(`uid=${s.noMap!.overflowuid}`),
          }),
        },
        {
          id: 'map-empty',
          description: 'The new namespace starts with an empty uid_map and its own user namespace inode.',
          evaluate: (s) => ({
            observed: `uid_map "${s.noMap!.uidMap}", user:[${s.noMap!.report.ns.user}] vs host user:[${nsInode('self', 'user')}]`,
            expected: 'an empty uid_map and a different inode',
            pass: s.noMap!.uidMap === '' && typeof s.noMap!.report.ns.user === 'number' && s.noMap!.report.ns.user !== nsInode('self', 'user'),
          }),
        },
      ],
    },
    {
      id: 'gid-map-refused',
      title: { en: 'The parent maps 0 → 1000; gid_map is refused', zh: '父进程映射 0 → 1000;gid_map 被拒绝' },
      explain: {
        en: 'The child unshares and then waits on a pipe, so the maps exist before it execs its program. The parent (also uid 1000) writes "0 1000 1" to uid_map: accepted, since it maps only its own uid. The same line to gid_map is refused with EPERM: since Linux 3.19 an unprivileged writer must first give up setgroups(), or a user could drop a group that was keeping it out of a file. The article\'s program predates that rule.',
        zh: '子进程 unshare 后在管道上等待,这样在它 execve 之前映射就已写好。父进程(同样是 uid 1000)向 uid_map 写入 "0 1000 1":成功,因为它只映射了自己的 uid。同样的内容写入 gid_map 却得到 EPERM:自 Linux 3.19 起,非特权写入者必须先放弃 setgroups(),否则用户可以丢掉某个本来用来拒绝它访问文件的组。原文的程序早于这条规则。',
      },
      article: 'set_uid_map(container_pid, 0, uid, 1); set_gid_map(container_pid, 0, gid, 1);   // the second fails (unchecked) on kernels since 3.19',
      modern: `echo '${MAP}' > /proc/PID/uid_map; echo '${MAP}' > /proc/PID/gid_map   # EPERM`,
      async run(ctx, s) {
        const ws = s.ws!;
        const { child, id: cleanupId } = ctx.spawn(
          { argv: [ws.probe, '--sethostname', HOSTNAME, '--read', ws.secret, '--hold'], actions: [...creator, { do: 'wait' }], stdio: ['pipe', 'pipe', 'pipe'] },
          'user-namespace child',
        );
        s.waiting = { child, cleanupId };
        try {
          ctx.log(`child ${child.pid} unshared a user namespace as uid ${OUTSIDE_UID} and waits on its pipe`);
          await shown(ctx, `cat /proc/${child.pid}/uid_map`, [tool('cat'), `/proc/${child.pid}/uid_map`], { where: 'host, before the map' });
          const uidMap = await writeAsUser(ctx, ws, `/proc/${child.pid}/uid_map`, MAP);
          const sg = await shown(ctx, `cat /proc/${child.pid}/setgroups`, [tool('cat'), `/proc/${child.pid}/setgroups`]);
          const gidMap = await writeAsUser(ctx, ws, `/proc/${child.pid}/gid_map`, MAP);
          s.refused = { uidMap, gidMap, setgroups: sg.stdout.trim() };
        } catch (e) {
          await stopWaiting(ctx, s);
          throw e;
        }
      },
      checks: [
        {
          id: 'uid-map-written',
          description: `An unprivileged parent (uid ${OUTSIDE_UID}) may map its own uid: "${MAP}" is accepted in uid_map.`,
          evaluate: (s) => ({
            observed: `${s.refused!.uidMap.ok ? 'written' : `refused (${s.refused!.uidMap.errno})`} by uid ${s.refused!.uidMap.writerUid}`,
            expected: `written by uid ${OUTSIDE_UID}`,
            pass: s.refused!.uidMap.ok && s.refused!.uidMap.writerUid === OUTSIDE_UID,
          }),
        },
        {
          id: 'gid-map-eperm',
          description: 'While setgroups is still "allow", the unprivileged gid_map write is refused with EPERM.',
          evaluate: (s) => ({
            observed: `setgroups ${s.refused!.setgroups}; gid_map write: ${s.refused!.gidMap.ok ? 'written' : s.refused!.gidMap.errno} (writer uid ${s.refused!.gidMap.writerUid})`,
            expected: `setgroups allow; gid_map write: EPERM (writer uid ${OUTSIDE_UID})`,
            pass: s.refused!.setgroups === 'allow' && !s.refused!.gidMap.ok && s.refused!.gidMap.errno === 'EPERM' && s.refused!.gidMap.writerUid === OUTSIDE_UID,
          }),
        },
      ],
    },
    {
      id: 'setgroups-deny',
      title: { en: 'The fix: "deny" to setgroups, then gid_map', zh: '修正:先向 setgroups 写 deny,再写 gid_map' },
      explain: {
        en: 'Writing "deny" to /proc/PID/setgroups promises that nobody in the namespace will ever call setgroups(); after that the kernel accepts the gid map. Runtimes use a fixed order: uid_map, setgroups deny, gid_map (bubblewrap, runc, unshare --map-root-user).',
        zh: '向 /proc/PID/setgroups 写入 deny,等于承诺这个 namespace 里永远不会调用 setgroups();之后内核便接受 gid 映射。各运行时都按固定顺序:uid_map、setgroups deny、gid_map(bubblewrap、runc、unshare --map-root-user)。',
      },
      article: '(not in the article: its kernel had no /proc/PID/setgroups)',
      modern: `echo deny > /proc/PID/setgroups; echo '${MAP}' > /proc/PID/gid_map`,
      async run(ctx, s) {
        const ws = s.ws!;
        const pid = s.waiting!.child.pid;
        try {
          const deny = await writeAsUser(ctx, ws, `/proc/${pid}/setgroups`, 'deny');
          const gidMap = await writeAsUser(ctx, ws, `/proc/${pid}/gid_map`, MAP);
          const read = async (f: string) => (await shown(ctx, `cat /proc/${pid}/${f}`, [tool('cat'), `/proc/${pid}/${f}`])).stdout.trim();
          s.fixed = { deny, gidMap, setgroups: await read('setgroups'), uidMap: await read('uid_map'), gidMapText: await read('gid_map') };
        } catch (e) {
          await stopWaiting(ctx, s);
          throw e;
        }
      },
      checks: [
        {
          id: 'gid-map-after-deny',
          description: 'After "deny" is written to setgroups, the same unprivileged gid_map write succeeds.',
          evaluate: (s) => ({
            observed: `setgroups write: ${s.fixed!.deny.ok ? 'ok' : s.fixed!.deny.errno}, now "${s.fixed!.setgroups}"; gid_map write: ${s.fixed!.gidMap.ok ? 'ok' : s.fixed!.gidMap.errno}`,
            expected: 'setgroups write: ok, now "deny"; gid_map write: ok',
            pass: s.fixed!.deny.ok && s.fixed!.setgroups === 'deny' && s.fixed!.gidMap.ok && s.fixed!.gidMap.writerUid === OUTSIDE_UID,
          }),
        },
        {
          id: 'maps-read-back',
          description: `Both maps read back as "${MAP}" (inside, outside, length).`,
          evaluate: (s) => {
            const norm = (t: string) => t.trim().split(/\s+/).join(' ');
            return {
              observed: `uid_map "${norm(s.fixed!.uidMap)}", gid_map "${norm(s.fixed!.gidMapText)}"`,
              expected: `"${MAP}" twice`,
              pass: norm(s.fixed!.uidMap) === MAP && norm(s.fixed!.gidMapText) === MAP,
            };
          },
        },
      ],
    },
    {
      id: 'root-inside',
      title: { en: 'Root inside, uid 1000 outside', zh: '里面是 root,外面是 uid 1000' },
      explain: {
        en: 'The parent lets the child go; it execs the probe, which now runs as uid 0 inside. Its capabilities cover what its namespace owns: it may rename its own UTS namespace. The host still sees uid 1000 in /proc/PID/status, and a file only the host root may read stays closed: root inside is not root outside.',
        zh: '父进程放行子进程,子进程执行 probe,此时它在里面是 uid 0。它的 capability 只覆盖自己 namespace 拥有的东西:可以修改自己 UTS namespace 的主机名。宿主机在 /proc/PID/status 里看到的仍是 uid 1000,只有宿主机 root 能读的文件依然打不开:里面的 root 不是外面的 root。',
      },
      article: 'root@container:~# id   # uid=0(root) gid=0(root) groups=0(root),65534(nogroup)',
      modern: `unshare --user --map-root-user --uts sh -c 'id; hostname ${HOSTNAME}; cat /etc/shadow'`,
      async run(ctx, s) {
        const ws = s.ws!;
        const { child } = s.waiting!;
        try {
          const reported = reportOf(child);
          child.go();
          await child.ready();
          const report = await reported;
          const pid = child.pid;
          const hostStatus = statusIds(pid);
          await shown(ctx, `grep -E '^(Uid|Gid):' /proc/${pid}/status`, [tool('grep'), '-E', '^(Uid|Gid):', `/proc/${pid}/status`], { where: 'host' });
          const join = [...asUser, { do: 'setns' as const, path: `/proc/${pid}/ns/user`, ns: 'user' as const }, { do: 'setns' as const, path: `/proc/${pid}/ns/uts`, ns: 'uts' as const }];
          const where = `inside the user namespace of ${pid}`;
          const id = await shown(ctx, 'id', [tool('id')], { actions: join, where });
          const hn = await shown(ctx, 'hostname', [tool('hostname')], { actions: join, where });
          const cat = await shown(ctx, `cat ${ws.secret}`, [tool('cat'), ws.secret], { actions: join, where });
          let secretAsHostRoot = false;
          try {
            secretAsHostRoot = readFileSync(ws.secret, 'utf8').length > 0;
          } catch {
            secretAsHostRoot = false;
          }
          s.inside = {
            report,
            hostStatus,
            id: id.stdout.trim(),
            hostname: hn.stdout.trim(),
            secretAsHostRoot,
            catSecret: (cat.stdout + cat.stderr).trim(),
            hostUts: nsInode('self', 'uts'),
            childUts: nsInode(pid, 'uts'),
            hostAfter: osHostname(),
          };
        } finally {
          await stopWaiting(ctx, s);
        }
        s.inside.hostAfter = osHostname();
      },
      checks: [
        {
          id: 'root-inside',
          description: 'After the maps, the child runs as uid 0 and gid 0 inside its namespace.',
          evaluate: (s) => {
            const r = s.inside!.report;
            return {
              observed: `probe: uid ${r.uid} euid ${r.euid} gid ${r.gid} egid ${r.egid}; id: ${s.inside!.id}`,
              expected: 'uid 0, gid 0 everywhere; id prints uid=0 gid=0',
              pass: [r.uid, r.euid, r.gid, r.egid].every((x) => x === 0) && /^uid=0\b.* gid=0\b/.test(s.inside!.id),
            };
          },
        },
        {
          id: 'host-sees-1000',
          description: `The host sees the same process as uid ${OUTSIDE_UID} and gid ${OUTSIDE_GID} (all four ids of /proc/PID/status).`,
          evaluate: (s) => ({
            observed: `Uid: ${s.inside!.hostStatus.uid.join(' ')}; Gid: ${s.inside!.hostStatus.gid.join(' ')}`,
            expected: `Uid: ${Array(4).fill(OUTSIDE_UID).join(' ')}; Gid: ${Array(4).fill(OUTSIDE_GID).join(' ')}`,
            pass: same(s.inside!.hostStatus.uid, OUTSIDE_UID) && same(s.inside!.hostStatus.gid, OUTSIDE_GID),
          }),
        },
        {
          id: 'own-hostname',
          description: `Root inside may set the hostname of its own UTS namespace ("${HOSTNAME}"); the host keeps its name.`,
          evaluate: (s) => ({
            observed: `probe: ${s.inside!.report.hostname} (sethostname error: ${s.inside!.report.sethostnameErrno ?? 'none'}), hostname inside: ${s.inside!.hostname}, host: ${s.inside!.hostAfter}, uts:[${s.inside!.childUts}] vs host uts:[${s.inside!.hostUts}]`,
            expected: `${HOSTNAME} inside with no error, host still ${s.hostBefore}, two different uts inodes`,
            pass:
              s.inside!.report.hostname === HOSTNAME &&
              !s.inside!.report.sethostnameErrno &&
              s.inside!.hostname === HOSTNAME &&
              s.inside!.hostAfter === s.hostBefore &&
              s.inside!.childUts !== s.inside!.hostUts,
          }),
        },
        {
          id: 'root-file-closed',
          description: 'Root inside cannot read a root-only (0600, owner root) host file that the host root can read.',
          evaluate: (s) => {
            const read = s.inside!.report.read;
            return {
              observed: `probe read: ${read ? (read.ok ? `ok (${read.bytes} bytes)` : read.errno) : 'not reported'}; cat: ${s.inside!.catSecret}; host root read it: ${s.inside!.secretAsHostRoot ? 'yes' : 'no'}`,
              expected: 'EACCES inside, Permission denied from cat, readable by the host root',
              pass: read !== undefined && !read.ok && read.errno === 'EACCES' && /Permission denied/.test(s.inside!.catSecret) && s.inside!.secretAsHostRoot,
            };
          },
        },
      ],
    },
  ],
  shell: {
    open: (ctx) => {
      const ws = workspace(ctx);
      return interactive(ctx, {
        labId: '07-user-namespace',
        namespaces: [],
        actions: [...creator, { do: 'wait' }, { do: 'sethostname', name: HOSTNAME }],
        prepare: async (child) => {
          await writeMaps(ctx, ws, child.pid);
          child.go();
        },
      });
    },
  },
};
