// Every Chinese string in the source, read as the glossary says (docs/glossary.md): full-width
// punctuation around Chinese characters and the glossary's words. The strings are found in the
// source text (`zh: '…'` and `t('…', '…')`), so a log line or an error counts as much as a title.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FORBIDDEN, glossaryProblems, punctuationProblems, proseProblem } from '../zh-rules.js';
import { repoRoot } from '../helpers.js';

const ROOTS = ['labs', 'runner'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const QUOTED = String.raw`(['"\x60])((?:\\[\s\S]|\$\{(?:[^{}]|\{[^{}]*\})*\}|(?!\1)[^\\])*)\1`;

/** The zh strings of one source file, with their line numbers; `${…}` parts read as "X". */
export function zhStrings(text: string): { line: number; zh: string }[] {
  const found: { line: number; zh: string }[] = [];
  const add = (index: number, body: string) =>
    found.push({ line: text.slice(0, index).split('\n').length, zh: body.replace(/\$\{(?:[^{}]|\{[^{}]*\})*\}/g, 'X') });
  for (const m of text.matchAll(new RegExp(String.raw`\bzh:\s*` + QUOTED, 'g'))) add(m.index, m[2]!);
  for (const m of text.matchAll(new RegExp(String.raw`\bt\(\s*` + QUOTED + String.raw`\s*,\s*` + QUOTED.replace('\\1', '\\3').replace('\\1', '\\3'), 'g')))
    add(m.index, m[4]!);
  return found;
}

describe('Chinese strings (docs/glossary.md)', function () {
  const files = ROOTS.flatMap((r) => sources(join(repoRoot, r)));

  it('finds the zh strings of a source text, template parts and t() included', function () {
    const text = "const a = { en: 'x', zh: '对照实验:普通' };\nlog(t(`n ${x}`, `测量 ${label.zh} 秒`));\nconst b = { zh: \"命名空间\" };";
    expect(zhStrings(text)).to.deep.equal([
      { line: 1, zh: '对照实验:普通' },
      { line: 3, zh: '命名空间' },
      { line: 2, zh: '测量 X 秒' },
    ]);
    expect(punctuationProblems('对照实验:普通')).to.have.length(1);
    expect(punctuationProblems('读取 /proc/self/ns/uts：内核')).to.deep.equal([]);
    expect(glossaryProblems('新的命名空间')).to.have.length(1);
    expect(proseProblem('two different inodes, and the probe agrees')).to.be.a('string');
    expect(proseProblem('uts:[4026531838]')).to.equal(undefined);
    expect(proseProblem({ en: 'the host kept its name', zh: 'the host kept its name' })).to.be.a('string');
  });

  it('scripts/zh-coverage.mjs counts every line a learner reads but command output', async function () {
    const { measure } = (await import(join(repoRoot, 'scripts', 'zh-coverage.mjs'))) as {
      measure(text: string): { total: number; chinese: number; without: string[] };
    };
    const out = ['■ 01-uts — UTS namespace：独立的主机名', '', '  $ hostname   [主机]', '    vm', '    more output', '  child 1: uts:[1]', '  ✓ 检查通过'].join('\n');
    const m = measure(out);
    expect(m.total).to.equal(4);
    expect(m.chinese).to.equal(3);
    expect(m.without).to.deep.equal(['  child 1: uts:[1]']);
  });

  it('every forbidden word is in the glossary', function () {
    const doc = readFileSync(join(repoRoot, 'docs/glossary.md'), 'utf8');
    for (const [bad] of FORBIDDEN) expect(doc, bad).to.include(bad);
  });

  it('uses full-width punctuation around Chinese characters', function () {
    const bad: string[] = [];
    for (const f of files)
      for (const s of zhStrings(readFileSync(f, 'utf8')))
        for (const p of punctuationProblems(s.zh)) bad.push(`${f.slice(repoRoot.length + 1)}:${s.line}: ${p}`);
    expect(bad, bad.slice(0, 40).join('\n')).to.deep.equal([]);
  });

  it('uses the glossary’s words', function () {
    const bad: string[] = [];
    for (const f of files)
      for (const s of zhStrings(readFileSync(f, 'utf8')))
        for (const p of glossaryProblems(s.zh)) bad.push(`${f.slice(repoRoot.length + 1)}:${s.line}: ${p}`);
    expect(bad, bad.join('\n')).to.deep.equal([]);
  });
});
