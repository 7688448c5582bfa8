// Lab 12 and the VM runner. This host's kernel has no device-mapper, so the lab must be skipped
// here with a pointer to --vm, and pass every check inside the VM (from a clean cache in CI).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootOnly, addonOnly } from '../00.setup.js';
import { cli, hostSnapshot, labRun, nslab, notPassed, type CliResult } from '../helpers.js';
import { findLab, isPlanned, loadAllLabs } from '../../labs/index.js';
import { platform } from '../../runner/front/vm/platform.js';
import type { Report } from '../../runner/core/model.js';

const hasDeviceMapper = () => /^\s*\d+ device-mapper$/m.test(readFileSync('/proc/devices', 'utf8'));

/** qemu processes of nslab VMs (qemu -name …,process=nslab-vm). */
function vmProcesses(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'nslab-vm';
      } catch {
        return false;
      }
    });
}

function vmOnly(ctx: Mocha.Context): void {
  const p = platform();
  if (!p.ok) {
    ctx.test!.title += ` (skipped: no VM here: ${p.missing.map((m) => m.what.en).join(', ')})`;
    ctx.skip();
  }
}

function parse(r: CliResult): Report {
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`no JSON on stdout (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** What the VM may not leave on the host: the snapshot, and no qemu of ours. */
function expectHostAsBefore(before: ReturnType<typeof hostSnapshot>): void {
  expect(hostSnapshot()).to.deep.equal(before);
  expect(vmProcesses()).to.deep.equal([]);
}

describe('lab 12-devicemapper and the VM runner (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('is skipped on a host without device-mapper, pointing to --vm', async function () {
    if (hasDeviceMapper()) {
      this.test!.title += ' (skipped: this host has device-mapper)';
      this.skip();
    }
    // The lab's one run of this test process (nslab verify --reporter json), host snapshots around it
    const { result, report, before, after } = await labRun('12-devicemapper');
    expect(result.code, result.stderr).to.equal(0);
    const lab = report.labs[0]!;
    expect(lab.status).to.equal('skipped');
    expect(lab.reason).to.equal('no device-mapper in this kernel');
    expect(lab.remedy).to.match(/^run with --vm/);
    expect(lab.steps).to.deep.equal([]);
    expect(after).to.deep.equal(before);
  });

  it('builds the VM cache from scratch with a progress bar (nslab vm prepare)', async function () {
    vmOnly(this);
    const cache = mkdtempSync('/tmp/nslab-vm-cache-');
    try {
      const t0 = Date.now();
      const r = await nslab(['vm', 'prepare'], { env: { NSLAB_VM_CACHE: cache } });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/\[\s*\d+%\] downloading linux-image-\S+ \(apt-get download\)|\[\s*\d+%\] resolving modules/);
      expect(r.stderr).to.match(/\[100%\]|VM kernel ready/);
      expect(r.stdout).to.match(/modules\s+\d+: .*dm-thin-pool/);
      const dirs = readdirSync(cache);
      expect(dirs.filter((d) => d.startsWith('nslab-build-')), 'no build directory left').to.deep.equal([]);
      const manifest = JSON.parse(readFileSync(join(cache, dirs[0]!, 'manifest.json'), 'utf8')) as { kernel: string; missing: string[] };
      expect(manifest.missing).to.deep.equal([]);
      expect(readFileSync(join(cache, dirs[0]!, manifest.kernel)).subarray(0, 4).toString('latin1')).to.equal('\x7fELF');
      expect(existsSync('/boot') ? readdirSync('/boot').filter((f) => f.includes('nslab')) : []).to.deep.equal([]);
      process.stderr.write(`      (vm prepare from an empty cache: ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('streams the explanations and commands of run mode from the VM', async function () {
    vmOnly(this);
    const r = await nslab(['run', '12-devicemapper', '--vm', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('挂起、快照、恢复');
    expect(r.stdout).to.match(/\$ dmsetup suspend nslab-[0-9a-f]{4}-thin0\b/);
    expect(r.stdout).to.match(/State:\s+SUSPENDED/);
    expect(r.stdout).not.to.contain('\r');
  });

  it('opens a shell next to the mounted volumes in the VM (nslab shell) and removes them on exit', async function () {
    vmOnly(this);
    // The learner's session, typed into the guest's shell: read both volumes, then follow the
    // README's suggestion (a snapshot of the snapshot, mounted) and exit from inside its mount.
    const script = `
{ printf 'P=$(ls /dev/mapper | grep -- -pool); T=\${P%%-pool}\\n'
  printf 'cat base/id.txt snap1/id.txt; test -s README && echo readme-ok\\n'
  printf 'dmsetup suspend $T-snap1; dmsetup message $P 0 "create_snap 2 1"; dmsetup resume $T-snap1\\n'
  printf 'dmsetup create $T-snap2 --table "0 2097152 thin /dev/mapper/$P 2"; mkdir -p snap2; mount /dev/mapper/$T-snap2 snap2; ls snap2; cd snap2\\n'
  printf 'exit 3\\n'
} | "$NSLAB_NODE" "$NSLAB_BIN" shell 12-devicemapper > /tmp/shell.log 2>&1
echo "shell: exit $?"
cat /tmp/shell.log
echo "left: dm=$(dmsetup ls | grep -c '^nslab-') loops=$(losetup -a | grep -c nslab) mounts=$(grep -c ' /run/nslab/' /proc/self/mountinfo) run=$(ls /run/nslab 2>/dev/null | wc -l)"
`;
    const file = join(mkdtempSync('/tmp/nslab-vm-test-'), 'script.sh');
    writeFileSync(file, script);
    try {
      const before = hostSnapshot();
      const r = await nslab(['run', '12-devicemapper', '--vm'], { env: { NSLAB_VM_TEST_SCRIPT: file } });
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/shell: exit 3\n/);
      expect(r.stdout).to.contain('hello world, I am a base\nhello world, I am a base\nreadme-ok');
      expect(r.stdout).to.match(/id\.txt\s+lost\+found/);
      // The README is shown before the shell starts, and dmsetup works as it says (the shell has DM_DISABLE_UDEV=1 where there is no udev).
      expect(r.stdout).to.match(/the thin pool \S+ lives on loop devices/);
      expect(r.stdout).to.match(/left: dm=0 loops=0 mounts=0 run=0/);
      expectHostAsBefore(before);
    } finally {
      rmSync(join(file, '..'), { recursive: true, force: true });
    }
  });

  it('removes everything inside the VM when the lab is interrupted or fails there', async function () {
    vmOnly(this);
    // Run in the guest: interrupt the lab during the snapshot step, then make it fail there
    // (its nslab-<token>-snap1 already taken: made with the run's own token as soon as the run
    // has claimed it, long before the snapshot step), and count what is left after each.
    const script = `
left() {
  echo "left: dm=$(dmsetup ls | grep -c '^nslab-') loops=$(losetup -a | grep -c nslab) mounts=$(grep -c ' /run/nslab/' /proc/self/mountinfo) run=$(ls /run/nslab 2>/dev/null | wc -l)"
}
"$NSLAB_NODE" "$NSLAB_BIN" run 12-devicemapper > /tmp/run.log 2>&1 &
pid=$!
i=0
until grep -qE 'dmsetup suspend nslab-[0-9a-f]{4}-thin0' /tmp/run.log || [ $i -ge 900 ]; do sleep 0.1; i=$((i+1)); done
kill -INT $pid
wait $pid
echo "sigint: exit $?"
left
"$NSLAB_NODE" "$NSLAB_BIN" verify 12-devicemapper > /tmp/verify.log 2>&1 &
pid=$!
i=0
token=
until [ -n "$token" ] || [ $i -ge 900 ]; do sleep 0.1; i=$((i+1)); token=$(ls /run/nslab 2>/dev/null | grep -E '^[0-9a-f]{4}$' | head -n 1); done
DM_DISABLE_UDEV=1 dmsetup create "nslab-$token-snap1" --table "0 8 error"
wait $pid
echo "failure: exit $?"
grep -c '^✓' /tmp/verify.log | sed 's/^/passed before the failure: /'
left
`;
    const file = join(mkdtempSync('/tmp/nslab-vm-test-'), 'script.sh');
    writeFileSync(file, script);
    try {
      const before = hostSnapshot();
      const r = await nslab(['run', '12-devicemapper', '--vm'], { env: { NSLAB_VM_TEST_SCRIPT: file } });
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/sigint: exit 130\nleft: dm=0 loops=0 mounts=0 run=0/);
      expect(r.stdout).to.match(/failure: exit 1\npassed before the failure: ([89]|1\d)\nleft: dm=0 loops=0 mounts=0 run=0/);
      expectHostAsBefore(before);
    } finally {
      rmSync(join(file, '..'), { recursive: true, force: true });
    }
  });

  it('stops the VM and removes its files when the host run gets SIGINT', async function () {
    vmOnly(this);
    const before = hostSnapshot();
    const r = await new Promise<CliResult & { sent: boolean }>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'run', '12-devicemapper', '--vm'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let [stdout, stderr, sent] = ['', '', false];
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (!sent && /create_thin 0/.test(stdout)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, sent }));
    });
    expect(r.sent, r.stderr).to.equal(true);
    expect(r.code).to.equal(130);
    expect(r.stderr).to.contain('the VM was stopped and its files removed');
    expectHostAsBefore(before);
  });

  for (const fault of ['panic', 'noresult', 'exit']) {
    it(`reports a guest that ends without a result (${fault}) as an error, never a pass`, async function () {
      vmOnly(this);
      const before = hostSnapshot();
      const r = await nslab(['verify', '01-uts', '--vm', '--reporter', 'json'], { env: { NSLAB_VM_FAULT: fault } });
      expect(r.code).to.equal(1);
      const lab = parse(r).labs[0]!;
      expect(lab.status).to.equal('failed');
      expect(lab.reason).to.match(/^VM error: the VM stopped without a result/);
      if (fault === 'panic') expect(lab.reason).to.contain('Kernel panic');
      expect(notPassed(parse(r))).to.have.length(1);
      expectHostAsBefore(before);
    });
  }

  it('passes every check of 12 and of the cgroup labs inside one pure cgroup-v2 VM, and leaves the host as it was', async function () {
    vmOnly(this);
    this.timeout(300_000);
    // One guest: lab 12 (device-mapper, which this host lacks) and 09/10 on a kernel whose only
    // cgroup hierarchy is v2 with every controller (this host's are v1).
    const labs = ['09-cgroups', '10-cgroup-v2', '12-devicemapper'].filter((id) => {
      const l = findLab(id);
      return l !== undefined && !isPlanned(l);
    });
    const before = hostSnapshot();
    const t0 = Date.now();
    const r = await nslab(['verify', ...labs, '--vm', '--reporter', 'json']);
    const report = parse(r);
    // The guest's own report: its kernel is the VM's, with device-mapper and cgroup v2 alone.
    expect(report.host.hostname).to.equal('nslab-vm');
    expect(report.host.cgroup).to.equal('v2');
    // On a pure v2 kernel the v1-only experiments of 09 (devices, net_cls) are skipped with why;
    // every other check must pass.
    const v1Only = /^09-cgroups\/(devices|net_cls)\/\S+ skipped: .*(BPF|v1 subsystem)/;
    expect(notPassed(report).filter((l) => !v1Only.test(l)), r.stderr).to.deep.equal([]);
    if (labs.includes('09-cgroups')) expect(notPassed(report).filter((l) => v1Only.test(l))).to.have.length(3);
    expect(r.code).to.equal(0);
    const twelve = report.labs.find((l) => l.id === '12-devicemapper')!;
    expect(twelve.status).to.equal('passed');
    expect(twelve.steps.flatMap((s) => s.checks.map((c) => c.id))).to.include.members([
      'metadata-formatted',
      'volume-size',
      'origin-held',
      'snapshot-has-base',
      'copy-on-write-allocates',
      'base-unchanged',
      'snapshot-blind-to-base',
      'sees-both-files',
      'file-holds-what-was-written',
      'promised-more-than-pool',
      'nothing-left',
    ]);
    expectHostAsBefore(before);
    process.stderr.write(`      (verify ${labs.join(' ')} --vm: ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  });

  it("judges the capstone's cgroup level on a pure cgroup-v2 kernel in the VM: level 6 and its join-after-exec near-miss", async function () {
    vmOnly(this);
    this.timeout(300_000);
    // Here the capstone's cgroups are v1 (exercises.test.ts runs every level); in the VM minidock
    // takes its v2 branch (controllers handed down in the playground's cgroup namespace). The
    // level whose code differs there runs in playgrounds inside the guest, judged as on the host
    // (levels 7 and 8 reuse level 6's cgroup code; they are judged on v1 here).
    const lab = (await loadAllLabs()).find((l) => l.id === '13-capstone');
    if (!lab?.levels) {
      this.test!.title += ' (skipped: no capstone in this version)';
      this.skip();
    }
    const n = 6;
    const runs = [
      { n, id: 'solution', fails: undefined as string | undefined, hint: '' },
      ...lab!.levels![n]!.nearMisses.filter((m) => m.id === 'join-after-exec').map((m) => ({ n, id: m.id, fails: m.fails as string | undefined, hint: m.hint })),
    ];
    const guest = `
const [pkg, wanted] = process.argv.slice(2);
const { findLab, loadLab } = await import(pkg + '/dist/labs/index.js');
const { openPlayground } = await import(pkg + '/dist/runner/core/playground.js');
const lab = await loadLab(findLab('13-capstone'));
for (const { n, id } of JSON.parse(wanted)) {
  const level = lab.levels[n];
  const script = id === 'solution' ? level.solution : level.nearMisses.find((m) => m.id === id).script;
  const r = await openPlayground(lab, level, { lang: 'en', signal: new AbortController().signal, script, output: 'pipe' });
  const j = r.judgements.at(-1);
  console.log('RUN ' + JSON.stringify({ n, id, done: j?.done, conditions: (j?.conditions ?? []).map((c) => ({ id: c.id, status: c.status, hint: c.hint })), errors: r.errors, output: j?.done ? '' : r.output }));
}`;
    const dir = mkdtempSync('/tmp/nslab-vm-test-');
    try {
      const script = [
        `cat > /tmp/levels.mjs <<'NSLAB_LEVELS'`,
        guest,
        'NSLAB_LEVELS',
        `"$NSLAB_NODE" /tmp/levels.mjs "$(dirname "$(dirname "$NSLAB_BIN")")" '${JSON.stringify(runs.map(({ n, id }) => ({ n, id })))}' 2>&1`,
        `echo "cgroup: v1=$(grep -c ' - cgroup ' /proc/self/mountinfo) v2=$(grep -c ' - cgroup2 ' /proc/self/mountinfo)"`,
        `echo "left: run=$(ls /run/nslab 2>/dev/null | grep -cE '^[0-9a-f]{4}$') groups=$(find /sys/fs/cgroup -name 'nslab-*' -o -name 'minidock-*' | wc -l)"`,
      ].join('\n');
      writeFileSync(join(dir, 'script.sh'), script);
      const before = hostSnapshot();
      const r = await nslab(['run', '12-devicemapper', '--vm'], { env: { NSLAB_VM_TEST_SCRIPT: join(dir, 'script.sh') } });
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/cgroup: v1=0 v2=[1-9]/);
      const seen = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('RUN '))
        .map((l) => JSON.parse(l.slice(4)) as { n: number; id: string; done: boolean; conditions: { id: string; status: string; hint?: string }[]; errors: string[]; output: string });
      expect(runs, 'level 6 has a join-after-exec near-miss').to.have.length(2);
      expect(seen.map((x) => `${x.n}/${x.id}`), r.stdout).to.deep.equal(runs.map((x) => `${x.n}/${x.id}`));
      runs.forEach((run, i) => {
        const x = seen[i]!;
        expect(x.errors, `level ${run.n} ${run.id}: what the playground could not remove`).to.deep.equal([]);
        if (run.fails === undefined) {
          expect(x.conditions.filter((c) => c.status !== 'passed'), `level ${run.n} solution:\n${x.output}`).to.deep.equal([]);
          expect(x.done).to.equal(true);
        } else {
          const c = x.conditions.find((y) => y.id === run.fails);
          expect(c?.status, `level ${run.n} ${run.id}:\n${x.output}`).to.equal('failed');
          expect(c?.hint ?? '', `level ${run.n} ${run.id}`).to.contain(run.hint);
          expect(x.done).to.equal(false);
        }
      });
      expect(r.stdout).to.match(/left: run=0 groups=0/);
      expectHostAsBefore(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the VM-only exercises in a playground inside the VM: each solution passes, each near-miss fails with its hint, nothing is left', async function () {
    vmOnly(this);
    this.timeout(600_000);
    const labs = await loadAllLabs();
    const runs = labs.flatMap((lab) =>
      (lab.exercises ?? [])
        .filter((ex) => ex.vmOnly)
        .flatMap((ex) => [
          { lab, ex, id: 'solution', script: ex.solution, fails: undefined as string | undefined, hint: '' },
          ...ex.nearMisses.map((m) => ({ lab, ex, id: m.id, script: m.script, fails: m.fails, hint: m.hint })),
        ]),
    );
    if (runs.length === 0) {
      this.test!.title += ' (skipped: no exercise needs the VM)';
      this.skip();
    }
    const [first, ...rest] = runs;
    const state = mkdtempSync('/tmp/nslab-try-state-');
    const dir = mkdtempSync('/tmp/nslab-vm-test-');
    try {
      const before = hostSnapshot();
      // From the host, as a learner types it: the first solution with --vm --script.
      writeFileSync(join(dir, 'first.sh'), first!.script);
      const one = await nslab(['try', first!.lab.id, first!.ex.id, '--vm', '--script', join(dir, 'first.sh')], { env: { XDG_STATE_HOME: state } });
      expect(one.code, `${one.stdout}\n${one.stderr}`).to.equal(0);
      expect(one.stdout).to.contain('done: every condition holds');
      const listed = await nslab(['try', '--list'], { env: { XDG_STATE_HOME: state } });
      expect(listed.stdout).to.match(new RegExp(`^  ${first!.ex.id} +✓ done`, 'm'));
      // The others in one VM: each run's output between markers, then what is left in the guest.
      const script = [
        ...rest.map((r, i) =>
          [
            `cat > /tmp/try-${i}.sh <<'NSLAB_TRY_${i}'`,
            r.script,
            `NSLAB_TRY_${i}`,
            `echo "=== ${i} begin"`,
            `"$NSLAB_NODE" "$NSLAB_BIN" try ${r.lab.id} ${r.ex.id} --script /tmp/try-${i}.sh 2>&1`,
            `echo "=== ${i} exit $?"`,
          ].join('\n'),
        ),
        `echo "left: dm=$(dmsetup ls | grep -c '^nslab-') loops=$(losetup -a | grep -c nslab) mounts=$(grep -c ' /run/nslab/' /proc/self/mountinfo) run=$(ls /run/nslab 2>/dev/null | grep -cE '^[0-9a-f]{4}$')"`,
      ].join('\n');
      writeFileSync(join(dir, 'script.sh'), script);
      const r = await nslab(['run', '12-devicemapper', '--vm'], { env: { NSLAB_VM_TEST_SCRIPT: join(dir, 'script.sh') } });
      expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
      rest.forEach((run, i) => {
        const m = new RegExp(`=== ${i} begin\\n([\\s\\S]*?)=== ${i} exit (\\d+)`).exec(r.stdout);
        expect(m, `the output of ${run.lab.id} ${run.ex.id} ${run.id}:\n${r.stdout}`).to.not.equal(null);
        const [, output, code] = m!;
        if (run.fails === undefined) {
          expect(code, `${run.ex.id} solution:\n${output}`).to.equal('0');
          expect(output).to.contain('done: every condition holds');
        } else {
          expect(code, `${run.ex.id} ${run.id}:\n${output}`).to.equal('1');
          const description = run.ex.conditions.find((c) => c.id === run.fails)!.description.en;
          expect(output, `${run.ex.id} ${run.id}:\n${output}`).to.contain(`✗ ${description}`);
          // The hint printed right under that condition (after its observed/expected lines).
          const after = output!.slice(output!.indexOf(`✗ ${description}`));
          const block = after.split(/\n(?=[✓✗-] |looked at)/)[0]!;
          expect(block, `${run.ex.id} ${run.id}:\n${output}`).to.contain(run.hint);
        }
      });
      expect(r.stdout).to.match(/left: dm=0 loops=0 mounts=0 run=0/);
      expectHostAsBefore(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });
});
