// The lab model: a lab is data plus small functions. Everything that runs, reports or
// renders a lab (CLI, reporters, TUI, tests) speaks only these types.

import type { Exercise } from './exercise.js';
export type Lang = 'en' | 'zh';

/** A sentence in both languages; every explanation in nslab is one of these. */
export interface Text {
  readonly en: string;
  readonly zh: string;
}

/** Build a Text; the zh half is Chinese prose with full-width punctuation (test/unit/zh.test.ts). */
export function t(en: string, zh: string): Text {
  return { en, zh };
}

/**
 * What a check shows as observed or expected: a value shown as-is in both languages (a hostname,
 * a number, an inode, a command line) or prose, which is always a Text. A bare string that reads
 * like English prose fails test/unit/checks.test.ts.
 */
export type Shown = Text | string;

/** A Shown in one language. */
export function say(s: Shown, lang: Lang): string {
  return typeof s === 'string' ? s : s[lang];
}

/** An error a learner reads: its message in both languages (`message` is the English one). */
export class LabError extends Error {
  constructor(readonly text: Text) {
    super(text.en);
    this.name = 'LabError';
  }
}

/** The message of any thrown value in `lang`: a LabError's own words, else the system's (errno text is English only). */
export function errorText(e: unknown, lang: Lang): string {
  if (e instanceof LabError) return e.text[lang];
  return e instanceof Error ? e.message : String(e);
}

export type Status = 'passed' | 'failed' | 'skipped';

/** The six learning questions of the article, answered for one mechanism. */
export interface Card {
  readonly problem: Text;
  readonly tradeoff: Text;
  readonly usedBy: Text;
  readonly parts: Text;
  readonly kernel: Text;
  readonly alternatives: Text;
}

/** What a requirement probe found. */
export interface RequirementResult {
  readonly ok: boolean;
  /** Why it is not met, one sentence ("no device-mapper in this kernel"). */
  readonly reason?: Text;
  /** What would make it run ("run with --vm", "apt-get install iproute2"). */
  readonly remedy?: Text;
}

export interface Requirement {
  readonly id: string;
  readonly description: Text;
  /** The Debian package that provides what this requirement needs (tools); provisioning installs it. */
  readonly package?: string;
  probe(): Promise<RequirementResult> | RequirementResult;
}

/** One command shown to the learner together with what it really printed. */
export interface Transcript {
  readonly command: string;
  readonly output: string;
  readonly where?: string;
}

/** A transcript as a step hands it over: where it ran is said in both languages. */
export interface TranscriptIn {
  readonly command: string;
  readonly output: string;
  readonly where?: Text;
}

/** The outcome of evaluating one check. */
export interface CheckOutcome {
  readonly observed: Shown;
  readonly expected: Shown;
  /** true only when the observation proves the claim. */
  readonly pass: boolean;
  /** When set, the check could not be evaluated here; it is skipped with this reason. */
  readonly skip?: Text;
}

/**
 * One claim about what a step observed. `evaluate` is a pure function of the step's observation:
 * no I/O, no clock, so every check is unit-tested with made-up observations (labs/NN/examples.ts).
 */
export interface Check<O> {
  readonly id: string;
  /** One sentence: what this check establishes. */
  readonly description: Text;
  evaluate(observed: O): CheckOutcome;
}

/** What a running step can tell the outside world while it works. */
export interface StepContext {
  readonly lang: Lang;
  /** Record an object before creating it (a typed journal entry); undone at the end of the run. */
  readonly cleanup: import('./cleanup.js').CleanupStack;
  /** This run's token: every host object the lab creates is named `nslab-<token>-…`. */
  readonly token: string;
  /** `nslab-<token>-<suffix>`: the name of an object of this run. */
  name(suffix: string): string;
  /** Spawn a process and record it in the same call (killed if it cannot be recorded). */
  spawn(spec: import('../../addon/index.js').SpawnSpec, label: Text): { child: import('../../addon/index.js').Child; id: number };
  /** A scratch directory of this run only (root, 0700, under /run/nslab/<token>/), removed at the end. */
  scratch(): string;
  /** A directory other users may read and enter but not change (root, 0755, under the run's 0711 directory). */
  publicScratch(): string;
  /** Show the learner a command and its real output. */
  transcript(t: TranscriptIn): void;
  /** A free line of live output, in both languages. */
  log(line: Text): void;
  /** Progress of a long step, 0..1. */
  progress(fraction: number, label?: Text): void;
  /** Attach measured figures to the step (they appear in --reporter json). */
  measure(name: string, value: unknown): void;
  /** Set when the run is being interrupted; long loops should stop early. */
  readonly signal: AbortSignal;
  /**
   * What an earlier step of this run observed (the step object itself names it, so the type
   * follows). Throws when that step has not run in this session.
   */
  observed<O>(step: Step<O>): O;
}

