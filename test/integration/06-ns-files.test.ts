import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, hostSnapshot, notPassed, nslab, verifyJson } from '../helpers.js';

describe('lab 06-ns-files (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    // Given the host as it is
    const before = hostSnapshot();
    // When the lab is verified
    const { result, report } = await verifyJson(['06-ns-files']);
    // Then every check passed (lsns/nsenter checks may only be skipped where util-linux lacks them)
    expect(notPassed(report).filter((l) => !/(lsns|nsenter)\S* skipped: .*is not installed/.test(l)), result.stderr).to.deep.equal([]);
    expect(result.code).to.equal(0);
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'shared-ipc-net-user', 'separate-mnt-pid-uts', 'inside-agrees', 'joined-same-ns', 'joined-sees-container',
      'lsns-agrees', 'nsenter-agrees', 'bind-holds', 'no-process-left', 'setns-held', 'released',
    ]);
    expect(checks.find((c) => c.id === 'setns-held')!.observed).to.contain('hostname container');
    // And the released namespace was searched for on the whole machine, and found nowhere
    expect(checks.find((c) => c.id === 'released')!.observed).to.match(/named by: nothing \(scanned [1-9]\d* processes, [1-9]\d* mount namespaces\)/);
    // And the held namespace's bind mount is gone with everything else
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('shows the explanation, the ns tables and the commands in run mode', async function () {
    const r = await nslab(['run', '06-ns-files', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('用绑定挂载保住 namespace');
    expect(r.stdout).to.match(/\$ ls -l \/proc\/\d+\/ns\s+\[主机（子进程）\]\n(.*\n)*.*uts -> uts:\[\d+\]/);
    expect(r.stdout).to.match(/\$ hostname\s+\[setns\(\S+nslab-uts-hold\) 之后\]\n\s+container/);
    expect(r.stdout).to.contain('卸载：最后一个引用消失');
  });

  it('cleans up when interrupted with SIGINT while the namespace is held', async function () {
    await expectCleanInterrupt('06-ns-files', /mount --bind \/proc\/\d+\/ns\/uts/);
    expect(hostSnapshot().mountinfo).not.to.contain('nslab-uts-hold');
  });

  it('opens a shell inside the pid.mnt container and removes it on exit', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '06-ns-files'], { input: 'hostname\necho inside-$$\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^container$/m);
    expect(r.stdout).to.match(/^inside-1$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
