import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';

describe('lab 09-cgroups (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check with measured figures and leaves no cgroup behind', async function () {
    // Every check passes from the kernel's counters and nothing is left on the host
    const { report, check } = await expectLabPasses('09-cgroups');
    const steps = report.labs[0]!.steps;
    expect(steps.map((s) => s.id)).to.deep.equal(['hierarchies', 'cpu', 'cpuset-threads', 'memory', 'blkio', 'freezer']);
    const m = (id: string) => steps.find((s) => s.id === id)!.measurements as Record<string, Record<string, unknown>>;
    expect(m('cpu').cpu!.limitedPercent).to.be.within(17, 23);
    expect(m('cpuset-threads').threads!.totalPercent).to.be.within(45, 55);
    expect(m('memory').memory!.signal).to.equal('SIGKILL');
    expect(m('blkio').blkio!.throttledMiBps).to.be.within(0.85, 1.15);
    expect(m('freezer').freezer!.frozenPercent).to.be.below(1);
    expect(check('quota-written').observed).to.match(/cpu\.cfs_quota_us: 20000|cpu\.max: 20000 100000/);
  });

  it('shows the explanation, the files it writes and bar charts in run mode', async function () {
    const r = await nslab(['run', '09-cgroups', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('把死循环限制在 20% 的 CPU');
    expect(r.stdout).to.match(/\$ echo 20000 > \/sys\/fs\/cgroup\/\S*nslab-[0-9a-f]{4}-cpu\/cpu\.cfs_quota_us|\$ echo "20000 100000" > \/sys\/fs\/cgroup\/\S*nslab-[0-9a-f]{4}-cpu\/cpu\.max/);
    expect(r.stdout).to.match(/article: cpu\.cfs_quota_us = 20000 +→ +here \(cgroup v[12]\)/);
    expect(r.stdout).to.match(/quota 20000\/100000 +█+░+ +\d+\.\d %/);
    expect(r.stdout).to.match(/read, 1 MiB\/s limit +█*░+ +\d\.\d\d MiB\/s/);
  });

  it('removes its groups and workload when interrupted with SIGINT in the middle of a measurement', async function () {
    await expectCleanInterrupt('09-cgroups', /measuring no limit for/);
  });

  it('removes a frozen group and its busy loop when interrupted while frozen', async function () {
    await expectCleanInterrupt('09-cgroups', /measuring frozen for/);
  });

  it('opens a shell in a group held to 20 % of a CPU and removes the group on exit', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '09-cgroups'], { input: 'grep -E "cpu[,:a-z]*:" /proc/self/cgroup; cat /sys/fs/cgroup/cpu/nslab-*-shell-cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/nslab-*-shell-cpu/cpu.max\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/:\/nslab-[0-9a-f]{4}-shell-cpu$/m);
    expect(r.stdout).to.match(/^(20000|20000 100000)$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
