// 09-cgroups, steps 6 and 7: two v1 subsystems the article lists: devices (deny /dev/null to a
// group, seen from a process inside it) and net_cls (mounted by hand, as the article does).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CgroupDir,
  CgroupHost,
  Container,
  must,
  notMeasured,
  parseProcCgroups,
  parseProcPidCgroup,
  probeOnce,
  step,
  t,
  tryRead,
  WHERE,
  type StepContext,
  type Unmeasured,
} from '../../runner/kit/index.js';

/** What opening a device gave: "ok" or the errno name. */
export type Opened = string;

export interface DevicesResult {
  readonly group: string;
  /** The group's devices.list after the deny (the kernel's view; logged). */
  readonly list: string;
  /** A process inside the group opening /dev/null (denied) and /dev/zero (not denied). */
  readonly insideNull: Opened;
  readonly insideZero: Opened;
  /** The same open of /dev/null from outside the group. */
  readonly outsideNull: Opened;
}

/** Open `path` with nslab-probe, inside `dir` when given (the child joins it before execve). */
async function open(ctx: StepContext, path: string, dir: CgroupDir | undefined): Promise<Opened> {
  const actions = dir ? [{ do: 'writeFile' as const, path: dir.file('cgroup.procs'), content: '0' }] : [];
  const where = dir ? t('in the group', '组内') : t('outside the group', '组外');
  const { report } = await probeOnce(ctx, { namespaces: [], actions, probeArgs: ['--read', path], label: t(`nslab-probe ${where.en}`, `${where.zh}的 nslab-probe`) });
  const r = report.read;
  const opened = !r ? '?' : r.ok ? 'ok' : (r.errno ?? '?');
  ctx.transcript({
    command: `${dir ? `echo $$ > ${dir.file('cgroup.procs')}; ` : ''}nslab-probe --read ${path}`,
    output: `read ${path}: ${opened === 'ok' ? `ok, ${r?.bytes ?? 0} bytes` : opened}`,
    where: t(`host, ${where.en}`, `主机，${where.zh}`),
  });
  return opened;
}

