// One disposable VM: qemu boots the cached kernel with nslab's initramfs, shares the host's root
// read-only over 9p and a result directory writable, has no network device, and runs one job.
// The job's output comes back live on the second serial port; its exit code comes back as a
// file in the result directory. No file means no verdict: a panic, an init that died or a
// guest that hung past the time limit is an error, never a pass (qemu itself exits 0 even
// after a guest panic, with -no-reboot and panic=-1).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, spawn, type Child } from '../../../addon/index.js';
import { CleanupStack } from '../../core/cleanup.js';
import { claimRun } from '../../core/owner.js';
import { GUEST_OUT, TAGS, initramfs } from './initramfs.js';
import type { PreparedKernel } from './kernel.js';
import type { Platform } from './platform.js';

export interface VmJob {
  /** Arguments of the guest's nslab (`verify 12-devicemapper --reporter json`). */
  readonly args: readonly string[];
  /** The guest's stdout goes to a file the host prints at the end (machine reporters). */
  readonly captureStdout: boolean;
  /** The host's terminal is the guest's (nslab shell): keys go in raw, Ctrl-C included. */
  readonly interactive: boolean;
  readonly env: Readonly<Record<string, string>>;
  /** Seconds before the host gives up on the guest. */
  readonly timeoutS: number;
  /** Tests only: make the guest panic ('panic'), power off without a result ('noresult'), or let init exit ('exit'). */
  readonly fault?: string;
  /**
   * Tests only: a shell script run in the guest instead of nslab ("$NSLAB_NODE" "$NSLAB_BIN" is
   * the guest's nslab), e.g. to interrupt a lab inside the VM and look at what is left.
   */
  readonly script?: string;
  /** Files the guest's job reads, by name, from GUEST_OUT (try --script FILE: the commands). */
  readonly files?: Readonly<Record<string, string>>;
  readonly memoryMiB?: number;
  readonly cpus?: number;
}

export type VmOutcome =
  | { kind: 'exited'; code: number; stdout: string; bootMs: number | undefined; wallMs: number }
  | { kind: 'error'; reason: string; console: string; wallMs: number }
  | { kind: 'interrupted'; signal: NodeJS.Signals; wallMs: number };

export interface VmIo {
  /** Live output of the guest's job (already without the serial line's \r). */
  readonly write: (chunk: string) => void;
  /** Set when the host run is interrupted: the VM is stopped. */
  readonly signal: AbortSignal;
  readonly received: () => NodeJS.Signals | undefined;
}

/** POSIX shell single quoting. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell script stage 2 runs: environment, terminal settings, then the guest's nslab. */
function jobScript(job: VmJob): string {
  const env = Object.entries(job.env).map(([k, v]) => `export ${k}=${shq(v)}`);
  const tty = job.interactive
    ? [process.stdout.rows && process.stdout.columns ? `stty rows ${process.stdout.rows} cols ${process.stdout.columns}` : '']
    : ['stty -onlcr -echo'];
  const [node, bin] = [process.execPath, join(packageRoot(), 'bin', 'nslab.js')];
  const run =
    job.script !== undefined
      ? `NSLAB_NODE=${shq(node)} NSLAB_BIN=${shq(bin)} sh ${GUEST_OUT}/script`
      : [node, bin, ...job.args].map(shq).join(' ');
  return [...env, ...tty.filter(Boolean), `${run}${job.captureStdout ? ` > ${GUEST_OUT}/stdout` : ''}`, ''].join('\n');
}

function qemuArgs(p: Platform, k: PreparedKernel, dir: string, out: string, job: VmJob): string[] {
  const fsdev = (id: string, path: string, readonly: boolean) => [
    '-fsdev',
    `local,id=${id},path=${path},security_model=none,multidevs=remap${readonly ? ',readonly=on' : ''}`,
    '-device',
    `virtio-9p-pci,fsdev=${id},mount_tag=${id}`,
  ];
  const accel = p.accel.kind === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg', '-cpu', 'max'];
  return [
    '-name', 'nslab-vm,process=nslab-vm',
    '-machine', 'pc',
    ...accel,
    '-smp', String(job.cpus ?? 2),
    '-m', String(job.memoryMiB ?? 1024),
    '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
    '-nic', 'none',
    '-no-reboot',
    ...(p.firmware && k.pvh ? ['-bios', p.firmware] : []),
    '-kernel', join(k.dir, k.kernel),
    '-initrd', join(dir, 'initramfs.cpio'),
    '-append', 'console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init',
    // ttyS0: the kernel's console, kept in a file for the error message; ttyS1: the job.
    '-serial', `file:${join(dir, 'console.log')}`,
    '-chardev', 'stdio,id=job,signal=off',
    '-serial', 'chardev:job',
    ...fsdev(TAGS.root, '/', true),
    ...fsdev(TAGS.out, out, false),
    ...fsdev(TAGS.pkg, packageRoot(), true),
  ];
}

