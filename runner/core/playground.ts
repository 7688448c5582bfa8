// The playground of `nslab try`: a root shell that looks like a host and keeps the real one out of
// reach — its own mount (private, fresh /proc, /tmp and /dev/shm), UTS (hostname "playground"),
// IPC, network (lo up) and PID namespaces, and a cgroup of nslab's own as each hierarchy's root
// (v1: the group bind-mounted over the controller's mount point; v2: a cgroup namespace and a
// fresh cgroup2 mount). Its shell (or a script) is PID 1 there: when it exits, the kernel kills
// everything the learner started, and the cgroups, directories and places nslab made go by the
// run's cleanup stack and journal like any lab run's.
//
// Inside, `check`, `hint`, `answer` and `task` are shell functions that talk to this process
// through two FIFOs in the run's private directory: a request line "cmd<TAB>arg", then a reply
// whose first line is the exit status.
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, writeFileSync, accessSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { NAMESPACES, nsInode, packageRoot, run, type Child, type Namespace, type RunResult, type SetupAction } from '../../addon/index.js';
import { recoverAll } from './cleanup.js';
import { LabContext } from './context.js';
import { checkRequirements } from './engine.js';
import type { ConditionResult, Exercise, Judgement, PgProcess, PlaygroundView } from './exercise.js';
import { errorText, LabError, say, t, type Lab, type Lang, type Text } from './model.js';
import { ensureRunDir } from './paths.js';
import { mountsOf, readLines, tryRead } from './proc.js';
import { useNetnsDirs } from './shared.js';
import { dmEnv, subgroups } from './undo.js';

export const PLAYGROUND_HOSTNAME = 'playground';
/** The unprivileged account the playground provides (07: "as uid 1000"). */
export const LEARNER_UID = 1000;

/** Why a playground could not be opened here (a requirement, or an exercise that needs the VM). */
export class PlaygroundUnavailable extends Error {
  constructor(
    readonly reason: Text,
    readonly remedy?: Text,
  ) {
    super(remedy !== undefined ? `${reason.en}; ${remedy.en}` : reason.en);
    this.name = 'PlaygroundUnavailable';
  }
}

export interface PlaygroundOptions {
  readonly lang: Lang;
  readonly signal: AbortSignal;
  /** Run these bash commands instead of an interactive shell, then `check` (tests, teachers). */
  readonly script?: string;
  /** Where the script's output goes (default: inherited). */
  readonly output?: 'inherit' | 'pipe';
  /** Each `check`, as it is judged (the front records progress). */
  readonly onJudge?: (j: Judgement) => void;
  readonly onLog?: (line: string) => void;
  /** Called once the playground's PID 1 exists (tests: to signal nslab while it runs). */
  readonly onStart?: (pid: number) => void;
}

export interface PlaygroundRun {
  /** The shell's (or script's) exit status. */
  readonly code: number;
  readonly judgements: readonly Judgement[];
  /** With output 'pipe': what the playground printed. */
  readonly output: string;
  readonly removed: string[];
  readonly errors: string[];
}

/** Judge the playground now: observe, then every condition; a condition that throws is a miss. */
export async function judge<O>(lab: Lab, ex: Exercise<O>, view: PlaygroundView, lang: Lang): Promise<Judgement> {
  let o: O;
  try {
    o = await ex.observe(view);
  } catch (e) {
    return { lab: lab.id, exercise: ex.id, done: false, conditions: [], error: errorText(e, lang) };
  }
  const conditions: ConditionResult[] = ex.conditions.map((c) => {
    const description = c.description[lang];
    try {
      const r = c.evaluate(o);
      const shown = { observed: say(r.observed, lang), expected: say(r.expected, lang) };
      if (r.skip !== undefined) return { id: c.id, description, status: 'skipped', ...shown, reason: r.skip[lang] };
      if (r.pass === true) return { id: c.id, description, status: 'passed', ...shown };
      return { id: c.id, description, status: 'failed', ...shown, ...(r.hint !== undefined ? { hint: r.hint[lang] } : {}) };
    } catch (e) {
      return { id: c.id, description, status: 'failed', observed: errorText(e, lang), expected: '', reason: errorText(e, lang) };
    }
  });
  return { lab: lab.id, exercise: ex.id, done: conditions.length > 0 && conditions.every((c) => c.status === 'passed'), conditions };
}

