#!/usr/bin/env node
// minidock: a tiny `docker run`, built level by level in nslab's lab 13 (the reference runtime).
//
//   node minidock.mjs run [--name N] [--hostname H] [--image DIR | --layers A:B:C] [--net --ip A.B.C.D/24]
//                         [--cpus F] [--memory SIZE] [--pids N] [--user] [--detach] -- CMD [ARG...]
//   node minidock.mjs exec NAME -- CMD [ARG...]
//   node minidock.mjs ps | rm NAME
//
// The container's process never runs JavaScript. Between clone() and execve() it only runs the
// setup actions listed in `spec.actions` (system calls the addon prepared before the clone). What
// must be done from the outside (id maps, cgroups, the veth) the parent does while the child
// waits at its first action, { do: 'wait' }; then child.go() lets it go on.
//
// State: $MINIDOCK_STATE (default ./state) holds NAME.json per container
// ({ pid, started, name, rootfs, upper, cgroups, veth }) and NAME/ (the overlay's dirs).
import * as nslab from './nslab.mjs';
import { spawn as spawnProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { constants as os } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const STATE = resolve(process.env.MINIDOCK_STATE ?? './state');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ENV = { PATH, HOME: '/root', TERM: process.env.TERM ?? 'dumb' };
const BRIDGE = 'md0';
const GATEWAY = '10.77.0.1';
/** Who is root inside a container run with --user. */
const HOST_ID = 1000;

/**
 * @typedef {{ name: string, hostname?: string, image?: string, layers?: string[], net: boolean, ip?: string,
 *   cpus?: number, memory?: number, pids?: number, user: boolean, detach: boolean, argv: string[] }} RunOptions
 * @typedef {{ pid: number, started?: string, name: string, rootfs: string | null, upper: string | null,
 *   cgroups: string[], veth: string | null }} State
 * @typedef {import('./nslab.mjs').SetupAction} Action  one setup action (nslab's addon/actions.ts lists them)
 * @typedef {import('./nslab.mjs').Namespace} Namespace
 * @typedef {import('./nslab.mjs').StdioMode} StdioMode
 * @typedef {{ namespaces: Namespace[], argv: string[], file?: string, env: Record<string, string>,
 *   stdio: [StdioMode, StdioMode, StdioMode], actions: Action[] }} Spec  what nslab.spawn() gets
 * @typedef {(pid: number) => void | Promise<void>} Prepare  parent-side work while the child waits
 */

const stateFile = (/** @type {string} */ name) => join(STATE, `${name}.json`);
const logFile = (/** @type {string} */ name) => join(STATE, `${name}.log`);

// ───────────────────────────────────────────────────────────────────────── run

/**
 * Everything `run` decides before the clone: the spawn spec, where to find the program, and
 * what the parent does while the child waits. Directories it makes are recorded in `state`.
 * @param {RunOptions} o
 * @param {State} state
 */
function plan(o, state) {
  const name = o.name;
  /** @type {Spec} */
  const spec = {
    namespaces: [],
    argv: o.argv,
    env: ENV,
    stdio: o.detach ? ['null', 'inherit', 'inherit'] : ['inherit', 'inherit', 'inherit'],
    actions: [{ do: 'wait' }],
  };
  const actions = spec.actions;
  /** @type {Prepare[]} */
  const prepare = [];
  /** The container's future root as the host names it (null: the host's own). */
  let rootfs = o.image ?? null;

  // >>> level 1: uts
  // TODO: give the container a UTS namespace of its own (spec.namespaces) and set its hostname
  // TODO: (--hostname, else the container's name) with a sethostname action.
  // TODO(zh)：给容器一个自己的 UTS 命名空间（spec.namespaces），并用一个 sethostname 动作设置它的主机名
  // TODO(zh)：（--hostname，没有就用容器的名字）。
  spec.namespaces.push('uts');
  actions.push({ do: 'sethostname', name: o.hostname ?? name });
  // <<< level 1: uts

  // >>> level 2: pid-mnt
  // TODO: add the pid and mnt namespaces (the program becomes PID 1), and make every mount
  // TODO: private first (makePrivate), so that no mount of ours propagates back to the host.
  // TODO(zh)：加上 pid 和 mnt 命名空间（程序成为 1 号进程），并先把所有挂载设为私有（makePrivate），
  // TODO(zh)：这样我们的挂载不会传播回宿主机。
  spec.namespaces.push('pid', 'mnt');
  actions.push({ do: 'makePrivate', path: '/' });
  // <<< level 2: pid-mnt

  // The root is assembled (level 4) before the child moves into it (level 3).
  // >>> level 4: overlay
  // TODO: with --layers, make upper/, work/ and rootfs/ in STATE/NAME/ and let the child mount an
  // TODO: overlay on rootfs/ (lowerdir = the layers, topmost first); that overlay is the root now.
  // TODO(zh)：有 --layers 时，在 STATE/NAME/ 下建 upper/、work/ 和 rootfs/，让子进程在 rootfs/ 上挂载
  // TODO(zh)：一个 overlay（lowerdir = 各层，最上层在前）；这个 overlay 就是新的根。
  if (o.layers) {
    const dir = join(STATE, name);
    mkdirSync(dir);
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(dir, d));
    state.upper = join(dir, 'upper');
    rootfs = join(dir, 'rootfs');
    const data = `lowerdir=${o.layers.join(':')},upperdir=${state.upper},workdir=${join(dir, 'work')}`;
    actions.push({ do: 'mount', source: 'overlay', target: rootfs, fstype: 'overlay', data });
  }
  // <<< level 4: overlay

  // >>> level 2: proc
  // TODO: mount a fresh proc (of the new PID namespace) on /proc of the future root (make the
  // TODO: directory first). Mount it before the old root goes: a user namespace may only mount
  // TODO: proc where one is already fully visible.
  // TODO(zh)：在未来根目录的 /proc 上挂载一个新的 proc（属于新的 PID 命名空间；先建目录）。要在旧根
  // TODO(zh)：离开之前挂载：用户命名空间只能在已有一个完全可见的 proc 时再挂 proc。
  const proc = join(rootfs ?? '/', 'proc');
  actions.push({ do: 'mkdir', path: proc }, { do: 'mount', source: 'proc', target: proc, fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] });
  // <<< level 2: proc

  // >>> level 3: pivot-root
  // TODO: when there is a root: bind-mount it onto itself (pivot_root wants a mount point), chdir
  // TODO: into it, pivot_root('.', '.'), detach the old root now stacked on '.', chdir('/').
  // TODO(zh)：有根目录时：把它绑定挂载到自身（pivot_root 要求一个挂载点），chdir 进去，
  // TODO(zh)：pivot_root('.', '.')，卸载（detach）叠在 '.' 上的旧根，再 chdir('/')。
  if (rootfs) {
    actions.push(
      { do: 'mount', source: rootfs, target: rootfs, flags: ['bind', 'rec'] },
      { do: 'chdir', path: rootfs },
      { do: 'pivotRoot', newRoot: '.', putOld: '.' },
      { do: 'umount', target: '.', detach: true },
      { do: 'chdir', path: '/' },
    );
    state.rootfs = rootfs;
  }
  // <<< level 3: pivot-root

  // >>> level 5: net
  // TODO: add the ipc and net namespaces. While the child waits: bring its lo up; with --net,
  // TODO: make bridge md0 (10.77.0.1/24, up) if missing, a veth pair md<pid> / eth0 with eth0 in
  // TODO: the child's netns, md<pid> on md0 and up, and in the child: --ip on eth0, eth0 up, default via 10.77.0.1.
  // TODO(zh)：加上 ipc 和 net 命名空间。子进程等待时：把它的 lo 启用；有 --net 时，若网桥 md0 不存在就创建
  // TODO(zh)：（10.77.0.1/24，启用），建一对 veth md<pid> / eth0，把 eth0 放进子进程的网络命名空间，md<pid> 接到 md0 并启用；
  // TODO(zh)：在子进程里：把 --ip 配到 eth0，启用 eth0，默认路由经 10.77.0.1。
  spec.namespaces.push('ipc', 'net');
  prepare.push(async (pid) => {
    await ip(pid, 'link', 'set', 'lo', 'up');
    if (!o.net) return;
    if (!(await ip(0, '-o', 'link', 'show', 'type', 'bridge')).includes(` ${BRIDGE}:`)) {
      await ip(0, 'link', 'add', BRIDGE, 'type', 'bridge');
      await ip(0, 'addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE);
      await ip(0, 'link', 'set', BRIDGE, 'up');
    }
    state.veth = `md${pid}`; // IFNAMSIZ allows 15 bytes; the pair dies with the container's netns
    await ip(0, 'link', 'add', state.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid));
    await ip(0, 'link', 'set', state.veth, 'master', BRIDGE, 'up');
    await ip(pid, 'addr', 'add', /** @type {string} */ (o.ip), 'dev', 'eth0');
    await ip(pid, 'link', 'set', 'eth0', 'up');
    await ip(pid, 'route', 'add', 'default', 'via', GATEWAY);
  });
  // <<< level 5: net

  // >>> level 6: cgroups
  // TODO: for each limit asked (--cpus, --memory, --pids) find the hierarchy of its controller
  // TODO: (cgroupMount), make minidock-NAME there once, write the limit's files (limits), and
  // TODO: while the child waits write its pid to cgroup.procs of each group: it is in them before exec.
  // TODO(zh)：对每个要求的限制（--cpus、--memory、--pids）找到其控制器所在的层级（cgroupMount），在那里建一次
  // TODO(zh)：minidock-NAME，写入限制文件（limits）；子进程等待时把它的 pid 写进每个组的 cgroup.procs：
  // TODO(zh)：这样它在 exec 之前就已在组里。
  for (const l of limits(o)) {
    const h = cgroupMount(l.controller);
    const dir = join(h.mount, `minidock-${name}`);
    if (!state.cgroups.includes(dir)) {
      mkdirSync(dir); // EEXIST: someone else's group, left alone
      state.cgroups.push(dir);
    }
    for (const [file, value] of Object.entries(h.v2 ? l.v2 : l.v1)) writeFileSync(join(dir, file), value);
  }
  prepare.push((pid) => {
    for (const dir of state.cgroups) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  });
  // <<< level 6: cgroups

  // >>> level 7: user-namespace
  // TODO: with --user, add the user namespace. Right after the wait the child becomes root of it
  // TODO: (setresgid 0, setresuid 0); before that the parent writes /proc/PID/uid_map "0 1000 1",
  // TODO: then "deny" to /proc/PID/setgroups, then gid_map "0 1000 1". The overlay's upper/ and
  // TODO: work/ must belong to uid 1000, who is root inside.
  // TODO(zh)：有 --user 时加上用户命名空间。子进程在等待之后立刻成为其中的 root（setresgid 0、setresuid 0）；
  // TODO(zh)：在此之前父进程先写 /proc/PID/uid_map "0 1000 1"，再往 /proc/PID/setgroups 写 "deny"，
  // TODO(zh)：然后写 gid_map "0 1000 1"。overlay 的 upper/ 和 work/ 必须属于 uid 1000，也就是容器里的 root。
  if (o.user) {
    spec.namespaces.push('user');
    actions.splice(1, 0, { do: 'setresgid', gid: 0 }, { do: 'setresuid', uid: 0 });
    prepare.unshift((pid) => {
      writeFileSync(`/proc/${pid}/uid_map`, `0 ${HOST_ID} 1\n`);
      writeFileSync(`/proc/${pid}/setgroups`, 'deny');
      writeFileSync(`/proc/${pid}/gid_map`, `0 ${HOST_ID} 1\n`);
    });
    if (state.upper) for (const d of [state.upper, join(STATE, name, 'work')]) chownSync(d, HOST_ID, HOST_ID);
  }
  // <<< level 7: user-namespace

  // The program, looked up where it will be: in the image's layers or root, else on the host.
  spec.file = which(o.argv[0] ?? '', o.layers ?? (o.image ? [o.image] : ['/']));
  return { spec, prepare };
}

