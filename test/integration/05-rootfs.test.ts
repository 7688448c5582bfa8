import { expect } from 'chai';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';
import { BINARIES, CONF_HOSTNAME } from '../../labs/05-rootfs/image.js';

/** Mount lines of the host that belong to a 05-rootfs run. */
const labMounts = (mountinfo: string) => mountinfo.split('\n').filter((l) => l.includes('nslab-05-rootfs'));

describe('lab 05-rootfs (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    const { report } = await expectLabPasses('05-rootfs');
    // Then every check passed, with real observations, and nothing changed on the host
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks.map((c) => ({ ...c, step: s.id })));
    expect(checks.map((c) => c.id)).to.include.members([
      'libs-resolved', 'root-is-image', 'mounts-listed', 'bin-only-copied', 'conf-bound', 'dev-private',
      'volume-on-host', 'tmp-private', 'host-table-untouched', 'old-root-gone', 'shell-is-pid1', 'chroot-hides',
      'chroot-escaped', 'pivot-holds', 'no-mounts-left',
    ]);
    // The escape is judged by the root the kernel gave each process, seen from the host
    const escaped = checks.find((c) => c.id === 'chroot-escaped')!;
    expect(escaped.observed).to.match(/root: the host's \/ .*readable/);
    expect(checks.find((c) => c.id === 'pivot-holds')!.observed).to.match(/root: rootfs\/ .*ENOENT/);
  });

  it('shows the explanation, ldd and the commands inside in run mode', async function () {
    const r = await nslab(['run', '05-rootfs', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('逃出 chroot');
    expect(r.stdout).to.match(/\$ ldd \S+bash\s+\[主机\]\n(.*\n)*.*libc\.so\.6 => /);
    // ldd for the other programs too: the image holds what it names, and nothing was worked out by hand
    expect(r.stdout).to.match(/\$ ldd \S+ .*\/ps\b.*\[主机\]$/m);
    expect(r.stdout).to.match(/^\s*\/\S+\/ps:$/m);
    expect(r.stdout).to.match(/\$ cat \/etc\/hostname\s+\[容器\]\n\s+container/);
    // What nslab itself wrote is shown as a read-back, not judged; the old root's fate is said in Chinese
    expect(r.stdout).to.contain('回读：/etc/hostname 的内容是 container');
    expect(r.stdout).to.match(/从宿主机 stat \/proc\/PID\/root：对照组是 rootfs\/.*从 chroot 逃逸后是 宿主机的 \//);
    expect(labMounts(hostSnapshot().mountinfo)).to.deep.equal([]);
  });

  it('cleans up when interrupted with SIGINT in the middle', async function () {
    await expectCleanInterrupt('05-rootfs', /The article's way: mount, bind conf/);
  });

  it('opens a shell inside the rootfs and leaves nothing mounted on exit', async function () {
    // Given the host as it is
    const before = hostSnapshot();
    // When a learner types a few commands into `nslab shell 05-rootfs`
    const r = await nslab(['shell', '05-rootfs'], { input: 'ls /bin; hostname; echo $$; cat /etc/hostname; exit\n' });
    // Then they ran inside the image: only the copied programs, PID 1, the conf hostname
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n').filter((l) => !l.startsWith('nslab:') && l !== '');
    const programs = lines.slice(0, BINARIES.length);
    expect(programs).to.deep.equal([...BINARIES].sort());
    expect(lines.slice(BINARIES.length)).to.deep.equal([CONF_HOSTNAME, '1', CONF_HOSTNAME]);
    // And nothing of it is mounted on the host afterwards
    expect(labMounts(hostSnapshot().mountinfo)).to.deep.equal([]);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
