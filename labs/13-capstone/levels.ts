// The capstone's levels, shaped as exercises: each level runs
// the learner's minidock in a playground with a driver script (`nslab capstone check N`), then
// judges the containers from the host's view like any exercise: /proc/PID/{ns,status,mountinfo,
// cgroup,uid_map,…} of the processes, their hostname and network devices read by joining their
// namespaces, the cgroups' own limit files. The driver starts containers whose command is
// `sleep 6001` (c1) and `sleep 6002` (c2), so the checks find them by their argv. A level N
// check re-checks the essentials of the levels below it.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exercise,
  landing,
  mountAt,
  mountsOf,
  placeLandingProbe,
  t,
  tool,
  tryRead,
  type Condition,
  type Landing,
  type Exercise,
  type MountLine,
  type PgProcess,
  type PlaygroundView,
  type Text,
} from '../../runner/kit/index.js';
import { buildImage, unpackLayers } from './image.js';
import { addonShim, referencePath, withoutStep } from './skeleton.js';

export const C1 = '6001';
export const C2 = '6002';
/** The first child c1's shell starts (level 6): where it is tells where c1 was at exec. */
export const FIRST_CHILD = '6006';
/** c1's busy second at level 6 and on (busybox's timeout ends the loop). */
const BUSY = `timeout 1 sh -c "while :; do :; done"`;
/** What `minidock exec c1 --` runs (level 8). */
export const EXEC = '6009';
/** Level 0: `minidock run -- sh -c 'exit 3'`, then the driver starts `sleep 6100+$?`. */
export const EXIT_BASE = 6100;
export const EXIT_CODE = 3;
const IP1 = '10.77.0.11/24';
const IP2 = '10.77.0.12/24';
const GATEWAY = '10.77.0.1/24';
const BRIDGE = 'md0';
const MEMORY = 32 * 1024 * 1024;
const PIDS = 20;
const CPUS = 0.2;
/** The working directory's image (docker save layout) and its unpacked layers. */
const IMAGE = 'image';
const LAYERS = 'layers';
/** What the level-4 throwaway container writes into its root: it must be gone with it. */
const SCRATCH = 'c0-was-here';
const LIMITED = ['cpu', 'memory', 'pids'] as const;
type Limited = (typeof LIMITED)[number];
const NS_CHECKED = ['uts', 'pid', 'mnt', 'net', 'ipc', 'user'] as const;
type Ns = (typeof NS_CHECKED)[number];

// ───────────────────────────────────────────────────────────────────────── observation

/** One cgroup of a process, for one of the limited controllers. */
export interface GroupSeen {
  readonly version: 1 | 2;
  /** As the learner names it inside the playground (e.g. /sys/fs/cgroup/cpu/minidock-c1). */
  readonly shown: string;
  /** The group is the playground's own (the process joined nothing). */
  readonly playgrounds: boolean;
  /** The limit its files say: cpu as a fraction of one CPU, memory in bytes, pids a count; undefined = none. */
  readonly limit: number | undefined;
  /** cpu only: how often the kernel has throttled the group (cpu.stat nr_throttled, v1 and v2). */
  readonly throttled?: number;
}

/** A device as `ip -j -d addr` prints it (the fields the checks read). */
export interface NetDev {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags?: readonly string[];
  readonly master?: string;
  readonly link_index?: number;
  readonly linkinfo?: { readonly info_kind?: string };
  readonly addr_info?: readonly { readonly family: string; readonly local: string; readonly prefixlen: number }[];
}

export interface NetSeen {
  readonly devs: readonly NetDev[];
  /** /proc/net/snmp there: echo requests and replies that arrived. */
  readonly inEchos: number;
  readonly inEchoReps: number;
}

/** A container process as the checks see it. */
export interface ContainerSeen {
  readonly inside: number;
  readonly ns: Readonly<Record<Ns, number>>;
  /** Namespaces whose inode differs from the playground's. */
  readonly own: readonly Ns[];
  readonly hostname: string | undefined;
  /** Its pid in its own PID namespace (1 for a container's init). */
  readonly ownPid: number;
  /** The PID namespace of the /proc it sees (its root's /proc/1/ns/pid), 0 when unreadable. */
  readonly procNs: number;
  /** device:inode of its root. */
  readonly rootId: string | undefined;
  readonly mounts: readonly MountLine[];
  /** Host uid (real, effective, saved, fs). */
  readonly uid: readonly number[];
  readonly cgroups: Readonly<Partial<Record<Limited, GroupSeen>>>;
  /** Level ≥ 3: mount points of the playground's root file system in its namespace. */
  readonly oldRoot: readonly string[];
  /** Level ≥ 3: a process joining its mount namespace lands on the playground's / (or: could not tell). */
  readonly landing: Landing;
  /** Level ≥ 4: what its root holds. */
  readonly files: { readonly motd: boolean; readonly hello: boolean; readonly busybox: boolean };
  readonly net?: NetSeen;
  readonly uidMap?: string;
  readonly gidMap?: string;
  readonly setgroups?: string;
}

export interface LevelWorld {
  readonly level: number;
  readonly playgroundHostname: string;
  readonly playgroundRootId: string | undefined;
  readonly playgroundNs: Readonly<Record<Ns, number>>;
  readonly c1?: ContainerSeen;
  readonly c2?: ContainerSeen;
  /** A clone of minidock still waiting at its first action (it never exec'd sleep 6001). */
  readonly waiting?: number;
  /** Level 0: what minidock run returned for sh -c 'exit 3' (undefined: it did not return). */
  readonly exitCode?: number;
  /** Mounts that leaked from a container into the playground (a namespace that was not private). */
  readonly leaks: readonly string[];
  /** device:inode of ./layers/1 (level 3's image root). */
  readonly imageRootId: string | undefined;
  /** The unpacked layers as host paths, topmost first (lowerdir=). */
  readonly layerDirs: readonly string[];
  /** Level 4: where the throwaway container's file is still found in the working directory. */
  readonly scratchLeft: readonly string[];
  /** Level 5: the playground's network namespace (the bridge lives there). */
  readonly playgroundNet?: NetSeen;
  /** Level 6: c1's shell's first child. */
  readonly firstChild?: { readonly inside: number; readonly cgroups: Readonly<Partial<Record<Limited, GroupSeen>>> };
  /** Level 8: what minidock exec started. */
  readonly exec?: { readonly inside: number; readonly ns: Readonly<Record<Ns, number>>; readonly cgroups: Readonly<Partial<Record<Limited, GroupSeen>>> };
}

const idOf = (path: string): string | undefined => {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
};
const exists = (path: string) => lstatSync(path, { throwIfNoEntry: false }) !== undefined;
const inodeOf = (link: string): number => Number(/\[(\d+)\]/.exec(link)?.[1] ?? 0);
const nsOf = (p: PgProcess): Record<Ns, number> => ({ uts: p.ns.uts, pid: p.ns.pid, mnt: p.ns.mnt, net: p.ns.net, ipc: p.ns.ipc, user: p.ns.user });
const isSleep = (p: PgProcess, arg: string) => (p.argv[0] ?? '').endsWith('sleep') && p.argv[1] === arg && p.argv.length === 2;

/** The host's cgroup mounts: v1 by controller, and cgroup2. */
function cgroupMounts(): { v1: { mount: string; controllers: string[] }[]; v2?: string } {
  const v1: { mount: string; controllers: string[] }[] = [];
  let v2: string | undefined;
  for (const m of mountsOf('self')) {
    if (m.fstype === 'cgroup') v1.push({ mount: m.target, controllers: m.superOptions });
    else if (m.fstype === 'cgroup2') v2 ??= m.target;
  }
  return { v1, v2 };
}

/** /proc/PID/cgroup as controller → path (v1), and the cgroup2 path under ''. */
function cgroupPaths(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (tryRead(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === '') out.set('', m[3]!);
    else for (const c of m[2]!.split(',')) out.set(c, m[3]!);
  }
  return out;
}

const num = (s: string | undefined): number | undefined => {
  const v = s?.trim();
  return v === undefined || v === '' || v === 'max' || !/^-?\d+$/.test(v) ? undefined : Number(v);
};

function limitOf(dir: string, r: Limited, version: 1 | 2): number | undefined {
  if (r === 'cpu') {
    if (version === 2) {
      const [q, p] = (tryRead(join(dir, 'cpu.max')) ?? '').trim().split(/\s+/);
      const quota = num(q);
      const period = num(p);
      return quota !== undefined && period ? quota / period : undefined;
    }
    const quota = num(tryRead(join(dir, 'cpu.cfs_quota_us')));
    const period = num(tryRead(join(dir, 'cpu.cfs_period_us')));
    return quota !== undefined && quota > 0 && period ? quota / period : undefined;
  }
  if (r === 'memory') {
    const v = num(tryRead(join(dir, version === 2 ? 'memory.max' : 'memory.limit_in_bytes')));
    // v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages).
    return v !== undefined && v < 2 ** 60 ? v : undefined;
  }
  return num(tryRead(join(dir, 'pids.max')));
}

/**
 * The groups of a process for cpu, memory and pids (v1 where the controller is, else cgroup2),
 * relative to the playground's root group there. In cgroup2 that root is the playground's group,
 * not where its init is now: a runtime that hands controllers down moves the root's processes
 * into a leaf first.
 */
function groupsOf(pid: number, pg: PlaygroundView): Partial<Record<Limited, GroupSeen>> {
  const mounts = cgroupMounts();
  const mine = cgroupPaths(pid);
  const pgs = cgroupPaths(pg.init);
  const v2Root = pg.cgroups.v2;
  if (v2Root !== undefined && mounts.v2 !== undefined && v2Root.startsWith(`${mounts.v2}/`)) pgs.set('', v2Root.slice(mounts.v2.length));
  const out: Partial<Record<Limited, GroupSeen>> = {};
  for (const r of LIMITED) {
    const v1 = mounts.v1.find((m) => m.controllers.includes(r));
    const key = v1 !== undefined && mine.has(r) ? r : '';
    const mount = key === r ? v1?.mount : mounts.v2;
    const path = mine.get(key);
    if (mount === undefined || path === undefined) continue;
    const base = pgs.get(key) ?? '/';
    const rel = path === base ? '' : base !== '/' && path.startsWith(`${base}/`) ? path.slice(base.length) : path;
    const version = key === r ? 1 : 2;
    const dir = join(mount, path);
    const throttled = r === 'cpu' ? num(/^nr_throttled (\d+)$/m.exec(tryRead(join(dir, 'cpu.stat')) ?? '')?.[1]) : undefined;
    out[r] = { version, shown: `${mount}${rel}`, playgrounds: path === base, limit: limitOf(dir, r, version), ...(throttled !== undefined ? { throttled } : {}) };
  }
  return out;
}

async function netOf(pg: PlaygroundView, pid: number): Promise<NetSeen | undefined> {
  try {
    const a = await pg.runIn(pid, ['net'], ['ip', '-j', '-d', 'addr', 'show']);
    const s = await pg.runIn(pid, ['net'], ['cat', '/proc/net/snmp']);
    const rows = s.stdout.split('\n').filter((l) => l.startsWith('Icmp:'));
    const keys = rows[0]?.split(/\s+/) ?? [];
    const values = rows[1]?.split(/\s+/) ?? [];
    const get = (k: string) => Number(values[keys.indexOf(k)] ?? 0) || 0;
    return { devs: JSON.parse(a.stdout.trim() || '[]') as NetDev[], inEchos: get('InEchos'), inEchoReps: get('InEchoReps') };
  } catch {
    return undefined;
  }
}

