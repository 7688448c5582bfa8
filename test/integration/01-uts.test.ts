import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectLabPasses, hostSnapshot, nslab } from '../helpers.js';

describe('lab 01-uts (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    const { report } = await expectLabPasses('01-uts');
    // Then every check passed, with real observations, and nothing changed on the host
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members(['same-hostname', 'same-uts-inode', 'hostname-inside', 'host-unchanged', 'uts-inode-differs']);
    expect(checks.find((c) => c.id === 'hostname-inside')!.observed).to.match(/probe container, hostname container, in uts:\[(\d+)\] \(host view uts:\[\1\]\)/);
  });

  it('shows the explanation, the commands and their output in run mode', async function () {
    const r = await nslab(['run', '01-uts', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('子进程只改自己的主机名');
    expect(r.stdout).to.match(/\$ hostname\s+\[容器\]\n\s+container/);
  });

  it('opens a shell inside the container and removes it on exit', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '01-uts'], { input: 'hostname\necho inside-$$\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^container$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
