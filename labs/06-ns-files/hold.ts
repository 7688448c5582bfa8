// Keeping a namespace with nobody in it: a bind mount of its ns file holds it, setns() enters
// it, and the unmount lets the kernel free it.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mount, NsError, type SetupAction } from '../../addon/index.js';
import { LabError, attempt, holdersOf, WHERE, probeOnce, processesIn, program, shown, step, t, which, type ProbeReport } from '../../runner/kit/index.js';
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

/** After the unmount: a scan of the whole machine for anything still naming the namespace. */
export interface Released {
  /** The namespace's inode, recorded in ns-table while the container lived (hold saw it held). */
  readonly containerUts: number;
  /** How many processes' /proc/PID/ns/uts could be read, and which of them still name the inode. */
  readonly pidsScanned: number;
  /** Processes whose ns links the kernel would not show nslab (other users' without CAP_SYS_PTRACE). */
  readonly unreadable: number;
  readonly procs: readonly number[];
  /** Open fds anywhere that still name it ("fd N of process P"). */
  readonly fds: readonly string[];
  /** How many mount namespaces' mountinfo were read, and the lines that still name the inode. */
  readonly mntNsScanned: number;
  readonly mounts: readonly string[];
}

/** Every process, fd and mount (of every mount namespace this host can see) that names uts:[ino]. */
export function scanFor(ino: number): Omit<Released, 'containerUts'> {
  const scan = holdersOf('uts', ino);
  const procs: number[] = [];
  const fds: string[] = [];
  const mounts: string[] = [];
  for (const h of scan.holders) {
    if (h.kind === 'process') procs.push(h.pid);
    else if (h.kind === 'fd') fds.push(`fd ${h.fd} / pid ${h.pid}`);
    else mounts.push(`mnt:[${h.mntNs}] ${h.target}`);
  }
  return { pidsScanned: scan.pidsScanned, unreadable: scan.unreadable, procs, fds, mntNsScanned: scan.mntNsScanned, mounts };
}

