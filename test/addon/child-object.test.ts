// The child side of spawn (addon/src/child.c) runs between clone() and execve() in a copy of one
// of Node's threads, so it may call only system-call wrappers and async-signal-safe functions:
// no malloc, no stdio, no locks, no C++ runtime. This reads the symbols its object file needs.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../addon/loader.js';

/** What the child and nslab_clone() may call: signal-safety(7), and plain system-call wrappers. */
const ALLOWED = new Set([
  // async-signal-safe (POSIX, signal-safety(7))
  '_exit', 'chdir', 'close', 'dup2', 'execve', 'fcntl', 'fcntl64', 'getpid', 'getppid', 'kill', 'mkdir',
  'mknod', 'open', 'open64', 'pthread_sigmask', 'read', 'rmdir', 'setsid', 'sigaction', 'sigemptyset',
  'sigfillset', 'sigprocmask', 'strlen', 'memset', 'memcpy', 'symlink', 'waitpid', 'write',
  // Linux system calls with a thin wrapper and no lock
  'chroot', 'clone', 'mount', 'prctl', 'sethostname', 'setns', 'syscall', 'umount2', 'unshare',
  // errno, and the compiler's own
  '__errno_location', '__stack_chk_fail',
]);

describe('addon: the child code (child.c)', function () {
  it('calls only system-call wrappers and async-signal-safe functions', function () {
    const object = join(packageRoot(), 'build', 'CMakeFiles', 'nslab.dir', 'addon', 'src', 'child.c.o');
    if (!existsSync(object)) {
      this.test!.title += ' (skipped: the addon is not built with cmake-js here)';
      return this.skip();
    }
    let out: string;
    try {
      out = execFileSync('nm', ['-u', '--format=posix', object], { encoding: 'utf8' });
    } catch (e) {
      this.test!.title += ` (skipped: nm: ${(e as Error).message})`;
      return this.skip();
    }
    const used = out
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((s) => s !== '')
      .map((s) => s.replace(/@.*$/, ''));
    expect(used, 'nm found no symbols').to.include('execve');
    expect(used.filter((s) => !ALLOWED.has(s))).to.deep.equal([]);
  });
});
