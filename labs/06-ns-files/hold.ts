// Keeping a namespace with nobody in it: a bind mount of its ns file holds it, setns() enters
// it, and the unmount lets the kernel free it.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mount, NsError, type SetupAction } from '../../addon/index.js';
import { attempt, mountsUnder, probeOnce, processesIn, program, shown, step, which, type ProbeReport } from '../../runner/kit/index.js';
import { HOSTNAME, inodeOf, nsTableStep, stopContainer, theContainer, toolSkip } from './table.js';

/** The container's uts namespace, held by a bind mount after the container stopped. */
export interface Held {
  /** The held file, and its entry on the cleanup stack (release pops it). */
  readonly holder: string;
  readonly holdId: number;
  readonly containerUts: number;
  readonly heldIno: number;
  readonly mountLine: string;
  readonly containerGone: boolean;
  readonly pidsInNs: readonly number[];
  readonly setns: ProbeReport;
  readonly hostnameCmd: string;
  /** What `nsenter --uts=<held file> hostname` printed (absent: nsenter is not installed). */
  readonly nsenter?: string;
}

/** The held file after the unmount. */
export interface Released {
  /** The namespace's inode, from hold. */
  readonly containerUts: number;
  readonly ino: number;
  readonly mounts: readonly string[];
  readonly setnsError: string;
}

export const hold = step<Held>({
  id: 'hold',
  title: { en: 'Hold a namespace with a bind mount, then setns() into it', zh: '用绑定挂载保住 namespace,再 setns() 进入' },
  explain: {
    en: 'A namespace lives while something refers to it: a process, an open fd, or a bind mount of its ns file. The lab bind-mounts the container\'s uts file onto a file of its own, stops the container, and finds that no process is left in that namespace — yet a new process can setns() into the held file and gets the container\'s hostname. This is how `ip netns add` keeps network namespaces.',
    zh: '只要还有东西引用,namespace 就存在:进程、打开的 fd,或者它的 ns 文件的绑定挂载。实验把容器的 uts 文件绑定挂载到自己的一个文件上,停掉容器,确认这个 namespace 里已没有任何进程——但新进程仍能 setns() 进入这个文件,看到容器的主机名。`ip netns add` 就是这样保住网络 namespace 的。',
  },
  article: 'mount --bind /proc/4600/ns/uts ~/uts',
  modern: 'touch uts; mount --bind /proc/<pid>/ns/uts uts; nsenter --uts=uts hostname',
  async run(ctx) {
    const { child } = ctx.observed(nsTableStep);
    const c = theContainer(ctx);
    const holder = join(ctx.scratch(), 'nslab-uts-hold');
    writeFileSync(holder, '');
    const holdId = ctx.cleanup.createSync({ kind: 'mount', rel: ctx.cleanup.rel(holder) }, `bind mount of the uts namespace on ${holder}`, () =>
      mount(`/proc/${c.pid}/ns/uts`, holder, null, ['bind']),
    ).id;
    ctx.log(`mount --bind /proc/${c.pid}/ns/uts ${holder}   (done by nslab on the host)`);
    const mountLine = (await attempt(ctx, ['grep', 'nslab-uts-hold', '/proc/self/mountinfo'])).stdout.trim();
    const containerUts = inodeOf(child.uts);
    const heldIno = statSync(holder).ino;
    await stopContainer(ctx);
    const containerGone = !existsSync(`/proc/${c.pid}`);
    const pidsInNs = processesIn('uts', containerUts);
    ctx.log(`container process ${c.pid} ${containerGone ? 'has exited' : 'is still there'}; processes left in uts:[${containerUts}]: ${pidsInNs.length}`);
    const setnsAction: SetupAction = { do: 'setns', path: holder, ns: 'uts' };
    const { report } = await probeOnce(ctx, { namespaces: [], actions: [setnsAction], label: 'probe in the held namespace' });
    const hostnameCmd = (await shown(ctx, 'hostname', [program('hostname')], { actions: [setnsAction], where: `setns(${holder})` })).stdout.trim();
    const nsenter = which('nsenter') ? (await attempt(ctx, ['nsenter', `--uts=${holder}`, program('hostname')], { command: `nsenter --uts=${holder} hostname` })).stdout.trim() : undefined;
    return { holder, holdId, containerUts, heldIno, mountLine, containerGone, pidsInNs, setns: report, hostnameCmd, ...(nsenter !== undefined ? { nsenter } : {}) };
  },
  checks: [
    {
      id: 'bind-holds',
      description: "The bind-mounted file is the container's uts namespace (same nsfs inode) and shows in the host's mount table.",
      evaluate: (o) => ({
        observed: `held file inode ${o.heldIno}; mountinfo: ${o.mountLine || 'no line'}`,
        expected: `inode ${o.containerUts}; an nsfs line`,
        pass: o.heldIno === o.containerUts && / - nsfs /.test(o.mountLine),
      }),
    },
    {
      id: 'no-process-left',
      description: 'After the container stopped, no process on the machine is in that uts namespace.',
      evaluate: (o) => ({
        observed: `container process ${o.containerGone ? 'gone' : 'still running'}; processes in uts:[${o.containerUts}]: ${o.pidsInNs.join(', ') || 'none'}`,
        expected: 'gone; none',
        pass: o.containerGone && o.pidsInNs.length === 0,
      }),
    },
    {
      id: 'setns-held',
      description: 'setns() into the held file puts a new process in the namespace: it has the same inode and sees the container\'s hostname.',
      evaluate: (o) => ({
        observed: `probe: uts:[${o.setns.ns.uts}], hostname ${o.setns.hostname}; hostname command: ${o.hostnameCmd}`,
        expected: `uts:[${o.containerUts}], hostname ${HOSTNAME}; ${HOSTNAME}`,
        pass: o.setns.ns.uts === o.containerUts && o.setns.hostname === HOSTNAME && o.hostnameCmd === HOSTNAME,
      }),
    },
    {
      id: 'nsenter-held',
      description: 'util-linux nsenter --uts=<held file> sees the same hostname.',
      evaluate: (o) => (o.nsenter === undefined ? toolSkip('nsenter', 'util-linux') : { observed: o.nsenter, expected: HOSTNAME, pass: o.nsenter === HOSTNAME }),
    },
  ],
});