async function seen(pg: PlaygroundView, p: PgProcess, level: number, top: MountLine | undefined): Promise<ContainerSeen> {
  const ns = nsOf(p);
  const own = NS_CHECKED.filter((n) => ns[n] !== 0 && ns[n] !== pg.ns[n]);
  const h = await pg.runIn(p.pid, ['uts'], ['hostname']).catch(() => undefined);
  let procNs = 0;
  try {
    procNs = inodeOf(readlinkSync(`/proc/${p.pid}/root/proc/1/ns/pid`));
  } catch {
    procNs = 0;
  }
  const mounts = mountsOf(p.pid);
  const same = (m: MountLine) =>
    top !== undefined && m.root === '/' && m.fstype === top.fstype && m.source === top.source && m.superOptions.join(',') === top.superOptions.join(',');
  const root = `/proc/${p.pid}/root`;
  const read = (f: string) => tryRead(`/proc/${p.pid}/${f}`)?.trim().split(/\s+/).join(' ');
  return {
    inside: p.inside,
    ns,
    own,
    hostname: h && h.code === 0 ? h.stdout.trim() : undefined,
    ownPid: p.nspid.at(-1) ?? 0,
    procNs,
    rootId: idOf(root),
    mounts,
    uid: p.uid,
    cgroups: level >= 6 ? groupsOf(p.pid, pg) : {},
    oldRoot: level >= 3 ? mounts.filter(same).map((m) => m.target) : [],
    landing: level >= 3 ? await landing(pg, p.pid) : 'unknown',
    files: { motd: exists(`${root}/etc/motd`), hello: exists(`${root}/hello.txt`), busybox: exists(`${root}/bin/busybox`) },
    ...(level >= 5 ? { net: await netOf(pg, p.pid) } : {}),
    ...(level >= 7 ? { uidMap: read('uid_map'), gidMap: read('gid_map'), setgroups: read('setgroups') } : {}),
  };
}

/** Files named SCRATCH under the working directory (not in the image or its layers), a few levels deep. */
function scratchLeft(dir: string, rel = '', depth = 0): string[] {
  if (depth > 6) return [];
  const out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, rel));
  } catch {
    return [];
  }
  for (const n of names) {
    const r = rel === '' ? n : `${rel}/${n}`;
    if (rel === '' && (n === IMAGE || n === LAYERS)) continue;
    if (n === SCRATCH) out.push(r);
    const st = lstatSync(join(dir, r), { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...scratchLeft(dir, r, depth + 1));
  }
  return out;
}

export async function levelWorld(pg: PlaygroundView, level: number): Promise<LevelWorld> {
  const procs = pg.processes();
  const name = await pg.runIn(pg.init, ['uts'], ['hostname']).catch(() => undefined);
  const pgMounts = mountsOf(pg.init);
  const top = mountAt(pgMounts, '/');
  const p1 = procs.find((p) => isSleep(p, C1));
  const p2 = level >= 5 ? procs.find((p) => isSleep(p, C2)) : undefined;
  // A clone of minidock that never exec'd has the same argv as its parent, minidock run.
  const byPid = new Map(procs.map((p) => [p.pid, p] as const));
  const waiting = procs.find((p) => p.argv.includes(C1) && !isSleep(p, C1) && byPid.get(p.ppid)?.argv.join('\0') === p.argv.join('\0'));
  const marker = procs.map((p) => ((p.argv[0] ?? '').endsWith('sleep') && p.argv.length === 2 ? Number(p.argv[1]) - EXIT_BASE : NaN)).find((n) => n >= 0 && n < 256);
  // Mounts of a container that propagated into the playground: under the working directory, or a proc over its /proc.
  let pgProcNs = 0;
  try {
    pgProcNs = inodeOf(readlinkSync(`/proc/${pg.init}/root/proc/1/ns/pid`));
  } catch {
    pgProcNs = 0;
  }
  const leaks = [
    ...new Set(pgMounts.filter((m) => m.target === pg.dir || m.target.startsWith(`${pg.dir}/`)).map((m) => `.${m.target.slice(pg.dir.length)}`)),
    ...(pgProcNs !== 0 && pgProcNs !== pg.ns.pid ? ['/proc'] : []),
  ];
  const first = level >= 6 ? procs.find((p) => isSleep(p, FIRST_CHILD)) : undefined;
  const ex = level >= 8 ? procs.find((p) => isSleep(p, EXEC)) : undefined;
  return {
    level,
    playgroundHostname: name?.stdout.trim() ?? '?',
    playgroundRootId: idOf(`/proc/${pg.init}/root`),
    playgroundNs: nsOf({ ns: pg.ns } as PgProcess),
    ...(p1 ? { c1: await seen(pg, p1, level, top) } : {}),
    ...(p2 ? { c2: await seen(pg, p2, level, top) } : {}),
    ...(waiting ? { waiting: waiting.inside } : {}),
    ...(marker !== undefined ? { exitCode: marker } : {}),
    leaks,
    imageRootId: idOf(pg.hostPath(join(pg.dir, LAYERS, '1'))),
    layerDirs: [join(pg.dir, LAYERS, '2'), join(pg.dir, LAYERS, '1')],
    scratchLeft: level === 4 ? scratchLeft(pg.hostPath(pg.dir)) : [],
    ...(level >= 5 ? { playgroundNet: await netOf(pg, pg.init) } : {}),
    ...(first ? { firstChild: { inside: first.inside, cgroups: groupsOf(first.pid, pg) } } : {}),
    ...(ex ? { exec: { inside: ex.inside, ns: nsOf(ex), cgroups: groupsOf(ex.pid, pg) } } : {}),
  };
}

// ───────────────────────────────────────────────────────────────────────── conditions

type Outcome = ReturnType<Condition<LevelWorld>['evaluate']>;
const judged = (pass: boolean, observed: Outcome['observed'], expected: Outcome['expected'], hint: () => Text): Outcome => ({
  observed,
  expected,
  pass,
  ...(pass ? {} : { hint: hint() }),
});

/** What most likely stops minidock at this level, when no container runs. */
const LIKELY: Record<number, Text> = {
  0: t('is run waiting for the child, and did spawn get the command?', 'run 是否在等子进程？spawn 是否拿到了命令？'),
  1: t('sethostname needs the uts namespace in spec.namespaces.', 'sethostname 需要 spec.namespaces 里有 uts。'),
  2: t('mount proc needs the mnt namespace (and pid for a proc of its own).', '挂载 proc 需要 mnt namespace（想要自己的 proc 还需要 pid）。'),
  3: t(
    'pivot_root fails with EINVAL while a mount is shared, or when the new root is not a mount point: did pivot_root run after the mount namespace was made private, on a bind mount of the root onto itself?',
    '只要有挂载是 shared 的，或者新根不是挂载点，pivot_root 就以 EINVAL 失败：pivot_root 是在 mount namespace 设为 private 之后执行的吗？新根是否已绑定挂载到它自己身上？',
  ),
  4: t('the overlay mount needs lowerdir (topmost first), upperdir and workdir on one file system, and rootfs/ must exist.', 'overlay 挂载需要 lowerdir（最上层在前）、upperdir 和 workdir（两者在同一个文件系统上），并且 rootfs/ 必须存在。'),
  5: t('the ip commands run while the child waits: is the veth peer moved into the child pid\'s netns?', 'ip 命令在子进程等待时执行：veth 的另一端是否移进了子进程的 netns？'),
  6: t('writing a limit fails when its controller is not in the hierarchy you made the group in.', '在不含该子系统的层级里建组，写限制就会失败。'),
  7: t(
    'once gid_map is written, /proc/PID/setgroups can no longer change (EPERM): write uid_map, then deny to setgroups, then gid_map.',
    'gid_map 一旦写入，/proc/PID/setgroups 就不能再改（EPERM）：先写 uid_map，再往 setgroups 写 deny，最后写 gid_map。',
  ),
  8: t('exec needs the container to be running: c1 comes first.', 'exec 需要容器正在运行：先有 c1。'),
};

const noContainer = (o: LevelWorld, name = 'c1', arg = C1): Text => {
  if (o.leaks.length > 0)
    return t(
      `mounts of the container leaked into the playground (${o.leaks.join(', ')}): its mount namespace was not made private first, so pivot_root refuses it (EINVAL). Put makePrivate on / right after the namespaces are made.`,
      `容器的挂载泄漏到了练习场（${o.leaks.join('、')}）：它的 mount namespace 没有先设为 private，所以 pivot_root 拒绝执行（EINVAL）。在建好 namespace 之后立即对 / 做 makePrivate。`,
    );
  if (o.waiting !== undefined && name === 'c1')
    return t(
      `minidock's child [${o.waiting}] was cloned but never ran sleep ${arg}: it still waits at its first action. Call child.go() once the parent's work is done.`,
      `minidock 的子进程 [${o.waiting}] 已经 clone 出来，却始终没有运行 sleep ${arg}：它还停在第一个动作上等待。父进程的工作做完后调用 child.go()。`,
    );
  const likely = LIKELY[o.level] ?? LIKELY[0]!;
  return t(
    `no container ${name} is running: minidock run should start "sleep ${arg}" and keep it running (minidock's own message says which step failed; at this level: ${likely.en})`,
    `没有名为 ${name} 的容器在运行：minidock run 应当启动“sleep ${arg}”并让它一直运行（minidock 自己的报错会说明是哪一步失败了；这一级常见的原因：${likely.zh}）`,
  );
};

/** Level 0: the command runs as a child process. */
const running: Condition<LevelWorld> = {
  id: 'runs',
  description: t(`minidock run starts the command (sleep ${C1}) as a child process and keeps it running.`, `minidock run 以子进程的方式启动命令（sleep ${C1}），并让它一直运行。`),
  evaluate: (o) => judged(o.c1 !== undefined, o.c1 ? `sleep ${C1} [${o.c1.inside}]` : '-', `sleep ${C1}`, () => noContainer(o)),
};

const exitCode: Condition<LevelWorld> = {
  id: 'exit-code',
  description: t(`minidock run returns the command's exit status (sh -c 'exit ${EXIT_CODE}' gives ${EXIT_CODE}).`, `minidock run 返回命令的退出状态（sh -c 'exit ${EXIT_CODE}' 得到 ${EXIT_CODE}）。`),
  evaluate: (o) =>
    judged(o.exitCode === EXIT_CODE, o.exitCode === undefined ? t('run did not return', 'run 没有返回') : String(o.exitCode), String(EXIT_CODE), () =>
      o.exitCode === undefined
        ? t(
            "minidock run --name c0 -- sh -c 'exit 3' has not returned: run should wait for the child (await child.exited) and then exit with its code.",
            "minidock run --name c0 -- sh -c 'exit 3' 没有返回：run 应当等待子进程（await child.exited），然后以它的退出码退出。",
          )
        : t(
            `minidock run returned ${o.exitCode} for a command that exited with ${EXIT_CODE}: return the child's code (128 + the signal when a signal killed it) and pass it to process.exit.`,
            `命令以 ${EXIT_CODE} 退出，minidock run 却返回了 ${o.exitCode}：返回子进程的退出码（被信号杀死时为 128 + 信号编号），并把它交给 process.exit。`,
          ),
    ),
};

/** Level 1: its own UTS namespace, named by --hostname. */
const hostname: Condition<LevelWorld> = {
  id: 'hostname',
  description: t('c1 has a UTS namespace of its own whose hostname is c1; the playground keeps its name.', 'c1 有自己的 UTS namespace，主机名是 c1；练习场保住了自己的名字。'),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.own.includes('uts') && c.hostname === 'c1' && o.playgroundHostname === 'playground';
    return judged(
      pass,
      c
        ? t(`uts ${c.own.includes('uts') ? 'own' : 'shared'}, hostname ${c.hostname ?? '?'}; playground ${o.playgroundHostname}`, `uts ${c.own.includes('uts') ? '独立' : '共用'}，主机名 ${c.hostname ?? '?'}；练习场 ${o.playgroundHostname}`)
        : '-',
      t('uts own, hostname c1; playground playground', 'uts 独立，主机名 c1；练习场 playground'),
      () =>
        c === undefined
          ? noContainer(o)
          : !c.own.includes('uts')
            ? t("c1 shares the playground's UTS namespace: add 'uts' to spec.namespaces.", "c1 与练习场共用 UTS namespace：在 spec.namespaces 里加上 'uts'。")
            : t(
                `c1 is in its own UTS namespace, but its hostname is "${c.hostname ?? '?'}": add a sethostname action with --hostname (else the name).`,
                `c1 已有自己的 UTS namespace，但主机名是“${c.hostname ?? '?'}”：加一个 sethostname 动作，用 --hostname 的值（没有时用容器名）。`,
              ),
    );
  },
};

