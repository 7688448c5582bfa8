// The traffic of lab 08 (pings through the bridge, a second NIC for a running container) and
// the final look at the machine's own network.
import { nsInode } from '../../addon/index.js';
import { Container, attempt, must, program, shown, step } from '../../runner/kit/index.js';
import {
  BRIDGE_IP, ETH1_HOST_IP, ETH1_IP, ETH1_NET, NET,
  hostNet, ipIn, links, lossless, parsePing, query, routes,
  type HostNet, type Link, type Names, type Ping, type Route,
} from './net.js';
import { CONTAINERS, inode, isDefaultVia, netns, veth } from './setup.js';

const PING = ['ping', '-c', '3', '-i', '0.2', '-W', '1'];

export interface Pings {
  readonly names: Names;
  readonly bridge: Ping;
  readonly c2: Ping;
  /** `bridge -j fdb show br BRIDGE` after the pings. */
  readonly fdb: { mac: string; ifname: string }[];
  /** Each container's eth0 MAC address, as step veth found it. */
  readonly macs: Readonly<Record<'c1' | 'c2', string | undefined>>;
}

export interface Eth1 {
  readonly containerPid: number;
  /** The container's net namespace inode, and c1's. */
  readonly containerNet: number;
  readonly c1Net: number;
  /** `ip -br addr show eth1` inside the container. */
  readonly seen: string;
  readonly ping: Ping;
  /** Packets eth1 sent and received while the container pinged. */
  readonly tx: number;
  readonly rx: number;
}

export interface Machine {
  readonly before: HostNet;
  readonly host: HostNet;
  /** The lab's "host" namespace (it may have no default route). */
  readonly labHost: string;
  /** By lab namespace: its link names and its routes. */
  readonly labLinks: Record<string, string[]>;
  readonly labRoutes: Record<string, Route[]>;
}

export const ping = step<Pings>({
  id: 'ping',
  title: { en: 'Container 1 reaches the bridge and container 2', zh: '容器 1 能访问网桥和容器 2' },
  explain: {
    en: 'Pings stay on the lab subnet: to the bridge address (the gateway) and to the second container, whose frames the bridge switches from one port to the other. The bridge\'s forwarding table then lists both containers\' MAC addresses, each behind its own port: proof that the traffic went through it.',
    zh: 'ping 只在实验网段内:一次发往网桥地址(网关),一次发往第二个容器,后者的帧由网桥从一个端口转发到另一个端口。之后网桥的转发表里会有两个容器的 MAC 地址,各在自己的端口后面:证明流量确实经过了它。',
  },
  article: '(the article stops at the route; docker exec <c> ping 192.168.10.1)',
  modern: `ip netns exec nslab-<token>-c1 ping -c 3 -i 0.2 -W 1 ${BRIDGE_IP}; ip netns exec nslab-<token>-c1 ping -c 3 -i 0.2 -W 1 192.168.10.12`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    const eth0 = ctx.observed(veth);
    const pingFrom = async (target: string) => parsePing((await attempt(ctx, ['ip', 'netns', 'exec', n.c1, ...PING, target])).stdout);
    const bridge = await pingFrom(BRIDGE_IP);
    const c2 = await pingFrom(CONTAINERS[1].ip);
    await must(ctx, ['bridge', '-n', n.host, 'fdb', 'show', 'br', n.bridge, 'dynamic']);
    return {
      names: n,
      bridge,
      c2,
      fdb: query<{ mac: string; ifname: string }[]>(n.host, ['fdb', 'show', 'br', n.bridge], 'bridge'),
      macs: { c1: eth0.c1.link.address, c2: eth0.c2.link.address },
    };
  },
  checks: [
    {
      id: 'ping-bridge',
      description: `Container 1 reaches the bridge address ${BRIDGE_IP}: every ping answered (0 % loss).`,
      evaluate: (o) => ({ observed: o.bridge.text, expected: 'n packets transmitted, n received', pass: lossless(o.bridge) }),
    },
    {
      id: 'ping-container',
      description: `Container 1 reaches container 2 (${CONTAINERS[1].ip}): every ping answered (0 % loss).`,
      evaluate: (o) => ({ observed: o.c2.text, expected: 'n packets transmitted, n received', pass: lossless(o.c2) }),
    },
    {
      id: 'through-bridge',
      description: "The bridge learned each container's eth0 MAC address behind that container's port.",
      evaluate: (o) => {
        const want = CONTAINERS.map((c) => ({ mac: o.macs[c.key], port: `${o.names[c.veth]}h` }));
        const found = want.map((w) => o.fdb.some((f) => f.mac === w.mac && f.ifname === w.port));
        return {
          observed: want.map((w, i) => `${w.mac} ${found[i] ? `on ${w.port}` : 'not learned'}`).join(', '),
          expected: want.map((w) => `${w.mac} on ${w.port}`).join(', '),
          pass: found.every(Boolean),
        };
      },
    },
  ],
});

