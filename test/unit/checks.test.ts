// Every check of every lab, judged on made-up observations (labs/<id>/examples.ts) without
// root: the passing observation passes every check of its step, and each check has at least
// one observation that makes it fail. A lab added to the registry is tested here with no
// other change; a step or check without examples fails. Every outcome is also read as a learner
// reads it: prose is a Text with a Chinese half, a bare string is a value, never an English sentence.
import { expect } from 'chai';
import { loadAllLabs } from '../../labs/index.js';
import { say, type CheckOutcome, type Lab, type Shown, type StepExamples } from '../../runner/kit/index.js';
import { proseProblem } from '../zh-rules.js';

// Top-level await: mocha needs the labs' steps to declare one test per check.
const labs: Lab[] = await loadAllLabs();
const many = <O>(x: O | readonly O[] | undefined): readonly O[] => (x === undefined ? [] : Array.isArray(x) ? (x as readonly O[]) : [x as O]);
const show = (o: CheckOutcome) =>
  `observed ${say(o.observed, 'en')}; expected ${say(o.expected, 'en')}${o.skip !== undefined ? `; skipped: ${o.skip.en}` : ''}`;

/** What is wrong with how an outcome shows itself to a learner, if anything. */
function shownProblems(o: CheckOutcome): string[] {
  const out: string[] = [];
  const look = (what: string, x: Shown | undefined) => {
    if (x === undefined) return;
    const p = proseProblem(x);
    if (p) out.push(`${what}: ${p}`);
  };
  look('observed', o.observed);
  look('expected', o.expected);
  look('skip', o.skip);
  return out;
}

describe('checks on made-up observations (every lab, no root)', function () {
  for (const lab of labs) {
    describe(lab.id, function () {
      let all: readonly StepExamples<unknown>[] = [];
      before(async function () {
        all = ((await import(`../../labs/${lab.id}/examples.js`)) as { default: readonly StepExamples<unknown>[] }).default;
      });

      it('has examples for every step, naming only checks that exist', function () {
        expect(all.map((e) => e.step.id)).to.have.members(lab.steps.map((s) => s.id));
        for (const e of all) {
          const ids = e.step.checks.map((c) => c.id);
          expect(lab.steps, `${e.step.id} is not a step of ${lab.id}`).to.include(e.step);
          for (const id of [...Object.keys(e.fail), ...Object.keys(e.skip ?? {})]) expect(ids, `${e.step.id}: no check ${id}`).to.include(id);
        }
      });

      for (const step of lab.steps)
        for (const check of step.checks) {
          it(`${step.id}/${check.id}: says what it checks in both languages`, function () {
            expect(proseProblem(check.description), check.description.en).to.equal(undefined);
          });
          it(`${step.id}/${check.id}: passes on the passing observation, fails on each failing one`, function () {
            const e = all.find((x) => x.step === step);
            expect(e, `labs/${lab.id}/examples.ts has no examples for step ${step.id}`).to.not.equal(undefined);
            const ok = check.evaluate(e!.pass);
            expect(ok.skip, show(ok)).to.equal(undefined);
            expect(ok.pass, show(ok)).to.equal(true);
            expect(shownProblems(ok), 'passing example').to.deep.equal([]);
            const failing = many(e!.fail[check.id]);
            expect(failing.length, `no failing observation for ${step.id}/${check.id}`).to.be.greaterThan(0);
            for (const [i, o] of failing.entries()) {
              const r = check.evaluate(o);
              expect(r.pass, `failing example ${i}: ${show(r)}`).to.equal(false);
              expect(r.skip, `failing example ${i} was skipped: ${show(r)}`).to.equal(undefined);
              expect(shownProblems(r), `failing example ${i}`).to.deep.equal([]);
            }
            for (const [i, o] of many(e!.skip?.[check.id]).entries()) {
              const r = check.evaluate(o);
              expect(r.skip?.zh, `skip example ${i}: ${show(r)}`).to.be.a('string');
              expect(shownProblems(r), `skip example ${i}`).to.deep.equal([]);
            }
          });
        }
    });
  }
});
