// Made-up observations for 08-network's checks: one per step that passes, and for each check
// the real ways it could fail (a namespace that is the machine's, a bridge without the kernel's
// subnet route, a veth end that never moved, a port not forwarding, a lost ping, packets that
// never reached the far side, a route or interface leaked onto the machine).
import { examples } from '../../runner/kit/index.js';
import type { HostNet, Link, Names, Ping, Route } from './net.js';
import { bridge, netns, resolvConf, veth, type Bridge, type Netns, type Resolv, type Veth } from './setup.js';
import { eth1, machine, ping, type Eth1, type Machine, type Pings } from './traffic.js';

const n: Names = {
  host: 'nslab-ab12-host',
  c1: 'nslab-ab12-c1',
  c2: 'nslab-ab12-c2',
  bridge: 'nslab-ab12-br0',
  v1: 'nslab-ab12-v1',
  v2: 'nslab-ab12-v2',
  v3: 'nslab-ab12-v3',
};
const inet = (local: string, prefixlen = 24) => ({ family: 'inet', local, prefixlen });
const inet6 = (local: string) => ({ family: 'inet6', local, prefixlen: 64 });
const pinged = (sent: number, received: number): Ping => ({ sent, received, text: `${sent} packets transmitted, ${received} received` });

const MAC = { c1: '3a:1f:6c:20:aa:01', c2: '3a:1f:6c:20:aa:02', br: '0e:55:4d:19:bb:00', v1h: '0e:55:4d:19:bb:01', v2h: '0e:55:4d:19:bb:02', machine: '52:54:00:12:34:56' };

const machineNet: HostNet = {
  links: ['eth0 52:54:00:12:34:56', 'lo 00:00:00:00:00:00'],
  routes: 'default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100\n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15\nlocal 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1\n::1 dev lo proto kernel metric 256 pref medium',
  rules: '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default',
  resolv: 'nameserver 10.0.2.3\n',
};

const made: Netns = {
  names: n,
  before: machineNet,
  hostNetInode: 4026531840,
  listed: `${n.c2}\n${n.c1}\n${n.host}\n`,
  inodes: { [n.host]: 4026532301, [n.c1]: 4026532372, [n.c2]: 4026532443 },
};

const brLink: Link = {
  ifname: n.bridge,
  address: MAC.br,
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  addr_info: [inet('192.168.10.1'), inet6('fe80::c55:4dff:fe19:bb00')],
  linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0, forward_delay: 1500 } },
};
const brRoutes: Route[] = [{ dst: '192.168.10.0/24', dev: n.bridge, protocol: 'kernel', prefsrc: '192.168.10.1' }];
const br: Bridge = { bridge: n.bridge, link: brLink, routes: brRoutes, inMachine: false };

const eth0 = (mac: string, ip: string, other: string) => ({
  link: { ifname: 'eth0', address: mac, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], addr_info: [inet(ip), inet6('fe80::381f:6cff:fe20:aa01')] } as Link,
  toNeighbour: { dst: other, dev: 'eth0', prefsrc: ip } as Route,
  toOffNet: { dst: '203.0.113.1', gateway: '192.168.10.1', dev: 'eth0', prefsrc: ip } as Route,
});
/** A bridge port as `ip -d -j link` shows it: the kernel's port state and promiscuity. */
const port = (ifname: string, address: string, master?: string, state = 'forwarding', promiscuity = 1): Link => ({
  ifname,
  address,
  flags: ['UP', 'LOWER_UP'],
  promiscuity,
  ...(master !== undefined ? { master, linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state } } } : {}),
});
const wired: Veth = {
  names: n,
  c1: eth0(MAC.c1, '192.168.10.11', '192.168.10.12'),
  c2: eth0(MAC.c2, '192.168.10.12', '192.168.10.11'),
  machineMacs: ['00:00:00:00:00:00', MAC.machine],
  labHostMacs: ['00:00:00:00:00:00', MAC.br, MAC.v1h, MAC.v2h],
  ports: [port(`${n.v1}h`, MAC.v1h, n.bridge), port(`${n.v2}h`, MAC.v2h, n.bridge)],
};

const resolv: Resolv = { inside: 'nameserver 8.8.8.8', hostBefore: machineNet.resolv, hostAfter: machineNet.resolv };

const fdb = [
  { mac: MAC.c1, ifname: `${n.v1}h` },
  { mac: MAC.c2, ifname: `${n.v2}h` },
  { mac: MAC.v1h, ifname: `${n.v1}h` },
  { mac: '33:33:00:00:00:01', ifname: n.bridge },
];
const pings: Pings = { names: n, bridge: pinged(3, 3), c2: pinged(3, 3), c2Rx: 4, fdb, macs: { c1: MAC.c1, c2: MAC.c2 } };

