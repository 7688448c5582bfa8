// The exercises as data, without root: every lab has two or more, each complete in both
// languages, with one to three hints, a solution and near-misses that name real conditions; the
// kinds the issue asks for are all there. The judging (judge(), the text the shell prints) runs on
// made-up observations here; the real runs are in test/integration/exercises.test.ts.
import { expect } from 'chai';
import { loadAllLabs } from '../../labs/index.js';
import { exercise, type Exercise, type PlaygroundView } from '../../runner/core/exercise.js';
import { t, type Text } from '../../runner/core/model.js';
import { judge, judgementText } from '../../runner/core/playground.js';
import { exerciseJunit, exerciseReport } from '../../runner/front/commands/try.js';

const labs = await loadAllLabs();
const HAN = /\p{Script=Han}/u;

function complete(text: Text, what: string): void {
  expect(text.en.trim(), `${what} (en)`).to.not.equal('');
  expect(text.zh.trim(), `${what} (zh)`).to.match(HAN);
}

describe('exercises (unit)', function () {
  it('every lab has at least two exercises, 24 or more in all, with unique ids', function () {
    let total = 0;
    for (const lab of labs) {
      const ids = (lab.exercises ?? lab.levels ?? []).map((e) => e.id);
      expect(ids.length, lab.id).to.be.at.least(2);
      expect(new Set(ids).size, `${lab.id}: duplicate exercise ids`).to.equal(ids.length);
      for (const id of ids) expect(id, lab.id).to.match(/^[a-z][a-z0-9-]*$/);
      total += ids.length;
    }
    expect(total).to.be.at.least(24);
  });

  it('includes "predict, then measure" and "what breaks" tasks', function () {
    const kinds = labs.flatMap((l) => (l.exercises ?? []).map((e) => e.kind));
    expect(kinds).to.include('predict');
    expect(kinds).to.include('break');
  });

  for (const lab of labs)
    for (const ex of [...(lab.exercises ?? []), ...(lab.levels ?? [])])
      it(`${lab.id} ${ex.id}: complete in both languages, 1–3 hints, a solution, near-misses on real conditions`, function () {
        complete(ex.title, 'title');
        complete(ex.task, 'task');
        complete(ex.looksAt, 'looksAt');
        expect(ex.hints.length).to.be.within(1, 3);
        ex.hints.forEach((h, i) => complete(h, `hint ${i + 1}`));
        expect(ex.conditions.length).to.be.at.least(1);
        const ids = ex.conditions.map((c) => c.id);
        expect(new Set(ids).size).to.equal(ids.length);
        ex.conditions.forEach((c) => complete(c.description, `condition ${c.id}`));
        expect(ex.solution.trim()).to.not.equal('');
        expect(ex.nearMisses.length).to.be.at.least(1);
        for (const m of ex.nearMisses) {
          expect(ids, `near-miss ${m.id} names condition ${m.fails}`).to.include(m.fails);
          expect(m.hint.trim(), `near-miss ${m.id} hint`).to.not.equal('');
          expect(m.script.trim()).to.not.equal(ex.solution.trim());
          complete(m.what, `near-miss ${m.id}`);
        }
      });
});

describe('judging a playground (unit)', function () {
  const lab = labs[0]!;
  const ex: Exercise<{ name: string }> = exercise({
    id: 'made-up',
    kind: 'do',
    title: t('made up', '虚构的'),
    task: t('name it box', '把它命名为 box'),
    hints: [t('hostname', '用 hostname')],
    looksAt: t('a made-up name', '一个虚构的名字'),
    observe: (pg: PlaygroundView) => ({ name: pg.answer ?? '' }),
    conditions: [
      {
        id: 'named',
        description: t('It is called box.', '它叫 box。'),
        evaluate: (o) => ({ observed: o.name, expected: 'box', pass: o.name === 'box', ...(o.name === 'box' ? {} : { hint: t(`it is called "${o.name}"`, `它叫“${o.name}”`) }) }),
      },
      {
        id: 'throws',
        description: t('A condition that breaks.', '一个会出错的条件。'),
        evaluate: (o) => {
          if (o.name === 'crash') throw new Error('no such thing');
          return { observed: 'fine', expected: 'fine', pass: true };
        },
      },
    ],
    solution: 'answer box',
    nearMisses: [{ id: 'other', what: t('another name', '别的名字'), script: 'answer boxer', fails: 'named', hint: 'boxer' }],
  });
  const view = (answer: string | undefined) => ({ answer }) as unknown as PlaygroundView;

  it('passes only when every condition holds, and prints ✓ lines and "done"', async function () {
    const j = await judge(lab, ex, view('box'), 'en');
    expect(j.done).to.equal(true);
    const text = judgementText(j, ex as Exercise<unknown>, 'en');
    expect(text).to.contain('✓ It is called box.');
    expect(text).to.contain('looked at: a made-up name');
    expect(text).to.contain('done: every condition holds');
  });

  it('fails with the condition\'s own hint, observed and expected, in Chinese with full-width colons', async function () {
    const j = await judge(lab, ex, view('boxer'), 'zh');
    expect(j.done).to.equal(false);
    expect(j.conditions[0]).to.include({ status: 'failed', observed: 'boxer', expected: 'box', hint: '它叫“boxer”' });
    const text = judgementText(j, ex as Exercise<unknown>, 'zh');
    expect(text).to.contain('✗ 它叫 box。');
    expect(text).to.contain('    → 提示：它叫“boxer”');
    expect(text).to.contain('还没有完成：1/2');
  });

  it('counts a condition that throws as a miss with the error, never as passed', async function () {
    const j = await judge(lab, ex, view('crash'), 'en');
    expect(j.done).to.equal(false);
    expect(j.conditions[1]).to.include({ status: 'failed', reason: 'no such thing' });
  });

  it('reports observe() failing as an error, not done', async function () {
    const broken = { ...ex, observe: () => Promise.reject(new Error('cannot read /proc/1/ns/uts')) };
    const j = await judge(lab, broken, view(undefined), 'en');
    expect(j).to.include({ done: false, error: 'cannot read /proc/1/ns/uts' });
    expect(judgementText(j, broken as Exercise<unknown>, 'en')).to.contain('✗ could not look: cannot read /proc/1/ns/uts');
  });
});

describe('the teacher report (unit)', function () {
  it('says done, tried and not started from the progress, in json and junit', async function () {
    const first = labs[0]!;
    const [a, b] = first.exercises!;
    const r = await exerciseReport('en', {
      [`${first.id}/${a!.id}`]: { done: true, checks: 3, last: '2/2', at: '2026-12-01T10:00:00Z', doneAt: '2026-12-01T10:00:00Z' },
      [`${first.id}/${b!.id}`]: { done: false, checks: 1, last: '0/1', at: '2026-12-01T11:00:00Z' },
    });
    const row = (id: string) => r.exercises.find((e) => e.lab === first.id && e.id === id)!;
    expect(row(a!.id)).to.include({ status: 'done', checks: 3 });
    expect(row(b!.id)).to.include({ status: 'tried', last: '0/1' });
    expect(r.summary.total).to.equal(r.exercises.length);
    expect(r.summary.done).to.equal(1);
    expect(r.summary.tried).to.equal(1);
    const xml = exerciseJunit(r);
    expect(xml).to.match(/^<\?xml/);
    expect(xml).to.contain(`<testcase classname="${first.id}" name="${a!.id}: `);
    expect(xml).to.match(/<failure message="not done: 0\/1 conditions held at the last of 1 checks">/);
    expect((xml.match(/<testcase /g) ?? []).length).to.equal(r.exercises.length);
  });
});
