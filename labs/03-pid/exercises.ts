// 03-pid, by hand: the learner nests PID namespaces inside the playground's. The checks read
// NSpid, PPid and /proc/PID/ns/{pid,pid_for_children} of every process from the host, which /proc
// a process sees (its root's /proc/1/ns/pid), and ask the kernel to fork into a namespace whose
// PID 1 is gone (nsenter on the host side: the fork fails, nothing is created).
import { readlinkSync } from 'node:fs';
import { exercise, t, tool, type PgProcess, type PlaygroundView, type Text } from '../../runner/kit/index.js';

/** A process as the learner knows it: its playground pid and its name. */
export interface Named {
  readonly inside: number;
  readonly comm: string;
}

/** A process that is PID 1 of a PID namespace nested in the playground's. */
export interface NestedInit extends Named {
  readonly pidNs: number;
  readonly mntNs: number;
  /** Its NSpid from the playground's level down (the last is 1). */
  readonly nspid: readonly number[];
  /** The PID namespace of the /proc it sees (that of the process that is 1 in it); 0: unreadable. */
  readonly procNs: number;
  /** What ps -e prints in its PID and mount namespaces (PID COMMAND), or undefined when it could not run. */
  readonly ps?: readonly string[];
}

/** A process whose children go to another PID namespace than its own (pid_for_children). */
export interface Forker extends Named {
  readonly ownNs: number;
  /** That namespace; 'none-yet' when it never had a process (the kernel shows no link until it has a PID 1). */
  readonly childNs: number | 'none-yet';
  /** Live processes of the playground in it. */
  readonly live: readonly Named[];
  /** When it has none: what a fork into it did (nsenter run on the host). */
  readonly forkThere?: { readonly ran: boolean; readonly ok: boolean; readonly error: string };
}

/** A process in a nested PID namespace and its parent, both as that namespace numbers them. */
export interface Nested extends Named {
  readonly pidNs: number;
  /** Its pid in its own namespace. */
  readonly own: number;
  /** Its parent: in the same namespace (its pid there), or outside it (what ps there shows as 0). */
  readonly parent?: Named & { readonly own: number; readonly sameNs: boolean };
}

export interface PidWorld {
  readonly playgroundPidNs: number;
  readonly playgroundMntNs: number;
  /** The PID namespace of the playground's own /proc (through its PID 1's root). */
  readonly playgroundProcNs: number;
  readonly inits: readonly NestedInit[];
  readonly forkers: readonly Forker[];
  readonly nested: readonly Nested[];
  readonly answer: string | undefined;
}

const inodeOf = (link: string): number => Number(/\[(\d+)\]/.exec(link)?.[1] ?? 0);

/** The inode a /proc/…/ns link points to; 'none' when the kernel shows no link (ENOENT); 0 unreadable. */
function nsLink(path: string): number | 'none' {
  try {
    return inodeOf(readlinkSync(path));
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : 0;
  }
}

const named = (p: PgProcess): Named => ({ inside: p.inside, comm: p.comm });

async function pidWorld(pg: PlaygroundView, opts: { ps?: boolean; probe?: boolean } = {}): Promise<PidWorld> {
  const procs = pg.processes().filter((p) => p.ns.pid !== 0);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  // NSpid from the host: the playground's PID 1 has [host, 1]; deeper entries mean nested namespaces.
  const base = byPid.get(pg.init)?.nspid.length ?? 2;
  const nestedOnes = procs.filter((p) => p.nspid.length > base);

  const inits: NestedInit[] = [];
  for (const p of nestedOnes.filter((q) => q.nspid.at(-1) === 1)) {
    const procNs = nsLink(`/proc/${p.pid}/root/proc/1/ns/pid`);
    let ps: string[] | undefined;
    if (opts.ps !== false) {
      const r = await pg.runIn(p.pid, ['pid', 'mnt'], ['ps', '-e', '-o', 'pid=,comm=']).catch(() => undefined);
      if (r !== undefined && r.code === 0) ps = r.stdout.split('\n').map((l) => l.trim().replace(/\s+/, ' ')).filter(Boolean);
    }
    inits.push({
      ...named(p),
      pidNs: p.ns.pid,
      mntNs: p.ns.mnt,
      nspid: p.nspid.slice(base - 1),
      procNs: typeof procNs === 'number' ? procNs : 0,
      ...(ps !== undefined ? { ps } : {}),
    });
  }

  const forkers: Forker[] = [];
  for (const p of procs) {
    const child = nsLink(`/proc/${p.pid}/ns/pid_for_children`);
    if (child === 0 || child === p.ns.pid) continue;
    const live = child === 'none' ? [] : procs.filter((q) => q.ns.pid === child).map(named);
    let forkThere: Forker['forkThere'];
    if (opts.probe === true && child !== 'none' && live.length === 0) {
      // Its PID 1 has been and gone: the kernel refuses any new process there, so this creates nothing.
      const r = await pg.runIn(p.pid, [], ['nsenter', `--pid=/proc/${p.pid}/ns/pid_for_children`, '--', 'true']).catch((e: Error) => ({ code: undefined, stderr: e.message }));
      forkThere = { ran: r.code !== undefined && r.code !== null, ok: r.code === 0, error: r.stderr.trim().replace(/^nsenter: /, '') };
    }
    forkers.push({ ...named(p), ownNs: p.ns.pid, childNs: child === 'none' ? 'none-yet' : child, live, ...(forkThere !== undefined ? { forkThere } : {}) });
  }

  const nested: Nested[] = nestedOnes.map((p) => {
    const parent = byPid.get(p.ppid);
    return {
      ...named(p),
      pidNs: p.ns.pid,
      own: p.nspid.at(-1) ?? 0,
      ...(parent !== undefined ? { parent: { ...named(parent), own: parent.nspid.at(-1) ?? 0, sameNs: parent.ns.pid === p.ns.pid } } : {}),
    };
  });

  const procNs = nsLink(pg.hostPath('/proc/1/ns/pid'));
  return {
    playgroundPidNs: pg.ns.pid,
    playgroundMntNs: pg.ns.mnt,
    playgroundProcNs: typeof procNs === 'number' ? procNs : 0,
    inits,
    forkers,
    nested,
    answer: pg.answer,
  };
}

