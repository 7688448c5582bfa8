// Classroom tooling: the Vagrantfile. `vagrant validate` never downloads a box or starts a VM;
// the reboot trigger is exercised with a fake communicator (ruby, when vagrant is installed).
import { expect } from 'chai';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT, run, which, type Run } from './classroom-kit.js';

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