export const eth1 = step<Eth1>({
  id: 'eth1',
  title: { en: 'A second NIC (eth1) for the running container', zh: '给运行中的容器再加一块网卡 eth1' },
  explain: {
    en: 'Network devices can be moved into a namespace at any time, also one whose processes are already running: the article moves peerB into a container by its PID. Here a container process runs in namespace c1 and a new veth end is moved to it by PID, renamed eth1 and given 192.168.20.11/24; its peer stays in the lab\'s host namespace as 192.168.20.1. Its packet counters show the ping really used eth1.',
    zh: '网络设备随时都可以移进一个 namespace,哪怕其中的进程已经在运行:原文按 PID 把 peerB 移进容器。这里一个容器进程在 c1 中运行,一个新的 veth 端按 PID 移给它,改名为 eth1,配上 192.168.20.11/24;另一端留在实验的宿主机 namespace 里,地址 192.168.20.1。它的包计数器证明 ping 确实走了 eth1。',
  },
  article: 'ip link add peerA type veth peer name peerB; brctl addif docker0 peerA; ip link set peerA up; ip link set peerB netns ${container-pid}',
  modern: `ip -n nslab-<token>-host link add nslab-<token>-v3c type veth peer name nslab-<token>-v3h; ip -n nslab-<token>-host link set nslab-<token>-v3c netns <PID>; ip -n nslab-<token>-c1 link set dev nslab-<token>-v3c name eth1`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    const c = await Container.start(ctx, {
      namespaces: ['uts'],
      actions: [{ do: 'setns', path: `/run/netns/${n.c1}`, ns: 'net' }, { do: 'sethostname', name: 'nslab-c1' }],
      label: 'container in nslab-c1',
    });
    try {
      const inNet = [{ do: 'setns' as const, path: `/proc/${c.pid}/ns/net`, ns: 'net' as const }];
      await ipIn(ctx, n.host, 'link', 'add', `${n.v3}c`, 'type', 'veth', 'peer', 'name', `${n.v3}h`);
      await ipIn(ctx, n.host, 'addr', 'add', `${ETH1_HOST_IP}/24`, 'dev', `${n.v3}h`);
      await ipIn(ctx, n.host, 'link', 'set', `${n.v3}h`, 'up');
      await ipIn(ctx, n.host, 'link', 'set', `${n.v3}c`, 'netns', String(c.pid));
      await ipIn(ctx, n.c1, 'link', 'set', 'dev', `${n.v3}c`, 'name', 'eth1');
      await ipIn(ctx, n.c1, 'addr', 'add', `${ETH1_IP}/24`, 'dev', 'eth1');
      await ipIn(ctx, n.c1, 'link', 'set', 'eth1', 'up');
      const seen = await shown(ctx, 'ip -br addr show eth1', [program('ip'), '-br', 'addr', 'show', 'eth1'], { container: c, actions: inNet });
      const stats = () => query<Link[]>(n.c1, ['-s', 'link', 'show', 'dev', 'eth1'])[0]?.stats64;
      const before = stats();
      const r = await shown(ctx, `${PING.join(' ')} ${ETH1_HOST_IP}`, [program('ping'), ...PING.slice(1), ETH1_HOST_IP], { container: c, actions: inNet });
      const after = stats();
      return {
        containerPid: c.pid,
        containerNet: nsInode(c.pid, 'net'),
        c1Net: inode(n.c1),
        seen: seen.stdout.trim(),
        ping: parsePing(r.stdout),
        tx: (after?.tx.packets ?? 0) - (before?.tx.packets ?? 0),
        rx: (after?.rx.packets ?? 0) - (before?.rx.packets ?? 0),
      };
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'eth1-in-running-container',
      description: `The running container (moved to by PID, in namespace c1) now has eth1 with ${ETH1_IP}/24.`,
      evaluate: (o) => ({
        observed: `container ${o.containerPid} net:[${o.containerNet}] (c1 net:[${o.c1Net}]) sees: ${o.seen}`,
        expected: `the container in c1's namespace sees eth1 ... ${ETH1_IP}/24`,
        pass: o.containerNet === o.c1Net && /^eth1(@\S+)?\s+UP\s/.test(o.seen) && o.seen.includes(`${ETH1_IP}/24`),
      }),
    },
    {
      id: 'eth1-works',
      description: `Pings from the container to ${ETH1_HOST_IP} over eth1 are all answered, and eth1's own counters grew by at least the pings sent and received.`,
      evaluate: (o) => {
        const p = o.ping;
        return {
          observed: `${p.text}; eth1 sent ${o.tx} and received ${o.rx} packets meanwhile`,
          expected: `${p.sent} packets transmitted, ${p.sent} received; eth1 counters +${p.sent} or more each way`,
          pass: lossless(p) && o.tx >= p.sent && o.rx >= p.received,
        };
      },
    },
  ],
});

