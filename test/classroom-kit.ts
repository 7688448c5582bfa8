// Shared by the classroom tests: the repository's root, a small process runner, and FakeSystem,
// the stubbed Debian system (dpkg-query, apt-get, … on PATH, every write under NSLAB_SYSROOT)
// that scripts/provision.sh runs against without installing anything.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionPackages } from './helpers.js';

export function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('classroom.test: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const ROOT = findRepoRoot();
export const PROVISION = join(ROOT, 'scripts', 'provision.sh');
export const PACKAGES = provisionPackages();

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Run {
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

export function which(cmd: string): string | undefined {
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

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

// ---------------------------------------------------------------------------
// A fake Debian system for provision.sh.
export class FakeSystem {
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
