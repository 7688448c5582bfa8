// 08-network: a bridge, veth pairs and network namespaces, all inside namespaces the lab makes.
import { readFileSync, statSync } from 'node:fs';
import { useNetnsDirs, Container, shown, which, basics, namespaces, tool, interactive, type Lab, type Step, type StepContext } from '../../runner/kit/index.js';
import { nsInode } from '../../addon/index.js';
import {
  BRIDGE_SHOWN, BRIDGE_IP, ETH1_HOST_IP, ETH1_IP, ETH1_NET, NET,
  addrs, hostNet, makeNetnsConf, ipIn, kernelNet, links, lossless, must, names, parsePing, query, routes,
  type HostNet, type Link, type Names, type Ping, type Route,
} from './net.js';

const CONTAINERS = [
  { key: 'c1', ip: '192.168.10.11', veth: 'v1' },
  { key: 'c2', ip: '192.168.10.12', veth: 'v2' },
] as const;
const RESOLV = 'nameserver 8.8.8.8';
const PING = ['ping', '-c', '3', '-i', '0.2', '-W', '1'];

interface Eth0 {
  readonly link: Link;
  readonly routes: Route[];
}

interface State {
  n?: Names;
  before?: HostNet;
  hostNetInode?: number;
  created?: { listed: string; inodes: Record<string, number> };
  bridge?: { link: Link; inMachine: boolean };
  eth0?: { c1: Eth0; c2: Eth0; machineMacs: string[]; labHostMacs: string[]; ports: Link[] };
  resolv?: { inside: string; hostAfter: string };
  ping?: { bridge: Ping; c2: Ping; fdb: { mac: string; ifname: string }[] };
  eth1?: { containerPid: number; containerNet: number; c1Net: number; seen: string; ping: Ping; tx: number; rx: number };
  after?: { host: HostNet; labLinks: Record<string, string[]>; labRoutes: Record<string, Route[]> };
}