const W = {
  observed: t('observed', '观察到'),
  expected: t('expected', '预期'),
  hint: t('hint', '提示'),
  skipped: t('skipped', '跳过'),
  looked: t('looked at', '查看了'),
  done: t('done: every condition holds. Type exit to leave (everything here is removed).', '完成：每个条件都成立。输入 exit 离开（这里的一切都会被删除）。'),
  notYet: t('not yet', '还没有完成'),
  error: t('could not look', '无法查看'),
};

/** A judgement as the shell prints it. */
export function judgementText(j: Judgement, ex: Exercise<unknown>, lang: Lang): string {
  const lines: string[] = [];
  const colon = lang === 'zh' ? '：' : ': ';
  if (j.error !== undefined) lines.push(`✗ ${W.error[lang]}${colon}${j.error}`);
  for (const c of j.conditions) {
    const mark = c.status === 'passed' ? '✓' : c.status === 'skipped' ? '-' : '✗';
    lines.push(`${mark} ${c.description}`);
    lines.push(`    ${W.observed[lang]}${colon}${c.observed}`);
    if (c.status !== 'passed') lines.push(`    ${W.expected[lang]}${colon}${c.expected}`);
    if (c.hint !== undefined) lines.push(`    → ${W.hint[lang]}${colon}${c.hint}`);
    if (c.reason !== undefined) lines.push(`    ${c.status === 'skipped' ? W.skipped[lang] : '!'}${colon}${c.reason}`);
  }
  lines.push(`${W.looked[lang]}${colon}${ex.looksAt[lang]}`);
  const passed = j.conditions.filter((c) => c.status === 'passed').length;
  lines.push(j.done ? W.done[lang] : `${W.notYet[lang]}${colon}${passed}/${ex.conditions.length}`);
  return lines.join('\n');
}

const pathOf = (name: string): string | undefined => {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    try {
      accessSync(join(dir, name), fsConstants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
};

const NS_FILE: Record<Namespace, string> = { uts: 'uts', ipc: 'ipc', pid: 'pid', mnt: 'mnt', net: 'net', user: 'user', cgroup: 'cgroup' };

function inodes(pid: number | 'self'): Record<Namespace, number> {
  const out = {} as Record<Namespace, number>;
  for (const ns of NAMESPACES) {
    try {
      out[ns] = nsInode(pid, ns);
    } catch {
      out[ns] = 0;
    }
  }
  return out;
}

/** One process as /proc shows it to the host; undefined once it is gone. */
export function processInfo(pid: number, level = 1): PgProcess | undefined {
  const status = tryRead(`/proc/${pid}/status`);
  if (status === undefined) return undefined;
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  const nums = (name: string) => field(name).split(/\s+/).filter(Boolean).map(Number);
  const cmdline = tryRead(`/proc/${pid}/cmdline`) ?? '';
  const nspid = nums('NSpid');
  return {
    pid,
    inside: nspid[level] ?? 0,
    ppid: Number(field('PPid')) || 0,
    nspid,
    comm: field('Name'),
    argv: cmdline.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1),
    ns: inodes(pid),
    uid: nums('Uid'),
    gid: nums('Gid'),
  };
}

/** Every pid in a cgroup and the groups below it. */
function pidsBelow(dir: string, into: Set<number>): void {
  for (const p of readLines(join(dir, 'cgroup.procs'))) if (/^\d+$/.test(p)) into.add(Number(p));
  for (const n of subgroups(dir)) pidsBelow(join(dir, n), into);
}

/** The directories from below /tmp down to `path` itself: /tmp/a/b → /tmp/a, /tmp/a/b. */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(1).map((_, i) => `/${parts.slice(0, i + 2).join('/')}`);
}

