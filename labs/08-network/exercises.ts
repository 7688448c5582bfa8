// 08-network, by hand: inside the playground's own network namespace (which reaches nothing) the
// learner makes network namespaces, wires them with veth pairs (and a bridge), and pings across.
// The checks enter each namespace the learner made — named ones under the playground's
// /run/netns, and any a process of the playground sits in — and ask its kernel: `ip -j -s -d
// addr` for the devices, and /proc/net/snmp for the ICMP echoes that really arrived there.
import { readdirSync, statSync } from 'node:fs';
import { run } from '../../addon/index.js';
import { exercise, program, t, tool, type PlaygroundView, type Text } from '../../runner/kit/index.js';
import type { Link } from './net.js';

/** A device as `ip -j -s -d addr` prints it, with the fields the checks read. */
export interface NetDev extends Link {
  readonly ifindex: number;
  /** The peer of a veth in another namespace (its ifindex there), or in this one (its name). */
  readonly link_index?: number;
  readonly link?: string;
  readonly operstate?: string;
}

/** ICMP counters of one network namespace (/proc/net/snmp read there). */
export interface Echoes {
  readonly inEchos: number;
  readonly inEchoReps: number;
  readonly outEchos: number;
  readonly outEchoReps: number;
}

export interface NetnsSeen {
  readonly inode: number;
  /** How the learner knows it: its name under /run/netns, or the process that sits in it. */
  readonly label: string;
  /** How to run a command there, as the learner would type it: "ip netns exec a", "nsenter -t 5 -n" ("" for the playground's). */
  readonly exec: string;
  /** `ip` there: "ip -n a", "nsenter -t 5 -n ip", "ip". */
  readonly ip: string;
  readonly devs: readonly NetDev[];
  readonly icmp: Echoes;
}

export interface NetWorld {
  /** The playground's own network namespace (a bridge may live there). */
  readonly playground: NetnsSeen;
  /** Every other network namespace the learner made. */
  readonly mine: readonly NetnsSeen[];
}

const NO_ECHOES: Echoes = { inEchos: 0, inEchoReps: 0, outEchos: 0, outEchoReps: 0 };

export function parseSnmp(text: string): Echoes {
  const rows = text.split('\n').filter((l) => l.startsWith('Icmp:'));
  if (rows.length < 2) return NO_ECHOES;
  const keys = rows[0]!.split(/\s+/).slice(1);
  const values = rows[1]!.split(/\s+/).slice(1).map(Number);
  const get = (k: string) => values[keys.indexOf(k)] ?? 0;
  return { inEchos: get('InEchos'), inEchoReps: get('InEchoReps'), outEchos: get('OutEchos'), outEchoReps: get('OutEchoReps') };
}

/** Run a host tool inside the network namespace behind `nsPath` (quietly; its output only). */
async function inNet(nsPath: string, argv: readonly string[]): Promise<string> {
  const r = await run({ argv: [program(argv[0]!), ...argv.slice(1)], actions: [{ do: 'setns', path: nsPath, ns: 'net' }], stdio: ['null', 'pipe', 'pipe'] });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} in ${nsPath}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

interface Where {
  readonly path: string;
  readonly label: string;
  readonly exec: string;
  readonly ip: string;
}

async function look(w: Where, inode: number): Promise<NetnsSeen> {
  const nsPath = w.path;
  const devs = JSON.parse((await inNet(nsPath, ['ip', '-j', '-s', '-d', 'addr', 'show'])).trim() || '[]') as NetDev[];
  // /proc/net is /proc/self/net: the namespace of the reader, which is the one we entered.
  const icmp = parseSnmp(await inNet(nsPath, ['cat', '/proc/net/snmp']));
  return { inode, label: w.label, exec: w.exec, ip: w.ip, devs, icmp };
}

