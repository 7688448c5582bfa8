// The capstone's levels as exercises (DRAFT, branch `capstone`, not in the registry yet): each
// runs the learner's minidock in a playground with a driver script, then judges the container
// from the host's view like any exercise. The driver starts containers whose command is
// `sleep 6001` (c1) and `sleep 6002` (c2), so the checks find them by their argv.
import { readlinkSync, statSync } from 'node:fs';
import { t, type Condition, type PgProcess, type PlaygroundView, type Text } from '../../runner/kit/index.js';

export const C1 = '6001';

/** A container process as the checks see it. */
export interface ContainerSeen {
  readonly inside: number;
  /** Namespaces whose inode differs from the playground's. */
  readonly own: readonly string[];
  readonly hostname: string | undefined;
  /** Its pid in its own PID namespace (1 for a container's init). */
  readonly ownPid: number;
  /** The PID namespace of the /proc it sees (via its root's /proc/1/ns/pid), 0 when unreadable. */
  readonly procNs: number;
  readonly pidNs: number;
  /** device:inode of its root, and of the playground's. */
  readonly rootId: string | undefined;
}

export interface LevelWorld {
  readonly playgroundHostname: string;
  readonly c1?: ContainerSeen;
  /** What minidock printed (the driver's output), for hints. */
  readonly playgroundRootId: string | undefined;
}

const idOf = (path: string): string | undefined => {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
};

const inodeOf = (link: string): number => Number(/\[(\d+)\]/.exec(link)?.[1] ?? 0);

async function seen(pg: PlaygroundView, p: PgProcess): Promise<ContainerSeen> {
  const own = (Object.keys(p.ns) as (keyof typeof p.ns)[]).filter((n) => p.ns[n] !== 0 && p.ns[n] !== pg.ns[n]);
  const h = await pg.runIn(p.pid, ['uts'], ['hostname']).catch(() => undefined);
  let procNs = 0;
  try {
    procNs = inodeOf(readlinkSync(`/proc/${p.pid}/root/proc/1/ns/pid`));
  } catch {
    procNs = 0;
  }
  return {
    inside: p.inside,
    own,
    hostname: h && h.code === 0 ? h.stdout.trim() : undefined,
    ownPid: p.nspid.at(-1) ?? 0,
    procNs,
    pidNs: p.ns.pid,
    rootId: idOf(`/proc/${p.pid}/root`),
  };
}

export async function levelWorld(pg: PlaygroundView): Promise<LevelWorld> {
  const c1 = pg.processes().find((p) => p.argv[0]?.endsWith('sleep') && p.argv[1] === C1);
  const name = await pg.runIn(pg.init, ['uts'], ['hostname']).catch(() => undefined);
  return {
    playgroundHostname: name?.stdout.trim() ?? '?',
    ...(c1 ? { c1: await seen(pg, c1) } : {}),
    playgroundRootId: idOf(`/proc/${pg.init}/root`),
  };
}

const noContainer = (): Text =>
  t(
    `no container is running: minidock run should start "sleep ${C1}" and keep it running (is run waiting for the child, and did spawn get the command?)`,
    `没有容器在运行：minidock run 应当启动“sleep ${C1}”并让它一直运行（run 是否在等子进程？spawn 是否拿到了命令？）`,
  );

/** Level 0: the command runs as a child process. */
export const running: Condition<LevelWorld> = {
  id: 'runs',
  description: t(`minidock run starts the command (sleep ${C1}) as a child process.`, `minidock run 以子进程的方式启动命令（sleep ${C1}）。`),
  evaluate: (o) => ({
    observed: o.c1 ? `sleep ${C1} [${o.c1.inside}]` : '-',
    expected: `sleep ${C1}`,
    pass: o.c1 !== undefined,
    ...(o.c1 ? {} : { hint: noContainer() }),
  }),
};

/** Level 1: its own UTS namespace, named by --hostname. */
export const utsLevel: Condition<LevelWorld> = {
  id: 'hostname',
  description: t('The container has a UTS namespace of its own whose hostname is c1; the playground keeps its name.', '容器有自己的 UTS namespace，主机名是 c1；练习场保住了自己的名字。'),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.own.includes('uts') && c.hostname === 'c1' && o.playgroundHostname === 'playground';
    const hint =
      c === undefined
        ? noContainer()
        : !c.own.includes('uts')
          ? t("the container shares the playground's UTS namespace: add 'uts' to the spawn's namespaces.", "容器与练习场共用 UTS namespace：在 spawn 的 namespaces 里加上 'uts'。")
          : t(`the container is in its own UTS namespace, but its hostname is "${c.hostname ?? '?'}": add a sethostname action with --hostname.`, `容器已有自己的 UTS namespace，但主机名是“${c.hostname ?? '?'}”：加一个使用 --hostname 的 sethostname 动作。`);
    return {
      observed: c ? t(`uts ${c.own.includes('uts') ? 'own' : 'shared'}, hostname ${c.hostname ?? '?'}; playground ${o.playgroundHostname}`, `uts ${c.own.includes('uts') ? '独立' : '共用'}，主机名 ${c.hostname ?? '?'}；练习场 ${o.playgroundHostname}`) : '-',
      expected: t('uts own, hostname c1; playground playground', 'uts 独立，主机名 c1；练习场 playground'),
      pass,
      ...(pass ? {} : { hint }),
    };
  },
};

/** Level 2: PID 1 of its own PID namespace, with a /proc of that namespace. */
export const pidLevel: Condition<LevelWorld> = {
  id: 'pid-1',
  description: t('The container is PID 1 of its own PID namespace and sees a /proc of that namespace.', '容器是自己 PID namespace 的 1 号进程，看到的是这个 namespace 的 /proc。'),
  evaluate: (o) => {
    const c = o.c1;
    const pass = c !== undefined && c.own.includes('pid') && c.ownPid === 1 && c.procNs === c.pidNs;
    const hint =
      c === undefined
        ? noContainer()
        : !c.own.includes('pid') || c.ownPid !== 1
          ? t("the container is not PID 1 of a namespace of its own: add 'pid' to the namespaces (the child of clone is then 1).", "容器不是自己 namespace 的 1 号进程：在 namespaces 里加上 'pid'（clone 出来的子进程就是 1 号）。")
          : t(
              "the container is PID 1, but its /proc is still the playground's: in a mount namespace made private first, mount a new proc on /proc before exec.",
              '容器是 1 号进程，但它的 /proc 仍是练习场的：先把 mount namespace 设为 private，再在 exec 之前往 /proc 挂载一个新的 proc。',
            );
    return {
      observed: c ? `pid ${c.ownPid} in pid:[${c.pidNs}], /proc of pid:[${c.procNs}]` : '-',
      expected: t('pid 1, /proc of its own PID namespace', '1 号进程，/proc 属于它自己的 PID namespace'),
      pass,
      ...(pass ? {} : { hint }),
    };
  },
};

/** The driver script of a level: the learner's minidock, started in the background, then a moment. */
export function driver(minidock: string, level: number): string {
  const flags = level >= 1 ? ' --hostname c1' : '';
  return `node ${JSON.stringify(minidock)} run --name c1${flags} -- sleep ${C1} &\nsleep 1`;
}