/** PF_EXITING in /proc/PID/stat's flags: the process is on its way out (or already gone). */
function exiting(pid: number): boolean {
  const stat = tryRead(`/proc/${pid}/stat`);
  if (stat === undefined) return true;
  const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
  return (flags & 0x4) !== 0;
}

/** Thaw a cgroup and every group below it (v1 freezer.state, v2 cgroup.freeze). */
function thawBelow(dir: string): void {
  for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']] as const)
    try {
      if (existsSync(join(dir, file))) writeFileSync(join(dir, file), value);
    } catch {
      // gone, or not a freezer here
    }
  for (const n of subgroups(dir)) thawBelow(join(dir, n));
}

/** The cgroup hierarchies mounted on the host: v1 ones by mount point, and the cgroup2 one. */
function hierarchies(): { v1: { mount: string; cpuset: boolean; options: string }[]; v2?: string } {
  const mounts = mountsOf();
  const v1 = mounts
    .filter((m) => m.fstype === 'cgroup')
    .map((m) => ({ mount: m.target, cpuset: m.superOptions.includes('cpuset'), options: m.superOptions.filter((o) => o !== 'rw' && o !== 'ro').join(',') }));
  const v2 = mounts.find((m) => m.fstype === 'cgroup2')?.target;
  // A hierarchy mounted twice (or below another mount) is used once, at its first mount point.
  const seen = new Set<string>();
  const unique = v1.filter((h) => (seen.has(h.mount) ? false : (seen.add(h.mount), true)));
  return v2 !== undefined ? { v1: unique, v2 } : { v1: unique };
}

/** The rc file the interactive shell reads: the prompt. */
function rcText(prompt: string): string {
  return `# nslab try
PS1=${JSON.stringify(prompt)}
`;
}

/**
 * check, hint, answer and task: small programs in a directory on the shell's PATH (so a shell
 * nested in unshare or nsenter has them too) that send one request line and print the reply.
 */
const ASK = `#!/usr/bin/env bash
# nslab try: ask nslab (it judges from outside the playground), print its reply.
arg="$*"
printf '%s\\t%s\\n' "\${0##*/}" "\${arg//$'\\n'/ }" >"$NSLAB_REQ" || exit 2
{ IFS= read -r s; cat; } <"$NSLAB_RESP"
exit "\${s:-2}"
`;

function writeCommands(dir: string): void {
  mkdirSync(dir, { mode: 0o700 });
  for (const name of ['check', 'hint', 'answer', 'task']) writeFileSync(join(dir, name), ASK, { mode: 0o700 });
}

/** /etc/passwd and /etc/group with a uid/gid 1000 account when the host has none. */
function learnerFiles(dir: string): { passwd?: string; group?: string } {
  const out: { passwd?: string; group?: string } = {};
  const passwd = tryRead('/etc/passwd') ?? '';
  if (!passwd.split('\n').some((l) => l.split(':')[2] === String(LEARNER_UID))) {
    out.passwd = join(dir, 'passwd');
    writeFileSync(out.passwd, `${passwd.replace(/\n?$/, '\n')}learner:x:${LEARNER_UID}:${LEARNER_UID}:nslab learner:/tmp:/bin/bash\n`, { mode: 0o644 });
  }
  const group = tryRead('/etc/group') ?? '';
  if (!group.split('\n').some((l) => l.split(':')[2] === String(LEARNER_UID))) {
    out.group = join(dir, 'group');
    writeFileSync(out.group, `${group.replace(/\n?$/, '\n')}learner:x:${LEARNER_UID}:\n`, { mode: 0o644 });
  }
  return out;
}

