// A real run in Chinese, as a learner reads it: nslab's own words, the lab's texts and the
// six-question card are Chinese; only what the commands printed stays as it was.
import { expect } from 'chai';
import { addonOnly, rootOnly } from '../00.setup.js';
import { join } from 'node:path';
import { hostSnapshot, nslab, repoRoot } from '../helpers.js';

const CHINESE = /[\u3400-\u4dbf\u4e00-\u9fff]/;

/** scripts/zh-coverage.mjs's measure: the share of the lines a learner reads that carry Chinese. */
async function coverage(stdout: string): Promise<{ total: number; chinese: number; percent: number; without: string[] }> {
  const { measure } = (await import(join(repoRoot, 'scripts', 'zh-coverage.mjs'))) as { measure(text: string): { total: number; chinese: number; percent: number; without: string[] } };
  return measure(stdout);
}

describe('a run in Chinese (nslab run / verify --lang zh)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('says in Chinese at least 95 % of the lines a learner reads, the card first', async function () {
    this.timeout(60_000);
    const before = hostSnapshot();
    const r = await nslab(['run', '01-uts', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    const m = await coverage(r.stdout);
    expect(m.percent, m.without.join('\n')).to.be.at.least(95);
    // The card comes between the lab's title and its first step
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('■ 01-uts'));
    const first = lines.findIndex((l) => l.startsWith('▸ '));
    expect(lines.slice(head + 1, first).join('\n')).to.match(/解决的问题[\s\S]*代价[\s\S]*用在哪里[\s\S]*组成部分[\s\S]*内核实现[\s\S]*其他实现/);
    expect(r.stdout).to.match(/^通过 \d+ 项，失败 0 项，跳过 0 项$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('gives each lab of the JSON report its card, in the language of the run', async function () {
    this.timeout(60_000);
    for (const lang of ['en', 'zh'] as const) {
      const r = await nslab(['verify', '01-uts', '--reporter', 'json', '--lang', lang]);
      expect(r.code, r.stderr).to.equal(0);
      const doc = JSON.parse(r.stdout) as { labs: { card?: Record<string, string> }[] };
      const card = doc.labs[0]!.card!;
      expect(Object.keys(card)).to.deep.equal(['problem', 'tradeoff', 'usedBy', 'parts', 'kernel', 'alternatives']);
      for (const v of Object.values(card)) expect(CHINESE.test(v), `${lang}: ${v}`).to.equal(lang === 'zh');
    }
  });
});
