// 06-ns-files: /proc/PID/ns/* names a process's namespaces; the files compare them, keep them
// alive with a bind mount, and let another process enter them with setns() (docker exec, nsenter).
import { existsSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mount, NsError, probePath, type Namespace, type SetupAction } from '../../addon/index.js';
import { Container, probeOnce, shown, which, type ProbeReport, basics, namespaces, interactive, mountsUnder, type Check, type CheckOutcome, type Lab, type StepContext } from '../../runner/kit/index.js';

/** The article's pid.mnt program: CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS, hostname and a fresh /proc. */
const CHILD_NS: readonly Namespace[] = ['uts', 'pid', 'mnt'];
const HOSTNAME = 'container';
const CHILD_ACTIONS: readonly SetupAction[] = [
  { do: 'sethostname', name: HOSTNAME },
  { do: 'makePrivate', path: '/' },
  { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
];
/** The article's table: these stay shared, these differ. */
const SHARED = ['ipc', 'net', 'user'];
const SEPARATE = ['mnt', 'pid', 'uts'];
const ARTICLE_SIX = [...SHARED, ...SEPARATE];

type NsTable = Record<string, string>;

interface Joined {
  readonly report: ProbeReport;
  readonly hostname: string;
  readonly lsns?: Record<string, string>;
  readonly nsenter?: { hostname: string; ps: { pid: number; comm: string }[] };
}

interface Held {
  readonly containerUts: number;
  readonly heldIno: number;
  readonly mountLine: string;
  readonly containerGone: boolean;
  readonly pidsInNs: number[];
  readonly setns: ProbeReport;
  readonly hostnameCmd: string;
  readonly nsenter?: string;
}

interface State {
  container?: Container;
  parent?: NsTable;
  child?: NsTable;
  childPid?: number;
  inside?: ProbeReport;
  joined?: Joined;
  holder?: string;
  holdId?: number;
  held?: Held;
  released?: { ino: number; mounts: string[]; setnsError: string };
}

/** `ls -l /proc/PID/ns`, read by nslab: entry -> "type:[inode]". */
function nsTable(pid: number): NsTable {
  const dir = `/proc/${pid}/ns`;
  return Object.fromEntries(readdirSync(dir).sort().map((e) => [e, readlinkSync(join(dir, e))]));
}

const inodeOf = (link: string | undefined) => Number(/\[(\d+)\]/.exec(link ?? '')?.[1] ?? NaN);

/** Host PIDs whose `ns` link of this type names the given inode. */
function pidsIn(ns: Namespace, ino: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (statSync(`/proc/${p}/ns/${ns}`).ino === ino) out.push(Number(p));
    } catch {
      // gone, or a kernel thread we may not inspect
    }
  }
  return out;
}

function probeLine(stdout: string): ProbeReport {
  const line = stdout.split('\n').find((l) => l.startsWith('{"probe":1'));
  if (!line) throw new Error(`the probe printed no report: ${stdout.slice(0, 200)}`);
  return JSON.parse(line) as ProbeReport;
}

/** `ps -e -o pid=,comm=` rows. */
function psRows(out: string): { pid: number; comm: string }[] {
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S.*?)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), comm: m[2]! }));
}

function toolSkip(name: string, pkg: string): CheckOutcome {
  return { observed: `${name} is not installed`, expected: `${name} output`, pass: false, skip: `${name} is not installed (apt-get install ${pkg})` };
}

async function showNs(ctx: StepContext, pid: number, who: string): Promise<void> {
  await shown(ctx, `ls -l /proc/${pid}/ns`, [which('ls') ?? '/bin/ls', '-l', `/proc/${pid}/ns`], { where: `host (${who})` });
}

/** The article's claim for a group of namespaces: the child's inode equals (or differs from) the parent's. */
function pairCheck(id: string, names: readonly string[], equal: boolean, description: string): Check<State> {
  return {
    id,
    description,
    evaluate: (s) => {
      const ok = names.filter((n) => s.parent![n] !== undefined && s.child![n] !== undefined && (s.parent![n] === s.child![n]) === equal);
      return {
        observed: names.map((n) => `${n} ${s.parent![n]} / ${s.child![n]}`).join('; '),
        expected: equal ? 'each pair equal' : 'each pair different',
        pass: ok.length === names.length,
      };
    },
  };
}

