// The VM runner's pure parts: the initramfs archive, the kernel extraction, the accelerator
// choice, and lab 12's parsing of dmsetup's answers.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpio, initramfs } from '../../runner/front/vm/initramfs.js';
import { guestEnv } from '../../runner/front/vm/index.js';
import { extractVmlinux } from '../../runner/front/vm/vmlinux.js';
import { chooseAccel, isStaticElf } from '../../runner/front/vm/platform.js';
import { modulesFor } from '../../runner/front/vm/kernel.js';
import { parsePoolStatus, thinMappedSectors } from '../../labs/12-devicemapper/dm.js';

/** Read a newc archive back: [name, mode, data] per entry. */
function unpack(buf: Buffer): [string, number, string][] {
  const out: [string, number, string][] = [];
  let at = 0;
  const align = (n: number) => (n + 3) & ~3;
  for (;;) {
    const header = buf.subarray(at, at + 110).toString('latin1');
    expect(header.slice(0, 6)).to.equal('070701');
    const field = (i: number) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16);
    const [mode, size, namesize] = [field(1), field(6), field(11)];
    const name = buf.subarray(at + 110, at + 110 + namesize - 1).toString();
    at = align(at + 110 + namesize);
    const data = buf.subarray(at, at + size).toString();
    at = align(at + size);
    if (name === 'TRAILER!!!') return out;
    out.push([name, mode, data]);
  }
}

describe('VM runner', function () {
  it('writes a newc cpio archive the kernel can unpack (names, modes, data, 4-byte alignment)', function () {
    const archive = cpio([
      { path: 'bin', mode: 0o040755 },
      { path: 'init', mode: 0o100755, data: Buffer.from('#!/bin/sh\n') },
      { path: 'dev/console', mode: 0o020600, rdev: [5, 1] },
    ]);
    expect(archive.length % 4).to.equal(0);
    expect(unpack(archive)).to.deep.equal([
      ['bin', 0o040755, ''],
      ['init', 0o100755, '#!/bin/sh\n'],
      ['dev/console', 0o020600, ''],
    ]);
  });

  it('finds the compressed ELF kernel after the setup code, as extract-vmlinux does', function () {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(200, 7)]);
    const setup = Buffer.alloc(4096, 0x90);
    const gz = extractVmlinux(Buffer.concat([setup, gzipSync(elf), Buffer.alloc(64, 1)]));
    expect(gz.format).to.equal('gzip');
    expect(gz.elf.equals(elf)).to.equal(true);
    const xz = spawnSync('xz', ['-c'], { input: elf });
    if (xz.status === 0) {
      const r = extractVmlinux(Buffer.concat([setup, xz.stdout, Buffer.alloc(64, 1)]));
      expect(r.format).to.equal('xz');
      expect(r.elf.equals(elf)).to.equal(true);
    }
    expect(() => extractVmlinux(setup)).to.throw(/no compressed ELF kernel/);
  });

  it('uses TCG where KVM is absent or the paravirtual kvm_pvm, and obeys NSLAB_VM_ACCEL', function () {
    expect(chooseAccel({ NSLAB_VM_ACCEL: 'tcg' }).kind).to.equal('tcg');
    expect(chooseAccel({ NSLAB_VM_ACCEL: 'kvm' }).kind).to.equal('kvm');
    const here = chooseAccel({});
    expect(here.why.en).to.be.a('string').and.not.equal('');
    expect(here.why.zh).to.match(/[\u4e00-\u9fff]/);
    if (existsSync('/sys/module/kvm_pvm')) {
      expect(here.kind).to.equal('tcg');
      expect(here.why.en).to.contain('kvm_pvm');
      expect(here.why.zh).to.contain('kvm_pvm');
    }
  });

  it('gives the guest a writable /etc (a tmpfs upper layer) so that ip netns can make /etc/netns', function () {
    const files = new Map(unpack(initramfs(process.execPath, [])).map(([name, , data]) => [name, data]));
    const init = files.get('init')!;
    expect(init).to.match(/mount -t overlay -o "lowerdir=\$R\/etc,upperdir=\$E\/upper,workdir=\$E\/work" overlay \$R\/etc/);
    // The upper layer lives under /run, a tmpfs mounted before it: it dies with the VM
    expect(init.indexOf('tmpfs $R/run')).to.be.lessThan(init.indexOf('mount -t overlay'));
    expect(init).to.match(/E=\$R\/run\//);
  });

  it('tells the guest whether its CPU is emulated (labs sized for hardware scale down under TCG)', function () {
    expect(guestEnv('en', false, 'tcg')).to.include({ NSLAB_IN_VM: '1', NSLAB_VM_ACCEL_KIND: 'tcg' });
    expect(guestEnv('zh', false, 'kvm')).to.include({ NSLAB_VM_ACCEL_KIND: 'kvm' });
  });

  it('tells a static busybox from a dynamic program', function () {
    expect(isStaticElf(process.execPath)).to.equal(false);
    if (existsSync('/bin/busybox') && spawnSync('ldd', ['/bin/busybox']).stdout.toString().includes('not a dynamic')) {
      expect(isStaticElf('/bin/busybox')).to.equal(true);
    }
  });

  it('loads the lab modules a run needs on top of virtio and 9p', function () {
    expect(modulesFor(['01-uts'])).to.deep.equal(['virtio_pci', '9pnet_virtio', '9p']);
    expect(modulesFor(['12-devicemapper'])).to.include.members(['dm_thin_pool', 'loop', 'ext4']);
  });

  it('reads the pool and volume counters of dmsetup status', function () {
    const pool = parsePoolStatus('0 20971522 thin-pool 3 2594/25600 809/163840 - rw discard_passdown queue_if_no_space - 1024\n');
    expect(pool).to.include({ transaction: 3, metaUsed: 2594, metaTotal: 25600, dataUsed: 809, dataTotal: 163840 });
    expect(thinMappedSectors('0 209715200 thin 2048 104859647\n')).to.equal(2048);
    expect(thinMappedSectors('0 2097152 thin 0 -')).to.equal(0);
    expect(() => parsePoolStatus('0 2097152 thin 0 -')).to.throw(/not a thin-pool/);
  });
});
