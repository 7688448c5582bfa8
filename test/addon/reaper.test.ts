// Reaping, when things go wrong: every child is reaped and its `exited` settles once, with the
// right status, and nothing becomes an unhandled rejection. Each failure is forced for real:
// a pidfd epoll refuses, a full fd table, an epoll fd closed under the reaper, strace making
// the middle process's waitpid() fail.
import { expect } from 'chai';
import { execFile, spawn as cpSpawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn } from '../../addon/index.js';
import { loadBinding } from '../../addon/loader.js';
import type { RawBinding } from '../../addon/native.js';
import { addonOnly, rootOnly } from '../00.setup.js';

type WatchExit = RawBinding['watchExit'];

/** Names of this process's threads (the addon names its own nslab-reaper and nslab-waitpid). */
function threads(): string[] {
  return readdirSync('/proc/self/task').map((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** Reaped: gone from /proc, not even a zombie. */
function reaped(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}

/** Replace the binding's watchExit while `fn` runs (Child calls it from its constructor). */
function withWatchExit<T>(replace: (real: WatchExit) => WatchExit, fn: () => T): T {
  const b = loadBinding();
  const real = b.watchExit;
  b.watchExit = replace(real);
  try {
    return fn();
  } finally {
    b.watchExit = real;
  }
}

/** Records unhandled rejections until stop() (which lets a few turns of the loop pass first). */
function watchRejections(): { stop(): Promise<unknown[]> } {
  const seen: unknown[] = [];
  const on = (e: unknown) => seen.push(e);
  process.on('unhandledRejection', on);
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 50));
      process.off('unhandledRejection', on);
      return seen;
    },
  };
}

/** Runs `body` (an ES module body) in a fresh node, so with a reaper of its own; returns what it
 *  put in `out`, plus the unhandled rejections and uncaught exceptions it saw. A hang (an
 *  `exited` that never settles) fails after 15 s. */
function inFreshNode(body: string, prefix: string[] = []): Promise<Record<string, unknown>> {
  const url = (p: string) => new URL(p, import.meta.url).href;
  const script = `
    import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
    const { loadBinding } = await import(${JSON.stringify(url('../../addon/loader.js'))});
    const addon = await import(${JSON.stringify(url('../../addon/index.js'))});
    const out = { problems: [] };
    process.on('unhandledRejection', (e) => out.problems.push('unhandledRejection: ' + e));
    process.on('uncaughtException', (e) => out.problems.push('uncaughtException: ' + e));
    ${threads.toString()}
    ${until.toString()}
    ${reaped.toString()}
    ${body}
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify(out));
    process.exit(0);
  `;
  const argv = [...prefix, process.execPath, '--input-type=module', '-e', script];
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 15000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err?.killed) return reject(new Error(`the script hung (an \`exited\` never settled?): ${stderr}`));
      if (err) return reject(new Error(`the script failed (exit ${err.code}): ${stderr}`));
      if (!stdout.trim()) return reject(new Error(`the script ended with an await unsettled (an \`exited\`?): ${stderr}`));
      resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

function hasProgram(name: string): boolean {
  return ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'].some((d) => existsSync(`${d}/${name}`));
}