/** Level 2: PID 1 of its own PID namespace, with a /proc of that namespace. */
const pid1: Condition<LevelWorld> = {
  id: 'pid-1',
  description: t('c1 is PID 1 of its own PID namespace and sees a /proc of that namespace.', 'c1 是自己 PID namespace 的 1 号进程，看到的是这个 namespace 的 /proc。'),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.own.includes('pid') && c.ownPid === 1 && c.procNs === c.ns.pid;
    return judged(
      pass,
      c ? t(`pid ${c.ownPid} in pid:[${c.ns.pid}], /proc of pid:[${c.procNs}]`, `pid:[${c.ns.pid}] 里的 ${c.ownPid} 号进程，/proc 属于 pid:[${c.procNs}]`) : '-',
      t('pid 1, /proc of its own PID namespace', '1 号进程，/proc 属于它自己的 PID namespace'),
      () =>
        c === undefined
          ? noContainer(o)
          : !c.own.includes('pid') || c.ownPid !== 1
            ? t("c1 is not PID 1 of a namespace of its own: add 'pid' to the namespaces (the child of clone is then 1).", "c1 不是自己 namespace 的 1 号进程：在 namespaces 里加上 'pid'（clone 出来的子进程就是 1 号）。")
            : !c.own.includes('mnt')
              ? t("c1 is PID 1, but it shares the playground's mount namespace, so its /proc is the playground's: add 'mnt' and mount a fresh proc on /proc before exec.", 'c1 是 1 号进程，但它与练习场共用 mount namespace，所以它的 /proc 是练习场的：加上 mnt，并在 exec 之前往 /proc 挂载一个新的 proc。')
              : t(
                  "c1 is PID 1, but its /proc is still the playground's (ps there would list the playground's processes): /proc was not remounted. In the private mount namespace, mount a new proc on /proc of the future root before exec.",
                  'c1 是 1 号进程，但它的 /proc 仍是练习场的（在里面 ps 会列出练习场的进程）：/proc 没有重新挂载。在 private 的 mount namespace 里，exec 之前往未来根的 /proc 挂载一个新的 proc。',
                ),
    );
  },
};

/** Level 2: the container's mounts propagate nowhere (the driver makes the playground's / shared, as on a systemd host). */
const mountsPrivate: Condition<LevelWorld> = {
  id: 'mounts-private',
  description: t(
    "c1's mounts are private: none of them leaked into the playground, whose / the driver made shared (as systemd does on a host).",
    'c1 的挂载是 private 的：没有一个泄漏到练习场；驱动脚本把练习场的 / 设成了 shared（就像 systemd 在主机上做的那样）。',
  ),
  evaluate: (o) => {
    const c = o.c1;
    const shared = c?.mounts.filter((m) => m.optional.some((x) => x.startsWith('shared:'))).map((m) => m.target) ?? [];
    const pass = c !== undefined && o.leaks.length === 0 && shared.length === 0;
    return judged(
      pass,
      c === undefined && o.leaks.length === 0
        ? '-'
        : t(`leaked into the playground: ${o.leaks.join(', ') || 'none'}; shared in c1: ${shared.join(', ') || 'none'}`, `泄漏到练习场的：${o.leaks.join('、') || '没有'}；c1 里 shared 的：${shared.join('、') || '没有'}`),
      t('leaked: none; shared: none', '泄漏的：没有；shared 的：没有'),
      () =>
        c === undefined && o.leaks.length === 0
          ? noContainer(o)
          : t(
              `c1's mount namespace was not made private: ${o.leaks.includes('/proc') ? "its proc mount propagated onto the playground's /proc, which now shows c1's PID namespace" : `its mounts ${[...o.leaks, ...shared].join(', ')} are shared with the playground`}. Add makePrivate on / (MS_REC|MS_PRIVATE) as the first action after the namespaces are made, before any mount.`,
              `c1 的 mount namespace 没有设为 private：${o.leaks.includes('/proc') ? '它的 proc 挂载传播到了练习场的 /proc 上，那里现在显示的是 c1 的 PID namespace' : `它的挂载 ${[...o.leaks, ...shared].join('、')} 与练习场共享`}。在建好 namespace 之后、任何挂载之前，先对 / 做 makePrivate（MS_REC|MS_PRIVATE）。`,
            ),
    );
  },
};

const rootShown = (o: LevelWorld, c: ContainerSeen): string =>
  c.rootId === undefined ? '?' : c.rootId === o.playgroundRootId ? "playground's /" : c.rootId === o.imageRootId ? `./${LAYERS}/1` : (mountAt(c.mounts, '/')?.fstype ?? c.rootId);

/** Level 3: the root is the image's. */
const imageRoot: Condition<LevelWorld> = {
  id: 'image-root',
  description: t(`c1's root is the image's root (--image ${LAYERS}/1), in a mount namespace of its own.`, `c1 的根是镜像的根（--image ${LAYERS}/1），且处于自己的 mount namespace。`),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.own.includes('mnt') && c.rootId !== undefined && c.rootId === o.imageRootId;
    return judged(pass, c ? t(`root: ${rootShown(o, c)}`, `根：${rootShown(o, c)}`) : '-', t(`root: ./${LAYERS}/1 (${o.imageRootId ?? '?'})`, `根：./${LAYERS}/1（${o.imageRootId ?? '?'}）`), () =>
      c === undefined
        ? noContainer(o)
        : c.rootId === o.playgroundRootId
          ? t(
              "your container's root is still the playground's: bind-mount the image root onto itself, chdir into it and pivot_root('.', '.') (after the mount namespace was made private).",
              "容器的根仍是练习场的：把镜像根绑定挂载到它自己身上，chdir 进去，再 pivot_root('.', '.')（在 mount namespace 设为 private 之后）。",
            )
          : t(`c1's root is another directory (${c.rootId ?? '?'}), not ./${LAYERS}/1: pivot into the directory --image names.`, `c1 的根是另一个目录（${c.rootId ?? '?'}），不是 ./${LAYERS}/1：请 pivot 到 --image 指定的目录。`),
    );
  },
};

/** Level 3 (and after): the old root is gone: not mounted, not where a joining process lands. */
const oldRootGone: Condition<LevelWorld> = {
  id: 'old-root-gone',
  description: t(
    "From c1's mount namespace the playground's / cannot be reached: it is mounted nowhere there, and a process joining that namespace (nsenter -m, the lab-05 escape) does not land on it.",
    '从 c1 的 mount namespace 到不了练习场的 /：它在那里没有挂载在任何地方，加入这个 namespace 的进程（nsenter -m，第 05 课的逃逸）也不会落到它上面。',
  ),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.rootId !== o.playgroundRootId && c.oldRoot.length === 0 && c.landing === 'elsewhere';
    const routes = (x: ContainerSeen) =>
      t(
        [...(x.oldRoot.length > 0 ? [`mounted at ${x.oldRoot.join(', ')}`] : []), ...(x.landing === 'playground-root' ? ['nsenter -m lands on it'] : x.landing === 'unknown' ? ['nsenter -m: ?'] : [])].join('; ') || 'none',
        [...(x.oldRoot.length > 0 ? [`挂载在 ${x.oldRoot.join('、')}`] : []), ...(x.landing === 'playground-root' ? ['nsenter -m 落在它上面'] : x.landing === 'unknown' ? ['nsenter -m：?'] : [])].join('；') || '没有',
      );
    return judged(pass, c ? routes(c) : '-', t("routes back to the playground's /: none", '通向练习场 / 的退路：没有'), () =>
      c === undefined
        ? noContainer(o)
        : c.rootId === o.playgroundRootId
          ? t("your container's root is still the playground's: did pivot_root run (after the mount namespace was made private)?", '容器的根仍是练习场的：pivot_root 执行了吗（在 mount namespace 设为 private 之后）？')
          : c.oldRoot.length > 0
            ? t(
                `the old root is still mounted at ${c.oldRoot[0]} in c1's namespace: after pivot_root('.', '.') it sits on '.', so umount '.' with detach (MNT_DETACH), then chdir('/').`,
                `c1 的 namespace 里旧根仍挂载在 ${c.oldRoot[0]}：pivot_root('.', '.') 之后它就叠在 '.' 上，所以要以 detach（MNT_DETACH）方式卸载 '.'，再 chdir('/')。`,
              )
            : c.landing === 'playground-root'
              ? t(
                  "a process that joins c1's mount namespace lands on the playground's /: c1's root was changed with chroot, which moves one process, not the namespace. Use pivot_root and detach the old root.",
                  '加入 c1 的 mount namespace 的进程落在练习场的 / 上：c1 的根是用 chroot 换的，只移动了一个进程，而不是整个 namespace。请用 pivot_root，并卸载旧根。',
                )
              : t("nslab could not join c1's mount namespace to look; check again", 'nslab 无法加入 c1 的 mount namespace 查看；请再 check 一次'),
    );
  },
};

/** Level 4: an overlay of the image's layers is the root. */
const overlayRoot: Condition<LevelWorld> = {
  id: 'overlay-root',
  description: t(
    `c1's root is an overlay whose lowerdir is the image's unpacked layers (${LAYERS}/2:${LAYERS}/1, topmost first) with an upperdir of its own.`,
    `c1 的根是一个 overlay，lowerdir 是镜像解包后的各层（${LAYERS}/2:${LAYERS}/1，最上层在前），upperdir 是它自己的。`,
  ),
  evaluate: (o) => {
    const c = o.c1;
    const root = c ? mountAt(c.mounts, '/') : undefined;
    const opt = (k: string) => root?.superOptions.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1);
    const lower = opt('lowerdir')?.split(':') ?? [];
    const upper = opt('upperdir');
    const others = [o.c2].flatMap((x) => {
      const r = x ? mountAt(x.mounts, '/') : undefined;
      return r?.fstype === 'overlay' ? [r.superOptions.find((s) => s.startsWith('upperdir='))?.slice(9)] : [];
    });
    const sameLower = lower.join(':') === o.layerDirs.join(':');
    const ownUpper = upper !== undefined && !o.layerDirs.some((l) => upper === l || upper.startsWith(`${l}/`)) && !others.includes(upper);
    const pass = c !== undefined && root?.fstype === 'overlay' && sameLower && ownUpper;
    return judged(
      pass,
      c === undefined ? '-' : root?.fstype !== 'overlay' ? t(`root: ${rootShown(o, c)}`, `根：${rootShown(o, c)}`) : `overlay lowerdir=${lower.join(':')} upperdir=${upper ?? '-'}`,
      `overlay lowerdir=${o.layerDirs.join(':')} upperdir=…`,
      () =>
        c === undefined
          ? noContainer(o)
          : root?.fstype !== 'overlay'
            ? t(
                `c1's root is not an overlay (${rootShown(o, c)}): with --layers, mount an overlay on STATE/NAME/rootfs (lowerdir = the layers, upperdir and workdir in STATE/NAME) and make that the root.`,
                `c1 的根不是 overlay（${rootShown(o, c)}）：有 --layers 时，在 STATE/NAME/rootfs 上挂载 overlay（lowerdir 是各层，upperdir 和 workdir 放在 STATE/NAME 里），并把它作为根。`,
              )
            : !sameLower
              ? t(
                  `lowerdir is ${lower.join(':')}: it must be the layers as --layers gives them, topmost first (${o.layerDirs.join(':')}), so the upper layer's whiteouts hide the files below.`,
                  `lowerdir 是 ${lower.join(':')}：它必须是 --layers 给出的各层，最上层在前（${o.layerDirs.join(':')}），这样上层的 whiteout 文件才能遮住下层的文件。`,
                )
              : t(`the upperdir ${upper ?? '-'} is not c1's own: give every container a fresh upper/ (and work/) in STATE/NAME.`, `upperdir ${upper ?? '-'} 不是 c1 自己的：给每个容器一个新的 upper/（以及 work/），放在 STATE/NAME 里。`),
    );
  },
};