/** @param {RunOptions} o */
async function run(o) {
  if (existsSync(stateFile(o.name))) throw new Error(`a container named ${o.name} exists (minidock rm ${o.name})`);
  if (o.detach && !process.env.MINIDOCK_SUPERVISOR) return detach(o);
  mkdirSync(STATE, { recursive: true });
  /** @type {State} */
  const state = { pid: 0, name: o.name, rootfs: null, upper: null, cgroups: [], veth: null };
  try {
    const { spec, prepare } = plan(o, state);
    const child = nslab.spawn(spec);
    Object.assign(state, { pid: child.pid, started: child.startTime });
    const stop = () => child.kill();
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, stop);
    try {
      for (const step of prepare) await step(child.pid);
      writeFileSync(stateFile(o.name), JSON.stringify(state) + '\n');
      child.go();
      await child.ready(); // rejects with the setup action that failed in the child
      return await exitCode(child);
    } finally {
      child.abandon(); // a child still waiting gives up (ECANCELED)
      await child.exited;
    }
  } finally {
    await cleanup(state);
  }
}

/** What is left of a container once it has exited. @param {State} s */
async function cleanup(s) {
  // >>> level 4: remove-upper
  // TODO: remove STATE/NAME/ (upper/, work/, rootfs/): what the container wrote dies with it.
  // TODO(zh)：删除 STATE/NAME/（upper/、work/、rootfs/）：容器写下的东西随它一起消失。
  rmSync(join(STATE, s.name), { recursive: true, force: true });
  // <<< level 4: remove-upper
  // >>> level 6: remove-cgroups
  // TODO: rmdir the container's cgroups (retry a moment: the kernel empties a group as its tasks finish exiting).
  // TODO(zh)：rmdir 容器的各个 cgroup（稍等重试：任务退出完，内核才清空组）。
  for (const dir of s.cgroups) {
    for (let i = 0; existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch (e) {
        if (i >= 40) throw e;
        await sleep(50);
      }
    }
  }
  // <<< level 6: remove-cgroups
  rmSync(stateFile(s.name), { force: true });
}