export const release = step<Released>({
  id: 'release',
  title: { en: 'Unmount: the last reference goes', zh: '卸载:最后一个引用消失' },
  explain: {
    en: 'Unmounting the held file drops the last reference; the kernel frees the namespace. The file underneath is again an ordinary empty file, and setns() on it fails with EINVAL: it names no namespace any more.',
    zh: '卸载这个文件就去掉了最后一个引用,内核随即释放该 namespace。下面的文件又变回普通的空文件,对它调用 setns() 会以 EINVAL 失败:它已不再代表任何 namespace。',
  },
  article: 'umount ~/uts',
  modern: 'umount uts; nsenter --uts=uts true   # fails: not a namespace file',
  async run(ctx) {
    const { holder, holdId, containerUts } = ctx.observed(hold);
    const err = ctx.cleanup.pop(holdId);
    if (err) throw new Error(err);
    let setnsError = 'no error';
    try {
      await probeOnce(ctx, { namespaces: [], actions: [{ do: 'setns', path: holder, ns: 'uts' }], label: 'setns into the released file' });
    } catch (e) {
      setnsError = e instanceof NsError ? e.code : (e as Error).message;
    }
    const released = { containerUts, ino: statSync(holder).ino, mounts: mountsUnder(holder), setnsError };
    await attempt(ctx, ['stat', '-c', '%i %F', holder], { command: `stat -c '%i %F' ${holder}` });
    ctx.log(`setns(${holder}) now fails: ${setnsError}`);
    return released;
  },
  checks: [
    {
      id: 'released',
      description: 'After the unmount the file is plain again (another inode, no mount) and setns() on it fails with EINVAL.',
      evaluate: (o) => ({
        observed: `inode ${o.ino}; mounts ${o.mounts.join(' ') || 'none'}; setns: ${o.setnsError}`,
        expected: `not ${o.containerUts}; none; EINVAL`,
        pass: o.ino !== o.containerUts && o.mounts.length === 0 && o.setnsError === 'EINVAL',
      }),
    },
  ],
});
