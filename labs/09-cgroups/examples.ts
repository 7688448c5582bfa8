// Made-up observations for 09-cgroups's checks: for each step one that passes (this lab
// machine: cgroup v1 controllers one per hierarchy plus an empty cgroup2), and for each check
// the ways it really fails; on a host without the controller every check skips.
import { CgroupHost, examples, parseCgroupMounts, parseProcCgroups, t, type CpuWindow, type FreezeResult, type Resource, type Unmeasured } from '../../runner/kit/index.js';
import { blkio, type BlkioResult, type Rate } from './blkio.js';
import { cpu, threads, type CpuResult, type ThreadsResult } from './cpu.js';
import { devices, netCls, type DevicesResult, type NetClsResult } from './devices.js';
import { hierarchies, layoutOf } from './hierarchies.js';
import { freezer } from './index.js';
import { memory, type AllocRun, type MemoryResult } from './memory.js';

const MiB = 1024 * 1024;
const T = 'nslab-3f2a';

// ---- hierarchies: the layout is computed from the kernel's texts, as run() does

const MOUNTINFO = `31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const PROC_CGROUPS = `#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t3\t1\t1
cpu\t1\t1\t1
cpuacct\t2\t1\t1
blkio\t7\t1\t1
memory\t4\t72\t1
devices\t5\t1\t1
freezer\t6\t1\t1
net_cls\t0\t1\t1
perf_event\t0\t1\t1
net_prio\t0\t1\t1
hugetlb\t0\t1\t1
pids\t8\t1\t1
`;
const SELF = '9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n';

const hostOf = (mountinfo: string, procCgroups: string, v2: string[] = ['hugetlb']) => {
  const subsystems = parseProcCgroups(procCgroups);
  return new CgroupHost(parseCgroupMounts(mountinfo, subsystems.map((s) => s.name)), subsystems, v2);
};
const hybrid = hostOf(MOUNTINFO, PROC_CGROUPS);

// ---- measurements

/** A CPU window of `percent` % of one CPU over `wallMs`, read from `file`. */
const win = (percent: number, wallMs: number, file: string): CpuWindow => ({ percent, usageUs: percent * wallMs * 10, wallMs, file });
const rate = (bytes: number, seconds: number): Rate => ({ bytes, seconds, mibps: bytes / MiB / seconds });

/** A host with cgroup2 only, offering hugetlb: the lab's controllers are missing. */
const bare = hostOf(MOUNTINFO.split('\n').filter((l) => l.includes('cgroup2')).join('\n') + '\n', PROC_CGROUPS.replace(/\t[1-9]\t/g, '\t0\t'));
const noController = (r: Resource): Unmeasured => ({ skip: bare.whyMissing(r) });

const cpuacct = `/sys/fs/cgroup/cpuacct/${T}-cpu/cpuacct.usage`;
const cpuOk: CpuResult = {
  baseline: win(99.4, 2003, cpuacct),
  limited: win(20.1, 2507, cpuacct),
  version: 1,
  quotaFile: `/sys/fs/cgroup/cpu/${T}-cpu/cpu.cfs_quota_us`,
  readBack: '20000',
  throttleBefore: { periods: 23, throttled: 19, throttledUs: 1_510_000 },
  throttleAfter: { periods: 48, throttled: 44, throttledUs: 3_520_000 },
};

const threadsFile = `/sys/fs/cgroup/cpuacct/${T}-threads/cpuacct.usage`;
const threadsOk: ThreadsResult = {
  total: win(50.3, 2504, threadsFile),
  allowed: [1],
  online: [0, 1],
  cpusAllowedList: '1',
  seen: { 4101: [1], 4102: [1], 4103: [1], 4104: [1], 4105: [1] },
  samples: 25,
  perThread: { 4101: 10.4, 4102: 9.6, 4103: 10, 4104: 10.4, 4105: 9.6 },
};

const killed = (limit: number, allocated: number, chunks: number, more: Partial<AllocRun> = {}): AllocRun => ({
  limit,
  signal: 'SIGKILL',
  code: null,
  timedOut: false,
  allocated,
  chunks,
  oomKillsBefore: 0,
  oomKillsAfter: 1,
  limitHits: 57,
  peak: limit,
  counterFiles: ['memory.limit_in_bytes', 'memory.usage_in_bytes', 'memory.failcnt', 'memory.oom_control', 'memory.max_usage_in_bytes'],
  ...more,
});
const memoryOk: MemoryResult = {
  version: 1,
  // moved in after 256 KiB, killed after 58 KiB more
  moved: { ...killed(64 * 1024, 321_536, 628, { limitHits: 12, peak: 65_536 }), allocatedBeforeMove: 262_144, usageAfterMove: 0, moveCharge: '0' },
  inside: killed(64 * 1024, 0, 0, { limitHits: 3, peak: 65_536 }),
  big: killed(32 * MiB, 30 * MiB, 30, { peak: 32 * MiB }),
};

const blkioOk: BlkioResult = {
  device: '/dev/loop3',
  numbers: '7:3',
  unthrottled: rate(812 * MiB, 1.0),
  throttled: rate(3_211_264, 3.06),
  version: 1,
  limitFile: `/sys/fs/cgroup/blkio/${T}-blkio/blkio.throttle.read_bps_device`,
  readBack: '7:3 1048576',
  counterFile: `/sys/fs/cgroup/blkio/${T}-blkio/blkio.throttle.io_service_bytes`,
  countedBefore: 812 * MiB,
  countedAfter: 812 * MiB + 3_211_264,
};

const devicesOk: DevicesResult = {
  group: `/sys/fs/cgroup/devices/${T}-devices`,
  list: 'a *:* rwm',
  insideNull: 'EPERM',
  insideZero: 'ok',
  outsideNull: 'ok',
};

const netClsOk: NetClsResult = {
  mount: `/run/nslab/3f2a/scratch/net_cls`,
  mountedByUs: true,
  hierarchyBefore: 0,
  hierarchyWhile: 9,
  hierarchyAfter: 0,
  group: `/${T}-netcls`,
  classid: '1048577',
  procLine: `9:net_cls:/${T}-netcls`,
};

const freezerFile = `/sys/fs/cgroup/cpuacct/${T}-freezer/cpuacct.usage`;
const freezeOk: FreezeResult = {
  version: 1,
  stateFile: `/sys/fs/cgroup/freezer/${T}-freezer/freezer.state`,
  frozenState: 'FROZEN',
  thawedState: 'THAWED',
  running: win(99.1, 1002, freezerFile),
  frozen: win(0, 1503, freezerFile),
  resumed: win(98.7, 1001, freezerFile),
};

export default [
  examples(hierarchies, {
    pass: layoutOf(hybrid, SELF),
    fail: {
      'hierarchies-agree': [
        // this process is not in the cpu hierarchy that mountinfo shows
        layoutOf(hybrid, SELF.replace('1:cpu:/\n', '')),
        // pids is bound to a hierarchy that nobody mounted
        layoutOf(hostOf(MOUNTINFO.replace(/^38 .*\n/m, ''), PROC_CGROUPS), SELF),
        // /proc/cgroups puts a mounted controller in no hierarchy
        layoutOf(hostOf(MOUNTINFO, PROC_CGROUPS.replace('freezer\t6', 'freezer\t0')), SELF),
      ],
    },
    skip: {
      // no cgroup file system at all: nothing of the lab can be placed
      'hierarchies-agree': layoutOf(hostOf('', PROC_CGROUPS, []), ''),
    },
  }),
  examples(cpu, {
    pass: cpuOk,
    fail: {
      'busy-loop-full-core': { ...cpuOk, baseline: win(31.2, 2001, cpuacct) },
      'quota-throttles': [
        // the quota was never enforced: no period throttled
        { ...cpuOk, throttleAfter: { ...cpuOk.throttleBefore, periods: 48 } },
        // too few periods to judge (the loop hardly ran)
        { ...cpuOk, throttleAfter: { periods: 25, throttled: 21, throttledUs: 1_600_000 } },
        // throttled periods counted, but no time spent throttled
        { ...cpuOk, throttleAfter: { ...cpuOk.throttleAfter, throttledUs: 1_510_000 } },
      ],
      'quota-20-percent': [
        { ...cpuOk, limited: win(34.8, 2506, cpuacct) },
        { ...cpuOk, limited: win(12.2, 2506, cpuacct) },
        { ...cpuOk, limited: win(20.0, 900, cpuacct) }, // too short a window to judge
      ],
    },
    skip: {
      'busy-loop-full-core': noController('cpu'),
      'quota-throttles': noController('cpu'),
      'quota-20-percent': noController('cpu'),
    },
  }),
  examples(threads, {
    pass: threadsOk,
    fail: {
      'threads-total-50-percent': [
        { ...threadsOk, total: win(98.9, 2502, threadsFile) }, // the quota did not hold
        { ...threadsOk, total: win(43.1, 2502, threadsFile) },
      ],
      'only-allowed-cpus': [
        { ...threadsOk, seen: { ...threadsOk.seen, 4103: [1, 0] } },
        { ...threadsOk, cpusAllowedList: '0-1' }, // the mask was not applied
        { ...threadsOk, cpusAllowedList: '' },
        { ...threadsOk, samples: 3 },
        { ...threadsOk, seen: {} },
      ],
    },
    skip: {
      'threads-total-50-percent': noController('cpuset'),
      'only-allowed-cpus': [noController('cpuset'), { ...threadsOk, online: [0], allowed: [0], seen: { 4101: [0] } }],
    },
  }),
  examples(memory, {
    pass: memoryOk,
    fail: {
      'moved-charges-stay': [
        { ...memoryOk, moved: { ...memoryOk.moved, usageAfterMove: 270_336 } }, // the charges moved along
        { ...memoryOk, moved: { ...memoryOk.moved, usageAfterMove: null } },
      ],
      'moved-oom-killed': [
        { ...memoryOk, moved: { ...memoryOk.moved, signal: null, code: 1, oomKillsAfter: 0 } }, // malloc failed and it exited
        { ...memoryOk, moved: { ...memoryOk.moved, timedOut: true } }, // nslab's own SIGKILL after 20 s
        { ...memoryOk, moved: { ...memoryOk.moved, oomKillsAfter: 0 } }, // killed, but not by this group's OOM killer
        { ...memoryOk, moved: { ...memoryOk.moved, oomKillsAfter: 2 } }, // a second kill: not only our program
        { ...memoryOk, moved: { ...memoryOk.moved, allocated: 262_144 } }, // killed at the move, before any new page
        { ...memoryOk, moved: { ...memoryOk.moved, allocated: 262_144 + 512 * 1024 } }, // the limit did not hold
      ],
      'inside-64k-killed-early': [
        { ...memoryOk, inside: { ...memoryOk.inside, signal: null, code: 0, allocated: 4 * MiB, chunks: 8192, timedOut: true } }, // no limit at all
        { ...memoryOk, inside: { ...memoryOk.inside, allocated: 64 * 1024, chunks: 128 } },
        { ...memoryOk, inside: { ...memoryOk.inside, oomKillsAfter: 0 } },
      ],
      'oom-killed': [
        { ...memoryOk, big: { ...memoryOk.big, timedOut: true } }, // nslab's own SIGKILL after 20 s
        { ...memoryOk, big: { ...memoryOk.big, oomKillsAfter: 0 } }, // killed, but not by this group's OOM killer
        { ...memoryOk, big: { ...memoryOk.big, signal: null, code: 1, oomKillsAfter: 0 } }, // malloc failed and it exited
        { ...memoryOk, big: { ...memoryOk.big, oomKillsBefore: 1, oomKillsAfter: 1 } }, // an old kill, not this one
        { ...memoryOk, big: { ...memoryOk.big, limitHits: 0 } },
      ],
      'killed-at-limit': [
        { ...memoryOk, big: { ...memoryOk.big, allocated: 12 * MiB } },
        { ...memoryOk, big: { ...memoryOk.big, allocated: 64 * MiB, peak: 66 * MiB } }, // the limit did not apply
        { ...memoryOk, big: { ...memoryOk.big, peak: 40 * MiB } },
      ],
    },
    skip: {
      'moved-charges-stay': noController('memory'),
      'moved-oom-killed': noController('memory'),
      'inside-64k-killed-early': noController('memory'),
      'oom-killed': noController('memory'),
      'killed-at-limit': noController('memory'),
    },
  }),
  examples(blkio, {
    pass: blkioOk,
    fail: {
      'reads-counted': [
        { ...blkioOk, countedAfter: blkioOk.countedBefore }, // the group's counter did not see the reads
        { ...blkioOk, countedAfter: blkioOk.countedBefore + 4 * MiB }, // more than the program read
      ],
      'throttled-1mib': [
        { ...blkioOk, throttled: rate(4_404_019, 3.02) }, // page-cache hits the throttle never sees
        { ...blkioOk, throttled: rate(1_048_576, 1.0) }, // too short to judge
        { ...blkioOk, throttled: rate(2_097_152, 3.1) },
      ],
      'unthrottled-10x': { ...blkioOk, unthrottled: rate(5 * MiB, 1.0) },
    },
    skip: {
      'reads-counted': { skip: t('the losetup command is missing (apt-get install mount)', '缺少 losetup 命令（apt-get install mount）') },
      'throttled-1mib': noController('io'),
      'unthrottled-10x': noController('io'),
    },
  }),
  examples(freezer, {
    pass: freezeOk,
    fail: {
      'frozen-state': { ...freezeOk, frozenState: 'FREEZING' },
      'frozen-no-cpu': [
        { ...freezeOk, frozen: win(37.5, 1502, freezerFile) },
        { ...freezeOk, frozen: win(0, 400, freezerFile) },
      ],
      'thawed-resumes': [
        { ...freezeOk, thawedState: 'FROZEN', resumed: win(0, 1000, freezerFile) },
        { ...freezeOk, resumed: win(12.4, 1000, freezerFile) },
        { ...freezeOk, running: win(2.1, 1000, freezerFile), resumed: win(2.0, 1000, freezerFile) }, // the loop never ran
      ],
    },
    skip: {
      'frozen-state': noController('freezer'),
      'frozen-no-cpu': noController('freezer'),
      'thawed-resumes': noController('freezer'),
    },
  }),
  examples(devices, {
    pass: devicesOk,
    fail: {
      'null-denied-inside': [
        { ...devicesOk, insideNull: 'ok' }, // the deny did not apply
        { ...devicesOk, insideZero: 'EPERM' }, // everything denied, not just 1:3
        { ...devicesOk, outsideNull: 'EPERM' }, // denied outside too: not the group's doing
        { ...devicesOk, insideNull: 'EACCES' }, // a permission problem, not the device cgroup
      ],
    },
    skip: {
      'null-denied-inside': {
        skip: t('no cgroup v1 hierarchy has the devices controller: cgroup v2 controls devices with a BPF program', '没有哪个 cgroup v1 层级带 devices 子系统：cgroup v2 用 BPF 程序控制设备访问'),
      },
    },
  }),
  examples(netCls, {
    pass: netClsOk,
    fail: {
      'mount-binds-hierarchy': [
        { ...netClsOk, hierarchyAfter: 9 }, // the hierarchy outlived the unmount
        { ...netClsOk, hierarchyWhile: 0 },
      ],
      'process-in-group': [
        { ...netClsOk, procLine: null },
        { ...netClsOk, procLine: '9:net_cls:/' }, // still in the root group
        { ...netClsOk, procLine: `4:memory:/${T}-netcls` },
      ],
    },
    skip: {
      'mount-binds-hierarchy': [
        { skip: t('this host uses cgroup v2 only: net_cls is a v1 subsystem', '本机只用 cgroup v2：net_cls 是 v1 子系统') },
        // net_cls was mounted already: nslab used that hierarchy and mounted nothing
        { ...netClsOk, mount: '/sys/fs/cgroup/net_cls,net_prio', mountedByUs: false, hierarchyBefore: 9, hierarchyAfter: null, procLine: `9:net_cls,net_prio:/${T}-netcls` },
      ],
      'process-in-group': { skip: t('this host uses cgroup v2 only: net_cls is a v1 subsystem', '本机只用 cgroup v2：net_cls 是 v1 子系统') },
    },
  }),
];
