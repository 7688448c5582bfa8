import { expect } from 'chai';
import type { Lab, LabResult, Report, RunEvent, Step, StepResult, Text } from '../../runner/core/model.js';
import { toJson, type ReportedLab } from '../../runner/front/report/json.js';
import { toTap } from '../../runner/front/report/tap.js';
import { toJunit } from '../../runner/front/report/junit.js';
import { humanListener, summaryLine, wrap, displayWidth } from '../../runner/front/report/human.js';
import { REPORTERS, isReporterName, render } from '../../runner/front/report/index.js';

// ---- fixture: a passed lab, a failed lab (failed check, skipped check, step error), a skipped lab ----

const NASTY = `<tag a="1"> & 'quoted' \u0001 end`;

const utsSteps: StepResult[] = [
  {
    id: 'newuts',
    title: 'A new UTS namespace',
    status: 'passed',
    durationMs: 40,
    measurements: { unshareMicros: 120 },
    transcripts: [{ command: 'hostname', output: 'inside\n', where: 'container' }],
    checks: [
      { id: 'hostname-inside', description: 'the hostname changed inside', status: 'passed', observed: 'inside', expected: 'inside' },
      { id: 'hostname-outside', description: 'the host kept its hostname', status: 'passed', observed: 'host', expected: 'host' },
    ],
  },
];

const pidSteps: StepResult[] = [
  {
    id: 'pidns',
    title: 'A new PID namespace',
    status: 'failed',
    durationMs: 30,
    checks: [
      { id: 'pid-one', description: 'the child is PID 1 # really', status: 'failed', observed: NASTY, expected: '1' },
      { id: 'proc-view', description: 'ps shows one process', status: 'skipped', observed: '', expected: '1 process', reason: 'no procps here' },
    ],
  },
  {
    id: 'mount-proc',
    title: 'Mount a fresh /proc',
    status: 'failed',
    error: 'mount: permission denied',
    durationMs: 5,
    checks: [{ id: 'proc-mounted', description: '/proc is the new one', status: 'failed', observed: 'old /proc', expected: 'new /proc' }],
  },
];

const labs: LabResult[] = [
  { id: '01-uts', title: 'UTS namespace', status: 'passed', steps: utsSteps, durationMs: 50 },
  { id: '02-pid', title: 'PID namespace', status: 'failed', steps: pidSteps, durationMs: 40 },
  { id: '05-dm', title: 'Thin pools', status: 'skipped', reason: 'no device-mapper in this kernel', remedy: 'run with --vm', steps: [] },
];

const report: Report = {
  nslab: '0.1.0',
  host: { kernel: '6.8.0', cgroup: 'v2', arch: 'x64', hostname: 'box' },
  labs,
};

// ---- a tiny XML well-formedness checker ----

