// The wiring of lab 08 (namespaces, bridge, veth pairs, resolv.conf) and its four steps. The
// wiring functions are shared with `nslab shell`, which builds the same network without the
// steps' observations.
import { readFileSync, statSync } from 'node:fs';
import { nsInode } from '../../addon/index.js';
import { WHERE, must, step, t, useNetnsDirs, type StepContext } from '../../runner/kit/index.js';
import {
  BRIDGE_SHOWN, BRIDGE_IP, NET, OFF_NET,
  addrs, hostNet, ipIn, links, makeNetnsConf, names, query, routeTo,
  type HostNet, type Link, type Names, type Route,
} from './net.js';

export const CONTAINERS = [
  { key: 'c1', ip: '192.168.10.11', veth: 'v1' },
  { key: 'c2', ip: '192.168.10.12', veth: 'v2' },
] as const;
export const RESOLV = 'nameserver 8.8.8.8';

/** A container's eth0 as `ip -j addr` shows it, and the kernel's way to a neighbour and to an address off the subnet. */
export interface Eth0 {
  readonly link: Link;
  /** `ip route get` of the other container's address (on the subnet: no gateway). */
  readonly toNeighbour?: Route;
  /** `ip route get 203.0.113.1` (off the subnet: via the bridge). */
  readonly toOffNet?: Route;
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
  /** The route table of the lab's host namespace once the bridge has its address. */
  readonly routes: Route[];
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
  /** The host ends of the pairs found in the lab's host namespace (`ip -d link`: port state, promiscuity). */
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
  ctx.cleanup.createSync(
    { kind: 'netnsDirs' },
    t('/run/netns and /etc/netns as before the first run that used them', '/run/netns 与 /etc/netns（恢复到第一次使用它们之前的样子）'),
    () => useNetnsDirs(ctx.cleanup.run.dir),
    {
      keepOnFailure: true,
    },
  );
  for (const ns of [n.host, n.c1, n.c2]) {
    // `ip netns add` refuses a name that exists: such a namespace is not ours and stays.
    await ctx.cleanup.create({ kind: 'netns', name: ns }, t(`network namespace ${ns}`, `实验的 network namespace ${ns}`), () => must(ctx, ['ip', 'netns', 'add', ns]));
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
    ctx.cleanup.createSync({ kind: 'netnsConf', name: ns }, t(`resolv.conf folder ${dir}`, `resolv.conf 所在目录 ${dir}`), () => makeNetnsConf(ns, `${RESOLV}\n`));
    ctx.transcript({ command: `mkdir -p ${dir} && echo "${RESOLV}" > ${dir}/resolv.conf`, output: '', where: WHERE.host });
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
  title: { en: 'Three network namespaces: a "host" and two containers', zh: '三个 network namespace：一个“宿主机”和两个容器' },
  explain: {
    en: 'ip netns add creates an empty network stack and keeps it alive by bind-mounting its namespace file under /run/netns. Even the "host" side of this lab is such a namespace, so the machine\'s real interfaces, routes and firewall are never touched. A new stack has only a loopback, and it is down.',
    zh: 'ip netns add 创建一个空的网络栈，并把它的 namespace 文件绑定挂载到 /run/netns 下，让它一直存在。本实验连“宿主机”一侧也是这样一个 namespace，所以机器真实的网卡、路由和防火墙都不会被碰到。新的网络栈只有一个 loopback，而且是关闭的。',
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
      description: {
        en: "The three namespaces are listed by ip netns list, each with its own net namespace inode, none of them the machine's.",
        zh: '三个 namespace 都出现在 ip netns list 中，各有自己的 net namespace inode，且都不是机器本身的那个。',
      },
      evaluate: (o) => {
        const inodes = Object.entries(o.inodes);
        const distinct = new Set([...inodes.map(([, i]) => i), o.hostNetInode]).size === inodes.length + 1;
        const row = (ns: string, i: number, lang: 'en' | 'zh') =>
          `${ns}${o.listed.includes(ns) ? '' : lang === 'en' ? ' (not listed)' : '（未列出）'} net:[${i}]`;
        return {
          observed: t(
            `${inodes.map(([ns, i]) => row(ns, i, 'en')).join(', ')}; machine net:[${o.hostNetInode}]`,
            `${inodes.map(([ns, i]) => row(ns, i, 'zh')).join('，')}；机器本身 net:[${o.hostNetInode}]`,
          ),
          expected: t('3 listed namespaces with 4 different inodes in all', '列出 3 个 namespace，连同机器本身共 4 个不同的 inode'),
          pass: inodes.length === 3 && inodes.every(([ns]) => new RegExp(`^${ns}\\b`, 'm').test(o.listed)) && distinct,
        };
      },
    },
  ],
});

