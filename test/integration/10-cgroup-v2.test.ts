import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, labRun, nslab, notPassed } from '../helpers.js';
import { CgroupHost } from '../../runner/kit/cgroup-host.js';

/** The cgroup2 root's subtree_control: the lab switches a controller on there and must switch it off. */
function rootSubtree(): string {
  const v2 = CgroupHost.discover().v2;
  return v2 ? readFileSync(`${v2.mount}/cgroup.subtree_control`, 'utf8') : '';
}

describe('lab 10-cgroup-v2 (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check the host can evaluate and restores the cgroup2 root', async function () {
    // Given what this host's cgroup2 offers
    const offered = CgroupHost.discover().v2Controllers;
    // When the lab is verified (its one run of this test process; the snapshots include the cgroup2 root's subtree_control)
    const { result, report, before, after } = await labRun('10-cgroup-v2');
    // Then nothing failed; only the article's second controller may be skipped, and only when missing
    const problems = notPassed(report);
    const mSkip = problems.filter((p) => /\/m-reaches-b-only skipped: .*a second controller for the article's m is missing/.test(p));
    expect(problems.filter((p) => !mSkip.includes(p)), result.stderr).to.deep.equal([]);
    if (offered.filter((c) => ['io', 'memory', 'hugetlb', 'rdma', 'misc', 'dmem'].includes(c)).length >= 2) expect(mSkip).to.deep.equal([]);
    expect(result.code).to.equal(0);
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.find((c) => c.id === 'inner-node-busy')!.observed).to.match(/EBUSY/);
    expect(checks.find((c) => c.id === 'one-level-only')!.status).to.equal('passed');
    expect(checks.find((c) => c.id === 'frozen-no-cpu')!.observed).to.match(/frozen 0\.\d\d %/);
    expect(after).to.deep.equal(before);
  });

  it('shows the tree and the refused writes in run mode', async function () {
    const r = await nslab(['run', '10-cgroup-v2', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('进程只住在叶子上');
    expect(r.stdout).to.match(/\$ echo \d+ > \/sys\/fs\/cgroup\/\S*nslab-[0-9a-f]{4}-B\/cgroup\.procs\s+\[host\]\n\s+write error: Device or resource busy \(EBUSY\)/);
    expect(r.stdout).to.match(/^ +E +controllers: \(none\)/m);
  });

  it('removes the tree and switches the root controller off again when interrupted with SIGINT', async function () {
    const subtree = rootSubtree();
    await expectCleanInterrupt('10-cgroup-v2', /measuring running for/);
    expect(rootSubtree()).to.equal(subtree);
  });
});
