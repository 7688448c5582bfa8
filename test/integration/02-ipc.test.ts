import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { hostSnapshot, interruptRun, nslab, notPassed, verifyJson } from '../helpers.js';

describe('lab 02-ipc (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    // Given the host as it is
    const before = hostSnapshot();
    // When the lab is verified
    const { result, report } = await verifyJson(['02-ipc']);
    // Then every check passed, with real observations, and no queue is left on the host
    expect(notPassed(report), result.stderr).to.deep.equal([]);
    expect(result.code).to.equal(0);
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'host-lists-queue', 'child-sees-queue', 'same-ipc-inode', 'host-queues-invisible',
      'own-queue-inside-only', 'ipc-inode-differs', 'namespace-freed', 'queue-removed',
    ]);
    expect(checks.find((c) => c.id === 'host-lists-queue')!.observed).to.match(/listed; ipcs -q: listed/);
    expect(checks.find((c) => c.id === 'own-queue-inside-only')!.observed).to.match(/inside: listed; host: absent/);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('shows the explanation, the commands and their output in run mode', async function () {
    const r = await nslab(['run', '02-ipc', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('一张全新的空 key 表');
    expect(r.stdout).to.match(/\$ ipcs -q\s+\[container\]\n[\s\S]*?0x6e73[0-9a-f]{4}/);
  });

  it('removes the host queue when interrupted with SIGINT while the container runs', async function () {
    const before = hostSnapshot();
    const r = await interruptRun('02-ipc', /\$ ipcs -q\s+\[container\]/);
    expect(r.sent).to.equal(true);
    expect(r.code).to.be.oneOf([130, 0]);
    expect(hostSnapshot()).to.deep.equal(before);
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