/**
 * Why an exercise cannot run here (its lab's and its own requirements, the VM, the playground's
 * tools), or undefined when it can: `openPlayground` refuses with it, `try --list`/`--report` show it.
 */
export async function whyUnavailable(lab: Lab, ex: Exercise<unknown>): Promise<PlaygroundUnavailable | undefined> {
  if (ex.vmOnly && process.env.NSLAB_IN_VM !== '1')
    return new PlaygroundUnavailable(
      t(`exercise ${lab.id}/${ex.id} needs what only the VM gives (device-mapper, loop devices)`, `练习 ${lab.id}/${ex.id} 需要只有虚拟机才提供的东西（device-mapper、loop 设备）`),
      t(`run it with --vm: nslab try ${lab.id} ${ex.id} --vm`, `请加 --vm 运行：nslab try ${lab.id} ${ex.id} --vm`),
    );
  const req = await checkRequirements({ ...lab, requirements: [...lab.requirements, ...(ex.requirements ?? [])] });
  if (!req.ok) return new PlaygroundUnavailable(req.reason, req.remedy);
  for (const tool of ['bash', 'ip', 'mkfifo'])
    if (pathOf(tool) === undefined)
      return new PlaygroundUnavailable(t(`the ${tool} command is not installed`, `没有安装 ${tool} 命令`), t('install it (Debian: bash, iproute2, coreutils)', '请安装它（Debian：bash、iproute2、coreutils）'));
  return undefined;
}

/**
 * Open a playground for one exercise, wait for its shell (or script) to end, and remove it all.
 * Throws PlaygroundUnavailable when the lab or the exercise cannot run here.
 */
