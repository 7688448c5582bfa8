// The engine with fake labs: statuses, skips and errors are reported honestly.
import { expect } from 'chai';
import { useTempRunDir } from '../helpers.js';
import { evaluateCheck, runLab } from '../../runner/core/engine.js';
import { step, t, type Lab, type RunEvent } from '../../runner/core/model.js';

const text = (s: string) => ({ en: s, zh: s });
const card = { problem: text('p'), tradeoff: text('t'), usedBy: text('u'), parts: text('p'), kernel: text('k'), alternatives: text('a') };

/** A step that observes n = 42; its checks judge only that observation. */
const one = step<{ n: number }>({
  id: 'one',
  title: text('One'),
  explain: text('x'),
  async run() {
    return { n: 41 + 1 };
  },
  checks: [
    { id: 'is-42', description: t('n is 42.', 'n 等于 42。'), evaluate: (o) => ({ observed: String(o.n), expected: '42', pass: o.n === 42 }) },
    { id: 'is-43', description: t('n is 43.', 'n 等于 43。'), evaluate: (o) => ({ observed: String(o.n), expected: t('43 exactly', '恰好 43'), pass: o.n === 43 }) },
    {
      id: 'cannot',
      description: t('needs v2.', '需要 v2。'),
      evaluate: () => ({ observed: 'v1', expected: 'v2', pass: true, skip: t('no cgroup v2 here', '这里没有 cgroup v2') }),
    },
  ],
});

function fakeLab(over: Partial<Lab> = {}): Lab {
  return { id: '99-fake', title: text('Fake'), card, requirements: [], steps: [one], ...over };
}

describe('engine', function () {
  useTempRunDir();

  it('fails a lab when one check fails, and keeps a skipped check skipped (never passed)', async function () {
    const r = await runLab(fakeLab(), { lang: 'en' });
    expect(r.status).to.equal('failed');
    expect(r.steps[0]!.checks.map((c) => c.status)).to.deep.equal(['passed', 'failed', 'skipped']);
    expect(r.steps[0]!.checks[2]!.reason).to.equal('no cgroup v2 here');
  });

  it("reports every text in the run's language: descriptions, prose values, reasons; values stay as they are", async function () {
    const r = await runLab(fakeLab(), { lang: 'zh' });
    const [is42, is43, cannot] = r.steps[0]!.checks;
    expect(is42).to.include({ description: 'n 等于 42。', observed: '42', expected: '42', status: 'passed' });
    expect(is43).to.include({ description: 'n 等于 43。', expected: '恰好 43', status: 'failed' });
    expect(cannot).to.include({ status: 'skipped', reason: '这里没有 cgroup v2' });
  });

  it('skips a lab whose requirement is unmet, with the reason and the remedy, and runs nothing', async function () {
    let ran = false;
    const lab = fakeLab({
      requirements: [
        {
          id: 'x',
          description: t('x', 'x'),
          probe: () => ({ ok: false, reason: t('no device-mapper in this kernel', '这个内核没有 device-mapper'), remedy: t('run with --vm', '加上 --vm 运行') }),
        },
      ],
      steps: [
        {
          ...one,
          run: async () => {
            ran = true;
            return { n: 42 };
          },
        },
      ],
    });
    const r = await runLab(lab, { lang: 'en' });
    expect(r).to.include({ status: 'skipped', reason: 'no device-mapper in this kernel', remedy: 'run with --vm' });
    expect(ran).to.equal(false);
    expect(await runLab(lab, { lang: 'zh' })).to.include({ status: 'skipped', reason: '这个内核没有 device-mapper', remedy: '加上 --vm 运行' });
  });

  it('turns a step error into failed checks and skips the steps after it', async function () {
    const broken = fakeLab({
      steps: [{ ...one, run: () => Promise.reject(new Error('EPERM: mount("proc", "/proc"): Operation not permitted')) }, one],
    });
    const events: RunEvent[] = [];
    const r = await runLab(broken, { lang: 'en', listener: (e) => events.push(e) });
    expect(r.status).to.equal('failed');
    expect(r.steps[0]!.error).to.contain('EPERM');
    expect(r.steps[0]!.checks.every((c) => c.status === 'failed')).to.equal(true);
    expect(r.steps[1]!.status).to.equal('skipped');
    expect(events.map((e) => e.type)).to.deep.equal(['lab-start', 'step-start', 'step-end', 'step-end', 'lab-end']);
  });

  it("hands a step what an earlier step observed, and each check only its own step's observation", async function () {
    // Given a second step that builds on the first one's observation
    const seen: unknown[] = [];
    const second = step<{ n: number; doubled: number }>({
      id: 'two',
      title: text('Two'),
      explain: text('x'),
      async run(ctx) {
        const { n } = ctx.observed(one);
        return { n, doubled: n * 2 };
      },
      checks: [{ id: 'doubled', description: t('doubled is 84.', '翻倍后是 84。'), evaluate: (o) => (seen.push(o), { observed: String(o.doubled), expected: '84', pass: o.doubled === 84 }) }],
    });
    // When the lab runs (the first step's is-43 check fails, which does not stop the lab)
    const r = await runLab(fakeLab({ steps: [one, second] }), { lang: 'en' });
    // Then the second step read the first one's observation and its check judged its own
    expect(r.steps.map((s) => s.status)).to.deep.equal(['failed', 'passed']);
    expect(seen).to.deep.equal([{ n: 42, doubled: 84 }]);
  });

  it('fails a check whose evaluation throws (no observation is no pass)', function () {
    const check = { id: 'x', description: t('x', 'x'), evaluate: (o: { a?: { b: number } }) => ({ observed: String(o.a!.b), expected: '1', pass: true }) };
    const r = evaluateCheck(check, {});
    expect(r.status).to.equal('failed');
    expect(r.observed).to.match(/no observation/);
    expect(evaluateCheck(check, {}, 'zh').observed).to.match(/^没有观察结果/);
  });

  it('stops an interrupted step, unwinds and reports the lab as failed and interrupted', async function () {
    this.timeout(6000); // the engine gives a step that never settles 2 s to wind down
    const ac = new AbortController();
    const lab = fakeLab({
      steps: [
        step<{ n: number }>({
          ...one,
          run: (ctx) => {
            ctx.scratch();
            setTimeout(() => ac.abort(), 20);
            return new Promise(() => undefined); // never ends on its own
          },
        }),
      ],
    });
    const events: RunEvent[] = [];
    const r = await runLab(lab, { lang: 'en', signal: ac.signal, listener: (e) => events.push(e) });
    expect(r).to.include({ status: 'failed', reason: 'interrupted' });
    expect(r.steps[0]!.error).to.match(/interrupted/);
    expect(events.some((e) => e.type === 'cleanup' && /scratch directory/.test(e.line))).to.equal(true);
  });
});

