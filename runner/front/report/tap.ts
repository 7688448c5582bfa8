// The TAP 14 reporter, plus `testPoints`, the flat list of outcomes that every
// reporter (TAP, JUnit, the summary line) counts the same way.

import type { CheckResult, LabResult, Report, Status, StepResult } from '../../core/model.js';

/**
 * One countable outcome of a run.
 * - 'check': a check of a step (the normal case).
 * - 'lab-skipped': a skipped lab that ran no checks counts as one skipped point.
 * - 'step-error': a step that errored while none of its checks failed (so the error is not lost).
 * - 'lab-failed': a failed lab none of whose points failed (e.g. it failed before any check).
 * The last two only appear when the runner produces such results; normally the points are
 * exactly the checks plus one per skipped lab.
 */
export interface TestPoint {
  readonly kind: 'check' | 'lab-skipped' | 'step-error' | 'lab-failed';
  readonly status: Status;
  readonly lab: LabResult;
  readonly step?: StepResult;
  readonly check?: CheckResult;
  /** Why it was skipped, or why a lab failed. */
  readonly reason?: string;
  /** The error of the step this point belongs to, if the step errored. */
  readonly error?: string;
}

export function testPoints(report: Report): TestPoint[] {
  const points: TestPoint[] = [];
  for (const lab of report.labs) {
    const labPoints: TestPoint[] = [];
    for (const step of lab.steps) {
      for (const check of step.checks) {
        labPoints.push({
          kind: 'check',
          status: check.status,
          lab,
          step,
          check,
          ...(check.reason !== undefined ? { reason: check.reason } : {}),
          ...(step.error !== undefined ? { error: step.error } : {}),
        });
      }
      if (step.error !== undefined && !step.checks.some((c) => c.status === 'failed')) {
        labPoints.push({ kind: 'step-error', status: 'failed', lab, step, error: step.error });
      }
    }
    if (labPoints.length === 0 && lab.status === 'skipped') {
      labPoints.push({ kind: 'lab-skipped', status: 'skipped', lab, reason: lab.reason ?? '' });
    }
    if (lab.status === 'failed' && !labPoints.some((p) => p.status === 'failed')) {
      labPoints.push({ kind: 'lab-failed', status: 'failed', lab, reason: lab.reason ?? 'lab failed' });
    }
    points.push(...labPoints);
  }
  return points;
}

/** Lone UTF-16 surrogates become U+FFFD (String#toWellFormed is ES2024, not in our lib). */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** A string as a double-quoted scalar: JSON's quoting, which YAML reads, minus what YAML forbids. */
export function yamlQuote(s: string): string {
  return JSON.stringify(wellFormed(s)).replace(
    // C1 controls and DEL are not YAML-printable; JSON.stringify leaves them raw.
    /[\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/g,
    (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

/** TAP descriptions end at an unescaped '#', which starts a directive. */
function tapDescription(s: string): string {
  return oneLine(s).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

function pointName(p: TestPoint): string {
  switch (p.kind) {
    case 'check':
      return `${p.lab.id}/${p.step!.id}/${p.check!.id}: ${p.check!.description}`;
    case 'step-error':
      return `${p.lab.id}/${p.step!.id}: step error (${p.step!.title})`;
    case 'lab-skipped':
    case 'lab-failed':
      return p.lab.id;
  }
}

function diagnostics(p: TestPoint): string[] {
  const y: string[] = [];
  if (p.check) {
    y.push(`observed: ${yamlQuote(p.check.observed)}`);
    y.push(`expected: ${yamlQuote(p.check.expected)}`);
  }
  if (p.reason !== undefined && p.reason !== '') y.push(`reason: ${yamlQuote(p.reason)}`);
  if (p.error !== undefined) y.push(`error: ${yamlQuote(p.error)}`);
  if (p.kind === 'lab-failed' && p.lab.remedy !== undefined) y.push(`remedy: ${yamlQuote(p.lab.remedy)}`);
  return ['  ---', ...y.map((l) => '  ' + l), '  ...'];
}

export function toTap(report: Report): string {
  const points = testPoints(report);
  const lines = ['TAP version 14', `1..${points.length}`];
  points.forEach((p, i) => {
    const n = i + 1;
    const name = tapDescription(pointName(p));
    if (p.status === 'skipped') {
      const reason = oneLine(p.reason ?? '');
      lines.push(`ok ${n} - ${name} # SKIP${reason ? ' ' + reason : ''}`);
    } else if (p.status === 'passed') {
      lines.push(`ok ${n} - ${name}`);
    } else {
      lines.push(`not ok ${n} - ${name}`, ...diagnostics(p));
    }
  });
  return lines.join('\n') + '\n';
}
