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
    expect(steps.map((s) => s.id)).to.deep.equal(['hierarchies', 'cpu', 'cpuset-threads', 'memory', 'blkio', 'freezer', 'devices', 'net_cls']);
    const m = (id: string) => steps.find((s) => s.id === id)!.measurements as Record<string, Record<string, unknown>>;
    expect(m('cpu')['cpu % of one CPU']!.quota20000).to.be.within(17, 23);
    expect(m('cpuset-threads')['cpu % of one CPU']!.total).to.be.within(45, 55);
    expect(m('memory').memory).to.include({ moved: 'SIGKILL', inside: 'SIGKILL', big: 'SIGKILL' });
    expect(m('blkio')['MiB/s']!.limit1MiBps).to.be.within(0.85, 1.15);
    expect(m('freezer')['cpu % of one CPU']!.frozen).to.be.below(1);
    // every number a step measures is charted with others of its unit: no version or window among them
    for (const s of steps)
      for (const [name, v] of Object.entries(s.measurements ?? {})) expect((v as Record<string, unknown>).version, `${s.id} ${name}`).to.not.be.a('number');
    expect(check('null-denied-inside').observed).to.match(/\/dev\/null inside: EPERM/);
    expect(check('moved-oom-killed').observed).to.match(/oom_kill 0 → 1/);
  });

  it('shows the explanation, the files it writes and bar charts in run mode', async function () {
    const r = await nslab(['run', '09-cgroups', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('把死循环限制在 20% 的 CPU');
    expect(r.stdout).to.match(/\$ echo 20000 > \/sys\/fs\/cgroup\/\S*nslab-[0-9a-f]{4}-cpu\/cpu\.cfs_quota_us|\$ echo "20000 100000" > \/sys\/fs\/cgroup\/\S*nslab-[0-9a-f]{4}-cpu\/cpu\.max/);
    expect(r.stdout).to.match(/原文写的是 cpu\.cfs_quota_us = 20000；nslab 在本机（cgroup v[12]）写的是 /);
    expect(r.stdout).to.match(/原文写的是 memory\.limit_in_bytes = 64k；nslab 在本机（cgroup v[12]）写的是 \S+ = 65536/);
    expect(r.stdout).to.match(/配额 20000\/100000 +█+░+ +\d+\.\d %/);
    expect(r.stdout).to.match(/读，限速 1 MiB\/s +█*░+ +\d\.\d\d MiB\/s/);
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