const whiteout: Condition<LevelWorld> = {
  id: 'whiteout',
  description: t(
    "In c1's root the second layer's whiteout is honoured: /etc/motd is gone, /hello.txt is there (and /bin/busybox from the first layer).",
    'c1 的根里第二层的 whiteout 文件生效了：/etc/motd 不见了，/hello.txt 在（第一层的 /bin/busybox 也在）。',
  ),
  evaluate: (o) => {
    const f = o.c1?.files;
    const pass = f !== undefined && !f.motd && f.hello && f.busybox;
    const yes = (b: boolean) => (b ? '✓' : '✗');
    return judged(
      pass,
      f ? `/etc/motd ${yes(f.motd)}, /hello.txt ${yes(f.hello)}, /bin/busybox ${yes(f.busybox)}` : '-',
      '/etc/motd ✗, /hello.txt ✓, /bin/busybox ✓',
      () =>
        f === undefined
          ? noContainer(o)
          : !f.hello || !f.busybox
            ? t('a layer is missing from c1\'s root: lowerdir must list every layer of --layers.', 'c1 的根里少了一层：lowerdir 必须列出 --layers 的每一层。')
            : t(
                "/etc/motd is still there: the second layer's whiteout does not hide it. lowerdir lists the layers topmost first (layers/2 before layers/1); a whiteout hides only the layers below it.",
                '/etc/motd 还在：第二层的 whiteout 文件没有遮住它。lowerdir 按最上层在前的顺序列出各层（layers/2 在 layers/1 之前）；whiteout 文件只遮住它下面的层。',
              ),
    );
  },
};

const upperRemoved: Condition<LevelWorld> = {
  id: 'upper-removed',
  description: t(
    `What a container wrote dies with it: c0 wrote /${SCRATCH} and exited; that file is nowhere in the working directory.`,
    `容器写下的东西随它一起消失：c0 写了 /${SCRATCH} 然后退出；工作目录里哪里都没有这个文件。`,
  ),
  evaluate: (o) =>
    judged(o.scratchLeft.length === 0, o.scratchLeft.length === 0 ? t('gone', '已消失') : o.scratchLeft.map((p) => `./${p}`).join(', '), t('gone', '已消失'), () =>
      t(
        `./${o.scratchLeft[0]} is still there after c0 exited: its upper/ outlived it. When the container has exited, remove STATE/NAME (upper/, work/, rootfs/).`,
        `c0 退出后 ./${o.scratchLeft[0]} 还在：它的 upper/ 比它活得久。容器退出后，删除 STATE/NAME（upper/、work/、rootfs/）。`,
      ),
    ),
};

// ---- level 5: ipc + net

const isUp = (d: NetDev | undefined) => (d?.flags ?? []).includes('UP');
const v4 = (d: NetDev | undefined) => (d?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);

/** The most specific thing wrong with a container's network (undefined: nothing). */
function netProblem(o: LevelWorld, name: 'c1' | 'c2'): Text | undefined {
  const c = name === 'c1' ? o.c1 : o.c2;
  const ip = name === 'c1' ? IP1 : IP2;
  if (c === undefined) return noContainer(o, name, name === 'c1' ? C1 : C2);
  if (!c.own.includes('net'))
    return t(`${name} shares the playground's network namespace: add 'net' (and 'ipc') to spec.namespaces.`, `${name} 与练习场共用 network namespace：在 spec.namespaces 里加上 'net'（以及 'ipc'）。`);
  const devs = c.net?.devs ?? [];
  const lo = devs.find((d) => d.ifname === 'lo');
  const eth0 = devs.find((d) => d.ifname === 'eth0');
  if (!isUp(lo)) return t(`lo in ${name} is down: ip link set lo up in the child's netns while it waits.`, `${name} 里的 lo 是关闭的：在子进程等待时，于它的 netns 里执行 ip link set lo up。`);
  if (eth0 === undefined)
    return t(
      `${name} has no eth0: make a veth pair (ip link add mdPID type veth peer name eth0 netns PID) while the child waits.`,
      `${name} 没有 eth0：在子进程等待时建一对 veth（ip link add mdPID type veth peer name eth0 netns PID）。`,
    );
  if (!v4(eth0).includes(ip)) return t(`eth0 in ${name} has ${v4(eth0).join(' ') || 'no address'}, not ${ip}: ip addr add --ip dev eth0 in its netns.`, `${name} 里 eth0 的地址是 ${v4(eth0).join(' ') || '空'}，不是 ${ip}：在它的 netns 里 ip addr add <--ip 的值> dev eth0。`);
  if (!isUp(eth0)) return t(`eth0 in ${name} is down: ip link set eth0 up in its netns.`, `${name} 里的 eth0 是关闭的：在它的 netns 里 ip link set eth0 up。`);
  const pgDevs = o.playgroundNet?.devs ?? [];
  const bridge = pgDevs.find((d) => d.ifname === BRIDGE);
  if (bridge === undefined || bridge.linkinfo?.info_kind !== 'bridge')
    return t(`there is no bridge ${BRIDGE} in the playground's network namespace: ip link add ${BRIDGE} type bridge, address ${GATEWAY}, up.`, `练习场的 network namespace 里没有网桥 ${BRIDGE}：ip link add ${BRIDGE} type bridge，配上地址 ${GATEWAY}，再 up。`);
  if (!v4(bridge).includes(GATEWAY) || !isUp(bridge)) return t(`${BRIDGE} needs the address ${GATEWAY} and must be up.`, `${BRIDGE} 需要地址 ${GATEWAY}，并且必须是 up 的。`);
  const peer = pgDevs.find((d) => d.ifindex === eth0.link_index);
  if (peer === undefined) return t(`the other end of ${name}'s eth0 is not in the playground's network namespace: create the pair there.`, `${name} 的 eth0 的另一端不在练习场的 network namespace 里：在那里创建这对 veth。`);
  if (peer.master !== BRIDGE || !isUp(peer))
    return t(
      `${peer.ifname}, the host end of ${name}'s veth, is ${peer.master !== BRIDGE ? `not attached to ${BRIDGE}` : 'down'}: ip link set ${peer.ifname} master ${BRIDGE} up.`,
      `${name} 的 veth 在主机这一端的 ${peer.ifname}${peer.master !== BRIDGE ? `没有接到 ${BRIDGE} 上` : '是关闭的'}：ip link set ${peer.ifname} master ${BRIDGE} up。`,
    );
  return undefined;
}

const ownIpcNet: Condition<LevelWorld> = {
  id: 'own-ipc-net',
  description: t('c1 and c2 each have IPC and network namespaces of their own.', 'c1 和 c2 各有自己的 IPC namespace 和 network namespace。'),
  evaluate: (o) => {
    const ok = (c: ContainerSeen | undefined) => c !== undefined && c.own.includes('ipc') && c.own.includes('net');
    const pass = ok(o.c1) && ok(o.c2) && o.c1!.ns.net !== o.c2!.ns.net && o.c1!.ns.ipc !== o.c2!.ns.ipc;
    const shown = (n: string, c: ContainerSeen | undefined) => (c ? `${n}: ipc ${c.own.includes('ipc') ? c.ns.ipc : '-'} net ${c.own.includes('net') ? c.ns.net : '-'}` : `${n}: -`);
    return judged(pass, `${shown('c1', o.c1)}; ${shown('c2', o.c2)}`, t('own ipc and net for each', '各自独立的 ipc 与 net'), () => {
      for (const [n, c, arg] of [['c1', o.c1, C1], ['c2', o.c2, C2]] as const) {
        if (c === undefined) return noContainer(o, n, arg);
        if (!c.own.includes('ipc') || !c.own.includes('net'))
          return t(`${n} shares the playground's ${c.own.includes('net') ? 'IPC' : 'network'} namespace: add 'ipc' and 'net' to spec.namespaces.`, `${n} 与练习场共用 ${c.own.includes('net') ? 'IPC' : 'network'} namespace：在 spec.namespaces 里加上 'ipc' 和 'net'。`);
      }
      return t('c1 and c2 share a namespace: every run must make new ones.', 'c1 和 c2 共用了一个 namespace：每次 run 都必须新建。');
    });
  },
};

const wired: Condition<LevelWorld> = {
  id: 'wired',
  description: t(
    `c1 and c2 each have lo up and an eth0 with its --ip (${IP1}, ${IP2}), whose other end is on the bridge ${BRIDGE} (${GATEWAY}) in the playground.`,
    `c1 和 c2 的 lo 都是 up 的，各有一个带 --ip 地址（${IP1}、${IP2}）的 eth0，它的另一端接在练习场里的网桥 ${BRIDGE}（${GATEWAY}）上。`,
  ),
  evaluate: (o) => {
    const problem = netProblem(o, 'c1') ?? netProblem(o, 'c2');
    const eth = (c: ContainerSeen | undefined) => v4(c?.net?.devs.find((d) => d.ifname === 'eth0')).join(' ') || '-';
    return judged(problem === undefined, `c1 eth0 ${eth(o.c1)}; c2 eth0 ${eth(o.c2)}`, `c1 eth0 ${IP1}; c2 eth0 ${IP2}`, () => problem!);
  },
};

const ping: Condition<LevelWorld> = {
  id: 'ping',
  description: t('c1 and c2 ping each other: echo requests arrived in each network namespace and the replies came back.', 'c1 和 c2 互相 ping 通：回显请求到达了各自的 network namespace，应答也回来了。'),
  evaluate: (o) => {
    const a = o.c1?.net;
    const b = o.c2?.net;
    const pass = a !== undefined && b !== undefined && a.inEchos > 0 && a.inEchoReps > 0 && b.inEchos > 0 && b.inEchoReps > 0;
    const shown = (n: string, x: NetSeen | undefined) => (x ? `${n}: InEchos ${x.inEchos} InEchoReps ${x.inEchoReps}` : `${n}: -`);
    return judged(pass, `${shown('c1', a)}; ${shown('c2', b)}`, 'InEchos ≥ 1, InEchoReps ≥ 1', () =>
      netProblem(o, 'c1') ??
      netProblem(o, 'c2') ??
      t(
        'everything is wired, yet the pings did not get through: is a default route via 10.77.0.1 set in each container, and are both veth host ends up on md0?',
        '一切都接好了，ping 却没有通：每个容器里是否设置了经由 10.77.0.1 的默认路由？两个 veth 在主机一端是否都已 up 并接在 md0 上？',
      ),
    );
  },
};

// ---- level 6: cgroups

const EXPECTED_LIMIT: Record<Limited, number> = { cpu: CPUS, memory: MEMORY, pids: PIDS };
const limitShown = (r: Limited, v: number | undefined) => (v === undefined ? 'max' : r === 'cpu' ? `${v} CPU` : r === 'memory' ? `${v / 1024 / 1024}m` : String(v));
const limitOk = (r: Limited, g: GroupSeen | undefined) => g !== undefined && !g.playgrounds && g.limit !== undefined && Math.abs(g.limit - EXPECTED_LIMIT[r]) < EXPECTED_LIMIT[r] * 0.01;

