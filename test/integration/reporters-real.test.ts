// The teacher's run: JUnit and TAP from a real lab run are what CI systems can display.
import { expect } from 'chai';
import { addonOnly, rootOnly } from '../00.setup.js';
import { nslab } from '../helpers.js';

describe('reporters on a real run (the teacher\'s verification)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('gives well-formed JUnit with one testcase per check', async function () {
    const json = JSON.parse((await nslab(['verify', '01-uts', '--reporter', 'json'])).stdout) as { labs: { steps: { checks: unknown[] }[] }[] };
    const checks = json.labs[0]!.steps.reduce((n, s) => n + s.checks.length, 0);
    const r = await nslab(['verify', '01-uts', '--reporter', 'junit']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).to.equal(true);
    expect((r.stdout.match(/<testcase /g) ?? []).length).to.equal(checks);
    expect(r.stdout).to.match(new RegExp(`<testsuites [^>]*tests="${checks}"[^>]*failures="0"`));
    // every element that opens is closed, in order
    const stack: string[] = [];
    for (const m of r.stdout.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).to.equal(m[2]);
      else stack.push(m[2]!);
    }
    expect(stack).to.deep.equal([]);
  });

  it('gives TAP whose plan matches its test points', async function () {
    const r = await nslab(['verify', '01-uts', '02-ipc', '--reporter', 'tap']);
    expect(r.code, r.stderr).to.equal(0);
    const plan = /^1\.\.(\d+)$/m.exec(r.stdout);
    expect(plan).to.not.equal(null);
    const points = r.stdout.split('\n').filter((l) => /^(not )?ok \d+ /.test(l));
    expect(points).to.have.length(Number(plan![1]));
    expect(points.filter((l) => l.startsWith('not ok'))).to.deep.equal([]);
  });

  it('reports a lab this kernel cannot run as a skip, not a pass', async function () {
    const r = await nslab(['verify', '12-devicemapper', '--reporter', 'tap']);
    expect(r.stdout).to.match(/^ok 1 - 12-devicemapper # SKIP /m);
  });
});
