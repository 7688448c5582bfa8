// 01-uts: the UTS namespace gives a container its own hostname.
import { hostname as osHostname } from 'node:os';
import { nsInode } from '../../addon/index.js';
import { attempt, Container, probeOnce, program, step, t, type ProbeReport, type Text, basics, namespaces, interactive, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';

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
  title: { en: 'Control: a plain clone() shares the hostname', zh: '对照实验：普通 clone() 共用主机名' },
  explain: {
    en: 'Without namespace flags clone() is just a fork: the child lives in the same UTS namespace as its parent, so it sees the same hostname and the same namespace inode.',
    zh: '不带 namespace 标志时，clone() 就是一次 fork：子进程与父进程处于同一个 UTS namespace，看到相同的主机名和相同的 namespace inode。',
  },
  article: 'clone(container_main, container_stack+STACK_SIZE, SIGCHLD, NULL);',
  modern: {
    en: 'sh -c hostname   # a plain child process',
    zh: 'sh -c hostname   # 普通子进程',
  },
  async run(ctx) {
    const hostBefore = osHostname();
    const parentUts = nsInode('self', 'uts');
    const { report, hostPid } = await probeOnce(ctx, { namespaces: [], label: t('probe without namespace flags', '不带 namespace 标志的探针进程') });
    await attempt(ctx, ['hostname'], { where: t('child (no namespace flags)', '子进程（不带 namespace 标志）') });
    ctx.log(
      t(
        `child ${hostPid}: uts:[${report.ns.uts}]   parent ${process.pid}: uts:[${parentUts}]`,
        `子进程 ${hostPid}：uts:[${report.ns.uts}]   父进程 ${process.pid}：uts:[${parentUts}]`,
      ),
    );
    return { hostBefore, parentUts, report, childUts: report.ns.uts ?? 0 };
  },
  checks: [
    {
      id: 'same-hostname',
      description: t('A child without CLONE_NEWUTS sees the host hostname.', '不带 CLONE_NEWUTS 的子进程看到的是宿主机的主机名。'),
      evaluate: (o) => ({ observed: o.report.hostname, expected: o.hostBefore, pass: o.report.hostname === o.hostBefore }),
    },
    {
      id: 'same-uts-inode',
      description: t("The child's /proc/PID/ns/uts inode equals the parent's.", '子进程的 /proc/PID/ns/uts inode 与父进程的相同。'),
      evaluate: (o) => ({
        observed: `uts:[${o.childUts}]`,
        expected: `uts:[${o.parentUts}]`,
        pass: o.childUts === o.parentUts && o.parentUts !== 0,
      }),
    },
  ],
});

/** The host's name made the experiment meaningless: it is already the container's name. */
const sameNameSkip = (o: Isolated): Text | undefined =>
  o.hostBefore === HOSTNAME
    ? t(
        `the host is already called "${HOSTNAME}": a renamed container could not be told from the host`,
        `宿主机本来就叫“${HOSTNAME}”：无法把改名后的容器与宿主机区分开`,
      )
    : undefined;