function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Boot, run the job, power off. The host directory and qemu are removed in every case. */
export async function bootVm(p: Platform, k: PreparedKernel, job: VmJob, io: VmIo): Promise<VmOutcome> {
  const t0 = Date.now();
  const cleanup = new CleanupStack(claimRun('vm'));
  const dir = join(cleanup.run.dir, 'vm');
  cleanup.push({ kind: 'path', rel: 'vm' }, { en: `VM directory ${dir}`, zh: `虚拟机目录 ${dir}` });
  const out = join(dir, 'out');
  let child: Child | undefined;
  try {
    mkdirSync(dir, { mode: 0o711 });
    mkdirSync(out, { mode: 0o755 });
    writeFileSync(join(out, 'pkgroot'), packageRoot());
    writeFileSync(join(out, 'job'), jobScript(job));
    if (job.fault) writeFileSync(join(out, 'fault'), job.fault);
    if (job.script !== undefined) writeFileSync(join(out, 'script'), job.script);
    for (const [name, text] of Object.entries(job.files ?? {})) writeFileSync(join(out, name), text, { mode: 0o644 });
    writeFileSync(join(dir, 'initramfs.cpio'), initramfs(p.busybox, k.modules.map((m) => join(k.dir, 'modules', m))));
    child = spawn({
      argv: [p.qemu, ...qemuArgs(p, k, dir, out, job)],
      env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
      stdio: job.interactive ? ['inherit', 'inherit', 'inherit'] : ['null', 'pipe', 'pipe'],
      // Its own session: a Ctrl-C on the host's terminal is nslab's to handle, not qemu's.
      actions: [{ do: 'setsid' }],
    });
    cleanup.pushProcess(child.pid, child.startTime, { en: `qemu ${child.pid} (nslab VM)`, zh: `qemu ${child.pid}（nslab 虚拟机）` });
    const qemu = child;
    let stderr = '';
    qemu.stdout?.setEncoding('utf8').on('data', (c: string) => io.write(c.replace(/\r\n/g, '\n')));
    qemu.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, job.timeoutS * 1000);
    const stop = () => {
      qemu.kill('SIGTERM');
      setTimeout(() => qemu.kill('SIGKILL'), 2000).unref();
    };
    io.signal.addEventListener('abort', stop, { once: true });
    await qemu.ready();
    const status = await qemu.exited;
    clearTimeout(timer);
    io.signal.removeEventListener('abort', stop);
    await new Promise((r) => setImmediate(r)); // let the last output through
    const wallMs = Date.now() - t0;
    const received = io.received();
    if (received) return { kind: 'interrupted', signal: received, wallMs };
    const console = readIf(join(dir, 'console.log')) ?? '';
    const exit = readIf(join(out, 'exit'));
    if (timedOut) return { kind: 'error', reason: `the VM did not finish within ${job.timeoutS} s (NSLAB_VM_TIMEOUT) and was stopped`, console, wallMs };
    if (status.code !== 0 || status.signal) {
      return { kind: 'error', reason: `qemu failed (exit ${status.code ?? status.signal}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`, console, wallMs };
    }
    if (exit === undefined || !/^\d+\s*$/.test(exit)) {
      const panic = /Kernel panic[^\n]*/.exec(console)?.[0];
      return {
        kind: 'error',
        reason: `the VM stopped without a result${panic ? ` (${panic.trim()})` : ' (the guest crashed or its init ended early)'}`,
        console,
        wallMs,
      };
    }
    const ready = readIf(join(out, 'ready'));
    const bootMs = ready ? Math.round(Number(ready.split(' ')[0]) * 1000) : undefined;
    return { kind: 'exited', code: Number(exit.trim()), stdout: readIf(join(out, 'stdout')) ?? '', bootMs, wallMs };
  } finally {
    if (child?.running) {
      child.kill('SIGKILL');
      await child.exited;
    }
    cleanup.unwind();
    cleanup.close();
  }
}