export const hold = step<Held>({
  id: 'hold',
  title: { en: 'Hold a namespace with a bind mount, then setns() into it', zh: '用绑定挂载保住 namespace，再 setns() 进入' },
  explain: {
    en: 'A namespace lives while something refers to it: a process, an open fd, or a bind mount of its ns file. The lab bind-mounts the container\'s uts file onto a file of its own, stops the container, and finds that no process is left in that namespace — yet a new process can setns() into the held file and gets the container\'s hostname. This is how `ip netns add` keeps network namespaces.',
    zh: '只要还有东西引用，namespace 就存在：进程、打开的 fd，或者它的 ns 文件的绑定挂载。实验把容器的 uts 文件绑定挂载到自己的一个文件上，停掉容器，确认这个 namespace 里已没有任何进程——但新进程仍能 setns() 进入这个文件，看到容器的主机名。`ip netns add` 就是这样保住网络 namespace 的。',
  },
  article: 'mount --bind /proc/4600/ns/uts ~/uts',
  modern: 'touch uts; mount --bind /proc/<pid>/ns/uts uts; nsenter --uts=uts hostname',
  async run(ctx) {
    const { child } = ctx.observed(nsTableStep);
    const c = theContainer(ctx);
    const holder = join(ctx.scratch(), 'nslab-uts-hold');
    writeFileSync(holder, '');
    const holdId = ctx.cleanup.createSync(
      { kind: 'mount', rel: ctx.cleanup.rel(holder) },
      t(`bind mount of the uts namespace on ${holder}`, `uts namespace 在 ${holder} 上的绑定挂载`),
      () => mount(`/proc/${c.pid}/ns/uts`, holder, null, ['bind']),
    ).id;
    ctx.log(t(`mount --bind /proc/${c.pid}/ns/uts ${holder}   (done by nslab on the host)`, `mount --bind /proc/${c.pid}/ns/uts ${holder}   （由 nslab 在宿主机上执行）`));
    const mountLine = (await attempt(ctx, ['grep', 'nslab-uts-hold', '/proc/self/mountinfo'])).stdout.trim();
    const containerUts = inodeOf(child.uts);
    const heldIno = statSync(holder).ino;
    await stopContainer(ctx);
    const containerGone = !existsSync(`/proc/${c.pid}`);
    const pidsInNs = processesIn('uts', containerUts);
    ctx.log(
      t(
        `container process ${c.pid} ${containerGone ? 'has exited' : 'is still there'}; processes left in uts:[${containerUts}]: ${pidsInNs.length}`,
        `容器进程 ${c.pid} ${containerGone ? '已经退出' : '仍然存在'}；uts:[${containerUts}] 里剩下的进程：${pidsInNs.length} 个`,
      ),
    );
    const setnsAction: SetupAction = { do: 'setns', path: holder, ns: 'uts' };
    const { report } = await probeOnce(ctx, { namespaces: [], actions: [setnsAction], label: t('probe in the held namespace', '被保住的 namespace 中的探针') });
    const where = t(`setns(${holder})`, `setns(${holder}) 之后`);
    const hostnameCmd = (await shown(ctx, 'hostname', [program('hostname')], { actions: [setnsAction], where })).stdout.trim();
    const nsenter = which('nsenter') ? (await attempt(ctx, ['nsenter', `--uts=${holder}`, program('hostname')], { command: `nsenter --uts=${holder} hostname` })).stdout.trim() : undefined;
    return { holder, holdId, containerUts, heldIno, mountLine, containerGone, pidsInNs, setns: report, hostnameCmd, ...(nsenter !== undefined ? { nsenter } : {}) };
  },
  checks: [
    {
      id: 'bind-holds',
      description: t(
        "The bind-mounted file is the container's uts namespace (same nsfs inode) and shows in the host's mount table.",
        '绑定挂载的文件就是容器的 uts namespace（同一个 nsfs inode），并出现在宿主机的挂载表中。',
      ),
      evaluate: (o) => ({
        observed: t(`held file inode ${o.heldIno}; mountinfo: ${o.mountLine || 'no line'}`, `保住的文件 inode ${o.heldIno}；mountinfo：${o.mountLine || '没有这一行'}`),
        expected: t(`inode ${o.containerUts}; an nsfs line`, `inode ${o.containerUts}；一行 nsfs`),
        pass: o.heldIno === o.containerUts && / - nsfs /.test(o.mountLine),
      }),
    },
    {
      id: 'no-process-left',
      description: t('After the container stopped, no process on the machine is in that uts namespace.', '容器停止后，整台机器上没有任何进程还在这个 uts namespace 中。'),
      evaluate: (o) => ({
        observed: t(
          `container process ${o.containerGone ? 'gone' : 'still running'}; processes in uts:[${o.containerUts}]: ${o.pidsInNs.join(', ') || 'none'}`,
          `容器进程${o.containerGone ? '已退出' : '仍在运行'}；uts:[${o.containerUts}] 中的进程：${o.pidsInNs.join('、') || '无'}`,
        ),
        expected: t('gone; none', '已退出；无'),
        pass: o.containerGone && o.pidsInNs.length === 0,
      }),
    },
    {
      id: 'setns-held',
      description: t(
        "setns() into the held file puts a new process in the namespace: it has the same inode and sees the container's hostname.",
        'setns() 进入保住的文件，新进程就进入了这个 namespace：inode 相同，并且看到容器的主机名。',
      ),
      evaluate: (o) => ({
        observed: t(
          `probe: uts:[${o.setns.ns.uts}], hostname ${o.setns.hostname}; hostname command: ${o.hostnameCmd}`,
          `探针：uts:[${o.setns.ns.uts}]，主机名 ${o.setns.hostname}；hostname 命令：${o.hostnameCmd}`,
        ),
        expected: t(`uts:[${o.containerUts}], hostname ${HOSTNAME}; ${HOSTNAME}`, `uts:[${o.containerUts}]，主机名 ${HOSTNAME}；${HOSTNAME}`),
        pass: o.setns.ns.uts === o.containerUts && o.setns.hostname === HOSTNAME && o.hostnameCmd === HOSTNAME,
      }),
    },
    {
      id: 'nsenter-held',
      description: t('util-linux nsenter --uts=<held file> sees the same hostname.', 'util-linux 的 nsenter --uts=<保住的文件> 看到同样的主机名。'),
      evaluate: (o) => (o.nsenter === undefined ? toolSkip('nsenter', 'util-linux') : { observed: o.nsenter, expected: HOSTNAME, pass: o.nsenter === HOSTNAME }),
    },
  ],
});