export const isolated = step<Isolated>({
  id: 'new-uts',
  title: { en: 'CLONE_NEWUTS: the child renames only itself', zh: 'CLONE_NEWUTS：子进程只改自己的主机名' },
  explain: {
    en: 'With CLONE_NEWUTS the child gets a copy of the UTS namespace. Its sethostname("container") changes that copy only: inside, hostname prints container; the host keeps its name. Reading "container" inside proves nothing alone (a process that renamed the host would read it too): it counts only together with a uts inode other than the host\'s and a host that kept its name.',
    zh: '加上 CLONE_NEWUTS，子进程得到一份 UTS namespace 的副本。它调用 sethostname("container") 只修改这份副本：容器里 hostname 输出 container，宿主机名字不变。光在容器里读到 container 什么也证明不了（把宿主机改了名的进程也会读到它），只有同时看到与宿主机不同的 uts inode、宿主机又保住了原名，才算数。',
  },
  article: 'sethostname("container",10); clone(container_main, ..., CLONE_NEWUTS | SIGCHLD, NULL);',
  modern: `unshare --uts --fork sh -c 'hostname ${HOSTNAME}; hostname'`,
  async run(ctx) {
    const { hostBefore, parentUts } = ctx.observed(control);
    const c = await Container.start(ctx, {
      namespaces: ['uts'],
      actions: [{ do: 'sethostname', name: HOSTNAME }],
      label: t('UTS container', 'UTS 容器'),
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
    const hostAfter = osHostname();
    ctx.log(t(`host name before: ${hostBefore}, after: ${hostAfter}`, `宿主机名字：之前 ${hostBefore}，之后 ${hostAfter}`));
    return { report: c.report, ...seen, hostBefore, hostAfter, parentUts };
  },
  checks: [
    {
      id: 'hostname-inside',
      description: t(
        `Inside the new UTS namespace the hostname is "${HOSTNAME}", read in a uts namespace whose inode differs from the host's, while the host kept its name.`,
        `新 UTS namespace 里的主机名是“${HOSTNAME}”，它读自一个 inode 与宿主机不同的 uts namespace，同时宿主机保住了原名。`,
      ),
      evaluate: (o) => {
        const skip = sameNameSkip(o);
        const own = o.childUts !== 0 && o.parentUts !== 0 && o.childUts !== o.parentUts && o.report.ns.uts === o.childUts;
        return {
          observed: t(
            `probe ${o.report.hostname}, hostname ${o.hostnameCmd}, in uts:[${o.report.ns.uts}] (host view uts:[${o.childUts}]); host uts:[${o.parentUts}], name ${o.hostBefore} → ${o.hostAfter}`,
            `探针 ${o.report.hostname}，hostname ${o.hostnameCmd}，在 uts:[${o.report.ns.uts}]（宿主机看到 uts:[${o.childUts}]）；宿主机 uts:[${o.parentUts}]，名字 ${o.hostBefore} → ${o.hostAfter}`,
          ),
          expected: t(
            `${HOSTNAME} from both, read in a uts namespace other than uts:[${o.parentUts}]; the host still ${o.hostBefore}`,
            `两处都是 ${HOSTNAME}，读自 uts:[${o.parentUts}] 以外的 uts namespace；宿主机仍叫 ${o.hostBefore}`,
          ),
          pass: skip === undefined && o.report.hostname === HOSTNAME && o.hostnameCmd === HOSTNAME && own && o.hostAfter === o.hostBefore,
          ...(skip !== undefined ? { skip } : {}),
        };
      },
    },
    {
      id: 'host-unchanged',
      description: t(
        `The host's hostname is unchanged although the container's is now "${HOSTNAME}".`,
        `容器的主机名已经变成“${HOSTNAME}”，宿主机的主机名却没有变。`,
      ),
      evaluate: (o) => {
        const skip = sameNameSkip(o);
        return {
          observed: t(`host: ${o.hostBefore} → ${o.hostAfter}; container: ${o.report.hostname}`, `宿主机：${o.hostBefore} → ${o.hostAfter}；容器：${o.report.hostname}`),
          expected: t(`host: ${o.hostBefore} → ${o.hostBefore}; container: ${HOSTNAME}`, `宿主机：${o.hostBefore} → ${o.hostBefore}；容器：${HOSTNAME}`),
          pass: skip === undefined && o.hostAfter === o.hostBefore && o.report.hostname === HOSTNAME,
          ...(skip !== undefined ? { skip } : {}),
        };
      },
    },
    {
      id: 'uts-inode-differs',
      description: t("The container's uts namespace inode differs from the host's.", '容器的 uts namespace inode 与宿主机的不同。'),
      evaluate: (o) => ({
        observed: t(
          `container uts:[${o.childUts}] (probe saw uts:[${o.report.ns.uts}]), host uts:[${o.parentUts}]`,
          `容器 uts:[${o.childUts}]（探针看到 uts:[${o.report.ns.uts}]），宿主机 uts:[${o.parentUts}]`,
        ),
        expected: t('two different inodes, and the probe agrees with the host view', '两个不同的 inode，且探针与宿主机看到的一致'),
        pass: o.childUts !== 0 && o.childUts !== o.parentUts && o.report.ns.uts === o.childUts,
      }),
    },
  ],
});

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Software often identifies itself by hostname; several containers on one machine each need their own without renaming the host.',
      zh: '很多程序用主机名标识自己；同一台机器上的多个容器各自需要主机名，又不能改动宿主机的名字。',
    },
    tradeoff: {
      en: 'Cheap and complete for what it covers, but it covers only two strings: the hostname and the NIS domain name.',
      zh: '代价极小且隔离彻底，但它只管两个字符串：主机名和 NIS 域名。',
    },
    usedBy: {
      en: 'docker run --hostname, Kubernetes pods (one hostname per pod), systemd-nspawn, LXC.',
      zh: 'docker run --hostname、Kubernetes Pod（每个 Pod 一个主机名）、systemd-nspawn 和 LXC 都用它。',
    },
    parts: {
      en: 'clone(CLONE_NEWUTS) or unshare(CLONE_NEWUTS), sethostname(2), and /proc/PID/ns/uts to name the namespace.',
      zh: 'clone(CLONE_NEWUTS) 或 unshare(CLONE_NEWUTS)、sethostname(2)，以及标识 namespace 的 /proc/PID/ns/uts。',
    },
    kernel: {
      en: 'Each task points to an nsproxy; its uts_namespace holds the struct new_utsname that uname(2) reads. CLONE_NEWUTS copies that struct.',
      zh: '每个进程指向一个 nsproxy，其中的 uts_namespace 保存 uname(2) 读取的 new_utsname 结构；CLONE_NEWUTS 会复制这份结构。',
    },
    alternatives: {
      en: 'A virtual machine has its own kernel and so its own hostname; before namespaces, chroot jails simply shared the host name.',
      zh: '虚拟机有自己的内核，自然有独立主机名；在 namespace 出现之前，chroot 监狱只能共用宿主机的主机名。',
    },
  },
  requirements: [...basics, namespaces('uts')],
  steps: [control, isolated],
  shell: {
    open: (ctx) =>
      interactive(ctx, { labId: about.id, namespaces: ['uts'], actions: [{ do: 'sethostname', name: HOSTNAME }] }),
  },
  exercises,
};
