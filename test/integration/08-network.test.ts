import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { rootOnly, addonOnly } from '../00.setup.js';
import { expectCleanInterrupt, expectLabPasses, hostSnapshot, nslab } from '../helpers.js';
import { lab } from '../../labs/08-network/index.js';

const LAB = '08-network';

/** The machine's own routes and rules: the lab must never change them. */
const machineNet = () => ({
  routes: execFileSync('ip', ['route', 'show', 'table', 'all'], { encoding: 'utf8' }),
  rules: execFileSync('ip', ['rule', 'show'], { encoding: 'utf8' }),
});

describe('lab 08-network (integration)', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('declares the tools it shells out to', function () {
    const ids = lab.requirements.map((r) => r.id);
    expect(ids).to.include.members(['root', 'tool:ip', 'tool:bridge', 'tool:ping']);
  });

  it('passes every check and leaves the host as it was', async function () {
    const netBefore = machineNet();
    const { report } = await expectLabPasses(LAB);
    // Then every check passed with real observations, and nothing changed on the host
    const checks = report.labs[0]!.steps.flatMap((s) => s.checks);
    expect(checks.map((c) => c.id)).to.include.members([
      'netns-created', 'bridge-route', 'bridge-not-on-machine', 'eth0-inside-only', 'default-route', 'peers-on-bridge',
      'resolv-inside', 'ping-bridge', 'ping-container', 'through-bridge', 'eth1-in-running-container', 'eth1-works',
      'machine-unchanged', 'no-way-out',
    ]);
    expect(checks.find((c) => c.id === 'ping-container')!.observed).to.match(/(\d+) packets transmitted, \1 received/);
    expect(checks.find((c) => c.id === 'default-route')!.observed).to.contain('203.0.113.1 via 192.168.10.1 dev eth0');
    // eth1 is on the bridge: container 2 reached it, and eth1 itself counted the packets
    expect(checks.find((c) => c.id === 'eth1-works')!.observed).to.match(/(\d+) packets transmitted, \1 received; 192\.168\.10\.21 is at [0-9a-f:]{17}; eth1 received \d+ packets/);
    expect(machineNet()).to.deep.equal(netBefore);
  });

  it("shows the article's brctl/ifconfig lines beside the ip commands it runs", async function () {
    const r = await nslab(['run', LAB, '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('给运行中的容器再加一块接在网桥上的网卡 eth1');
    expect(r.stdout).to.contain('brctl addbr lxcbr0; brctl stp lxcbr0 off; ifconfig lxcbr0 192.168.10.1/24 up');
    expect(r.stdout).to.match(/\$ ip -n nslab-[0-9a-f]{4}-host link add nslab-[0-9a-f]{4}-br0 type bridge stp_state 0/);
    expect(r.stdout).to.match(/\$ ip netns exec nslab-[0-9a-f]{4}-c1 cat \/etc\/resolv.conf\s+\[主机\]\n\s+nameserver 8\.8\.8\.8/);
    // Every ping targets a lab address only
    const targets = [...r.stdout.matchAll(/\$ .*ping [^\n]* (\d+\.\d+\.\d+\.\d+)\s/g)].map((m) => m[1]);
    expect(targets).to.not.be.empty;
    for (const t of targets) expect(t).to.match(/^192\.168\.10\./);
    // The article's three words, each explained in Chinese
    for (const word of ['混杂模式', 'NAT：', 'IPVLAN：']) expect(r.stdout).to.contain(word);
  });

  it('cleans up when interrupted with SIGINT in the middle', async function () {
    await expectCleanInterrupt(LAB, /ip -n nslab-[0-9a-f]{4}-c1 link set dev nslab-[0-9a-f]{4}-v1c name eth0/);
  });

  it("opens a shell inside container 1's network and removes everything on exit", async function () {
    const before = hostSnapshot();
    const r = await nslab(['shell', LAB], {
      input: 'hostname\nip -br addr show eth0\nping -c 1 -W 1 192.168.10.12\ncat /etc/resolv.conf\nexit\n',
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^nslab-c1$/m);
    expect(r.stdout).to.match(/^eth0\S*\s+UP\s+192\.168\.10\.11\/24/m);
    expect(r.stdout).to.contain('1 packets transmitted, 1 received');
    expect(r.stdout).to.match(/^nameserver 8\.8\.8\.8$/m);
    expect(hostSnapshot()).to.deep.equal(before);
  });
});
