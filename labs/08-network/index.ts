// 08-network: a bridge, veth pairs and network namespaces, all inside namespaces the lab makes.
import { basics, namespaces, tool, interactive, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { kernelNet } from './net.js';
import { bridge, netns, resolvConf, veth, wire } from './setup.js';
import { eth1, machine, ping } from './traffic.js';
import { exercises } from './exercises.js';

export { bridge, netns, resolvConf, veth, type Bridge, type Eth0, type Netns, type Resolv, type Veth } from './setup.js';
export { eth1, machine, ping, type Eth1, type Machine, type Pings } from './traffic.js';

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Containers need their own interfaces, addresses, ports, routes and firewall rules: two web servers must both be able to listen on port 80 without seeing each other\'s traffic.',
      zh: '容器需要自己的网卡、地址、端口、路由和防火墙规则：两个 Web 服务器都要能监听 80 端口，又互相看不到对方的流量。',
    },
    tradeoff: {
      en: 'Complete isolation of the network stack, but an empty one: someone has to wire it (veth, bridge, routes, NAT), and every hop through a bridge and veth costs some CPU compared with the host network.',
      zh: '网络栈隔离得很彻底，但是空的：必须有人来接线（veth、网桥、路由、NAT）；而且与直接用宿主机网络相比，每经过一次网桥和 veth 都要多花一些 CPU。',
    },
    usedBy: {
      en: 'Docker\'s bridge network (docker0 and a veth per container), Kubernetes CNI plugins (bridge, Calico, Cilium), LXC\'s lxcbr0, systemd-nspawn --network-veth, ip netns for testing.',
      zh: 'Docker 的 bridge 网络（docker0 加每个容器一个 veth）、Kubernetes 的 CNI 插件（bridge、Calico、Cilium）、LXC 的 lxcbr0、systemd-nspawn --network-veth、用 ip netns 做测试。',
    },
    parts: {
      en: 'clone/unshare(CLONE_NEWNET), ip netns (named namespaces under /run/netns, files from /etc/netns), veth pairs, a bridge, addresses and routes; NAT and port mapping (iptables/nftables) on a real host.',
      zh: 'clone/unshare（CLONE_NEWNET）、ip netns（/run/netns 下的命名 namespace，/etc/netns 中的文件）、veth 对、网桥、地址与路由；真实环境中还有 NAT 与端口映射（iptables/nftables）。',
    },
    kernel: {
      en: 'Each struct net has its own devices, routing tables, netfilter rules, sockets and /proc/sys/net; a device belongs to exactly one net namespace and can be moved (IFLA_NET_NS_PID/FD over netlink, which ip uses).',
      zh: '每个 struct net 拥有自己的设备、路由表、netfilter 规则、socket 和 /proc/sys/net；一个设备只属于一个 network namespace，可以通过 netlink（IFLA_NET_NS_PID/FD，ip 命令就是这么做的）移动。',
    },
    alternatives: {
      en: 'macvlan/ipvlan give containers addresses on the physical network without a bridge; --network host shares the host stack; slirp4netns and pasta give rootless containers user-space networking; Open vSwitch replaces the Linux bridge.',
      zh: 'macvlan/ipvlan 不经网桥就让容器拿到物理网络上的地址；--network host 直接共用宿主机网络栈；slirp4netns 与 pasta 为 rootless 容器提供用户态网络；Open vSwitch 可以替代 Linux 网桥。',
    },
  },
  requirements: [
    ...basics,
    namespaces('net', 'uts', 'mnt'),
    tool('ip', 'iproute2'),
    tool('bridge', 'iproute2'),
    tool('ping', 'iputils-ping'),
    tool('sysctl', 'procps'),
    kernelNet(),
  ],
  steps: [netns, bridge, veth, resolvConf, ping, eth1, machine],
  exercises,
  shell: {
    // Wire the network as the lab does, then a shell in container 1: its own hostname, its
    // network namespace, and its resolv.conf bound over /etc/resolv.conf as ip netns exec does.
    async open(ctx) {
      const { c1 } = await wire(ctx);
      return interactive(ctx, {
        labId: about.id,
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