export const devices = step<DevicesResult | Unmeasured>({
  id: 'devices',
  title: { en: 'devices: deny /dev/null to a group', zh: 'devices：禁止一个组访问 /dev/null' },
  explain: {
    en: 'The article lists the devices subsystem ("allow or deny a group\'s tasks access to devices") without trying it. A v1 group starts with its parent\'s list (here "a *:* rwm": everything); writing "c 1:3 rw" to devices.deny takes read and write of the character device 1:3, /dev/null, away from the group. The kernel checks the list at open(): a process inside gets EPERM, even as root, while /dev/zero (1:5) and the same open outside the group still work. cgroup v2 has no devices files: it runs a BPF program attached to the group instead (what systemd and runc load), which nslab does not load.',
    zh: '原文只列出了 devices 子系统（“允许或者拒绝 cgroup 中的任务访问设备”），没有动手试。v1 的新组从父组继承设备清单（这里是 "a *:* rwm"，即全部允许）；往 devices.deny 写 "c 1:3 rw"，就收回了该组对字符设备 1:3（即 /dev/null）的读写权限。内核在 open() 时检查这张清单：组内的进程即使是 root 也会得到 EPERM，而 /dev/zero（1:5）以及组外同样的 open 照常成功。cgroup v2 没有 devices 文件：它改为在组上挂一个 BPF 程序（systemd 和 runc 会加载），nslab 不加载它。',
  },
  article: 'devices — 这个子系统可允许或者拒绝 cgroup 中的任务访问设备。',
  modern: 'echo "c 1:3 rw" > /sys/fs/cgroup/devices/GROUP/devices.deny; echo $$ > …/cgroup.procs; cat /dev/null',
  async run(ctx) {
    const host = CgroupHost.discover();
    const m = host.v1.find((x) => x.controllers.includes('devices'));
    if (!m)
      return {
        skip: t(
          'no cgroup v1 hierarchy has the devices controller: cgroup v2 controls devices with a BPF program attached to the group (BPF_CGROUP_DEVICE), which nslab does not load',
          '没有哪个 cgroup v1 层级带 devices 子系统：cgroup v2 用挂在组上的 BPF 程序（BPF_CGROUP_DEVICE）控制设备访问，nslab 不加载这种程序',
        ),
      };
    const dir = CgroupDir.root(ctx, m.mount, 1).child('devices');
    try {
      dir.write('devices.deny', 'c 1:3 rw');
      const list = dir.show('devices.list').trim();
      const outsideNull = await open(ctx, '/dev/null', undefined);
      const insideNull = await open(ctx, '/dev/null', dir);
      const insideZero = await open(ctx, '/dev/zero', dir);
      ctx.log(
        t(
          `/dev/null: ${outsideNull} outside the group, ${insideNull} inside it; /dev/zero inside it: ${insideZero}`,
          `/dev/null：组外 ${outsideNull}，组内 ${insideNull}；组内的 /dev/zero：${insideZero}`,
        ),
      );
      ctx.measure('devices', { group: dir.path, deny: 'c 1:3 rw', outsideNull, insideNull, insideZero });
      return { group: dir.path, list, insideNull, insideZero, outsideNull };
    } finally {
      dir.remove();
    }
  },
  checks: [
    {
      id: 'null-denied-inside',
      description: t(
        'After "c 1:3 rw" is written to devices.deny, a process inside the group gets EPERM opening /dev/null, while it can open /dev/zero and a process outside can open /dev/null.',
        '往 devices.deny 写入 "c 1:3 rw" 之后，组内进程打开 /dev/null 得到 EPERM，但它能打开 /dev/zero，组外进程也能打开 /dev/null。',
      ),
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: t(
                `/dev/null inside: ${o.insideNull}; /dev/zero inside: ${o.insideZero}; /dev/null outside: ${o.outsideNull}`,
                `组内 /dev/null：${o.insideNull}；组内 /dev/zero：${o.insideZero}；组外 /dev/null：${o.outsideNull}`,
              ),
              expected: 'EPERM; ok; ok',
              pass: o.insideNull === 'EPERM' && o.insideZero === 'ok' && o.outsideNull === 'ok',
            },
    },
  ],
});

/** The classid the article's tc example would match: class 10:1 (0x00100001). */
export const CLASSID = '0x100001';

export interface NetClsResult {
  /** Where the net_cls hierarchy was: mounted by nslab under its run directory, or the host's. */
  readonly mount: string;
  readonly mountedByUs: boolean;
  /** net_cls's hierarchy id in /proc/cgroups: before the mount, while mounted, after the unmount (null: not mounted by us). */
  readonly hierarchyBefore: number;
  readonly hierarchyWhile: number;
  readonly hierarchyAfter: number | null;
  /** The group (path in the hierarchy), and what its net_cls.classid read (logged). */
  readonly group: string;
  readonly classid: string;
  /** The process's /proc/PID/cgroup line for that hierarchy (null: none). */
  readonly procLine: string | null;
}

/** net_cls's line of /proc/cgroups: its hierarchy id and group count (undefined: no such subsystem). */
function netClsLine(): { hierarchy: number; cgroups: number } | undefined {
  const s = parseProcCgroups(tryRead('/proc/cgroups') ?? '').find((x) => x.name === 'net_cls');
  return s && { hierarchy: s.hierarchy, cgroups: s.cgroups };
}

async function until(ctx: StepContext, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, 20));
}