/** run --detach: start ourselves as the container's supervisor, in the background, logging to STATE/NAME.log. @param {RunOptions} o */
async function detach(o) {
  mkdirSync(STATE, { recursive: true });
  const fd = openSync(logFile(o.name), 'w');
  const args = [process.argv[1] ?? '', 'run', '--name', o.name, ...process.argv.slice(3)];
  const sup = spawnProcess(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, MINIDOCK_SUPERVISOR: '1' } });
  closeSync(fd);
  let exited = false;
  sup.on('exit', () => (exited = true));
  sup.unref();
  while (!existsSync(stateFile(o.name))) {
    if (exited) {
      const log = readFileSync(logFile(o.name), 'utf8').trim();
      rmSync(logFile(o.name));
      throw new Error(`${o.name} did not start: ${log}`);
    }
    await sleep(20);
  }
  console.log(o.name);
  return 0;
}

// ───────────────────────────────────────────────────────────────────────── exec, ps, rm

/** @param {string} name @param {string[]} argv */
async function exec(name, argv) {
  const s = load(name);
  if (!alive(s)) throw new Error(`${name} is not running`);
  /** @type {Action[]} */
  const actions = [{ do: 'wait' }];
  // >>> level 8: setns
  // TODO: join each namespace of the container's pid that is not already ours, in this order:
  // TODO: user (then become root in it: setresgid 0, setresuid 0), ipc, uts, net, pid, mnt (last:
  // TODO: it moves our root to the container's); then fork, so the program is born in the pid
  // TODO: namespace, and chdir('/').
  // TODO(zh)：按这个顺序加入容器 pid 的每个还不是我们自己的命名空间：user（之后在其中成为 root：
  // TODO(zh)：setresgid 0、setresuid 0）、ipc、uts、net、pid、mnt（最后：它把我们的根换成容器的根）；
  // TODO(zh)：然后 fork，让程序生在该 pid 命名空间里，再 chdir('/')。
  for (const ns of /** @type {Namespace[]} */ (['user', 'ipc', 'uts', 'net', 'pid', 'mnt'])) {
    if (nslab.nsInode(s.pid, ns) === nslab.nsInode('self', ns)) continue;
    actions.push({ do: 'setns', path: `/proc/${s.pid}/ns/${ns}`, ns });
    if (ns === 'user') actions.push({ do: 'setresgid', gid: 0 }, { do: 'setresuid', uid: 0 });
  }
  actions.push({ do: 'fork' }, { do: 'chdir', path: '/' });
  // <<< level 8: setns
  const file = which(argv[0] ?? '', [`/proc/${s.pid}/root`]);
  const child = nslab.spawn({ argv, file, env: ENV, stdio: ['inherit', 'inherit', 'inherit'], actions });
  try {
    // >>> level 8: exec-cgroups
    // TODO: while the child waits, write its pid to cgroup.procs of each of the container's cgroups.
    // TODO(zh)：子进程等待时，把它的 pid 写进容器每个 cgroup 的 cgroup.procs。
    for (const dir of s.cgroups) writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
    // <<< level 8: exec-cgroups
    child.go();
    await child.ready();
    return await exitCode(child);
  } finally {
    child.abandon();
    await child.exited;
  }
}