export async function openPlayground<O>(lab: Lab, ex: Exercise<O>, opts: PlaygroundOptions): Promise<PlaygroundRun> {
  const lang = opts.lang;
  const blocked = await whyUnavailable(lab, ex);
  if (blocked) throw blocked;
  // A run already stopped opens nothing (lab 13 opens one playground per level).
  if (opts.signal.aborted) throw new LabError(t('stopped before the playground opened', '练习场打开之前已被停止'));
  ensureRunDir();
  recoverAll(lang);
  const ctx = new LabContext(lab, lang, opts.signal, (ev) => {
    if (ev.type === 'log' && opts.onLog) opts.onLog(ev.line);
  });
  const judgements: Judgement[] = [];
  let leftovers: string[] = [];
  const leftoverErrors: string[] = [];
  let leftoversDone = false;
  /** What the learner made outside the namespaces (lab 12: dm and loop devices), once. */
  const removeLeftovers = async () => {
    if (leftoversDone || !ex.leftovers || workDir === undefined) return;
    leftoversDone = true;
    try {
      leftovers = [...(await ex.leftovers(workDir))];
    } catch (e) {
      leftoverErrors.push(errorText(e, lang));
    }
  };
  let workDir: string | undefined;
  let output = '';
  let code = 1;
  try {
    const dir = ctx.publicScratch(); // 0755: the learner's uid 1000 can reach it
    workDir = dir;
    const own = ctx.scratch(); // 0700: the FIFOs and the rc file
    if (ex.setup) await ex.setup(dir, ctx.cleanup.name('pg'));
    const req = join(own, 'req');
    const resp = join(own, 'resp');
    execFileSync(pathOf('mkfifo')!, ['-m', '600', req, resp]);
    const rc = join(own, 'rc');
    writeFileSync(rc, rcText(`[nslab try ${lab.id}/${ex.id}] \\u@\\h:\\w\\$ `), { mode: 0o600 });
    const bin = join(own, 'bin');
    writeCommands(bin);
    const account = learnerFiles(own);

    // Cgroups first: one group of ours in every hierarchy, each the playground's root there.
    const h = hierarchies();
    if (h.v2 !== undefined && ex.v2Controllers !== undefined) {
      // The exercise hands a controller down: one of its list on in the cgroup2 root's
      // subtree_control (then in our group's cgroup.controllers), switched off again at the end.
      // An entry may name several controllers joined by '+' ('cpu+memory+pids'): all of them.
      const v2 = h.v2;
      const words = (f: string) => (tryRead(join(v2, f)) ?? '').trim().split(/\s+/).filter(Boolean);
      const offered = words('cgroup.controllers');
      const on = words('cgroup.subtree_control');
      const entries = ex.v2Controllers.map((e) => e.split('+').filter(Boolean));
      const pick = entries.find((cs) => cs.length > 0 && cs.every((c) => offered.includes(c)));
      if (pick !== undefined && !entries.some((cs) => cs.length > 0 && cs.every((c) => on.includes(c)))) {
        const file = join(v2, 'cgroup.subtree_control');
        for (const c of pick.filter((x) => !on.includes(x)))
          try {
            ctx.cleanup.createSync({ kind: 'subtree', mount: v2, controller: c }, t(`+${c} in ${file}`, `${file} 中的 +${c}`), () => writeFileSync(file, `+${c}`));
          } catch (e) {
            throw new PlaygroundUnavailable(t(`cannot switch on ${c} in ${file}: ${(e as Error).message}`, `无法在 ${file} 中打开 ${c}：${(e as Error).message}`));
          }
      }
    }
    const groups: { mount: string; path: string; v2: boolean; options: string }[] = [];
    for (const m of [...h.v1.map((x) => ({ ...x, v2: false })), ...(h.v2 !== undefined ? [{ mount: h.v2, cpuset: false, v2: true, options: '' }] : [])]) {
      const path = join(m.mount, ctx.cleanup.name('pg'));
      ctx.cleanup.createSync({ kind: 'cgroup', path, killAll: true }, t(`playground cgroup ${path}`, `练习场的 cgroup ${path}`), () => mkdirSync(path));
      if (m.cpuset)
        for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(path, f), (tryRead(join(m.mount, f)) ?? '').trim() || '0');
      groups.push({ mount: m.mount, path, v2: m.v2, options: m.options });
    }
    // ip netns add inside makes /run/netns: give it a tmpfs of the playground's own there.
    const netnsPlaces = ['/run/netns', '/etc/netns'];
    ctx.cleanup.createSync({ kind: 'netnsDirs' }, t('/run/netns and /etc/netns as before the first run that used them', '/run/netns 与 /etc/netns（恢复到第一次使用它们之前的样子）'), () => {
      useNetnsDirs(ctx.cleanup.run.dir);
      for (const p of netnsPlaces) mkdirSync(p, { recursive: true, mode: 0o755 });
    }, { keepOnFailure: true });

    const pkg = packageRoot();
    const underTmp = pkg.startsWith('/tmp/');
    const hold = join(own, 'pkg');
    if (underTmp) mkdirSync(hold, { mode: 0o700 });
    const tmpfs = (target: string, mode = '1777'): SetupAction => ({ do: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: ['nosuid', 'nodev'], data: `mode=${mode},size=64m` });
    const actions: SetupAction[] = [
      { do: 'wait' },
      { do: 'makePrivate' },
      { do: 'sethostname', name: PLAYGROUND_HOSTNAME },
      { do: 'unshare', namespaces: ['cgroup'] },
      { do: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
      // nslab's own package below /tmp (a clone there, a CI checkout) stays visible above the
      // playground's /tmp: held aside, then moved back onto the same path in the new tmpfs.
      ...(underTmp ? [{ do: 'mount', source: pkg, target: hold, flags: ['bind', 'rec'] } as SetupAction] : []),
      // The world-writable places get a private tmpfs of the playground's own (its mount namespace
      // is private already): nothing the learner or nslab writes there reaches the host's.
      tmpfs('/tmp'),
      ...(underTmp
        ? [
            ...ancestors(pkg).map((path): SetupAction => ({ do: 'mkdir', path, mode: 0o755 })),
            { do: 'mount', source: hold, target: pkg, flags: ['move'] } as SetupAction,
          ]
        : []),
      ...(existsSync('/dev/shm') ? [tmpfs('/dev/shm')] : []),
      ...(existsSync('/dev/mqueue') ? [{ do: 'mount', source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: ['nosuid', 'nodev', 'noexec'] } as SetupAction] : []),
      ...netnsPlaces.map((p) => tmpfs(p, '755')),
      // The host's hierarchy goes, a fresh mount of the same one takes its place: in the cgroup
      // namespace, its root is our group (the kernel refuses the same hierarchy over itself).
      ...groups.flatMap((g): SetupAction[] => [
        { do: 'umount', target: g.mount, detach: true },
        { do: 'mount', source: g.v2 ? 'cgroup2' : 'cgroup', target: g.mount, fstype: g.v2 ? 'cgroup2' : 'cgroup', flags: ['nosuid', 'nodev', 'noexec'], ...(g.v2 ? {} : { data: g.options }) },
      ]),
      ...(account.passwd !== undefined ? [{ do: 'mount', source: account.passwd, target: '/etc/passwd', flags: ['bind'] } as SetupAction] : []),
      ...(account.group !== undefined ? [{ do: 'mount', source: account.group, target: '/etc/group', flags: ['bind'] } as SetupAction] : []),
      { do: 'chdir', path: dir },
    ];
    const bash = pathOf('bash')!;
    const argv = opts.script !== undefined ? [bash, '--norc', '--noprofile', '-c', `${opts.script}\ncheck`] : [bash, '--rcfile', rc, '-i'];
    const piped = opts.script !== undefined && opts.output === 'pipe';
    const { child, id } = ctx.spawn(
      {
        namespaces: ['mnt', 'uts', 'ipc', 'net', 'pid'],
        argv,
        actions,
        stdio: piped ? ['null', 'pipe', 'pipe'] : ['inherit', 'inherit', 'inherit'],
        env: {
          PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
          TERM: process.env.TERM ?? 'xterm',
          HOME: '/root',
          LANG: process.env.LANG ?? 'C.UTF-8',
          NSLAB_REQ: req,
          NSLAB_RESP: resp,
          NSLAB_RC: rc,
          NSLAB_EXERCISE: `${lab.id}/${ex.id}`,
          ...dmEnv(),
          // Names of things the learner makes outside the namespaces (lab 12's dm devices): with
          // this prefix, a crashed run's are found and removed by the next run (core/sweep.ts).
          NSLAB_NAME: ctx.cleanup.name('pg'),
        },
      },
      t('playground shell', '练习场的 shell'),
    );
    const collected: Buffer[] = [];
    if (piped) {
      child.stdout?.on('data', (b: Buffer) => collected.push(b));
      child.stderr?.on('data', (b: Buffer) => collected.push(b));
    }
    // SIGTERM and SIGHUP end the playground; Ctrl-C belongs to the shell.
    const teardown = () => child.kill('SIGKILL');
    process.on('SIGTERM', teardown);
    process.on('SIGHUP', teardown);
    opts.signal.addEventListener('abort', teardown, { once: true });
    if (opts.signal.aborted) teardown(); // stopped while the playground was being made
    const judge = new Judge(lab, ex, lang, req, resp);
    try {
      for (const g of groups) writeFileSync(join(g.path, 'cgroup.procs'), String(child.pid));
      // lo up, from the host side, before the shell runs.
      await run({ argv: [pathOf('ip')!, 'link', 'set', 'lo', 'up'], actions: [{ do: 'setns', path: `/proc/${child.pid}/ns/net` }], stdio: ['null', 'pipe', 'pipe'] });
      const view = makeView(lang, child, dir, groups, () => judge.answer);
      judge.start(view, (j) => {
        judgements.push(j);
        opts.onJudge?.(j);
      });
      child.go();
      await child.ready();
      opts.onStart?.(child.pid);
      // A task frozen by the v1 freezer cannot die, and PID 1 cannot finish exiting until every
      // task of its namespace has: once PID 1 is exiting, thaw whatever the learner froze.
      const watch = setInterval(() => {
        if (exiting(child.pid)) for (const g of groups) thawBelow(g.path);
      }, 100);
      let status;
      try {
        status = await child.exited;
      } finally {
        clearInterval(watch);
      }
      code = status.code ?? 128 + 9;
    } finally {
      process.off('SIGTERM', teardown);
      process.off('SIGHUP', teardown);
      opts.signal.removeEventListener('abort', teardown);
      await judge.stop();
      ctx.cleanup.release(id);
      await removeLeftovers();
      if (opts.script === undefined) (await import('../../addon/index.js')).reclaimTerminal(0);
      output = Buffer.concat(collected).toString('utf8');
    }
  } catch (e) {
    await removeLeftovers();
    const left = [...leftoverErrors, ...ctx.finish().errors];
    if (left.length > 0) (e as Error).message += ` (and could not remove: ${left.join('; ')})`;
    throw e;
  }
  const done = ctx.finish();
  return { code, judgements, output, removed: [...leftovers, ...done.removed], errors: [...leftoverErrors, ...done.errors] };
}


