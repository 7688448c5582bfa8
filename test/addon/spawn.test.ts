// The spawn engine, one concern at a time, against the real kernel.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { NsError, nsInode, probePath, run, spawn } from '../../addon/index.js';
import { addonOnly, rootOnly } from '../00.setup.js';

async function rejection(p: Promise<unknown>): Promise<NsError> {
  try {
    await p;
  } catch (e) {
    return e as NsError;
  }
  throw new Error('expected a rejection');
}

describe('addon: spawn', function () {
  beforeEach(function () {
    addonOnly(this);
    rootOnly(this);
  });

  it('runs a program and collects its output and exit code', async function () {
    const r = await run({ argv: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(r).to.include({ stdout: 'out\n', stderr: 'err\n', code: 3, signal: null });
  });

  it('reports death by signal', async function () {
    const r = await run({ argv: ['/bin/sh', '-c', 'kill -TERM $$'] });
    expect(r.signal).to.equal('SIGTERM');
    expect(r.code).to.equal(null);
  });

  it('feeds stdin', async function () {
    const r = await run({ argv: ['/bin/cat'] }, 'hello through a pipe');
    expect(r.stdout).to.equal('hello through a pipe');
  });

  it('creates the namespaces it is asked for, and only those', async function () {
    const r = await run({ namespaces: ['uts', 'pid'], argv: [probePath()] });
    const report = JSON.parse(r.stdout) as { pid: number; ns: Record<string, number> };
    expect(report.pid).to.equal(1);
    expect(report.ns.uts).to.not.equal(nsInode('self', 'uts'));
    expect(report.ns.pid).to.not.equal(nsInode('self', 'pid'));
    expect(report.ns.mnt).to.equal(nsInode('self', 'mnt'));
    expect(report.ns.net).to.equal(nsInode('self', 'net'));
  });

  it('runs setup actions in order before exec', async function () {
    const r = await run({
      namespaces: ['uts', 'mnt'],
      argv: ['/bin/sh', '-c', 'hostname; cat /proc/self/mountinfo | grep -c nslab-test-tmp; pwd'],
      actions: [
        { do: 'sethostname', name: 'nslab-t' },
        { do: 'makePrivate' },
        { do: 'mount', source: 'nslab-test-tmp', target: '/mnt', fstype: 'tmpfs' },
        { do: 'chdir', path: '/mnt' },
      ],
    });
    expect(r.stdout.split('\n')).to.deep.equal(['nslab-t', '1', '/mnt', '']);
    expect(hostname()).to.not.equal('nslab-t');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.not.contain('nslab-test-tmp');
  });

  it('names the failing action, the syscall, the path and the errno', async function () {
    const e = await rejection(
      run({ namespaces: ['mnt'], argv: ['/bin/true'], actions: [{ do: 'makePrivate' }, { do: 'mount', source: 'none', target: '/nslab-does-not-exist', fstype: 'tmpfs' }] }),
    );
    expect(e).to.be.instanceOf(NsError);
    expect(e).to.include({ code: 'ENOENT', errno: -2, syscall: 'mount', path: '/nslab-does-not-exist', action: 'mount' });
    expect(e.message).to.equal('ENOENT: mount("none", "/nslab-does-not-exist", "tmpfs"): No such file or directory');
  });

  it('reports a failed execve with a diagnosis', async function () {
    const e = await rejection(run({ argv: ['/nslab/no/such/program'] }));
    expect(e).to.include({ code: 'ENOENT', syscall: 'execve', path: '/nslab/no/such/program' });
    expect(e.diagnosis).to.match(/does not exist inside the container root/);
  });

  it('maps EINVAL from pivot_root to the shared-root diagnosis', async function () {
    // pivot_root("/", "/") is refused: the new root must be a mount point not on the old root
    const e = await rejection(
      run({ namespaces: ['mnt'], argv: ['/bin/true'], actions: [{ do: 'makePrivate' }, { do: 'pivotRoot', newRoot: '/tmp', putOld: '/tmp' }] }),
    );
    expect(e.syscall).to.equal('pivot_root');
    expect(e.code).to.be.oneOf(['EINVAL', 'EBUSY']);
    expect(e.diagnosis).to.be.a('string');
  });

  it('lets the parent work between clone and the go-ahead', async function () {
    const child = spawn({ namespaces: ['uts'], argv: ['/bin/hostname'], actions: [{ do: 'wait' }, { do: 'sethostname', name: 'nslab-late' }], stdio: ['null', 'pipe', 'pipe'] });
    // The child is alive and waiting: its uts namespace already exists.
    expect(nsInode(child.pid, 'uts')).to.not.equal(nsInode('self', 'uts'));
    child.go();
    expect((await child.output()).stdout).to.equal('nslab-late\n');
  });

  it('makes a waiting child give up when the parent abandons it, without hanging', async function () {
    const child = spawn({ argv: ['/bin/true'], actions: [{ do: 'wait' }] });
    child.abandon();
    const e = await rejection(child.ready());
    expect(e).to.include({ code: 'ECANCELED', action: 'wait' });
    expect((await child.exited).code).to.equal(127);
  });

  it('joins namespaces with setns and forks into a joined PID namespace', async function () {
    const holder = spawn({ namespaces: ['uts', 'pid'], argv: [probePath(), '--hold'], actions: [{ do: 'sethostname', name: 'nslab-held' }], stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await holder.ready();
      const r = await run({
        argv: ['/bin/sh', '-c', 'hostname; echo $$'],
        actions: [
          { do: 'setns', path: `/proc/${holder.pid}/ns/uts`, ns: 'uts' },
          { do: 'setns', path: `/proc/${holder.pid}/ns/pid`, ns: 'pid' },
          { do: 'fork' },
        ],
      });
      const [name, pid] = r.stdout.trim().split('\n');
      expect(name).to.equal('nslab-held');
      expect(Number(pid)).to.be.greaterThan(1); // PID 1 is the holder; we are a later PID in its namespace
    } finally {
      holder.stdin!.end();
      await holder.exited;
    }
  });

  it('kills the child when nslab dies (parent-death signal)', async function () {
    // A shell (the "nslab") spawns a sleeping child through a node one-liner and is killed.
    const script = `import('${new URL('../../addon/index.js', import.meta.url).href}').then(a => { const c = a.spawn({ argv: ['/bin/sleep', '60'] }); console.log(c.pid); setInterval(() => {}, 1000); })`;
    const { spawn: cpSpawn } = await import('node:child_process');
    const node = cpSpawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => node.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).to.contain('sleep');
    node.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        alive = !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
      } catch {
        alive = false;
      }
    }
    expect(alive, 'the child outlived its parent').to.equal(false);
  });

  it('does not block the event loop while a child runs', async function () {
    const child = spawn({ argv: ['/bin/sleep', '0.3'] });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await child.exited;
    clearInterval(timer);
    expect(ticks).to.be.greaterThan(10);
  });
});