interface Element {
  name: string;
  attrs: Record<string, string>;
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|apos|#\d+);/g;
function decode(s: string): string {
  return s.replace(ENTITY, (_m, e: string) =>
    e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!,
  );
}

/** Parses the document; throws unless every tag is closed in order and all text/attributes are escaped. */
function parseXml(xml: string): Element[] {
  const ref = '&(?:amp|lt|gt|quot|apos|#\\d+);';
  const attr = `\\s+([A-Za-z_][\\w.:-]*)="((?:[^"<&]|${ref})*)"`;
  const attrNoCapture = `\\s+[A-Za-z_][\\w.:-]*="(?:[^"<&]|${ref})*"`;
  const token = new RegExp(`<\\?xml[^?]*\\?>|<(/?)([A-Za-z_][\\w.:-]*)((?:${attrNoCapture})*)\\s*(/?)>|((?:[^<&]|${ref})+)`, 'y');
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(xml)) throw new Error('invalid XML character');
  const stack: Element[] = [];
  const all: Element[] = [];
  let pos = 0;
  while (pos < xml.length) {
    token.lastIndex = pos;
    const m = token.exec(xml);
    if (!m) throw new Error(`malformed XML at ${pos}: ${JSON.stringify(xml.slice(pos, pos + 40))}`);
    pos = token.lastIndex;
    const [, close, name, attrText, selfClose, text] = m;
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
      if (stack.length > 0) stack[stack.length - 1]!.text += decode(text);
    } else if (name !== undefined) {
      if (close) {
        const top = stack.pop();
        if (!top || top.name !== name) throw new Error(`</${name}> closes <${top?.name}>`);
      } else {
        const attrs: Record<string, string> = {};
        for (const a of (attrText ?? '').matchAll(new RegExp(attr, 'g'))) {
          if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
          attrs[a[1]!] = decode(a[2]!);
        }
        const el: Element = { name, attrs, text: '' };
        if (stack.length === 0 && all.length > 0) throw new Error('second root element');
        all.push(el);
        if (!selfClose) stack.push(el);
      }
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  return all;
}

/** The elements nested in `root` (by document order between root and its end). */
function within(all: Element[], root: Element, name: string): Element[] {
  const start = all.indexOf(root);
  const nextSuite = all.findIndex((e, i) => i > start && e.name === root.name);
  return all.slice(start + 1, nextSuite === -1 ? undefined : nextSuite).filter((e) => e.name === name);
}

// ---- tests ----

describe('reporters', () => {
  describe('json', () => {
    it('round-trips and keeps the contract keys in order', () => {
      const doc = JSON.parse(toJson(report));
      expect(Object.keys(doc)).to.deep.equal(['nslab', 'host', 'labs']);
      expect(doc.host).to.deep.equal(report.host);
      expect(doc.labs.map((l: { id: string }) => l.id)).to.deep.equal(['01-uts', '02-pid', '05-dm']);
      expect(Object.keys(doc.labs[0])).to.deep.equal(['id', 'title', 'status', 'steps', 'durationMs']);
      expect(Object.keys(doc.labs[2])).to.deep.equal(['id', 'title', 'status', 'reason', 'remedy', 'steps']);
      expect(Object.keys(doc.labs[0].steps[0])).to.deep.equal(['id', 'title', 'status', 'checks', 'measurements', 'durationMs']);
      expect(Object.keys(doc.labs[0].steps[0].checks[0])).to.deep.equal(['id', 'description', 'status', 'observed', 'expected']);
      expect(Object.keys(doc.labs[1].steps[0].checks[1])).to.deep.equal(['id', 'description', 'status', 'observed', 'expected', 'reason']);
      expect(doc.labs[1].steps[0].checks[0].observed).to.equal(NASTY);
      expect(doc.labs[0].steps[0].measurements).to.deep.equal({ unshareMicros: 120 });
    });

    it("carries each lab's six-question card, as strings in the run's language, after its reason", () => {
      // Given a lab reported with its card (as nslab run and verify report it)
      const card = { problem: '问题', tradeoff: '代价', usedBy: '用途', parts: '组成', kernel: '内核', alternatives: '其他' };
      const withCard: ReportedLab = { ...labs[2]!, card };
      const doc = JSON.parse(toJson({ ...report, labs: [labs[0]!, withCard] }));
      // Then the entry has a card with the six keys, and a lab without one has none
      expect(Object.keys(doc.labs[1])).to.deep.equal(['id', 'title', 'status', 'reason', 'remedy', 'card', 'steps']);
      expect(doc.labs[1].card).to.deep.equal(card);
      expect(Object.keys(doc.labs[1].card)).to.deep.equal(['problem', 'tradeoff', 'usedBy', 'parts', 'kernel', 'alternatives']);
      expect(doc.labs[0]).not.to.have.property('card');
    });

    it('is pretty-printed with 2 spaces', () => {
      expect(toJson(report).split('\n')[1]).to.equal('  "nslab": "0.1.0",');
    });

    it('omits transcripts unless asked', () => {
      expect(toJson(report)).not.to.include('transcripts');
      const doc = JSON.parse(toJson(report, { transcripts: true }));
      expect(doc.labs[0].steps[0].transcripts).to.deep.equal([{ command: 'hostname', output: 'inside\n', where: 'container' }]);
    });
  });

  describe('tap', () => {
    const tap = toTap(report);
    const lines = tap.split('\n');

    it('has the version line and a plan equal to the number of test points', () => {
      expect(lines[0]).to.equal('TAP version 14');
      const plan = /^1\.\.(\d+)$/.exec(lines[1]!);
      expect(plan).to.not.equal(null);
      const points = lines.filter((l) => /^(not )?ok \d+ /.test(l));
      expect(points).to.have.length(Number(plan![1]));
      expect(points).to.have.length(6); // 5 checks + 1 skipped lab
      points.forEach((l, i) => expect(l).to.match(new RegExp(`^(not )?ok ${i + 1} - `)));
    });

    it('names points lab/step/check and escapes # in descriptions', () => {
      expect(tap).to.include('ok 1 - 01-uts/newuts/hostname-inside: the hostname changed inside\n');
      expect(tap).to.include('not ok 3 - 02-pid/pidns/pid-one: the child is PID 1 \\# really\n');
    });

    it('gives failures a YAML block with observed and expected as quoted strings', () => {
      const i = lines.findIndex((l) => l.startsWith('not ok 3 '));
      expect(lines[i + 1]).to.equal('  ---');
      expect(lines[i + 2]).to.match(/^ {2}observed: "/);
      expect(JSON.parse(lines[i + 2]!.slice('  observed: '.length))).to.equal(NASTY);
      expect(lines[i + 3]).to.equal('  expected: "1"');
      expect(lines[i + 4]).to.equal('  ...');
    });

    it('shows the step error in the YAML of its failed check', () => {
      const i = lines.findIndex((l) => l.startsWith('not ok 5 - 02-pid/mount-proc/proc-mounted'));
      expect(i).to.be.greaterThan(0);
      const end = lines.indexOf('  ...', i);
      expect(lines.slice(i, end)).to.include('  error: "mount: permission denied"');
      expect(lines.slice(i, end)).to.include('  observed: "old /proc"');
    });

    it('marks skipped checks and skipped labs with SKIP directives', () => {
      expect(tap).to.include('ok 4 - 02-pid/pidns/proc-view: ps shows one process # SKIP no procps here\n');
      expect(tap).to.include('ok 6 - 05-dm # SKIP no device-mapper in this kernel\n');
    });

    it('keeps raw control characters out of the output', () => {
      expect(tap).not.to.match(/[\u0000-\u0008\u000b-\u001f]/);
    });
  });

  describe('junit', () => {
    const xml = toJunit(report);
    let all: Element[] = [];
    before(() => {
      all = parseXml(xml);
    });

    it('(the checker itself rejects malformed XML)', () => {
      expect(() => parseXml('<a><b></a></b>')).to.throw();
      expect(() => parseXml('<a>x & y</a>')).to.throw();
      expect(() => parseXml('<a t="<"/>')).to.throw();
      expect(() => parseXml('<a>\u0001</a>')).to.throw();
      expect(() => parseXml('<a><b>')).to.throw();
      expect(parseXml('<a t="&amp;"><b/>x &lt; y</a>')).to.have.length(2);
    });

    it('starts with the XML declaration and is well-formed', () => {
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).to.equal(true);
      expect(all[0]!.name).to.equal('testsuites');
      expect(all[0]!.attrs.name).to.equal('nslab');
    });

    it('has counts that match the testcase, failure and skipped elements', () => {
      const root = all[0]!;
      expect(Number(root.attrs.tests)).to.equal(all.filter((e) => e.name === 'testcase').length);
      expect(Number(root.attrs.failures)).to.equal(all.filter((e) => e.name === 'failure').length);
      expect(Number(root.attrs.skipped)).to.equal(all.filter((e) => e.name === 'skipped').length);
      expect([root.attrs.tests, root.attrs.failures, root.attrs.skipped]).to.deep.equal(['6', '2', '2']);
      const suites = all.filter((e) => e.name === 'testsuite');
      expect(suites.map((s) => s.attrs.name)).to.deep.equal(['01-uts', '02-pid', '05-dm']);
      for (const s of suites) {
        expect(Number(s.attrs.tests), s.attrs.name).to.equal(within(all, s, 'testcase').length);
        expect(Number(s.attrs.failures), s.attrs.name).to.equal(within(all, s, 'failure').length);
        expect(Number(s.attrs.skipped), s.attrs.name).to.equal(within(all, s, 'skipped').length);
      }
    });

    it('names testcases nslab.<lab>.<step> / "<check>: <description>"', () => {
      const cases = all.filter((e) => e.name === 'testcase');
      expect(cases[0]!.attrs).to.include({ classname: 'nslab.01-uts.newuts', name: 'hostname-inside: the hostname changed inside' });
      expect(cases[0]!.attrs.time).to.match(/^\d+\.\d{3}$/);
      const req = cases.find((c) => c.attrs.name === 'requirements');
      expect(req).to.not.equal(undefined);
      const skip = within(all, all.find((e) => e.name === 'testsuite' && e.attrs.name === '05-dm')!, 'skipped');
      expect(skip[0]!.attrs.message).to.include('no device-mapper in this kernel');
    });

    it('escapes special characters and strips invalid ones', () => {
      const failure = all.find((e) => e.name === 'failure')!;
      const stripped = NASTY.replace('\u0001', '');
      expect(failure.attrs.message).to.equal(`observed ${stripped}, expected 1`);
      expect(failure.text).to.equal(`observed: ${stripped}\nexpected: 1`);
      expect(xml).not.to.include('\u0001');
      expect(xml).to.include('&lt;tag a=&quot;1&quot;&gt; &amp; &apos;quoted&apos;');
    });

    it('reports the step error with its failed check', () => {
      const failures = all.filter((e) => e.name === 'failure');
      expect(failures[1]!.text).to.include('error: mount: permission denied');
    });
  });

  describe('human', () => {
    const t = (s: string): Text => ({ en: s, zh: `中文：${s}` });
    const step = (id: string, extra: Partial<Step<unknown>> = {}): Step<unknown> => ({
      id,
      title: t(`Step ${id}`),
      explain: t('A namespace wraps a global system resource in an abstraction that makes it appear to the processes within the namespace that they have their own isolated instance of the global resource.'),
      article: 'unshare --uts',
      modern: 'unshare(CLONE_NEWUTS)',
      run: async () => ({}),
      checks: [],
      ...extra,
    });
    const lab = (id: string, steps: Step<unknown>[]): Lab => ({
      id,
      title: t(`Lab ${id}`),
      card: {
        problem: t(`Why ${id} exists.`),
        tradeoff: t('What it costs.'),
        usedBy: t('Docker, runc.'),
        parts: t('A flag and a file.'),
        kernel: t('kernel/nsproxy.c, and a long sentence that wraps because it goes on past the seventy-eight columns.'),
        alternatives: t('Others.'),
      },
      requirements: [],
      steps,
    });
    const newuts = step('newuts');
    const pidns = step('pidns');
    const mountProc = step('mount-proc');
    const uts = lab('01-uts', [newuts]);
    const pid = lab('02-pid', [pidns, mountProc]);
    const dm = lab('05-dm', []);
    const longOutput = Array.from({ length: 35 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const events: RunEvent[] = [
      { type: 'lab-start', lab: uts },
      { type: 'step-start', lab: uts, step: newuts, index: 0 },
      { type: 'transcript', lab: uts, step: newuts, transcript: { command: 'seq 35', output: longOutput } },
      { type: 'transcript', lab: uts, step: newuts, transcript: { command: "sh <<'EOF'\necho $$\nEOF", output: '1\n', where: 'container' } },
      { type: 'log', lab: uts, step: newuts, line: 'creating the namespace' },
      { type: 'progress', lab: uts, step: newuts, fraction: 0.5, label: 'copying' },
      { type: 'progress', lab: uts, step: newuts, fraction: 1, label: 'copying' },
      { type: 'progress', lab: uts, step: newuts, fraction: 1, label: 'copying' },
      { type: 'step-end', lab: uts, step: newuts, result: utsSteps[0]! },
      { type: 'lab-end', lab: uts, result: labs[0]! },
      { type: 'lab-start', lab: pid },
      { type: 'step-start', lab: pid, step: pidns, index: 0 },
      { type: 'step-end', lab: pid, step: pidns, result: pidSteps[0]! },
      { type: 'step-start', lab: pid, step: mountProc, index: 1 },
      { type: 'step-end', lab: pid, step: mountProc, result: pidSteps[1]! },
      { type: 'cleanup', lab: pid, line: 'umount /proc' },
      { type: 'lab-end', lab: pid, result: labs[1]! },
      { type: 'lab-skipped', lab: dm, reason: 'no device-mapper in this kernel', remedy: 'run with --vm' },
      { type: 'lab-end', lab: dm, result: labs[2]! },
    ];
    const run = (prose: boolean, color = false, lang: 'en' | 'zh' = 'en'): string[] => {
      const out: string[] = [];
      const listener = humanListener({ lang, out: (s) => out.push(s), color, prose });
      for (const e of events) listener(e);
      return out;
    };

    it('renders prose without ANSI escapes when color is off', () => {
      const out = run(true);
      const text = out.join('\n');
      expect(text).not.to.match(/\u001b\[/);
      expect(out).to.include('▸ Step newuts');
      expect(out).to.include('  article: unshare --uts');
      expect(out).to.include('  today:   unshare(CLONE_NEWUTS)');
      expect(out).to.include('  $ seq 35');
      expect(out).to.include('    line 30');
      expect(out).not.to.include('    line 31');
      expect(out).to.include('    … (5 more lines)');
      expect(out).to.include('  creating the namespace');
      // a command of several lines keeps them under its `$`, indented
      const here = out.indexOf("  $ sh <<'EOF'   [container]");
      expect(out.slice(here, here + 4)).to.deep.equal(["  $ sh <<'EOF'   [container]", '    echo $$', '    EOF', '    1']);
      expect(out.filter((l) => l.includes('copying'))).to.have.length(1);
      expect(out).to.include('  ✓ the hostname changed inside — observed inside, expected inside');
      expect(out.some((l) => l.startsWith('  ✗ the child is PID 1 # really — observed <tag'))).to.equal(true);
      expect(out).to.include('  - skipped: ps shows one process — no procps here');
      expect(out).to.include('  error: mount: permission denied');
      expect(out).to.include('01-uts: passed (2/2 checks)');
      expect(out).to.include('02-pid: failed (0/3 checks)');
      expect(out).to.include('⊘ 05-dm skipped: no device-mapper in this kernel');
      expect(out).to.include('  to run it: run with --vm');
      expect(out.filter((l) => l.includes('05-dm'))).to.have.length(1);
      for (const l of out) expect(displayWidth(l), l).to.be.at.most(120);
    });

    it('wraps explanations to 78 columns, in English and Chinese', () => {
      for (const lang of ['en', 'zh'] as const) {
        const out = run(true, false, lang);
        const i = out.findIndex((l) => l.startsWith('▸ '));
        const explain = out.slice(i + 1, out.findIndex((l) => l.startsWith('  article:')));
        expect(explain.length, lang).to.be.greaterThan(1);
        for (const l of explain) expect(displayWidth(l), l).to.be.at.most(78);
      }
      const zh = wrap('命名空间'.repeat(30), 20, '  ');
      for (const l of zh) expect(displayWidth(l)).to.be.at.most(20);
      expect(zh.join('').replace(/ /g, '')).to.equal('命名空间'.repeat(30));
    });

    it('prints one line per check in verify mode', () => {
      const out = run(false);
      expect(out.join('\n')).not.to.match(/\u001b\[/);
      expect(out).to.include('✓ 01-uts/newuts/hostname-inside: the hostname changed inside (observed inside)');
      expect(out.some((l) => l.startsWith('✗ 02-pid/pidns/pid-one: the child is PID 1 # really (observed <tag'))).to.equal(true);
      expect(out.some((l) => l.startsWith('- 02-pid/pidns/proc-view:'))).to.equal(true);
      expect(out).not.to.include('▸ Step newuts');
      expect(out).not.to.include('  $ seq 35');
      expect(out).to.include('⊘ 05-dm skipped: no device-mapper in this kernel');
      expect(out).to.include('01-uts: passed (2/2 checks)');
    });

    it("prints the lab's six-question card, compactly, before its first step (prose only)", () => {
      for (const lang of ['en', 'zh'] as const) {
        const out = run(true, false, lang);
        const head = out.indexOf(`■ 01-uts — ${t('Lab 01-uts')[lang]}`);
        const first = out.findIndex((l) => l.startsWith('▸ '));
        const card = out.slice(head + 1, first);
        const labels = lang === 'en' ? ['Problem', 'Trade-off', 'Used by', 'Parts', 'Kernel', 'Compare'] : ['解决的问题', '代价', '用在哪里', '组成部分', '内核实现', '其他实现'];
        for (const label of labels) expect(card.filter((l) => l.startsWith(`  ${label} `))[0], label).to.be.a('string');
        expect(card.join('\n')).to.contain(t('Why 01-uts exists.')[lang]);
        expect(card.length, lang).to.be.within(7, 9); // six questions, one wraps; then the blank line before the step
        for (const l of card) expect(displayWidth(l), l).to.be.at.most(78);
      }
      expect(run(false).join('\n')).not.to.contain('Why 01-uts exists.');
    });

    it('says every word of its own in Chinese in a zh run', () => {
      const out = run(true, false, 'zh');
      expect(out).to.include('▸ 中文：Step newuts');
      expect(out).to.include('  原文：unshare --uts');
      expect(out).to.include('  今天：unshare(CLONE_NEWUTS)');
      expect(out).to.include('    ……（还有 5 行）');
      expect(out).to.include('  copying：完成（100%）');
      expect(out).to.include('  ✓ the hostname changed inside — 观察到 inside，预期 inside');
      expect(out).to.include('  - 跳过：ps shows one process — no procps here');
      expect(out).to.include('  错误：mount: permission denied');
      expect(out).to.include('  清理：umount /proc');
      expect(out).to.include('01-uts：通过（2/2 项检查）');
      expect(out).to.include('02-pid：失败（0/3 项检查）');
      expect(out).to.include('⊘ 05-dm 跳过：no device-mapper in this kernel');
      expect(out).to.include('  运行方法：run with --vm');
      expect(out.join('\n')).not.to.match(/\b(observed|expected|skipped|article|today|cleanup|error|checks|done|more lines|to run it)\b/);
      const verify = run(false, false, 'zh');
      expect(verify).to.include('✓ 01-uts/newuts/hostname-inside：the hostname changed inside（观察到 inside）');
      expect(verify.some((l) => l.startsWith('✗ 02-pid/pidns/pid-one：the child is PID 1 # really（观察到 <tag'))).to.equal(true);
      expect(verify).to.include('- 02-pid/pidns/proc-view：ps shows one process（跳过：no procps here）');
      expect(verify).to.include('✗ 02-pid/mount-proc：错误：mount: permission denied');
      expect(summaryLine(report, 'zh')).to.equal('通过 2 项，失败 2 项，跳过 2 项');
    });

    it('uses ANSI colours when color is on', () => {
      expect(run(false, true).join('\n')).to.match(/\u001b\[/);
    });

    it('summarises checks as "N passed, N failed, N skipped"', () => {
      expect(summaryLine(report)).to.equal('2 passed, 2 failed, 2 skipped');
      expect(summaryLine({ ...report, labs: [] })).to.equal('0 passed, 0 failed, 0 skipped');
    });
  });

  describe('edge cases', () => {
    it('never lets a failed lab look green: step errors without a failed check become failures', () => {
      const r: Report = {
        ...report,
        labs: [
          {
            id: '03-net',
            title: 'Network namespace',
            status: 'failed',
            steps: [
              {
                id: 'veth',
                title: 'A veth pair',
                status: 'failed',
                error: 'ip: not found',
                checks: [{ id: 'link', description: 'the link exists', status: 'skipped', observed: '', expected: 'up', reason: 'step failed' }],
              },
            ],
          },
          { id: '04-ipc', title: 'IPC', status: 'failed', reason: 'crashed before any check', steps: [] },
        ],
      };
      const tap = toTap(r);
      expect(tap).to.include('1..3\n');
      expect(tap).to.include('not ok 2 - 03-net/veth: step error (A veth pair)\n  ---\n  error: "ip: not found"\n  ...');
      expect(tap).to.include('not ok 3 - 04-ipc\n  ---\n  reason: "crashed before any check"');
      expect(summaryLine(r)).to.equal('0 passed, 2 failed, 1 skipped');
      const xml = parseXml(toJunit(r));
      expect(xml[0]!.attrs).to.include({ tests: '3', failures: '2', skipped: '1' });
      expect(xml.filter((e) => e.name === 'failure')).to.have.length(2);
    });
  });

  describe('index', () => {
    it('lists and recognises reporter names', () => {
      expect([...REPORTERS]).to.deep.equal(['human', 'json', 'tap', 'junit']);
      expect(isReporterName('tap')).to.equal(true);
      expect(isReporterName('xml')).to.equal(false);
    });

    it('renders by name', () => {
      expect(render('json', report)).to.equal(toJson(report));
      expect(render('tap', report)).to.equal(toTap(report));
      expect(render('junit', report)).to.equal(toJunit(report));
    });
  });
});
