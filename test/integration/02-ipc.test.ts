import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';

describe('lab 02-ipc (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    const { report } = await expectLabPasses('02-ipc');
    // Then every check passed, with real observations, and no queue is left on the host
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'host-lists-queue', 'child-sees-queue', 'same-ipc-inode', 'host-queues-invisible',
      'own-queue-inside-only', 'ipc-inode-differs', 'namespace-freed', 'queue-removed',
    ]);
    expect(checks.find((c) => c.id === 'host-lists-queue')!.observed).to.match(/listed; ipcs -q: listed/);
    expect(checks.find((c) => c.id === 'own-queue-inside-only')!.observed).to.match(/inside: listed; host: absent/);
    expect(checks.find((c) => c.id === 'namespace-freed')!.observed).to.match(/held while running by: process (\d+); PID \1 gone; held now by: none/);
  });

  it('shows the explanation, the commands and their output in run mode', async function () {
    const r = await nslab(['run', '02-ipc', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('一张全新的空 key 表');
    expect(r.stdout).to.match(/\$ ipcs -q\s+\[容器\]\n[\s\S]*?0x6e69[0-9a-f]{4}/);
    expect(r.stdout).to.match(/现在 ipc:\[\d+\] 的持有者：无/);
  });

  it('removes the host queue when interrupted with SIGINT while the container runs', async function () {
    await expectCleanInterrupt('02-ipc', /\$ ipcs -q\s+\[(container|容器)\]/);
  });

  it('opens a shell in a new IPC namespace where the host queues do not exist', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '02-ipc'], { input: 'ipcs -q | grep -c 0x || true\nhostname\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^0$/m);
    expect(r.stdout).to.match(/^container$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