const ETH1_MAC = '4a:a1:02:33:44:55';
const second: Eth1 = {
  containerPid: 5123,
  containerNet: 4026532372,
  c1Net: 4026532372,
  movedMac: ETH1_MAC,
  stillInHost: false,
  seen: `eth1@if12        UP             ${ETH1_MAC} <BROADCAST,MULTICAST,UP,LOWER_UP>`,
  ping: pinged(3, 3),
  neighMac: ETH1_MAC,
  rx: 4,
};

const labRoutes: Record<string, Route[]> = {
  [n.host]: [{ dst: '192.168.10.0/24', dev: n.bridge }],
  [n.c1]: [
    { dst: 'default', gateway: '192.168.10.1', dev: 'eth0' },
    { dst: '192.168.10.0/24', dev: 'eth0' },
    { dst: '192.168.10.0/24', dev: 'eth1' },
  ],
  [n.c2]: [
    { dst: 'default', gateway: '192.168.10.1', dev: 'eth0' },
    { dst: '192.168.10.0/24', dev: 'eth0' },
  ],
};
const end: Machine = {
  before: machineNet,
  host: machineNet,
  labHost: n.host,
  labLinks: { [n.host]: ['lo', n.bridge, `${n.v1}h`, `${n.v2}h`, `${n.v3}h`], [n.c1]: ['lo', 'eth0', 'eth1'], [n.c2]: ['lo', 'eth0'] },
  labRoutes,
};

