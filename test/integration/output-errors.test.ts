// Output that cannot be written (a reader that went away, a full disk) stops the lab like
// Ctrl-C does: the engine unwinds what it created and nslab exits quietly, without a stack trace.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { addonOnly, rootOnly } from '../00.setup.js';
import { cli, eventually, hostSnapshot, type HostSnapshot } from '../helpers.js';
import { listDir } from '../../runner/core/proc.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

/** Run directories (journal and lock) still claimed by process `pid`. */
function runsOf(pid: number): string[] {
  const base = process.env.NSLAB_RUN_DIR ?? '/run/nslab';
  return listDir(base).filter((d) => {
    try {
      return (JSON.parse(readFileSync(join(base, d, 'lock'), 'utf8')) as { pid?: number }).pid === pid;
    } catch {
      return false;
    }
  });
}

/** `nslab run <lab>` whose stdout is read until `bytes` arrived, then closed by the reader. */
function runAndCloseStdout(lab: string, bytes: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', lab], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.length >= bytes) child.stdout.destroy(); // the reader goes away, like head -c
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid! }));
  });
}

/** `nslab run <lab>` with stdout opened on /dev/full: every write fails with ENOSPC. */
function runIntoFullDevice(lab: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [cli, 'run', lab], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr, pid: child.pid! }));
  });
}

const STACK_LINE = /^\s+at /m;

/** The host is as `before` (given a moment to settle); on a difference, chai shows it. */
async function expectHostAsBefore(before: HostSnapshot): Promise<void> {
  await eventually(() => isDeepStrictEqual(hostSnapshot(), before), 'the host to be as before the run').catch(() => undefined);
  expect(hostSnapshot()).to.deep.equal(before);
}

describe('output errors (integration)', function () {
  before(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('stops and cleans up when the reader of stdout goes away (EPIPE), exiting 141', async function () {
    // Given the host as it is, and a reader that takes the first 2 KB of `nslab run 08-network`
    const before = hostSnapshot();
    // When the reader closes the pipe in the middle of the lab
    const r = await runAndCloseStdout('08-network', 2048);
    // Then the lab had started (its namespaces were being created) when the pipe broke
    expect(r.stdout).to.match(/ip netns add nslab-[0-9a-f]{4}-/);
    // And nslab exited like a command killed by SIGPIPE, quietly and without a stack trace
    expect(r.code, r.stderr).to.equal(141);
    expect(r.signal).to.equal(null);
    expect(r.stderr).to.not.match(STACK_LINE);
    expect(r.stderr).to.not.match(/EPIPE|Error/);
    // And it left no journal, no namespace, no link and no process behind
    expect(runsOf(r.pid)).to.deep.equal([]);
    await expectHostAsBefore(before);
  });

  it('stops and cleans up when stdout is a full device (ENOSPC), exiting non-zero with one sentence', async function () {
    // Given the host as it is, and stdout opened on /dev/full
    const before = hostSnapshot();
    // When nslab runs 01-uts and its first line of output cannot be written
    const r = await runIntoFullDevice('01-uts');
    // Then it exits 1 with at most one sentence on stderr, and no stack trace
    expect(r.code, r.stderr).to.equal(1);
    expect(r.signal).to.equal(null);
    expect(r.stderr).to.not.match(STACK_LINE);
    expect(r.stderr.trim().split('\n').filter(Boolean).length).to.be.at.most(1);
    expect(r.stderr).to.match(/^(nslab: stdout: no space left on device; stopped and cleaned up\n)?$/);
    // And everything it created was removed
    expect(runsOf(r.pid)).to.deep.equal([]);
    await expectHostAsBefore(before);
  });
});
