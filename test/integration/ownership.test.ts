// nslab touches only what it made, tried as a hostile local user and a clumsy learner would:
// planted paths, foreign queues, runs side by side, clean during a live run, crashes with the
// journal lost, stray processes in a shell, a fake root and a read-only run directory.
import { expect } from 'chai';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootOnly } from '../00.setup.js';
import { cli, eventually, hostSnapshot, nslab, notPassed, verifyJson, type HostSnapshot } from '../helpers.js';
import { probePath } from '../../addon/index.js';

const NOBODY = 65534;
const RUN_DIR = '/run/nslab';

/** Start `nslab run <lab>` and SIGKILL it once `marker` shows (or after `afterMs`). */
function killDuring(lab: string, when: { marker?: RegExp; afterMs?: number }): Promise<{ killed: boolean; stdout: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', lab], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (when.marker?.test(stdout)) kill();
    });
    child.stderr.resume();
    const timer = when.afterMs !== undefined ? setTimeout(kill, when.afterMs) : undefined;
    child.on('error', reject);
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve({ killed, stdout, pid: child.pid! });
    });
  });
}

/** The host as a snapshot, without the fields a killed run legitimately leaves until `clean`. */
const settled = async (before: HostSnapshot) => eventually(() => JSON.stringify(hostSnapshot()) === JSON.stringify(before), 'the host to be as before', 5000);