function makeView(lang: Lang, child: Child, dir: string, groups: readonly { mount: string; path: string; v2: boolean }[], answer: () => string | undefined): PlaygroundView {
  const v1: Record<string, string> = {};
  let v2: string | undefined;
  for (const g of groups) {
    if (g.v2) v2 = g.path;
    else v1[g.mount] = g.path;
  }
  const ns = inodes(child.pid);
  const hostNs = inodes('self');
  return {
    lang,
    init: child.pid,
    ns,
    hostNs,
    hostname: PLAYGROUND_HOSTNAME,
    dir,
    cgroups: v2 !== undefined ? { v1, v2 } : { v1 },
    get answer() {
      return answer();
    },
    processes() {
      const pids = new Set<number>();
      for (const g of groups) pidsBelow(g.path, pids);
      // The playground's PID namespace is one level below the init's host one: NSpid's next entry.
      const level = Math.max(1, (processInfo(child.pid)?.nspid.length ?? 2) - 1);
      return [...pids]
        .sort((a, b) => a - b)
        .map((pid) => processInfo(pid, level))
        .filter((p): p is PgProcess => p !== undefined);
    },
    runIn(pid: number, namespaces: readonly Namespace[], argv: readonly string[]): Promise<RunResult> {
      const file = argv[0]!.includes('/') ? argv[0]! : pathOf(argv[0]!);
      if (file === undefined) throw new LabError(t(`the ${argv[0]} command is not installed on this host`, `这台主机没有安装 ${argv[0]} 命令`));
      const order: Namespace[] = ['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt'];
      const actions: SetupAction[] = order.filter((n) => namespaces.includes(n)).map((n) => ({ do: 'setns', path: `/proc/${pid}/ns/${NS_FILE[n]}` }));
      if (namespaces.includes('pid')) actions.push({ do: 'fork' });
      return run({ argv: [file, ...argv.slice(1)], actions, stdio: ['null', 'pipe', 'pipe'] });
    },
    hostPath(path: string, pid = child.pid): string {
      return path.startsWith('/') ? `/proc/${pid}/root${path}` : `/proc/${pid}/cwd/${path}`;
    },
  };
}

