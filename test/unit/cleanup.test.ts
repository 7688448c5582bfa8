// The cleanup stack and its journal: undo in reverse, survive a crash, never touch what is not ours.
import { expect } from 'chai';
import { useTempRunDir } from '../helpers.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CleanupStack, orphanJournals, recoverAll } from '../../runner/cleanup.js';
import { journalDir } from '../../runner/paths.js';
import { undoers } from '../../runner/undo.js';

describe('cleanup stack and journal', function () {
  const tmp = useTempRunDir();

  it('records an object before it exists and removes it on unwind, newest first', function () {
    // Given two directories recorded and then created
    const stack = new CleanupStack('1-1-test');
    const outer = join(tmp.base(), 'nslab-outer');
    stack.push('remove', { path: outer }, 'outer');
    mkdirSync(outer);
    const inner = join(outer, 'nslab-inner');
    stack.push('remove', { path: inner }, 'inner');
    mkdirSync(inner);
    expect(readFileSync(stack.file, 'utf8').trim().split('\n')).to.have.length(2);
    // When the stack unwinds
    const r = stack.unwind();
    // Then both are gone, newest first, and the journal and run directory with them
    expect(r).to.deep.equal({ removed: ['inner', 'outer'], errors: [] });
    expect(existsSync(outer)).to.equal(false);
    expect(existsSync(stack.file)).to.equal(false);
    expect(existsSync(process.env.NSLAB_RUN_DIR!)).to.equal(false);
  });

  it('keeps the journal of what it could not remove, also across a second unwind', function () {
    const stack = new CleanupStack('1-1-test');
    // A path without nslab in it cannot be removed by design: its undo fails.
    stack.push('remove', { path: '/var/tmp/not-ours' }, 'not ours');
    expect(stack.unwind().errors).to.have.length(1);
    expect(stack.unwind().errors).to.have.length(1); // tried again, still there
    expect(existsSync(stack.file)).to.equal(true);
    expect(readFileSync(stack.file, 'utf8')).to.contain('not ours');
  });

  it('refuses to create anything once it has unwound (an interrupted step keeps running)', function () {
    const stack = new CleanupStack('1-1-test');
    stack.unwind();
    expect(() => stack.push('remove', { path: join(tmp.base(), 'nslab-late') }, 'late')).to.throw(/being cleaned up/);
  });

  it('recovers what a crashed run left, from its journal', function () {
    // Given a journal written by a process that no longer exists (PID 999999999 cannot exist)
    mkdirSync(journalDir(), { recursive: true });
    const left = join(tmp.base(), 'nslab-left-behind');
    const released = join(tmp.base(), 'nslab-released');
    mkdirSync(left);
    mkdirSync(released);
    writeFileSync(
      join(journalDir(), '999999999-1_01-uts.jsonl'),
      [
        JSON.stringify({ push: { id: 1, kind: 'remove', args: { path: left }, label: 'left' } }),
        JSON.stringify({ push: { id: 2, kind: 'remove', args: { path: released }, label: 'released' } }),
        JSON.stringify({ done: 2 }),
        '{"push": {"id": 3, "kind"', // torn by the crash
      ].join('\n'),
    );
    expect(orphanJournals()).to.have.length(1);
    // When the next run starts
    const r = recoverAll();
    // Then what was still open is removed, what was done is not touched again
    expect(r.removed).to.deep.equal(['left']);
    expect(existsSync(left)).to.equal(false);
    expect(existsSync(released)).to.equal(true);
    expect(orphanJournals()).to.deep.equal([]);
  });

  it("leaves a live run's journal alone", function () {
    const stack = new CleanupStack(undefined);
    stack.push('remove', { path: join(tmp.base(), 'nslab-mine') }, 'mine');
    expect(orphanJournals()).to.deep.equal([]);
    stack.unwind();
  });

  it('never removes a path without nslab in it', function () {
    expect(() => undoers.remove!({ path: '/etc' })).to.throw(/not an nslab path/);
    expect(() => undoers.rmdir!({ path: '/tmp' })).to.throw(/not an nslab path/);
  });

  it('does not kill a process whose PID was reused', function () {
    // A live process with a start time that does not match is left alone
    undoers.kill!({ pid: process.pid, start: '1' });
    expect(() => process.kill(process.pid, 0)).to.not.throw();
  });

  it('detaches mounts inside a directory before removing it, never deleting through them', function () {
    if (process.geteuid?.() !== 0) this.skip();
    const dir = join(tmp.base(), 'nslab-tree');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt, { recursive: true });
    // a bind mount of a folder with a precious file: removal must not delete through it
    const precious = join(tmp.base(), 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'keep'), 'x');
    execFileSync('mount', ['--bind', precious, mnt]);
    undoers.remove!({ path: dir });
    expect(existsSync(dir)).to.equal(false);
    expect(readFileSync(join(precious, 'keep'), 'utf8')).to.equal('x');
  });
});