async function netWorld(pg: PlaygroundView): Promise<NetWorld> {
  const found = new Map<number, Where>();
  const dir = pg.hostPath('/run/netns');
  let entries: string[] = [];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    // no /run/netns: no named namespaces
  }
  for (const name of entries) {
    const path = `${dir}/${name}`;
    try {
      const ino = statSync(path).ino;
      if (ino !== pg.ns.net && !found.has(ino)) found.set(ino, { path, label: name, exec: `ip netns exec ${name}`, ip: `ip -n ${name}` });
    } catch {
      // removed meanwhile
    }
  }
  for (const p of pg.processes())
    if (p.ns.net !== 0 && p.ns.net !== pg.ns.net && !found.has(p.ns.net)) found.set(p.ns.net, { path: `/proc/${p.pid}/ns/net`, label: `${p.comm}[${p.inside}]`, exec: `nsenter -t ${p.inside} -n`, ip: `nsenter -t ${p.inside} -n ip` });
  const mine: NetnsSeen[] = [];
  for (const [ino, f] of found) {
    try {
      mine.push(await look(f, ino));
    } catch {
      // a namespace that went away while we looked
    }
  }
  const playground = await look({ path: `/proc/${pg.init}/ns/net`, label: 'playground', exec: '', ip: 'ip' }, pg.ns.net);
  return { playground, mine };
}

const isVeth = (d: NetDev) => d.linkinfo?.info_kind === 'veth';
const isUp = (d: NetDev) => (d.flags ?? []).includes('UP');
const ipv4 = (d: NetDev) => (d.addr_info ?? []).filter((a) => a.family === 'inet');
const rx = (d: NetDev) => d.stats64?.rx.packets ?? 0;

/** One end of a veth pair: the device and the namespace it is in. */
export interface End {
  readonly ns: NetnsSeen;
  readonly dev: NetDev;
}

/** The peer of a veth end: in another namespace, the veth whose ifindex and peer index cross with it. */
function peerOf(w: NetWorld, e: End): End | undefined {
  const all = [w.playground, ...w.mine];
  if (e.dev.link !== undefined) {
    const d = e.ns.devs.find((x) => x.ifname === e.dev.link);
    return d ? { ns: e.ns, dev: d } : undefined;
  }
  for (const ns of all) {
    if (ns.inode === e.ns.inode) continue;
    const d = ns.devs.find((x) => isVeth(x) && x.ifindex === e.dev.link_index && x.link_index === e.dev.ifindex);
    if (d) return { ns, dev: d };
  }
  return undefined;
}

const vethsIn = (ns: NetnsSeen): End[] => ns.devs.filter(isVeth).map((dev) => ({ ns, dev }));
const named = (e: End) => `${e.dev.ifname}@${e.ns.label}`;

/** Both IPv4 addresses of two ends in one subnet (the shorter prefix decides). */
function sameSubnet(a: NetDev, b: NetDev): boolean {
  const num = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  for (const x of ipv4(a))
    for (const y of ipv4(b)) {
      const len = Math.min(x.prefixlen, y.prefixlen);
      const block = 2 ** (32 - len);
      if (x.local !== y.local && Math.floor(num(x.local) / block) === Math.floor(num(y.local) / block)) return true;
    }
  return false;
}

const addrs = (e: End) => (ipv4(e.dev).length === 0 ? '-' : ipv4(e.dev).map((a) => `${a.local}/${a.prefixlen}`).join(' '));
const endText = (e: End) => `${named(e)} ${isUp(e.dev) ? 'UP' : 'DOWN'} ${addrs(e)}`;

/** What is wrong with two ends that should talk: the most specific thing first (undefined: nothing). */
function endsProblem(a: End, b: End): Text | undefined {
  for (const e of [a, b])
    if (ipv4(e.dev).length === 0)
      return t(
        `${e.dev.ifname} in ${e.ns.label} has no IPv4 address: ${e.ns.ip} addr add 10.0.0.X/24 dev ${e.dev.ifname}`,
        `${e.ns.label} 里的 ${e.dev.ifname} 没有 IPv4 地址：${e.ns.ip} addr add 10.0.0.X/24 dev ${e.dev.ifname}`,
      );
  for (const e of [a, b])
    if (!isUp(e.dev))
      return t(`${e.dev.ifname} in ${e.ns.label} is down: ${e.ns.ip} link set ${e.dev.ifname} up`, `${e.ns.label} 里的 ${e.dev.ifname} 是关闭的：${e.ns.ip} link set ${e.dev.ifname} up`);
  if (!sameSubnet(a.dev, b.dev))
    return t(
      `${addrs(a)} and ${addrs(b)} are not two addresses of one subnet: give both ends addresses like 10.0.0.1/24 and 10.0.0.2/24.`,
      `${addrs(a)} 与 ${addrs(b)} 不是同一网段里的两个地址：给两端配上 10.0.0.1/24 和 10.0.0.2/24 这样的地址。`,
    );
  return undefined;
}