/** The nslab end of the FIFOs: one request at a time, answered in the learner's language. */
class Judge<O> {
  answer: string | undefined;
  private hintsShown = 0;
  private stopped = false;
  private requests: Socket | undefined;
  private lines: Interface | undefined;
  constructor(
    private readonly lab: Lab,
    private readonly ex: Exercise<O>,
    private readonly lang: Lang,
    private readonly req: string,
    private readonly resp: string,
  ) {}

  private running: Promise<void> = Promise.resolve();

  start(view: PlaygroundView, onJudge: (j: Judgement) => void): void {
    // O_RDWR: the FIFO always has a writer (us), so reads wait for a request instead of seeing EOF.
    // Read through the event loop (a socket on the non-blocking fd), never with a blocking read in
    // libuv's thread pool: such a read would keep nslab from exiting on any path that skips stop().
    const fd = openSync(this.req, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    this.requests = new Socket({ fd, readable: true, writable: false });
    this.requests.on('error', () => undefined);
    this.lines = createInterface({ input: this.requests, crlfDelay: Infinity });
    this.running = this.loop(this.lines, view, onJudge);
  }

  private async loop(lines: Interface, view: PlaygroundView, onJudge: (j: Judgement) => void): Promise<void> {
    for await (const line of lines) {
      if (this.stopped) return;
      const tab = line.indexOf('\t');
      const cmd = tab < 0 ? line : line.slice(0, tab);
      const arg = tab < 0 ? '' : line.slice(tab + 1).trim();
      let status = 0;
      let text: string;
      try {
        ({ status, text } = await this.handle(cmd, arg, view, onJudge));
      } catch (e) {
        status = 2;
        text = errorText(e, this.lang);
      }
      if (this.stopped) return;
      await this.reply(`${status}\n${text}\n`);
      // (a reply nobody reads is dropped: the shell stopped listening, e.g. Ctrl-C during check)
    }
  }

  /** Write a reply once the shell opens the reply FIFO (non-blocking, so a stop never hangs on it). */
  private async reply(text: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!this.stopped && Date.now() < deadline) {
      let fd: number;
      try {
        fd = openSync(this.resp, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO') return; // not a reader missing: give up
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      try {
        writeFileSync(fd, text);
      } catch {
        // the reader went away
      } finally {
        closeSync(fd);
      }
      return;
    }
  }

  private async handle(cmd: string, arg: string, view: PlaygroundView, onJudge: (j: Judgement) => void): Promise<{ status: number; text: string }> {
    const lang = this.lang;
    const ex = this.ex;
    switch (cmd) {
      case 'check': {
        if (arg !== '') this.answer = arg;
        const j = await judge(this.lab, ex, view, lang);
        onJudge(j);
        return { status: j.done ? 0 : 1, text: judgementText(j, ex as Exercise<unknown>, lang) };
      }
      case 'hint': {
        if (this.hintsShown >= ex.hints.length)
          return {
            status: 1,
            text: t(
              `No more hints: check says what it saw; the reference solution is printed by nslab try ${this.lab.id} ${ex.id} --solution`,
              `没有更多提示了：check 会说出它看到了什么；参考答案可以用 nslab try ${this.lab.id} ${ex.id} --solution 打印`,
            )[lang],
          };
        const h = ex.hints[this.hintsShown++]!;
        return { status: 0, text: `${W.hint[lang]} ${this.hintsShown}/${ex.hints.length}${lang === 'zh' ? '：' : ': '}${h[lang]}` };
      }
      case 'answer': {
        if (arg === '') return { status: 1, text: t('answer what? e.g. answer 25', '回答什么？例如 answer 25')[lang] };
        this.answer = arg;
        return { status: 0, text: t(`noted: ${arg} (check will use it)`, `已记下：${arg}（check 会用到它）`)[lang] };
      }
      case 'task':
        return { status: 0, text: `${ex.title[lang]}\n${ex.task[lang]}` };
      default:
        return { status: 2, text: t(`unknown request ${cmd}`, `未知的请求 ${cmd}`)[lang] };
    }
  }

  /** Stop answering: wake the pending read (we hold a writer end too) and a reply waiting for a reader. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.lines?.close(); // ends the loop's iteration
    this.requests?.destroy();
    [this.lines, this.requests] = [undefined, undefined];
    await this.running;
  }

}