describe('ownership: nslab touches only what it made (integration)', function () {
  this.timeout(180_000);
  before(function () {
    rootOnly(this);
  });

  it('lab 07 writes nothing through paths another user planted in /tmp', async function () {
    // Given a victim file of root and, as nobody, directories where the old workspace used to be,
    // each with the file names the lab writes pointing at the victim
    const victim = mkdtempSync('/root/nslab-victim-');
    const file = join(victim, 'secret');
    writeFileSync(file, 'precious\n', { mode: 0o600 });
    const next = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    const planted: string[] = [];
    for (let pid = next; pid < next + 200; pid++) {
      const d = `/tmp/nslab-07-user-namespace-${pid}`;
      if (existsSync(d)) continue;
      mkdirSync(d, { mode: 0o777 });
      chmodSync(d, 0o777);
      for (const name of ['nslab-root-only.txt', 'nslab-probe']) symlinkSync(file, join(d, name));
      execFileSync('chown', ['-h', '-R', `${NOBODY}:${NOBODY}`, d]);
      planted.push(d);
    }
    try {
      // When root runs the lab
      const { report } = await verifyJson(['07-user-namespace']);
      // Then it passes, and the victim is untouched (content and mode)
      expect(notPassed(report)).to.deep.equal([]);
      expect(readFileSync(file, 'utf8')).to.equal('precious\n');
      expect((await import('node:fs')).statSync(file).mode & 0o777).to.equal(0o600);
    } finally {
      for (const d of planted) rmSync(d, { recursive: true, force: true });
      rmSync(victim, { recursive: true, force: true });
    }
  });

  it("clean never removes another user's message queue, even with nslab's key prefix and a dead token", async function () {
    // Given a queue that nobody (uid 65534) made with a key in nslab's range
    const key = 0x6e73beef;
    const made = execFileSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', probePath(), '--msgget', String(key)], { encoding: 'utf8' });
    expect(made).to.match(/"msgget":\{"key":\d+,"id":\d+,"errno":null\}/);
    try {
      // When clean runs
      const c = await nslab(['clean']);
      expect(c.code, c.stderr).to.equal(0);
      // Then the foreign queue is still there
      expect(readFileSync('/proc/sysvipc/msg', 'utf8')).to.match(new RegExp(`^\\s*${key}\\s`, 'm'));
    } finally {
      execFileSync('ipcrm', ['-Q', `0x${key.toString(16)}`]);
    }
  });

  it("02 leaves a queue that holds its key to its owner and takes the next key", async function () {
    // Given a run whose token is known, and nobody's queue on the key that token would use
    const { LabContext } = await import('../../runner/core/context.js');
    const { lab } = await import('../../labs/02-ipc/index.js');
    type HostQueue = import('../../labs/02-ipc/index.js').HostQueue;
    const ctx = new LabContext(lab, 'en', new AbortController().signal, () => undefined);
    const taken = (0x6e730000 | parseInt(ctx.token, 16)) >>> 0;
    execFileSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', probePath(), '--msgget', String(taken)]);
    try {
      // When the lab's first step makes its host queue
      const observed: HostQueue = await lab.steps[0]!.run(ctx.forStep(lab.steps[0]!, { transcripts: [], measurements: {} }));
      const r = ctx.finish();
      // Then it took the next key, removed only its own queue, and nobody's is intact
      expect(observed.key >>> 16).to.equal(0x6e72);
      expect(r.errors).to.deep.equal([]);
      const msg = readFileSync('/proc/sysvipc/msg', 'utf8');
      expect(msg).to.match(new RegExp(`^\\s*${taken}\\s`, 'm'));
      expect(msg).to.not.match(new RegExp(`^\\s*${observed.key}\\s`, 'm'));
    } finally {
      execFileSync('ipcrm', ['-Q', `0x${taken.toString(16)}`]);
    }
  });

  it('a cgroup that exists under the name a run wants is never removed by it', async function () {
    const { LabContext } = await import('../../runner/core/context.js');
    const { lab } = await import('../../labs/09-cgroups/index.js');
    const { Cgroup, CgroupHost } = await import('../../runner/kit/index.js');
    const ctx = new LabContext(lab, 'en', new AbortController().signal, () => undefined);
    const host = CgroupHost.discover();
    const place = host.place('cpu');
    if (!place) this.skip();
    // Given a group already there under the name this run would make
    const foreign = join(place!.mount, `nslab-${ctx.token}-cpu`);
    mkdirSync(foreign);
    try {
      // When the run tries to make it, and then unwinds
      expect(() => Cgroup.create(ctx.forStep(lab.steps[0]!, { transcripts: [], measurements: {} }), host, 'cpu', ['cpu'])).to.throw(/exists already and is not this run's/);
      expect(ctx.finish().errors).to.deep.equal([]);
      // Then the group is still there
      expect(existsSync(foreign)).to.equal(true);
    } finally {
      if (existsSync(foreign)) rmdirSync(foreign);
    }
  });

  it('two runs of 02, 04, 05 and 08 at once both pass and leave the host as it was', async function () {
    const before = hostSnapshot();
    const labs = ['02-ipc', '04-mount', '05-rootfs', '08-network'];
    const [a, b] = await Promise.all([verifyJson(labs), new Promise((r) => setTimeout(r, 300)).then(() => verifyJson(labs))]);
    expect(notPassed(a.report), a.result.stderr).to.deep.equal([]);
    expect(notPassed(b.report), b.result.stderr).to.deep.equal([]);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('staggered 08 runs put /run/netns and /etc/netns back exactly as they found them', async function () {
    const before = hostSnapshot();
    const runs = [0, 500, 1500].map((ms) => new Promise((r) => setTimeout(r, ms)).then(() => nslab(['verify', '08-network'])));
    for (const r of await Promise.all(runs)) expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('a /run/netns that was a plain directory stays one: the bind mount ip netns makes goes, the directory stays', async function () {
    const made = !existsSync('/run/netns');
    if (made) mkdirSync('/run/netns');
    try {
      const before = hostSnapshot();
      expect(before.netnsDirs).to.match(/^\/run\/netns present;/);
      const r = await nslab(['verify', '08-network']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(hostSnapshot()).to.deep.equal(before);
    } finally {
      if (made) rmdirSync('/run/netns');
    }
  });

  it('a second cgroup lab waits for the first, says for whom, and both pass', async function () {
    // Given 10 running (it switches the cgroup2 root's controllers) and another 10 started next to
    // it (09 takes the same lock: every cgroup lab does)
    const before = hostSnapshot();
    const first = nslab(['run', '10-cgroup-v2']);
    const holder = () => {
      try {
        return readFileSync(join(RUN_DIR, 'locks', 'cgroups.lock'), 'utf8');
      } catch {
        return '';
      }
    };
    await eventually(() => holder().includes('10-cgroup-v2'), 'the first run to take the cgroups lock', 10_000);
    const second = await nslab(['run', '10-cgroup-v2']);
    const one = await first;
    // Then the second waited, said for whom, and both passed
    expect(one.code, one.stdout.slice(-2000)).to.equal(0);
    expect(second.code, second.stdout.slice(-2000)).to.equal(0);
    expect(second.stdout).to.match(/10-cgroup-v2: waiting for 10-cgroup-v2 run \d+ to finish \(resource: cgroups\)/);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('clean during a live run leaves that run alone, and the run goes on', async function () {
    // Given a live run: a shell in lab 01's container, waiting for input
    const before = hostSnapshot();
    const child = spawn(process.execPath, [cli, 'shell', '01-uts'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write('echo ready-$((40+2))\n');
    await eventually(() => out.includes('ready-42'), 'the shell', 30_000);
    // When clean runs in the middle of it
    const c = await nslab(['clean']);
    // Then clean says it left the run alone, and the shell still works and cleans up after itself
    expect(c.stdout).to.match(/left alone: run \d+ \(01-uts\), token [0-9a-f]{4} is still running/);
    child.stdin.end('hostname\nexit\n');
    expect(await done).to.equal(0);
    expect(out).to.match(/^container$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('clean removes what a killed run left even when its journal was lost', async function () {
    // Given 09 killed while its groups and loop device exist, and its journal truncated
    const before = hostSnapshot();
    const k = await killDuring('09-cgroups', { marker: /reading \/dev\/loop\d+ with O_DIRECT/ });
    expect(k.killed, 'the marker never appeared').to.equal(true);
    // (only the killed run's journal: other runs may be going on)
    const tokens = readdirSync(RUN_DIR).filter((d) => /^[0-9a-f]{4}$/.test(d) && readFileSync(join(RUN_DIR, d, 'lock'), 'utf8').includes(`"pid":${k.pid},`));
    expect(tokens).to.have.length(1);
    truncateSync(join(RUN_DIR, tokens[0]!, 'journal.jsonl'), 0);
    expect(hostSnapshot().cgroups).to.not.deep.equal(before.cgroups);
    // When clean runs
    const c = await nslab(['clean']);
    // Then everything is gone
    expect(c.code, c.stdout + c.stderr).to.equal(0);
    expect(c.stdout).to.match(/removed cgroup .*nslab-[0-9a-f]{4}-/);
    await settled(before);
  });

  it('clean after SIGKILL at random points leaves nothing', async function () {
    const before = hostSnapshot();
    for (const ms of [400 + Math.random() * 600, 1200 + Math.random() * 1500, 2500 + Math.random() * 2000]) {
      await killDuring('08-network', { afterMs: Math.round(ms) });
      const c = await nslab(['clean']);
      expect(c.code, `after a kill at ${Math.round(ms)} ms: ${c.stdout}${c.stderr}`).to.equal(0);
      await settled(before);
    }
  });

  it('nslab shell ends everything started in it, also in the background and in a new session', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', '01-uts'], { input: 'setsid sleep 777 &\nsleep 778 &\ndisown\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    await eventually(() => !/sleep 77[78]/.test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })), 'the background sleeps to end');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('nslab shell is torn down by SIGTERM, with what it started', async function () {
    const before = hostSnapshot();
    const child = spawn(process.execPath, [cli, 'shell', '08-network'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.write('setsid sleep 779 &\necho started-779\n');
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    await eventually(() => out.includes('started-779'), 'the shell to start the sleep', 30_000);
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await done).to.equal(143);
    child.stdin.destroy();
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).to.not.match(/sleep 779/);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('says in one sentence that a fake root is not enough, and leaves nothing', async function () {
    const before = hostSnapshot();
    const r = await nslab(['verify', '01-uts'], { uid: NOBODY, gid: NOBODY, wrap: ['unshare', '-r'] });
    expect(r.code).to.not.equal(0);
    expect(r.stderr.trim()).to.match(/^nslab: .*needs the real root of this machine/);
    expect(r.stderr).to.not.match(/\n\s+at /);
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('says in one sentence that a read-only run directory cannot be used', async function () {
    const ro = mkdtempSync('/root/nslab-ro-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m,mode=755', 'nslab-ro', ro]);
    try {
      const r = await nslab(['verify', '01-uts'], { env: { NSLAB_RUN_DIR: join(ro, 'nslab') } });
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.match(/^nslab: .* is read-only, so nslab cannot record what it creates/);
    } finally {
      execFileSync('umount', [ro]);
      rmSync(ro, { recursive: true, force: true });
    }
  });
});
