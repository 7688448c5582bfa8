// Exercises: the learner does a step with their own hands in a playground (core/playground.ts),
// then `check` judges the state the kernel shows. An exercise is data plus two pure parts, like
// a step: observe() reads the kernel into a typed observation, and each condition judges it.
import type { Namespace, RunResult } from '../../addon/index.js';
import type { Lang, Requirement, Shown, Text } from './model.js';

/** "do": reach a state; "predict": say a number first, then measure; "break": make it fail and say why. */
export type ExerciseKind = 'do' | 'predict' | 'break';

/** One process of the playground, as the host sees it (/proc/PID/…). */
export interface PgProcess {
  /** The host's pid (what runIn, hostPath and /proc on the host take). */
  readonly pid: number;
  /** The pid as the learner sees it in the playground: use this one in hints and observed values. */
  readonly inside: number;
  readonly ppid: number;
  /** NSpid: the host's pid first, then the pid in each nested PID namespace (the last is its own). */
  readonly nspid: readonly number[];
  readonly comm: string;
  readonly argv: readonly string[];
  /** Namespace inodes from /proc/PID/ns/* (0: could not be read). */
  readonly ns: Readonly<Record<Namespace, number>>;
  /** Uid: and Gid: of /proc/PID/status (real, effective, saved, filesystem). */
  readonly uid: readonly number[];
  readonly gid: readonly number[];
}

/** What an exercise's observe() may read: the playground and the processes in it. */
export interface PlaygroundView {
  readonly lang: Lang;
  /** The host pid of the playground's first process (its PID 1: the shell or the script). */
  readonly init: number;
  /** The playground's own namespace inodes, and the host's (nslab's own). */
  readonly ns: Readonly<Record<Namespace, number>>;
  readonly hostNs: Readonly<Record<Namespace, number>>;
  /** The playground's hostname ("playground"). */
  readonly hostname: string;
  /** The working directory, as a host path (the same path inside). */
  readonly dir: string;
  /**
   * The cgroups that are the playground's cgroup roots, as host paths: one per v1 hierarchy
   * (keyed by its mount point, e.g. /sys/fs/cgroup/cpu) and the cgroup2 one. Inside the
   * playground, each is mounted at that same mount point.
   */
  readonly cgroups: { readonly v1: Readonly<Record<string, string>>; readonly v2?: string };
  /** The learner's last `answer` (trimmed), if any. */
  readonly answer: string | undefined;
  /** Every process in the playground now (found through its cgroup, so nothing it started escapes). */
  processes(): PgProcess[];
  /** Run a program on the host side inside some namespaces of a playground process (setns). */
  runIn(pid: number, namespaces: readonly Namespace[], argv: readonly string[]): Promise<RunResult>;
  /** A playground path (as the learner typed it) as the host can read it: through the init's root. */
  hostPath(path: string, pid?: number): string;
}

/** What a condition saw, judged; a miss carries the most specific hint the observation allows. */
export interface ConditionOutcome {
  readonly observed: Shown;
  readonly expected: Shown;
  readonly pass: boolean;
  readonly hint?: Text;
  /** The condition cannot be judged here, and why (shown, never counted as done). */
  readonly skip?: Text;
}

export interface Condition<O> {
  readonly id: string;
  readonly description: Text;
  evaluate(o: O): ConditionOutcome;
}

/** A wrong attempt the tests run: `check` must fail on condition `fails` with a hint that contains `hint`. */
export interface NearMiss {
  readonly id: string;
  /** The mistake, in a few words. */
  readonly what: Text;
  /** Bash commands run in the playground (like the solution). */
  readonly script: string;
  readonly fails: string;
  /** A piece of the English hint that condition must give. */
  readonly hint: string;
}

export interface Exercise<O = unknown> {
  /** Short kebab-case name, unique in its lab: `nslab try 01-uts box`. */
  readonly id: string;
  readonly kind: ExerciseKind;
  readonly title: Text;
  /** What to do, a few sentences; for "predict" and "break", what to `answer`. */
  readonly task: Text;
  /** One to three hints, each more specific than the last. */
  readonly hints: readonly Text[];
  /** What the check reads, said once under the ✓/✗ lines. */
  readonly looksAt: Text;
  /** More than the lab needs (the lab's own requirements are checked first). */
  readonly requirements?: readonly Requirement[];
  /** Runs only in the VM (`--vm`): it needs what the playground cannot give (device-mapper). */
  readonly vmOnly?: true;
  /** Its check measures CPU time: the tests run it alone, never beside another playground. */
  readonly measuresCpu?: true;
  /**
   * cgroup2: controllers the playground's group should be able to hand down, in order of
   * preference. When none of them is on in the cgroup2 root's cgroup.subtree_control, the first
   * one the root offers is switched on for the playground's run (journalled before, switched off
   * at the end). When the root offers none, nothing changes: say so in `requirements`. An entry
   * may join several with `+` ('cpu+memory+pids'): all of them, each journalled on its own.
   */
  readonly v2Controllers?: readonly string[];
  /**
   * Prepares the working directory before the shell starts (host side, as root). `name` is the
   * playground's nslab-<token>-pg ($NSLAB_NAME inside): what setup makes outside the working
   * directory carries it.
   */
  setup?(dir: string, name: string): Promise<void> | void;
  /**
   * Removes what the learner (or setup) may have made outside the playground's namespaces, which
   * the kernel does not end with them (VM exercises: device-mapper and loop devices on files of
   * the working directory). Runs after the playground's last process has exited, before the
   * working directory goes; returns what it removed, throws on what it could not remove.
   */
  leftovers?(dir: string): Promise<readonly string[]> | readonly string[];
  observe(pg: PlaygroundView): Promise<O> | O;
  readonly conditions: readonly Condition<O>[];
  /** The reference solution: bash commands, run in the playground by the tests. */
  readonly solution: string;
  readonly nearMisses: readonly NearMiss[];
}

/** Declare an exercise; the observation type flows from observe() into the conditions. */
export function exercise<O>(e: Exercise<O>): Exercise<O> {
  return e;
}

/** One condition judged, in the learner's language. */
export interface ConditionResult {
  readonly id: string;
  readonly description: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly observed: string;
  readonly expected: string;
  readonly hint?: string;
  readonly reason?: string;
}

/** One `check`. */
export interface Judgement {
  readonly lab: string;
  readonly exercise: string;
  /** Every condition passed (none skipped). */
  readonly done: boolean;
  readonly conditions: readonly ConditionResult[];
  /** observe() itself failed (an error to show, not a miss). */
  readonly error?: string;
}
