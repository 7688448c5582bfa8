import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';

describe('lab 03-pid (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    const { report } = await expectLabPasses('03-pid');
    // Then every check passed, with real observations, and no process is left behind
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'pid-is-one', 'nspid-line', 'sees-nslab', 'counts-match', 'survived-own-kill', 'host-term-dropped', 'killed-from-parent', 'reparented-to-one',
      'host-ppid-is-init', 'sleep-killed', 'grandchild-gone', 'namespace-empty',
    ]);
    expect(checks.find((c) => c.id === 'pid-is-one')!.observed).to.match(/getpid\(\) inside: 1; host PID: \d+/);
    expect(checks.find((c) => c.id === 'sleep-killed')!.observed).to.contain('SIGKILL');
    expect(checks.find((c) => c.id === 'survived-own-kill')!.observed).to.match(/kill -TERM 1 → 0, kill -KILL 1 → 0; handler: none; PID 1 then: state [RS], same process/);
    expect(checks.find((c) => c.id === 'killed-from-parent')!.observed).to.contain('killed by SIGKILL');
  });

  it('shows the explanation, the commands and their output in run mode', async function () {
    const r = await nslab(['run', '03-pid', '--lang', 'en']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('PID 1 adopts orphans');
    expect(r.stdout).to.match(/\$ grep NSpid \/proc\/(\d+)\/status\s+\[host\]\n\s+NSpid:\s+\1\s+1\n/);
    expect(r.stdout).to.match(/kill -KILL 1: exit 0\n[\s\S]*?State:\s+S/);
    expect(r.stdout).to.match(/300 ms after the host's SIGTERM, PID 1 \(host PID \d+\) still runs/);
    const zh = await nslab(['run', '03-pid', '--lang', 'zh']);
    expect(zh.code, zh.stderr).to.equal(0);
    expect(zh.stdout).to.contain('1 号进程不理会它没有处理函数的信号');
    expect(zh.stdout).to.match(/1 号进程结束了：被 SIGKILL 杀死/);
  });

  it('cleans up when interrupted with SIGINT while the orphan is alive', async function () {
    await expectCleanInterrupt('03-pid', /(orphan: inside pid|孤儿进程：容器内 pid) \d+/);
  });

  it('opens a shell that is PID 1 of its own PID namespace', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '03-pid'], { input: 'echo inside-$$\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^inside-1$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