/** The first IPv4 address of an end, for a hint's ping command. */
const v4 = (e: End) => ipv4(e.dev)[0]?.local ?? 'ADDRESS';

/** Echo requests from `near` arrived in `far`, and the replies came back to `near`. */
const echoedTo = (near: NetnsSeen, far: NetnsSeen) => far.icmp.inEchos > 0 && near.icmp.inEchoReps > 0;

const counters = (e: End) => `${e.ns.label}: InEchos ${e.ns.icmp.inEchos} InEchoReps ${e.ns.icmp.inEchoReps} OutEchos ${e.ns.icmp.outEchos}, ${e.dev.ifname} rx ${rx(e.dev)}`;

/** Judge two ends that should have exchanged a ping: which way went, or the most specific reason none did. */
function echoOutcome(pair: readonly [End, End] | undefined) {
  if (pair === undefined)
    return {
      observed: '-',
      expected: t('an echo request that arrived on the far side, and its reply', '一个到达对端的回显请求，以及它的应答'),
      pass: false,
      hint: t('there are no two connected ends to ping across yet (see above).', '还没有两个连通的端点可以互相 ping（见上面）。'),
    };
  const [a, b] = pair;
  const pass = echoedTo(a.ns, b.ns) || echoedTo(b.ns, a.ns);
  const hint = pass
    ? undefined
    : a.ns.icmp.inEchos === 0 && b.ns.icmp.inEchos === 0
      ? t(
          `no echo request has reached ${a.ns.label} or ${b.ns.label} yet: ping from one to the other, e.g. ${a.ns.exec} ping -c 3 ${v4(b)}`,
          `还没有任何回显请求到达 ${a.ns.label} 或 ${b.ns.label}：从一端 ping 另一端，例如 ${a.ns.exec} ping -c 3 ${v4(b)}`,
        )
      : (a.ns.icmp.inEchos > 0 && a.ns.icmp.inEchoReps > 0 && b.ns.icmp.inEchos === 0) || (b.ns.icmp.inEchos > 0 && b.ns.icmp.inEchoReps > 0 && a.ns.icmp.inEchos === 0)
        ? t(
            'the echo requests that arrived came from the same namespace (a ping of its own address goes through lo, not the veth): ping the other side\'s address.',
            '到达的回显请求来自同一个 namespace（ping 自己的地址走的是 lo，不经过 veth）：请 ping 对端的地址。',
          )
        : t(
            'echo requests arrived, but no reply came back to the side that sent them: look at both ends\' addresses and routes (ip route).',
            '回显请求到达了，但发送的一端没有收到应答：检查两端的地址和路由（ip route）。',
          );
  return {
    observed: `${counters(a)}; ${counters(b)}`,
    expected: t('InEchos > 0 on the far side, InEchoReps > 0 on the side that pinged', '对端 InEchos > 0，发起 ping 的一端 InEchoReps > 0'),
    pass,
    ...(hint !== undefined ? { hint } : {}),
  };
}

const score = (a: End, b: End) =>
  (ipv4(a.dev).length > 0 ? 1 : 0) + (ipv4(b.dev).length > 0 ? 1 : 0) + (isUp(a.dev) && isUp(b.dev) ? 2 : 0) + (sameSubnet(a.dev, b.dev) ? 4 : 0) + (echoedTo(a.ns, b.ns) || echoedTo(b.ns, a.ns) ? 8 : 0);

const best = <T>(items: readonly T[], by: (x: T) => number): T | undefined => [...items].sort((x, y) => by(y) - by(x))[0];

// ---------------------------------------------------------------------------------------------
// veth-ping: two namespaces, one cable.

export interface VethWorld extends NetWorld {
  /** The best veth pair whose ends are in two of the learner's namespaces. */
  readonly pair?: readonly [End, End];
}

