// The traffic of lab 08 (pings through the bridge, a second NIC for a running container) and
// the final look at the machine's own network.
import { nsInode } from '../../addon/index.js';
import { Container, attempt, must, program, shown, step, t, type Text } from '../../runner/kit/index.js';
import {
  BRIDGE_IP, ETH1_IP, NET,
  hostNet, ipIn, links, lossless, parsePing, query, routes, rxPackets,
  type HostNet, type Link, type Names, type Ping, type Route,
} from './net.js';
import { CONTAINERS, inode, isDefaultVia, netns, veth } from './setup.js';

const PING = ['ping', '-c', '3', '-i', '0.2', '-W', '1'];
const MAC_RE = /\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/;

export interface Pings {
  readonly names: Names;
  readonly bridge: Ping;
  readonly c2: Ping;
  /** Packets container 2's eth0 received while container 1 pinged it (the kernel's counter). */
  readonly c2Rx: number;
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
  /** The MAC address of the veth end before it was moved into the container. */
  readonly movedMac: string | undefined;
  /** Is a link with that MAC address still in the lab's host namespace? */
  readonly stillInHost: boolean;
  /** `ip -br link show eth1` inside the container. */
  readonly seen: string;
  /** Container 2 pinging eth1's address across the bridge. */
  readonly ping: Ping;
  /** The MAC address container 2's neighbour table holds for eth1's address after the pings. */
  readonly neighMac: string | undefined;
  /** Packets eth1 received while container 2 pinged it. */
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

/** ping's summary line as it printed it, with a Chinese reading of its two numbers. */
const pingText = (p: Ping): Text =>
  t(p.text, p.sent > 0 ? `发出 ${p.sent} 个包，收到 ${p.received} 个（${p.text}）` : `ping 没有给出统计（${p.text}）`);

const lossText = (p: Ping, rx: number, who: Text): Text =>
  t(`${p.text}; ${who.en} received ${rx} packets meanwhile`, `${pingText(p).zh}；其间${who.zh}收到 ${rx} 个包`);

export const ping = step<Pings>({
  id: 'ping',
  title: { en: 'Container 1 reaches the bridge and container 2', zh: '容器 1 能访问网桥和容器 2' },
  explain: {
    en: 'The article stops at the route; nslab then pings to show the wiring carries packets. Pings stay on the lab subnet: to the bridge address (the gateway) and to the second container, whose frames the bridge switches from one port to the other. Container 2\'s own packet counter shows the pings arrived; the bridge\'s forwarding table then lists both containers\' MAC addresses, each behind its own port: proof that the traffic went through it.',
    zh: '原文到添加路由就结束了；nslab 接着用 ping 证明这套连线确实能传包。ping 只在实验网段内：一次发往网桥地址（网关），一次发往第二个容器，后者的帧由网桥从一个端口转发到另一个端口。容器 2 自己的包计数器表明 ping 确实到达了；之后网桥的转发表里会有两个容器的 MAC 地址，各在自己的端口后面：证明流量确实经过了它。',
  },
  modern: `ip netns exec nslab-<token>-c1 ping -c 3 -i 0.2 -W 1 ${BRIDGE_IP}; ip netns exec nslab-<token>-c1 ping -c 3 -i 0.2 -W 1 192.168.10.12`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    const eth0 = ctx.observed(veth);
    const pingFrom = async (target: string) => parsePing((await attempt(ctx, ['ip', 'netns', 'exec', n.c1, ...PING, target])).stdout);
    const bridge = await pingFrom(BRIDGE_IP);
    const rx0 = rxPackets(n.c2, 'eth0');
    const c2 = await pingFrom(CONTAINERS[1].ip);
    const c2Rx = rxPackets(n.c2, 'eth0') - rx0;
    await ipIn(ctx, n.c2, '-s', 'link', 'show', 'dev', 'eth0');
    await must(ctx, ['bridge', '-n', n.host, 'fdb', 'show', 'br', n.bridge, 'dynamic']);
    return {
      names: n,
      bridge,
      c2,
      c2Rx,
      fdb: query<{ mac: string; ifname: string }[]>(n.host, ['fdb', 'show', 'br', n.bridge], 'bridge'),
      macs: { c1: eth0.c1.link.address, c2: eth0.c2.link.address },
    };
  },
  checks: [
    {
      id: 'ping-bridge',
      description: {
        en: `Container 1 reaches the bridge address ${BRIDGE_IP}: every ping answered (0 % loss).`,
        zh: `容器 1 能到达网桥地址 ${BRIDGE_IP}：每个 ping 都有回应（0 % 丢包）。`,
      },
      evaluate: (o) => ({
        observed: pingText(o.bridge),
        expected: t('n packets transmitted, n received', '发出 n 个包，收到 n 个（n packets transmitted, n received）'),
        pass: lossless(o.bridge),
      }),
    },
    {
      id: 'ping-container',
      description: {
        en: `Container 1 reaches container 2 (${CONTAINERS[1].ip}): every ping answered, and container 2's eth0 counted at least as many packets in as were sent.`,
        zh: `容器 1 能到达容器 2（${CONTAINERS[1].ip}）：每个 ping 都有回应，且容器 2 的 eth0 收到的包数不少于发出的 ping 数。`,
      },
      evaluate: (o) => ({
        observed: lossText(o.c2, o.c2Rx, t("container 2's eth0", '容器 2 的 eth0 ')),
        expected: t(
          `n packets transmitted, n received; container 2's eth0 received n or more`,
          '发出 n 个包，收到 n 个；容器 2 的 eth0 至少收到 n 个',
        ),
        pass: lossless(o.c2) && o.c2Rx >= o.c2.sent,
      }),
    },
    {
      id: 'through-bridge',
      description: {
        en: "The bridge learned each container's eth0 MAC address behind that container's port.",
        zh: '网桥学到了每个容器 eth0 的 MAC 地址，并记在该容器对应的端口后面。',
      },
      evaluate: (o) => {
        const want = CONTAINERS.map((c) => ({ mac: o.macs[c.key], port: `${o.names[c.veth]}h` }));
        const found = want.map((w) => o.fdb.some((f) => f.mac === w.mac && f.ifname === w.port));
        return {
          observed: t(
            want.map((w, i) => `${w.mac} ${found[i] ? `on ${w.port}` : 'not learned'}`).join(', '),
            want.map((w, i) => `${w.mac} ${found[i] ? `在 ${w.port} 后面` : '未学到'}`).join('，'),
          ),
          expected: t(want.map((w) => `${w.mac} on ${w.port}`).join(', '), want.map((w) => `${w.mac} 在 ${w.port} 后面`).join('，')),
          pass: found.every(Boolean),
        };
      },
    },
  ],
});