describe('engine: resources one run at a time', function () {
  useTempRunDir();

  it('waits for a resource another run holds, says for whom, and is skipped (never passed) when interrupted meanwhile', async function () {
    // Given another run holding the lab's resource
    const { ResourceLock } = await import('../../runner/core/owner.js');
    const held = await ResourceLock.acquire('unit-res', '09-cgroups', new AbortController().signal, () => undefined);
    const events: RunEvent[] = [];
    const ac = new AbortController();
    try {
      // When the lab starts and is interrupted while it waits
      const running = runLab(fakeLab({ exclusive: ['unit-res'] }), { lang: 'en', signal: ac.signal, listener: (e) => events.push(e) });
      await new Promise((r) => setTimeout(r, 250));
      ac.abort();
      const r = await running;
      // Then it said whom it waited for, ran no step, and is skipped with the reason
      const waiting = events.find((e) => e.type === 'waiting');
      expect(waiting && waiting.type === 'waiting' ? waiting.holder : '').to.equal(`09-cgroups run ${process.pid}`);
      expect(events.some((e) => e.type === 'step-start')).to.equal(false);
      expect(r.status).to.equal('skipped');
      expect(r.reason).to.equal('interrupted while waiting for another run to finish');
    } finally {
      held.release();
    }
  });

  it('runs once the other run lets the resource go', async function () {
    const { ResourceLock } = await import('../../runner/core/owner.js');
    const held = await ResourceLock.acquire('unit-res', '10-cgroup-v2', new AbortController().signal, () => undefined);
    setTimeout(() => held.release(), 200);
    const r = await runLab(fakeLab({ exclusive: ['unit-res'], steps: [{ ...one, checks: [one.checks[0]!] }] }), { lang: 'en' });
    expect(r.status).to.equal('passed');
  });
});