export const machine = step<Machine>({
  id: 'machine-untouched',
  title: { en: "The machine's own network was never touched", zh: '机器自己的网络从未被改动' },
  explain: {
    en: 'Everything above happened in namespaces the lab made. The machine\'s interfaces, routes and policy rules are compared with what they were before the lab; and no lab namespace has a way out: the lab\'s host namespace has no default route at all, and the containers\' only gateway is the bridge.',
    zh: '以上所有操作都发生在实验自己创建的 namespace 里。这里把机器的网卡、路由和策略规则与实验开始前对比;而且没有任何实验 namespace 能通到外面:实验的宿主机 namespace 根本没有默认路由,容器唯一的网关就是网桥。',
  },
  modern: 'ip link; ip route show table all; ip rule   # compared with the start',
  async run(ctx) {
    const { names: n, before } = ctx.observed(netns);
    await must(ctx, ['ip', '-n', n.host, 'route', 'show']);
    const all = [n.host, n.c1, n.c2];
    return {
      before,
      host: hostNet(),
      labHost: n.host,
      labLinks: Object.fromEntries(all.map((ns) => [ns, links(ns).map((l) => l.ifname)])),
      labRoutes: Object.fromEntries(all.map((ns) => [ns, routes(ns)])),
    };
  },
  checks: [
    {
      id: 'machine-unchanged',
      description: "The machine's interfaces (names and MAC addresses), routes (all tables, IPv4 and IPv6), policy rules and resolv.conf are exactly as before the lab.",
      evaluate: (o) => {
        const diff = (['links', 'routes', 'rules', 'resolv'] as const).filter((k) => JSON.stringify(o.before[k]) !== JSON.stringify(o.host[k]));
        return {
          observed: diff.length === 0 ? `identical (${o.host.links.length} interfaces)` : `changed: ${diff.join(', ')}`,
          expected: 'identical',
          pass: diff.length === 0,
        };
      },
    },
    {
      id: 'no-way-out',
      description: `No lab namespace can send beyond the lab: their links are only lo, eth0/eth1 and nslab-* devices, and every route stays in ${NET} or ${ETH1_NET} (the containers' default goes to the bridge; the lab host has none).`,
      evaluate: (o) => {
        const okLink = (name: string) => name === 'lo' || name === 'eth0' || name === 'eth1' || name.startsWith('nslab-');
        const okRoute = (ns: string, r: Route) => r.dst === NET || r.dst === ETH1_NET || (ns !== o.labHost && isDefaultVia(r, BRIDGE_IP));
        const bad: string[] = [];
        for (const [ns, ls] of Object.entries(o.labLinks)) for (const l of ls) if (!okLink(l)) bad.push(`${ns}: link ${l}`);
        for (const [ns, rs] of Object.entries(o.labRoutes)) for (const r of rs) if (!okRoute(ns, r)) bad.push(`${ns}: route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`);
        return {
          observed: bad.length === 0 ? `${Object.values(o.labRoutes).flat().length} routes and ${Object.values(o.labLinks).flat().length} links, all inside the lab` : bad.join('; '),
          expected: 'all inside the lab',
          pass: bad.length === 0 && Object.keys(o.labRoutes).length === 3,
        };
      },
    },
  ],
});