const tableChecks: Check<State>[] = [
  pairCheck('shared-ipc-net-user', SHARED, true, "ipc, net and user: the child's inode equals the parent's (it did not ask for new ones)."),
  pairCheck('separate-mnt-pid-uts', SEPARATE, false, "mnt, pid and uts: the child's inode differs from the parent's (CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS)."),
  {
    id: 'inside-agrees',
    description: "The child's own view (the probe reading /proc/self/ns inside) names the same inodes as the host's view of /proc/PID/ns.",
    evaluate: (s) => {
      const ns = s.inside!.ns;
      const mismatch = Object.entries(ns).filter(([n, ino]) => ino !== null && s.child![n] !== undefined && inodeOf(s.child![n]) !== ino);
      return {
        observed: mismatch.length === 0 ? `${Object.keys(ns).length} of ${Object.keys(ns).length} agree` : mismatch.map(([n, ino]) => `${n}: inside ${ino}, host ${s.child![n]}`).join('; '),
        expected: 'all agree',
        pass: Object.keys(ns).length > 0 && mismatch.length === 0,
      };
    },
  },
  {
    id: 'newer-entries',
    description: "Entries the article's kernel did not list yet (cgroup, time) exist today and are shared too, since no flag asked for them; *_for_children name the namespace a process's next children get.",
    evaluate: (s) => {
      const extra = Object.keys(s.parent!).filter((n) => !ARTICLE_SIX.includes(n));
      const plain = extra.filter((n) => !n.endsWith('_for_children'));
      if (extra.length === 0) return { observed: 'only the six of the article', expected: 'newer entries', pass: false, skip: 'this kernel lists only the article\'s six namespaces' };
      const shared = plain.filter((n) => s.parent![n] === s.child![n]);
      const pfc = s.child!['pid_for_children'];
      return {
        observed: `${extra.join(' ')}; shared: ${shared.join(' ') || 'none'}; child pid_for_children ${pfc ?? 'absent'} (its pid ${s.child!.pid})`,
        expected: `${plain.join(' ')} shared; pid_for_children = the child's pid namespace`,
        pass: shared.length === plain.length && (pfc === undefined || pfc === s.child!.pid),
      };
    },
  },
];

