// The cleanup stack, the journal and ownership: undo in reverse, survive a crash, never trust a
// journal line, never touch what is not provably this run's.
import { expect } from 'chai';
import { useTempRunDir } from '../helpers.js';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CleanupStack, recoverAll } from '../../runner/core/cleanup.js';
import { parseLine, replay } from '../../runner/core/journal.js';
import { claimRun, ResourceLock, tokenLive } from '../../runner/core/owner.js';
import { ensureRunDir, RunDirError, runDir } from '../../runner/core/paths.js';
import { undoEntry } from '../../runner/core/undo.js';
import { isRoot } from '../../runner/kit/requirements.js';
import type { Text } from '../../runner/core/model.js';

/** A cleanup label (the stack's own tests need no Chinese: one test below checks it speaks zh). */
const L = (en: string): Text => ({ en, zh: en });

/** A journal line as a crashed run would have written it. */
const intend = (id: number, entry: object, label = `entry ${id}`) => JSON.stringify({ v: 1, at: 'intend', id, label, entry });

/** A run directory whose owner is gone: its lock file exists and nobody holds it. */
function deadRun(token: string, lines: readonly string[]): string {
  const dir = join(ensureRunDir(), token);
  mkdirSync(dir, { mode: 0o711 });
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 999999999, start: '1', lab: '01-uts' }));
  writeFileSync(join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`);
  return dir;
}

describe('cleanup stack and journal', function () {
  const tmp = useTempRunDir();

  it('records an object before it exists and removes it on unwind, newest first', function () {
    // Given two directories recorded and then created beneath the run's directory
    const stack = new CleanupStack(claimRun('unit'));
    const outer = join(stack.run.dir, 'outer');
    stack.push({ kind: 'path', rel: 'outer' }, L('outer'));
    mkdirSync(outer);
    stack.push({ kind: 'path', rel: 'outer/inner' }, L('inner'));
    mkdirSync(join(outer, 'inner'));
    expect(readFileSync(stack.file, 'utf8').trim().split('\n')).to.have.length(2);
    // When the stack unwinds and the run closes
    const r = stack.unwind();
    stack.close();
    // Then both are gone, newest first, and the run's directory with them
    expect(r).to.deep.equal({ removed: ['inner', 'outer'], errors: [] });
    expect(existsSync(stack.run.dir)).to.equal(false);
  });

  it("names what it removed in the run's language, and journals the English label", function () {
    // Given a stack of a Chinese run with one directory recorded and created
    const stack = new CleanupStack(claimRun('unit'), 'zh');
    stack.push({ kind: 'path', rel: 'd' }, { en: 'a directory', zh: '一个目录' });
    mkdirSync(join(stack.run.dir, 'd'));
    // Then the journal keeps the English label (a later run of any language reads it)
    expect(readFileSync(stack.file, 'utf8')).to.contain('"label":"a directory"');
    // and the unwind names it in Chinese
    expect(stack.unwind()).to.deep.equal({ removed: ['一个目录'], errors: [] });
    stack.close();
  });

  it('refuses to journal a path outside its own directory', function () {
    const stack = new CleanupStack(claimRun('unit'));
    expect(() => stack.rel('/etc/passwd')).to.throw(/not beneath/);
    expect(() => stack.rel(join(stack.run.dir, '..', 'x'))).to.throw(/not beneath/);
    // and anything a later run would refuse to read back
    expect(() => stack.push({ kind: 'path', rel: 'a b' }, L('a space'))).to.throw(/rel is not a valid value/);
    expect(() => stack.push({ kind: 'netns', name: 'c1' }, L('no token'))).to.throw(/name is not a valid value/);
    expect(stack.size).to.equal(0);
    stack.close();
  });

  it('keeps what it could not remove in the journal, with the reason and a command, and nothing else', function () {
    if (!isRoot()) this.skip();
    // Given a removable directory and an /etc/netns entry of ours that is a symlink (never followed)
    const stack = new CleanupStack(claimRun('unit'));
    stack.push({ kind: 'path', rel: 'gone' }, L('removable'));
    mkdirSync(join(stack.run.dir, 'gone'));
    const name = stack.name('trap');
    const hadEtcNetns = existsSync('/etc/netns');
    mkdirSync('/etc/netns', { recursive: true });
    stack.push({ kind: 'netnsConf', name }, L('a symlink nslab will not follow'));
    symlinkSync(tmp.base(), `/etc/netns/${name}`);
    try {
      // When it unwinds and closes
      const r = stack.unwind();
      stack.close();
      // Then the journal keeps only what failed, says why, and how to remove it by hand
      expect(r.removed).to.deep.equal(['removable']);
      expect(r.errors).to.deep.equal([`a symlink nslab will not follow: /etc/netns/${name} is a symlink; not following it (by hand: rm -r /etc/netns/${name})`]);
      const left = replay(readFileSync(join(stack.run.dir, 'journal.jsonl'), 'utf8'), 'journal');
      expect(left.bad).to.deep.equal([]);
      expect(left.open.map((o) => o.label)).to.deep.equal(['a symlink nslab will not follow']);
      expect(existsSync(tmp.base())).to.equal(true);
    } finally {
      rmSync(`/etc/netns/${name}`, { force: true });
      if (!hadEtcNetns) rmdirSync('/etc/netns');
      rmSync(stack.run.dir, { recursive: true, force: true });
    }
  });

  it('creates and records in one call, and drops the entry when the object was never ours', async function () {
    const stack = new CleanupStack(claimRun('unit'));
    // A directory that exists already is someone else's: the entry goes, the directory stays
    mkdirSync(join(stack.run.dir, 'taken'));
    expect(() => stack.createSync({ kind: 'path', rel: 'taken' }, L('taken'), () => mkdirSync(join(stack.run.dir, 'taken')))).to.throw(/EEXIST/);
    expect(stack.size).to.equal(0);
    // A made one is confirmed ("own") with what proves it
    const made = await stack.create({ kind: 'path', rel: 'made' }, L('made'), async () => mkdirSync(join(stack.run.dir, 'made')));
    const lines = readFileSync(stack.file, 'utf8').trim().split('\n').map((l) => parseLine(l));
    expect(lines.map((l) => l.at)).to.deep.equal(['intend', 'done', 'intend', 'own']);
    // keepOnFailure: a tool that failed half-way leaves an entry to undo
    await stack.create({ kind: 'path', rel: 'half' }, L('half'), () => Promise.reject(new Error('half-way')), { keepOnFailure: true }).catch(() => undefined);
    expect(stack.size).to.equal(2);
    const r = stack.unwind();
    stack.close();
    expect(r.removed).to.deep.equal(['half', 'made']);
    expect(made.id).to.be.a('number');
  });

  it('refuses to create anything once it has unwound (an interrupted step keeps running)', function () {
    const stack = new CleanupStack(claimRun('unit'));
    stack.unwind();
    expect(() => stack.push({ kind: 'path', rel: 'late' }, L('late'))).to.throw(/being cleaned up/);
    stack.close();
  });

  it('recovers what a crashed run left, from its journal, and removes its directory', function () {
    // Given a dead run whose journal has one open entry, one done entry and a torn last line
    const dir = deadRun('0a0a', [
      intend(1, { kind: 'path', rel: 'left' }, 'left'),
      intend(2, { kind: 'path', rel: 'released' }, 'released'),
      JSON.stringify({ v: 1, at: 'done', id: 2 }),
    ]);
    mkdirSync(join(dir, 'left'));
    writeFileSync(join(dir, 'journal.jsonl'), '{"v":1,"at":"intend","id":3', { flag: 'a' });
    // When the next run starts
    const r = recoverAll();
    // Then what was open is removed and the run's directory is gone
    expect(r.removed).to.include('left');
    expect(r.removed).to.not.include('released');
    expect(r.bad).to.deep.equal([]);
    expect(existsSync(dir)).to.equal(false);
  });

  it("leaves a live run's objects alone and says whose they are", function () {
    const stack = new CleanupStack(claimRun('08-network'));
    stack.push({ kind: 'path', rel: 'mine' }, L('mine'));
    mkdirSync(join(stack.run.dir, 'mine'));
    const r = recoverAll();
    expect(r.live).to.deep.equal([`run ${process.pid} (08-network), token ${stack.run.token}`]);
    expect(existsSync(join(stack.run.dir, 'mine'))).to.equal(true);
    expect(tokenLive(stack.run.token)).to.equal(true);
    stack.unwind();
    stack.close();
    expect(tokenLive(stack.run.token)).to.equal(false);
  });

  it('reports each bad journal line with its file and line, skips it and never crashes', function () {
    // Given a dead run whose journal mixes good and bad lines
    const dir = deadRun('0b0b', [
      'null',
      '[]',
      '{"push":{"id":1,"kind":"remove","args":{"path":"/etc"}}}',
      intend(2, { kind: 'path', rel: '../../etc' }),
      intend(3, { kind: 'format-disk' }),
      intend(4, { kind: 'process', pid: 'x', start: '1' }),
      intend(5, { kind: 'path', rel: 'ok' }, 'ok'),
      JSON.stringify({ v: 1, at: 'own', id: 99, entry: { kind: 'path', rel: 'ok' } }),
    ]);
    mkdirSync(join(dir, 'ok'));
    // When it is recovered
    const r = recoverAll();
    // Then every bad line is named, the good one is done, and nothing outside was touched
    expect(r.bad.map((b) => b.replace(/^.*journal\.jsonl:/, ''))).to.deep.equal([
      '1: not an object; line skipped',
      '2: not an object; line skipped',
      '3: not a version 1 line; line skipped',
      '4: rel is not a valid value; line skipped',
      '5: unknown kind "format-disk"; line skipped',
      '6: pid is not a valid number; line skipped',
      '8: "own" for an entry that was not intended; line skipped',
    ]);
    expect(r.removed).to.include('ok');
    expect(existsSync('/etc/passwd')).to.equal(true);
    expect(existsSync(dir)).to.equal(false);
  });

  it('refuses entries that are not provably this run\'s, and leaves their objects untouched', function () {
    if (!isRoot()) this.skip();
    const run = { token: '0c0c', dir: join(ensureRunDir(), '0c0c') };
    mkdirSync(run.dir);
    // A symlink planted inside the run's directory pointing at a precious place
    const precious = join(tmp.base(), 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'keep'), 'x');
    symlinkSync(precious, join(run.dir, 'link'));
    const cases = [
      undoEntry({ kind: 'path', rel: 'link/keep' }, run, true),
      undoEntry({ kind: 'mount', rel: 'link' }, run, true),
      undoEntry({ kind: 'cgroup', path: '/sys/fs/cgroup/pids/user.slice' }, run, true),
      undoEntry({ kind: 'cgroup', path: '/sys/fs/cgroup/pids/nslab-0d0d-x' }, run, true),
      undoEntry({ kind: 'netns', name: 'nslab-0d0d-c1' }, run, true),
      undoEntry({ kind: 'dm', name: 'nslab-0d0d-pool' }, run, true),
      undoEntry({ kind: 'msgq', key: 0x6e730d0d, msqid: 1 }, run, true),
      undoEntry({ kind: 'msgq', key: 0x6e730c0c }, run, false),
      undoEntry({ kind: 'link', name: 'nslab-0d0dx' }, run, true),
      undoEntry({ kind: 'loop', device: '/dev/loop0', rel: 'link/data.img' }, run, true),
      undoEntry({ kind: 'netnsConf', name: 'nslab-0d0d-c1' }, run, true),
      undoEntry({ kind: 'subtree', mount: '/etc', controller: 'cpu' }, run, true),
      undoEntry({ kind: 'dmResume', name: 'nslab-0d0d-thin0' }, run, true),
    ];
    for (const c of cases) {
      expect(c.ok).to.equal(false);
      if (!c.ok) expect(c.reason).to.match(/^refused: not nslab's — /);
    }
    expect(readFileSync(join(precious, 'keep'), 'utf8')).to.equal('x');
  });

  it('kills a process only while its PID still has the recorded start time', function () {
    const run = { token: '0e0e', dir: join(ensureRunDir(), '0e0e') };
    // A live process (this one) with a start time that does not match is left alone
    expect(undoEntry({ kind: 'process', pid: process.pid, start: '1' }, run, true)).to.deep.equal({ ok: true });
    expect(() => process.kill(process.pid, 0)).to.not.throw();
  });

  it('never writes a journal line it would refuse to read', function () {
    for (const raw of [intend(1, { kind: 'loop', device: '/dev/loop0', rel: 'scratch/a.img' }), JSON.stringify({ v: 1, at: 'done', id: 1 })])
      expect(() => parseLine(raw)).to.not.throw();
  });
});

describe('the safety net (objects with no journal)', function () {
  useTempRunDir();

  it("removes a dead run's cgroup found by its name, and never a live run's", function () {
    const v2 = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => / - cgroup2 /.test(l))?.split(' ')[4];
    if (!isRoot() || !v2) this.skip();
    // Given a live run with a group of its own, and a group of a token no run holds
    const live = new CleanupStack(claimRun('unit'));
    const dead = live.run.token === 'dead' ? 'beef' : 'dead';
    const liveGroup = join(v2!, live.name('kept'));
    const deadGroup = join(v2!, `nslab-${dead}-lost`);
    live.push({ kind: 'cgroup', path: liveGroup }, L('live group'));
    mkdirSync(liveGroup);
    mkdirSync(deadGroup);
    mkdirSync(join(deadGroup, `nslab-${dead}-child`));
    try {
      // When a run starts (or clean runs)
      const r = recoverAll();
      // Then the dead token's groups are gone, the live run's is not
      expect(r.removed).to.include(`cgroup ${deadGroup} (no journal named it)`);
      expect(existsSync(deadGroup)).to.equal(false);
      expect(existsSync(liveGroup)).to.equal(true);
    } finally {
      live.unwind();
      live.close();
      for (const g of [join(deadGroup, `nslab-${dead}-child`), deadGroup]) if (existsSync(g)) rmdirSync(g);
    }
    expect(existsSync(liveGroup)).to.equal(false);
  });
});

describe('the run directory', function () {
  const tmp = useTempRunDir();

  it('is refused when another user could change it', function () {
    if (!isRoot()) this.skip();
    const base = runDir();
    mkdirSync(base, { mode: 0o777 });
    chmodSync(base, 0o777);
    expect(() => ensureRunDir()).to.throw(RunDirError, /can be written by other users/);
    chmodSync(base, 0o711);
    chownSync(base, 1000, 1000);
    expect(() => ensureRunDir()).to.throw(RunDirError, /belongs to uid 1000/);
  });

  it('is refused when it is a symlink', function () {
    if (!isRoot()) this.skip();
    mkdirSync(join(tmp.base(), 'elsewhere'));
    symlinkSync(join(tmp.base(), 'elsewhere'), runDir());
    expect(() => ensureRunDir()).to.throw(RunDirError, /not a plain directory/);
  });
});

describe('named resources', function () {
  useTempRunDir();

  it('makes a second run wait, says for whom, and lets it go when the first is done', async function () {
    const never = new AbortController().signal;
    const first = await ResourceLock.acquire('cgroups', '09-cgroups', never, () => undefined);
    // The lock is per open file: a second acquire in this process waits as another process would.
    let told = '';
    let got = false;
    const second = ResourceLock.acquire('cgroups', '10-cgroup-v2', never, (h) => (told = h)).then((l) => {
      got = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).to.equal(false);
    expect(told).to.equal(`09-cgroups run ${process.pid}`);
    first.release();
    (await second).release();
    expect(got).to.equal(true);
  });

  it('stops waiting when the run is interrupted', async function () {
    const never = new AbortController().signal;
    const first = await ResourceLock.acquire('cgroups', '09-cgroups', never, () => undefined);
    const ac = new AbortController();
    const second = ResourceLock.acquire('cgroups', '09-cgroups', ac.signal, () => ac.abort());
    let error = '';
    await second.catch((e: Error) => (error = e.message));
    expect(error).to.match(/interrupted/);
    first.release();
  });
});
