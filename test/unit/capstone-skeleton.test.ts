// The skeleton is the reference with the level blocks taken out: markers must pair, every block
// must say what to write, and removing one step is what the tests' near-misses do.
import { expect } from 'chai';
import { levelBlocks, skeleton, withoutStep } from '../../labs/13-capstone/skeleton.js';

const SOURCE = `const spec = { argv };
  // >>> level 1: uts
  // TODO: a UTS namespace and the hostname
  // TODO(zh)：一个 UTS 命名空间和主机名
  spec.namespaces.push('uts');
  spec.actions.push({ do: 'sethostname', name });
  // <<< level 1: uts
run(spec);
  // >>> level 2: pid
  // TODO: a PID namespace
  // TODO: a fresh /proc
  // TODO(zh)：一个 PID 命名空间和新的 /proc
  spec.namespaces.push('pid');
  // <<< level 2: pid`;

describe('capstone skeleton (unit)', function () {
  it('finds each level block with its TODO lines', function () {
    const b = levelBlocks(SOURCE);
    expect(b.map((x) => [x.level, x.step, x.todos.length])).to.deep.equal([
      [1, 'uts', 2],
      [2, 'pid', 3],
    ]);
  });

  it('replaces every block by its TODO lines, and only the chosen ones when asked', function () {
    const all = skeleton(SOURCE);
    expect(all).to.not.contain("push('uts')");
    expect(all).to.not.contain("push('pid')");
    expect(all).to.contain('  // ── level 1: uts ──\n  // TODO: a UTS namespace and the hostname\n  // TODO(zh)：一个 UTS 命名空间和主机名\nrun(spec);');
    const one = skeleton(SOURCE, new Set([2]));
    expect(one).to.contain("spec.namespaces.push('uts');");
    expect(one).to.not.contain("push('pid')");
  });

  it('removes one step for a near-miss', function () {
    const w = withoutStep(SOURCE, 1, 'uts');
    expect(w).to.not.contain('sethostname');
    expect(w).to.contain("push('pid')");
  });

  it('refuses markers that do not pair or a block without a TODO in each language', function () {
    expect(() => levelBlocks('// >>> level 1: uts\n// TODO: x\n')).to.throw(/line 2: level 1 \(uts\)|is not closed/);
    expect(() => levelBlocks('// >>> level 1: uts\n// <<< level 1: uts')).to.throw(/has no \/\/ TODO: line/);
    expect(() => levelBlocks('// >>> level 1: uts\n// TODO: x\n// <<< level 1: uts')).to.throw(/has no \/\/ TODO\(zh\)： line/);
    expect(() => levelBlocks('// >>> level 1: uts\n// TODO: x\n// TODO(zh)：x\n// <<< level 2: pid')).to.throw(/line 4: closes level 2 \(pid\)/);
  });

  it('the shipped reference has English and Chinese TODO lines in every block, the Chinese with full-width punctuation', async function () {
    const { readFileSync } = await import('node:fs');
    const { referencePath } = await import('../../labs/13-capstone/skeleton.js');
    const blocks = levelBlocks(readFileSync(referencePath(), 'utf8'));
    expect(blocks.length).to.be.at.least(9);
    for (const b of blocks) {
      const zh = b.todos.filter((l) => l.includes('TODO(zh)：')).map((l) => l.split('TODO(zh)：')[1]!);
      expect(zh, `level ${b.level} ${b.step}`).to.not.be.empty;
      for (const line of zh) expect(line, `level ${b.level} ${b.step}`).to.not.match(/[\u4e00-\u9fff][,;:](?!\/)|[\u4e00-\u9fff] ?\((?!'|")/);
    }
  });
});
