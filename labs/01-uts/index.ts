// 01-uts: the UTS namespace gives a container its own hostname.
import { hostname as osHostname } from 'node:os';
import { nsInode } from '../../addon/index.js';
import { Container, probeOnce, shown, which, type ProbeReport, basics, namespaces, interactive, type Lab } from '../../runner/kit/index.js';

interface State {
  hostBefore?: string;
  parentUts?: number;
  control?: { report: ProbeReport; childUts: number };
  isolated?: { report: ProbeReport; hostnameCmd: string; childUts: number; hostAfter: string };
}

const HOSTNAME = 'container';

export const lab: Lab<State> = {
  id: '01-uts',
  title: { en: 'UTS namespace: a hostname of its own', zh: 'UTS namespace:独立的主机名' },
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
  init: () => ({}),
  steps: [
    {
      id: 'control',
      title: { en: 'Control: a plain clone() shares the hostname', zh: '对照实验:普通 clone() 共用主机名' },
      explain: {
        en: 'Without namespace flags clone() is just a fork: the child lives in the same UTS namespace as its parent, so it sees the same hostname and the same namespace inode.',
        zh: '不带 namespace 标志时,clone() 就是一次 fork:子进程与父进程处于同一个 UTS namespace,看到相同的主机名和相同的 namespace inode。',
      },
      article: 'clone(container_main, container_stack+STACK_SIZE, SIGCHLD, NULL);',
      modern: 'sh -c hostname   # a plain child process',
      async run(ctx, s) {
        s.hostBefore = osHostname();
        s.parentUts = nsInode('self', 'uts');
        const { report, hostPid } = await probeOnce(ctx, { namespaces: [] });
        s.control = { report, childUts: report.ns.uts ?? 0 };
        await shown(ctx, 'hostname', [which('hostname') ?? '/bin/hostname'], { where: 'child (no namespace flags)' });
        ctx.log(`child ${hostPid}: uts:[${report.ns.uts}]   parent ${process.pid}: uts:[${s.parentUts}]`);
      },
      checks: [
        {
          id: 'same-hostname',
          description: 'A child without CLONE_NEWUTS sees the host hostname.',
          evaluate: (s) => ({
            observed: s.control!.report.hostname,
            expected: s.hostBefore!,
            pass: s.control!.report.hostname === s.hostBefore,
          }),
        },
        {
          id: 'same-uts-inode',
          description: "The child's /proc/PID/ns/uts inode equals the parent's.",
          evaluate: (s) => ({
            observed: `uts:[${s.control!.childUts}]`,
            expected: `uts:[${s.parentUts}]`,
            pass: s.control!.childUts === s.parentUts && s.parentUts !== 0,
          }),
        },
      ],
    },
    {
      id: 'new-uts',
      title: { en: 'CLONE_NEWUTS: the child renames only itself', zh: 'CLONE_NEWUTS:子进程只改自己的主机名' },
      explain: {
        en: 'With CLONE_NEWUTS the child gets a copy of the UTS namespace. Its sethostname("container") changes that copy only: inside, hostname prints container; the host keeps its name.',
        zh: '加上 CLONE_NEWUTS,子进程得到一份 UTS namespace 的副本。它调用 sethostname("container") 只修改这份副本:容器里 hostname 输出 container,宿主机名字不变。',
      },
      article: 'sethostname("container",10); clone(container_main, ..., CLONE_NEWUTS | SIGCHLD, NULL);',
      modern: `unshare --uts --fork sh -c 'hostname ${HOSTNAME}; hostname'`,
      async run(ctx, s) {
        const c = await Container.start(ctx, {
          namespaces: ['uts'],
          actions: [{ do: 'sethostname', name: HOSTNAME }],
          label: 'UTS container',
        });
        try {
          const r = await shown(ctx, 'hostname', [which('hostname') ?? '/bin/hostname'], { container: c });
          const childUts = nsInode(c.pid, 'uts');
          await shown(ctx, `readlink /proc/${c.pid}/ns/uts /proc/${process.pid}/ns/uts`, [
            which('readlink') ?? '/bin/readlink',
            `/proc/${c.pid}/ns/uts`,
            `/proc/${process.pid}/ns/uts`,
          ]);
          s.isolated = { report: c.report, hostnameCmd: r.stdout.trim(), childUts, hostAfter: osHostname() };
        } finally {
          await c.stop();
        }
        s.isolated.hostAfter = osHostname();
      },
      checks: [
        {
          id: 'hostname-inside',
          description: `Inside the new UTS namespace the hostname is "${HOSTNAME}".`,
          evaluate: (s) => ({
            observed: `probe: ${s.isolated!.report.hostname}, hostname: ${s.isolated!.hostnameCmd}`,
            expected: `${HOSTNAME}, ${HOSTNAME}`,
            pass: s.isolated!.report.hostname === HOSTNAME && s.isolated!.hostnameCmd === HOSTNAME,
          }),
        },
        {
          id: 'host-unchanged',
          description: "The host's hostname is unchanged.",
          evaluate: (s) => ({
            observed: s.isolated!.hostAfter,
            expected: s.hostBefore!,
            pass: s.isolated!.hostAfter === s.hostBefore,
          }),
        },
        {
          id: 'uts-inode-differs',
          description: "The container's uts namespace inode differs from the host's.",
          evaluate: (s) => ({
            observed: `container uts:[${s.isolated!.childUts}] (probe saw uts:[${s.isolated!.report.ns.uts}]), host uts:[${s.parentUts}]`,
            expected: 'two different inodes, and the probe agrees with the host view',
            pass:
              s.isolated!.childUts !== s.parentUts &&
              s.isolated!.report.ns.uts === s.isolated!.childUts,
          }),
        },
      ],
    },
  ],
  shell: {
    open: (ctx) =>
      interactive(ctx, { labId: '01-uts', namespaces: ['uts'], actions: [{ do: 'sethostname', name: HOSTNAME }] }),
  },
};