export const release = step<Released>({
  id: 'release',
  title: { en: 'Unmount: the last reference goes, the kernel frees the namespace', zh: '卸载：最后一个引用消失，内核释放 namespace' },
  explain: {
    en: 'Unmounting the held file drops the last reference, and the kernel frees the namespace. nslab proves it by looking for it everywhere: the inode recorded while the namespace lived is named by no process\'s /proc/PID/ns/uts, no open fd and no mount in any mount namespace this host can see. The file underneath is an ordinary empty file again, so setns() on it fails with EINVAL (shown as a log: any plain file gives that error, it proves nothing by itself).',
    zh: '卸载这个文件就去掉了最后一个引用，内核随即释放该 namespace。nslab 到处寻找它来证明这一点：namespace 还在时记下的 inode，不再出现在任何进程的 /proc/PID/ns/uts、任何打开的 fd，以及本机能看到的任何挂载 namespace 的挂载中。下面的文件又变回普通的空文件，所以对它调用 setns() 会以 EINVAL 失败（只作为日志显示：任何普通文件都会得到这个错误，单凭它证明不了什么）。',
  },
  article: 'umount ~/uts',
  modern: "umount uts; lsns -t uts; grep 'uts:\\[' /proc/*/mountinfo",
  async run(ctx) {
    const { holder, holdId, containerUts } = ctx.observed(hold);
    const err = ctx.cleanup.pop(holdId);
    if (err) throw new LabError(t(`unmounting ${holder} failed: ${err}`, `卸载 ${holder} 失败：${err}`));
    ctx.log(t(`umount ${holder}   (done by nslab on the host)`, `umount ${holder}   （由 nslab 在宿主机上执行）`));
    const scan = scanFor(containerUts);
    ctx.log(
      t(
        `searched uts:[${containerUts}]: ${scan.pidsScanned} processes (ns links and fds), mountinfo of ${scan.mntNsScanned} mount namespaces; ${scan.unreadable} processes whose ns links the kernel does not show nslab here`,
        `查找 uts:[${containerUts}]：${scan.pidsScanned} 个进程（ns 链接与 fd），${scan.mntNsScanned} 个挂载 namespace 的 mountinfo；${scan.unreadable} 个进程的 ns 链接内核在这里不让 nslab 读取`,
      ),
    );
    const grep = `grep -hs 'uts:\\[${containerUts}\\]' /proc/[0-9]*/mountinfo`;
    await attempt(ctx, ['sh', '-c', grep], { command: grep, where: WHERE.host });
    await attempt(ctx, ['stat', '-c', '%i %F', holder], { command: `stat -c '%i %F' ${holder}` });
    let setnsError = 'no error';
    try {
      await probeOnce(ctx, { namespaces: [], actions: [{ do: 'setns', path: holder, ns: 'uts' }], label: t('setns into the released file', 'setns 进入已释放的文件') });
    } catch (e) {
      setnsError = e instanceof NsError ? e.code : (e as Error).message;
    }
    ctx.log(
      t(
        `setns(${holder}) now fails: ${setnsError} (the plain file underneath, inode ${statSync(holder).ino})`,
        `setns(${holder}) 现在失败：${setnsError}（下面的普通文件，inode ${statSync(holder).ino}）`,
      ),
    );
    return { containerUts, ...scan };
  },
  checks: [
    {
      id: 'released',
      description: t(
        'After the unmount nothing on the machine names the namespace any more: no process in it, no open fd, no mount of it in any mount namespace (the kernel has freed it).',
        '卸载之后，整台机器上再也没有东西指向这个 namespace：没有进程在其中，没有打开的 fd，任何挂载 namespace 中都没有它的挂载（内核已经释放了它）。',
      ),
      evaluate: (o) => {
        const left = [...o.procs.map((p) => `pid ${p}`), ...o.fds, ...o.mounts];
        const scanned = o.pidsScanned > 0 && o.mntNsScanned > 0 && Number.isFinite(o.containerUts);
        return {
          observed: t(
            `uts:[${o.containerUts}] named by: ${left.join('; ') || 'nothing'} (scanned ${o.pidsScanned} processes, ${o.mntNsScanned} mount namespaces)`,
            `指向 uts:[${o.containerUts}] 的：${left.join('；') || '没有'}（查看了 ${o.pidsScanned} 个进程、${o.mntNsScanned} 个挂载 namespace）`,
          ),
          expected: t('nothing, after a scan of at least one process and one mount namespace', '没有（至少查看了一个进程和一个挂载 namespace）'),
          pass: scanned && left.length === 0,
        };
      },
    },
  ],
});
