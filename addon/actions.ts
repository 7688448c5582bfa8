// The spawn actions on the TypeScript side: their typed form (SetupAction), how each becomes a
// raw action for the addon (marshal) and what a failure of it reports (describe). The C side is
// src/actions.def and src/child.c; test/unit/actions.test.ts checks that both sides agree.
// This module needs no binding (the constants come in through Lookup), so the test runs anywhere.
import { constants as osConstants } from 'node:os';
import type { MountFlag, Namespace } from './index.js';
import type { RawAction } from './native.js';

/** One setup step the child runs between clone() and execve(). */
export type SetupAction =
  | { do: 'wait' }
  | { do: 'sethostname'; name: string }
  | { do: 'makePrivate'; path?: string }
  | { do: 'mount'; source?: string; target: string; fstype?: string; flags?: readonly MountFlag[]; data?: string }
  | { do: 'umount'; target: string; detach?: boolean }
  | { do: 'mkdir'; path: string; mode?: number }
  | { do: 'chroot'; path: string }
  | { do: 'chdir'; path: string }
  | { do: 'pivotRoot'; newRoot: string; putOld: string }
  | { do: 'setns'; path: string; ns?: Namespace }
  | { do: 'unshare'; namespaces: readonly Namespace[] }
  | { do: 'setgroups' }
  | { do: 'setresgid'; gid: number }
  | { do: 'setresuid'; uid: number }
  | { do: 'fork' }
  | { do: 'writeFile'; path: string; content: string; create?: boolean }
  | { do: 'mknod'; path: string; type: 'c' | 'b'; mode: number; major: number; minor: number }
  | { do: 'symlink'; target: string; path: string }
  | { do: 'pdeathsig'; signal: NodeJS.Signals }
  | { do: 'setsid' }
  | { do: 'rmdir'; path: string }
  /** prctl(PR_SET_DUMPABLE, 1): after a uid change, lets that uid open this process's /proc files (uid_map). */
  | { do: 'dumpable' };

export type ActionKind = SetupAction['do'];
type Of<K extends ActionKind> = Extract<SetupAction, { do: K }>;

export const CLONE_FLAG: Record<Namespace, string> = {
  uts: 'CLONE_NEWUTS',
  ipc: 'CLONE_NEWIPC',
  pid: 'CLONE_NEWPID',
  mnt: 'CLONE_NEWNS',
  net: 'CLONE_NEWNET',
  user: 'CLONE_NEWUSER',
  cgroup: 'CLONE_NEWCGROUP',
};

/** The kernel's numbers, as the binding exports them (index.ts passes its own lookups in). */
export interface Lookup {
  constant(name: string): number;
  cloneFlags(namespaces: readonly Namespace[]): number;
  mountFlags(flags?: readonly MountFlag[]): number;
}

/** What an action means in system-call terms, for error messages. */
export interface Described {
  /** error.syscall (src/actions.def's syscall column). */
  syscall: string;
  path?: string;
  /** The call as the message shows it. */
  call: string;
}

export interface ActionEntry<K extends ActionKind> {
  /** The raw fields besides op: exactly those src/actions.def lists for this action. */
  marshal(a: Of<K>, k: Lookup): Omit<RawAction, 'op'>;
  describe(a: Of<K>): Described;
}

const q = (s: string | undefined) => (s === undefined ? 'NULL' : JSON.stringify(s));

/** glibc's makedev() for the small numbers labs use. */
function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}