export const routeText = (r: Route | undefined) =>
  r === undefined ? 'unreachable' : `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.protocol ? ` proto ${r.protocol}` : ''}${r.prefsrc ? ` src ${r.prefsrc}` : ''}`;

export const bridge = step<Bridge>({
  id: 'bridge',
  title: { en: `A bridge (the article's lxcbr0) at ${BRIDGE_IP}/24`, zh: `网桥（原文的 lxcbr0），地址 ${BRIDGE_IP}/24` },
  explain: {
    en: 'A Linux bridge is a software switch: it learns which MAC address sits behind which port and forwards frames between ports. Giving the bridge itself an address makes it the gateway of the subnet, as docker0 is: the kernel then adds the route to the subnet by itself. The article used brctl and ifconfig (bridge-utils, net-tools), both retired in favour of iproute2\'s ip; STP stays off because this switch has no loops.',
    zh: 'Linux 网桥就是一个软件交换机：它学习每个 MAC 地址在哪个端口后面，并在端口之间转发帧。给网桥本身配置地址，它就成了这个网段的网关，就像 docker0；内核随之自动加上通往该网段的路由。原文用的 brctl 与 ifconfig（bridge-utils、net-tools）都已被 iproute2 的 ip 取代；这个交换机没有环路，所以关闭 STP。',
  },
  article: `brctl addbr lxcbr0; brctl stp lxcbr0 off; ifconfig lxcbr0 ${BRIDGE_IP}/24 up`,
  modern: `ip -n nslab-<token>-host link add ${BRIDGE_SHOWN} type bridge stp_state 0; ip -n nslab-<token>-host addr add ${BRIDGE_IP}/24 dev ${BRIDGE_SHOWN}; ip -n nslab-<token>-host link set ${BRIDGE_SHOWN} up`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    await makeBridge(ctx, n);
    await ipIn(ctx, n.host, 'addr', 'show', 'dev', n.bridge);
    const link = query<Link[]>(n.host, ['-d', 'addr', 'show', 'dev', n.bridge])[0]!; // link details and addresses in one query
    // What nslab just set, read back: shown, not judged (the pings of step ping judge the address).
    const stp = String(link.linkinfo?.info_data?.stp_state);
    ctx.log(
      t(
        `as set: kind ${link.linkinfo?.info_kind}, ${ipv4(link).join(' ') || 'no IPv4'}, stp_state ${stp}`,
        `nslab 所设置的值：类型 ${link.linkinfo?.info_kind}，${ipv4(link).join(' ') || '没有 IPv4 地址'}，stp_state ${stp}`,
      ),
    );
    const routes = await ipIn(ctx, n.host, 'route', 'show').then(() => query<Route[]>(n.host, ['route', 'show']));
    return { bridge: n.bridge, link, routes, inMachine: links().some((l) => l.ifname === n.bridge) };
  },
  checks: [
    {
      id: 'bridge-route',
      description: {
        en: `The kernel made the bridge the lab host's way to ${NET}: it added the subnet's route (proto kernel) on ${BRIDGE_SHOWN}, with ${BRIDGE_IP} as source, and the bridge is UP.`,
        zh: `内核让网桥成为实验宿主机通往 ${NET} 的出口：它自动在 ${BRIDGE_SHOWN} 上加了该网段的路由（proto kernel），源地址为 ${BRIDGE_IP}，并且网桥处于 UP 状态。`,
      },
      evaluate: (o) => {
        const r = o.routes.find((x) => x.dst === NET);
        const up = o.link.flags?.includes('UP') === true;
        return {
          observed: t(
            `${r ? `route ${routeText(r)}` : `no route to ${NET}`}; bridge ${up ? 'UP' : 'down'}`,
            `${r ? `路由 ${routeText(r)}` : `没有通往 ${NET} 的路由`}；网桥 ${up ? 'UP' : '未启用'}`,
          ),
          expected: t(`route ${NET} dev ${o.bridge} proto kernel src ${BRIDGE_IP}; bridge UP`, `路由 ${NET} dev ${o.bridge} proto kernel src ${BRIDGE_IP}；网桥 UP`),
          pass: r !== undefined && r.dev === o.bridge && r.protocol === 'kernel' && r.prefsrc === BRIDGE_IP && !r.gateway && up,
        };
      },
    },
    {
      id: 'bridge-not-on-machine',
      description: { en: "The machine's own network namespace has no such bridge.", zh: '机器自己的 network namespace 里没有这个网桥。' },
      evaluate: (o) => ({
        observed: o.inMachine ? t(`${o.bridge} present on the machine`, `机器上有 ${o.bridge}`) : t(`no ${o.bridge} on the machine`, `机器上没有 ${o.bridge}`),
        expected: t(`no ${o.bridge} on the machine`, `机器上没有 ${o.bridge}`),
        pass: !o.inMachine,
      }),
    },
  ],
});