export default [
  examples(netns, {
    pass: made,
    fail: {
      'netns-created': [
        { ...made, listed: `${n.c1}\n${n.host}\n` }, // c2 is not listed
        { ...made, inodes: { ...made.inodes, [n.host]: 4026531840 } }, // the lab's "host" is the machine's namespace
        { ...made, inodes: { ...made.inodes, [n.c2]: 4026532372 } }, // c1 and c2 are one namespace
        { ...made, inodes: { [n.host]: 4026532301, [n.c1]: 4026532372 } },
        { ...made, listed: `${n.c1}x\n${n.c2}x\n${n.host}x\n` }, // only longer names that merely contain ours
      ],
    },
  }),
  examples(bridge, {
    pass: br,
    fail: {
      'bridge-route': [
        { ...br, link: { ...brLink, flags: ['BROADCAST', 'MULTICAST'] } }, // left down
        { ...br, routes: [] }, // the address never took: no subnet route
        { ...br, routes: [{ ...brRoutes[0]!, protocol: 'static' }] }, // a route someone added by hand, not the kernel's
        { ...br, routes: [{ ...brRoutes[0]!, dev: 'eth0' }] }, // the subnet is reached through another device
        { ...br, routes: [{ ...brRoutes[0]!, prefsrc: '192.168.10.2' }] }, // another address
        { ...br, routes: [{ dst: '192.168.10.0/16', dev: n.bridge, protocol: 'kernel', prefsrc: '192.168.10.1' }] }, // the wrong prefix
      ],
      'bridge-not-on-machine': { ...br, inMachine: true },
    },
  }),
  examples(veth, {
    pass: wired,
    fail: {
      'eth0-inside-only': [
        { ...wired, machineMacs: [...wired.machineMacs, MAC.c1] }, // the end never left the machine
        { ...wired, labHostMacs: [...wired.labHostMacs, MAC.c2] }, // still in the lab's host namespace too
        { ...wired, c1: { ...wired.c1, link: { ifname: 'eth0', addr_info: [inet('192.168.10.11')] } } }, // no MAC to follow
        { ...wired, c1: { ...wired.c1, link: { ...wired.c1.link, ifname: `${n.v1}c` } } }, // never renamed
      ],
      'default-route': [
        { ...wired, c1: { ...wired.c1, toOffNet: { dst: '203.0.113.1', gateway: '10.0.2.2', dev: 'eth0' } } }, // another gateway
        { ...wired, c1: (({ toOffNet: _, ...rest }) => rest)(wired.c1) }, // no default route: unreachable
        { ...wired, c2: { ...wired.c2, toNeighbour: { dst: '192.168.10.11', gateway: '192.168.10.1', dev: 'eth0' } } }, // no subnet route: via the gateway
        { ...wired, c2: { ...wired.c2, toOffNet: { dst: '203.0.113.1', gateway: '192.168.10.1', dev: 'eth1' } } }, // out of another device
      ],
      'peers-on-bridge': [
        { ...wired, ports: [port(`${n.v1}h`, MAC.v1h, n.bridge), port(`${n.v2}h`, MAC.v2h)] }, // v2h not plugged in
        { ...wired, ports: [port(`${n.v1}h`, MAC.v1h, n.bridge)] }, // v2h missing
        { ...wired, ports: [port(`${n.v1}h`, MAC.v1h, 'nslab-zz99-br0'), port(`${n.v2}h`, MAC.v2h, n.bridge)] }, // another run's bridge
        { ...wired, ports: [port(`${n.v1}h`, MAC.v1h, n.bridge, 'disabled'), port(`${n.v2}h`, MAC.v2h, n.bridge)] }, // the port is down
        { ...wired, ports: [port(`${n.v1}h`, MAC.v1h, n.bridge), port(`${n.v2}h`, MAC.v2h, n.bridge, 'forwarding', 0)] }, // not promiscuous
      ],
    },
  }),
  examples(resolvConf, {
    pass: resolv,
    fail: {
      'resolv-inside': [
        { ...resolv, inside: 'nameserver 10.0.2.3' }, // the machine's file: nothing bound over it
        { ...resolv, hostAfter: 'nameserver 8.8.8.8\n' }, // written to the machine's file
        { ...resolv, inside: '' },
      ],
    },
  }),
  examples(ping, {
    pass: pings,
    fail: {
      'ping-bridge': [{ ...pings, bridge: pinged(3, 2) }, { ...pings, bridge: { sent: 0, received: 0, text: 'connect: Network is unreachable' } }],
      'ping-container': [
        { ...pings, c2: pinged(3, 0) },
        { ...pings, c2: pinged(3, 1) },
        { ...pings, c2Rx: 0 }, // the replies came from somewhere else: c2 received nothing
        { ...pings, c2Rx: 2 },
      ],
      'through-bridge': [
        { ...pings, fdb: fdb.filter((f) => f.mac !== MAC.c2) }, // c2's MAC never learned
        { ...pings, fdb: fdb.map((f) => (f.mac === MAC.c1 ? { ...f, ifname: `${n.v2}h` } : f)) }, // behind the wrong port
        { ...pings, macs: { c1: undefined, c2: MAC.c2 } }, // no MAC to look for
      ],
    },
  }),
  examples(eth1, {
    pass: second,
    fail: {
      'eth1-in-running-container': [
        { ...second, containerNet: 4026532999 }, // the container is not in c1
        { ...second, seen: `eth1@if12        DOWN           ${ETH1_MAC} <BROADCAST,MULTICAST>` },
        { ...second, seen: 'eth1@if12        UP             0e:55:4d:19:bb:77 <BROADCAST,MULTICAST,UP,LOWER_UP>' }, // another device
        { ...second, seen: '' }, // no eth1 in the container
        { ...second, stillInHost: true }, // the end never moved
        { ...second, movedMac: undefined },
      ],
      'eth1-works': [
        { ...second, ping: pinged(3, 0) },
        { ...second, rx: 0 }, // the pings went another way
        { ...second, rx: 2 }, // fewer packets in than pings sent
        { ...second, neighMac: MAC.c1 }, // c1's eth0 answered ARP for eth1's address
        { ...second, neighMac: undefined },
        { ...second, ping: { sent: 0, received: 0, text: 'ping: connect: Network is unreachable' }, rx: 0 },
      ],
    },
  }),
  examples(machine, {
    pass: end,
    fail: {
      'machine-unchanged': [
        { ...end, host: { ...machineNet, links: [...machineNet.links, 'nslab-ab12-br0 0e:55:4d:19:bb:00'].sort() } }, // a leaked bridge
        { ...end, host: { ...machineNet, routes: `${machineNet.routes}\n192.168.10.0/24 dev nslab-ab12-br0 proto kernel scope link` } },
        { ...end, host: { ...machineNet, rules: `0:\tfrom all lookup local\n100:\tfrom 192.168.10.0/24 lookup 10\n${machineNet.rules.split('\n').slice(1).join('\n')}` } },
        { ...end, host: { ...machineNet, resolv: 'nameserver 8.8.8.8\n' } },
      ],
      'no-way-out': [
        { ...end, labRoutes: { ...labRoutes, [n.host]: [...labRoutes[n.host]!, { dst: 'default', gateway: '10.0.2.2', dev: 'eth0' }] } }, // the lab host has a way out
        { ...end, labRoutes: { ...labRoutes, [n.host]: [...labRoutes[n.host]!, { dst: 'default', gateway: '192.168.10.1', dev: n.bridge }] } }, // even via the bridge
        { ...end, labRoutes: { ...labRoutes, [n.c2]: [{ dst: 'default', gateway: '10.0.2.2', dev: 'eth0' }] } },
        { ...end, labLinks: { ...end.labLinks, [n.c1]: ['lo', 'eth0', 'eth1', 'macvlan0'] } }, // a device onto the physical network
        { ...end, labRoutes: { [n.host]: labRoutes[n.host]!, [n.c1]: labRoutes[n.c1]! } }, // a namespace not looked at
      ],
    },
  }),
];
