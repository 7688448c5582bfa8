// Classroom tooling: scripts/provision.sh and the Vagrantfile.
//
// The provisioning logic is exercised hermetically: dpkg-query, apt-get,
// apt-cache, node, stat, id, systemctl and update-grub are replaced by stubs
// on PATH and every system path the script writes goes under NSLAB_SYSROOT,
// so these tests install nothing and touch no boot configuration.  The real
// machine is only looked at read-only (`--check`) and `vagrant validate`
// never downloads a box or starts a VM.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionPackages } from './helpers.js';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('classroom.test: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const ROOT = findRepoRoot();
const PROVISION = join(ROOT, 'scripts', 'provision.sh');
const PACKAGES = provisionPackages();

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Run {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeout ?? 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

// ---------------------------------------------------------------------------
// A fake Debian system for provision.sh.
class FakeSystem {
  readonly dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-'));
  readonly bin = join(this.dir, 'bin');
  readonly state = join(this.dir, 'state');
  readonly sysroot = join(this.dir, 'sysroot');
  readonly grubDefault = join(this.sysroot, 'etc', 'default', 'grub');
  readonly grubCfg = join(this.sysroot, 'boot', 'grub', 'grub.cfg');
  readonly rebootFlag = join(this.sysroot, 'var', 'lib', 'nslab', 'reboot-required');
  readonly wrapper = join(this.sysroot, 'usr', 'local', 'bin', 'nslab');

  constructor() {
    for (const d of [this.bin, this.state, dirname(this.grubDefault), dirname(this.grubCfg)]) mkdirSync(d, { recursive: true });
    const realStat = which('stat') ?? '/usr/bin/stat';
    const realId = which('id') ?? '/usr/bin/id';
    const S = this.state;
    this.stub('dpkg-query', `
pkg=""; for a in "$@"; do pkg="$a"; done
if grep -qxF "$pkg" "${S}/installed"; then printf 'install ok installed'; exit 0; fi
echo "dpkg-query: no packages found matching $pkg" >&2; exit 1`);
    this.stub('apt-get', `
echo "apt-get $*" >> "${S}/apt.log"
[ "$1" = update ] && exit 0
for a in "$@"; do
  case "$a" in
    -*|install) ;;
    nodejs) echo nodejs >> "${S}/installed"; cat "${S}/nodejs-candidate-node" > "${S}/node-version" ;;
    *) [ -e "${S}/uninstallable-$a" ] || echo "$a" >> "${S}/installed" ;;
  esac
done`);
    this.stub('apt-cache', `
echo "apt-cache $*" >> "${S}/apt.log"
echo "nodejs:"; echo "  Installed: (none)"; echo "  Candidate: $(cat "${S}/nodejs-candidate")"`);
    this.stub('npm', `
echo "npm $*" >> "${S}/apt.log"
case "$*" in *node@20*) echo v20.19.5 > "${S}/node-version" ;; esac`);
    this.stub('node', `
[ -s "${S}/node-version" ] || { echo "node: not found" >&2; exit 127; }
[ "$1" = --version ] && cat "${S}/node-version"`);
    this.stub('stat', `
if [ "$*" = "-fc %T /sys/fs/cgroup" ]; then cat "${S}/cgroupfs"; exit 0; fi
exec ${realStat} "$@"`);
    this.stub('id', `
if [ "$*" = "-u" ]; then echo 0; exit 0; fi
exec ${realId} "$@"`);
    this.stub('systemctl', `echo "systemd $(cat "${S}/systemd-version") (stub)"`);
    this.stub('update-grub', `
echo update-grub >> "${S}/update-grub.log"
GRUB_CMDLINE_LINUX=""; GRUB_CMDLINE_LINUX_DEFAULT=""
eval "$(grep -E '^GRUB_CMDLINE_LINUX(_DEFAULT)?=' "$NSLAB_SYSROOT/etc/default/grub")"
mkdir -p "$NSLAB_SYSROOT/boot/grub"
printf 'menuentry "Debian" {\\n\\tlinux /boot/vmlinuz root=/dev/vda1 ro %s %s\\n}\\n' "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT" > "$NSLAB_SYSROOT/boot/grub/grub.cfg"`);

    this.setInstalled(PACKAGES);
    this.set('node-version', 'v20.11.1');
    this.set('nodejs-candidate', '18.20.4+dfsg-1~deb12u3');
    this.set('nodejs-candidate-node', 'v18.20.4');
    this.set('cgroupfs', 'cgroup2fs');
    this.set('systemd-version', '252');
    writeFileSync(this.grubDefault, [
      'GRUB_DEFAULT=0',
      'GRUB_TIMEOUT=1',
      'GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`',
      'GRUB_CMDLINE_LINUX_DEFAULT="quiet"',
      'GRUB_CMDLINE_LINUX="net.ifnames=0 console=ttyS0"',
      '',
    ].join('\n'));
  }

  private stub(name: string, body: string): void {
    const p = join(this.bin, name);
    writeFileSync(p, '#!/bin/bash\n' + body.trimStart() + '\n');
    chmodSync(p, 0o755);
  }

  set(name: string, value: string): void {
    writeFileSync(join(this.state, name), value + '\n');
  }

  setInstalled(pkgs: string[]): void {
    writeFileSync(join(this.state, 'installed'), pkgs.map((p) => p + '\n').join(''));
  }

  read(name: string): string {
    const p = join(this.state, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  clearLogs(): void {
    for (const f of ['apt.log', 'update-grub.log']) rmSync(join(this.state, f), { force: true });
  }

  grubCmdline(): string {
    const m = /^GRUB_CMDLINE_LINUX="(.*)"$/m.exec(readFileSync(this.grubDefault, 'utf8'));
    expect(m, 'GRUB_CMDLINE_LINUX line in ' + this.grubDefault).to.not.equal(null);
    return m![1];
  }

  provision(args: string[], env: Record<string, string> = {}): Run {
    const base: NodeJS.ProcessEnv = { ...process.env };
    delete base.NSLAB_CGROUP;
    delete base.NSLAB_IN_VAGRANT;
    return run('bash', [PROVISION, ...args], {
      env: { ...base, PATH: this.bin + delimiter + (process.env.PATH ?? ''), NSLAB_SYSROOT: this.sysroot, ...env },
    });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
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
const TRIGGER_CHECK_RB = `
require 'json'
require 'tmpdir'
require 'vagrant'
root = ARGV.fetch(0)
Dir.mktmpdir do |tmp|
  env = Vagrant::Environment.new(cwd: root, home_path: File.join(tmp, 'home'),
                                 local_data_path: File.join(tmp, 'data'))
  config = env.vagrantfile.config
  trig = config.trigger.after_triggers.find { |t| t.name.to_s.include?('reboot') }
  raise 'the Vagrantfile has no reboot trigger' unless trig && trig.ruby_block
  commands = config.trigger.after_triggers.select { |t| t.name == trig.name }.map { |t| t.command.to_s }

  fake_comm = Class.new do
    def initialize(flag, log) = (@flag = flag; @log = log)
    def ready? = true
    def test(cmd, opts = {}) = (@log << "test #{cmd} #{opts.map { |k, v| "#{k}=#{v}" }.join(' ')}"; @flag)
    def sudo(cmd, opts = {}) = (@log << "sudo #{cmd}"; 0)
    def wait_for_ready(t) = (@log << "wait #{t}"; true)
    def execute(cmd, opts = {}) = (@log << "exec #{cmd}"; (yield :stdout, "cgroup2fs" if block_given?); 0)
  end
  fake_ui = Class.new do
    def initialize(log) = (@log = log)
    def info(m, *) = @log << "ui: #{m}"
  end
  fake_machine = Class.new do
    attr_reader :communicate, :ui
    def initialize(comm, ui, log) = (@communicate = comm; @ui = ui; @log = log)
    def state = Struct.new(:id).new(:running)
    def action(name, opts = {}) = (@log << "action #{name} #{opts.map { |k, v| "#{k}=#{v}" }.join(' ')}"; {})
  end
  logs = [false, true].map do |flag|
    log = []
    trig.ruby_block.call(env, fake_machine.new(fake_comm.new(flag, log), fake_ui.new(log), log))
    log
  end
  puts JSON.generate(
    commands: commands,
    provisioners: config.vm.provisioners.map { |p|
      { name: p.name.to_s, type: p.type.to_s, inline: p.config.inline, env: p.config.env,
        privileged: p.config.privileged } },
    synced: config.vm.synced_folders.values.map { |v| [v[:guestpath], v[:type]&.to_s, !!v[:disabled]] },
    withoutFlag: logs[0], withFlag: logs[1])
end
`;

// ---------------------------------------------------------------------------
describe('classroom: Vagrantfile', function () {
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  const haveVagrant = which('vagrant') !== undefined;

  beforeEach(function () {
    if (!haveVagrant) {
      this.currentTest!.title += ' (skipped: the vagrant command is not installed)';
      this.skip();
    }
  });

  before(function () {
    if (!haveVagrant) return;
    tmp = mkdtempSync(join(tmpdir(), 'nslab-vagrant-'));
    // Own VAGRANT_HOME (no boxes, no plugins) and data dir: nothing lands in
    // the checkout and nothing is downloaded.
    env = {
      ...process.env,
      VAGRANT_HOME: join(tmp, 'home'),
      VAGRANT_DOTFILE_PATH: join(tmp, 'dotfile'),
      VAGRANT_CHECKPOINT_DISABLE: '1',
      VAGRANT_DEFAULT_PROVIDER: 'virtualbox',
    };
    for (const k of ['NSLAB_BOX', 'NSLAB_CPUS', 'NSLAB_MEMORY', 'NSLAB_CGROUP', 'NSLAB_SYNC']) delete env[k];
    if (!which('VBoxManage')) {
      // No VirtualBox on this host: a VBoxManage that only answers --version
      // makes the provider "usable", so its config block is validated too
      // (`vagrant validate --ignore-provider` would skip it).
      const bin = join(tmp, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'VBoxManage'), '#!/bin/sh\n[ "$1" = --version ] && echo 7.0.14r161095\n');
      chmodSync(join(bin, 'VBoxManage'), 0o755);
      env.PATH = bin + delimiter + (env.PATH ?? '');
    }
  });

  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function validate(extra: Record<string, string> = {}): Run {
    return run('vagrant', ['validate'], { env: { ...env, ...extra }, timeout: 120_000 });
  }

  it('`vagrant validate` passes with the defaults and downloads no box', function () {
    const r = validate();
    expect(r.status, r.output).to.equal(0);
    expect(r.stdout).to.include('Vagrantfile validated successfully');
    const boxes = join(tmp, 'home', 'boxes');
    expect(existsSync(boxes) ? readdirSync(boxes) : []).to.deep.equal([]);
    expect(existsSync(join(ROOT, '.vagrant')), '.vagrant/ created in the checkout').to.equal(false);
  });

  it('`vagrant validate` passes with every NSLAB_* knob set', function () {
    const r = validate({ NSLAB_BOX: 'example/box', NSLAB_CPUS: '4', NSLAB_MEMORY: '4096', NSLAB_CGROUP: 'v1', NSLAB_SYNC: 'rsync' });
    expect(r.status, r.output).to.equal(0);
  });

  it('provisioner and reboot trigger: provision.sh with NSLAB_IN_VAGRANT=1, one reload only when flagged', function () {
    // Loads the Vagrantfile through Vagrant's Ruby API and runs the trigger's
    // block against a fake machine (no VM can be started here).
    const probe = run('ruby', ['-e', "require 'vagrant'"], { env });
    if (probe.status !== 0) {
      this.test!.title += " (skipped: this vagrant's Ruby library cannot be loaded by `ruby`)";
      this.skip();
    }
    const script = join(tmp, 'trigger-check.rb');
    writeFileSync(script, TRIGGER_CHECK_RB);
    const r = run('ruby', [script, ROOT], { env: { ...env, NSLAB_CGROUP: 'v1' }, timeout: 120_000 });
    expect(r.status, r.output).to.equal(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      commands: string[];
      provisioners: { name: string; type: string; inline: string; env: Record<string, string>; privileged: boolean }[];
      synced: [string, string | null, boolean][];
      withoutFlag: string[];
      withFlag: string[];
    };
    expect(out.commands).to.have.members(['up', 'provision', 'reload']);
    expect(out.provisioners).to.deep.equal([{
      name: 'nslab', type: 'shell', privileged: true,
      inline: 'exec bash /home/vagrant/nslab/scripts/provision.sh',
      env: { NSLAB_IN_VAGRANT: '1', NSLAB_CGROUP: 'v1' },
    }]);
    expect(out.synced).to.deep.include(['/home/vagrant/nslab', null, false]);
    expect(out.synced).to.deep.include(['/vagrant', null, true]);
    expect(out.withoutFlag).to.deep.equal(['test test -e /var/lib/nslab/reboot-required sudo=true']);
    expect(out.withFlag.filter((l) => !l.startsWith('ui:') && !l.startsWith('test ') && !l.startsWith('exec '))).to.deep.equal([
      'sudo rm -f /var/lib/nslab/reboot-required',
      'action reload provision_enabled=false',
      'wait 300',
    ]);
  });

  it('`vagrant validate` rejects NSLAB_CGROUP=v3 and NSLAB_CPUS=two with a clear message', function () {
    const bad = validate({ NSLAB_CGROUP: 'v3' });
    expect(bad.status).to.not.equal(0);
    expect(bad.output).to.include('NSLAB_CGROUP must be v1 or v2');
    const cpus = validate({ NSLAB_CPUS: 'two' });
    expect(cpus.status).to.not.equal(0);
    expect(cpus.output).to.include('NSLAB_CPUS must be a whole number');
  });
});
