// The content check (like rustlings' maintainer check): walks the lab registry and fails on a
// lab or step whose text, checks or commands are missing, and on a stray folder in labs/.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { catalogue, loadAllLabs } from '../../labs/index.js';
import type { About, Lab, Text } from '../../runner/core/model.js';
import { say } from '../../runner/core/model.js';
import { CARD_KEYS } from '../../runner/front/tui/format.js';
import { repoRoot } from '../helpers.js';

const registry = catalogue;
let implemented: Lab[] = [];
const blank = (s: string | undefined) => s === undefined || s.trim() === '';

/** Problems with a bilingual text: each language present and not blank. */
function textProblems(where: string, t: Text | undefined): string[] {
  if (!t) return [`${where}: missing`];
  return (['en', 'zh'] as const).filter((l) => blank(t[l])).map((l) => `${where}: no ${l} text`);
}

function stepProblems(lab: Lab): string[] {
  const problems: string[] = [];
  if (lab.steps.length === 0) problems.push(`${lab.id}: no steps`);
  const stepIds = new Set<string>();
  for (const step of lab.steps) {
    const at = `${lab.id}/${step.id}`;
    if (stepIds.has(step.id)) problems.push(`${at}: duplicate step id`);
    stepIds.add(step.id);
    problems.push(...textProblems(`${at} title`, step.title), ...textProblems(`${at} explain`, step.explain));
    if (step.checks.length === 0) problems.push(`${at}: no check`);
    const checkIds = new Set<string>();
    for (const c of step.checks) {
      if (checkIds.has(c.id)) problems.push(`${at}/${c.id}: duplicate check id`);
      checkIds.add(c.id);
      problems.push(...textProblems(`${at}/${c.id} description`, c.description));
    }
    // Every step runs something: today's command is shown; the article's, when the step has one, is not blank.
    if (step.modern === undefined || blank(say(step.modern, 'en')) || blank(say(step.modern, 'zh'))) problems.push(`${at}: empty modern command`);
    if (step.article !== undefined && blank(step.article)) problems.push(`${at}: empty article command`);
  }
  return problems;
}

describe('lab registry content', function () {
  before(async function () {
    implemented = await loadAllLabs();
  });

  it('lists the labs in order with well-formed, unique ids', function () {
    const ids = registry.map((l) => l.id);
    expect(new Set(ids).size, 'duplicate ids').to.equal(ids.length);
    for (const id of ids) expect(id).to.match(/^\d\d-[a-z0-9]+(-[a-z0-9]+)*$/);
    expect([...ids].sort()).to.deep.equal(ids);
    for (const l of registry) expect(textProblems(`${l.id} title`, l.title)).to.deep.equal([]);
  });

  it('has folders in labs/ that match registry ids, and no stray folder', function () {
    const dir = join(repoRoot, 'labs');
    const folders = readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory());
    const ids = new Set(registry.map((l) => l.id));
    // Given every folder in labs/, When it is looked up in the registry, Then it is there
    expect(folders.filter((f) => !ids.has(f)), 'folders that are not lab ids').to.deep.equal([]);
    // and every implemented lab lives in a folder of its own name
    expect(implemented.map((l) => l.id).filter((id) => !folders.includes(id)), 'implemented labs without a folder').to.deep.equal([]);
  });

  it('has a built catalogue (dist/labs/catalogue.js) that says exactly what the labs\' about files say', function () {
    // Given the about files read one by one, in a fresh process
    const fresh = execFileSync(process.execPath, ['--input-type=module', '-e', `const { catalogue } = await import(${JSON.stringify(new URL('../../labs/index.js', import.meta.url).href)}); console.log(JSON.stringify(catalogue));`], {
      env: { ...process.env, NSLAB_CATALOGUE: 'modules' },
      encoding: 'utf8',
    });
    // Then the catalogue this process loaded (the built one) is the same, entry by entry
    expect(existsSync(join(repoRoot, 'dist', 'labs', 'catalogue.js')), 'npm run build:ts writes dist/labs/catalogue.js').to.equal(true);
    expect(JSON.parse(JSON.stringify(catalogue))).to.deep.equal(JSON.parse(fresh));
  });

  it('keeps each lab whole in its folder: about.ts, index.ts and examples.ts, and the Lab agrees with its about', async function () {
    const problems: string[] = [];
    for (const lab of implemented) {
      for (const f of ['about.ts', 'index.ts', 'examples.ts'])
        if (!existsSync(join(repoRoot, 'labs', lab.id, f))) problems.push(`labs/${lab.id}/${f} is missing`);
      const about = catalogue.find((a) => a.id === lab.id) as About;
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (!same(lab.title, about.title)) problems.push(`${lab.id}: the Lab's title is not its about.title (spread about into the Lab)`);
      if (!same(lab.vmModules, about.vmModules)) problems.push(`${lab.id}: vmModules differ from about.vmModules`);
      if ((about.hasShell ?? false) !== (lab.shell !== undefined)) problems.push(`${lab.id}: about.hasShell says ${about.hasShell}, the Lab ${lab.shell ? 'has' : 'has no'} shell hook`);
      if (!same(lab.exclusive, about.exclusive)) problems.push(`${lab.id}: exclusive differs from about.exclusive`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('gives every implemented lab a card answering the six questions in both languages', function () {
    const problems = implemented.flatMap((lab) => CARD_KEYS.flatMap((k) => textProblems(`${lab.id} card.${k}`, lab.card?.[k])));
    expect(problems).to.deep.equal([]);
  });

  it('gives every step both texts, a check, and the commands it runs', function () {
    expect(implemented.flatMap(stepProblems)).to.deep.equal([]);
  });

  it('catches a step without Chinese, without a check or with a blank command', function () {
    // Given a lab with each mistake once
    const good = implemented[0]!;
    const broken: Lab = {
      ...good,
      id: '99-broken',
      steps: [{ ...good.steps[0]!, id: 'a', explain: { en: 'Why.', zh: ' ' }, checks: [], modern: '', article: '' }],
    };
    // When it is checked, Then each mistake is named
    expect(stepProblems(broken)).to.deep.equal([
      '99-broken/a explain: no zh text',
      '99-broken/a: no check',
      '99-broken/a: empty modern command',
      '99-broken/a: empty article command',
    ]);
  });
});