const who = (p: Named) => `${p.comm}[${p.inside}]`;
const list = (ps: readonly Named[]) => (ps.length === 0 ? '-' : ps.map(who).join(', '));

/** unshare --pid without --fork: children of this process would go to a namespace it is not in. */
const unforkedHint = (o: PidWorld): Text | undefined => {
  const f = o.forkers.find((x) => x.live.length === 0);
  return f === undefined
    ? undefined
    : t(
        `${who(f)} made a new PID namespace for its children but is not in it itself: unshare --pid without --fork runs your command in the playground's namespace. Add --fork, so that the command is the new namespace's first process (PID 1).`,
        `${who(f)} 为它的子进程建了一个新的 PID namespace，自己却不在里面：不带 --fork 的 unshare --pid 让你的命令留在练习场的 namespace 里。加上 --fork，命令才会成为新 namespace 的第一个进程（1 号进程）。`,
      );
};

const initsText = (o: PidWorld): Text =>
  o.inits.length === 0
    ? t('no process is PID 1 of a PID namespace below the playground\'s', '没有进程是练习场之下某个 PID namespace 的 1 号进程')
    : t(
        o.inits.map((i) => `${who(i)}: NSpid ${i.nspid.join(' ')} in pid:[${i.pidNs}]`).join('; '),
        o.inits.map((i) => `${who(i)}：NSpid ${i.nspid.join(' ')}，在 pid:[${i.pidNs}] 中`).join('；'),
      );

const nestedInit = {
  id: 'nested-init',
  description: t("A process of the playground is PID 1 of a PID namespace nested in the playground's.", '练习场里有一个进程是嵌套在练习场之下的某个 PID namespace 的 1 号进程。'),
  evaluate: (o: PidWorld) => {
    const pass = o.inits.length > 0;
    return {
      observed: initsText(o),
      expected: t(`NSpid <pid> 1, in pid:[≠${o.playgroundPidNs}]`, `NSpid <pid> 1，在 pid:[≠${o.playgroundPidNs}] 中`),
      pass,
      ...(pass
        ? {}
        : {
            hint:
              unforkedHint(o) ??
              t(
                'no process is in a PID namespace below the playground\'s: unshare --pid --fork runs a command as PID 1 of a new one; keep it alive (sleep 600, &).',
                '没有进程处于练习场之下的 PID namespace：unshare --pid --fork 让命令成为新 namespace 的 1 号进程；让它一直活着（sleep 600，&）。',
              ),
          }),
    };
  },
};

const psText = (i: NestedInit): string => (i.ps === undefined ? '?' : i.ps.join(', '));