export const eth1 = step<Eth1>({
  id: 'eth1',
  title: { en: 'A second NIC (eth1) on the bridge for the running container', zh: '给运行中的容器再加一块接在网桥上的网卡 eth1' },
  explain: {
    en: `Network devices can be moved into a namespace at any time, also one whose processes are already running: the article plugs peerA into docker0, moves peerB into a container by its PID, renames it eth1 and gives it a "routable" address, one the outside network reaches directly. Here the only outside is the lab's bridge: peerA goes on the bridge and eth1 gets ${ETH1_IP}/24 on the bridge's subnet, which container 2 reaches with no routing and no NAT, and nothing beyond the lab's namespaces can. The article needs the physical NIC in promiscuous mode for this, so that it accepts frames sent to eth1's MAC address; a bridge port is put in that mode by the kernel itself.`,
    zh: `网络设备随时都可以移进一个 namespace，哪怕其中的进程已经在运行：原文把 peerA 接到 docker0 上，按 PID 把 peerB 移进容器，改名为 eth1，并给它一个“可路由”的地址，也就是外部网络能直接访问的地址。这里唯一的“外部”就是实验的网桥：peerA 接到网桥上，eth1 在网桥的网段里拿到 ${ETH1_IP}/24，容器 2 不经路由、不经 NAT 就能访问它，而实验的 namespace 之外谁也访问不到。原文为此要求把物理网卡设成混杂模式，让它接收发给 eth1 的 MAC 地址的帧；网桥的端口则由内核自动设为混杂模式。`,
  },
  article: 'ip link add peerA type veth peer name peerB; brctl addif docker0 peerA; ip link set peerA up; ip link set peerB netns ${container-pid}; ip netns exec ${container-pid} ip link set dev peerB name eth1; ip netns exec ${container-pid} ip link set eth1 up; ip netns exec ${container-pid} ip addr add ${ROUTEABLE_IP} dev eth1',
  modern: `ip -n nslab-<token>-host link add nslab-<token>-v3c type veth peer name nslab-<token>-v3h; ip -n nslab-<token>-host link set nslab-<token>-v3h master nslab-<token>-br0 up; ip -n nslab-<token>-host link set nslab-<token>-v3c netns <PID>; ip -n nslab-<token>-c1 link set dev nslab-<token>-v3c name eth1; ip -n nslab-<token>-c1 link set eth1 up; ip -n nslab-<token>-c1 addr add ${ETH1_IP}/24 dev eth1`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    const c = await Container.start(ctx, {
      namespaces: ['uts'],
      actions: [{ do: 'setns', path: `/run/netns/${n.c1}`, ns: 'net' }, { do: 'sethostname', name: 'nslab-c1' }],
      label: t('container in nslab-c1', '位于 nslab-c1 中的容器'),
    });
    try {
      const inNet = [{ do: 'setns' as const, path: `/proc/${c.pid}/ns/net`, ns: 'net' as const }];
      await ipIn(ctx, n.host, 'link', 'add', `${n.v3}c`, 'type', 'veth', 'peer', 'name', `${n.v3}h`);
      await ipIn(ctx, n.host, 'link', 'set', `${n.v3}h`, 'master', n.bridge, 'up');
      const movedMac = query<Link[]>(n.host, ['link', 'show', 'dev', `${n.v3}c`])[0]?.address;
      await ipIn(ctx, n.host, 'link', 'set', `${n.v3}c`, 'netns', String(c.pid));
      await ipIn(ctx, n.c1, 'link', 'set', 'dev', `${n.v3}c`, 'name', 'eth1');
      await ipIn(ctx, n.c1, 'link', 'set', 'eth1', 'up');
      // c1 now has two interfaces on one subnet: each must answer ARP only for its own address.
      await must(ctx, ['ip', 'netns', 'exec', n.c1, 'sysctl', '-w', 'net.ipv4.conf.all.arp_ignore=1']);
      ctx.log(
        t(
          `c1 has eth0 and eth1 on one subnet: by default Linux answers ARP for any of its addresses on any interface, so eth0 could answer for ${ETH1_IP}; arp_ignore=1 (in c1's namespace only) lets each interface answer for its own address alone.`,
          `c1 的 eth0 和 eth1 在同一个网段：Linux 默认会在任何一块网卡上应答本机任一地址的 ARP 请求，于是 eth0 可能替 ${ETH1_IP} 应答；arp_ignore=1（只在 c1 的 namespace 里设置）让每块网卡只应答自己的地址。`,
        ),
      );
      await ipIn(ctx, n.c1, 'addr', 'add', `${ETH1_IP}/24`, 'dev', 'eth1');
      const seen = await shown(ctx, 'ip -br link show eth1', [program('ip'), '-br', 'link', 'show', 'eth1'], { container: c, actions: inNet });
      await shown(ctx, 'ip -br addr show eth1', [program('ip'), '-br', 'addr', 'show', 'eth1'], { container: c, actions: inNet });
      const port = query<Link[]>(n.host, ['-d', 'link', 'show', 'dev', `${n.v3}h`])[0];
      ctx.log(
        t(
          `promiscuous mode: the kernel set promiscuity ${port?.promiscuity ?? '?'} on ${n.v3}h when it joined the bridge; the article asks the same of the physical NIC, so that it takes in frames addressed to eth1's MAC address, not only its own.`,
          `混杂模式：${n.v3}h 加入网桥时，内核把它的 promiscuity 设为 ${port?.promiscuity ?? '?'}；原文要求物理网卡也这样做，让它不只接收发给自己的帧，也接收发给 eth1 的 MAC 地址的帧。`,
        ),
      );
      const rx0 = rxPackets(n.c1, 'eth1');
      const r = await attempt(ctx, ['ip', 'netns', 'exec', n.c2, ...PING, ETH1_IP]);
      const rx = rxPackets(n.c1, 'eth1') - rx0;
      await ipIn(ctx, n.c2, 'neigh', 'show', ETH1_IP);
      const neigh = query<{ dst: string; lladdr?: string }[]>(n.c2, ['neigh', 'show', ETH1_IP]).find((x) => x.dst === ETH1_IP);
      return {
        containerPid: c.pid,
        containerNet: nsInode(c.pid, 'net'),
        c1Net: inode(n.c1),
        movedMac,
        stillInHost: movedMac !== undefined && links(n.host).some((l) => l.address === movedMac && l.ifname !== `${n.v3}h`),
        seen: seen.stdout.trim(),
        ping: parsePing(r.stdout),
        neighMac: neigh?.lladdr,
        rx,
      };
    } finally {
      await c.stop();
    }
  },
  checks: [
    {
      id: 'eth1-in-running-container',
      description: {
        en: "The veth end moved by the running container's PID landed in c1's namespace: the container (in c1) sees it as eth1, UP, with the MAC address it had before the move, and the lab's host namespace no longer has it.",
        zh: '按运行中容器的 PID 移动的 veth 端落进了 c1 的 namespace：容器（位于 c1）看到它叫 eth1、处于 UP 状态、MAC 地址与移动前相同，而实验的宿主机 namespace 里已经没有它了。',
      },
      evaluate: (o) => {
        const mac = MAC_RE.exec(o.seen)?.[0];
        const inC1 = o.containerNet === o.c1Net;
        return {
          observed: t(
            `container ${o.containerPid} net:[${o.containerNet}]${inC1 ? ' (c1)' : ` (c1 is net:[${o.c1Net}])`} sees: ${o.seen || 'no eth1'}; moved end ${o.movedMac ?? '?'}${o.stillInHost ? ', still in the lab host' : ''}`,
            `容器 ${o.containerPid} net:[${o.containerNet}]${inC1 ? '（即 c1）' : `（c1 是 net:[${o.c1Net}]）`}看到：${o.seen || '没有 eth1'}；被移动的一端 ${o.movedMac ?? '（MAC 地址未知）'}${o.stillInHost ? '，仍在实验宿主机里' : ''}`,
          ),
          expected: t(`the container in c1 sees eth1 UP ${o.movedMac ?? '<mac>'}`, `位于 c1 的容器看到 eth1 UP ${o.movedMac ?? '<mac>'}`),
          pass: inC1 && /^eth1(@\S+)?\s+UP\s/.test(o.seen) && o.movedMac !== undefined && mac === o.movedMac && !o.stillInHost,
        };
      },
    },
    {
      id: 'eth1-works',
      description: {
        en: `Container 2 reaches eth1's address ${ETH1_IP} across the bridge: every ping answered, container 2 resolved that address to eth1's MAC address, and eth1's own RX counter rose by at least the pings sent.`,
        zh: `容器 2 经网桥能到达 eth1 的地址 ${ETH1_IP}：每个 ping 都有回应，容器 2 把这个地址解析成 eth1 的 MAC 地址，而且 eth1 自己的接收计数至少增加了发出的 ping 数。`,
      },
      evaluate: (o) => {
        const p = o.ping;
        return {
          observed: t(
            `${p.text}; ${ETH1_IP} is at ${o.neighMac ?? 'no MAC address'}; eth1 received ${o.rx} packets meanwhile`,
            `${pingText(p).zh}；${ETH1_IP} 对应 ${o.neighMac ?? '（没有 MAC 地址）'}；其间 eth1 收到 ${o.rx} 个包`,
          ),
          expected: t(
            `${p.sent} packets transmitted, ${p.sent} received; ${ETH1_IP} is at ${o.movedMac ?? "eth1's MAC"}; eth1 received ${p.sent} or more`,
            `发出 ${p.sent} 个包，收到 ${p.sent} 个；${ETH1_IP} 对应 ${o.movedMac ?? 'eth1 的 MAC 地址'}；eth1 至少收到 ${p.sent} 个包`,
          ),
          pass: lossless(p) && o.movedMac !== undefined && o.neighMac === o.movedMac && o.rx >= p.sent,
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
    zh: '以上所有操作都发生在实验自己创建的 namespace 里。这里把机器的网卡、路由和策略规则与实验开始前对比；而且没有任何实验 namespace 能通到外面：实验的宿主机 namespace 根本没有默认路由，容器唯一的网关就是网桥。',
  },
  modern: 'ip link; ip route show table all; ip -6 route show table all; ip rule',
  async run(ctx) {
    const { names: n, before } = ctx.observed(netns);
    await must(ctx, ['ip', '-n', n.host, 'route', 'show']);
    ctx.log(
      t(
        "NAT: Docker's bridge network reaches the outside through NAT (an iptables MASQUERADE rule on the host rewrites every outgoing packet's source address, the forwarding cost the article mentions); nslab adds no NAT rule, because its traffic never leaves the lab's namespaces.",
        'NAT：Docker 的 bridge 网络通过 NAT 访问外部（宿主机上的 iptables MASQUERADE 规则改写每个出去的包的源地址，这就是原文说的转发开销）；nslab 不加任何 NAT 规则，因为它的流量从不离开实验的 namespace。',
      ),
    );
    ctx.log(
      t(
        "IPVLAN: the driver the article credits to Google gives a container an address on the physical NIC's own network without a bridge or promiscuous mode, every IPVLAN device sharing the NIC's MAC address; nslab makes none, since it would put the lab on the machine's real network.",
        'IPVLAN：原文提到的由 Google 实现的这个驱动，不用网桥、也不用混杂模式，就能让容器在物理网卡所在的网络上拥有地址，所有 IPVLAN 设备共用这块网卡的 MAC 地址；nslab 不创建它，因为那会把实验接到机器真实的网络上。',
      ),
    );
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
      description: {
        en: "The machine's interfaces (names and MAC addresses), routes (all tables, IPv4 and IPv6), policy rules and resolv.conf are exactly as before the lab.",
        zh: '机器本身的网卡（名字与 MAC 地址）、路由（所有路由表，IPv4 与 IPv6）、策略规则和 resolv.conf 与实验开始前完全相同。',
      },
      evaluate: (o) => {
        const diff = (['links', 'routes', 'rules', 'resolv'] as const).filter((k) => JSON.stringify(o.before[k]) !== JSON.stringify(o.host[k]));
        return {
          observed:
            diff.length === 0
              ? t(`identical (${o.host.links.length} interfaces)`, `完全相同（${o.host.links.length} 块网卡）`)
              : t(`changed: ${diff.join(', ')}`, `有变化：${diff.join('、')}`),
          expected: t('identical', '完全相同'),
          pass: diff.length === 0,
        };
      },
    },
    {
      id: 'no-way-out',
      description: {
        en: `No lab namespace can send beyond the lab: their links are only lo, eth0/eth1 and nslab-* devices, and every route stays in ${NET} (the containers' default goes to the bridge; the lab host has none).`,
        zh: `没有任何实验 namespace 能把包发到实验之外：其中的网卡只有 lo、eth0/eth1 和 nslab-* 设备，所有路由都在 ${NET} 之内（容器的默认路由指向网桥，实验宿主机没有默认路由）。`,
      },
      evaluate: (o) => {
        const okLink = (name: string) => name === 'lo' || name === 'eth0' || name === 'eth1' || name.startsWith('nslab-');
        const okRoute = (ns: string, r: Route) => r.dst === NET || (ns !== o.labHost && isDefaultVia(r, BRIDGE_IP));
        const bad: { en: string; zh: string }[] = [];
        for (const [ns, ls] of Object.entries(o.labLinks)) for (const l of ls) if (!okLink(l)) bad.push({ en: `${ns}: link ${l}`, zh: `${ns}：网卡 ${l}` });
        for (const [ns, rs] of Object.entries(o.labRoutes))
          for (const r of rs)
            if (!okRoute(ns, r)) {
              const route = `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`;
              bad.push({ en: `${ns}: route ${route}`, zh: `${ns}：路由 ${route}` });
            }
        const nRoutes = Object.values(o.labRoutes).flat().length;
        const nLinks = Object.values(o.labLinks).flat().length;
        return {
          observed:
            bad.length === 0
              ? t(`${nRoutes} routes and ${nLinks} links, all inside the lab`, `${nRoutes} 条路由和 ${nLinks} 块网卡，全部在实验之内`)
              : t(bad.map((b) => b.en).join('; '), bad.map((b) => b.zh).join('；')),
          expected: t('all inside the lab', '全部在实验之内'),
          pass: bad.length === 0 && Object.keys(o.labRoutes).length === 3,
        };
      },
    },
  ],
});
