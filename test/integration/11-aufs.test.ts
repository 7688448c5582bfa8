import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, hostSnapshot, labRun, notPassed, nslab } from '../helpers.js';

const aufsInKernel = () => readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.trim().split(/\s+/).pop() === 'aufs');

describe('lab 11-aufs (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check, reports the layer-count figures and leaves the host as it was', async function () {
    // When the lab is verified (its one run of this test process, with host snapshots around it)
    const { result, report, before, after } = await labRun('11-aufs');
    // Then every check passed except the AUFS one, which is skipped only where the kernel has no aufs
    const lab = report.labs[0]!;
    const failing = notPassed(report).filter((l) => !l.startsWith('11-aufs/aufs/aufs-union skipped:'));
    expect(failing, result.stderr).to.deep.equal([]);
    expect(result.code).to.equal(0);
    const checks = lab.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'union-lists', 'leftmost-wins', 'private-mount', 'aufs-union', 'copied-up', 'lower-untouched', 'copies-visible-version',
      'whiteout-device', 'apple-gone', 'lower-keeps-apple', 'opaque-xattr', 'lower-hidden', 'copied-up-unaffected',
      'reads-never-copy-up', 'whiteouts-translated',
      'whiteouts-hide', 'opaque-hides', 'upper-layer-wins', 'missing-lookup-grows', 'lowest-lookup-grows', 'open-grows',
      'read-unchanged', 'lookups-answered',
    ]);
    const aufs = checks.find((c) => c.id === 'aufs-union')!;
    expect(aufs.status).to.equal(aufsInKernel() ? 'passed' : 'skipped');
    expect(checks.find((c) => c.id === 'whiteout-device')!.observed).to.equal('whiteout 0/0');
    // What a lower change did on this kernel is reported (undefined behaviour), not judged
    const changed = lab.steps.find((s) => s.id === 'lower-changed')!.measurements!.lowerChanged as { plainShowsChange: boolean };
    expect(changed.plainShowsChange).to.be.a('boolean');
    // And the figures of every layer count are in the JSON
    const perf = lab.steps.find((s) => s.id === 'lookup-cost')!.measurements!;
    const layers = perf.layers as { layers: number; statMissingColdUs: number; readMiBps: number }[];
    expect(layers.map((f) => f.layers)).to.deep.equal([1, 8, 32, 128]);
    for (const f of layers) {
      expect(f.statMissingColdUs).to.be.greaterThan(0);
      expect(f.readMiBps).to.be.greaterThan(0);
    }
    expect(perf.statMissingColdUsRatio128to1).to.be.a('number').at.least(2);
    expect(after).to.deep.equal(before);
  });

  it('shows the explanation, the commands and the chart in run mode', async function () {
    const r = await nslab(['run', '11-aufs', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('两个目录合成一个');
    expect(r.stdout).to.match(/\$ ls \.\/mnt\s+\[容器\]\n\s+apple\n\s+carrots\n\s+tomato/);
    expect(r.stdout).to.match(/c--------- \d+ root root 0, 0 .* apple/);
    expect(r.stdout).to.match(/128 层 █+ [\d.]+ µs/);
    expect(r.stdout).to.contain('挂载期间直接改动下层');
    expect(r.stdout).to.match(/未定义行为：不做检查/);
  });

  it('cleans up when interrupted during the layer benchmark', async function () {
    await expectCleanInterrupt('11-aufs', /128 layers as relative names/);
  });

  it('opens a shell with the fruits/vegetables union mounted and removes it on exit', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '11-aufs'], { input: 'ls ./mnt\ncat ./mnt/tomato\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^apple\ncarrots\ntomato$/m);
    expect(r.stdout).to.match(/^tomato \(fruits\)$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
