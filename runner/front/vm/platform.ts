// What the VM path needs on this host, and how qemu should accelerate the guest here.
import { closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import { which } from '../../kit/container.js';
import { t, type Text } from '../../core/model.js';

export interface Accel {
  readonly kind: 'kvm' | 'tcg';
  /** One sentence: why this accelerator. */
  readonly why: Text;
}

export interface Missing {
  readonly what: Text;
  readonly remedy: Text;
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
  if (forced === 'tcg') return { kind: 'tcg', why: t('NSLAB_VM_ACCEL=tcg', '由 NSLAB_VM_ACCEL=tcg 指定') };
  if (forced === 'kvm') return { kind: 'kvm', why: t('NSLAB_VM_ACCEL=kvm', '由 NSLAB_VM_ACCEL=kvm 指定') };
  if (existsSync('/sys/module/kvm_pvm'))
    return {
      kind: 'tcg',
      why: t(
        'KVM here is the paravirtual kvm_pvm backend, which cannot boot a stock kernel: emulating the CPU (TCG)',
        '这里的 KVM 是半虚拟化的 kvm_pvm 后端，无法启动普通内核：改用 CPU 模拟（TCG）',
      ),
    };
  if (!existsSync('/dev/kvm')) return { kind: 'tcg', why: t('no /dev/kvm: emulating the CPU (TCG, slower)', '没有 /dev/kvm：改用 CPU 模拟（TCG，较慢）') };
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
    return { kind: 'kvm', why: t('hardware virtualisation through /dev/kvm', '通过 /dev/kvm 使用硬件虚拟化') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { kind: 'tcg', why: t(`/dev/kvm cannot be opened (${code}): emulating the CPU (TCG)`, `无法打开 /dev/kvm（${code}）：改用 CPU 模拟（TCG）`) };
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
  if (process.arch !== 'x64')
    missing.push({
      what: t(`an x86-64 host (this is ${process.arch})`, `x86-64 主机（这台是 ${process.arch}）`),
      remedy: t('run nslab --vm on an x86-64 machine', '在 x86-64 机器上运行 nslab --vm'),
    });
  const qemu = which('qemu-system-x86_64');
  if (!qemu) missing.push({ what: t('qemu-system-x86_64', 'qemu-system-x86_64 程序'), remedy: t('apt-get install qemu-system-x86', '安装它：apt-get install qemu-system-x86') });
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? which('busybox');
  const getBusybox = t('apt-get install busybox-static', '安装它：apt-get install busybox-static');
  if (!busybox) missing.push({ what: t('a static busybox', '静态链接的 busybox'), remedy: getBusybox });
  else if (!isStaticElf(busybox))
    missing.push({ what: t(`a static busybox (${busybox} is dynamically linked)`, `静态链接的 busybox（${busybox} 是动态链接的）`), remedy: getBusybox });
  for (const tool of ['modprobe', 'depmod'])
    if (!which(tool)) missing.push({ what: t(tool, `${tool} 命令`), remedy: t('apt-get install kmod', '安装它：apt-get install kmod') });
  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    platform: { qemu: qemu!, busybox: busybox!, accel: chooseAccel(), ...(existsSync(QBOOT) ? { firmware: QBOOT } : {}) },
  };
}