/** One entry per action; the type makes a missing one a compile error. */
export const ACTIONS: { readonly [K in ActionKind]: ActionEntry<K> } = {
  wait: {
    marshal: () => ({}),
    describe: () => ({ syscall: 'read', call: 'read(sync pipe)' }),
  },
  sethostname: {
    marshal: (a) => ({ a: a.name }),
    describe: (a) => ({ syscall: 'sethostname', call: `sethostname(${q(a.name)})` }),
  },
  makePrivate: {
    marshal: (a) => ({ a: a.path ?? '/' }),
    describe: (a) => ({ syscall: 'mount', path: a.path ?? '/', call: `mount(NULL, ${q(a.path ?? '/')}, MS_REC|MS_PRIVATE)` }),
  },
  mount: {
    marshal: (a, k) => {
      const raw: Omit<RawAction, 'op'> = { b: a.target, n: k.mountFlags(a.flags) };
      if (a.source !== undefined) raw.a = a.source;
      if (a.fstype !== undefined) raw.c = a.fstype;
      if (a.data !== undefined) raw.d = a.data;
      return raw;
    },
    describe: (a) => ({ syscall: 'mount', path: a.target, call: `mount(${q(a.source)}, ${q(a.target)}${a.fstype ? `, ${q(a.fstype)}` : ''})` }),
  },
  umount: {
    marshal: (a, k) => ({ a: a.target, n: a.detach ? k.constant('MNT_DETACH') : 0 }),
    describe: (a) => ({ syscall: 'umount2', path: a.target, call: `umount2(${q(a.target)})` }),
  },
  mkdir: {
    marshal: (a) => ({ a: a.path, n: a.mode ?? 0o755 }),
    describe: (a) => ({ syscall: 'mkdir', path: a.path, call: `mkdir(${q(a.path)})` }),
  },
  chroot: {
    marshal: (a) => ({ a: a.path }),
    describe: (a) => ({ syscall: 'chroot', path: a.path, call: `chroot(${q(a.path)})` }),
  },
  chdir: {
    marshal: (a) => ({ a: a.path }),
    describe: (a) => ({ syscall: 'chdir', path: a.path, call: `chdir(${q(a.path)})` }),
  },
  pivotRoot: {
    marshal: (a) => ({ a: a.newRoot, b: a.putOld }),
    describe: (a) => ({ syscall: 'pivot_root', path: a.newRoot, call: `pivot_root(${q(a.newRoot)}, ${q(a.putOld)})` }),
  },
  setns: {
    marshal: (a, k) => ({ a: a.path, n: a.ns ? k.cloneFlags([a.ns]) : 0 }),
    describe: (a) => ({ syscall: 'setns', path: a.path, call: `setns(${q(a.path)})` }),
  },
  unshare: {
    marshal: (a, k) => ({ n: k.cloneFlags(a.namespaces) }),
    describe: (a) => ({ syscall: 'unshare', call: `unshare(${a.namespaces.map((n) => CLONE_FLAG[n]).join('|')})` }),
  },
  setgroups: {
    marshal: () => ({}),
    describe: () => ({ syscall: 'setgroups', call: 'setgroups(0, NULL)' }),
  },
  setresgid: {
    marshal: (a) => ({ n: a.gid }),
    describe: (a) => ({ syscall: 'setresgid', call: `setresgid(${a.gid})` }),
  },
  setresuid: {
    marshal: (a) => ({ n: a.uid }),
    describe: (a) => ({ syscall: 'setresuid', call: `setresuid(${a.uid})` }),
  },
  fork: {
    marshal: () => ({}),
    describe: () => ({ syscall: 'clone', call: 'fork()' }),
  },
  writeFile: {
    marshal: (a) => ({ a: a.path, b: a.content, n: a.create ? 1 : 0 }),
    describe: (a) => ({ syscall: 'write', path: a.path, call: `write(${q(a.path)}, ${q(a.content)})` }),
  },
  mknod: {
    marshal: (a, k) => ({ a: a.path, n: k.constant(a.type === 'c' ? 'S_IFCHR' : 'S_IFBLK') | a.mode, m: makedev(a.major, a.minor) }),
    describe: (a) => ({ syscall: 'mknod', path: a.path, call: `mknod(${q(a.path)}, ${a.type} ${a.major}:${a.minor})` }),
  },
  symlink: {
    marshal: (a) => ({ a: a.target, b: a.path }),
    describe: (a) => ({ syscall: 'symlink', path: a.path, call: `symlink(${q(a.target)}, ${q(a.path)})` }),
  },
  pdeathsig: {
    marshal: (a) => ({ n: osConstants.signals[a.signal] }),
    describe: () => ({ syscall: 'prctl', call: 'prctl(PR_SET_PDEATHSIG)' }),
  },
  setsid: {
    marshal: () => ({}),
    describe: () => ({ syscall: 'setsid', call: 'setsid()' }),
  },
  rmdir: {
    marshal: (a) => ({ a: a.path }),
    describe: (a) => ({ syscall: 'rmdir', path: a.path, call: `rmdir(${q(a.path)})` }),
  },
  dumpable: {
    marshal: () => ({}),
    describe: () => ({ syscall: 'prctl', call: 'prctl(PR_SET_DUMPABLE, 1)' }),
  },
};

/** Every action kind, in the table's order. */
export const ACTION_KINDS: readonly ActionKind[] = Object.keys(ACTIONS) as ActionKind[];

/** The table's entry for an action (undefined for a kind it does not know: untyped callers). */
export function actionEntry(kind: string): ActionEntry<ActionKind> | undefined {
  return Object.hasOwn(ACTIONS, kind) ? (ACTIONS[kind as ActionKind] as ActionEntry<ActionKind>) : undefined;
}