export const veth = step<Veth>({
  id: 'veth',
  title: { en: 'veth pairs: eth0 inside each container, the peer on the bridge', zh: 'veth 对：容器里是 eth0，另一端接在网桥上' },
  explain: {
    en: 'A veth pair is a cable with two ends: a frame sent into one comes out of the other. One end is moved into the container\'s namespace and renamed eth0 (a name that would clash on the host is free there); the other end is plugged into the bridge, and the kernel switches every bridge port to promiscuous mode, since a switch port must take in frames for MAC addresses that are not its own. With an address and a default route via the bridge, the container has a network. The second container gets the same, one address further.',
    zh: 'veth 对就像一根网线的两头：从一头发进去的帧从另一头出来。一头被移进容器的 namespace 并改名为 eth0（在宿主机上会冲突的名字在那里可以用），另一头插到网桥上；内核会把网桥的每个端口都切换到混杂模式，因为交换机端口必须接收目的 MAC 地址不是自己的帧。配上地址和经由网桥的默认路由，容器就有了网络。第二个容器同样配置，地址加一。',
  },
  article: 'ip link add veth-ns1 type veth peer name lxcbr0.1; ip link set veth-ns1 netns ns1; ip netns exec ns1 ip link set dev veth-ns1 name eth0; ip netns exec ns1 ifconfig eth0 192.168.10.11/24 up; brctl addif lxcbr0 lxcbr0.1; ip netns exec ns1 ip route add default via 192.168.10.1',
  modern: `ip -n nslab-<token>-host link add nslab-<token>-v1c type veth peer name nslab-<token>-v1h; ip -n nslab-<token>-host link set nslab-<token>-v1c netns nslab-<token>-c1; ip -n nslab-<token>-c1 link set dev nslab-<token>-v1c name eth0; ip -n nslab-<token>-c1 addr add 192.168.10.11/24 dev eth0; ip -n nslab-<token>-c1 link set eth0 up; ip -n nslab-<token>-host link set nslab-<token>-v1h master ${BRIDGE_SHOWN} up; ip -n nslab-<token>-c1 route add default via ${BRIDGE_IP}`,
  async run(ctx) {
    const n = ctx.observed(netns).names;
    await plugContainers(ctx, n);
    await ipIn(ctx, n.c1, 'addr', 'show', 'dev', 'eth0');
    await ipIn(ctx, n.c1, 'route', 'show');
    await ipIn(ctx, n.c1, 'route', 'get', OFF_NET);
    await must(ctx, ['ip', '-br', 'link', 'show'], { where: t('the machine itself', '机器本身') });
    const eth0 = (ns: string, other: string): Eth0 => {
      const toNeighbour = routeTo(ns, other);
      const toOffNet = routeTo(ns, OFF_NET);
      return { link: addrs(ns, 'eth0')!, ...(toNeighbour ? { toNeighbour } : {}), ...(toOffNet ? { toOffNet } : {}) };
    };
    const hostLinks = query<Link[]>(n.host, ['-d', 'link', 'show']);
    const o: Veth = {
      names: n,
      c1: eth0(n.c1, CONTAINERS[1].ip),
      c2: eth0(n.c2, CONTAINERS[0].ip),
      machineMacs: links().map((l) => l.address ?? ''),
      labHostMacs: hostLinks.map((l) => l.address ?? ''),
      ports: CONTAINERS.map((c) => hostLinks.find((l) => l.ifname === `${n[c.veth]}h`)).filter((l): l is Link => l !== undefined),
    };
    // The addresses nslab gave, read back: shown, not judged (the pings judge them).
    for (const c of CONTAINERS)
      ctx.log(t(`as set: ${c.key} eth0 ${ipv4(o[c.key].link).join(' ') || 'no IPv4'}`, `nslab 所设置的值：${c.key} 的 eth0 ${ipv4(o[c.key].link).join(' ') || '没有 IPv4 地址'}`));
    return o;
  },
  checks: [
    {
      id: 'eth0-inside-only',
      description: {
        en: "Each container's eth0 (found by its MAC address) exists inside its namespace only: neither the machine nor the lab's host namespace has it.",
        zh: '每个容器的 eth0（按 MAC 地址追踪）只存在于它自己的 namespace 中：机器本身和实验的宿主机 namespace 都没有它。',
      },
      evaluate: (o) => {
        const rows = CONTAINERS.map((c) => ({ c, l: o[c.key].link }));
        const outside = (mac: string | undefined) => mac !== undefined && (o.machineMacs.includes(mac) || o.labHostMacs.includes(mac));
        const row = ({ c, l }: (typeof rows)[number], lang: 'en' | 'zh') =>
          lang === 'en'
            ? `${c.key} ${l.ifname} ${l.address ?? '(no MAC)'}${outside(l.address) ? ' (ALSO OUTSIDE)' : ''}`
            : `${c.key} 的 ${l.ifname} ${l.address ?? '（没有 MAC 地址）'}${outside(l.address) ? '（外面也有）' : ''}`;
        return {
          observed: t(rows.map((r) => row(r, 'en')).join('; '), rows.map((r) => row(r, 'zh')).join('；')),
          expected: t(
            `${rows.map(({ c }) => `${c.key} eth0 <mac>`).join('; ')}, each MAC seen nowhere else`,
            `${rows.map(({ c }) => `${c.key} 的 eth0 <mac>`).join('；')}，每个 MAC 在别处都看不到`,
          ),
          pass: rows.every(({ l }) => l.ifname === 'eth0' && l.address !== undefined && !outside(l.address)),
        };
      },
    },
    {
      id: 'default-route',
      description: {
        en: `The kernel's route lookup inside each container sends the other container's address straight out of eth0, and an address off the subnet (${OFF_NET}, nothing is sent) via the bridge ${BRIDGE_IP}.`,
        zh: `在每个容器里，内核的路由查找把另一个容器的地址直接从 eth0 发出，而把网段外的地址（${OFF_NET}，并不真的发送）交给网桥 ${BRIDGE_IP}。`,
      },
      evaluate: (o) => {
        const rows = CONTAINERS.map((c) => ({ c, e: o[c.key] }));
        const ok = ({ e }: (typeof rows)[number]) =>
          e.toNeighbour?.dev === 'eth0' &&
          e.toNeighbour.gateway === undefined &&
          e.toOffNet?.dev === 'eth0' &&
          e.toOffNet.gateway === BRIDGE_IP;
        const other = (c: (typeof CONTAINERS)[number]) => CONTAINERS.find((x) => x.key !== c.key)!;
        const en = (c: (typeof CONTAINERS)[number], a: string, b: string) => `${c.key}: to ${other(c).key} ${a}, off the subnet ${b}`;
        const zh = (c: (typeof CONTAINERS)[number], a: string, b: string) => `${c.key} 到 ${other(c).key}：${a}，到网段外：${b}`;
        const want = (c: (typeof CONTAINERS)[number]) => [`${other(c).ip} dev eth0`, `${OFF_NET} via ${BRIDGE_IP} dev eth0`] as const;
        return {
          observed: t(
            rows.map(({ c, e }) => en(c, routeText(e.toNeighbour), routeText(e.toOffNet))).join('; '),
            rows.map(({ c, e }) => zh(c, routeText(e.toNeighbour), routeText(e.toOffNet))).join('；'),
          ),
          expected: t(CONTAINERS.map((c) => en(c, ...want(c))).join('; '), CONTAINERS.map((c) => zh(c, ...want(c))).join('；')),
          pass: rows.every(ok),
        };
      },
    },
    {
      id: 'peers-on-bridge',
      description: {
        en: `The kernel made the host end of every pair a port of ${BRIDGE_SHOWN}: in forwarding state and in promiscuous mode (promiscuity 1 or more).`,
        zh: `内核把每对 veth 在宿主机一侧的那一端变成了 ${BRIDGE_SHOWN} 的端口：处于 forwarding 状态，并且处于混杂模式（promiscuity 至少为 1）。`,
      },
      evaluate: (o) => {
        const want = CONTAINERS.map((c) => `${o.names[c.veth]}h`);
        const port = (p: Link, lang: 'en' | 'zh') =>
          lang === 'en'
            ? `${p.ifname}: master ${p.master ?? 'none'}, state ${p.linkinfo?.info_slave_data?.state ?? 'none'}, promiscuity ${p.promiscuity ?? '?'}`
            : `${p.ifname}：所属网桥 ${p.master ?? '无'}，状态 ${p.linkinfo?.info_slave_data?.state ?? '无'}，promiscuity ${p.promiscuity ?? '?'}`;
        const good = (p: Link) =>
          p.master === o.names.bridge && p.linkinfo?.info_slave_kind === 'bridge' && p.linkinfo.info_slave_data?.state === 'forwarding' && (p.promiscuity ?? 0) >= 1;
        return {
          observed: o.ports.length > 0 ? t(o.ports.map((p) => port(p, 'en')).join('; '), o.ports.map((p) => port(p, 'zh')).join('；')) : t('no ports', '没有端口'),
          expected: t(
            want.map((w) => `${w}: master ${o.names.bridge}, state forwarding, promiscuity ≥ 1`).join('; '),
            want.map((w) => `${w}：所属网桥 ${o.names.bridge}，状态 forwarding，promiscuity ≥ 1`).join('；'),
          ),
          pass: want.every((w) => o.ports.some((p) => p.ifname === w && good(p))),
        };
      },
    },
  ],
});