const limits: Condition<LevelWorld> = {
  id: 'limits',
  description: t(
    `c1 is in groups of its own whose limits say --cpus ${CPUS} --memory 32m --pids ${PIDS} (cgroup v1 or v2).`,
    `c1 处于它自己的 cgroup 中，限制文件写的正是 --cpus ${CPUS} --memory 32m --pids ${PIDS}（cgroup v1 或 v2 均可）。`,
  ),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && LIMITED.every((r) => limitOk(r, c.cgroups[r]));
    return judged(
      pass,
      c ? LIMITED.map((r) => `${r} ${c.cgroups[r]?.shown ?? '?'} ${limitShown(r, c.cgroups[r]?.limit)}`).join('; ') : '-',
      LIMITED.map((r) => `${r} …/minidock-c1 ${limitShown(r, EXPECTED_LIMIT[r])}`).join('; '),
      () => {
        if (c === undefined) return noContainer(o);
        const r = LIMITED.find((x) => !limitOk(x, c.cgroups[x]))!;
        const g = c.cgroups[r];
        if (g === undefined) return t(`nslab found no ${r} group of c1's: is the ${r} controller mounted?`, `nslab 没有找到 c1 的 ${r} cgroup：${r} 子系统挂载了吗？`);
        if (g.playgrounds)
          return t(
            `c1 is still in the playground's own ${r} group (${g.shown}): make a group minidock-c1 in the hierarchy that has ${r}, write the limit there, and write the child's pid to its cgroup.procs while it waits.`,
            `c1 仍在练习场自己的 ${r} cgroup 里（${g.shown}）：在含有 ${r} 的层级里建一个 minidock-c1 组，把限制写进去，并在子进程等待时把它的 pid 写入该组的 cgroup.procs。`,
          );
        const files = r === 'cpu' ? (g.version === 1 ? 'cpu.cfs_quota_us / cpu.cfs_period_us (20000 / 100000)' : 'cpu.max ("20000 100000")') : r === 'memory' ? (g.version === 1 ? 'memory.limit_in_bytes' : 'memory.max') : 'pids.max';
        return t(
          `${g.shown} limits ${r} to ${limitShown(r, g.limit)}, not ${limitShown(r, EXPECTED_LIMIT[r])}: write ${files} from --${r === 'cpu' ? 'cpus' : r}.`,
          `${g.shown} 把 ${r} 限制为 ${limitShown(r, g.limit)}，而不是 ${limitShown(r, EXPECTED_LIMIT[r])}：根据 --${r === 'cpu' ? 'cpus' : r} 写 ${files}。`,
        );
      },
    );
  },
};

/** The CPU limit measured: c1's busy second made the kernel throttle its cpu group. */
const throttled: Condition<LevelWorld> = {
  id: 'cpu-throttled',
  description: t(
    `The CPU limit is enforced: c1's busy second (${BUSY}) made the kernel throttle its cpu group (cpu.stat nr_throttled ≥ 1).`,
    `CPU 限制确实生效：c1 忙碌的那一秒（${BUSY}）让内核限流了它的 cpu 组（cpu.stat 里 nr_throttled ≥ 1）。`,
  ),
  evaluate: (o) => {
    const g = o.c1?.cgroups.cpu;
    const n = g !== undefined && !g.playgrounds ? g.throttled : undefined;
    return judged(n !== undefined && n >= 1, g ? `${g.shown}/cpu.stat: nr_throttled ${g.throttled ?? '?'}` : '-', 'nr_throttled ≥ 1', () =>
      o.c1 === undefined
        ? noContainer(o)
        : g === undefined || g.playgrounds
          ? t("c1 has no cpu group of its own, so nothing limits its CPU: see the limits condition above.", 'c1 没有自己的 cpu 组，没有任何东西限制它的 CPU：见上面关于限制的条件。')
          : t(
              `${g.shown} held c1's busy loop but was never throttled: its quota is ${limitShown('cpu', g.limit)}; write cpu.cfs_quota_us (v1) or cpu.max (v2) before the child goes.`,
              `${g.shown} 里跑着 c1 的忙循环，却从未被限流：它的配额是 ${limitShown('cpu', g.limit)}；请在子进程继续之前写好 cpu.cfs_quota_us（v1）或 cpu.max（v2）。`,
            ),
    );
  },
};

const joinedBeforeExec: Condition<LevelWorld> = {
  id: 'joined-before-exec',
  description: t(
    `c1 was in its groups before exec: sleep ${FIRST_CHILD}, the child its shell forked the moment it started, is in the same groups.`,
    `c1 在 exec 之前就已进入它的 cgroup：它的 shell 一启动就 fork 出的子进程 sleep ${FIRST_CHILD} 也在同样的组里。`,
  ),
  evaluate: (o) => {
    const c = o.c1;
    const f = o.firstChild;
    const pass = c !== undefined && f !== undefined && LIMITED.every((r) => c.cgroups[r] !== undefined && !c.cgroups[r]!.playgrounds && f.cgroups[r]?.shown === c.cgroups[r]!.shown);
    return judged(
      pass,
      f ? `sleep ${FIRST_CHILD} [${f.inside}]: ${LIMITED.map((r) => f.cgroups[r]?.shown ?? '?').join(', ')}` : '-',
      c ? LIMITED.map((r) => c.cgroups[r]?.shown ?? '?').join(', ') : t("c1's groups", 'c1 的组'),
      () =>
        c === undefined
          ? noContainer(o)
          : f === undefined
            ? t(`c1's shell did not leave sleep ${FIRST_CHILD} running: run the command as given (${C1_FORKS}); is /proc mounted in the container?`, `c1 的 shell 没有留下正在运行的 sleep ${FIRST_CHILD}：请按给定的方式运行命令（${C1_FORKS}）；容器里挂载了 /proc 吗？`)
            : LIMITED.some((r) => c.cgroups[r]?.playgrounds)
              ? t('c1 itself is not in groups of its own yet (see limits).', 'c1 自己还没有进入它的 cgroup（见 limits）。')
              : t(
                  `sleep ${FIRST_CHILD}, forked by c1's shell as soon as it ran, is in ${LIMITED.map((r) => f.cgroups[r]?.shown ?? '?').join(', ')}: c1 joined its cgroups after exec, and what it started before that escaped the limits. Write the pid to cgroup.procs while the child waits (before child.go()).`,
                  `c1 的 shell 一运行就 fork 出的 sleep ${FIRST_CHILD} 在 ${LIMITED.map((r) => f.cgroups[r]?.shown ?? '?').join('、')}：c1 是在 exec 之后才加入 cgroup 的，在那之前启动的进程逃过了限制。在子进程等待时（child.go() 之前）把它的 pid 写入 cgroup.procs。`,
                ),
    );
  },
};

// ---- level 7: user namespace

const mapOk = (m: string | undefined) => m === `0 1000 1`;
const userMaps: Condition<LevelWorld> = {
  id: 'user-maps',
  description: t(
    'c1 is in a user namespace of its own where it is root, mapped to uid and gid 1000 outside (uid_map and gid_map "0 1000 1"; Uid 1000 on the host).',
    'c1 处于自己的 user namespace，在里面是 root，映射到外面的 uid、gid 1000（uid_map 与 gid_map 都是“0 1000 1”；在主机上 Uid 是 1000）。',
  ),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.own.includes('user') && mapOk(c.uidMap) && mapOk(c.gidMap) && c.uid.every((u) => u === 1000);
    return judged(
      pass,
      c ? `user ${c.own.includes('user') ? c.ns.user : t('shared', '共用').en}, uid_map "${c.uidMap ?? ''}", gid_map "${c.gidMap ?? ''}", Uid ${c.uid.join(' ')}` : '-',
      'uid_map "0 1000 1", gid_map "0 1000 1", Uid 1000 1000 1000 1000',
      () =>
        c === undefined
          ? noContainer(o)
          : !c.own.includes('user')
            ? t("c1 shares the playground's user namespace: with --user, add 'user' to spec.namespaces.", "c1 与练习场共用 user namespace：有 --user 时，在 spec.namespaces 里加上 'user'。")
            : !mapOk(c.uidMap)
              ? t(`c1's uid_map is "${c.uidMap ?? ''}": while the child waits, write "0 1000 1" to /proc/PID/uid_map.`, `c1 的 uid_map 是“${c.uidMap ?? ''}”：在子进程等待时，往 /proc/PID/uid_map 写入“0 1000 1”。`)
              : !mapOk(c.gidMap)
                ? t(`c1's gid_map is "${c.gidMap ?? ''}": write "deny" to /proc/PID/setgroups, then "0 1000 1" to /proc/PID/gid_map.`, `c1 的 gid_map 是“${c.gidMap ?? ''}”：先往 /proc/PID/setgroups 写“deny”，再往 /proc/PID/gid_map 写“0 1000 1”。`)
                : t(
                    `c1 runs as uid ${c.uid.join(' ')} on the host: it should be root inside (setresgid 0, setresuid 0 right after the wait), which is 1000 outside.`,
                    `c1 在主机上以 uid ${c.uid.join(' ')} 运行：它在里面应当是 root（等待之后立即 setresgid 0、setresuid 0），在外面就是 1000。`,
                  ),
    );
  },
};

const setgroupsDeny: Condition<LevelWorld> = {
  id: 'setgroups-deny',
  description: t("c1's /proc/PID/setgroups says deny (written before gid_map).", 'c1 的 /proc/PID/setgroups 是 deny（在 gid_map 之前写入）。'),
  evaluate: (o) => {
    const c = o.c1;
    return judged(c?.setgroups === 'deny', c?.setgroups ?? '-', 'deny', () =>
      c === undefined
        ? noContainer(o)
        : t(
            `c1's setgroups is "${c.setgroups ?? '?'}": write "deny" to /proc/PID/setgroups after uid_map and before gid_map (once gid_map is written it can no longer change), or root inside could drop supplementary groups meant to deny it access.`,
            `c1 的 setgroups 是“${c.setgroups ?? '?'}”：在 uid_map 之后、gid_map 之前往 /proc/PID/setgroups 写“deny”（gid_map 写入后它就不能再改），否则里面的 root 可以丢掉那些本来用来拒绝它访问的附加组。`,
          ),
    );
  },
};

// ---- level 8: exec

const execJoins: Condition<LevelWorld> = {
  id: 'exec-joins',
  description: t(
    `sleep ${EXEC}, started by minidock exec c1, shares every namespace of c1 (uts, pid, mnt, net, ipc, user).`,
    `由 minidock exec c1 启动的 sleep ${EXEC} 与 c1 共用每一个 namespace（uts、pid、mnt、net、ipc、user）。`,
  ),
  evaluate: (o) => {
    const c = o.c1;
    const e = o.exec;
    const differ = c && e ? NS_CHECKED.filter((n) => e.ns[n] !== c.ns[n]) : [...NS_CHECKED];
    const pass = c !== undefined && e !== undefined && differ.length === 0;
    return judged(
      pass,
      e ? t(`sleep ${EXEC} [${e.inside}]: not shared: ${differ.join(', ') || 'none'}`, `sleep ${EXEC} [${e.inside}]：未共用的：${differ.join('、') || '没有'}`) : '-',
      t('not shared: none', '未共用的：没有'),
      () =>
        c === undefined
          ? noContainer(o)
          : e === undefined
            ? t(`minidock exec c1 -- sleep ${EXEC} left no process running: exec reads STATE/c1.json, joins the namespaces of its pid and runs the command.`, `minidock exec c1 -- sleep ${EXEC} 没有留下正在运行的进程：exec 读取 STATE/c1.json，加入那个 pid 的各个 namespace，再运行命令。`)
            : differ.length === 1 && differ[0] === 'pid'
              ? t(
                  `sleep ${EXEC} joined every namespace of c1 but pid: setns into a PID namespace only applies to the children made afterwards. Add a fork action after the setns actions.`,
                  `sleep ${EXEC} 加入了 c1 的所有 namespace，唯独没有 pid：setns 进入 PID namespace 只对之后生出的子进程有效。在 setns 动作之后加一个 fork 动作。`,
                )
              : differ.length >= NS_CHECKED.filter((n) => c.own.includes(n)).length
                ? t(`sleep ${EXEC} is in the playground's namespaces, none of c1's: add a setns action per namespace of /proc/PID/ns of c1 (user, ipc, uts, net, pid, mnt), then fork.`, `sleep ${EXEC} 处于练习场的 namespace，一个也不是 c1 的：为 c1 的 /proc/PID/ns 下每个 namespace 加一个 setns 动作（user、ipc、uts、net、pid、mnt），再 fork。`)
                : t(`sleep ${EXEC} does not share ${differ.join(', ')} with c1: join those too (mnt last: it moves the root).`, `sleep ${EXEC} 没有与 c1 共用 ${differ.join('、')}：把它们也加入（mnt 放最后：它会改变根）。`),
    );
  },
};