describe('addon: reaping', function () {
  beforeEach(function () {
    addonOnly(this);
    rootOnly(this);
  });

  describe('the fork action', function () {
    it("mirrors the forked child's exit code, zero included", async function () {
      // Given a child that forks before exec: the program runs in the grandchild
      const child = spawn({ argv: ['/bin/sh', '-c', 'echo $$; exit 7'], actions: [{ do: 'fork' }] });
      // When it exits 7
      const r = await child.output();
      // Then the middle process exits the same way
      expect(Number(r.stdout.trim())).to.not.equal(child.pid);
      expect(r).to.include({ code: 7, signal: null });
      expect((await spawn({ argv: ['/bin/true'], actions: [{ do: 'fork' }], stdio: ['null', 'null', 'null'] }).exited).code).to.equal(0);
    });

    it("mirrors the forked child's death by signal", async function () {
      const child = spawn({ argv: ['/bin/sh', '-c', 'kill -TERM $$'], actions: [{ do: 'fork' }], stdio: ['null', 'null', 'null'] });
      expect(await child.exited).to.deep.equal({ code: null, signal: 'SIGTERM' });
    });

    it("exits 255, never 0, when the middle process's waitpid fails", async function () {
      if (!hasProgram('strace')) {
        this.test!.title += ' (skipped: needs strace)';
        this.skip();
      }
      // Given a child that waits, then forks; in a PID namespace of its own, so that the
      // grandchild it cannot wait for is reaped by the kernel when it exits
      const child = spawn({ namespaces: ['pid'], argv: ['/bin/sh', '-c', 'exit 3'], actions: [{ do: 'wait' }, { do: 'fork' }], stdio: ['null', 'null', 'null'] });
      // And strace making its next wait4() fail with ECHILD (the grandchild is not followed)
      const tracer = cpSpawn('strace', ['-qq', '-o', '/dev/null', '-e', 'trace=wait4', '-e', 'inject=wait4:error=ECHILD', '-p', String(child.pid)], { stdio: 'ignore' });
      const traced = () => /^TracerPid:\s*[1-9]/m.test(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      const attached = await until(traced);
      const tracerGone = new Promise((r) => tracer.on('close', r));
      try {
        expect(attached, 'strace did not attach').to.equal(true);
        // When it forks and the grandchild exits 3
        child.go();
        // Then the lost status is a failure, not success
        expect(await child.exited).to.deep.equal({ code: 255, signal: null });
        expect(reaped(child.pid)).to.equal(true);
      } finally {
        child.kill();
        tracer.kill();
        await tracerGone;
      }
    });
  });

  describe('when the reaper fails', function () {
    it('falls back to a waitpid thread when epoll_ctl refuses the pidfd', async function () {
      const rejections = watchRejections();
      // Given a pidfd that epoll refuses (EPERM): a regular file stands in for it
      let standInClosed = false;
      const child = withWatchExit(
        (real) => (pid, pidfd, cb) => {
          closeSync(pidfd);
          const standIn = openSync(fileURLToPath(import.meta.url), 'r');
          real(pid, standIn, cb);
          try {
            fstatSync(standIn);
          } catch {
            standInClosed = true;
          }
        },
        () => spawn({ argv: ['/bin/sh', '-c', 'read x; exit 3'], stdio: ['pipe', 'null', 'null'] }),
      );
      // (the addon owns the fd it is given: it closed it when epoll_ctl failed)
      expect(standInClosed).to.equal(true);
      // Then a thread waits for the child
      expect(await until(() => threads().includes('nslab-waitpid'))).to.equal(true);
      // When it exits
      child.stdin!.end('\n');
      // Then it is reaped, and `exited` settles with its status
      expect(await child.exited).to.deep.equal({ code: 3, signal: null });
      expect(reaped(child.pid)).to.equal(true);
      expect(await rejections.stop()).to.deep.equal([]);
    });

    it('settles `exited` (a rejection someone awaits, never an unhandled one) when watchExit throws', async function () {
      const rejections = watchRejections();
      // Given a watchExit that throws (what only a Node-API failure still does)
      let held: [number, number] = [-1, -1];
      const child = withWatchExit(
        () => (pid, pidfd) => {
          held = [pid, pidfd];
          throw new Error('nslab-test: watchExit refused');
        },
        () => spawn({ argv: ['/bin/true'], stdio: ['null', 'null', 'null'] }),
      );
      // Then nothing is unhandled, and `exited` rejects with the error
      expect(await rejections.stop()).to.deep.equal([]);
      let error: Error | undefined;
      await child.exited.catch((e: Error) => (error = e));
      expect(error?.message).to.equal('nslab-test: watchExit refused');
      // (the test reaps its child itself)
      await new Promise<void>((r) => loadBinding().watchExit(held[0], held[1], () => r()));
      expect(reaped(child.pid)).to.equal(true);
    });

    it('falls back to a waitpid thread when epoll_create1 fails (EMFILE), and retries later', async function () {
      if (!hasProgram('prlimit')) {
        this.test!.title += ' (skipped: needs prlimit)';
        this.skip();
      }
      // Given a fresh node whose fd table is full when the first child is watched
      const out = await inFreshNode(
        `
        const b = loadBinding();
        const real = b.watchExit;
        b.watchExit = (pid, pidfd, cb) => {
          const filler = [];
          try { for (;;) filler.push(openSync('/dev/null', 'r')); } catch (e) { out.fill = e.code; }
          try { real(pid, pidfd, cb); } finally { for (const fd of filler) closeSync(fd); }
        };
        const first = addon.spawn({ argv: ['/bin/sh', '-c', 'read x; exit 5'], stdio: ['pipe', 'null', 'null'] });
        b.watchExit = real;
        out.waiting = await until(() => threads().includes('nslab-waitpid'));
        out.reaperWhileFull = threads().includes('nslab-reaper');
        first.stdin.end('\\n');
        out.first = await first.exited;
        out.firstReaped = reaped(first.pid);
        const second = addon.spawn({ argv: ['/bin/sh', '-c', 'kill -KILL $$'], stdio: ['null', 'null', 'null'] });
        out.reaperLater = await until(() => threads().includes('nslab-reaper'));
        out.second = await second.exited;
        out.secondReaped = reaped(second.pid);
        `,
        ['prlimit', '--nofile=256:256'],
      );
      // Then the first child was waited for by a thread of its own, and later ones by the reaper
      expect(out).to.deep.equal({
        problems: [],
        fill: 'EMFILE',
        waiting: true,
        reaperWhileFull: false,
        first: { code: 5, signal: null },
        firstReaped: true,
        reaperLater: true,
        second: { code: null, signal: 'SIGKILL' },
        secondReaped: true,
      });
    });

    it('hands every watched child to waitpid threads when epoll_wait fails, and watches later ones', async function () {
      // Given a fresh node with two children watched by its reaper
      const out = await inFreshNode(`
        const a = addon.spawn({ argv: ['/bin/sh', '-c', 'read x; exit 4'], stdio: ['pipe', 'null', 'null'] });
        const b = addon.spawn({ argv: ['/bin/sh', '-c', 'read x; kill -TERM $$'], stdio: ['pipe', 'null', 'null'] });
        await until(() => threads().includes('nslab-reaper'));
        // When the reaper's epoll fd is closed under it (found by its entry: data = pidfd << 32 | pid)
        let epfd;
        for (const fd of readdirSync('/proc/self/fd')) {
          let info = '';
          try { info = readFileSync('/proc/self/fdinfo/' + fd, 'utf8'); } catch { continue; }
          for (const m of info.matchAll(/tfd:\\s*(\\d+)\\s+events:\\s*\\w+\\s+data:\\s*([0-9a-f]+)/g)) {
            const data = BigInt('0x' + m[2]);
            if ((data & 0xffffffffn) === BigInt(a.pid) && data >> 32n === BigInt(m[1])) epfd = Number(fd);
          }
        }
        out.found = epfd !== undefined;
        closeSync(epfd);
        // and the first child's exit wakes it into its next epoll_wait (EBADF)
        a.stdin.end('\\n');
        out.a = await a.exited;
        out.aReaped = reaped(a.pid);
        out.reaperStopped = await until(() => !threads().includes('nslab-reaper'));
        // Then the second child, still watched, is reaped by a thread of its own
        out.handedOver = await until(() => threads().includes('nslab-waitpid'));
        b.stdin.end('\\n');
        out.b = await b.exited;
        out.bReaped = reaped(b.pid);
        // And a child spawned after the break is reaped too
        const c = addon.spawn({ argv: ['/bin/sh', '-c', 'exit 9'], stdio: ['null', 'null', 'null'] });
        out.c = await c.exited;
        out.cReaped = reaped(c.pid);
      `);
      expect(out).to.deep.equal({
        problems: [],
        found: true,
        a: { code: 4, signal: null },
        aReaped: true,
        reaperStopped: true,
        handedOver: true,
        b: { code: null, signal: 'SIGTERM' },
        bReaped: true,
        c: { code: 9, signal: null },
        cReaped: true,
      });
    });
  });
});
