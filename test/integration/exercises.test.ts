// Every exercise, for real: its reference solution run in a real playground must pass `check`;
// each near-miss must fail on the condition it names, with the hint it names; after either, the
// host is as it was. An exercise that cannot run here is pending with its reason, never passed
// (vm-only ones run in the VM: see 12-devicemapper.test.ts).
import { expect } from 'chai';
import { addonOnly, rootOnly } from '../00.setup.js';
import { loadAllLabs } from '../../labs/index.js';
import type { Exercise } from '../../runner/core/exercise.js';
import type { Lab } from '../../runner/core/model.js';
import { openPlayground, type PlaygroundRun } from '../../runner/core/playground.js';
import { unavailable } from '../../runner/front/commands/try.js';
import { hostSnapshot } from '../helpers.js';

const labs = await loadAllLabs();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyExercise = Exercise<any>;

/** Run a script in a playground and compare the host before and after. */
export async function inPlayground(lab: Lab, ex: AnyExercise, script: string, lang: 'en' | 'zh' = 'en'): Promise<PlaygroundRun> {
  const before = hostSnapshot();
  const r = await openPlayground(lab, ex, { lang, signal: new AbortController().signal, script, output: 'pipe' });
  expect(r.errors, 'what the playground could not remove').to.deep.equal([]);
  expect(hostSnapshot(), 'the host after the playground').to.deep.equal(before);
  return r;
}

const last = (r: PlaygroundRun) => {
  const j = r.judgements.at(-1);
  if (!j) throw new Error(`check was never judged; the playground printed:\n${r.output}`);
  return j;
};

describe('exercises: reference solutions and near-misses in a real playground (integration)', function () {
  this.timeout(60_000);
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  for (const lab of labs)
    for (const ex of lab.exercises ?? []) {
      if (ex.vmOnly) continue;
      describe(`${lab.id} ${ex.id}`, function () {
        let why: string | undefined;
        before(async function () {
          why = await unavailable(lab, ex, 'en');
        });
        beforeEach(function () {
          if (why !== undefined) {
            this.currentTest!.title += ` (pending: ${why})`;
            this.skip();
          }
        });

        it('the reference solution passes check and leaves the host as it was', async function () {
          const r = await inPlayground(lab, ex, ex.solution);
          const j = last(r);
          expect(j.error, r.output).to.equal(undefined);
          expect(j.conditions.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.observed} (${c.hint ?? c.reason ?? ''})`), r.output).to.deep.equal([]);
          expect(j.done).to.equal(true);
          expect(r.code, 'the script ends with check, which exits 0 when done').to.equal(0);
        });

        for (const miss of ex.nearMisses)
          it(`near-miss "${miss.id}" fails ${miss.fails} with its hint`, async function () {
            const r = await inPlayground(lab, ex, miss.script);
            const j = last(r);
            expect(j.done, r.output).to.equal(false);
            const c = j.conditions.find((x) => x.id === miss.fails);
            expect(c, `condition ${miss.fails}`).to.not.equal(undefined);
            expect(c!.status, r.output).to.equal('failed');
            expect(c!.hint ?? '', r.output).to.contain(miss.hint);
            expect(r.code).to.equal(1);
          });
      });
    }
});
