// What the VM path needs on this host, and how qemu should accelerate the guest here.
import { closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import { which } from '../../kit/container.js';

export interface Accel {
  readonly kind: 'kvm' | 'tcg';
  /** One sentence: why this accelerator. */
  readonly why: string;
}

export interface Missing {
  readonly what: string;
  readonly remedy: string;
}

export interface Platform {
  readonly qemu: string;
  readonly busybox: string;
  readonly accel: Accel;
  /** qboot: a minimal firmware that jumps straight into the kernel (SeaBIOS is qemu's default). */
  readonly firmware?: string;
}

const QBOOT = '/usr/share/qemu/qboot.rom';

/**
 * KVM when /dev/kvm opens and is a real hypervisor. The paravirtual backend of some cloud
 * sandboxes (kvm_pvm) also offers /dev/kvm but cannot run an unmodified kernel, so there, as
 * where /dev/kvm is missing, qemu emulates the CPU with TCG (-accel tcg -cpu max).
 */
export function chooseAccel(env: NodeJS.ProcessEnv = process.env): Accel {
  const forced = env.NSLAB_VM_ACCEL;
  if (forced === 'tcg') return { kind: 'tcg', why: 'NSLAB_VM_ACCEL=tcg' };
  if (forced === 'kvm') return { kind: 'kvm', why: 'NSLAB_VM_ACCEL=kvm' };
  if (existsSync('/sys/module/kvm_pvm'))
    return { kind: 'tcg', why: 'KVM here is the paravirtual kvm_pvm backend, which cannot boot a stock kernel: emulating the CPU (TCG)' };
  if (!existsSync('/dev/kvm')) return { kind: 'tcg', why: 'no /dev/kvm: emulating the CPU (TCG, slower)' };
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
    return { kind: 'kvm', why: 'hardware virtualisation through /dev/kvm' };
  } catch (e) {
    return { kind: 'tcg', why: `/dev/kvm cannot be opened (${(e as NodeJS.ErrnoException).code}): emulating the CPU (TCG)` };
  }
}

/** True when the ELF file at `path` has no program interpreter (PT_INTERP), i.e. is static. */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // ELF64 only
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** The programs every VM run needs (the kernel download adds apt-get and dpkg-deb, see kernel.ts). */
export function platform(): { ok: true; platform: Platform } | { ok: false; missing: Missing[] } {
  const missing: Missing[] = [];
  if (process.arch !== 'x64') missing.push({ what: `an x86-64 host (this is ${process.arch})`, remedy: 'run nslab --vm on an x86-64 machine' });
  const qemu = which('qemu-system-x86_64');
  if (!qemu) missing.push({ what: 'qemu-system-x86_64', remedy: 'apt-get install qemu-system-x86' });
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? which('busybox');
  if (!busybox) missing.push({ what: 'a static busybox', remedy: 'apt-get install busybox-static' });
  else if (!isStaticElf(busybox)) missing.push({ what: `a static busybox (${busybox} is dynamically linked)`, remedy: 'apt-get install busybox-static' });
  for (const t of ['modprobe', 'depmod']) if (!which(t)) missing.push({ what: t, remedy: 'apt-get install kmod' });
  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    platform: { qemu: qemu!, busybox: busybox!, accel: chooseAccel(), ...(existsSync(QBOOT) ? { firmware: QBOOT } : {}) },
  };
}