/**
 * One experiment: `run` does it and returns what it observed; each check judges that observation.
 * Data a check needs from an earlier step is copied into this step's observation by `run`
 * (through `ctx.observed(earlierStep)`), so a check never reaches outside its argument.
 */
export interface Step<O> {
  readonly id: string;
  readonly title: Text;
  readonly explain: Text;
  /** The article's command or code line, as the article had it. */
  readonly article?: string;
  /** Today's equivalent, what nslab actually does; a Text when a comment in words follows the command. */
  readonly modern?: Shown;
  run(ctx: StepContext): Promise<O>;
  readonly checks: readonly Check<O>[];
}

/** Declare a step; the observation's type is inferred from `run` and types every check. */
export function step<O>(s: Step<O>): Step<O> {
  return s;
}

/** How `nslab shell <lab>` gets a shell inside the lab's container. */
export interface ShellHook {
  /** Build the container with an interactive shell as its process; resolve with its exit code. */
  open(ctx: StepContext): Promise<number>;
}

/**
 * What nslab knows about a lab without loading its code (labs/NN/about.ts): `nslab list`, the
 * tour's menu, doctor and the VM runner read it; the lab's index.ts spreads it into its Lab.
 */
export interface About {
  readonly id: string;
  readonly title: Text;
  /** Kernel modules the lab needs when it runs in the VM (--vm); loaded when present. */
  readonly vmModules?: readonly string[];
  /**
   * Host resources this lab needs alone (e.g. 'cgroups': the CPU it measures and the cgroup2
   * root it switches controllers in). A second run waits for the first, and says for whom.
   */
  readonly exclusive?: readonly string[];
  /** `nslab shell <lab>` opens a shell in the lab's container (the Lab then has a `shell` hook). */
  readonly hasShell?: boolean;
}

export interface Lab extends About {
  readonly card: Card;
  /** What must hold for the lab to run; the first unmet one is why it is skipped. */
  readonly requirements: readonly Requirement[];
  /** More facts `nslab doctor` shows for this lab (e.g. the unprivileged-userns switches of 07). */
  readonly diagnostics?: readonly Requirement[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each step has its own observation type
  readonly steps: readonly Step<any>[];
  readonly shell?: ShellHook;
  /** What the learner does with their own hands in a playground (`nslab try`): two or more. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each exercise has its own observation type
  readonly exercises?: readonly Exercise<any>[];
  /** The capstone's levels (lab 13): judged like exercises, with the learner's own runtime. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each level has its own observation type
  readonly levels?: readonly Exercise<any>[];
}

/** A lab id of the catalogue that has no implementation yet. */
export interface PlannedLab {
  readonly id: string;
  readonly title: Text;
  readonly planned: true;
}

// ---- results (the JSON report contract: extend, never rename) ----

export interface CheckResult {
  readonly id: string;
  readonly description: string;
  readonly status: Status;
  readonly observed: string;
  readonly expected: string;
  readonly reason?: string;
}

export interface StepResult {
  readonly id: string;
  readonly title: string;
  readonly status: Status;
  readonly checks: CheckResult[];
  readonly measurements?: Record<string, unknown>;
  readonly transcripts?: Transcript[];
  readonly error?: string;
  readonly durationMs?: number;
}

export interface LabResult {
  readonly id: string;
  readonly title: string;
  readonly status: Status;
  readonly reason?: string;
  readonly remedy?: string;
  readonly steps: StepResult[];
  readonly durationMs?: number;
}

export interface HostInfo {
  readonly kernel: string;
  readonly cgroup: string;
  readonly arch: string;
  readonly hostname: string;
}

export interface Report {
  readonly nslab: string;
  readonly host: HostInfo;
  readonly labs: LabResult[];
}

/** Events emitted while labs run; the human output and the TUI render them live. */
export type RunEvent =
  | { type: 'lab-start'; lab: Lab }
  | { type: 'lab-skipped'; lab: Lab; reason: string; remedy?: string }
  | { type: 'waiting'; lab: Lab; resource: string; holder: string }
  | { type: 'step-start'; lab: Lab; step: Step<unknown>; index: number }
  | { type: 'transcript'; lab: Lab; step: Step<unknown>; transcript: Transcript }
  | { type: 'log'; lab: Lab; step: Step<unknown>; line: string }
  | { type: 'progress'; lab: Lab; step: Step<unknown>; fraction: number; label?: string }
  | { type: 'step-end'; lab: Lab; step: Step<unknown>; result: StepResult }
  | { type: 'lab-end'; lab: Lab; result: LabResult }
  | { type: 'cleanup'; lab: Lab; line: string };

export type RunListener = (event: RunEvent) => void;
