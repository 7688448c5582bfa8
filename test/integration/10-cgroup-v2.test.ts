import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, hostSnapshot, labRun, nslab, notPassed } from '../helpers.js';
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
    expect(checks.find((c) => c.id === 'leaves-take-processes')!.observed).to.match(/E: ok → 0::\/nslab-[0-9a-f]{4}-B\/nslab-[0-9a-f]{4}-D\/nslab-[0-9a-f]{4}-E/);
    expect(checks.find((c) => c.id === 'one-level-only')!.status).to.equal('passed');
    expect(checks.find((c) => c.id === 'frozen-no-cpu')!.observed).to.match(/frozen 0\.\d\d %/);
    expect(after).to.deep.equal(before);
  });

  it('shows the tree and the refused writes in run mode', async function () {
    const r = await nslab(['run', '10-cgroup-v2', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('进程只住在叶子上');
    expect(r.stdout).to.match(/\$ echo \d+ > \/sys\/fs\/cgroup\/\S*nslab-[0-9a-f]{4}-B\/cgroup\.procs\s+\[主机\]\n\s+write error: Device or resource busy \(EBUSY\)/);
    expect(r.stdout).to.match(/^ +E 组 +controllers：（无）/m);
    expect(r.stdout).to.match(/写 B 之后 \/proc\/\d+\/cgroup 显示：0::/);
  });

  it('opens a shell inside a cgroup2 group of its own, with limits, and removes the group on exit', async function () {
    const v2 = CgroupHost.discover().v2;
    if (!v2) this.skip();
    const before = hostSnapshot();
    const subtree = rootSubtree();
    // The shell finds its group in /proc/self/cgroup, reads its limit and tries to make a child group.
    const input = [
      'g=$(grep "^0::" /proc/self/cgroup | cut -d: -f3); echo "group=$g"',
      `echo "max=$(cat ${v2!.mount}$g/cgroup.max.descendants)"`,
      `sleep 300 & grep -qx "$!" ${v2!.mount}$g/cgroup.procs && echo "child-in-group"`,
      `mkdir ${v2!.mount}$g/sub 2>/dev/null || echo "mkdir-refused"`,
      'exit',
      '',
    ].join('\n');
    const r = await nslab(['shell', '10-cgroup-v2'], { input });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^group=\/nslab-[0-9a-f]{4}-shell-v2$/m);
    // Before the shell starts, the learner is told the group and its limits.
    expect(r.stdout).to.match(/shell group \S+-shell-v2: cgroup\.max\.descendants = 0/);
    expect(r.stdout).to.match(/^max=0$/m);
    expect(r.stdout).to.match(/^child-in-group$/m);
    expect(r.stdout).to.match(/^mkdir-refused$/m);
    // The group, the sleep started in it and any controller switched on for it are gone.
    expect(hostSnapshot()).to.deep.equal(before);
    expect(rootSubtree()).to.equal(subtree);
  });

  it('removes the tree and switches the root controller off again when interrupted with SIGINT', async function () {
    const subtree = rootSubtree();
    await expectCleanInterrupt('10-cgroup-v2', /measuring running for/);
    expect(rootSubtree()).to.equal(subtree);
  });
});