export const resolvConf = step<Resolv>({
  id: 'resolv-conf',
  title: { en: 'A resolv.conf per namespace', zh: '每个 namespace 一份 resolv.conf' },
  explain: {
    en: 'A network namespace has no files of its own. ip netns exec NAME starts the command in a private mount namespace and bind-mounts every file of /etc/netns/NAME over /etc, so the container sees its own resolv.conf while the host\'s is untouched. 8.8.8.8 is only written there: nothing in this lab can reach it, and nothing asks it.',
    zh: 'network namespace 本身没有文件。ip netns exec NAME 会在一个私有的 mount namespace 里运行命令，并把 /etc/netns/NAME 下的每个文件绑定挂载到 /etc 上，于是容器看到自己的 resolv.conf，宿主机的保持不变。8.8.8.8 只是写在文件里：本实验里没有任何东西能到达它，也不会去查询它。',
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
      description: {
        en: "Inside the container /etc/resolv.conf is the namespace's own file; the machine's /etc/resolv.conf is byte-for-byte unchanged.",
        zh: '容器里的 /etc/resolv.conf 是这个 namespace 自己的文件；机器本身的 /etc/resolv.conf 一个字节都没变。',
      },
      evaluate: (o) => {
        const same = o.hostAfter === o.hostBefore;
        return {
          observed: t(
            `inside: "${o.inside}"; machine's file ${same ? 'unchanged' : 'CHANGED'}`,
            `容器内：“${o.inside}”；机器本身的文件${same ? '未变' : '被改动了'}`,
          ),
          expected: t(`inside: "${RESOLV}"; machine's file unchanged`, `容器内：“${RESOLV}”；机器本身的文件未变`),
          pass: o.inside === RESOLV && same,
        };
      },
    },
  ],
});
