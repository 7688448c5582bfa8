// The wiring of lab 08 (namespaces, bridge, veth pairs, resolv.conf) and its four steps. The
// wiring functions are shared with `nslab shell`, which builds the same network without the
// steps' observations.
import { readFileSync, statSync } from 'node:fs';
import { nsInode } from '../../addon/index.js';
import { must, step, useNetnsDirs, type StepContext } from '../../runner/kit/index.js';
import {
  BRIDGE_SHOWN, BRIDGE_IP, NET,
  addrs, hostNet, ipIn, links, makeNetnsConf, names, query, routes,
  type HostNet, type Link, type Names, type Route,
} from './net.js';

export const CONTAINERS = [
  { key: 'c1', ip: '192.168.10.11', veth: 'v1' },
  { key: 'c2', ip: '192.168.10.12', veth: 'v2' },
] as const;
export const RESOLV = 'nameserver 8.8.8.8';

/** A container's eth0 as `ip -j addr` shows it, and the container's route table. */
export interface Eth0 {
  readonly link: Link;
  readonly routes: Route[];
}

/** The three lab namespaces, and the machine's network before anything was made. */
export interface Netns {
  readonly names: Names;
  /** The machine's own network before the lab (compared at the end). */
  readonly before: HostNet;
  /** nslab's own net namespace inode: the machine's. */
  readonly hostNetInode: number;
  /** What `ip netns list` printed. */
  readonly listed: string;
  /** By namespace name: the inode of /run/netns/NAME. */
  readonly inodes: Record<string, number>;
}

export interface Bridge {
  /** The bridge's real name (it carries the run's token). */
  readonly bridge: string;
  /** `ip -d link` of the bridge in the lab's host namespace, with its addresses. */
  readonly link: Link;
  /** Does the machine's own namespace have a link of that name? */
  readonly inMachine: boolean;
}

export interface Veth {
  readonly names: Names;
  readonly c1: Eth0;
  readonly c2: Eth0;
  /** MAC addresses of every link of the machine, and of the lab's host namespace. */
  readonly machineMacs: string[];
  readonly labHostMacs: string[];
  /** The host ends of the pairs found in the lab's host namespace. */
  readonly ports: Link[];
}

export interface Resolv {
  /** /etc/resolv.conf as `ip netns exec c1 cat` printed it, trimmed. */
  readonly inside: string;
  /** The machine's /etc/resolv.conf before the lab and after this step. */
  readonly hostBefore: string;
  readonly hostAfter: string;
}

