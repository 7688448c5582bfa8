// 09-cgroups: limit CPU, CPUs, memory and disk reads of a group of processes, and freeze it,
// measured with the kernel's own counters. One driver (runner/kit/cgroup*.ts) speaks v1 and v2.
import {
  basics,
  Cgroup,
  CgroupHost,
  freezeChecks,
  freezeExperiment,
  interactive,
  LabError,
  step,
  t,
  workloadsBuilt,
  type Freezer,
  type Lab,
  type Requirement,
} from '../../runner/kit/index.js';
import { about } from './about.js';
import { blkio } from './blkio.js';
import { devices, netCls } from './devices.js';
import { CPU_QUOTA, cpu, threads } from './cpu.js';
import { hierarchies, missing } from './hierarchies.js';
import { memory } from './memory.js';
import { exercises } from './exercises.js';

/** The workload programs are built (npm run build:addon builds them next to the probe). */
const workloads = workloadsBuilt('workloads', t('the workload programs nslab-workload-{spin,threads,alloc,dread} are built', '负载程序 nslab-workload-{spin,threads,alloc,dread} 已经构建'), [
  'spin',
  'threads',
  'alloc',
  'dread',
]);

const cgroupsMounted: Requirement = {
  id: 'cgroupfs',
  description: t('a cgroup file system (v1 or v2) is mounted', '挂载了 cgroup 文件系统（v1 或 v2）'),
  probe: () =>
    CgroupHost.discover().mode === 'none'
      ? {
          ok: false,
          reason: t('no cgroup or cgroup2 file system is mounted', '没有挂载任何 cgroup 或 cgroup2 文件系统'),
          remedy: t('mount -t cgroup2 none /sys/fs/cgroup (systemd does this at boot)', 'mount -t cgroup2 none /sys/fs/cgroup（systemd 在启动时会做）'),
        }
      : { ok: true },
};

export const freezer = step<Freezer>({
  id: 'freezer',
  title: { en: 'freezer: stop a group and let it go on', zh: 'freezer：冻结一个组，再让它继续' },
  explain: {
    en: 'The freezer stops every task of a group where it stands, without a signal the tasks could see, and thaws them later: this is docker pause. While frozen the busy loop gets no CPU at all; after the thaw it runs again from where it was.',
    zh: 'freezer 让组内所有进程原地停下，进程收不到任何可察觉的信号，之后再解冻：这就是 docker pause。冻结期间死循环得不到一点 CPU；解冻后从原处接着跑。',
  },
  article: 'freezer — 这个子系统挂起或者恢复 cgroup 中的任务',
  modern: 'v1: echo FROZEN > …/freezer.state; v2: echo 1 > …/cgroup.freeze',
  run: (ctx) => freezeExperiment(ctx, 'freezer'),
  checks: freezeChecks,
});

export { hierarchies, cpu, threads, memory, blkio, devices, netCls };

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Namespaces hide things but limit nothing: a process in a container can still take every CPU, all memory and the whole disk bandwidth of the host.',
      zh: 'namespace 只负责隔离视图，不限制用量：容器里的进程照样能吃光宿主机的 CPU、内存和磁盘带宽。',
    },
    tradeoff: {
      en: 'Limits are enforced by the kernel at little cost, but they are blunt: a quota throttles in whole periods, a memory limit ends in a kill, and v1 spreads one group over many trees.',
      zh: '限制由内核执行，开销很小，但手段生硬：CPU 配额按周期整段限流，内存超限的结局是被杀，而 v1 把一个组分散在多棵树里。',
    },
    usedBy: {
      en: 'docker run --cpus/--cpuset-cpus/--memory/--device-read-bps, docker pause (the freezer), Kubernetes requests and limits, systemd slices.',
      zh: 'docker run --cpus/--cpuset-cpus/--memory/--device-read-bps、docker pause（freezer）、Kubernetes 的 requests 和 limits、systemd 的 slice。',
    },
    parts: {
      en: 'A cgroup file system; a directory per group; cgroup.procs (v1 also tasks) to move processes; controller files (cpu.cfs_quota_us / cpu.max, cpuset.cpus, memory.limit_in_bytes / memory.max, blkio.throttle.* / io.max, freezer.state / cgroup.freeze, v1 devices.deny and net_cls.classid) and counters.',
      zh: 'cgroup 文件系统；每个组一个目录；cgroup.procs（v1 还有 tasks）用来迁入进程；各子系统的文件（cpu.cfs_quota_us / cpu.max、cpuset.cpus、memory.limit_in_bytes / memory.max、blkio.throttle.* / io.max、freezer.state / cgroup.freeze，以及 v1 的 devices.deny 和 net_cls.classid）和计数器。',
    },
    kernel: {
      en: 'Each task points to a css_set, one cgroup per hierarchy. The CFS bandwidth timer throttles a group whose runtime is used up, the scheduler honours the cpuset mask, the memcg charges each page once to the group of the task that faults it in and calls the OOM killer, blk-throttle delays bios, the device cgroup checks every open of a device node.',
      zh: '每个进程指向一个 css_set，在每个层级里各属于一个 cgroup。CFS 带宽定时器在配额用完时限流整个组，调度器遵守 cpuset 掩码，memcg 把每一页记在最先缺页调入它的进程所在的组上，并在超限时调用 OOM killer，blk-throttle 推迟 bio 的下发，devices 子系统检查每一次打开设备节点的操作。',
    },
    alternatives: {
      en: 'nice and ionice only set priorities, setrlimit limits one process (not a group), taskset pins one process; a virtual machine limits everything, at the price of a whole kernel.',
      zh: 'nice 和 ionice 只调优先级，setrlimit 只限制单个进程而非一组，taskset 只绑定单个进程；虚拟机什么都能限，代价是一整个内核。',
    },
  },
  requirements: [...basics, workloads, cgroupsMounted],
  steps: [hierarchies, cpu, threads, memory, blkio, freezer, devices, netCls],
  exercises,
  shell: {
    // A shell in a group held to 20 % of a CPU: try `yes > /dev/null &` and `top`.
    async open(ctx) {
      const host = CgroupHost.discover();
      const skip = missing(host, ['cpu', 'cpuacct']);
      if (skip) throw new LabError(skip.skip);
      const g = Cgroup.create(ctx, host, 'shell-cpu', ['cpu', 'cpuacct']);
      g.limitCpu(CPU_QUOTA);
      // Writing 0 to cgroup.procs moves the writer itself: the shell is born in the group.
      return interactive(ctx, {
        labId: '09-cgroups',
        namespaces: [],
        actions: g.paths.map((p) => ({ do: 'writeFile' as const, path: `${p}/cgroup.procs`, content: '0' })),
      });
    },
  },
};