async function vethWorld(pg: PlaygroundView): Promise<VethWorld> {
  const w = await netWorld(pg);
  const mineIno = new Set(w.mine.map((n) => n.inode));
  const pairs: [End, End][] = [];
  for (const ns of w.mine)
    for (const e of vethsIn(ns)) {
      const p = peerOf(w, e);
      if (p && p.ns.inode !== ns.inode && mineIno.has(p.ns.inode) && ns.inode < p.ns.inode) pairs.push([e, p]);
    }
  const pair = best(pairs, (p) => score(p[0], p[1]));
  return pair ? { ...w, pair } : w;
}

const nsList = (w: NetWorld) =>
  w.mine.length === 0 ? '-' : w.mine.map((n) => `${n.label} net:[${n.inode}] (${n.devs.map((d) => d.ifname).join(' ')})`).join(', ');

const twoNetns = {
  id: 'two-netns',
  description: t("At least two network namespaces of your own exist besides the playground's.", '除了练习场自己的，至少还有两个你创建的 network namespace。'),
  evaluate: (w: NetWorld) => {
    const pass = w.mine.length >= 2;
    return {
      observed: nsList(w),
      expected: t(`two namespaces other than net:[${w.playground.inode}]`, `两个 net:[${w.playground.inode}] 以外的 namespace`),
      pass,
      ...(pass
        ? {}
        : {
            hint:
              w.mine.length === 0
                ? t("no network namespace besides the playground's: ip netns add a; ip netns add b", '除了练习场自己的，没有别的 network namespace：ip netns add a; ip netns add b')
                : t(`only ${w.mine[0]!.label} so far: make a second one (ip netns add b). The playground's own namespace does not count.`, `目前只有 ${w.mine[0]!.label}：再建一个（ip netns add b）。练习场自己的 namespace 不算。`),
          }),
    };
  },
};

/** Why no veth joins two of the learner's namespaces: the most specific reason. */
function pairHint(w: NetWorld): Text {
  for (const ns of w.mine)
    for (const e of vethsIn(ns)) {
      const p = peerOf(w, e);
      if (p === undefined) continue;
      if (p.ns.inode === w.playground.inode)
        return t(
          `the other end of ${named(e)} (${p.dev.ifname}) is still in the playground's own namespace: move it into your second namespace: ip link set ${p.dev.ifname} netns b`,
          `${named(e)} 的另一端（${p.dev.ifname}）还在练习场自己的 namespace 里：把它移进你的第二个 namespace：ip link set ${p.dev.ifname} netns b`,
        );
      if (p.ns.inode === ns.inode)
        return t(
          `both ends of the veth pair ${e.dev.ifname}/${p.dev.ifname} are in ${ns.label}: move one into your other namespace: ${ns.ip} link set ${p.dev.ifname} netns b`,
          `veth 对 ${e.dev.ifname}/${p.dev.ifname} 的两端都在 ${ns.label} 里：把其中一端移进另一个 namespace：${ns.ip} link set ${p.dev.ifname} netns b`,
        );
    }
  const loose = vethsIn(w.playground)[0];
  if (loose !== undefined)
    return t(
      `the veth ${loose.dev.ifname} is in the playground's own namespace: move one end into each of your namespaces (ip link set NAME netns a).`,
      `veth ${loose.dev.ifname} 在练习场自己的 namespace 里：把两端分别移进你的两个 namespace（ip link set 名字 netns a）。`,
    );
  return t('no veth pair yet: ip link add va netns a type veth peer name vb netns b', '还没有 veth 对：ip link add va netns a type veth peer name vb netns b');
}

