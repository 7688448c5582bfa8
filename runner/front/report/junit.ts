// The JUnit XML reporter, for CI systems. One <testsuite> per lab, one <testcase> per check.

import type { LabResult, Report } from '../../core/model.js';
import { testPoints, type TestPoint } from './tap.js';

/** Characters XML 1.0 does not allow anywhere (controls other than \t \n \r, lone surrogates, U+FFFE/U+FFFF). */
const INVALID_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

export function stripInvalidXml(s: string): string {
  return s.replace(INVALID_XML, '');
}

/** Escape for element content. */
export function xmlText(s: string): string {
  return stripInvalidXml(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Escape for an attribute value; whitespace is kept as character references (else parsers normalise it). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

const MAX_MESSAGE = 1000;

function message(s: string): string {
  return xmlAttr(s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE - 1) + '…' : s);
}

function seconds(ms: number | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

function counts(points: readonly TestPoint[]) {
  return {
    tests: points.length,
    failures: points.filter((p) => p.status === 'failed').length,
    skipped: points.filter((p) => p.status === 'skipped').length,
  };
}

function testcase(p: TestPoint, pointsInStep: number): string[] {
  const lab = p.lab.id;
  let classname: string;
  let name: string;
  let time = '0.000';
  switch (p.kind) {
    case 'check':
      classname = `nslab.${lab}.${p.step!.id}`;
      name = `${p.check!.id}: ${p.check!.description}`;
      // A step's checks share its duration, so the testcase times add up to the step's.
      time = seconds((p.step!.durationMs ?? 0) / Math.max(1, pointsInStep));
      break;
    case 'step-error':
      classname = `nslab.${lab}.${p.step!.id}`;
      name = `step error: ${p.step!.title}`;
      time = seconds((p.step!.durationMs ?? 0) / Math.max(1, pointsInStep));
      break;
    case 'lab-skipped':
      classname = `nslab.${lab}`;
      name = 'requirements';
      break;
    case 'lab-failed':
      classname = `nslab.${lab}`;
      name = 'lab';
      break;
  }
  const open = `    <testcase classname="${xmlAttr(classname)}" name="${xmlAttr(name)}" time="${time}"`;
  if (p.status === 'passed') return [open + '/>'];
  if (p.status === 'skipped') {
    let reason = p.reason ?? '';
    if (p.kind === 'lab-skipped' && p.lab.remedy) reason += `${reason ? '; ' : ''}to run it: ${p.lab.remedy}`;
    return [open + '>', `      <skipped message="${message(reason)}"/>`, '    </testcase>'];
  }
  let msg: string;
  const body: string[] = [];
  if (p.check) {
    msg = `observed ${p.check.observed}, expected ${p.check.expected}`;
    body.push(`observed: ${p.check.observed}`, `expected: ${p.check.expected}`);
    if (p.reason) body.push(`reason: ${p.reason}`);
    if (p.error !== undefined) body.push(`error: ${p.error}`);
  } else if (p.kind === 'step-error') {
    msg = `step error: ${p.error ?? ''}`;
    body.push(`error: ${p.error ?? ''}`);
  } else {
    msg = p.reason ?? 'lab failed';
    body.push(`reason: ${msg}`);
    if (p.lab.remedy) body.push(`remedy: ${p.lab.remedy}`);
  }
  return [
    open + '>',
    `      <failure message="${message(msg)}">${xmlText(body.join('\n'))}</failure>`,
    '    </testcase>',
  ];
}

function testsuite(report: Report, lab: LabResult, points: readonly TestPoint[]): string[] {
  const c = counts(points);
  const h = report.host;
  const lines = [
    `  <testsuite name="${xmlAttr(lab.id)}" tests="${c.tests}" failures="${c.failures}" errors="0"` +
      ` skipped="${c.skipped}" time="${seconds(lab.durationMs)}" hostname="${xmlAttr(h.hostname)}">`,
    '    <properties>',
    `      <property name="title" value="${xmlAttr(lab.title)}"/>`,
    `      <property name="nslab" value="${xmlAttr(report.nslab)}"/>`,
    `      <property name="kernel" value="${xmlAttr(h.kernel)}"/>`,
    `      <property name="cgroup" value="${xmlAttr(h.cgroup)}"/>`,
    `      <property name="arch" value="${xmlAttr(h.arch)}"/>`,
    '    </properties>',
  ];
  for (const p of points) {
    const inStep = p.step ? points.filter((q) => q.step === p.step).length : 1;
    lines.push(...testcase(p, inStep));
  }
  lines.push('  </testsuite>');
  return lines;
}

export function toJunit(report: Report): string {
  const all = testPoints(report);
  const c = counts(all);
  const total = report.labs.reduce((t, l) => t + (l.durationMs ?? 0), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="nslab" tests="${c.tests}" failures="${c.failures}" errors="0"` +
      ` skipped="${c.skipped}" time="${seconds(total)}">`,
  ];
  for (const lab of report.labs) {
    lines.push(...testsuite(report, lab, all.filter((p) => p.lab === lab)));
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