const execCgroups: Condition<LevelWorld> = {
  id: 'exec-cgroups',
  description: t(`sleep ${EXEC} is in c1's cgroups, under the same limits.`, `sleep ${EXEC} 处于 c1 的 cgroup 中，受同样的限制。`),
  evaluate: (o) => {
    const c = o.c1;
    const e = o.exec;
    const pass = c !== undefined && e !== undefined && LIMITED.every((r) => c.cgroups[r] !== undefined && e.cgroups[r]?.shown === c.cgroups[r]!.shown);
    return judged(pass, e ? LIMITED.map((r) => e.cgroups[r]?.shown ?? '?').join(', ') : '-', c ? LIMITED.map((r) => c.cgroups[r]?.shown ?? '?').join(', ') : t("c1's groups", 'c1 的组'), () =>
      c === undefined || e === undefined
        ? t(`there is no sleep ${EXEC} from minidock exec c1 to look at (see exec-joins).`, `没有由 minidock exec c1 启动的 sleep ${EXEC} 可查看（见 exec-joins）。`)
        : t(
            `sleep ${EXEC} is in ${LIMITED.map((r) => e.cgroups[r]?.shown ?? '?').join(', ')}, outside c1's limits: while the exec'd child waits, write its pid to cgroup.procs of each group in STATE/c1.json.`,
            `sleep ${EXEC} 在 ${LIMITED.map((r) => e.cgroups[r]?.shown ?? '?').join('、')}，不受 c1 的限制：在 exec 出来的子进程等待时，把它的 pid 写入 STATE/c1.json 里每个组的 cgroup.procs。`,
          ),
    );
  },
};

// ───────────────────────────────────────────────────────────────────────── driver

/**
 * Level 6's command for c1: it forks sleep 6006 the moment it starts, then becomes sleep 6001. The
 * child stays in the groups its parent was in at that moment. (start-stop-daemon -b, not `&`:
 * busybox sh wants /dev/null for a background job, and the image has an empty /dev.)
 */
export const C1_FORKS = `sh -c 'start-stop-daemon -S -b -n first${FIRST_CHILD} -a /bin/sleep -- ${FIRST_CHILD}; ${BUSY}; exec sleep ${C1}'`;

const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The script `nslab capstone check N` runs in the playground with the learner's minidock (a path
 * relative to the working directory, or absolute): the containers of that level and of every
 * level below it, started in the background, then a moment until they run.
 */
export function driver(minidock: string, level: number): string {
  const md = `node ${sq(minidock)}`;
  const root = level >= 4 ? ` --layers ${LAYERS}/2:${LAYERS}/1` : level >= 3 ? ` --image ${LAYERS}/1` : '';
  const opts = (name: string, ip: string) =>
    [` --name ${name}`, level >= 1 ? ` --hostname ${name}` : '', root, level >= 5 ? ` --net --ip ${ip}` : '', level >= 6 && name === 'c1' ? ` --cpus ${CPUS} --memory 32m --pids ${PIDS}` : '', level >= 7 ? ' --user' : ''].join('');
  const c1 = level >= 6 ? C1_FORKS : `sleep ${C1}`;
  const lines = [
    'export MINIDOCK_STATE="$PWD/state"',
    // A process of the playground (or of a container in it) whose argv is "sleep N".
    'up() { for i in $(seq 40); do pgrep -f "^sleep $1\\$" >/dev/null && return 0; sleep 0.05; done; return 1; }',
  ];
  // As on a host with systemd: / is shared, so a mount namespace that is not made private leaks.
  if (level >= 2) lines.push('mount --make-rshared /');
  if (level === 0) lines.push(`( ${md} run --name c0 -- sh -c 'exit ${EXIT_CODE}'; exec sleep "$((${EXIT_BASE} + $?))" ) &`);
  if (level === 4) lines.push(`${md} run --name c0${root} -- sh -c 'echo scratch > /${SCRATCH}'`);
  lines.push(`${md} run${opts('c1', IP1)} -- ${c1} &`);
  // The rest only once c1 runs (one after the other: the first run makes the bridge).
  const then: string[] = [];
  if (level >= 5)
    then.push(
      `${md} run${opts('c2', IP2)} -- sleep ${C2} &`,
      `up ${C2}`,
      `p1=$(pgrep -f '^sleep ${C1}$' | head -1); p2=$(pgrep -f '^sleep ${C2}$' | head -1)`,
      `[ -n "$p1" ] && [ -n "$p2" ] && { nsenter -t "$p1" -n ping -c 1 -W 1 ${IP2.split('/')[0]}; nsenter -t "$p2" -n ping -c 1 -W 1 ${IP1.split('/')[0]}; } >/dev/null 2>&1`,
    );
  if (level >= 8) then.push(`${md} exec c1 -- sleep ${EXEC} &`, `up ${EXEC}`);
  lines.push(then.length === 0 ? `up ${C1}` : `if up ${C1}; then\n${then.map((l) => `  ${l}`).join('\n')}\nfi`);
  if (level === 0) lines.push(`for i in $(seq 20); do pgrep -f '^sleep 6[1-3][0-9][0-9]$' >/dev/null && break; sleep 0.05; done`);
  lines.push('sleep 0.2');
  return lines.join('\n');
}

// ───────────────────────────────────────────────────────────────────────── levels

/** A near-miss: the reference with one step removed or broken. */
interface Broken {
  readonly id: string;
  readonly what: Text;
  readonly make: (reference: string) => string;
  readonly fails: string;
  readonly hint: string;
}

/** `from` replaced by `to`, exactly once (a reference that drifted away from the break is an error). */
const replaced = (from: string, to: string) => (src: string) => {
  const at = src.indexOf(from);
  if (at < 0 || src.indexOf(from, at + 1) >= 0) throw new Error(`the reference does not hold exactly one ${JSON.stringify(from)}`);
  return src.slice(0, at) + to + src.slice(at + from.length);
};
const without = (level: number, step: string) => (src: string) => withoutStep(src, level, step);

interface LevelDef {
  readonly title: Text;
  readonly task: Text;
  readonly hints: readonly Text[];
  readonly looksAt: Text;
  readonly own: readonly Condition<LevelWorld>[];
  /** What later levels re-check of this one. */
  readonly essentials: readonly Condition<LevelWorld>[];
  readonly broken: readonly Broken[];
}

const check = (n: number) => `nslab capstone check ${n}`;