function ps() {
  const names = existsSync(STATE) ? readdirSync(STATE).filter((f) => f.endsWith('.json')) : [];
  console.log('NAME'.padEnd(20), 'PID'.padEnd(8), 'STATUS');
  for (const f of names) {
    const s = load(f.slice(0, -'.json'.length));
    console.log(s.name.padEnd(20), String(s.pid).padEnd(8), alive(s) ? 'running' : 'gone');
  }
  return 0;
}

/** Kill the container; its supervisor cleans up (or we do, when it is gone too). @param {string} name */
async function remove(name) {
  const s = load(name);
  if (alive(s)) process.kill(s.pid, 'SIGKILL');
  for (let i = 0; i < 100 && existsSync(stateFile(name)); i++) await sleep(50);
  if (existsSync(stateFile(name))) await cleanup(s);
  rmSync(logFile(name), { force: true });
  return 0;
}

// ───────────────────────────────────────────────────────────────────────── helpers

/** The exit status as a shell shows it: the program's code, or 128 + the signal that killed it.
 * @param {import('./nslab.mjs').Child} child */
async function exitCode(child) {
  const { code, signal } = await child.exited;
  return code ?? 128 + (signal ? os.signals[signal] : 0);
}

/** A name is one path component of ours: no "/", no "..". @param {string} name */
function checkName(name) {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`${name}: a name has letters, digits, _ . - only`);
  return name;
}

