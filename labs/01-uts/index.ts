// 01-uts: the UTS namespace gives a container its own hostname.
import { hostname as osHostname } from 'node:os';
import { nsInode } from '../../addon/index.js';
import { attempt, Container, probeOnce, program, step, type ProbeReport, basics, namespaces, interactive, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';

/** The control experiment: a plain child, and the host it was compared with. */
export interface Control {
  readonly hostBefore: string;
  readonly parentUts: number;
  readonly report: ProbeReport;
  readonly childUts: number;
}

/** A child in a new UTS namespace that renamed itself. */
export interface Isolated {
  /** What the probe in the container reported, and what `hostname` printed there. */
  readonly report: ProbeReport;
  readonly hostnameCmd: string;
  /** The container's uts inode read from the host (/proc/PID/ns/uts). */
  readonly childUts: number;
  readonly hostBefore: string;
  readonly hostAfter: string;
  readonly parentUts: number;
}

const HOSTNAME = 'container';

export const control = step<Control>({
  id: 'control',
  title: { en: 'Control: a plain clone() shares the hostname', zh: '对照实验:普通 clone() 共用主机名' },
  explain: {
    en: 'Without namespace flags clone() is just a fork: the child lives in the same UTS namespace as its parent, so it sees the same hostname and the same namespace inode.',
    zh: '不带 namespace 标志时,clone() 就是一次 fork:子进程与父进程处于同一个 UTS namespace,看到相同的主机名和相同的 namespace inode。',
  },
  article: 'clone(container_main, container_stack+STACK_SIZE, SIGCHLD, NULL);',
  modern: 'sh -c hostname   # a plain child process',
  async run(ctx) {
    const hostBefore = osHostname();
    const parentUts = nsInode('self', 'uts');
    const { report, hostPid } = await probeOnce(ctx, { namespaces: [] });
    await attempt(ctx, ['hostname'], { where: 'child (no namespace flags)' });
    ctx.log(`child ${hostPid}: uts:[${report.ns.uts}]   parent ${process.pid}: uts:[${parentUts}]`);
    return { hostBefore, parentUts, report, childUts: report.ns.uts ?? 0 };
  },
  checks: [
    {
      id: 'same-hostname',
      description: 'A child without CLONE_NEWUTS sees the host hostname.',
      evaluate: (o) => ({ observed: o.report.hostname, expected: o.hostBefore, pass: o.report.hostname === o.hostBefore }),
    },
    {
      id: 'same-uts-inode',
      description: "The child's /proc/PID/ns/uts inode equals the parent's.",
      evaluate: (o) => ({
        observed: `uts:[${o.childUts}]`,
        expected: `uts:[${o.parentUts}]`,
        pass: o.childUts === o.parentUts && o.parentUts !== 0,
      }),
    },
  ],
});

export const isolated = step<Isolated>({
  id: 'new-uts',
  title: { en: 'CLONE_NEWUTS: the child renames only itself', zh: 'CLONE_NEWUTS:子进程只改自己的主机名' },
  explain: {
    en: 'With CLONE_NEWUTS the child gets a copy of the UTS namespace. Its sethostname("container") changes that copy only: inside, hostname prints container; the host keeps its name.',
    zh: '加上 CLONE_NEWUTS,子进程得到一份 UTS namespace 的副本。它调用 sethostname("container") 只修改这份副本:容器里 hostname 输出 container,宿主机名字不变。',
  },
  article: 'sethostname("container",10); clone(container_main, ..., CLONE_NEWUTS | SIGCHLD, NULL);',
  modern: `unshare --uts --fork sh -c 'hostname ${HOSTNAME}; hostname'`,
  async run(ctx) {
    const { hostBefore, parentUts } = ctx.observed(control);
    const c = await Container.start(ctx, {
      namespaces: ['uts'],
      actions: [{ do: 'sethostname', name: HOSTNAME }],
      label: 'UTS container',
    });
    let seen: { hostnameCmd: string; childUts: number };
    try {
      const r = await attempt(ctx, [program('hostname')], { command: 'hostname', container: c });
      const childUts = nsInode(c.pid, 'uts');
      await attempt(ctx, ['readlink', `/proc/${c.pid}/ns/uts`, `/proc/${process.pid}/ns/uts`]);
      seen = { hostnameCmd: r.stdout.trim(), childUts };
    } finally {
      await c.stop();
    }
    return { report: c.report, ...seen, hostBefore, hostAfter: osHostname(), parentUts };
  },
  checks: [
    {
      id: 'hostname-inside',
      description: `Inside the new UTS namespace the hostname is "${HOSTNAME}".`,
      evaluate: (o) => ({
        observed: `probe: ${o.report.hostname}, hostname: ${o.hostnameCmd}`,
        expected: `${HOSTNAME}, ${HOSTNAME}`,
        pass: o.report.hostname === HOSTNAME && o.hostnameCmd === HOSTNAME,
      }),
    },
    {
      id: 'host-unchanged',
      description: "The host's hostname is unchanged.",
      evaluate: (o) => ({ observed: o.hostAfter, expected: o.hostBefore, pass: o.hostAfter === o.hostBefore }),
    },
    {
      id: 'uts-inode-differs',
      description: "The container's uts namespace inode differs from the host's.",
      evaluate: (o) => ({
        observed: `container uts:[${o.childUts}] (probe saw uts:[${o.report.ns.uts}]), host uts:[${o.parentUts}]`,
        expected: 'two different inodes, and the probe agrees with the host view',
        pass: o.childUts !== o.parentUts && o.report.ns.uts === o.childUts,
      }),
    },
  ],
});

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Software often identifies itself by hostname; several containers on one machine each need their own without renaming the host.',
      zh: '很多程序用主机名标识自己;同一台机器上的多个容器各自需要主机名,又不能改动宿主机的名字。',
    },
    tradeoff: {
      en: 'Cheap and complete for what it covers, but it covers only two strings: the hostname and the NIS domain name.',
      zh: '代价极小且隔离彻底,但它只管两个字符串:主机名和 NIS 域名。',
    },
    usedBy: {
      en: 'docker run --hostname, Kubernetes pods (one hostname per pod), systemd-nspawn, LXC.',
      zh: 'docker run --hostname、Kubernetes Pod(每个 Pod 一个主机名)、systemd-nspawn、LXC。',
    },
    parts: {
      en: 'clone(CLONE_NEWUTS) or unshare(CLONE_NEWUTS), sethostname(2), and /proc/PID/ns/uts to name the namespace.',
      zh: 'clone(CLONE_NEWUTS) 或 unshare(CLONE_NEWUTS)、sethostname(2),以及标识 namespace 的 /proc/PID/ns/uts。',
    },
    kernel: {
      en: 'Each task points to an nsproxy; its uts_namespace holds the struct new_utsname that uname(2) reads. CLONE_NEWUTS copies that struct.',
      zh: '每个进程指向一个 nsproxy,其中的 uts_namespace 保存 uname(2) 读取的 new_utsname 结构;CLONE_NEWUTS 会复制这份结构。',
    },
    alternatives: {
      en: 'A virtual machine has its own kernel and so its own hostname; before namespaces, chroot jails simply shared the host name.',
      zh: '虚拟机有自己的内核,自然有独立主机名;在 namespace 出现之前,chroot 监狱只能共用宿主机的主机名。',
    },
  },
  requirements: [...basics, namespaces('uts')],
  steps: [control, isolated],
  shell: {
    open: (ctx) =>
      interactive(ctx, { labId: about.id, namespaces: ['uts'], actions: [{ do: 'sethostname', name: HOSTNAME }] }),
  },
};