export const vethPing = exercise<VethWorld>({
  id: 'veth-ping',
  kind: 'do',
  title: t('Two namespaces, one veth cable, one ping', '两个 namespace、一根 veth 线、一次 ping'),
  task: t(
    "Make two network namespaces of your own (ip netns add, or processes started with unshare --net), join them with a veth pair (one end in each), give each end an IPv4 address in one subnet, bring both up, and ping from one namespace to the other. check reads each namespace's devices and its kernel's ICMP counters: the echo requests must have arrived on the far side and the replies must have come back.",
    '创建两个你自己的 network namespace（用 ip netns add，或用 unshare --net 启动的进程），用一对 veth 连接它们（每边一端），给两端配上同一网段的 IPv4 地址，把两端都启用，然后从一个 namespace ping 另一个。check 会读取每个 namespace 的设备和内核的 ICMP 计数器：回显请求必须到达了对端，应答也必须回来了。',
  ),
  hints: [
    t(
      'A new network namespace has only lo, and it is down. A veth pair is a cable: what goes in one end comes out of the other, even when the ends are in different namespaces.',
      '新的 network namespace 只有 lo，而且是关闭的。veth 对就是一根网线：从一端进去的包会从另一端出来，即使两端在不同的 namespace 里。',
    ),
    t(
      'ip link add va netns a type veth peer name vb netns b puts one end in each; ip -n a addr add …/24 dev va and ip -n a link set va up configure an end.',
      'ip link add va netns a type veth peer name vb netns b 把两端各放进一个 namespace；ip -n a addr add …/24 dev va 和 ip -n a link set va up 配置其中一端。',
    ),
    t(
      'ip netns add a; ip netns add b; ip link add va netns a type veth peer name vb netns b; ip -n a addr add 10.0.0.1/24 dev va; ip -n b addr add 10.0.0.2/24 dev vb; ip -n a link set va up; ip -n b link set vb up; ip netns exec a ping -c 3 10.0.0.2',
      '完整的命令：ip netns add a; ip netns add b; ip link add va netns a type veth peer name vb netns b; ip -n a addr add 10.0.0.1/24 dev va; ip -n b addr add 10.0.0.2/24 dev vb; ip -n a link set va up; ip -n b link set vb up; ip netns exec a ping -c 3 10.0.0.2',
    ),
  ],
  looksAt: t(
    "the network namespaces under the playground's /run/netns and those of its processes: ip -j -s -d addr in each, and its /proc/net/snmp (Icmp InEchos, InEchoReps)",
    '练习场 /run/netns 下的 network namespace 以及它的进程所在的 network namespace：在每一个里运行 ip -j -s -d addr，并读取它的 /proc/net/snmp（Icmp 的 InEchos、InEchoReps）',
  ),
  requirements: [tool('ping', 'iputils-ping')],
  observe: vethWorld,
  conditions: [
    twoNetns,
    {
      id: 'veth-pair',
      description: t('A veth pair has one end in each of two of your namespaces.', '有一对 veth 的两端分别位于你的两个 namespace 里。'),
      evaluate: (w) => ({
        observed: w.pair ? `${named(w.pair[0])} ↔ ${named(w.pair[1])}` : '-',
        expected: t('a veth end in one namespace whose peer is in the other', '一个 namespace 里的 veth 端，其对端在另一个 namespace 里'),
        pass: w.pair !== undefined,
        ...(w.pair === undefined ? { hint: pairHint(w) } : {}),
      }),
    },
    {
      id: 'ends-ready',
      description: t('Both ends are up and have IPv4 addresses in one subnet.', '两端都已启用，并且有同一网段的 IPv4 地址。'),
      evaluate: (w) => {
        const problem = w.pair ? endsProblem(w.pair[0], w.pair[1]) : t('there is no veth pair between your namespaces yet.', '你的 namespace 之间还没有 veth 对。');
        return {
          observed: w.pair ? `${endText(w.pair[0])}; ${endText(w.pair[1])}` : '-',
          expected: t('both UP, e.g. 10.0.0.1/24 and 10.0.0.2/24', '两端都是 UP，例如 10.0.0.1/24 和 10.0.0.2/24'),
          pass: problem === undefined,
          ...(problem !== undefined ? { hint: problem } : {}),
        };
      },
    },
    {
      id: 'echo-arrived',
      description: t(
        "An echo request crossed the veth: the far namespace's kernel counted it (Icmp InEchos) and the pinging one got the reply (InEchoReps).",
        '有回显请求穿过了 veth：对端 namespace 的内核计到了它（Icmp InEchos），发起 ping 的一端收到了应答（InEchoReps）。',
      ),
      evaluate: (w) => echoOutcome(w.pair),
    },
  ],
  solution: `ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec a ping -c 1 -W 2 10.0.0.2`,
  nearMisses: [
    {
      id: 'no-address',
      what: t('a veth pair, up, without addresses', '有 veth 对，也启用了，但没有地址'),
      script: `ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a link set va up
ip -n b link set vb up`,
      fails: 'ends-ready',
      hint: 'has no IPv4 address',
    },
    {
      id: 'link-down',
      what: t('addresses on both ends, but the links were never brought up', '两端都有地址，但从没启用'),
      script: `ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip netns exec a ping -c 1 -W 1 10.0.0.2`,
      fails: 'ends-ready',
      hint: 'is down',
    },
    {
      id: 'never-pinged',
      what: t('everything wired, but no ping was sent', '线都接好了，却没有发出 ping'),
      script: `ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up`,
      fails: 'echo-arrived',
      hint: 'no echo request has reached',
    },
    {
      id: 'ping-self',
      what: t('pings its own address instead of the other side', 'ping 的是自己的地址，而不是对端'),
      script: `ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip -n a link set lo up
ip netns exec a ping -c 1 -W 1 10.0.0.1`,
      fails: 'echo-arrived',
      hint: 'came from the same namespace',
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// bridge: two namespaces plugged into one bridge, like the lab's containers.

export interface BridgeWorld extends NetWorld {
  /** The bridge found (the best one), and the namespace it is in. */
  readonly bridge?: End;
  /** Per namespace of the learner's (not the bridge's): its veth end whose peer sits in the bridge's namespace. */
  readonly plugs: readonly { readonly end: End; readonly port: End }[];
  /** The two plugged ends the ping is judged between. */
  readonly pair?: readonly [End, End];
}

async function bridgeWorld(pg: PlaygroundView): Promise<BridgeWorld> {
  const w = await netWorld(pg);
  const all = [w.playground, ...w.mine];
  const bridges: End[] = all.flatMap((ns) => ns.devs.filter((d) => d.linkinfo?.info_kind === 'bridge').map((dev) => ({ ns, dev })));
  const plugsOf = (br: End) =>
    w.mine
      .filter((ns) => ns.inode !== br.ns.inode)
      .flatMap((ns) =>
        vethsIn(ns)
          .map((end) => ({ end, port: peerOf(w, end) }))
          .filter((x): x is { end: End; port: End } => x.port !== undefined && x.port.ns.inode === br.ns.inode),
      );
  const onBridge = (br: End) => (p: { port: End }) => p.port.dev.master === br.dev.ifname;
  const bridge = best(bridges, (br) => (isUp(br.dev) ? 100 : 0) + plugsOf(br).filter(onBridge(br)).length);
  const plugs = bridge ? plugsOf(bridge) : w.mine.flatMap((ns) => vethsIn(ns).map((end) => ({ end, port: peerOf(w, end) })).filter((x): x is { end: End; port: End } => x.port !== undefined && x.port.ns.inode !== ns.inode));
  const ported = bridge ? plugs.filter(onBridge(bridge)) : [];
  const pairs: [End, End][] = [];
  for (const x of ported) for (const y of ported) if (x.end.ns.inode < y.end.ns.inode) pairs.push([x.end, y.end]);
  const pair = best(pairs, (p) => score(p[0], p[1]));
  return { ...w, plugs, ...(bridge ? { bridge } : {}), ...(pair ? { pair } : {}) };
}

const plugText = (b: BridgeWorld) =>
  b.plugs.length === 0 ? '-' : b.plugs.map((p) => `${named(p.end)} ↔ ${named(p.port)}${p.port.dev.master ? ` master ${p.port.dev.master}` : ''} ${isUp(p.port.dev) ? 'UP' : 'DOWN'}`).join(', ');

export const bridged = exercise<BridgeWorld>({
  id: 'bridge',
  kind: 'do',
  title: t('Two namespaces on one bridge', '两个 namespace 接在同一个网桥上'),
  task: t(
    "Do what Docker does for two containers: make a bridge (in the playground's own namespace, or in a namespace of its own) and bring it up; make two network namespaces, and plug each into the bridge with a veth pair (one end in the namespace, the other a port of the bridge, up). Give the two namespace ends addresses in one subnet, bring them up, and ping from one namespace to the other through the bridge.",
    '像 Docker 为两个容器做的那样：创建一个网桥（放在练习场自己的 namespace 里，或放进一个单独的 namespace），并启用它；再创建两个 network namespace，每个用一对 veth 接到网桥上（一端在 namespace 里，另一端作为网桥的端口并启用）。给两个 namespace 里的端点配上同一网段的地址并启用，然后穿过网桥从一个 namespace ping 另一个。',
  ),
  hints: [
    t(
      "A bridge is a switch: a veth end becomes one of its ports with ip link set NAME master br0. The namespaces' ends carry the addresses; the ports need none, only up.",
      '网桥就是交换机：用 ip link set 名字 master br0 把一个 veth 端变成它的端口。地址配在 namespace 里的那一端；端口不需要地址，只需要启用。',
    ),
    t(
      'ip link add br0 type bridge; ip link set br0 up; ip link add va netns a type veth peer name pa; ip link set pa master br0 up',
      '例如：ip link add br0 type bridge; ip link set br0 up; ip link add va netns a type veth peer name pa; ip link set pa master br0 up',
    ),
    t(
      'Then the same for b (vb, pb); ip -n a addr add 10.0.0.1/24 dev va; ip -n b addr add 10.0.0.2/24 dev vb; bring va and vb up; ip netns exec a ping -c 3 10.0.0.2',
      '然后对 b 做同样的事（vb、pb）；ip -n a addr add 10.0.0.1/24 dev va；ip -n b addr add 10.0.0.2/24 dev vb；启用 va 和 vb；ip netns exec a ping -c 3 10.0.0.2',
    ),
  ],
  looksAt: t(
    "every network namespace you made and the playground's own: ip -j -s -d addr (bridges, ports and their master, veth peers) and /proc/net/snmp (Icmp InEchos, InEchoReps)",
    '你创建的每个 network namespace 以及练习场自己的：ip -j -s -d addr（网桥、端口及其 master、veth 对端）和 /proc/net/snmp（Icmp 的 InEchos、InEchoReps）',
  ),
  requirements: [tool('ping', 'iputils-ping')],
  observe: bridgeWorld,
  conditions: [
    {
      id: 'bridge-up',
      description: t('A bridge exists and is up.', '有一个网桥，并且已启用。'),
      evaluate: (b) => {
        const br = b.bridge;
        const pass = br !== undefined && isUp(br.dev);
        return {
          observed: br ? `${named(br)} ${isUp(br.dev) ? 'UP' : 'DOWN'}` : '-',
          expected: t('a bridge, UP', '一个网桥，UP'),
          pass,
          ...(pass
            ? {}
            : {
                hint: br
                  ? t(`the bridge ${br.dev.ifname} in ${br.ns.label} is down: ${br.ns.ip} link set ${br.dev.ifname} up`, `${br.ns.label} 里的网桥 ${br.dev.ifname} 是关闭的：${br.ns.ip} link set ${br.dev.ifname} up`)
                  : t('no bridge yet: ip link add br0 type bridge; ip link set br0 up', '还没有网桥：ip link add br0 type bridge; ip link set br0 up'),
              }),
        };
      },
    },
    {
      id: 'two-plugged',
      description: t(
        "Two of your namespaces each hold a veth end whose peer is a port of that bridge, and the ports are up.",
        '你的两个 namespace 里各有一个 veth 端，它的对端是这个网桥的端口，并且端口已启用。',
      ),
      evaluate: (b) => {
        const br = b.bridge;
        const ported = br ? b.plugs.filter((p) => p.port.dev.master === br.dev.ifname) : [];
        const upNs = new Set(ported.filter((p) => isUp(p.port.dev)).map((p) => p.end.ns.inode));
        const pass = upNs.size >= 2;
        const loose = b.plugs.find((p) => br === undefined || p.port.dev.master !== br.dev.ifname);
        const down = ported.find((p) => !isUp(p.port.dev));
        const hint = pass
          ? undefined
          : loose !== undefined && br !== undefined
            ? t(
                `${loose.port.dev.ifname}, the other end of ${named(loose.end)}, is in the bridge's namespace but not a port of ${br.dev.ifname}: ${br.ns.ip} link set ${loose.port.dev.ifname} master ${br.dev.ifname} up`,
                `${loose.port.dev.ifname}（${named(loose.end)} 的另一端）在网桥所在的 namespace 里，但不是 ${br.dev.ifname} 的端口：${br.ns.ip} link set ${loose.port.dev.ifname} master ${br.dev.ifname} up`,
              )
            : down !== undefined
              ? t(`the port ${named(down.port)} is down: ${down.port.ns.ip} link set ${down.port.dev.ifname} up`, `端口 ${named(down.port)} 是关闭的：${down.port.ns.ip} link set ${down.port.dev.ifname} up`)
              : br === undefined
                ? t('make the bridge first, then plug a veth pair from each namespace into it.', '先创建网桥，再从每个 namespace 接一对 veth 到它上面。')
                : b.mine.filter((n) => n.inode !== br.ns.inode).length < 2
                  ? t(
                      `you need two network namespaces besides the bridge's (ip netns add a; ip netns add b).`,
                      '除了网桥所在的 namespace，你还需要两个 network namespace（ip netns add a; ip netns add b）。',
                    )
                  : t(
                      `${upNs.size} of your namespaces ${upNs.size === 1 ? 'is' : 'are'} plugged into ${br.dev.ifname}: plug in the other one the same way (ip link add vb netns b type veth peer name pb; ip link set pb master ${br.dev.ifname} up).`,
                      `你的 namespace 中只有 ${upNs.size} 个接到了 ${br.dev.ifname} 上：用同样的方法接上另一个（ip link add vb netns b type veth peer name pb; ip link set pb master ${br.dev.ifname} up）。`,
                    );
        return {
          observed: plugText(b),
          expected: t(`two namespaces whose veth peers are ports of ${br?.dev.ifname ?? 'the bridge'}, UP`, `两个 namespace，它们的 veth 对端都是 ${br?.dev.ifname ?? '网桥'} 的端口，且为 UP`),
          pass,
          ...(hint !== undefined ? { hint } : {}),
        };
      },
    },
    {
      id: 'ends-ready',
      description: t("The two namespaces' ends are up and have IPv4 addresses in one subnet.", '两个 namespace 里的端点都已启用，并且有同一网段的 IPv4 地址。'),
      evaluate: (b) => {
        const problem = b.pair ? endsProblem(b.pair[0], b.pair[1]) : t('no two namespaces are plugged into the bridge yet.', '还没有两个 namespace 接到网桥上。');
        return {
          observed: b.pair ? `${endText(b.pair[0])}; ${endText(b.pair[1])}` : '-',
          expected: t('both UP, e.g. 10.0.0.1/24 and 10.0.0.2/24', '两端都是 UP，例如 10.0.0.1/24 和 10.0.0.2/24'),
          pass: problem === undefined,
          ...(problem !== undefined ? { hint: problem } : {}),
        };
      },
    },
    {
      id: 'echo-arrived',
      description: t(
        "An echo request crossed the bridge: the far namespace's kernel counted it (Icmp InEchos) and the pinging one got the reply (InEchoReps).",
        '有回显请求穿过了网桥：对端 namespace 的内核计到了它（Icmp InEchos），发起 ping 的一端收到了应答（InEchoReps）。',
      ),
      evaluate: (b) => echoOutcome(b.pair),
    },
  ],
  solution: `ip netns add a
ip netns add b
ip link add br0 type bridge
ip link set br0 up
ip link add va netns a type veth peer name pa
ip link add vb netns b type veth peer name pb
ip link set pa master br0 up
ip link set pb master br0 up
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec a ping -c 1 -W 2 10.0.0.2`,
  nearMisses: [
    {
      id: 'not-ports',
      what: t('veth peers left in the bridge namespace without master', 'veth 的对端留在网桥所在的 namespace，却没有设置 master'),
      script: `ip netns add a
ip netns add b
ip link add br0 type bridge
ip link set br0 up
ip link add va netns a type veth peer name pa
ip link add vb netns b type veth peer name pb
ip link set pa up
ip link set pb up
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec a ping -c 1 -W 1 10.0.0.2`,
      fails: 'two-plugged',
      hint: 'but not a port of br0',
    },
    {
      id: 'bridge-down',
      what: t('the bridge was never brought up', '网桥从没启用'),
      script: `ip netns add a
ip netns add b
ip link add br0 type bridge
ip link add va netns a type veth peer name pa
ip link add vb netns b type veth peer name pb
ip link set pa master br0 up
ip link set pb master br0 up
ip -n a addr add 10.0.0.1/24 dev va
ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up
ip -n b link set vb up
ip netns exec a ping -c 1 -W 1 10.0.0.2`,
      fails: 'bridge-up',
      hint: 'is down',
    },
  ],
});

export const exercises = [vethPing, bridged];
