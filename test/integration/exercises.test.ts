// Every exercise, for real: its reference solution run in a real playground must pass `check`;
// each near-miss must fail on the condition it names, with the hint it names; after either, the
// host is as it was. An exercise that cannot run here is pending with its reason, never passed
// (vm-only ones run in the VM: see 12-devicemapper.test.ts).
//
// Playgrounds share nothing, so the runs go two at a time (the host is compared before and after
// each pair); an exercise whose check measures CPU time runs alone.
import { expect } from 'chai';
import { addonOnly, rootOnly } from '../00.setup.js';
import { isRoot } from '../../runner/kit/requirements.js';
import { addonStatus } from '../../addon/index.js';
import { loadAllLabs } from '../../labs/index.js';
import type { Exercise } from '../../runner/core/exercise.js';
import type { Lab } from '../../runner/core/model.js';
import { openPlayground, type PlaygroundRun } from '../../runner/core/playground.js';
import { unavailable } from '../../runner/front/commands/try.js';
import { hostSnapshot, type HostSnapshot } from '../helpers.js';

const labs = await loadAllLabs();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyExercise = Exercise<any>;

interface Job {
  readonly key: string;
  readonly lab: Lab;
  readonly ex: AnyExercise;
  readonly script: string;
}

interface Done {
  readonly run?: PlaygroundRun;
  readonly error?: unknown;
  readonly before: HostSnapshot;
  readonly after: HostSnapshot;
}

/** The labs' exercises and the capstone's levels (judged the same way, with the reference runtime). */
const practice = (lab: Lab): readonly AnyExercise[] => [...(lab.exercises ?? []), ...(lab.levels ?? [])];

const jobs: Job[] = labs.flatMap((lab) =>
  practice(lab)
    .filter((ex) => !ex.vmOnly)
    .flatMap((ex) => [
      { key: `${lab.id}/${ex.id}/solution`, lab, ex, script: ex.solution },
      ...ex.nearMisses.map((m) => ({ key: `${lab.id}/${ex.id}/${m.id}`, lab, ex, script: m.script })),
    ]),
);

const results = new Map<string, Done>();
const why = new Map<AnyExercise, string | undefined>();

async function runAll(): Promise<void> {
  for (const lab of labs) for (const ex of practice(lab)) why.set(ex, await unavailable(lab, ex, 'en'));
  const todo = jobs.filter((j) => why.get(j.ex) === undefined);
  const alone = todo.filter((j) => j.ex.measuresCpu);
  const paired = todo.filter((j) => !j.ex.measuresCpu);
  const batches: Job[][] = [...alone.map((j) => [j])];
  for (let i = 0; i < paired.length; i += 2) batches.push(paired.slice(i, i + 2));
  for (const batch of batches) {
    const before = hostSnapshot();
    const runs = await Promise.all(
      batch.map((j) =>
        openPlayground(j.lab, j.ex, { lang: 'en', signal: new AbortController().signal, script: j.script, output: 'pipe' }).then(
          (run) => ({ run }),
          (error: unknown) => ({ error }),
        ),
      ),
    );
    const after = hostSnapshot();
    batch.forEach((j, i) => results.set(j.key, { ...runs[i]!, before, after }));
  }
}

function result(key: string): PlaygroundRun {
  const done = results.get(key);
  if (!done) throw new Error(`${key} did not run`);
  if (done.error !== undefined) throw done.error;
  const r = done.run!;
  expect(r.errors, 'what the playground could not remove').to.deep.equal([]);
  expect(done.after, 'the host after the playground').to.deep.equal(done.before);
  return r;
}

const last = (r: PlaygroundRun) => {
  const j = r.judgements.at(-1);
  if (!j) throw new Error(`check was never judged; the playground printed:\n${r.output}`);
  return j;
};

describe('exercises: reference solutions and near-misses in a real playground (integration)', function () {
  this.timeout(60_000);
  before(async function () {
    if (!isRoot() || !addonStatus().ok) return; // each test below says why it is skipped
    this.timeout(600_000);
    await runAll();
  });
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  for (const lab of labs)
    for (const ex of practice(lab)) {
      if (ex.vmOnly) continue;
      describe(`${lab.id} ${ex.id}`, function () {
        beforeEach(function () {
          const reason = why.get(ex);
          if (reason !== undefined) {
            this.currentTest!.title += ` (pending: ${reason})`;
            this.skip();
          }
        });

        it('the reference solution passes check and leaves the host as it was', function () {
          const r = result(`${lab.id}/${ex.id}/solution`);
          const j = last(r);
          expect(j.error, r.output).to.equal(undefined);
          expect(j.conditions.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.observed} (${c.hint ?? c.reason ?? ''})`), r.output).to.deep.equal([]);
          expect(j.done).to.equal(true);
          expect(r.code, 'the script ends with check, which exits 0 when done').to.equal(0);
        });

        for (const miss of ex.nearMisses)
          it(`near-miss "${miss.id}" fails ${miss.fails} with its hint`, function () {
            const r = result(`${lab.id}/${ex.id}/${miss.id}`);
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