const inode = (ns: string) => statSync(`/run/netns/${ns}`).ino;
const ipv4 = (l: Link | undefined) => (l?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
const isDefaultVia = (r: Route, gw: string) => r.dst === 'default' && r.gateway === gw;

const steps: Step<State>[] = [
  {
    id: 'netns',
    title: { en: 'Three network namespaces: a "host" and two containers', zh: '三个 network namespace:一个"宿主机"和两个容器' },
    explain: {
      en: 'ip netns add creates an empty network stack and keeps it alive by bind-mounting its namespace file under /run/netns. Even the "host" side of this lab is such a namespace, so the machine\'s real interfaces, routes and firewall are never touched. A new stack has only a loopback, and it is down.',
      zh: 'ip netns add 创建一个空的网络栈,并把它的 namespace 文件 bind mount 到 /run/netns 下让它一直存在。本实验连"宿主机"一侧也是这样一个 namespace,所以机器真实的网卡、路由和防火墙都不会被碰到。新的网络栈只有一个 loopback,而且是关闭的。',
    },
    article: 'ip netns add ns1; ip netns exec ns1 ip link set dev lo up',
    modern: 'ip netns add nslab-<token>-c1; ip -n nslab-<token>-c1 link set lo up',
    async run(ctx, s) {
      const n = (s.n = names(ctx));
      s.before = hostNet();
      s.hostNetInode = nsInode('self', 'net');
      // Undone last: /run/netns and /etc/netns go back to how they were once our entries are gone.
      ctx.cleanup.createSync({ kind: 'netnsDirs' }, '/run/netns and /etc/netns as before the first run that used them', () => useNetnsDirs(ctx.cleanup.run.dir), {
        keepOnFailure: true,
      });
      for (const ns of [n.host, n.c1, n.c2]) {
        // `ip netns add` refuses a name that exists: such a namespace is not ours and stays.
        await ctx.cleanup.create({ kind: 'netns', name: ns }, `network namespace ${ns}`, () => must(ctx, ['ip', 'netns', 'add', ns]));
      }
      for (const ns of [n.host, n.c1, n.c2]) await ipIn(ctx, ns, 'link', 'set', 'lo', 'up');
      const listed = await must(ctx, ['ip', 'netns', 'list']);
      s.created = { listed, inodes: Object.fromEntries([n.host, n.c1, n.c2].map((ns) => [ns, inode(ns)])) };
    },
    checks: [
      {
        id: 'netns-created',
        description: 'The three namespaces are listed by ip netns list, each with its own net namespace inode, none of them the machine\'s.',
        evaluate: (s) => {
          const inodes = Object.entries(s.created!.inodes);
          const distinct = new Set([...inodes.map(([, i]) => i), s.hostNetInode]).size === inodes.length + 1;
          return {
            observed: `${inodes.map(([ns, i]) => `${ns}${s.created!.listed.includes(ns) ? '' : ' (not listed)'} net:[${i}]`).join(', ')}; machine net:[${s.hostNetInode}]`,
            expected: '3 listed namespaces with 4 different inodes in all',
            pass: inodes.length === 3 && inodes.every(([ns]) => new RegExp(`^${ns}\\b`, 'm').test(s.created!.listed)) && distinct,
          };
        },
      },
    ],
  },
  {
    id: 'bridge',
    title: { en: `A bridge (the article's lxcbr0) at ${BRIDGE_IP}/24`, zh: `网桥(原文的 lxcbr0),地址 ${BRIDGE_IP}/24` },
    explain: {
      en: 'A Linux bridge is a software switch: it learns which MAC address sits behind which port and forwards frames between ports. Giving the bridge itself an address makes it the gateway of the subnet, as docker0 is. The article used brctl and ifconfig (bridge-utils, net-tools), both retired in favour of iproute2\'s ip; STP stays off because this switch has no loops.',
      zh: 'Linux 网桥就是一个软件交换机:它学习每个 MAC 地址在哪个端口后面,并在端口之间转发帧。给网桥本身配置地址,它就成了这个网段的网关,就像 docker0。原文用的 brctl 与 ifconfig(bridge-utils、net-tools)都已被 iproute2 的 ip 取代;这个交换机没有环路,所以关闭 STP。',
    },
    article: `brctl addbr lxcbr0; brctl stp lxcbr0 off; ifconfig lxcbr0 ${BRIDGE_IP}/24 up`,
    modern: `ip -n nslab-<token>-host link add ${BRIDGE_SHOWN} type bridge stp_state 0; ip -n nslab-<token>-host addr add ${BRIDGE_IP}/24 dev ${BRIDGE_SHOWN}; ip -n nslab-<token>-host link set ${BRIDGE_SHOWN} up`,
    async run(ctx, s) {
      const h = s.n!.host;
      const br = s.n!.bridge;
      await ipIn(ctx, h, 'link', 'add', br, 'type', 'bridge', 'stp_state', '0');
      await ipIn(ctx, h, 'addr', 'add', `${BRIDGE_IP}/24`, 'dev', br);
      await ipIn(ctx, h, 'link', 'set', br, 'up');
      await ipIn(ctx, h, 'addr', 'show', 'dev', br);
      const link = { ...query<Link[]>(h, ['-d', 'link', 'show', 'dev', br])[0]!, addr_info: addrs(h, br)?.addr_info ?? [] };
      s.bridge = { link, inMachine: links().some((l) => l.ifname === br) };
    },
    checks: [
      {
        id: 'bridge-up',
        description: `The bridge ${BRIDGE_SHOWN} is up in the lab's "host" namespace with ${BRIDGE_IP}/24 and STP off.`,
        evaluate: (s) => {
          const l = s.bridge!.link;
          const stp = l.linkinfo?.info_data?.stp_state;
          return {
            observed: `kind ${l.linkinfo?.info_kind}, ${l.flags?.includes('UP') ? 'UP' : 'down'}, ${ipv4(l).join(' ') || 'no IPv4'}, stp_state ${String(stp)}`,
            expected: `kind bridge, UP, ${BRIDGE_IP}/24, stp_state 0`,
            pass: l.linkinfo?.info_kind === 'bridge' && l.flags?.includes('UP') === true && ipv4(l).includes(`${BRIDGE_IP}/24`) && stp === 0,
          };
        },
      },
      {
        id: 'bridge-not-on-machine',
        description: "The machine's own network namespace has no such bridge.",
        evaluate: (s) => ({
          observed: s.bridge!.inMachine ? `${s.n!.bridge} present on the machine` : `no ${s.n!.bridge} on the machine`,
          expected: `no ${s.n!.bridge} on the machine`,
          pass: !s.bridge!.inMachine,
        }),
      },
    ],
  },
  {
    id: 'veth',
    title: { en: 'veth pairs: eth0 inside each container, the peer on the bridge', zh: 'veth 对:容器里是 eth0,另一端接在网桥上' },
    explain: {
      en: 'A veth pair is a cable with two ends: a frame sent into one comes out of the other. One end is moved into the container\'s namespace and renamed eth0 (a name that would clash on the host is free there); the other end is plugged into the bridge. With an address and a default route via the bridge, the container has a network. The second container gets the same, one address further.',
      zh: 'veth 对就像一根网线的两头:从一头发进去的帧从另一头出来。一头被移进容器的 namespace 并改名为 eth0(在宿主机上会冲突的名字在那里可以用),另一头插到网桥上。配上地址和经由网桥的默认路由,容器就有了网络。第二个容器同样配置,地址加一。',
    },
    article: 'ip link add veth-ns1 type veth peer name lxcbr0.1; ip link set veth-ns1 netns ns1; ip netns exec ns1 ip link set dev veth-ns1 name eth0; ip netns exec ns1 ifconfig eth0 192.168.10.11/24 up; brctl addif lxcbr0 lxcbr0.1; ip netns exec ns1 ip route add default via 192.168.10.1',
    modern: `ip -n nslab-<token>-host link add nslab-<token>-v1c type veth peer name nslab-<token>-v1h; ip -n nslab-<token>-host link set nslab-<token>-v1c netns nslab-<token>-c1; ip -n nslab-<token>-c1 link set dev nslab-<token>-v1c name eth0; ip -n nslab-<token>-c1 addr add 192.168.10.11/24 dev eth0; ip -n nslab-<token>-c1 link set eth0 up; ip -n nslab-<token>-host link set nslab-<token>-v1h master ${BRIDGE_SHOWN} up; ip -n nslab-<token>-c1 route add default via ${BRIDGE_IP}`,
    async run(ctx, s) {
      const n = s.n!;
      // The links live in lab namespaces from their first moment: deleting the namespaces removes them.
      for (const c of CONTAINERS) {
        const ns = n[c.key];
        await ipIn(ctx, n.host, 'link', 'add', `${n[c.veth]}c`, 'type', 'veth', 'peer', 'name', `${n[c.veth]}h`);
        await ipIn(ctx, n.host, 'link', 'set', `${n[c.veth]}c`, 'netns', ns);
        await ipIn(ctx, ns, 'link', 'set', 'dev', `${n[c.veth]}c`, 'name', 'eth0');
        await ipIn(ctx, ns, 'addr', 'add', `${c.ip}/24`, 'dev', 'eth0');
        await ipIn(ctx, ns, 'link', 'set', 'eth0', 'up');
        await ipIn(ctx, n.host, 'link', 'set', `${n[c.veth]}h`, 'master', n.bridge, 'up');
        await ipIn(ctx, ns, 'route', 'add', 'default', 'via', BRIDGE_IP);
      }
      await ipIn(ctx, n.c1, 'addr', 'show', 'dev', 'eth0');
      await ipIn(ctx, n.c1, 'route', 'show');
      await must(ctx, ['ip', '-br', 'link', 'show'], 'the machine itself');
      const eth0 = (ns: string): Eth0 => ({ link: addrs(ns, 'eth0')!, routes: routes(ns) });
      s.eth0 = {
        c1: eth0(n.c1),
        c2: eth0(n.c2),
        machineMacs: links().map((l) => l.address ?? ''),
        labHostMacs: links(n.host).map((l) => l.address ?? ''),
        ports: CONTAINERS.map((c) => links(n.host).find((l) => l.ifname === `${n[c.veth]}h`)!).filter(Boolean),
      };
    },
    checks: [
      {
        id: 'eth0-inside-only',
        description: "Each container's eth0 (found by its MAC address) exists inside its namespace only: neither the machine nor the lab's host namespace has it.",
        evaluate: (s) => {
          const e = s.eth0!;
          const rows = CONTAINERS.map((c) => ({ c, l: e[c.key].link }));
          const outside = (mac: string | undefined) => mac !== undefined && (e.machineMacs.includes(mac) || e.labHostMacs.includes(mac));
          return {
            observed: rows.map(({ c, l }) => `${c.key} eth0 ${l.address ?? '?'} ${ipv4(l).join(' ')}${outside(l.address) ? ' (ALSO OUTSIDE)' : ''}`).join('; '),
            expected: rows.map(({ c }) => `${c.key} eth0 <mac> ${c.ip}/24`).join('; ') + ', each MAC seen nowhere else',
            pass: rows.every(({ c, l }) => l.ifname === 'eth0' && l.address !== undefined && ipv4(l).includes(`${c.ip}/24`) && !outside(l.address)),
          };
        },
      },
      {
        id: 'default-route',
        description: `The route table inside each container has its subnet on eth0 and the default route via the bridge (${BRIDGE_IP}).`,
        evaluate: (s) => {
          const rows = CONTAINERS.map((c) => ({ c, r: s.eth0![c.key].routes }));
          return {
            observed: rows.map(({ c, r }) => `${c.key}: ${r.map((x) => `${x.dst}${x.gateway ? ` via ${x.gateway}` : ''} dev ${x.dev}`).join(', ')}`).join('; '),
            expected: `default via ${BRIDGE_IP} dev eth0, ${NET} dev eth0`,
            pass: rows.every(({ r }) => r.some((x) => isDefaultVia(x, BRIDGE_IP) && x.dev === 'eth0') && r.some((x) => x.dst === NET && x.dev === 'eth0')),
          };
        },
      },
      {
        id: 'peers-on-bridge',
        description: `The host end of every pair is a port of ${BRIDGE_SHOWN}.`,
        evaluate: (s) => ({
          observed: s.eth0!.ports.map((p) => `${p.ifname} master ${p.master ?? 'none'}`).join(', ') || 'no ports',
          expected: CONTAINERS.map((c) => `${s.n![c.veth]}h master ${s.n!.bridge}`).join(', '),
          pass: s.eth0!.ports.length === CONTAINERS.length && s.eth0!.ports.every((p) => p.master === s.n!.bridge),
        }),
      },
    ],
  },
  {
    id: 'resolv-conf',
    title: { en: 'A resolv.conf per namespace', zh: '每个 namespace 一份 resolv.conf' },
    explain: {
      en: 'A network namespace has no files of its own. ip netns exec NAME starts the command in a private mount namespace and bind-mounts every file of /etc/netns/NAME over /etc, so the container sees its own resolv.conf while the host\'s is untouched. 8.8.8.8 is only written there: nothing in this lab can reach it, and nothing asks it.',
      zh: 'network namespace 本身没有文件。ip netns exec NAME 会在一个私有的 mount namespace 里运行命令,并把 /etc/netns/NAME 下的每个文件 bind mount 到 /etc 上,于是容器看到自己的 resolv.conf,宿主机的保持不变。8.8.8.8 只是写在文件里:本实验里没有任何东西能到达它,也不会去查询它。',
    },
    article: 'mkdir -p /etc/netns/ns1; echo "nameserver 8.8.8.8" > /etc/netns/ns1/resolv.conf',
    modern: 'mkdir -p /etc/netns/nslab-<token>-c1; echo "nameserver 8.8.8.8" > /etc/netns/nslab-<token>-c1/resolv.conf; ip netns exec nslab-<token>-c1 cat /etc/resolv.conf',
    async run(ctx, s) {
      const n = s.n!;
      for (const ns of [n.c1, n.c2]) {
        const dir = `/etc/netns/${ns}`;
        // mkdir of an existing folder fails: that one is not ours and stays.
        ctx.cleanup.createSync({ kind: 'netnsConf', name: ns }, `resolv.conf folder ${dir}`, () => makeNetnsConf(ns, `${RESOLV}\n`));
        ctx.transcript({ command: `mkdir -p ${dir} && echo "${RESOLV}" > ${dir}/resolv.conf`, output: '', where: 'host' });
      }
      const inside = await must(ctx, ['ip', 'netns', 'exec', n.c1, 'cat', '/etc/resolv.conf']);
      s.resolv = { inside: inside.trim(), hostAfter: readFileSync('/etc/resolv.conf', 'utf8') };
    },
    checks: [
      {
        id: 'resolv-inside',
        description: "Inside the container /etc/resolv.conf is the namespace's own file; the machine's /etc/resolv.conf is byte-for-byte unchanged.",
        evaluate: (s) => ({
          observed: `inside: "${s.resolv!.inside}"; machine's file ${s.resolv!.hostAfter === s.before!.resolv ? 'unchanged' : 'CHANGED'}`,
          expected: `inside: "${RESOLV}"; machine's file unchanged`,
          pass: s.resolv!.inside === RESOLV && s.resolv!.hostAfter === s.before!.resolv,
        }),
      },
    ],
  },
  {
    id: 'ping',
    title: { en: 'Container 1 reaches the bridge and container 2', zh: '容器 1 能访问网桥和容器 2' },
    explain: {
      en: 'Pings stay on the lab subnet: to the bridge address (the gateway) and to the second container, whose frames the bridge switches from one port to the other. The bridge\'s forwarding table then lists both containers\' MAC addresses, each behind its own port: proof that the traffic went through it.',
      zh: 'ping 只在实验网段内:一次发往网桥地址(网关),一次发往第二个容器,后者的帧由网桥从一个端口转发到另一个端口。之后网桥的转发表里会有两个容器的 MAC 地址,各在自己的端口后面:证明流量确实经过了它。',
    },
    article: '(the article stops at the route; docker exec <c> ping 192.168.10.1)',
    modern: `ip netns exec nslab-<token>-c1 ping -c 3 -i 0.2 -W 1 ${BRIDGE_IP}; ip netns exec nslab-<token>-c1 ping -c 3 -i 0.2 -W 1 192.168.10.12`,
    async run(ctx, s) {
      const n = s.n!;
      const ping = async (target: string) => {
        const r = await shown(ctx, `ip netns exec ${n.c1} ${PING.join(' ')} ${target}`, [which('ip') ?? '/sbin/ip', 'netns', 'exec', n.c1, ...PING, target]);
        return parsePing(r.stdout);
      };
      const bridge = await ping(BRIDGE_IP);
      const c2 = await ping(CONTAINERS[1].ip);
      await must(ctx, ['bridge', '-n', n.host, 'fdb', 'show', 'br', n.bridge, 'dynamic']);
      s.ping = { bridge, c2, fdb: query<{ mac: string; ifname: string }[]>(n.host, ['fdb', 'show', 'br', n.bridge], 'bridge') };
    },
    checks: [
      {
        id: 'ping-bridge',
        description: `Container 1 reaches the bridge address ${BRIDGE_IP}: every ping answered (0 % loss).`,
        evaluate: (s) => ({ observed: s.ping!.bridge.text, expected: 'n packets transmitted, n received', pass: lossless(s.ping!.bridge) }),
      },
      {
        id: 'ping-container',
        description: `Container 1 reaches container 2 (${CONTAINERS[1].ip}): every ping answered (0 % loss).`,
        evaluate: (s) => ({ observed: s.ping!.c2.text, expected: 'n packets transmitted, n received', pass: lossless(s.ping!.c2) }),
      },
      {
        id: 'through-bridge',
        description: "The bridge learned each container's eth0 MAC address behind that container's port.",
        evaluate: (s) => {
          const want = CONTAINERS.map((c) => ({ mac: s.eth0![c.key].link.address, port: `${s.n![c.veth]}h` }));
          const found = want.map((w) => s.ping!.fdb.some((f) => f.mac === w.mac && f.ifname === w.port));
          return {
            observed: want.map((w, i) => `${w.mac} ${found[i] ? `on ${w.port}` : 'not learned'}`).join(', '),
            expected: want.map((w) => `${w.mac} on ${w.port}`).join(', '),
            pass: found.every(Boolean),
          };
        },
      },
    ],
  },
  {
    id: 'eth1',
    title: { en: 'A second NIC (eth1) for the running container', zh: '给运行中的容器再加一块网卡 eth1' },
    explain: {
      en: 'Network devices can be moved into a namespace at any time, also one whose processes are already running: the article moves peerB into a container by its PID. Here a container process runs in namespace c1 and a new veth end is moved to it by PID, renamed eth1 and given 192.168.20.11/24; its peer stays in the lab\'s host namespace as 192.168.20.1. Its packet counters show the ping really used eth1.',
      zh: '网络设备随时都可以移进一个 namespace,哪怕其中的进程已经在运行:原文按 PID 把 peerB 移进容器。这里一个容器进程在 c1 中运行,一个新的 veth 端按 PID 移给它,改名为 eth1,配上 192.168.20.11/24;另一端留在实验的宿主机 namespace 里,地址 192.168.20.1。它的包计数器证明 ping 确实走了 eth1。',
    },
    article: 'ip link add peerA type veth peer name peerB; brctl addif docker0 peerA; ip link set peerA up; ip link set peerB netns ${container-pid}',
    modern: `ip -n nslab-<token>-host link add nslab-<token>-v3c type veth peer name nslab-<token>-v3h; ip -n nslab-<token>-host link set nslab-<token>-v3c netns <PID>; ip -n nslab-<token>-c1 link set dev nslab-<token>-v3c name eth1`,
    async run(ctx, s) {
      const n = s.n!;
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
        const ipBin = which('ip') ?? '/sbin/ip';
        const seen = await shown(ctx, 'ip -br addr show eth1', [ipBin, '-br', 'addr', 'show', 'eth1'], { container: c, actions: inNet });
        const stats = () => query<Link[]>(n.c1, ['-s', 'link', 'show', 'dev', 'eth1'])[0]?.stats64;
        const before = stats();
        const pingBin = which('ping') ?? '/bin/ping';
        const r = await shown(ctx, `${PING.join(' ')} ${ETH1_HOST_IP}`, [pingBin, ...PING.slice(1), ETH1_HOST_IP], { container: c, actions: inNet });
        const after = stats();
        s.eth1 = {
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
        evaluate: (s) => ({
          observed: `container ${s.eth1!.containerPid} net:[${s.eth1!.containerNet}] (c1 net:[${s.eth1!.c1Net}]) sees: ${s.eth1!.seen}`,
          expected: `the container in c1's namespace sees eth1 ... ${ETH1_IP}/24`,
          pass: s.eth1!.containerNet === s.eth1!.c1Net && /^eth1(@\S+)?\s+UP\s/.test(s.eth1!.seen) && s.eth1!.seen.includes(`${ETH1_IP}/24`),
        }),
      },
      {
        id: 'eth1-works',
        description: `Pings from the container to ${ETH1_HOST_IP} over eth1 are all answered, and eth1's own counters grew by at least the pings sent and received.`,
        evaluate: (s) => {
          const p = s.eth1!.ping;
          return {
            observed: `${p.text}; eth1 sent ${s.eth1!.tx} and received ${s.eth1!.rx} packets meanwhile`,
            expected: `${p.sent} packets transmitted, ${p.sent} received; eth1 counters +${p.sent} or more each way`,
            pass: lossless(p) && s.eth1!.tx >= p.sent && s.eth1!.rx >= p.received,
          };
        },
      },
    ],
  },
  {
    id: 'machine-untouched',
    title: { en: "The machine's own network was never touched", zh: '机器自己的网络从未被改动' },
    explain: {
      en: 'Everything above happened in namespaces the lab made. The machine\'s interfaces, routes and policy rules are compared with what they were before the lab; and no lab namespace has a way out: the lab\'s host namespace has no default route at all, and the containers\' only gateway is the bridge.',
      zh: '以上所有操作都发生在实验自己创建的 namespace 里。这里把机器的网卡、路由和策略规则与实验开始前对比;而且没有任何实验 namespace 能通到外面:实验的宿主机 namespace 根本没有默认路由,容器唯一的网关就是网桥。',
    },
    modern: 'ip link; ip route show table all; ip rule   # compared with the start',
    async run(ctx, s) {
      const n = s.n!;
      await must(ctx, ['ip', '-n', n.host, 'route', 'show']);
      const all = [n.host, n.c1, n.c2];
      s.after = {
        host: hostNet(),
        labLinks: Object.fromEntries(all.map((ns) => [ns, links(ns).map((l) => l.ifname)])),
        labRoutes: Object.fromEntries(all.map((ns) => [ns, routes(ns)])),
      };
    },
    checks: [
      {
        id: 'machine-unchanged',
        description: "The machine's interfaces (names and MAC addresses), routes (all tables, IPv4 and IPv6), policy rules and resolv.conf are exactly as before the lab.",
        evaluate: (s) => {
          const diff = (['links', 'routes', 'rules', 'resolv'] as const).filter((k) => JSON.stringify(s.before![k]) !== JSON.stringify(s.after!.host[k]));
          return {
            observed: diff.length === 0 ? `identical (${s.after!.host.links.length} interfaces)` : `changed: ${diff.join(', ')}`,
            expected: 'identical',
            pass: diff.length === 0,
          };
        },
      },
      {
        id: 'no-way-out',
        description: `No lab namespace can send beyond the lab: their links are only lo, eth0/eth1 and nslab-* devices, and every route stays in ${NET} or ${ETH1_NET} (the containers' default goes to the bridge; the lab host has none).`,
        evaluate: (s) => {
          const n = s.n!;
          const okLink = (name: string) => name === 'lo' || name === 'eth0' || name === 'eth1' || name.startsWith('nslab-');
          const okRoute = (ns: string, r: Route) =>
            r.dst === NET || r.dst === ETH1_NET || (ns !== n.host && isDefaultVia(r, BRIDGE_IP));
          const bad: string[] = [];
          for (const [ns, ls] of Object.entries(s.after!.labLinks)) for (const l of ls) if (!okLink(l)) bad.push(`${ns}: link ${l}`);
          for (const [ns, rs] of Object.entries(s.after!.labRoutes)) for (const r of rs) if (!okRoute(ns, r)) bad.push(`${ns}: route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`);
          return {
            observed: bad.length === 0 ? `${Object.values(s.after!.labRoutes).flat().length} routes and ${Object.values(s.after!.labLinks).flat().length} links, all inside the lab` : bad.join('; '),
            expected: 'all inside the lab',
            pass: bad.length === 0 && Object.keys(s.after!.labRoutes).length === 3,
          };
        },
      },
    ],
  },
];

export const lab: Lab<State> = {
  id: '08-network',
  title: { en: 'Network namespace, veth and a bridge', zh: 'Network namespace、veth 与网桥' },
  card: {
    problem: {
      en: 'Containers need their own interfaces, addresses, ports, routes and firewall rules: two web servers must both be able to listen on port 80 without seeing each other\'s traffic.',
      zh: '容器需要自己的网卡、地址、端口、路由和防火墙规则:两个 Web 服务器都要能监听 80 端口,又互相看不到对方的流量。',
    },
    tradeoff: {
      en: 'Complete isolation of the network stack, but an empty one: someone has to wire it (veth, bridge, routes, NAT), and every hop through a bridge and veth costs some CPU compared with the host network.',
      zh: '网络栈隔离得很彻底,但是空的:必须有人来接线(veth、网桥、路由、NAT);而且与直接用宿主机网络相比,每经过一次网桥和 veth 都要多花一些 CPU。',
    },
    usedBy: {
      en: 'Docker\'s bridge network (docker0 and a veth per container), Kubernetes CNI plugins (bridge, Calico, Cilium), LXC\'s lxcbr0, systemd-nspawn --network-veth, ip netns for testing.',
      zh: 'Docker 的 bridge 网络(docker0 加每个容器一个 veth)、Kubernetes 的 CNI 插件(bridge、Calico、Cilium)、LXC 的 lxcbr0、systemd-nspawn --network-veth、用 ip netns 做测试。',
    },
    parts: {
      en: 'clone/unshare(CLONE_NEWNET), ip netns (named namespaces under /run/netns, files from /etc/netns), veth pairs, a bridge, addresses and routes; NAT and port mapping (iptables/nftables) on a real host.',
      zh: 'clone/unshare(CLONE_NEWNET)、ip netns(/run/netns 下的命名 namespace,/etc/netns 中的文件)、veth 对、网桥、地址与路由;真实环境中还有 NAT 与端口映射(iptables/nftables)。',
    },
    kernel: {
      en: 'Each struct net has its own devices, routing tables, netfilter rules, sockets and /proc/sys/net; a device belongs to exactly one net namespace and can be moved (IFLA_NET_NS_PID/FD over netlink, which ip uses).',
      zh: '每个 struct net 拥有自己的设备、路由表、netfilter 规则、socket 和 /proc/sys/net;一个设备只属于一个 network namespace,可以通过 netlink(IFLA_NET_NS_PID/FD,ip 命令就是这么做的)移动。',
    },
    alternatives: {
      en: 'macvlan/ipvlan give containers addresses on the physical network without a bridge; --network host shares the host stack; slirp4netns and pasta give rootless containers user-space networking; Open vSwitch replaces the Linux bridge.',
      zh: 'macvlan/ipvlan 不经网桥就让容器拿到物理网络上的地址;--network host 直接共用宿主机网络栈;slirp4netns 与 pasta 为 rootless 容器提供用户态网络;Open vSwitch 可以替代 Linux 网桥。',
    },
  },
  requirements: [
    ...basics,
    namespaces('net', 'uts', 'mnt'),
    tool('ip', 'iproute2'),
    tool('bridge', 'iproute2'),
    tool('ping', 'iputils-ping'),
    kernelNet(),
  ],
  init: () => ({}),
  steps,
  shell: {
    // Wire the network as the lab does, then a shell in container 1: its own hostname, its
    // network namespace, and its resolv.conf bound over /etc/resolv.conf as ip netns exec does.
    async open(ctx: StepContext, s: State) {
      for (const id of ['netns', 'bridge', 'veth', 'resolv-conf']) await steps.find((st) => st.id === id)!.run(ctx, s);
      const c1 = s.n!.c1;
      return interactive(ctx, {
        labId: '08-network',
        namespaces: ['uts', 'mnt'],
        actions: [
          { do: 'makePrivate', path: '/' },
          { do: 'setns', path: `/run/netns/${c1}`, ns: 'net' },
          { do: 'sethostname', name: 'nslab-c1' },
          { do: 'mount', source: `/etc/netns/${c1}/resolv.conf`, target: '/etc/resolv.conf', flags: ['bind'] },
        ],
      });
    },
  },
};