export const inode = (ns: string) => statSync(`/run/netns/${ns}`).ino;
export const ipv4 = (l: Link | undefined) => (l?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
export const isDefaultVia = (r: Route, gw: string) => r.dst === 'default' && r.gateway === gw;

/** The lab's "host" and two container namespaces, each with its loopback up. */
async function makeNamespaces(ctx: StepContext, n: Names): Promise<void> {
  // Undone last: /run/netns and /etc/netns go back to how they were once our entries are gone.
  ctx.cleanup.createSync({ kind: 'netnsDirs' }, '/run/netns and /etc/netns as before the first run that used them', () => useNetnsDirs(ctx.cleanup.run.dir), {
    keepOnFailure: true,
  });
  for (const ns of [n.host, n.c1, n.c2]) {
    // `ip netns add` refuses a name that exists: such a namespace is not ours and stays.
    await ctx.cleanup.create({ kind: 'netns', name: ns }, `network namespace ${ns}`, () => must(ctx, ['ip', 'netns', 'add', ns]));
  }
  for (const ns of [n.host, n.c1, n.c2]) await ipIn(ctx, ns, 'link', 'set', 'lo', 'up');
}

async function makeBridge(ctx: StepContext, n: Names): Promise<void> {
  await ipIn(ctx, n.host, 'link', 'add', n.bridge, 'type', 'bridge', 'stp_state', '0');
  await ipIn(ctx, n.host, 'addr', 'add', `${BRIDGE_IP}/24`, 'dev', n.bridge);
  await ipIn(ctx, n.host, 'link', 'set', n.bridge, 'up');
}

/** A veth pair per container: eth0 inside with its address and default route, the peer on the bridge. */
async function plugContainers(ctx: StepContext, n: Names): Promise<void> {
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
}

/** /etc/netns/NAME/resolv.conf for both containers (ip netns exec binds it over /etc/resolv.conf). */
function writeResolv(ctx: StepContext, n: Names): void {
  for (const ns of [n.c1, n.c2]) {
    const dir = `/etc/netns/${ns}`;
    // mkdir of an existing folder fails: that one is not ours and stays.
    ctx.cleanup.createSync({ kind: 'netnsConf', name: ns }, `resolv.conf folder ${dir}`, () => makeNetnsConf(ns, `${RESOLV}\n`));
    ctx.transcript({ command: `mkdir -p ${dir} && echo "${RESOLV}" > ${dir}/resolv.conf`, output: '', where: 'host' });
  }
}

/** The network of steps netns to resolv-conf, for `nslab shell`. */
export async function wire(ctx: StepContext): Promise<Names> {
  const n = names(ctx);
  await makeNamespaces(ctx, n);
  await makeBridge(ctx, n);
  await plugContainers(ctx, n);
  writeResolv(ctx, n);
  return n;
}

export const netns = step<Netns>({
  id: 'netns',
  title: { en: 'Three network namespaces: a "host" and two containers', zh: '三个 network namespace:一个"宿主机"和两个容器' },
  explain: {
    en: 'ip netns add creates an empty network stack and keeps it alive by bind-mounting its namespace file under /run/netns. Even the "host" side of this lab is such a namespace, so the machine\'s real interfaces, routes and firewall are never touched. A new stack has only a loopback, and it is down.',
    zh: 'ip netns add 创建一个空的网络栈,并把它的 namespace 文件 bind mount 到 /run/netns 下让它一直存在。本实验连"宿主机"一侧也是这样一个 namespace,所以机器真实的网卡、路由和防火墙都不会被碰到。新的网络栈只有一个 loopback,而且是关闭的。',
  },
  article: 'ip netns add ns1; ip netns exec ns1 ip link set dev lo up',
  modern: 'ip netns add nslab-<token>-c1; ip -n nslab-<token>-c1 link set lo up',
  async run(ctx) {
    const n = names(ctx);
    const before = hostNet();
    const hostNetInode = nsInode('self', 'net');
    await makeNamespaces(ctx, n);
    const listed = (await must(ctx, ['ip', 'netns', 'list'])).stdout;
    return { names: n, before, hostNetInode, listed, inodes: Object.fromEntries([n.host, n.c1, n.c2].map((ns) => [ns, inode(ns)])) };
  },
  checks: [
    {
      id: 'netns-created',
      description: 'The three namespaces are listed by ip netns list, each with its own net namespace inode, none of them the machine\'s.',
      evaluate: (o) => {
        const inodes = Object.entries(o.inodes);
        const distinct = new Set([...inodes.map(([, i]) => i), o.hostNetInode]).size === inodes.length + 1;
        return {
          observed: `${inodes.map(([ns, i]) => `${ns}${o.listed.includes(ns) ? '' : ' (not listed)'} net:[${i}]`).join(', ')}; machine net:[${o.hostNetInode}]`,
          expected: '3 listed namespaces with 4 different inodes in all',
          pass: inodes.length === 3 && inodes.every(([ns]) => new RegExp(`^${ns}\\b`, 'm').test(o.listed)) && distinct,
        };
      },
    },
  ],
});

export const bridge = step<Bridge>({
  id: 'bridge',
  title: { en: `A bridge (the article's lxcbr0) at ${BRIDGE_IP}/24`, zh: `网桥(原文的 lxcbr0),地址 ${BRIDGE_IP}/24` },
  explain: {
    en: 'A Linux bridge is a software switch: it learns which MAC address sits behind which port and forwards frames between ports. Giving the bridge itself an address makes it the gateway of the subnet, as docker0 is. The article used brctl and ifconfig (bridge-utils, net-tools), both retired in favour of iproute2\'s ip; STP stays off because this switch has no loops.',
    zh: 'Linux 网桥就是一个软件交换机:它学习每个 MAC 地址在哪个端口后面,并在端口之间转发帧。给网桥本身配置地址,它就成了这个网段的网关,就像 docker0。原文用的 brctl 与 ifconfig(bridge-utils、net-tools)都已被 iproute2 的 ip 取代;这个交换机没有环路,所以关闭 STP。',
  },
  article: `brctl addbr lxcbr0; brctl stp lxcbr0 off; ifconfig lxcbr0 ${BRIDGE_IP}/24 up`,
  modern: `ip -n nslab-<token>-host link add ${BRIDGE_SHOWN} type bridge stp_state 0; ip -n nslab-<token>-host addr add ${BRIDGE_IP}/24 dev ${BRIDGE_SHOWN}; ip -n nslab-<token>-host link set ${BRIDGE_SHOWN} up`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    await makeBridge(ctx, n);
    await ipIn(ctx, n.host, 'addr', 'show', 'dev', n.bridge);
    const link = { ...query<Link[]>(n.host, ['-d', 'link', 'show', 'dev', n.bridge])[0]!, addr_info: addrs(n.host, n.bridge)?.addr_info ?? [] };
    return { bridge: n.bridge, link, inMachine: links().some((l) => l.ifname === n.bridge) };
  },
  checks: [
    {
      id: 'bridge-up',
      description: `The bridge ${BRIDGE_SHOWN} is up in the lab's "host" namespace with ${BRIDGE_IP}/24 and STP off.`,
      evaluate: (o) => {
        const l = o.link;
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
      evaluate: (o) => ({
        observed: o.inMachine ? `${o.bridge} present on the machine` : `no ${o.bridge} on the machine`,
        expected: `no ${o.bridge} on the machine`,
        pass: !o.inMachine,
      }),
    },
  ],
});

export const veth = step<Veth>({
  id: 'veth',
  title: { en: 'veth pairs: eth0 inside each container, the peer on the bridge', zh: 'veth 对:容器里是 eth0,另一端接在网桥上' },
  explain: {
    en: 'A veth pair is a cable with two ends: a frame sent into one comes out of the other. One end is moved into the container\'s namespace and renamed eth0 (a name that would clash on the host is free there); the other end is plugged into the bridge. With an address and a default route via the bridge, the container has a network. The second container gets the same, one address further.',
    zh: 'veth 对就像一根网线的两头:从一头发进去的帧从另一头出来。一头被移进容器的 namespace 并改名为 eth0(在宿主机上会冲突的名字在那里可以用),另一头插到网桥上。配上地址和经由网桥的默认路由,容器就有了网络。第二个容器同样配置,地址加一。',
  },
  article: 'ip link add veth-ns1 type veth peer name lxcbr0.1; ip link set veth-ns1 netns ns1; ip netns exec ns1 ip link set dev veth-ns1 name eth0; ip netns exec ns1 ifconfig eth0 192.168.10.11/24 up; brctl addif lxcbr0 lxcbr0.1; ip netns exec ns1 ip route add default via 192.168.10.1',
  modern: `ip -n nslab-<token>-host link add nslab-<token>-v1c type veth peer name nslab-<token>-v1h; ip -n nslab-<token>-host link set nslab-<token>-v1c netns nslab-<token>-c1; ip -n nslab-<token>-c1 link set dev nslab-<token>-v1c name eth0; ip -n nslab-<token>-c1 addr add 192.168.10.11/24 dev eth0; ip -n nslab-<token>-c1 link set eth0 up; ip -n nslab-<token>-host link set nslab-<token>-v1h master ${BRIDGE_SHOWN} up; ip -n nslab-<token>-c1 route add default via ${BRIDGE_IP}`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    await plugContainers(ctx, n);
    await ipIn(ctx, n.c1, 'addr', 'show', 'dev', 'eth0');
    await ipIn(ctx, n.c1, 'route', 'show');
    await must(ctx, ['ip', '-br', 'link', 'show'], { where: 'the machine itself' });
    const eth0 = (ns: string): Eth0 => ({ link: addrs(ns, 'eth0')!, routes: routes(ns) });
    const hostLinks = links(n.host);
    return {
      names: n,
      c1: eth0(n.c1),
      c2: eth0(n.c2),
      machineMacs: links().map((l) => l.address ?? ''),
      labHostMacs: hostLinks.map((l) => l.address ?? ''),
      ports: CONTAINERS.map((c) => hostLinks.find((l) => l.ifname === `${n[c.veth]}h`)).filter((l): l is Link => l !== undefined),
    };
  },
  checks: [
    {
      id: 'eth0-inside-only',
      description: "Each container's eth0 (found by its MAC address) exists inside its namespace only: neither the machine nor the lab's host namespace has it.",
      evaluate: (o) => {
        const rows = CONTAINERS.map((c) => ({ c, l: o[c.key].link }));
        const outside = (mac: string | undefined) => mac !== undefined && (o.machineMacs.includes(mac) || o.labHostMacs.includes(mac));
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
      evaluate: (o) => {
        const rows = CONTAINERS.map((c) => ({ c, r: o[c.key].routes }));
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
      evaluate: (o) => ({
        observed: o.ports.map((p) => `${p.ifname} master ${p.master ?? 'none'}`).join(', ') || 'no ports',
        expected: CONTAINERS.map((c) => `${o.names[c.veth]}h master ${o.names.bridge}`).join(', '),
        pass: o.ports.length === CONTAINERS.length && o.ports.every((p) => p.master === o.names.bridge),
      }),
    },
  ],
});

export const resolvConf = step<Resolv>({
  id: 'resolv-conf',
  title: { en: 'A resolv.conf per namespace', zh: '每个 namespace 一份 resolv.conf' },
  explain: {
    en: 'A network namespace has no files of its own. ip netns exec NAME starts the command in a private mount namespace and bind-mounts every file of /etc/netns/NAME over /etc, so the container sees its own resolv.conf while the host\'s is untouched. 8.8.8.8 is only written there: nothing in this lab can reach it, and nothing asks it.',
    zh: 'network namespace 本身没有文件。ip netns exec NAME 会在一个私有的 mount namespace 里运行命令,并把 /etc/netns/NAME 下的每个文件 bind mount 到 /etc 上,于是容器看到自己的 resolv.conf,宿主机的保持不变。8.8.8.8 只是写在文件里:本实验里没有任何东西能到达它,也不会去查询它。',
  },
  article: 'mkdir -p /etc/netns/ns1; echo "nameserver 8.8.8.8" > /etc/netns/ns1/resolv.conf',
  modern: 'mkdir -p /etc/netns/nslab-<token>-c1; echo "nameserver 8.8.8.8" > /etc/netns/nslab-<token>-c1/resolv.conf; ip netns exec nslab-<token>-c1 cat /etc/resolv.conf',
  async run(ctx) {
    const { names: n, before } = ctx.observed(netns);
    writeResolv(ctx, n);
    const inside = await must(ctx, ['ip', 'netns', 'exec', n.c1, 'cat', '/etc/resolv.conf']);
    return { inside: inside.stdout.trim(), hostBefore: before.resolv, hostAfter: readFileSync('/etc/resolv.conf', 'utf8') };
  },
  checks: [
    {
      id: 'resolv-inside',
      description: "Inside the container /etc/resolv.conf is the namespace's own file; the machine's /etc/resolv.conf is byte-for-byte unchanged.",
      evaluate: (o) => ({
        observed: `inside: "${o.inside}"; machine's file ${o.hostAfter === o.hostBefore ? 'unchanged' : 'CHANGED'}`,
        expected: `inside: "${RESOLV}"; machine's file unchanged`,
        pass: o.inside === RESOLV && o.hostAfter === o.hostBefore,
      }),
    },
  ],
});