const DEFS: readonly LevelDef[] = [
  {
    title: t('Level 0: run a command', '第 0 级：运行一个命令'),
    task: t(
      `minidock run -- CMD [ARG...] starts CMD as a child process with nslab.spawn, lets it go, waits for it and exits with its exit status. The check runs "minidock run --name c1 -- sleep ${C1}" in the background and "minidock run --name c0 -- sh -c 'exit ${EXIT_CODE}'". Then run ${check(0)}.`,
      `minidock run -- CMD [ARG...] 用 nslab.spawn 把 CMD 作为子进程启动，放它运行，等它结束，并以它的退出状态退出。check 会在后台运行“minidock run --name c1 -- sleep ${C1}”，并运行“minidock run --name c0 -- sh -c 'exit ${EXIT_CODE}'”。然后运行 ${check(0)}。`,
    ),
    hints: [
      t('The child stops at its first action, { do: \'wait\' }, until the parent calls child.go().', "子进程停在第一个动作 { do: 'wait' } 上，直到父进程调用 child.go()。"),
      t('After go(): await child.ready() (the setup worked), then await child.exited for { code, signal }.', 'go() 之后：await child.ready()（设置成功），再 await child.exited 得到 { code, signal }。'),
    ],
    looksAt: t("the playground's processes (argv, parent) and what minidock run returned", '练习场里的进程（argv、父进程）以及 minidock run 的返回值'),
    own: [running, exitCode],
    essentials: [running],
    broken: [
      {
        id: 'no-go',
        what: t('never lets the child go', '从不放子进程运行'),
        make: replaced('      child.go();\n      await child.ready(); // rejects', '      await child.ready(); // rejects'),
        fails: 'runs',
        hint: 'still waits at its first action',
      },
      {
        id: 'exit-zero',
        what: t("returns 0 whatever the command's status", '不管命令的状态如何都返回 0'),
        make: replaced('      return await exitCode(child);\n    } finally {\n      child.abandon(); // a child still waiting', '      await exitCode(child);\n      return 0;\n    } finally {\n      child.abandon(); // a child still waiting'),
        fails: 'exit-code',
        hint: 'return the child\'s code',
      },
    ],
  },
  {
    title: t('Level 1: a hostname of its own', '第 1 级：自己的主机名'),
    task: t(
      `minidock run gives the container a UTS namespace of its own and sets its hostname to --hostname (else its name). The check runs "minidock run --name c1 --hostname c1 -- sleep ${C1}". Then run ${check(1)}.`,
      `minidock run 给容器一个自己的 UTS namespace，并把主机名设为 --hostname（没有时用容器名）。check 会运行“minidock run --name c1 --hostname c1 -- sleep ${C1}”。然后运行 ${check(1)}。`,
    ),
    hints: [
      t("spec.namespaces lists the namespaces clone() makes; 'uts' is the hostname's.", "spec.namespaces 列出 clone() 要新建的 namespace；主机名属于 'uts'。"),
      t("spec.namespaces.push('uts'); actions.push({ do: 'sethostname', name: o.hostname ?? name })", "写法：spec.namespaces.push('uts'); actions.push({ do: 'sethostname', name: o.hostname ?? name })"),
    ],
    looksAt: t("c1's /proc/PID/ns/uts and the hostname in that namespace", 'c1 的 /proc/PID/ns/uts，以及那个 namespace 里的主机名'),
    own: [hostname],
    essentials: [hostname],
    broken: [
      { id: 'no-uts', what: t('no UTS namespace', '没有 UTS namespace'), make: without(1, 'uts'), fails: 'hostname', hint: "shares the playground's UTS namespace" },
      {
        id: 'no-sethostname',
        what: t('a UTS namespace, but no sethostname', '有 UTS namespace，却没有 sethostname'),
        make: replaced("  actions.push({ do: 'sethostname', name: o.hostname ?? name });\n", ''),
        fails: 'hostname',
        hint: 'but its hostname is',
      },
    ],
  },
  {
    title: t('Level 2: PID 1 and a /proc of its own', '第 2 级：1 号进程和自己的 /proc'),
    task: t(
      `minidock run adds the pid and mnt namespaces, makes every mount private first, and mounts a fresh proc on /proc, so the command is PID 1 and ps inside shows only the container. The check makes the playground's / shared (as systemd does on a host) and runs c1 as before. Then run ${check(2)}.`,
      `minidock run 加上 pid 与 mnt namespace，先把所有挂载设为 private，再往 /proc 挂载一个新的 proc，这样命令就是 1 号进程，里面的 ps 只看到这个容器。check 会把练习场的 / 设为 shared（就像 systemd 在主机上做的那样），然后像之前一样运行 c1。然后运行 ${check(2)}。`,
    ),
    hints: [
      t(
        "A new mount namespace starts as a copy: mounts that were shared stay shared, so a mount inside propagates out. makePrivate on / (MS_REC|MS_PRIVATE) comes before any mount.",
        '新的 mount namespace 起初是一份副本：原来 shared 的挂载仍是 shared，里面的挂载会传播出去。对 / 的 makePrivate（MS_REC|MS_PRIVATE）要放在任何挂载之前。',
      ),
      t('The proc of a PID namespace is the one mounted from inside it: mount it in the child, before exec.', '一个 PID namespace 的 proc，是在它里面挂载的那一个：在子进程里、exec 之前挂载。'),
      t(
        "spec.namespaces.push('pid', 'mnt'); actions.push({ do: 'makePrivate', path: '/' }); then { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc' }",
        "spec.namespaces.push('pid', 'mnt'); actions.push({ do: 'makePrivate', path: '/' })；然后 { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc' }",
      ),
    ],
    looksAt: t(
      "c1's NSpid, the PID namespace of its /proc (/proc/PID/root/proc/1/ns/pid), its mountinfo's propagation tags, and the playground's mounts",
      'c1 的 NSpid、它的 /proc 所属的 PID namespace（/proc/PID/root/proc/1/ns/pid）、它的 mountinfo 里的传播标记，以及练习场的挂载',
    ),
    own: [pid1, mountsPrivate],
    essentials: [pid1, mountsPrivate],
    broken: [
      { id: 'no-proc', what: t('/proc not remounted', '没有重新挂载 /proc'), make: without(2, 'proc'), fails: 'pid-1', hint: "its /proc is still the playground's" },
      {
        id: 'no-private',
        what: t('no MS_PRIVATE: the proc mount leaks', '没有 MS_PRIVATE：proc 挂载泄漏出去'),
        make: replaced("  actions.push({ do: 'makePrivate', path: '/' });\n", ''),
        fails: 'mounts-private',
        hint: 'was not made private',
      },
    ],
  },
  {
    title: t('Level 3: pivot_root into the image', '第 3 级：pivot_root 进入镜像'),
    task: t(
      `With --image DIR, minidock run makes DIR the container's root with pivot_root and detaches the old root, so nothing of the host's tree is left in the container's mount namespace. The working directory holds the image (./${IMAGE}) and its layers unpacked (./${LAYERS}/1, ./${LAYERS}/2); the check runs c1 with --image ${LAYERS}/1. Then run ${check(3)}.`,
      `有 --image DIR 时，minidock run 用 pivot_root 把 DIR 变成容器的根，并卸载旧根，让容器的 mount namespace 里不再留下主机目录树的任何部分。工作目录里有镜像（./${IMAGE}）和解包后的各层（./${LAYERS}/1、./${LAYERS}/2）；check 会用 --image ${LAYERS}/1 运行 c1。然后运行 ${check(3)}。`,
    ),
    hints: [
      t(
        'chroot moves one process; pivot_root moves the root of the whole mount namespace and keeps the old root mounted until you detach it. The new root must be a mount point, and no mount may be shared.',
        'chroot 只移动一个进程；pivot_root 移动整个 mount namespace 的根，旧根会一直挂载着，直到你把它卸载。新根必须是挂载点，并且不能有 shared 的挂载。',
      ),
      t("Mount proc on ROOT/proc before pivoting (level 2's action, with the new root's path).", '在 pivot 之前把 proc 挂载到 ROOT/proc（第 2 级的动作，换成新根的路径）。'),
      t(
        "bind-mount ROOT onto ROOT, chdir ROOT, { do: 'pivotRoot', newRoot: '.', putOld: '.' }, { do: 'umount', target: '.', detach: true }, chdir /",
        "把 ROOT 绑定挂载到 ROOT，chdir ROOT，{ do: 'pivotRoot', newRoot: '.', putOld: '.' }，{ do: 'umount', target: '.', detach: true }，chdir /",
      ),
    ],
    looksAt: t(
      "c1's /proc/PID/root (device:inode, against ./layers/1), its mountinfo, and where a process that joins its mount namespace lands",
      'c1 的 /proc/PID/root（device:inode，与 ./layers/1 比较）、它的 mountinfo，以及加入它的 mount namespace 的进程落在哪里',
    ),
    own: [imageRoot, oldRootGone],
    essentials: [oldRootGone],
    broken: [
      { id: 'no-pivot', what: t('no pivot_root: the root stays the host\'s', '没有 pivot_root：根仍是主机的'), make: without(3, 'pivot-root'), fails: 'image-root', hint: "root is still the playground's" },
      {
        id: 'old-root-kept',
        what: t('pivot_root without detaching the old root', 'pivot_root 之后没有卸载旧根'),
        make: replaced("      { do: 'umount', target: '.', detach: true },\n", ''),
        fails: 'old-root-gone',
        hint: 'the old root is still mounted',
      },
      {
        id: 'chroot',
        what: t('chroot instead of pivot_root', '用 chroot 代替 pivot_root'),
        make: replaced(
          "      { do: 'mount', source: rootfs, target: rootfs, flags: ['bind', 'rec'] },\n      { do: 'chdir', path: rootfs },\n      { do: 'pivotRoot', newRoot: '.', putOld: '.' },\n      { do: 'umount', target: '.', detach: true },\n      { do: 'chdir', path: '/' },",
          "      { do: 'chroot', path: rootfs },\n      { do: 'chdir', path: '/' },",
        ),
        fails: 'old-root-gone',
        hint: 'was changed with chroot',
      },
      {
        id: 'pivot-not-private',
        what: t('pivot_root in a mount namespace that was not made private', '在没有设为 private 的 mount namespace 里 pivot_root'),
        make: replaced("  actions.push({ do: 'makePrivate', path: '/' });\n", ''),
        fails: 'runs',
        hint: 'was not made private first, so pivot_root refuses it',
      },
    ],
  },
  {
    title: t('Level 4: an overlay of the image\'s layers', '第 4 级：由镜像各层叠成的 overlay'),
    task: t(
      `With --layers A:B (topmost first), minidock run mounts an overlay with those layers as lowerdir and a fresh upper/ and work/ in STATE/NAME, pivots into it, and removes STATE/NAME when the container has exited. The check runs c1 with --layers ${LAYERS}/2:${LAYERS}/1 (layer 2 deletes /etc/motd with a whiteout and adds /hello.txt), and first a c0 that writes a file and exits. Then run ${check(4)}.`,
      `有 --layers A:B（最上层在前）时，minidock run 挂载一个 overlay：lowerdir 是这些层，upper/ 和 work/ 是 STATE/NAME 里新建的；然后 pivot 进去，并在容器退出后删除 STATE/NAME。check 会用 --layers ${LAYERS}/2:${LAYERS}/1 运行 c1（第 2 层用 whiteout 文件删掉了 /etc/motd，并加上了 /hello.txt），在那之前先运行一个写下文件就退出的 c0。然后运行 ${check(4)}。`,
    ),
    hints: [
      t('overlayfs stacks lowerdir (read-only, topmost first) under upperdir; a whiteout (a 0/0 character device) in an upper layer hides the name below it.', 'overlayfs 把 lowerdir（只读，最上层在前）叠在 upperdir 下面；上层里的 whiteout 文件（0/0 字符设备）会遮住下层的同名文件。'),
      t(
        "{ do: 'mount', source: 'overlay', target: rootfs, fstype: 'overlay', data: `lowerdir=${layers.join(':')},upperdir=…,workdir=…` }, then level 3's pivot_root into rootfs",
        "{ do: 'mount', source: 'overlay', target: rootfs, fstype: 'overlay', data: `lowerdir=${layers.join(':')},upperdir=…,workdir=…` }，然后用第 3 级的 pivot_root 进入 rootfs",
      ),
    ],
    looksAt: t(
      "c1's mountinfo (the overlay at / and its lowerdir and upperdir), the files in its root, and the working directory after c0 exited",
      'c1 的 mountinfo（/ 上的 overlay 及其 lowerdir、upperdir）、它的根里的文件，以及 c0 退出后的工作目录',
    ),
    own: [overlayRoot, whiteout, upperRemoved],
    essentials: [overlayRoot, whiteout],
    broken: [
      { id: 'no-overlay', what: t('no overlay: the layers are ignored', '没有 overlay：各层被忽略了'), make: without(4, 'overlay'), fails: 'overlay-root', hint: 'is not an overlay' },
      {
        id: 'layers-reversed',
        what: t('lowerdir bottom layer first', 'lowerdir 把最底层放在前面'),
        make: replaced("lowerdir=${o.layers.join(':')}", "lowerdir=${[...o.layers].reverse().join(':')}"),
        fails: 'whiteout',
        hint: 'lists the layers topmost first',
      },
      { id: 'upper-kept', what: t('the upper/ outlives the container', 'upper/ 比容器活得久'), make: without(4, 'remove-upper'), fails: 'upper-removed', hint: 'its upper/ outlived it' },
    ],
  },
  {
    title: t('Level 5: IPC and a network of their own', '第 5 级：自己的 IPC 与网络'),
    task: t(
      `minidock run adds the ipc and net namespaces and brings lo up; with --net --ip A.B.C.D/24 it connects the container to the bridge ${BRIDGE} (${GATEWAY}, made once in the caller's network namespace) with a veth pair whose inside end is eth0. The check runs c1 (--ip ${IP1}) and c2 (--ip ${IP2}) and pings each from the other. Then run ${check(5)}.`,
      `minidock run 加上 ipc 与 net namespace 并把 lo 设为 up；有 --net --ip A.B.C.D/24 时，用一对 veth 把容器接到网桥 ${BRIDGE}（${GATEWAY}，在调用者的 network namespace 里只建一次）上，里面的一端叫 eth0。check 会运行 c1（--ip ${IP1}）和 c2（--ip ${IP2}），并让它们互相 ping。然后运行 ${check(5)}。`,
    ),
    hints: [
      t("The veth pair and the bridge are made from outside while the child waits: the child's pid names its network namespace (ip link add … netns PID).", 'veth 与网桥都是在子进程等待时从外面建的：子进程的 pid 指明了它的 network namespace（ip link add … netns PID）。'),
      t(
        `ip link add md${'PID'} type veth peer name eth0 netns PID; ip link set mdPID master ${BRIDGE} up; in the child's netns: ip addr add IP dev eth0; ip link set eth0 up; ip route add default via 10.77.0.1`,
        `ip link add mdPID type veth peer name eth0 netns PID; ip link set mdPID master ${BRIDGE} up；在子进程的 netns 里：ip addr add IP dev eth0; ip link set eth0 up; ip route add default via 10.77.0.1`,
      ),
    ],
    looksAt: t(
      "c1's and c2's /proc/PID/ns/{ipc,net}, ip -j -d addr in their network namespaces and in the playground's, and /proc/net/snmp (ICMP) in each",
      'c1 与 c2 的 /proc/PID/ns/{ipc,net}、它们和练习场的 network namespace 里的 ip -j -d addr，以及各自的 /proc/net/snmp（ICMP）',
    ),
    own: [ownIpcNet, wired, ping],
    essentials: [ping],
    broken: [
      { id: 'no-net', what: t('no ipc and net namespaces', '没有 ipc 与 net namespace'), make: without(5, 'net'), fails: 'own-ipc-net', hint: "shares the playground's network namespace" },
      {
        id: 'veth-loose',
        what: t('the veth host end left off the bridge', 'veth 在主机一端没有接到网桥上'),
        make: replaced("    await ip(0, 'link', 'set', state.veth, 'master', BRIDGE, 'up');\n", ''),
        fails: 'ping',
        hint: 'not attached to md0',
      },
    ],
  },
  {
    title: t('Level 6: cgroup limits', '第 6 级：cgroup 限制'),
    task: t(
      `--cpus F, --memory SIZE and --pids N put the container in a group minidock-NAME of each hierarchy that has the controller (cgroup v1 or v2), with the limit written there, and the child joins them while it waits, before exec. The check runs c1 with --cpus ${CPUS} --memory 32m --pids ${PIDS} and a command that forks sleep ${FIRST_CHILD} the moment it starts, keeps a CPU busy for a second, then becomes sleep ${C1} (${C1_FORKS}). Then run ${check(6)}.`,
      `--cpus F、--memory SIZE、--pids N 会把容器放进每个含有相应子系统的层级里的 minidock-NAME 组（cgroup v1 或 v2 均可），限制写在那里；子进程在等待时、exec 之前加入这些组。check 会用 --cpus ${CPUS} --memory 32m --pids ${PIDS} 运行 c1，命令一启动就 fork 出 sleep ${FIRST_CHILD}，让一个 CPU 忙上一秒，然后变成 sleep ${C1}（${C1_FORKS}）。然后运行 ${check(6)}。`,
    ),
    hints: [
      t(
        'A process moved into a group takes none of its children along: join before exec (while the child waits) so everything the command starts is limited.',
        '进程被移进一个组时，不会带上它已有的子进程：在 exec 之前（子进程等待时）加入，命令启动的一切才都受限制。',
      ),
      t(
        'v1: cpu.cfs_period_us 100000, cpu.cfs_quota_us 20000, memory.limit_in_bytes, pids.max; v2: cpu.max "20000 100000", memory.max, pids.max; then the pid into cgroup.procs before child.go()',
        'v1：cpu.cfs_period_us 100000、cpu.cfs_quota_us 20000、memory.limit_in_bytes、pids.max；v2：cpu.max “20000 100000”、memory.max、pids.max；然后在 child.go() 之前把 pid 写入 cgroup.procs',
      ),
    ],
    looksAt: t(
      `/proc/PID/cgroup of c1 and of sleep ${FIRST_CHILD}, the limit files of c1's groups and its cpu group's cpu.stat`,
      `c1 与 sleep ${FIRST_CHILD} 的 /proc/PID/cgroup、c1 所在组的限制文件，以及它的 cpu 组的 cpu.stat`,
    ),
    own: [limits, throttled, joinedBeforeExec],
    essentials: [limits],
    broken: [
      { id: 'no-cgroups', what: t('the limits are not applied', '没有应用限制'), make: without(6, 'cgroups'), fails: 'limits', hint: "still in the playground's own" },
      {
        id: 'join-after-exec',
        what: t('cgroups joined after exec', 'exec 之后才加入 cgroup'),
        make: (src) =>
          replaced('      child.go();\n      await child.ready(); // rejects with the setup action that failed in the child\n', "      child.go();\n      await child.ready(); // rejects with the setup action that failed in the child\n      await sleep(100);\n      for (const dir of state.cgroups) writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));\n")(
            replaced("  prepare.push((pid) => {\n    for (const dir of state.cgroups) writeFileSync(join(dir, 'cgroup.procs'), String(pid));\n  });\n", '')(src),
          ),
        fails: 'joined-before-exec',
        hint: 'joined its cgroups after exec',
      },
    ],
  },
  {
    title: t('Level 7: root inside, uid 1000 outside', '第 7 级：里面是 root，外面是 uid 1000'),
    task: t(
      `With --user, minidock run adds a user namespace: while the child waits, the parent writes uid_map "0 1000 1", then deny to setgroups, then gid_map "0 1000 1"; the child becomes root in it. The overlay's upper/ and work/ belong to uid 1000. The check runs c1 and c2 as before, with --user. Then run ${check(7)}.`,
      `有 --user 时，minidock run 加上 user namespace：子进程等待时，父进程先写 uid_map “0 1000 1”，再往 setgroups 写 deny，最后写 gid_map “0 1000 1”；子进程在其中成为 root。overlay 的 upper/ 和 work/ 属于 uid 1000。check 会像之前一样运行 c1 和 c2，加上 --user。然后运行 ${check(7)}。`,
    ),
    hints: [
      t(
        'A user namespace maps ids: uid_map "0 1000 1" makes uid 0 inside uid 1000 outside. Once gid_map is written, setgroups can no longer change, so deny comes first.',
        'user namespace 负责映射 id：uid_map “0 1000 1” 让里面的 uid 0 对应外面的 uid 1000。gid_map 一旦写入，setgroups 就不能再改，所以 deny 要先写。',
      ),
      t(
        "spec.namespaces.push('user'); right after the wait: { do: 'setresgid', gid: 0 }, { do: 'setresuid', uid: 0 }; the parent writes /proc/PID/uid_map, /proc/PID/setgroups, /proc/PID/gid_map in that order",
        "spec.namespaces.push('user')；紧接在等待之后：{ do: 'setresgid', gid: 0 }、{ do: 'setresuid', uid: 0 }；父进程依次写 /proc/PID/uid_map、/proc/PID/setgroups、/proc/PID/gid_map",
      ),
    ],
    looksAt: t("c1's /proc/PID/ns/user, uid_map, gid_map, setgroups and the Uid line of its status", 'c1 的 /proc/PID/ns/user、uid_map、gid_map、setgroups，以及它的 status 里的 Uid 行'),
    own: [userMaps, setgroupsDeny],
    essentials: [userMaps],
    broken: [
      { id: 'no-user', what: t('no user namespace', '没有 user namespace'), make: without(7, 'user-namespace'), fails: 'user-maps', hint: "shares the playground's user namespace" },
      {
        id: 'no-deny',
        what: t('setgroups left at allow', 'setgroups 保持 allow'),
        make: replaced("      writeFileSync(`/proc/${pid}/setgroups`, 'deny');\n", ''),
        fails: 'setgroups-deny',
        hint: 'before gid_map',
      },
      {
        id: 'gid-map-first',
        what: t('gid_map written before setgroups deny', '在 setgroups deny 之前写了 gid_map'),
        make: replaced(
          "      writeFileSync(`/proc/${pid}/setgroups`, 'deny');\n      writeFileSync(`/proc/${pid}/gid_map`, `0 ${HOST_ID} 1\\n`);\n",
          "      writeFileSync(`/proc/${pid}/gid_map`, `0 ${HOST_ID} 1\\n`);\n      writeFileSync(`/proc/${pid}/setgroups`, 'deny');\n",
        ),
        fails: 'runs',
        hint: 'setgroups can no longer change (EPERM)',
      },
    ],
  },
  {
    title: t('Level 8: exec into a running container', '第 8 级：exec 进入运行中的容器'),
    task: t(
      `minidock exec NAME -- CMD runs CMD inside the running container NAME: it joins every namespace of the container's process (setns: user, ipc, uts, net, pid, mnt), forks so the command is born in the PID namespace, and puts it in the container's cgroups. The check runs everything before and then "minidock exec c1 -- sleep ${EXEC}". Then run ${check(8)}.`,
      `minidock exec NAME -- CMD 在运行中的容器 NAME 里运行 CMD：它加入容器进程的每一个 namespace（setns：user、ipc、uts、net、pid、mnt），再 fork，让命令出生在那个 PID namespace 里，并把它放进容器的 cgroup。check 会先运行之前的一切，再运行“minidock exec c1 -- sleep ${EXEC}”。然后运行 ${check(8)}。`,
    ),
    hints: [
      t('setns joins a namespace by its file /proc/PID/ns/NAME; for pid it only decides where the next child is born, hence the fork.', 'setns 通过 /proc/PID/ns/NAME 这个文件加入 namespace；对 pid 来说它只决定下一个子进程出生在哪里，所以要 fork。'),
      t(
        "for each ns of c1 that is not ours: { do: 'setns', path: `/proc/${s.pid}/ns/${ns}`, ns } (user first, mnt last), then { do: 'fork' }, { do: 'chdir', path: '/' }; the child's pid into c1's cgroup.procs while it waits",
        "对 c1 每个与我们不同的 ns：{ do: 'setns', path: `/proc/${s.pid}/ns/${ns}`, ns }（user 最先，mnt 最后），然后 { do: 'fork' }、{ do: 'chdir', path: '/' }；子进程等待时把它的 pid 写入 c1 的 cgroup.procs",
      ),
    ],
    looksAt: t(`/proc/PID/ns/* and /proc/PID/cgroup of sleep ${EXEC} and of c1`, `sleep ${EXEC} 与 c1 的 /proc/PID/ns/* 和 /proc/PID/cgroup`),
    own: [execJoins, execCgroups],
    essentials: [execJoins],
    broken: [
      { id: 'no-setns', what: t('exec without setns', '没有 setns 的 exec'), make: without(8, 'setns'), fails: 'exec-joins', hint: "in the playground's namespaces, none of c1's" },
      { id: 'no-fork', what: t('setns without the fork', '有 setns 却没有 fork'), make: replaced("  actions.push({ do: 'fork' }, { do: 'chdir', path: '/' });\n", "  actions.push({ do: 'chdir', path: '/' });\n"), fails: 'exec-joins', hint: 'Add a fork action' },
      { id: 'no-exec-cgroups', what: t("exec outside the container's cgroups", '在容器的 cgroup 之外 exec'), make: without(8, 'exec-cgroups'), fails: 'exec-cgroups', hint: "outside c1's limits" },
    ],
  },
];

