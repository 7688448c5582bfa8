// Made-up observations for a lab's checks. Each lab folder has an examples.ts listing, for every
// step, one observation that passes all its checks and, for every check, at least one that
// makes it fail; test/unit/checks.test.ts walks the registry and runs them all without root.
import type { Step } from '../core/model.js';
import type { ProbeReport } from './container.js';

export interface StepExamples<O> {
  readonly step: Step<O>;
  /** An observation every check of the step passes. */
  readonly pass: O;
  /** By check id: observations that this check must fail (one or several). */
  readonly fail: Readonly<Record<string, O | readonly O[]>>;
  /** By check id: observations on which this check must skip (cannot be judged here). */
  readonly skip?: Readonly<Record<string, O | readonly O[]>>;
}

/** Examples for one step; the observation type follows from the step. */
export function examples<O>(step: Step<O>, e: Omit<StepExamples<O>, 'step'>): StepExamples<O> {
  return { step, ...e };
}

/**
 * A made-up probe report for examples: PID 1 of a container as root, nothing else seen;
 * `over` sets what the example is about (hostname, ns inodes, mounts, queues…).
 */
export function madeUpProbe(over: Partial<ProbeReport> = {}): ProbeReport {
  return {
    hostname: 'lab-host',
    pid: 1,
    ppid: 0,
    uid: 0,
    gid: 0,
    euid: 0,
    egid: 0,
    ns: {},
    pids: null,
    procCount: null,
    msgQueues: null,
    mounts: null,
    cwd: '/',
    root: '/',
    ...over,
  };
}
