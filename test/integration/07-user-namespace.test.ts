import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';
import type { Report } from '../../runner/core/model.js';

const LAB = '07-user-namespace';

/** Workspaces the lab makes for uid 1000 (they must be gone after every run). */
// nslab writes nothing in world-writable places: its workspace lives under /run/nslab/<token>/ws
// (the host snapshot covers that); nothing named nslab* may appear in /tmp.
const workspaces = () => readdirSync('/tmp').filter((d) => d.startsWith('nslab'));

/** A fake /proc/sys with the given sysctls, e.g. { 'kernel.unprivileged_userns_clone': '0' }. */
function fakeSysctl(values: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nslab-test-sysctl-'));
  for (const [name, value] of Object.entries(values)) {
    const parts = name.split('.');
    mkdirSync(join(root, ...parts.slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...parts), `${value}\n`);
  }
  return root;
}

describe('lab 07-user-namespace (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('passes every check and leaves the host as it was', async function () {
    const wsBefore = workspaces();
    const { report } = await expectLabPasses(LAB);
    // Then every check passed with real observations, and nothing changed on the host
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'runs-unprivileged', 'full-range', 'overflow-ids', 'map-empty', 'other-uid-eperm', 'uid-map-written', 'second-write-eperm',
      'gid-map-eperm', 'gid-map-after-deny', 'root-inside', 'host-sees-1000', 'ids-across', 'own-hostname', 'root-file-closed',
      'unprivileged-creator', 'all-new-ns', 'hostname-inside-only', 'pid-one', 'fresh-proc',
    ]);
    expect(checks.find((c) => c.id === 'overflow-ids')!.observed).to.match(/uid 65534, gid 65534/);
    expect(checks.find((c) => c.id === 'gid-map-eperm')!.observed).to.contain('EPERM');
    expect(checks.find((c) => c.id === 'host-sees-1000')!.observed).to.contain('Uid: 1000 1000 1000 1000');
    expect(checks.find((c) => c.id === 'ids-across')!.observed).to.contain('new file: host 1000:1000, inside 0:0');
    expect(checks.find((c) => c.id === 'second-write-eperm')!.observed).to.contain('second: refused (EPERM)');
    expect(checks.find((c) => c.id === 'pid-one')!.observed).to.match(/probe: PID 1; NSpid: \d+ 1/);
    expect(workspaces()).to.deep.equal(wsBefore);
  });

  it('shows the explanation, the refused write and the fix in run mode', async function () {
    const r = await nslab(['run', LAB, '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('里面是 root，外面是 uid 1000');
    expect(r.stdout).to.match(/\$ echo '0 0 1' > \/proc\/\d+\/uid_map\s+\[父进程，uid 1000\]\n\s+bash: echo: write error: Operation not permitted/);
    expect(r.stdout).to.match(/\$ ps -e -o pid,comm\s+\[[^\]]*\]\n\s+PID COMMAND\n\s+1 nslab-probe\n/);
    expect(r.stdout).to.match(/\$ echo '0 1000 1' > \/proc\/\d+\/gid_map\s+\[[^\]]*uid 1000\]\n\s+bash: echo: write error: Operation not permitted/);
    expect(r.stdout).to.match(/\$ echo 'deny' > \/proc\/\d+\/setgroups/);
    expect(r.stdout).to.match(/\$ id\s+\[[^\]]*\]\n\s+uid=0\(root\) gid=0\(root\)/);
  });

  for (const [name, sysctls, mentions] of [
    ['Debian switch', { 'kernel.unprivileged_userns_clone': '0', 'user.max_user_namespaces': '1000' }, ['kernel.unprivileged_userns_clone = 0', 'sysctl -w kernel.unprivileged_userns_clone=1']],
    ['AppArmor restriction', { 'kernel.apparmor_restrict_unprivileged_userns': '1', 'user.max_user_namespaces': '1000' }, ['kernel.apparmor_restrict_unprivileged_userns = 1', 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0']],
    ['zero limit', { 'user.max_user_namespaces': '0' }, ['user.max_user_namespaces = 0', 'sysctl -w user.max_user_namespaces=']],
  ] as const) {
    it(`is skipped with the reason and the sysctl to change when unprivileged user namespaces are off (${name})`, async function () {
      // Given sysctls that switch unprivileged user namespaces off
      const root = fakeSysctl(sysctls);
      try {
        // When the lab is verified and doctor is asked
        const env = { NSLAB_SYSCTL_ROOT: root };
        const v = await nslab(['verify', LAB, '--reporter', 'json'], { env });
        const doctor = await nslab(['doctor'], { env });
        // Then the lab is skipped, never passed, with the exact reason and remedy
        const lab = (JSON.parse(v.stdout) as Report).labs[0]!;
        expect(lab.status).to.equal('skipped');
        expect(lab.steps).to.deep.equal([]);
        expect(lab.reason).to.contain(mentions[0]);
        expect(lab.remedy).to.contain(mentions[1]);
        expect(doctor.stdout).to.match(new RegExp(`✗ ${LAB}\\s+unprivileged user namespaces are switched off: .*${mentions[0].replace(/\./g, '\\.')}`));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it('is not skipped when the switches are open', async function () {
    const root = fakeSysctl({ 'kernel.unprivileged_userns_clone': '1', 'kernel.apparmor_restrict_unprivileged_userns': '0', 'user.max_user_namespaces': '15000' });
    try {
      const doctor = await nslab(['doctor'], { env: { NSLAB_SYSCTL_ROOT: root } });
      expect(doctor.stdout).to.match(new RegExp(`✓ ${LAB}\\s+ready`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('cleans up when interrupted with SIGINT while the child waits for its maps', async function () {
    const wsBefore = workspaces();
    await expectCleanInterrupt(LAB, /waits on its pipe/);
    expect(workspaces()).to.deep.equal(wsBefore);
  });

  it('opens a shell that is root inside and uid 1000 outside, and removes it on exit', async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', LAB], { input: 'id -u\nhostname\ncat /proc/self/uid_map\nexit\n' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^0$/m);
    expect(r.stdout).to.match(/^nslab-userns$/m);
    expect(r.stdout).to.match(/^\s*0\s+1000\s+1$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