export const lab: Lab<State> = {
  id: '06-ns-files',
  title: { en: 'Namespace files and setns()', zh: 'namespace 文件与 setns()' },
  card: {
    problem: {
      en: 'Namespaces have no names: tools need a way to tell whether two processes share one, to keep one alive with nobody in it, and to bring a new process into a running container.',
      zh: 'namespace 本身没有名字:工具需要判断两个进程是否共用同一个 namespace,需要在没有进程时保住它,还需要把新进程放进一个正在运行的容器。',
    },
    tradeoff: {
      en: 'A file handle is simple and works with ordinary permissions and mounts, but a forgotten bind mount or open fd silently keeps a whole namespace (and e.g. its network devices) alive.',
      zh: '用文件句柄表示 namespace 简单,可以沿用普通的权限和挂载机制;但一个被遗忘的绑定挂载或打开的 fd 会悄悄地让整个 namespace(以及其中的网卡等)一直存在。',
    },
    usedBy: {
      en: 'docker exec and runc exec (setns into every namespace of the container), nsenter, `ip netns` (bind mounts under /run/netns), lsns, Kubernetes pods sharing a pause container\'s namespaces.',
      zh: 'docker exec 与 runc exec(setns 进入容器的每个 namespace)、nsenter、`ip netns`(在 /run/netns 下绑定挂载)、lsns,以及 Kubernetes Pod 共享 pause 容器的 namespace。',
    },
    parts: {
      en: '/proc/PID/ns/{cgroup,ipc,mnt,net,pid,time,user,uts} (+ pid_for_children, time_for_children), open(2), setns(2), mount --bind, and the nsfs inode that identifies each namespace.',
      zh: '/proc/PID/ns/{cgroup,ipc,mnt,net,pid,time,user,uts}(以及 pid_for_children、time_for_children)、open(2)、setns(2)、mount --bind,和标识每个 namespace 的 nsfs inode。',
    },
    kernel: {
      en: 'Each link resolves to an inode of the internal nsfs file system, one per namespace; the namespace is reference-counted, and an open file or a bind mount of it holds a reference. setns(2) swaps one pointer of the caller\'s nsproxy (PID: only for its future children).',
      zh: '每个链接指向内核 nsfs 文件系统中的一个 inode,一个 namespace 对应一个;namespace 有引用计数,打开的文件或它的绑定挂载都持有一个引用。setns(2) 替换调用者 nsproxy 中的一个指针(PID namespace 只对之后的子进程生效)。',
    },
    alternatives: {
      en: 'Since Linux 5.8 setns() also accepts a pidfd and several namespace flags at once; NS_GET_PARENT/NS_GET_USERNS ioctls walk the hierarchy; Linux 6.x adds namespace ids and listns-style listing.',
      zh: '从 Linux 5.8 起 setns() 也接受 pidfd 并可一次进入多个 namespace;NS_GET_PARENT/NS_GET_USERNS ioctl 可遍历层级;较新的 6.x 内核又加入了 namespace id 与列举接口。',
    },
  },
  requirements: [...basics, namespaces(...CHILD_NS)],
  init: () => ({}),
  steps: [
    {
      id: 'ns-table',
      title: { en: 'Compare /proc/PID/ns of parent and child', zh: '比较父子进程的 /proc/PID/ns' },
      explain: {
        en: 'The article keeps its pid.mnt container running (CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS) and lists both processes\' namespace links. Two processes are in the same namespace exactly when the inode numbers match: the child got new mnt, pid and uts namespaces and shares ipc, net and user with its parent. Today\'s kernels list cgroup and time too.',
        zh: '文章让 pid.mnt 容器(CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS)保持运行,列出父子进程的 namespace 链接。inode 编号相同就说明在同一个 namespace 中:子进程得到了新的 mnt、pid、uts,而 ipc、net、user 与父进程共用。如今的内核还会列出 cgroup 和 time。',
      },
      article: 'sudo ls -l /proc/4599/ns; sudo ls -l /proc/4600/ns',
      modern: 'ls -l /proc/$$/ns /proc/<child>/ns   # or: lsns -p <child>',
      async run(ctx, s) {
        s.container = await Container.start(ctx, { namespaces: CHILD_NS, actions: CHILD_ACTIONS, label: 'pid.mnt container' });
        s.childPid = s.container.pid;
        s.inside = s.container.report;
        s.parent = nsTable(process.pid);
        s.child = nsTable(s.childPid);
        ctx.log(`parent: nslab itself, PID ${process.pid}; child: PID ${s.childPid} on the host, PID ${s.inside.pid} inside`);
        await showNs(ctx, process.pid, 'parent');
        await showNs(ctx, s.childPid, 'child');
      },
      checks: tableChecks,
    },
    {
      id: 'exec',
      title: { en: 'Join a running container (docker exec)', zh: '进入正在运行的容器(docker exec)' },
      explain: {
        en: 'docker exec, runc exec and nsenter open the container process\'s ns files and call setns() for each, mnt last; joining a PID namespace affects only children, so they fork once more. The new process then sees the container\'s hostname, its /proc and PID 1, while the container\'s first process never noticed.',
        zh: 'docker exec、runc exec 和 nsenter 打开容器进程的 ns 文件,逐个调用 setns(),mnt 放在最后;加入 PID namespace 只对子进程生效,所以还要再 fork 一次。新进程随后看到容器的主机名、它的 /proc 和 1 号进程,而容器里原来的进程毫无察觉。',
      },
      article: 'fd = open("/proc/4600/ns/nts", O_RDONLY); setns(fd, 0);   /* "nts": the article means uts */',
      modern: 'nsenter -t <pid> -u -p -m hostname   # docker exec <id> hostname',
      async run(ctx, s) {
        const c = s.container!;
        const hostname = (await shown(ctx, 'hostname', [which('hostname') ?? '/bin/hostname'], { container: c })).stdout.trim();
        const report = probeLine((await c.exec([probePath()])).stdout);
        ctx.log(`the joined probe: PID ${report.pid} inside, sees PIDs ${report.pids?.join(', ')}`);
        let lsnsView: Joined['lsns'];
        let nsenterView: Joined['nsenter'];
        const lsns = which('lsns');
        if (lsns) {
          const out = (await shown(ctx, `lsns -p ${c.pid}`, [lsns, '-p', String(c.pid)])).stdout;
          lsnsView = Object.fromEntries(
            out
              .split('\n')
              .map((l) => /^\s*(\d+)\s+(\w+)/.exec(l))
              .filter((m): m is RegExpExecArray => m !== null)
              .map((m) => [m[2]!, m[1]!]),
          );
        }
        const nsenter = which('nsenter');
        if (nsenter) {
          const h = await shown(ctx, `nsenter -t ${c.pid} -u hostname`, [nsenter, '-t', String(c.pid), '-u', which('hostname') ?? '/bin/hostname']);
          const ps = await shown(ctx, `nsenter -t ${c.pid} -p -m ps -e -o pid,comm`, [nsenter, '-t', String(c.pid), '-p', '-m', which('ps') ?? '/bin/ps', '-e', '-o', 'pid,comm']);
          nsenterView = { hostname: h.stdout.trim(), ps: psRows(ps.stdout) };
        }
        s.joined = { report, hostname, ...(lsnsView ? { lsns: lsnsView } : {}), ...(nsenterView ? { nsenter: nsenterView } : {}) };
      },
      checks: [
        {
          id: 'joined-same-ns',
          description: "The exec'd process is in the container's uts, pid and mnt namespaces (its inodes equal the container process's).",
          evaluate: (s) => {
            const r = s.joined!.report;
            const diff = SEPARATE.filter((n) => r.ns[n as Namespace] !== inodeOf(s.child![n]));
            return {
              observed: SEPARATE.map((n) => `${n} ${r.ns[n as Namespace]}`).join(', '),
              expected: SEPARATE.map((n) => `${n} ${inodeOf(s.child![n])}`).join(', '),
              pass: diff.length === 0,
            };
          },
        },
        {
          id: 'joined-sees-container',
          description: "The exec'd process sees the container's world: hostname \"container\", PID 1 in its /proc, and at most 3 processes (init, itself, maybe a passing one).",
          evaluate: (s) => {
            const r = s.joined!.report;
            return {
              observed: `hostname ${s.joined!.hostname} (probe: ${r.hostname}); PIDs ${r.pids?.join(' ') ?? 'none'}; own PID ${r.pid}`,
              expected: `hostname ${HOSTNAME}; PIDs include 1; at most 3`,
              pass: s.joined!.hostname === HOSTNAME && r.hostname === HOSTNAME && r.pids !== null && r.pids.includes(1) && r.pids.includes(r.pid) && r.pids.length <= 3,
            };
          },
        },
        {
          id: 'lsns-agrees',
          description: "util-linux lsns names the same namespace inodes for the container process as its ns links do.",
          evaluate: (s) => {
            const l = s.joined!.lsns;
            if (!l) return toolSkip('lsns', 'util-linux');
            const types = Object.keys(l).filter((t) => s.child![t] !== undefined);
            const diff = types.filter((t) => Number(l[t]) !== inodeOf(s.child![t]));
            return {
              observed: types.map((t) => `${t} ${l[t]}`).join(', '),
              expected: `the same as /proc/${s.childPid}/ns for ${types.length} types, at least mnt, pid, uts`,
              pass: diff.length === 0 && SEPARATE.every((t) => types.includes(t)),
            };
          },
        },
        {
          id: 'nsenter-agrees',
          description: 'util-linux nsenter into the same process sees hostname "container" and, in its pid+mnt namespaces, PID 1 is the probe.',
          evaluate: (s) => {
            const n = s.joined!.nsenter;
            if (!n) return toolSkip('nsenter', 'util-linux');
            const one = n.ps.find((p) => p.pid === 1);
            return {
              observed: `hostname ${n.hostname}; PID 1 ${one?.comm ?? 'missing'}; ${n.ps.length} processes`,
              expected: `hostname ${HOSTNAME}; PID 1 nslab-probe`,
              pass: n.hostname === HOSTNAME && one?.comm === 'nslab-probe',
            };
          },
        },
      ],
    },
    {
      id: 'hold',
      title: { en: 'Hold a namespace with a bind mount, then setns() into it', zh: '用绑定挂载保住 namespace,再 setns() 进入' },
      explain: {
        en: 'A namespace lives while something refers to it: a process, an open fd, or a bind mount of its ns file. The lab bind-mounts the container\'s uts file onto a file of its own, stops the container, and finds that no process is left in that namespace — yet a new process can setns() into the held file and gets the container\'s hostname. This is how `ip netns add` keeps network namespaces.',
        zh: '只要还有东西引用,namespace 就存在:进程、打开的 fd,或者它的 ns 文件的绑定挂载。实验把容器的 uts 文件绑定挂载到自己的一个文件上,停掉容器,确认这个 namespace 里已没有任何进程——但新进程仍能 setns() 进入这个文件,看到容器的主机名。`ip netns add` 就是这样保住网络 namespace 的。',
      },
      article: 'mount --bind /proc/4600/ns/uts ~/uts',
      modern: 'touch uts; mount --bind /proc/<pid>/ns/uts uts; nsenter --uts=uts hostname',
      async run(ctx, s) {
        const c = s.container!;
        const holder = join(ctx.scratch(), 'nslab-uts-hold');
        writeFileSync(holder, '');
        s.holder = holder;
        s.holdId = ctx.cleanup.createSync({ kind: 'mount', rel: ctx.cleanup.rel(holder) }, `bind mount of the uts namespace on ${holder}`, () =>
          mount(`/proc/${c.pid}/ns/uts`, holder, null, ['bind']),
        ).id;
        ctx.log(`mount --bind /proc/${c.pid}/ns/uts ${holder}   (done by nslab on the host)`);
        const grep = which('grep') ?? '/bin/grep';
        const mountLine = (await shown(ctx, 'grep nslab-uts-hold /proc/self/mountinfo', [grep, 'nslab-uts-hold', '/proc/self/mountinfo'])).stdout.trim();
        const containerUts = inodeOf(s.child!.uts);
        const heldIno = statSync(holder).ino;
        await c.stop();
        s.container = undefined;
        const containerGone = !existsSync(`/proc/${c.pid}`);
        const pidsInNs = pidsIn('uts', containerUts);
        ctx.log(`container process ${c.pid} ${containerGone ? 'has exited' : 'is still there'}; processes left in uts:[${containerUts}]: ${pidsInNs.length}`);
        const setnsAction: SetupAction = { do: 'setns', path: holder, ns: 'uts' };
        const { report } = await probeOnce(ctx, { namespaces: [], actions: [setnsAction], label: 'probe in the held namespace' });
        const hostnameCmd = (await shown(ctx, 'hostname', [which('hostname') ?? '/bin/hostname'], { actions: [setnsAction], where: `setns(${holder})` })).stdout.trim();
        const nsenter = which('nsenter');
        const viaNsenter = nsenter
          ? (await shown(ctx, `nsenter --uts=${holder} hostname`, [nsenter, `--uts=${holder}`, which('hostname') ?? '/bin/hostname'])).stdout.trim()
          : undefined;
        s.held = { containerUts, heldIno, mountLine, containerGone, pidsInNs, setns: report, hostnameCmd, ...(viaNsenter !== undefined ? { nsenter: viaNsenter } : {}) };
      },
      checks: [
        {
          id: 'bind-holds',
          description: "The bind-mounted file is the container's uts namespace (same nsfs inode) and shows in the host's mount table.",
          evaluate: (s) => ({
            observed: `held file inode ${s.held!.heldIno}; mountinfo: ${s.held!.mountLine || 'no line'}`,
            expected: `inode ${s.held!.containerUts}; an nsfs line`,
            pass: s.held!.heldIno === s.held!.containerUts && / - nsfs /.test(s.held!.mountLine),
          }),
        },
        {
          id: 'no-process-left',
          description: 'After the container stopped, no process on the machine is in that uts namespace.',
          evaluate: (s) => ({
            observed: `container process ${s.held!.containerGone ? 'gone' : 'still running'}; processes in uts:[${s.held!.containerUts}]: ${s.held!.pidsInNs.join(', ') || 'none'}`,
            expected: 'gone; none',
            pass: s.held!.containerGone && s.held!.pidsInNs.length === 0,
          }),
        },
        {
          id: 'setns-held',
          description: 'setns() into the held file puts a new process in the namespace: it has the same inode and sees the container\'s hostname.',
          evaluate: (s) => ({
            observed: `probe: uts:[${s.held!.setns.ns.uts}], hostname ${s.held!.setns.hostname}; hostname command: ${s.held!.hostnameCmd}`,
            expected: `uts:[${s.held!.containerUts}], hostname ${HOSTNAME}; ${HOSTNAME}`,
            pass: s.held!.setns.ns.uts === s.held!.containerUts && s.held!.setns.hostname === HOSTNAME && s.held!.hostnameCmd === HOSTNAME,
          }),
        },
        {
          id: 'nsenter-held',
          description: 'util-linux nsenter --uts=<held file> sees the same hostname.',
          evaluate: (s) =>
            s.held!.nsenter === undefined
              ? toolSkip('nsenter', 'util-linux')
              : { observed: s.held!.nsenter, expected: HOSTNAME, pass: s.held!.nsenter === HOSTNAME },
        },
      ],
    },
    {
      id: 'release',
      title: { en: 'Unmount: the last reference goes', zh: '卸载:最后一个引用消失' },
      explain: {
        en: 'Unmounting the held file drops the last reference; the kernel frees the namespace. The file underneath is again an ordinary empty file, and setns() on it fails with EINVAL: it names no namespace any more.',
        zh: '卸载这个文件就去掉了最后一个引用,内核随即释放该 namespace。下面的文件又变回普通的空文件,对它调用 setns() 会以 EINVAL 失败:它已不再代表任何 namespace。',
      },
      article: 'umount ~/uts',
      modern: 'umount uts; nsenter --uts=uts true   # fails: not a namespace file',
      async run(ctx, s) {
        const err = ctx.cleanup.pop(s.holdId!);
        if (err) throw new Error(err);
        const holder = s.holder!;
        let setnsError = 'no error';
        try {
          await probeOnce(ctx, { namespaces: [], actions: [{ do: 'setns', path: holder, ns: 'uts' }], label: 'setns into the released file' });
        } catch (e) {
          setnsError = e instanceof NsError ? e.code : (e as Error).message;
        }
        s.released = { ino: statSync(holder).ino, mounts: mountsUnder(holder), setnsError };
        await shown(ctx, `stat -c '%i %F' ${holder}`, [which('stat') ?? '/bin/stat', '-c', '%i %F', holder]);
        ctx.log(`setns(${holder}) now fails: ${setnsError}`);
      },
      checks: [
        {
          id: 'released',
          description: 'After the unmount the file is plain again (another inode, no mount) and setns() on it fails with EINVAL.',
          evaluate: (s) => ({
            observed: `inode ${s.released!.ino}; mounts ${s.released!.mounts.join(' ') || 'none'}; setns: ${s.released!.setnsError}`,
            expected: `not ${s.held!.containerUts}; none; EINVAL`,
            pass: s.released!.ino !== s.held!.containerUts && s.released!.mounts.length === 0 && s.released!.setnsError === 'EINVAL',
          }),
        },
      ],
    },
  ],
  shell: {
    open: (ctx) => interactive(ctx, { labId: '06-ns-files', namespaces: CHILD_NS, actions: CHILD_ACTIONS }),
  },
};