export const brokenFile = (level: number, id: string) => `broken-${level}-${id}.mjs`;

/**
 * The working directory of a level: the image and its unpacked layers (level 3 on) and the probe
 * the checks run; for the reference ('reference': the lab, the tests), also the reference
 * runtime, the shim to nslab's addon and one broken variant per near-miss. The learner's check
 * ('learner') runs their own minidock from their directory.
 */
export function prepareFor(dir: string, level: number, who: 'learner' | 'reference'): void {
  if (who === 'reference') {
    const reference = readFileSync(referencePath(), 'utf8');
    writeFileSync(join(dir, 'reference.mjs'), reference);
    writeFileSync(join(dir, 'nslab.mjs'), addonShim());
    for (const b of DEFS[level]!.broken) writeFileSync(join(dir, brokenFile(level, b.id)), b.make(reference));
  }
  if (level >= 3) {
    mkdirSync(join(dir, IMAGE));
    buildImage(join(dir, IMAGE));
    mkdirSync(join(dir, LAYERS));
    unpackLayers(join(dir, IMAGE), join(dir, LAYERS));
    placeLandingProbe(dir);
  }
}

function conditionsOf(level: number): Condition<LevelWorld>[] {
  const out: Condition<LevelWorld>[] = [running];
  for (let l = 0; l < level; l++) for (const c of DEFS[l]!.essentials) if (!out.includes(c)) out.push(c);
  for (const c of DEFS[level]!.own) if (!out.includes(c)) out.push(c);
  return out;
}

export const levels: Exercise<LevelWorld>[] = DEFS.map((d, level) =>
  exercise<LevelWorld>({
    id: `level-${level}`,
    kind: 'do',
    title: d.title,
    task: d.task,
    hints: d.hints,
    looksAt: d.looksAt,
    // cgroup2 (level 6 on): cpu, memory and pids handed down to the playground's group.
    ...(level >= 6 ? { v2Controllers: ['cpu+memory+pids'] } : {}),
    requirements: [tool('pgrep', 'procps'), ...(level >= 2 ? [tool('mount', 'mount')] : []), ...(level >= 5 ? [tool('nsenter', 'util-linux'), tool('ping', 'iputils-ping'), tool('ip', 'iproute2')] : [])],
    setup: (dir: string) => prepareFor(dir, level, 'reference'),
    observe: (pg) => levelWorld(pg, level),
    conditions: conditionsOf(level),
    solution: driver('reference.mjs', level),
    nearMisses: d.broken.map((b) => ({ id: b.id, what: b.what, script: driver(brokenFile(level, b.id), level), fails: b.fails, hint: b.hint })),
  }),
);
