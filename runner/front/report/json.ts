// The JSON reporter: the machine-readable contract of a run (see "results" in ../model.ts).
// Key order is fixed so that diffs between two reports stay readable.

import type { Card, CheckResult, LabResult, Report, StepResult } from '../../core/model.js';

/**
 * A lab's result as the commands report it: the engine's result plus the lab's six-question card
 * in the run's language (absent for a lab that is not yet available).
 */
export type ReportedLab = LabResult & { readonly card?: Readonly<Record<keyof Card, string>> };

export interface JsonOptions {
  /** Include each step's transcripts (commands and their real output). Default false. */
  readonly transcripts?: boolean;
}

function checkJson(c: CheckResult): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: c.id,
    description: c.description,
    status: c.status,
    observed: c.observed,
    expected: c.expected,
  };
  if (c.reason !== undefined) o.reason = c.reason;
  return o;
}

function stepJson(s: StepResult, opts: JsonOptions): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: s.id,
    title: s.title,
    status: s.status,
    checks: s.checks.map(checkJson),
  };
  if (s.measurements !== undefined) o.measurements = s.measurements;
  if (s.error !== undefined) o.error = s.error;
  if (s.durationMs !== undefined) o.durationMs = s.durationMs;
  if (opts.transcripts && s.transcripts !== undefined) {
    o.transcripts = s.transcripts.map((t) => {
      const tj: Record<string, unknown> = { command: t.command, output: t.output };
      if (t.where !== undefined) tj.where = t.where;
      return tj;
    });
  }
  return o;
}

function labJson(l: ReportedLab, opts: JsonOptions): Record<string, unknown> {
  const o: Record<string, unknown> = { id: l.id, title: l.title, status: l.status };
  if (l.reason !== undefined) o.reason = l.reason;
  if (l.remedy !== undefined) o.remedy = l.remedy;
  if (l.card !== undefined) {
    const { problem, tradeoff, usedBy, parts, kernel, alternatives } = l.card;
    o.card = { problem, tradeoff, usedBy, parts, kernel, alternatives };
  }
  o.steps = l.steps.map((s) => stepJson(s, opts));
  if (l.durationMs !== undefined) o.durationMs = l.durationMs;
  return o;
}

/** Measurements are `unknown`: keep JSON.stringify from throwing on bigint values. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function toJson(report: Report, opts: JsonOptions = {}): string {
  const { kernel, cgroup, arch, hostname, ...extra } = report.host;
  const doc = {
    nslab: report.nslab,
    // The four known fields first, in this order; any field added to HostInfo later follows.
    host: { kernel, cgroup, arch, hostname, ...extra },
    labs: report.labs.map((l) => labJson(l, opts)),
  };
  return JSON.stringify(doc, replacer, 2);
}