export const freshPs = exercise<PidWorld>({
  id: 'fresh-ps',
  kind: 'do',
  title: t('A PID 1 whose ps shows only its own', '一个 ps 只列出自己人的 1 号进程'),
  task: t(
    "Leave a process running (a shell, or simply sleep 600 in the background) that is PID 1 of a new PID namespace (below the playground's), and whose /proc belongs to that namespace, so that ps there lists only the namespace's own processes. The playground's own /proc must stay as it is. Then type check.",
    '留下一个正在运行的进程（一个 shell，或者干脆是放在后台的 sleep 600）：它是一个新 PID namespace（在练习场之下）的 1 号进程，它看到的 /proc 属于这个 namespace，所以在那里运行 ps 只列出这个 namespace 自己的进程。练习场自己的 /proc 必须保持原样。然后输入 check。',
  ),
  hints: [
    t(
      'ps reads /proc, and a proc mount shows the PID namespace it was mounted for. A new PID namespace alone keeps the old /proc; a fresh one must be mounted, in a mount namespace of its own so the playground keeps its /proc.',
      'ps 读的是 /proc，而一个 proc 挂载显示的是挂载它时所属的 PID namespace。只建新的 PID namespace 仍会沿用旧的 /proc；必须挂载一个新的 proc，而且要在它自己的 mount namespace 里挂载，练习场才能保住自己的 /proc。',
    ),
    t('unshare --pid --fork puts the command at PID 1; --mount-proc adds a mount namespace with a fresh /proc.', 'unshare --pid --fork 让命令成为 1 号进程；--mount-proc 再加一个 mount namespace 并挂载新的 /proc。'),
    t('unshare --pid --fork --mount-proc sleep 600 &', 'unshare --pid --fork --mount-proc sleep 600 &（在后台运行）'),
  ],
  looksAt: t(
    'NSpid and /proc/PID/ns/{pid,mnt,pid_for_children} of every process in the playground, the PID namespace of the /proc each PID 1 sees (/proc/PID/root/proc/1/ns/pid), and ps -e run in its namespaces through setns',
    '练习场里每个进程的 NSpid 和 /proc/PID/ns/{pid,mnt,pid_for_children}，每个 1 号进程看到的 /proc 所属的 PID namespace（/proc/PID/root/proc/1/ns/pid），以及通过 setns 在它的 namespace 里运行的 ps -e',
  ),
  requirements: [tool('ps', 'procps')],
  observe: (pg) => pidWorld(pg, { ps: true }),
  conditions: [
    nestedInit,
    {
      id: 'own-proc',
      description: t(
        'The /proc that PID 1 sees is a proc of its own PID namespace: ps there lists only that namespace.',
        '这个 1 号进程看到的 /proc 是它自己 PID namespace 的 proc：在那里运行 ps 只列出这个 namespace 的进程。',
      ),
      evaluate: (o) => {
        const good = o.inits.find((i) => i.procNs === i.pidNs);
        const i = good ?? o.inits[0];
        const hint = (): Text => {
          if (i === undefined) return t('first make a process that is PID 1 of a new PID namespace (see the condition above).', '先做出一个新 PID namespace 的 1 号进程（见上一个条件）。');
          if (i.procNs === o.playgroundPidNs)
            return t(
              `${who(i)} is PID 1 of pid:[${i.pidNs}], but its /proc is still the playground's: ps there lists ${i.ps?.length ?? 'all'} processes of the playground. It needs a fresh proc, mounted in a mount namespace of its own: unshare --pid --fork --mount-proc.`,
              `${who(i)} 是 pid:[${i.pidNs}] 的 1 号进程，但它的 /proc 仍是练习场的：在那里运行 ps 会列出练习场的 ${i.ps?.length ?? '全部'} 个进程。它需要一个新的 proc，挂载在它自己的 mount namespace 里：unshare --pid --fork --mount-proc。`,
            );
          return t(
            `the /proc that ${who(i)} sees belongs to pid:[${i.procNs || '?'}], not to its own pid:[${i.pidNs}]: mount proc from inside the new PID namespace (unshare --mount-proc does it after the fork).`,
            `${who(i)} 看到的 /proc 属于 pid:[${i.procNs || '?'}]，而不是它自己的 pid:[${i.pidNs}]：要在新的 PID namespace 里面挂载 proc（unshare --mount-proc 会在 fork 之后做这件事）。`,
          );
        };
        return {
          observed:
            i === undefined
              ? '-'
              : t(`${who(i)}: its /proc is for pid:[${i.procNs || '?'}]; ps -e there: ${psText(i)}`, `${who(i)}：它的 /proc 属于 pid:[${i.procNs || '?'}]；在那里 ps -e：${psText(i)}`),
          expected: i === undefined ? t('a PID 1 whose /proc is for its own namespace', '一个 /proc 属于自己 namespace 的 1 号进程') : `pid:[${i.pidNs}]`,
          pass: good !== undefined,
          ...(good !== undefined ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'playground-proc',
      description: t("The playground's own /proc still belongs to the playground's PID namespace.", '练习场自己的 /proc 仍然属于练习场的 PID namespace。'),
      evaluate: (o) => {
        const pass = o.playgroundProcNs === o.playgroundPidNs;
        return {
          observed: `pid:[${o.playgroundProcNs || '?'}]`,
          expected: `pid:[${o.playgroundPidNs}]`,
          pass,
          ...(pass
            ? {}
            : {
                hint: t(
                  `the playground's own /proc now shows pid:[${o.playgroundProcNs || '?'}], so ps in the playground lists only that namespace: proc was mounted without a mount namespace of its own. Run umount /proc in the playground to uncover its own proc, and use unshare --mount-proc, which makes a mount namespace first.`,
                  `练习场自己的 /proc 现在显示的是 pid:[${o.playgroundProcNs || '?'}]，练习场里的 ps 只列出那个 namespace：proc 是在没有自己 mount namespace 的情况下挂载的。在练习场里运行 umount /proc，露出它原来的 proc，然后改用 unshare --mount-proc，它会先建一个 mount namespace。`,
                ),
              }),
        };
      },
    },
  ],
  solution: `unshare --pid --fork --mount-proc sleep 600 &
sleep 0.5`,
  nearMisses: [
    {
      id: 'no-mount-proc',
      what: t("a new PID namespace that still reads the playground's /proc", '新的 PID namespace 仍然读练习场的 /proc'),
      script: 'unshare --pid --fork sleep 600 &\nsleep 0.5',
      fails: 'own-proc',
      hint: "its /proc is still the playground's",
    },
    {
      id: 'proc-over-playground',
      what: t("mounts the new proc without a mount namespace: over the playground's /proc", '没有 mount namespace 就挂载新的 proc：盖住了练习场的 /proc'),
      script: "unshare --pid --fork sh -c 'mount -t proc proc /proc; exec sleep 600' &\nsleep 0.5",
      fails: 'playground-proc',
      hint: 'proc was mounted without a mount namespace of its own',
    },
    {
      id: 'no-fork',
      what: t('unshare --pid without --fork: the command stays outside', '不带 --fork 的 unshare --pid：命令留在外面'),
      script: 'unshare --pid --mount-proc sleep 600 &\nsleep 0.5',
      fails: 'nested-init',
      hint: 'Add --fork',
    },
  ],
});

// ——— What breaks: unshare --pid without --fork ———

const POINTS_AT_INIT = /pid\s*(?:#|no\.?|number)?\s*1\b|\binit\b|first\s+(?:child|process|command|program)|\breaper\b|1\s*号|第一个|首个/i;
const SAYS_IT_ENDED = /exit|die[ds]?\b|dead|death|ended|\bends?\b|gone|finish|terminat|quit|退出|结束|死|消失|没了|不在/i;
const BLAMES_MEMORY = /memory|\bram\b|oom|内存/i;

export const noFork = exercise<PidWorld>({
  id: 'no-fork',
  kind: 'break',
  title: t('What breaks: unshare --pid without --fork', '会坏掉什么：不带 --fork 的 unshare --pid'),
  task: t(
    'Run a shell with unshare --pid but without --fork, and let it start two programs one after the other: the second cannot start ("Cannot allocate memory"). Leave behind a process in that state — one whose new PID namespace for its children has lost its PID 1 (end its shell with exec sleep 600, in the background) — then answer in a sentence why the second program could not start, and check.',
    '用 unshare --pid 运行一个 shell，但不带 --fork，让它先后启动两个程序：第二个启动不了（“Cannot allocate memory”）。留下一个处于这种状态的进程——它为子进程准备的新 PID namespace 已经失去了 1 号进程（让那个 shell 以 exec sleep 600 结尾，并放到后台）——然后用一句话回答（answer …）第二个程序为什么启动不了，再输入 check。',
  ),
  hints: [
    t(
      'unshare(CLONE_NEWPID) does not move the caller: only its children go to the new namespace. Which process becomes PID 1 there, and how long does it live?',
      'unshare(CLONE_NEWPID) 不会移动调用者本身：只有它的子进程才进入新的 namespace。那么谁成了那里的 1 号进程？它活多久？',
    ),
    t(
      "Try it in the foreground first: unshare --pid bash, then ls twice (exit to leave). Then keep the evidence: unshare --pid sh -c 'ls >/dev/null; exec sleep 600' &",
      "先在前台试一下：unshare --pid bash，然后运行两次 ls（用 exit 退出）。再留下证据：unshare --pid sh -c 'ls >/dev/null; exec sleep 600' &",
    ),
    t(
      'nsenter --pid=/proc/PID/ns/pid_for_children ls (PID: the sleep) shows the failure again. Which process was PID 1 of that namespace, and what did the kernel do when it exited? Then answer your reason.',
      'nsenter --pid=/proc/PID/ns/pid_for_children ls（PID 是那个 sleep）会再现这个失败。那个 namespace 的 1 号进程是谁？它退出时内核做了什么？然后用 answer 写下你的理由。',
    ),
  ],
  looksAt: t(
    '/proc/PID/ns/pid and pid_for_children of every process in the playground, which processes are in each PID namespace, a fork into a namespace left without processes (nsenter on the host side), and your answer',
    '练习场里每个进程的 /proc/PID/ns/pid 和 pid_for_children、每个 PID namespace 里有哪些进程、向一个已经没有进程的 namespace 里 fork 的结果（在宿主机一侧运行 nsenter），以及你的回答',
  ),
  requirements: [tool('nsenter', 'util-linux')],
  observe: (pg) => pidWorld(pg, { ps: false, probe: true }),
  conditions: [
    {
      id: 'dead-namespace',
      description: t(
        'A process of the playground has a new PID namespace for its children whose PID 1 has exited: no process is left there and the kernel refuses to fork into it.',
        '练习场里有一个进程，它为子进程准备的新 PID namespace 的 1 号进程已经退出：那里一个进程都不剩，内核拒绝向其中 fork。',
      ),
      evaluate: (o) => {
        const dead = o.forkers.find((f) => f.childNs !== 'none-yet' && f.live.length === 0 && f.forkThere !== undefined && f.forkThere.ran && !f.forkThere.ok);
        const text = (f: Forker): Text => {
          const ns = f.childNs === 'none-yet' ? t('a namespace with no PID 1 yet', '一个还没有 1 号进程的 namespace') : { en: `pid:[${f.childNs}]`, zh: `pid:[${f.childNs}]` };
          const fork =
            f.forkThere === undefined
              ? { en: '', zh: '' }
              : f.forkThere.ok
                ? t('; fork there: works', '；向其中 fork：成功')
                : t(`; fork there: ${f.forkThere.error}`, `；向其中 fork：${f.forkThere.error}`);
          return t(
            `${who(f)} in pid:[${f.ownNs}], children go to ${ns.en}, living there: ${list(f.live)}${fork.en}`,
            `${who(f)} 在 pid:[${f.ownNs}] 中，子进程进入 ${ns.zh}，其中活着的进程：${list(f.live)}${fork.zh}`,
          );
        };
        const shown = dead ?? o.forkers[0];
        const hint = (): Text => {
          const alive = o.forkers.find((f) => f.live.length > 0);
          if (alive !== undefined)
            return t(
              `pid:[${alive.childNs}] still has its PID 1, ${who(alive.live[0]!)}: nothing broke. With --fork, unshare forks itself and your command is PID 1, alive as long as it runs. Leave out --fork, so that the shell stays outside and its first child becomes PID 1 — and exits.`,
              `pid:[${alive.childNs}] 仍有它的 1 号进程 ${who(alive.live[0]!)}：什么都没坏。带 --fork 时，unshare 自己 fork，你的命令就是 1 号进程，只要它还在运行就一直活着。去掉 --fork，让 shell 留在外面，它的第一个子进程成为 1 号进程——然后退出。`,
            );
          const empty = o.forkers.find((f) => f.childNs === 'none-yet');
          if (empty !== undefined)
            return t(
              `${who(empty)} has a new PID namespace for its children, but has not started a child there yet, so nothing has been its PID 1. Let the shell run one short program (ls) before exec sleep 600.`,
              `${who(empty)} 为子进程准备了新的 PID namespace，但还没有在里面启动过子进程，所以那里从没有过 1 号进程。让 shell 在 exec sleep 600 之前先运行一个短命的程序（ls）。`,
            );
          return t(
            "no process has a PID namespace for its children other than its own: run unshare --pid (without --fork) with a shell that runs one program and then exec sleep 600, in the background, e.g. unshare --pid sh -c 'ls >/dev/null; exec sleep 600' &",
            "没有进程为子进程准备了不同于自己的 PID namespace：用 unshare --pid（不带 --fork）运行一个 shell，让它先运行一个程序，再 exec sleep 600，放到后台，例如 unshare --pid sh -c 'ls >/dev/null; exec sleep 600' &",
          );
        };
        return {
          observed: shown === undefined ? '-' : text(shown),
          expected: t('a namespace for children with no process left, where fork fails (ENOMEM)', '一个供子进程使用、已经没有进程的 namespace，向其中 fork 会失败（ENOMEM）'),
          pass: dead !== undefined,
          ...(dead !== undefined ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'why',
      description: t(
        'Your answer says why: the first child became PID 1 of the new namespace, and once PID 1 has exited the kernel lets no new process in.',
        '你的回答说出了原因：第一个子进程成了新 namespace 的 1 号进程，1 号进程一旦退出，内核就不再允许新进程进入。',
      ),
      evaluate: (o) => {
        const a = o.answer ?? '';
        const init = POINTS_AT_INIT.test(a);
        const ended = SAYS_IT_ENDED.test(a);
        const pass = init && ended;
        const hint = (): Text =>
          o.answer === undefined
            ? t('no answer yet: say in a sentence why the second program could not start (answer …).', '还没有回答：用一句话说明第二个程序为什么启动不了（answer …）。')
            : BLAMES_MEMORY.test(a) && !init
              ? t(
                  '"Cannot allocate memory" is the kernel\'s ENOMEM, but memory is not short: the namespace refuses new processes. Which process was PID 1 in it, and what became of it?',
                  '“Cannot allocate memory”是内核的 ENOMEM，但内存并不缺：是这个 namespace 拒绝新进程。它的 1 号进程是谁？后来怎样了？',
                )
              : init
                ? t('you named PID 1; now say what happened to it (it ran, then …).', '你提到了 1 号进程；再说说它后来怎样了（它运行完之后……）。')
                : t(
                    'think of which process became PID 1 of the new namespace (unshare itself did not move), and what the kernel does to a PID namespace whose PID 1 has exited.',
                    '想一想谁成了新 namespace 的 1 号进程（unshare 自己并没有进去），以及 1 号进程退出后内核会怎样处理这个 PID namespace。',
                  );
        return {
          observed: o.answer ?? '-',
          expected: t('PID 1 (the first child) exited', '1 号进程（第一个子进程）退出了'),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `unshare --pid sh -c 'ls >/dev/null; exec sleep 600' &
sleep 0.5
answer 'the first child (ls) became PID 1 of the new namespace and exited; after its PID 1 exits the kernel allows no new process there, so fork fails with ENOMEM'`,
  nearMisses: [
    {
      id: 'with-fork',
      what: t('adds --fork out of habit: nothing breaks', '习惯性地加了 --fork：什么都没坏'),
      script: `unshare --pid --fork sh -c 'ls >/dev/null; exec sleep 600' &
sleep 0.5
answer 'PID 1 exited'`,
      fails: 'dead-namespace',
      hint: 'still has its PID 1',
    },
    {
      id: 'blames-memory',
      what: t('takes the error message at its word', '把错误信息当真'),
      script: `unshare --pid sh -c 'ls >/dev/null; exec sleep 600' &
sleep 0.5
answer 'the machine ran out of memory'`,
      fails: 'why',
      hint: 'memory is not short',
    },
  ],
});

// ——— Predict: who adopts an orphan in a nested PID namespace ———

/** A PID 1 of a nested namespace that runs sleep: it never starts a child, so its children are adopted. */
const sleepInits = (o: PidWorld) => o.inits.filter((i) => i.comm === 'sleep');

/** Processes of a namespace whose PID 1 is sleep, other than that PID 1. */
const inSleepNs = (o: PidWorld) => {
  const ns = new Set(sleepInits(o).map((i) => i.pidNs));
  return o.nested.filter((n) => ns.has(n.pidNs) && n.own !== 1);
};

/** The orphans: their parent is the sleep at PID 1 of their own namespace. */
const adopted = (o: PidWorld) => inSleepNs(o).filter((n) => n.parent !== undefined && n.parent.sameNs && n.parent.own === 1 && n.parent.comm === 'sleep');

const numberOf = (answer: string | undefined): number | undefined => {
  const m = /(?:^|\D)(\d+)(?:\D|$)/.exec(answer ?? '');
  return m ? Number(m[1]) : undefined;
};

export const orphan = exercise<PidWorld>({
  id: 'orphan',
  kind: 'predict',
  title: t('Predict: who adopts an orphan', '预测：谁收养孤儿进程'),
  task: t(
    'Make a PID namespace whose PID 1 is sleep 600 (a program that never starts a child), with a fresh /proc. Then a shell you start in that namespace (nsenter) starts a background sleep 600 and exits. Predict: what PPID will ps in that namespace show for the orphaned sleep? Type answer N, do it, leave both running and type check.',
    '建一个 PID namespace，它的 1 号进程是 sleep 600（一个从不启动子进程的程序），并有新的 /proc。然后你在这个 namespace 里（用 nsenter）启动一个 shell，它在后台启动 sleep 600 后退出。预测：在这个 namespace 里，ps 会给这个成了孤儿的 sleep 显示什么 PPID？输入 answer N，动手做，让两个进程都保持运行，然后输入 check。',
  ),
  hints: [
    t(
      'When a process exits, the kernel gives its children a new parent: it looks for one in the same PID namespace, not outside.',
      '一个进程退出时，内核会给它的子进程找一个新的父进程：在同一个 PID namespace 里找，而不是在外面找。',
    ),
    t(
      'unshare --pid --fork --mount-proc sleep 600 & makes the namespace; nsenter --target PID --pid --mount sh -c \'sleep 600 &\' (PID: that sleep, as the playground numbers it) makes the orphan.',
      "unshare --pid --fork --mount-proc sleep 600 & 建出 namespace；nsenter --target PID --pid --mount sh -c 'sleep 600 &'（PID 是那个 sleep 在练习场里的编号）造出孤儿。",
    ),
    t(
      "answer N; unshare --pid --fork --mount-proc sleep 600 & sleep 0.3; nsenter --target $(pgrep -P $!) --pid --mount sh -c 'sleep 600 &'",
      "answer N；unshare --pid --fork --mount-proc sleep 600 & sleep 0.3; nsenter --target $(pgrep -P $!) --pid --mount sh -c 'sleep 600 &'（N 是你预测的数字）",
    ),
  ],
  looksAt: t(
    'NSpid, PPid and /proc/PID/ns/pid of every process in the playground (the parent of each process as its own PID namespace numbers it), and your answer',
    '练习场里每个进程的 NSpid、PPid 和 /proc/PID/ns/pid（每个进程的父进程在它自己的 PID namespace 里的编号），以及你的回答',
  ),
  requirements: [tool('nsenter', 'util-linux'), tool('pgrep', 'procps')],
  observe: (pg) => pidWorld(pg, { ps: false }),
  conditions: [
    {
      id: 'sleep-init',
      description: t('A nested PID namespace has sleep as its PID 1.', '某个嵌套的 PID namespace 的 1 号进程是 sleep。'),
      evaluate: (o) => {
        const pass = sleepInits(o).length > 0;
        const other = o.inits[0];
        return {
          observed: initsText(o),
          expected: t('sleep as PID 1 of pid:[…]', 'sleep 是 pid:[…] 的 1 号进程'),
          pass,
          ...(pass
            ? {}
            : {
                hint:
                  other !== undefined
                    ? t(
                        `PID 1 of pid:[${other.pidNs}] is ${other.comm}, which may start children itself: a child of it proves nothing. Make sleep 600 the PID 1: unshare --pid --fork --mount-proc sleep 600 &`,
                        `pid:[${other.pidNs}] 的 1 号进程是 ${other.comm}，它自己就可能启动子进程：它的子进程什么也证明不了。让 sleep 600 做 1 号进程：unshare --pid --fork --mount-proc sleep 600 &`,
                      )
                    : (unforkedHint(o) ??
                      t('no nested PID namespace yet: unshare --pid --fork --mount-proc sleep 600 &', '还没有嵌套的 PID namespace：unshare --pid --fork --mount-proc sleep 600 &')),
              }),
        };
      },
    },
    {
      id: 'adopted',
      description: t(
        'Another process of that namespace has the sleep at PID 1 as its parent: an orphan the kernel gave to PID 1.',
        '那个 namespace 里另有一个进程，它的父进程是当 1 号进程的 sleep：这是内核交给 1 号进程的孤儿。',
      ),
      evaluate: (o) => {
        const found = adopted(o);
        const others = inSleepNs(o);
        const shown = (n: Nested): Text =>
          n.parent === undefined
            ? t(`${who(n)} (${n.own} there): parent not found`, `${who(n)}（在那里是 ${n.own}）：找不到父进程`)
            : t(
                `${who(n)} (${n.own} there): parent ${who(n.parent)}${n.parent.sameNs ? ` (${n.parent.own} there)` : ', outside its namespace'}`,
                `${who(n)}（在那里是 ${n.own}）：父进程 ${who(n.parent)}${n.parent.sameNs ? `（在那里是 ${n.parent.own}）` : '，在它的 namespace 之外'}`,
              );
        const hint = (): Text => {
          const init = sleepInits(o)[0];
          if (init === undefined) return t('first make sleep the PID 1 of a nested PID namespace (see the condition above).', '先让 sleep 成为某个嵌套 PID namespace 的 1 号进程（见上一个条件）。');
          const notAdopted = others.filter((n) => n.parent !== undefined && !(n.parent.sameNs && n.parent.own === 1));
          const waiting = notAdopted.find((n) => n.parent!.sameNs) ?? notAdopted[0];
          if (waiting !== undefined)
            return t(
              `${who(waiting)} is in pid:[${waiting.pidNs}], but its parent ${who(waiting.parent!)} is still alive: only when the parent exits is the child adopted. Let the shell leave its sleep behind: sh -c 'sleep 600 &' (no wait).`,
              `${who(waiting)} 在 pid:[${waiting.pidNs}] 中，但它的父进程 ${who(waiting.parent!)} 还活着：只有父进程退出，子进程才会被收养。让 shell 把 sleep 留下就走：sh -c 'sleep 600 &'（不要 wait）。`,
            );
          return t(
            `no other process is in pid:[${init.pidNs}] yet: nsenter --target ${init.inside} --pid --mount sh -c 'sleep 600 &'`,
            `pid:[${init.pidNs}] 里还没有别的进程：nsenter --target ${init.inside} --pid --mount sh -c 'sleep 600 &'`,
          );
        };
        return {
          observed: others.length === 0 ? '-' : { en: others.map((n) => shown(n).en).join('; '), zh: others.map((n) => shown(n).zh).join('；') },
          expected: t('a process whose parent is the sleep at PID 1', '一个父进程是 1 号 sleep 的进程'),
          pass: found.length > 0,
          ...(found.length > 0 ? {} : { hint: hint() }),
        };
      },
    },
    {
      id: 'prediction',
      description: t('Your answer equals the PPID that ps in that namespace shows for the orphan.', '你的回答等于在那个 namespace 里 ps 为孤儿显示的 PPID。'),
      evaluate: (o) => {
        const n = numberOf(o.answer);
        const orphans = adopted(o);
        const measured = orphans.map((x) => x.parent!.own);
        const pass = n !== undefined && measured.includes(n);
        const hint = (): Text => {
          if (n === undefined)
            return o.answer === undefined
              ? t('no answer yet: type answer N, the PPID you expect, then check.', '还没有回答：输入 answer N（你预测的 PPID），然后 check。')
              : t(`"${o.answer}" has no number in it: answer with a PPID, e.g. answer 7.`, `“${o.answer}”里没有数字：请用一个 PPID 回答，例如 answer 7。`);
          if (orphans.length === 0) return t('there is no orphan to measure yet (see the condition above).', '还没有可以测量的孤儿进程（见上一个条件）。');
          return t(
            `you predicted ${n}; ps in pid:[${orphans[0]!.pidNs}] shows PPID ${measured[0]} for ${who(orphans[0]!)}. When a parent exits, the kernel hands its children to the child reaper of their own PID namespace, its PID 1, never to a process outside it (from inside, those show as 0).`,
            `你预测的是 ${n}；在 pid:[${orphans[0]!.pidNs}] 里，ps 为 ${who(orphans[0]!)} 显示的 PPID 是 ${measured[0]}。父进程退出时，内核把它的子进程交给它们自己 PID namespace 的 child reaper，也就是 1 号进程，绝不会交给 namespace 之外的进程（从里面看，外面的进程显示为 0）。`,
          );
        };
        return {
          observed: t(`answer: ${o.answer ?? '-'}; measured PPID: ${measured.length === 0 ? '?' : measured.join(', ')}`, `回答：${o.answer ?? '-'}；测得的 PPID：${measured.length === 0 ? '?' : measured.join('、')}`),
          expected: t('the answer equals the measured PPID', '回答等于测得的 PPID'),
          pass,
          ...(pass ? {} : { hint: hint() }),
        };
      },
    },
  ],
  solution: `answer 1
unshare --pid --fork --mount-proc sleep 600 &
sleep 0.4
init=$(pgrep -P $!)
nsenter --target "$init" --pid --mount sh -c 'sleep 600 &'
sleep 0.3`,
  nearMisses: [
    {
      id: 'guessed-outside',
      what: t("expects the orphan to go to the playground's PID 1", '以为孤儿会交给练习场的 1 号进程'),
      script: `answer 0
unshare --pid --fork --mount-proc sleep 600 &
sleep 0.4
init=$(pgrep -P $!)
nsenter --target "$init" --pid --mount sh -c 'sleep 600 &'
sleep 0.3`,
      fails: 'prediction',
      hint: 'the child reaper of their own PID namespace',
    },
    {
      id: 'parent-waits',
      what: t('the shell waits for its sleep: no orphan', 'shell 等着它的 sleep：没有孤儿'),
      script: `answer 1
unshare --pid --fork --mount-proc sleep 600 &
sleep 0.4
init=$(pgrep -P $!)
nsenter --target "$init" --pid --mount sh -c 'sleep 600 & wait' &
sleep 0.3`,
      fails: 'adopted',
      hint: 'is still alive: only when the parent exits',
    },
    {
      id: 'shell-init',
      what: t('a shell as PID 1 that starts the sleep itself', '1 号进程是一个自己启动 sleep 的 shell'),
      script: `answer 1
unshare --pid --fork --mount-proc bash -c 'sleep 600 & wait' &
sleep 0.5`,
      fails: 'sleep-init',
      hint: 'a child of it proves nothing',
    },
  ],
});

export const exercises = [freshPs, noFork, orphan];
