// Classroom tooling: scripts/provision.sh (the Vagrantfile is in classroom-vagrant.test.ts).
//
// The provisioning logic is exercised hermetically: dpkg-query, apt-get,
// apt-cache, node, stat, id, systemctl and update-grub are replaced by stubs
// on PATH and every system path the script writes goes under NSLAB_SYSROOT,
// so these tests install nothing and touch no boot configuration.  The real
// machine is only looked at read-only (`--check`) and `vagrant validate`
// never downloads a box or starts a VM.
import { expect } from 'chai';
import {
  existsSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { FakeSystem, PACKAGES, PROVISION, ROOT, isRoot, run } from './classroom-kit.js';

describe('classroom: scripts/provision.sh', function () {
  it('is valid bash (bash -n)', function () {
    const r = run('bash', ['-n', PROVISION]);
    expect(r.status, r.output).to.equal(0);
  });

  it('is executable, so `sudo scripts/provision.sh` works', function () {
    expect(statSync(PROVISION).mode & 0o111, 'exec bits of scripts/provision.sh').to.not.equal(0);
  });

  it('rejects an unknown option with exit 2 and the usage', function () {
    const r = run('bash', [PROVISION, '--bogus']);
    expect(r.status, r.output).to.equal(2);
    expect(r.stderr).to.match(/unknown option: --bogus/).and.to.match(/usage:/);
  });

  it('--check on this machine: exit 0 "all present" as root in CI, otherwise a clear result', function () {
    const r = run('bash', [PROVISION, '--check']);
    if (process.env.CI && isRoot()) {
      // .ci/run provisions before testing, so nothing may be missing here.
      expect(r.status, r.output).to.equal(0);
      expect(r.stdout).to.match(/^all present/m);
    } else {
      expect(r.status, r.output).to.be.oneOf([0, 1]);
      if (r.status === 0) expect(r.stdout).to.match(/^all present/m);
      else expect(r.stdout).to.match(/^missing \(\d+\):/m);
    }
  });

  describe('on a stubbed Debian system', function () {
    let sys: FakeSystem;
    beforeEach(function () {
      sys = new FakeSystem();
    });
    afterEach(function () {
      sys.cleanup();
    });

    it('--check prints "all present", exits 0 and calls no apt', function () {
      const r = sys.provision(['--check']);
      expect(r.status, r.output).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`^all present: ${PACKAGES.length} packages, node v20\\.11\\.1$`, "m"));
      expect(sys.read('apt.log')).to.equal('');
    });

    it('--check lists missing packages and a too-old node, exits 1, installs nothing', function () {
      sys.setInstalled(PACKAGES.filter((p) => p !== 'tmux' && p !== 'busybox-static'));
      sys.set('node-version', 'v18.19.0');
      const r = sys.provision(['--check']);
      expect(r.status, r.output).to.equal(1);
      expect(r.stdout).to.match(/^missing \(3\):/m);
      expect(r.stdout).to.match(/^ {2}tmux$/m).and.to.match(/^ {2}busybox-static$/m);
      expect(r.stdout).to.include('nodejs>=20 (found: v18.19.0)');
      expect(sys.read('apt.log')).to.equal('');
      expect(sys.read('installed')).to.not.include('tmux');
    });

    it('installs only the missing packages, then a second run installs nothing', function () {
      sys.setInstalled(PACKAGES.filter((p) => p !== 'kmod' && p !== 'qemu-system-x86'));
      const first = sys.provision(['--no-npm']);
      expect(first.status, first.output).to.equal(0);
      expect(sys.read('apt.log').trim().split('\n')).to.deep.equal([
        'apt-get update -q',
        'apt-get install -y --no-install-recommends kmod qemu-system-x86',
      ]);
      expect(first.stdout).to.include('installed: kmod qemu-system-x86');

      sys.clearLogs();
      const second = sys.provision(['--no-npm']);
      expect(second.status, second.output).to.equal(0);
      expect(sys.read('apt.log')).to.equal('');
      expect(second.stdout).to.include(`all ${PACKAGES.length} packages present`).and.include("nothing to install");
    });

    it('fails when apt-get could not install a package', function () {
      sys.setInstalled(PACKAGES.filter((p) => p !== 'tmux'));
      sys.set('uninstallable-tmux', '');
      const r = sys.provision(['--no-npm']);
      expect(r.status, r.output).to.equal(1);
      expect(r.stderr).to.include('package tmux is still not installed');
    });

    it('takes Node 20 from the npm registry when Debian offers only Node 18', function () {
      sys.set('node-version', '');
      const r = sys.provision(['--no-npm']);
      expect(r.status, r.output).to.equal(0);
      expect(sys.read('apt.log')).to.include('apt-get install -y --no-install-recommends nodejs npm');
      expect(sys.read('apt.log')).to.include('npm install -g --no-audit --no-fund node@20');
      expect(r.stdout).to.include('node v20.19.5');
    });

    it('refuses with one sentence naming NodeSource when apt has no nodejs at all', function () {
      sys.set('node-version', '');
      sys.set('nodejs-candidate', '(none)');
      const r = sys.provision(['--no-npm']);
      expect(r.status, r.output).to.equal(1);
      expect(r.stderr).to.match(/Node\.js >= 20/).and.to.match(/NodeSource/);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(sys.read('apt.log')).to.not.match(/install .*nodejs/);
    });

    it('installs Debian\'s nodejs + npm when apt offers >= 20', function () {
      sys.set('node-version', 'v18.19.0');
      sys.set('nodejs-candidate', '20.19.2+dfsg-1');
      sys.set('nodejs-candidate-node', 'v20.19.2');
      const r = sys.provision(['--no-npm']);
      expect(r.status, r.output).to.equal(0);
      expect(sys.read('apt.log')).to.include('apt-get install -y --no-install-recommends nodejs npm');
      expect(r.stdout).to.include('node v20.19.2');
    });

    it('never touches grub outside the Vagrant VM', function () {
      const before = readFileSync(sys.grubDefault, 'utf8');
      const r = sys.provision(['--no-npm'], { NSLAB_CGROUP: 'v1' });
      expect(r.status, r.output).to.equal(0);
      expect(r.stdout).to.include('not changing the boot configuration outside the Vagrant VM');
      expect(readFileSync(sys.grubDefault, 'utf8')).to.equal(before);
      expect(sys.read('update-grub.log')).to.equal('');
      expect(existsSync(sys.rebootFlag)).to.equal(false);
      expect(existsSync(sys.wrapper)).to.equal(false);
    });

    it('in the VM: installs the nslab wrapper once', function () {
      const r1 = sys.provision(['--no-npm'], { NSLAB_IN_VAGRANT: '1' });
      expect(r1.status, r1.output).to.equal(0);
      expect(readFileSync(sys.wrapper, 'utf8')).to.include(`exec node ${join(ROOT, 'bin', 'nslab.js')} "$@"`);
      expect(statSync(sys.wrapper).mode & 0o777).to.equal(0o755);
      const r2 = sys.provision(['--no-npm'], { NSLAB_IN_VAGRANT: '1' });
      expect(r2.stdout).to.include('wrapper present').and.include('nothing to install');
    });

    it('in the VM: NSLAB_CGROUP=v1 edits GRUB_CMDLINE_LINUX, runs update-grub once and asks for one reboot', function () {
      const env = { NSLAB_IN_VAGRANT: '1', NSLAB_CGROUP: 'v1' };
      const r = sys.provision(['--no-npm'], env);
      expect(r.status, r.output).to.equal(0);
      expect(sys.grubCmdline()).to.equal('net.ifnames=0 console=ttyS0 systemd.unified_cgroup_hierarchy=0');
      expect(readFileSync(sys.grubDefault, 'utf8')).to.include('GRUB_CMDLINE_LINUX_DEFAULT="quiet"');
      expect(readFileSync(sys.grubCfg, 'utf8')).to.include('systemd.unified_cgroup_hierarchy=0');
      expect(existsSync(sys.grubDefault + '.nslab-bak')).to.equal(true);
      expect(sys.read('update-grub.log')).to.equal('update-grub\n');
      expect(existsSync(sys.rebootFlag)).to.equal(true);
      expect(r.stdout).to.include('REBOOT REQUIRED');

      // Provisioned again before the reboot: nothing is edited twice.
      sys.clearLogs();
      const again = sys.provision(['--no-npm'], env);
      expect(again.status, again.output).to.equal(0);
      expect(again.stdout).to.include('already asks for cgroup v1');
      expect(sys.read('update-grub.log')).to.equal('');
      expect(sys.grubCmdline()).to.equal('net.ifnames=0 console=ttyS0 systemd.unified_cgroup_hierarchy=0');

      // After the reboot the mode matches: the flag goes away.
      sys.set('cgroupfs', 'tmpfs');
      const after = sys.provision(['--no-npm'], env);
      expect(after.status, after.output).to.equal(0);
      expect(existsSync(sys.rebootFlag)).to.equal(false);
      expect(after.stdout).to.include('booted in cgroup v1, wanted v1').and.include('nothing to install');
      expect(sys.read('update-grub.log')).to.equal('');
    });

    it('in the VM: NSLAB_CGROUP=v2 removes the v1 switch again', function () {
      sys.set('cgroupfs', 'tmpfs');
      writeFileSync(sys.grubDefault, readFileSync(sys.grubDefault, 'utf8').replace(
        'GRUB_CMDLINE_LINUX="net.ifnames=0 console=ttyS0"',
        'GRUB_CMDLINE_LINUX="net.ifnames=0 systemd.unified_cgroup_hierarchy=0 console=ttyS0 systemd.legacy_systemd_cgroup_controller=1"'));
      const r = sys.provision(['--no-npm'], { NSLAB_IN_VAGRANT: '1', NSLAB_CGROUP: 'v2' });
      expect(r.status, r.output).to.equal(0);
      expect(sys.grubCmdline()).to.equal('net.ifnames=0 console=ttyS0');
      expect(readFileSync(sys.grubCfg, 'utf8')).to.not.include('systemd.unified_cgroup_hierarchy');
      expect(existsSync(sys.rebootFlag)).to.equal(true);
    });

    it('in the VM: on systemd >= 256 v1 also needs SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1', function () {
      sys.set('systemd-version', '257');
      const r = sys.provision(['--no-npm'], { NSLAB_IN_VAGRANT: '1', NSLAB_CGROUP: 'v1' });
      expect(r.status, r.output).to.equal(0);
      expect(sys.grubCmdline()).to.equal(
        'net.ifnames=0 console=ttyS0 systemd.unified_cgroup_hierarchy=0 SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1');
    });

    it('rejects NSLAB_CGROUP values other than v1/v2', function () {
      const r = sys.provision(['--no-npm'], { NSLAB_IN_VAGRANT: '1', NSLAB_CGROUP: 'v3' });
      expect(r.status, r.output).to.equal(1);
      expect(r.stderr).to.include("NSLAB_CGROUP must be v1 or v2, not 'v3'");
      expect(sys.read('update-grub.log')).to.equal('');
    });
  });
});

// Run by `ruby FILE REPO_ROOT`: prints one JSON line describing the loaded
// Vagrantfile and what the reboot trigger does with and without the flag.
