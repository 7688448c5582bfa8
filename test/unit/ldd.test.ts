// 05-rootfs copies into its image exactly what ldd names: its reading of ldd's output, on
// outputs as glibc's ldd prints them (Debian x86-64, an ARM port, an old glibc, static programs).
import { expect } from 'chai';
import { filesToCopy, parseLdd } from '../../labs/05-rootfs/ldd.js';

const BASH = [
  '\tlinux-vdso.so.1 (0x00007f1dfe3f9000)',
  '\tlibtinfo.so.6 => /lib/x86_64-linux-gnu/libtinfo.so.6 (0x00007f1dfe274000)',
  '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1dfe092000)',
  '\t/lib64/ld-linux-x86-64.so.2 (0x00007f1dfe3fb000)',
  '',
].join('\n');

const TWO = [
  '/usr/bin/sh:',
  '\tlinux-vdso.so.1 (0x00007fbd60eb2000)',
  '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fbd60c9c000)',
  '\t/lib64/ld-linux-x86-64.so.2 (0x00007fbd60eb4000)',
  '/usr/bin/ps:',
  '\tlinux-vdso.so.1 (0x00007f42cc85c000)',
  '\tlibproc2.so.0 => /lib/x86_64-linux-gnu/libproc2.so.0 (0x00007f42cc7d3000)',
  '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f42cc5f1000)',
  '\t/lib64/ld-linux-x86-64.so.2 (0x00007f42cc85e000)',
  '\tlibcap.so.2 => /lib/x86_64-linux-gnu/libcap.so.2 (0x00007f42cc515000)',
  '',
].join('\n');

describe('parseLdd (05-rootfs: what goes into the image)', function () {
  it('reads one program: its libraries by soname and path, the loader, and no vDSO', function () {
    const [bash] = parseLdd(BASH, ['/usr/bin/bash']);
    expect(bash).to.deep.equal({
      file: '/usr/bin/bash',
      loader: '/lib64/ld-linux-x86-64.so.2',
      libs: [
        { name: 'libtinfo.so.6', path: '/lib/x86_64-linux-gnu/libtinfo.so.6' },
        { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' },
      ],
      isStatic: false,
    });
  });

  it('splits the answer for several programs at their "file:" headers, in the order asked', function () {
    const [ps, sh] = parseLdd(TWO, ['/usr/bin/ps', '/usr/bin/sh']);
    expect(sh!.file).to.equal('/usr/bin/sh');
    expect(sh!.libs.map((l) => l.name)).to.deep.equal(['libc.so.6']);
    expect(ps!.libs.map((l) => l.name)).to.deep.equal(['libproc2.so.0', 'libc.so.6', 'libcap.so.2']);
    expect(ps!.loader).to.equal('/lib64/ld-linux-x86-64.so.2');
  });

  it('lists the files to copy once each, loader included, sorted', function () {
    expect(filesToCopy(parseLdd(TWO, ['/usr/bin/sh', '/usr/bin/ps']))).to.deep.equal([
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libcap.so.2',
      '/lib/x86_64-linux-gnu/libproc2.so.0',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('keeps a library the loader did not find, with no path', function () {
    const [a] = parseLdd('\tlibgone.so.3 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n\t/lib/ld-linux.so.2 (0x2)\n', ['/opt/a']);
    expect(a!.libs).to.deep.equal([{ name: 'libgone.so.3' }, { name: 'libc.so.6', path: '/lib/libc.so.6' }]);
    expect(filesToCopy([a!])).to.deep.equal(['/lib/ld-linux.so.2', '/lib/libc.so.6']);
  });

  it("takes the ARM ports' loader line (an absolute name with an arrow) as the loader, not a library", function () {
    const arm = [
      '\tlinux-vdso.so.1 (0xbef8c000)',
      '\tlibc.so.6 => /lib/arm-linux-gnueabihf/libc.so.6 (0xb6e1b000)',
      '\t/lib/ld-linux-armhf.so.3 => /lib/arm-linux-gnueabihf/ld-linux-armhf.so.3 (0xb6f2b000)',
    ].join('\n');
    const [a] = parseLdd(arm, ['/bin/ls']);
    expect(a!.loader).to.equal('/lib/ld-linux-armhf.so.3');
    expect(a!.libs.map((l) => l.name)).to.deep.equal(['libc.so.6']);
  });

  it("skips old glibc's vDSO line, which has an arrow and no file", function () {
    const [a] = parseLdd('\tlinux-vdso.so.1 =>  (0x00007fff5a3fe000)\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n\t/lib64/ld-linux-x86-64.so.2 (0x2)\n', ['/bin/x']);
    expect(a!.libs.map((l) => l.name)).to.deep.equal(['libc.so.6']);
  });

  it('says a static program is static: no loader, nothing to copy', function () {
    const [a] = parseLdd('\tstatically linked\n', ['/sbin/ldconfig']);
    expect(a).to.deep.equal({ file: '/sbin/ldconfig', libs: [], isStatic: true });
    expect(filesToCopy([a!])).to.deep.equal([]);
  });

  it('gives an empty answer to a program ldd printed nothing for (its complaint went to stderr)', function () {
    const [passwd, cat] = parseLdd('/etc/passwd:\n/usr/bin/cat:\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n\t/lib64/ld-linux-x86-64.so.2 (0x2)\n', ['/etc/passwd', '/usr/bin/cat']);
    expect(passwd).to.deep.equal({ file: '/etc/passwd', libs: [], isStatic: false });
    expect(cat!.loader).to.equal('/lib64/ld-linux-x86-64.so.2');
    expect(parseLdd('', ['/a', '/b']).map((a) => a.libs.length)).to.deep.equal([0, 0]);
  });
});