export const netCls = step<NetClsResult | Unmeasured>({
  id: 'net_cls',
  title: { en: 'net_cls: a hierarchy mounted by hand', zh: 'net_cls：手动挂载一个层级' },
  explain: {
    en: 'The article notes that net_cls may not be mounted and mounts it by hand with mount -t cgroup -o net_cls. A v1 subsystem is bound to at most one hierarchy: mounting it creates that hierarchy (/proc/cgroups shows its id), and unmounting an empty one destroys it (the id goes back to 0). nslab mounts it under its own run directory (not /sys/fs/cgroup), makes a group, writes the classid 0x100001 that a tc cgroup filter would map to class 10:1 (the kernel shows it in decimal), puts a process in and unmounts again. If net_cls is mounted already, nslab uses that hierarchy. nslab does not set up tc here, so only the membership is observed, not the tagged packets.',
    zh: '原文提到 net_cls 可能没有挂载，于是用 mount -t cgroup -o net_cls 手动挂载。一个 v1 子系统最多绑在一个层级上：挂载它就创建了这个层级（/proc/cgroups 显示层级编号），卸载一个空层级就销毁它（编号回到 0）。nslab 把它挂载在自己的运行目录下（而不是 /sys/fs/cgroup），建一个组，写入 classid 0x100001（tc 的 cgroup 过滤器会把它对应到类别 10:1；内核以十进制显示），放进一个进程，然后再卸载。如果 net_cls 已经挂载，nslab 就用那个层级。这里 nslab 不配置 tc，所以只观察进程的归属，而不观察打了标记的数据包。',
  },
  article: 'mkdir /sys/fs/cgroup/net_cls; mount -t cgroup -o net_cls none /sys/fs/cgroup/net_cls',
  modern: 'mount -t cgroup -o net_cls nslab-TOKEN-net_cls /run/nslab/TOKEN/…/net_cls; echo 0x100001 > …/net_cls.classid',
  async run(ctx) {
    const host = CgroupHost.discover();
    const line = netClsLine();
    if (!line) return { skip: t('this kernel has no net_cls subsystem (/proc/cgroups does not list it)', '这个内核没有 net_cls 子系统（/proc/cgroups 里没有它）') };
    const existing = host.v1.find((x) => x.controllers.includes('net_cls'));
    if (!existing && host.v1.length === 0)
      return {
        skip: t(
          'this host uses cgroup v2 only: net_cls is a v1 subsystem; v2 has no classid and matches packets by the socket\'s cgroup path instead (iptables -m cgroup --path, BPF)',
          '本机只用 cgroup v2：net_cls 是 v1 子系统；v2 没有 classid，改为按套接字所在 cgroup 的路径匹配数据包（iptables -m cgroup --path、BPF）',
        ),
      };
    if (!existing && line.hierarchy !== 0)
      return { skip: t(`net_cls is bound to hierarchy ${line.hierarchy} but mounted nowhere nslab can see`, `net_cls 绑在层级 ${line.hierarchy} 上，却没有挂载在 nslab 看得见的地方`) };
    const hierarchyBefore = line.hierarchy;
    let mount = existing?.mount;
    let mountId: number | undefined;
    if (!mount) {
      const dir = join(ctx.scratch(), 'net_cls');
      ({ id: mountId } = await ctx.cleanup.create({ kind: 'mount', rel: ctx.cleanup.rel(dir) }, t(`net_cls hierarchy at ${dir}`, `挂载在 ${dir} 的 net_cls 层级`), async () => {
        mkdirSync(dir, { recursive: true });
        await must(ctx, ['mount', '-t', 'cgroup', '-o', 'net_cls', ctx.name('net_cls'), dir]);
      }));
      mount = dir;
      ctx.log(t(`net_cls was not mounted: nslab mounted it at ${dir}, as the article does at /sys/fs/cgroup/net_cls`, `net_cls 原先没有挂载：nslab 把它挂载在 ${dir}，就像原文挂载在 /sys/fs/cgroup/net_cls 一样`));
    } else {
      ctx.log(t(`net_cls is mounted already at ${mount}: nslab uses that hierarchy`, `net_cls 已经挂载在 ${mount}：nslab 直接使用这个层级`));
    }
    try {
      await must(ctx, ['grep', '-E', '^(#|net_cls)', '/proc/cgroups']);
      const hierarchyWhile = netClsLine()?.hierarchy ?? 0;
      const g = CgroupDir.root(ctx, mount, 1).child('netcls');
      let classid = '';
      let procLine: string | null = null;
      try {
        g.write('net_cls.classid', CLASSID);
        classid = g.show('net_cls.classid').trim();
        ctx.log(t(`the kernel shows ${CLASSID} in decimal: ${classid}`, `内核以十进制显示 ${CLASSID}：${classid}`));
        const c = await Container.start(ctx, { namespaces: [], actions: [{ do: 'writeFile', path: g.file('cgroup.procs'), content: '0' }], label: t('a process in the net_cls group', 'net_cls 组里的进程') });
        try {
          const text = tryRead(`/proc/${c.pid}/cgroup`) ?? '';
          const found = parseProcPidCgroup(text).find((l) => l.hierarchy === hierarchyWhile && l.controllers.includes('net_cls'));
          procLine = found ? `${found.hierarchy}:${found.controllers.join(',')}:${found.path}` : null;
          ctx.transcript({ command: `grep net_cls /proc/${c.pid}/cgroup`, output: procLine ?? '', where: WHERE.host });
        } finally {
          await c.stop();
        }
      } finally {
        g.remove();
      }
      let hierarchyAfter: number | null = null;
      if (mountId !== undefined) {
        // The removed group leaves the hierarchy a little later; an unmount before that would keep it alive.
        await until(ctx, () => (netClsLine()?.cgroups ?? 1) <= 1, 3000);
        const err = ctx.cleanup.pop(mountId);
        mountId = undefined;
        if (err) throw new Error(err);
        ctx.transcript({ command: `umount ${mount}`, output: '', where: WHERE.host });
        await until(ctx, () => netClsLine()?.hierarchy === 0, 3000);
        await must(ctx, ['grep', '-E', '^(#|net_cls)', '/proc/cgroups']);
        hierarchyAfter = netClsLine()?.hierarchy ?? 0;
      }
      const group = g.path.slice(mount.length);
      ctx.measure('net_cls', { mount, mountedByUs: String(hierarchyAfter !== null), group, classid, hierarchies: `${hierarchyBefore} → ${hierarchyWhile} → ${hierarchyAfter ?? '-'}` });
      return { mount, mountedByUs: hierarchyAfter !== null, hierarchyBefore, hierarchyWhile, hierarchyAfter, group, classid, procLine };
    } finally {
      if (mountId !== undefined) ctx.cleanup.pop(mountId);
    }
  },
  checks: [
    {
      id: 'mount-binds-hierarchy',
      description: t(
        'Mounting net_cls by hand binds it to a new hierarchy (/proc/cgroups shows a non-zero id while mounted) and unmounting the empty hierarchy frees it again (id 0).',
        '手动挂载 net_cls 就把它绑到一个新层级（挂载期间 /proc/cgroups 显示非零编号），卸载这个空层级后它又被释放（编号为 0）。',
      ),
      evaluate: (o) => {
        if ('skip' in o) return notMeasured(o);
        const out = {
          observed: t(`hierarchy ${o.hierarchyBefore} → ${o.hierarchyWhile} → ${o.hierarchyAfter ?? '-'}`, `层级 ${o.hierarchyBefore} → ${o.hierarchyWhile} → ${o.hierarchyAfter ?? '-'}`),
          expected: '0 → N → 0',
        };
        if (o.hierarchyAfter === null)
          return { ...out, pass: false, skip: t(`net_cls was mounted already (${o.mount}): nslab did not mount it`, `net_cls 已经挂载（${o.mount}）：nslab 没有自己挂载`) };
        return { ...out, pass: o.hierarchyBefore === 0 && o.hierarchyWhile > 0 && o.hierarchyAfter === 0 };
      },
    },
    {
      id: 'process-in-group',
      description: t(
        "The kernel places the process in the group on the net_cls hierarchy: its /proc/PID/cgroup has that hierarchy's line with the group's path.",
        '内核把进程放进了 net_cls 层级上的这个组：它的 /proc/PID/cgroup 里有该层级的一行，路径就是这个组。',
      ),
      evaluate: (o) =>
        'skip' in o
          ? notMeasured(o)
          : {
              observed: o.procLine ?? t('no net_cls line', '没有 net_cls 这一行'),
              expected: `${o.hierarchyWhile}:net_cls:${o.group}`,
              pass: o.procLine !== null && o.procLine.startsWith(`${o.hierarchyWhile}:`) && o.procLine.split(':')[1]!.split(',').includes('net_cls') && o.procLine.endsWith(`:${o.group}`),
            },
    },
  ],
});
