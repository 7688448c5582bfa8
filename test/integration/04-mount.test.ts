import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';

describe('lab 04-mount (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host mount table as it was', async function () {
    const { report } = await expectLabPasses('04-mount');
    // Then every check passed, with real observations, and no mount is left behind
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'ps-two', 'proc-is-own', 'host-mountinfo-unchanged', 'proc-copy-keeps-propagation', 'copy-is-peer', 'mount-leaks',
      'leak-removed', 'private-copies', 'mount-contained', 'host-clean',
    ]);
    expect(checks.find((c) => c.id === 'ps-two')!.observed).to.match(/^2 processes: PIDs 1, \d+$/);
    expect(checks.find((c) => c.id === 'mount-leaks')!.observed).to.match(/runs: yes; after it exited: yes/);
  });

  it('shows the explanation, the commands and their output in run mode', async function () {
    const r = await nslab(['run', '04-mount', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('MS_REC|MS_PRIVATE 把挂载关在里面');
    // The verdict on the article's /proc mount is judged from the mount at /proc, not from /
    expect(r.stdout).to.match(/文章的 mount -t proc proc \/proc 落在 \/proc 上现有的挂载上/);
    expect(r.stdout).to.match(/\$ ps -e\s+\[容器\]\n\s+PID TTY\s+TIME CMD\n\s+1 \?.*\n\s+\d+ \?.*ps\n\s+\$/);
  });

  it('removes a leaked mount when interrupted with SIGINT while it exists', async function () {
    // The first container transcript of the propagation step: the leak is on the host now.
    await expectCleanInterrupt('04-mount', /\$ findmnt -o TARGET,SOURCE,PROPAGATION -R \S+\s+\[container\]/);
  });

  it('opens a shell as PID 1 with a fresh /proc', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '04-mount'], { input: 'echo inside-$$\nps -e\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^inside-1$/m);
    // bash as PID 1 and ps, nothing else
    expect(r.stdout).to.match(/PID TTY\s+TIME CMD\n\s+1 \?\s+\S+ bash\n\s+\d+ \?\s+\S+ ps\n(?!\s*\d)/);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
