// Helpers for lab 08: names, the `ip -n NS` command shown to the learner, quiet JSON queries
// that fill the observations, and the state of the machine's own network that must not change.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RunResult } from '../../addon/index.js';
import { must, program, type Requirement, type StepContext } from '../../runner/kit/index.js';

/** Every object is named per run: two runs (or two engineers) never meet. */
export interface Names {
  readonly host: string;
  readonly c1: string;
  readonly c2: string;
  /** The bridge and the veth pairs (VETH + c / h): links live only in lab namespaces, but carry the token too (IFNAMSIZ: 14 of 15 bytes). */
  readonly bridge: string;
  readonly v1: string;
  readonly v2: string;
  readonly v3: string;
}

export function names(ctx: Pick<StepContext, 'name'>): Names {
  return { host: ctx.name('host'), c1: ctx.name('c1'), c2: ctx.name('c2'), bridge: ctx.name('br0'), v1: ctx.name('v1'), v2: ctx.name('v2'), v3: ctx.name('v3') };
}

/** How the bridge is named in the lab's static texts (its real name carries the run's token). */
export const BRIDGE_SHOWN = 'nslab-<token>-br0';
export const BRIDGE_IP = '192.168.10.1';
export const NET = '192.168.10.0/24';
/**
 * eth1's "routable" address (the article's ROUTEABLE_IP): an address on the bridge's own subnet,
 * reached from the lab's other namespaces directly across the bridge, and from nowhere else.
 */
export const ETH1_IP = '192.168.10.21';
/** A documentation address (RFC 5737) for `ip route get`: the kernel answers which way it would go; nothing is sent. */
export const OFF_NET = '203.0.113.1';

/** `ip -n NAME ...` for a lab namespace, shown with its output; the step fails when it fails. */
export const ipIn = (ctx: StepContext, ns: string, ...args: string[]): Promise<RunResult> => must(ctx, ['ip', '-n', ns, ...args]);

/** A quiet `ip -j` (or `bridge -j`) query for an observation (not shown); `ns` undefined means the machine's own namespace. */
export function query<T>(ns: string | undefined, args: readonly string[], tool: 'ip' | 'bridge' = 'ip'): T {
  const argv = [...(ns ? ['-n', ns] : []), '-j', ...args];
  const out = execFileSync(program(tool), argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim() || '[]') as T;
}

export interface Link {
  readonly ifname: string;
  readonly address?: string;
  readonly flags?: string[];
  readonly master?: string;
  readonly addr_info?: { family: string; local: string; prefixlen: number }[];
  /** How many reasons the device has to be in promiscuous mode (the kernel counts them; a bridge port is one). */
  readonly promiscuity?: number;
  readonly linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    /** `bridge` for a port of a bridge, with the port's state (`forwarding`…) in info_slave_data. */
    info_slave_kind?: string;
    info_slave_data?: { state?: string };
  };
  readonly stats64?: { rx: { packets: number }; tx: { packets: number } };
}

export interface Route {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly table?: string;
  readonly type?: string;
  /** Who made the route: `kernel` for the subnet route an address brings. */
  readonly protocol?: string;
  readonly prefsrc?: string;
}

export const links = (ns?: string) => query<Link[]>(ns, ['link', 'show']);
export const addrs = (ns: string | undefined, dev: string) => query<Link[]>(ns, ['addr', 'show', 'dev', dev])[0];
export const routes = (ns?: string) => query<Route[]>(ns, ['route', 'show']);
/** The kernel's own answer to "which way to DST?" in `ns` (a FIB lookup: nothing is sent). */
export const routeTo = (ns: string, dst: string): Route | undefined => {
  try {
    return query<Route[]>(ns, ['route', 'get', dst])[0];
  } catch {
    return undefined; // "Network is unreachable": no route at all
  }
};
/** Packets received by `dev` in `ns` so far (the kernel's own counter). */
export const rxPackets = (ns: string, dev: string): number => query<Link[]>(ns, ['-s', 'link', 'show', 'dev', dev])[0]?.stats64?.rx.packets ?? 0;

/** The machine's own network as `ip` sees it: must be identical before and after the lab. */
export interface HostNet {
  readonly links: string[];
  readonly routes: string;
  readonly rules: string;
  readonly resolv: string;
}

export function hostNet(): HostNet {
  const text = (args: string[]) => execFileSync(program('ip'), args, { encoding: 'utf8' }).trim();
  let resolv = '';
  try {
    resolv = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    resolv = '(none)';
  }
  return {
    links: links().map((l) => `${l.ifname} ${l.address ?? ''}`).sort(),
    routes: [text(['route', 'show', 'table', 'all']), text(['-6', 'route', 'show', 'table', 'all'])].join('\n'),
    rules: text(['rule', 'show']),
    resolv,
  };
}

/**
 * /etc/netns/NAME with one file, as `ip netns exec` expects it. /etc/netns is made if missing
 * (the netnsDirs entry puts it back); NAME is made exclusively, the file O_EXCL|O_NOFOLLOW.
 */
export function makeNetnsConf(name: string, resolv: string): void {
  try {
    mkdirSync('/etc/netns', { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const dir = `/etc/netns/${name}`;
  mkdirSync(dir, { mode: 0o755 }); // EEXIST: not ours, left alone
  try {
    const fd = openSync(`${dir}/resolv.conf`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeSync(fd, resolv);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true }); // ours, half-made
    throw e;
  }
}

export interface Ping {
  readonly sent: number;
  readonly received: number;
  readonly text: string;
}

export function parsePing(text: string): Ping {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  return { sent: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, text: m ? m[0] : text.trim().split('\n').pop() ?? '' };
}

export const lossless = (p: Ping | undefined) => p !== undefined && p.sent > 0 && p.received === p.sent;

/**
 * The kernel has bridges and veth pairs. Built-in drivers often leave no trace in /sys/module,
 * so this says no only when the kernel's own config (or its module list) proves it missing.
 */
export function kernelNet(): Requirement {
  return {
    id: 'kernel:bridge,veth',
    description: { en: 'the kernel has bridge and veth devices (CONFIG_BRIDGE, CONFIG_VETH)', zh: '内核支持网桥和 veth 设备（CONFIG_BRIDGE、CONFIG_VETH）' },
    probe: () => {
      let config = '';
      try {
        config = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
      } catch {
        return { ok: true }; // cannot tell: let the step try and say what failed
      }
      const missing = [['CONFIG_BRIDGE', 'bridge'], ['CONFIG_VETH', 'veth']].filter(
        ([opt, mod]) => !new RegExp(`^${opt}=[ym]$`, 'm').test(config) && !existsSync(`/sys/module/${mod}`),
      );
      return missing.length === 0
        ? { ok: true }
        : {
            ok: false,
            reason: {
              en: `this kernel was built without ${missing.map(([o]) => o).join(' and ')}`,
              zh: `这个内核编译时没有启用 ${missing.map(([o]) => o).join('、')}`,
            },
            remedy: {
              en: 'use a kernel with bridge and veth support (any distribution kernel has them), or run the lab in the VM (--vm)',
              zh: '换用支持网桥和 veth 的内核（各发行版的内核都支持），或者在虚拟机里运行本实验（--vm）',
            },
          };
    },
  };
}
