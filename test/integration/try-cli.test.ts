// `nslab try` as a learner and a teacher use it: the list, the report, bad input, a scripted
// attempt recorded as progress, and a playground whose nslab is interrupted or killed while the
// learner's background processes hold namespaces — nothing may be left.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addonOnly, rootOnly } from '../00.setup.js';
import { loadAllLabs } from '../../labs/index.js';
import { hostSnapshot, nslab, signalWhen } from '../helpers.js';

/** Background processes that hold every kind of namespace, a nested PID namespace, a setsid'd one, a frozen one (v1 freezer). */
const HOSTILE = `unshare --uts --ipc --net --mount --fork sleep 600 &
setsid unshare --pid --fork --mount-proc sleep 600 &
touch kept-net && unshare --net=kept-net true
mkdir -p /sys/fs/cgroup/pids/mine && echo $$ > /sys/fs/cgroup/pids/mine/cgroup.procs
if [ -d /sys/fs/cgroup/freezer ]; then sleep 600 & mkdir /sys/fs/cgroup/freezer/cold && echo $! > /sys/fs/cgroup/freezer/cold/cgroup.procs && echo FROZEN > /sys/fs/cgroup/freezer/cold/freezer.state; fi
echo PLAYGROUND-READY
sleep 600
`;

describe('nslab try (integration)', function () {
  this.timeout(60_000);
  let state = '';
  let env: NodeJS.ProcessEnv = {};
  beforeEach(function () {
    state = mkdtempSync('/tmp/nslab-try-state-');
    env = { XDG_STATE_HOME: state };
  });
  afterEach(function () {
    rmSync(state, { recursive: true, force: true });
  });

  it('lists every exercise of every lab, at least two each', async function () {
    const r = await nslab(['try', '--list'], { env });
    expect(r.code, r.stderr).to.equal(0);
    for (const lab of await loadAllLabs()) {
      expect(r.stdout).to.contain(lab.id);
      expect((lab.exercises ?? lab.levels)?.length ?? 0, lab.id).to.be.at.least(2);
      for (const ex of [...(lab.exercises ?? []), ...(lab.levels ?? [])]) expect(r.stdout).to.match(new RegExp(`^  ${ex.id} `, 'm'));
    }
    expect(r.stdout).to.match(/^0 of \d+ exercises done/m);
  });

  it('says in one sentence what is wrong with bad input, in both languages', async function () {
    const unknown = await nslab(['try', '01-uts', 'nope'], { env });
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^nslab: Lab 01-uts has no exercise "nope": it has box, join/);
    const report = await nslab(['try', '--report', 'xml', '--lang', 'zh'], { env });
    expect(report.code).to.equal(2);
    expect(report.stderr).to.contain('--report 只接受 json 或 junit');
    const vm = await nslab(['try', '12-devicemapper', 'snapshot'], { env });
    expect(vm.code, vm.stderr).to.equal(4);
    expect(vm.stderr).to.match(/^nslab: Exercise 12-devicemapper snapshot cannot run here: .*--vm/);
    const lab = await nslab(['try', 'nolab'], { env });
    expect(lab.code).to.equal(2);
    expect(lab.stderr).to.contain('There is no lab "nolab"');
  });

  it('prints the reference solution for a teacher', async function () {
    const r = await nslab(['try', '1', 'box', '--solution'], { env });
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain("unshare --uts sh -c 'hostname box");
  });

  it('runs a scripted attempt, judges it, records it, and reports it as json and junit', async function () {
    rootOnly(this);
    addonOnly(this);
    const dir = mkdtempSync('/tmp/nslab-try-');
    try {
      writeFileSync(join(dir, 'miss.sh'), 'hostname box\n');
      const before = hostSnapshot();
      const miss = await nslab(['try', '01-uts', 'box', '--script', join(dir, 'miss.sh')], { env });
      expect(miss.code, miss.stderr).to.equal(1);
      expect(miss.stdout).to.contain('✗ A process of the playground is in a UTS namespace of its own');
      expect(miss.stdout).to.contain("the playground's own name now");
      expect(hostSnapshot()).to.deep.equal(before);
      const ok = await nslab(['try', '01-uts', 'box', '--script', '-', '--lang', 'zh'], { env, input: "unshare --uts sh -c 'hostname box; exec sleep 60' &\nsleep 0.5\n" });
      expect(ok.code, ok.stderr + ok.stdout).to.equal(0);
      expect(ok.stdout).to.contain('完成：每个条件都成立');
      expect(ok.stdout).to.contain('✓ 01-uts box 已完成');
      expect(hostSnapshot()).to.deep.equal(before);

      const json = await nslab(['try', '--report', 'json'], { env });
      expect(json.code).to.equal(0);
      const report = JSON.parse(json.stdout) as { exercises: { lab: string; id: string; status: string; checks: number }[]; summary: { done: number } };
      expect(report.exercises.find((e) => e.lab === '01-uts' && e.id === 'box')).to.include({ status: 'done', checks: 2 });
      expect(report.exercises.find((e) => e.lab === '01-uts' && e.id === 'join')).to.include({ status: 'not-started' });
      expect(report.summary.done).to.equal(1);
      const junit = await nslab(['try', '--report', 'junit'], { env });
      expect(junit.stdout).to.match(/<testcase classname="01-uts" name="box: A process called box"><\/testcase>/);
      expect(junit.stdout).to.match(/<testcase classname="01-uts" name="join: [^"]*"><skipped message="not started"\/>/);
      const list = await nslab(['try', '--list'], { env });
      expect(list.stdout).to.match(/^  box +✓ done/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const)
    it(`${signal} to nslab while the learner's background processes hold namespaces leaves nothing behind`, async function () {
      rootOnly(this);
      addonOnly(this);
      const dir = mkdtempSync('/tmp/nslab-try-');
      try {
        writeFileSync(join(dir, 'hostile.sh'), HOSTILE);
        const before = hostSnapshot();
        const r = await signalWhen(['try', '01-uts', 'box', '--script', join(dir, 'hostile.sh')], /PLAYGROUND-READY/, signal, { env, delayMs: 300, until: 'exit' });
        expect(r.sent, r.stdout + r.stderr).to.equal(true);
        if (signal === 'SIGKILL') {
          expect(r.signal).to.equal('SIGKILL');
          // The kernel ended the playground with nslab (PID 1 dies, its namespace with it); the next
          // run of nslab removes what the dead run recorded.
          const clean = await nslab(['clean'], { env });
          expect(clean.code, clean.stderr).to.equal(0);
        } else {
          expect(r.code, r.stderr).to.equal(signal === 'SIGINT' ? 130 : 143);
          expect(r.stdout).to.contain('everything in the playground is removed');
        }
        expect(hostSnapshot()).to.deep.equal(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});