/** @param {string} name @returns {State} */
function load(name) {
  if (!existsSync(stateFile(checkName(name)))) throw new Error(`no container named ${name}`);
  return JSON.parse(readFileSync(stateFile(name), 'utf8'));
}

/** Is the container's process the one we started (same pid and start time, /proc/PID/stat field 22)? @param {State} s */
function alive(s) {
  try {
    const stat = readFileSync(`/proc/${s.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === s.started;
  } catch {
    return false;
  }
}

/** The program's path inside the container: the first PATH directory that has it under one of `roots`.
 * @param {string} cmd @param {string[]} roots */
function which(cmd, roots) {
  if (cmd.includes('/')) return cmd;
  for (const dir of PATH.split(':'))
    for (const root of roots) if (cmd && lstatSync(join(root, dir, cmd), { throwIfNoEntry: false })) return join(dir, cmd);
  throw new Error(`${cmd || 'no command'}: not found in ${roots.join(', ')}`);
}

/** `ip ARGS` in the caller's network namespace (pid 0) or in that of `pid` (joined with a setns action).
 * @param {number} pid @param {...string} args */
async function ip(pid, ...args) {
  /** @type {Action[]} */
  const actions = pid ? [{ do: 'setns', path: `/proc/${pid}/ns/net`, ns: 'net' }] : [];
  const r = await nslab.run({ argv: [which('ip', ['/']), ...args], actions });
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The files that set each limit asked for, in cgroup v1 and in cgroup v2. @param {RunOptions} o */
function limits(o) {
  /** @type {{ controller: string, v1: Record<string, string>, v2: Record<string, string> }[]} */
  const out = [];
  if (o.cpus !== undefined) {
    const quota = String(Math.round(o.cpus * 100000));
    out.push({ controller: 'cpu', v1: { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': quota }, v2: { 'cpu.max': `${quota} 100000` } });
  }
  if (o.memory !== undefined) out.push({ controller: 'memory', v1: { 'memory.limit_in_bytes': String(o.memory) }, v2: { 'memory.max': String(o.memory) } });
  if (o.pids !== undefined) out.push({ controller: 'pids', v1: { 'pids.max': String(o.pids) }, v2: { 'pids.max': String(o.pids) } });
  return out;
}

/** Where a controller is: the cgroup v1 mount that has it, else the cgroup2 mount that offers it.
 * @param {string} controller @returns {{ mount: string, v2: boolean }} */
function cgroupMount(controller) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    if (!right || !left) return [];
    const [fstype = '', , options = ''] = right.split(' ');
    return [{ mount: left.split(' ')[4] ?? '', fstype, options: options.split(',') }];
  });
  const v1 = mounts.filter((m) => m.fstype === 'cgroup' && m.options.includes(controller)).pop();
  if (v1) return { mount: v1.mount, v2: false };
  const v2 = mounts.filter((m) => m.fstype === 'cgroup2').pop();
  if (v2 && readFileSync(join(v2.mount, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)) {
    handDown(v2.mount, controller);
    return { mount: v2.mount, v2: true };
  }
  throw new Error(`no cgroup hierarchy here has the ${controller} controller`);
}

/**
 * cgroup v2: a group's limit files for a controller exist only when its parent hands the
 * controller down (+controller in the parent's cgroup.subtree_control), and a group that hands
 * controllers down may hold no process itself (with processes, a threaded controller such as cpu
 * would even make it a thread root, where memory is refused). Only the hierarchy's real root is
 * exempt (it has no cgroup.type): the root of a cgroup namespace (a playground's, a container's)
 * is a group like any other. Its processes move to a leaf first, ROOT/minidock.init, as
 * docker-in-docker does.
 * @param {string} root @param {string} controller
 */
function handDown(root, controller) {
  const words = (/** @type {string} */ f) => readFileSync(join(root, f), 'utf8').split(/\s+/).filter(Boolean);
  if (words('cgroup.subtree_control').includes(controller)) return;
  for (let round = 0; ; round++) {
    const pids = existsSync(join(root, 'cgroup.type')) ? words('cgroup.procs') : [];
    if (pids.length > 0) mkdirSync(join(root, 'minidock.init'), { recursive: true });
    for (const pid of pids)
      try {
        writeFileSync(join(root, 'minidock.init', 'cgroup.procs'), pid);
      } catch {
        // gone already
      }
    try {
      writeFileSync(join(root, 'cgroup.subtree_control'), `+${controller}`);
      return;
    } catch (e) {
      const err = /** @type {NodeJS.ErrnoException} */ (e);
      if (err.code !== 'EBUSY' || round >= 20) throw new Error(`cannot hand ${controller} down in ${root}/cgroup.subtree_control: ${err.message}`);
    }
  }
}

/** "64m" → 67108864. @param {string} s */
function bytes(s) {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(s);
  if (!m) throw new Error(`--memory ${s}: not a size (e.g. 64m)`);
  return Math.round(Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()));
}

/** @param {string[]} args @returns {RunOptions} */
function parseRun(args) {
  /** @type {RunOptions} */
  const o = { name: `md${process.pid}`, net: false, user: false, detach: false, argv: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--') {
      o.argv = args.slice(i + 1);
      break;
    } else if (a === '--name') o.name = value();
    else if (a === '--hostname') o.hostname = value();
    else if (a === '--image') o.image = resolve(value());
    else if (a === '--layers') o.layers = value().split(':').map((d) => resolve(d));
    else if (a === '--net') o.net = true;
    else if (a === '--ip') [o.ip, o.net] = [value(), true];
    else if (a === '--cpus') o.cpus = Number(value());
    else if (a === '--memory') o.memory = bytes(value());
    else if (a === '--pids') o.pids = Number(value());
    else if (a === '--user') o.user = true;
    else if (a === '--detach' || a === '-d') o.detach = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else {
      o.argv = args.slice(i);
      break;
    }
  }
  checkName(o.name);
  if (o.net && !o.ip) throw new Error('--net needs --ip A.B.C.D/24');
  if (o.argv.length === 0) throw new Error('no command: minidock run [OPTIONS] -- CMD [ARG...]');
  return o;
}

/** @param {string[]} argv */
async function main([cmd, ...args]) {
  if (cmd === 'run') return run(parseRun(args));
  if (cmd === 'exec' && args[0] && args.length > 1) return exec(args[0], args.slice(args[1] === '--' ? 2 : 1));
  if (cmd === 'ps') return ps();
  if (cmd === 'rm' && args[0]) return remove(args[0]);
  throw new Error('usage: minidock run [OPTIONS] -- CMD [ARG...] | exec NAME -- CMD [ARG...] | ps | rm NAME');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`minidock: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(125);
  },
);
