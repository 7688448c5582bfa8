// The article's pid.mnt container, its /proc/PID/ns table compared with its parent's, and a
// second process brought into it the way docker exec and nsenter do.
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { probePath, type Namespace, type SetupAction } from '../../addon/index.js';
import { Container, LabError, PerRun, attempt, program, shown, step, t, which, type Check, type CheckOutcome, type ProbeReport, type StepContext, type Text } from '../../runner/kit/index.js';

/** The article's pid.mnt program: CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS, hostname and a fresh /proc. */
export const CHILD_NS: readonly Namespace[] = ['uts', 'pid', 'mnt'];
export const HOSTNAME = 'container';
export const CHILD_ACTIONS: readonly SetupAction[] = [
  { do: 'sethostname', name: HOSTNAME },
  { do: 'makePrivate', path: '/' },
  { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
];
/** The article's table: these stay shared, these differ. */
const SHARED = ['ipc', 'net', 'user'];
const SEPARATE = ['mnt', 'pid', 'uts'];
const ARTICLE_SIX = [...SHARED, ...SEPARATE];

/** `ls -l /proc/PID/ns`, read by nslab: entry -> "type:[inode]". */
export type NsTable = Readonly<Record<string, string>>;

/** The parent's and the child's namespace links, and the child's own view from inside. */
export interface Tables {
  readonly parent: NsTable;
  readonly child: NsTable;
  /** The container process's PID on the host. */
  readonly childPid: number;
  /** What the probe, the container's first process, reported from inside. */
  readonly inside: ProbeReport;
}

/** A process exec'd into the running container, and what the util-linux tools say about it. */
export interface Joined {
  /** The container's links (from ns-table), to compare with. */
  readonly child: NsTable;
  readonly childPid: number;
  readonly report: ProbeReport;
  readonly hostname: string;
  /** `lsns -p PID`: type -> inode (absent: lsns is not installed). */
  readonly lsns?: Readonly<Record<string, string>>;
  /** `nsenter -t PID …` (absent: nsenter is not installed). */
  readonly nsenter?: { readonly hostname: string; readonly ps: readonly { pid: number; comm: string }[] };
}

/**
 * The pid.mnt container, kept running from ns-table to hold. A live process is not an
 * observation, so later steps find it by the run (its cleanup stack, one per run); it is on the
 * cleanup stack too, so a run that stops half-way still ends it.
 */
const running = new PerRun<Container>();

/** The running container of this run; throws when ns-table has not started it (or hold stopped it). */
export function theContainer(ctx: StepContext): Container {
  const c = running.get(ctx);
  if (!c)
    throw new LabError(
      t(
        'the pid.mnt container is not running (step ns-table starts it, hold stops it)',
        'pid.mnt 容器没有在运行（步骤 ns-table 启动它，步骤 hold 停止它）',
      ),
    );
  return c;
}

/** Stop the container and forget it (hold does, once the namespace is held). */
export async function stopContainer(ctx: StepContext): Promise<void> {
  const c = running.get(ctx);
  running.delete(ctx);
  await c?.stop();
}

function nsTable(pid: number): NsTable {
  const dir = `/proc/${pid}/ns`;
  return Object.fromEntries(readdirSync(dir).sort().map((e) => [e, readlinkSync(join(dir, e))]));
}

/** The inode in a link's text ("uts:[4026531838]"); NaN when there is none. */
export const inodeOf = (link: string | undefined) => Number(/\[(\d+)\]/.exec(link ?? '')?.[1] ?? NaN);

function probeLine(stdout: string): ProbeReport {
  const line = stdout.split('\n').find((l) => l.startsWith('{"probe":1'));
  if (!line) throw new LabError(t(`the probe printed no report: ${stdout.slice(0, 200)}`, `探针没有输出报告：${stdout.slice(0, 200)}`));
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

export function toolSkip(name: string, pkg: string): CheckOutcome {
  return {
    observed: t(`${name} is not installed`, `没有安装 ${name}`),
    expected: t(`${name} output`, `${name} 的输出`),
    pass: false,
    skip: t(`${name} is not installed (apt-get install ${pkg})`, `没有安装 ${name}（apt-get install ${pkg}）`),
  };
}

async function showNs(ctx: StepContext, pid: number, who: Text): Promise<void> {
  await attempt(ctx, ['ls', '-l', `/proc/${pid}/ns`], { where: t(`host (${who.en})`, `主机（${who.zh}）`) });
}

/** The article's claim for a group of namespaces: the child's inode equals (or differs from) the parent's. */
function pairCheck(id: string, names: readonly string[], equal: boolean, description: Text): Check<Tables> {
  return {
    id,
    description,
    evaluate: (o) => {
      const ok = names.filter((n) => o.parent[n] !== undefined && o.child[n] !== undefined && (o.parent[n] === o.child[n]) === equal);
      return {
        observed: names.map((n) => `${o.parent[n] ?? `${n}:?`} / ${o.child[n] ?? `${n}:?`}`).join('; '),
        expected: equal ? t('each pair equal', '每一对都相同') : t('each pair different', '每一对都不同'),
        pass: ok.length === names.length,
      };
    },
  };
}

export const nsTableStep = step<Tables>({
  id: 'ns-table',
  title: { en: 'Compare /proc/PID/ns of parent and child', zh: '比较父子进程的 /proc/PID/ns' },
  explain: {
    en: 'The article keeps its pid.mnt container running (CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS) and lists both processes\' namespace links. Two processes are in the same namespace exactly when the inode numbers match: the child got new mnt, pid and uts namespaces and shares ipc, net and user with its parent. Today\'s kernels list cgroup and time too.',
    zh: '文章让 pid.mnt 容器（CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS）保持运行，列出父子进程的 namespace 链接。inode 编号相同就说明在同一个 namespace 中：子进程得到了新的 mnt、pid、uts，而 ipc、net、user 与父进程共用。如今的内核还会列出 cgroup 和 time。',
  },
  article: 'sudo ls -l /proc/4599/ns; sudo ls -l /proc/4600/ns',
  modern: {
    en: 'ls -l /proc/$$/ns /proc/<child>/ns   # or: lsns -p <child>',
    zh: 'ls -l /proc/$$/ns /proc/<child>/ns   # 或者：lsns -p <child>',
  },
  async run(ctx) {
    await stopContainer(ctx); // a step run again starts afresh
    const c = await Container.start(ctx, { namespaces: CHILD_NS, actions: CHILD_ACTIONS, label: t('pid.mnt container', 'pid.mnt 容器') });
    running.set(ctx, c);
    const tables: Tables = { parent: nsTable(process.pid), child: nsTable(c.pid), childPid: c.pid, inside: c.report };
    ctx.log(
      t(
        `parent: nslab itself, PID ${process.pid}; child: PID ${c.pid} on the host, PID ${c.report.pid} inside`,
        `父进程：nslab 自己，PID ${process.pid}；子进程：在宿主机上是 PID ${c.pid}，在里面是 PID ${c.report.pid}`,
      ),
    );
    await showNs(ctx, process.pid, t('parent', '父进程'));
    await showNs(ctx, c.pid, t('child', '子进程'));
    return tables;
  },
  checks: [
    pairCheck(
      'shared-ipc-net-user',
      SHARED,
      true,
      t("ipc, net and user: the child's inode equals the parent's (it did not ask for new ones).", 'ipc、net 和 user：子进程的 inode 与父进程相同（它没有要求新的）。'),
    ),
    pairCheck(
      'separate-mnt-pid-uts',
      SEPARATE,
      false,
      t(
        "mnt, pid and uts: the child's inode differs from the parent's (CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS).",
        'mnt、pid 和 uts：子进程的 inode 与父进程不同（CLONE_NEWNS、CLONE_NEWPID、CLONE_NEWUTS）。',
      ),
    ),
    {
      id: 'inside-agrees',
      description: t(
        "The child's own view (the probe reading /proc/self/ns inside) names the same inodes as the host's view of /proc/PID/ns.",
        '子进程自己的视角（探针在里面读取 /proc/self/ns）与宿主机看到的 /proc/PID/ns 给出相同的 inode。',
      ),
      evaluate: (o) => {
        const ns = o.inside.ns;
        const mismatch = Object.entries(ns).filter(([n, ino]) => ino !== null && o.child[n] !== undefined && inodeOf(o.child[n]) !== ino);
        return {
          observed:
            mismatch.length === 0
              ? t(`${Object.keys(ns).length} of ${Object.keys(ns).length} agree`, `${Object.keys(ns).length} 个中 ${Object.keys(ns).length} 个一致`)
              : t(
                  mismatch.map(([n, ino]) => `${n}: inside ${ino}, host ${o.child[n]}`).join('; '),
                  mismatch.map(([n, ino]) => `${n}：里面 ${ino}，宿主机 ${o.child[n]}`).join('；'),
                ),
          expected: t('all agree', '全部一致'),
          pass: Object.keys(ns).length > 0 && mismatch.length === 0,
        };
      },
    },
    {
      id: 'newer-entries',
      description: t(
        "Entries the article's kernel did not list yet (cgroup, time) exist today and are shared too, since no flag asked for them; *_for_children name the namespace a process's next children get.",
        '文章的内核还没有列出的条目（cgroup、time）如今存在，并且同样共用，因为没有标志要求新的；*_for_children 指出进程之后的子进程将进入的 namespace。',
      ),
      evaluate: (o) => {
        const extra = Object.keys(o.parent).filter((n) => !ARTICLE_SIX.includes(n));
        const plain = extra.filter((n) => !n.endsWith('_for_children'));
        if (extra.length === 0)
          return {
            observed: t('only the six of the article', '只有文章中的六个'),
            expected: t('newer entries', '更新的条目'),
            pass: false,
            skip: t("this kernel lists only the article's six namespaces", '这个内核只列出文章中的六种 namespace'),
          };
        const shared = plain.filter((n) => o.parent[n] === o.child[n]);
        const pfc = o.child['pid_for_children'];
        return {
          observed: t(
            `${extra.join(' ')}; shared: ${shared.join(' ') || 'none'}; child pid_for_children ${pfc ?? 'absent'} (its pid ${o.child.pid})`,
            `${extra.join(' ')}；共用：${shared.join(' ') || '无'}；子进程 pid_for_children ${pfc ?? '不存在'}（它的 pid 是 ${o.child.pid}）`,
          ),
          expected: t(`${plain.join(' ')} shared; pid_for_children = the child's pid namespace`, `${plain.join(' ')} 共用；pid_for_children = 子进程自己的 pid namespace`),
          pass: shared.length === plain.length && (pfc === undefined || pfc === o.child.pid),
        };
      },
    },
  ],
});

export const execStep = step<Joined>({
  id: 'exec',
  title: { en: 'Join a running container (docker exec)', zh: '进入正在运行的容器（docker exec）' },
  explain: {
    en: 'docker exec, runc exec and nsenter open the container process\'s ns files and call setns() for each, mnt last; joining a PID namespace affects only children, so they fork once more. The new process then sees the container\'s hostname, its /proc and PID 1, while the container\'s first process never noticed.',
    zh: 'docker exec、runc exec 和 nsenter 打开容器进程的 ns 文件，逐个调用 setns()，mnt 放在最后；加入 PID namespace 只对子进程生效，所以还要再 fork 一次。新进程随后看到容器的主机名、它的 /proc 和 1 号进程，而容器里原来的进程毫无察觉。',
  },
  article: 'fd = open("/proc/4600/ns/nts", O_RDONLY); setns(fd, 0);   /* "nts": the article means uts */',
  modern: {
    en: 'nsenter -t <pid> -u -p -m hostname   # docker exec <id> hostname',
    zh: 'nsenter -t <pid> -u -p -m hostname   # 相当于 docker exec <id> hostname',
  },
  async run(ctx) {
    const { child, childPid } = ctx.observed(nsTableStep);
    const c = theContainer(ctx);
    const hostname = (await shown(ctx, 'hostname', [program('hostname')], { container: c })).stdout.trim();
    const report = probeLine((await c.exec([probePath()])).stdout);
    ctx.log(
      t(
        `the joined probe: PID ${report.pid} inside, sees PIDs ${report.pids?.join(', ')}`,
        `加入的探针：在里面是 PID ${report.pid}，看到的 PID 有 ${report.pids?.join('、')}`,
      ),
    );
    let lsns: Joined['lsns'];
    let nsenter: Joined['nsenter'];
    if (which('lsns')) {
      const out = (await attempt(ctx, ['lsns', '-p', String(c.pid)])).stdout;
      lsns = Object.fromEntries(
        out
          .split('\n')
          .map((l) => /^\s*(\d+)\s+(\w+)/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[2]!, m[1]!]),
      );
    }
    if (which('nsenter')) {
      const h = await attempt(ctx, ['nsenter', '-t', String(c.pid), '-u', program('hostname')], { command: `nsenter -t ${c.pid} -u hostname` });
      const ps = await attempt(ctx, ['nsenter', '-t', String(c.pid), '-p', '-m', program('ps'), '-e', '-o', 'pid,comm'], { command: `nsenter -t ${c.pid} -p -m ps -e -o pid,comm` });
      nsenter = { hostname: h.stdout.trim(), ps: psRows(ps.stdout) };
    }
    return { child, childPid, report, hostname, ...(lsns ? { lsns } : {}), ...(nsenter ? { nsenter } : {}) };
  },
  checks: [
    {
      id: 'joined-same-ns',
      description: t(
        "The exec'd process is in the container's uts, pid and mnt namespaces (its inodes equal the container process's).",
        'exec 进去的进程位于容器的 uts、pid 和 mnt namespace 中（它的 inode 与容器进程的相同）。',
      ),
      evaluate: (o) => {
        const r = o.report;
        const diff = SEPARATE.filter((n) => r.ns[n as Namespace] !== inodeOf(o.child[n]));
        return {
          observed: SEPARATE.map((n) => `${n}:[${r.ns[n as Namespace]}]`).join(' '),
          expected: SEPARATE.map((n) => `${n}:[${inodeOf(o.child[n])}]`).join(' '),
          pass: diff.length === 0,
        };
      },
    },
    {
      id: 'joined-sees-container',
      description: t(
        'The exec\'d process sees the container\'s world: hostname "container", PID 1 in its /proc, and at most 3 processes (init, itself, maybe a passing one).',
        'exec 进去的进程看到的是容器的世界：主机名“container”，它的 /proc 里有 1 号进程，最多 3 个进程（init、它自己，也许还有一个路过的）。',
      ),
      evaluate: (o) => {
        const r = o.report;
        return {
          observed: t(
            `hostname ${o.hostname} (probe: ${r.hostname}); PIDs ${r.pids?.join(' ') ?? 'none'}; own PID ${r.pid}`,
            `主机名 ${o.hostname}（探针：${r.hostname}）；PID ${r.pids?.join(' ') ?? '无'}；自己的 PID ${r.pid}`,
          ),
          expected: t(`hostname ${HOSTNAME}; PIDs include 1; at most 3`, `主机名 ${HOSTNAME}；PID 中有 1；最多 3 个`),
          pass: o.hostname === HOSTNAME && r.hostname === HOSTNAME && r.pids !== null && r.pids.includes(1) && r.pids.includes(r.pid) && r.pids.length <= 3,
        };
      },
    },
    {
      id: 'lsns-agrees',
      description: t(
        'util-linux lsns names the same namespace inodes for the container process as its ns links do.',
        'util-linux 的 lsns 为容器进程列出的 namespace inode 与它的 ns 链接相同。',
      ),
      evaluate: (o) => {
        const l = o.lsns;
        if (!l) return toolSkip('lsns', 'util-linux');
        const types = Object.keys(l).filter((t) => o.child[t] !== undefined);
        const diff = types.filter((ty) => Number(l[ty]) !== inodeOf(o.child[ty]));
        return {
          observed: types.map((ty) => `${ty}:[${l[ty]}]`).join(' '),
          expected: t(
            `the same as /proc/${o.childPid}/ns for ${types.length} types, at least mnt, pid, uts`,
            `${types.length} 种都与 /proc/${o.childPid}/ns 相同，至少包括 mnt、pid、uts`,
          ),
          pass: diff.length === 0 && SEPARATE.every((t) => types.includes(t)),
        };
      },
    },
    {
      id: 'nsenter-agrees',
      description: t(
        'util-linux nsenter into the same process sees hostname "container" and, in its pid+mnt namespaces, PID 1 is the probe.',
        '用 util-linux 的 nsenter 进入同一个进程，看到主机名“container”，并且在它的 pid+mnt namespace 中 1 号进程是探针。',
      ),
      evaluate: (o) => {
        const n = o.nsenter;
        if (!n) return toolSkip('nsenter', 'util-linux');
        const one = n.ps.find((p) => p.pid === 1);
        return {
          observed: t(
            `hostname ${n.hostname}; PID 1 ${one?.comm ?? 'missing'}; ${n.ps.length} processes`,
            `主机名 ${n.hostname}；1 号进程 ${one?.comm ?? '不存在'}；${n.ps.length} 个进程`,
          ),
          expected: t(`hostname ${HOSTNAME}; PID 1 nslab-probe`, `主机名 ${HOSTNAME}；1 号进程 nslab-probe`),
          pass: n.hostname === HOSTNAME && one?.comm === 'nslab-probe',
        };
      },
    },
  ],
});
