// The cgroup driver's file formats and vocabulary, for v1 and v2, from texts as the kernel
// writes them; and (root only) its v2 path against this host's real cgroup2 mount.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { Cgroup } from '../../runner/kit/cgroup.js';
import { CgroupHost, majMin } from '../../runner/kit/cgroup-host.js';
import {
  cpuLimit,
  cpuThrottling,
  cpuUsageFile,
  cpusetCpus,
  freeze,
  frozenState,
  ioReadBytes,
  ioStatFile,
  memoryCounters,
  memoryLimit,
  parseCpuList,
  parseCpuMax,
  parseKeyed,
  parseCgroupMounts,
  parseNestedKeyed,
  parseProcCgroups,
  parseProcPidCgroup,
  parseTaskStat,
  readBps,
} from '../../runner/kit/cgroup-parse.js';
import { CleanupStack } from '../../runner/core/cleanup.js';
import { claimRun } from '../../runner/core/owner.js';
import { addonStatus, spawn, workloadPath } from '../../addon/index.js';
import type { StepContext, TranscriptIn } from '../../runner/core/model.js';
import { isRoot } from '../../runner/kit/requirements.js';
import { useTempRunDir } from '../helpers.js';

// ---- fixtures: what the kernel prints on three kinds of host ----

/** This lab machine: v1 controllers one per hierarchy (cpu and cpuacct apart) plus cgroup2. */
const HYBRID_MOUNTINFO = `22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
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

const HYBRID_PROC_CGROUPS = `#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t3\t1\t1
cpu\t1\t1\t1
cpuacct\t2\t1\t1
blkio\t7\t1\t1
memory\t4\t25\t1
devices\t5\t1\t1
freezer\t6\t1\t1
net_cls\t0\t1\t1
perf_event\t0\t1\t1
net_prio\t0\t1\t1
hugetlb\t0\t1\t1
pids\t8\t1\t1
`;

/** A systemd distribution today: only cgroup2, at /sys/fs/cgroup. */
const V2_MOUNTINFO = `25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_PROC_CGROUPS = `#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t0\t120\t1
cpu\t0\t120\t1
cpuacct\t0\t120\t1
blkio\t0\t120\t1
memory\t0\t120\t1
devices\t0\t120\t1
freezer\t0\t120\t1
hugetlb\t0\t120\t1
pids\t0\t120\t1
`;

/** The article's Ubuntu 14.04 (v1, cpu and cpuacct co-mounted as many distributions did). */
const V1_MOUNTINFO = `24 19 0:20 / /sys/fs/cgroup rw - tmpfs none rw,size=4k,mode=755
25 24 0:21 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,cpu,cpuacct
26 24 0:22 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,memory
27 24 0:22 / /mnt/again\\040memory rw,relatime shared:8 - cgroup cgroup rw,memory
28 24 0:23 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,blkio
`;
const V1_SUBSYSTEMS = ['cpu', 'cpuacct', 'memory', 'blkio', 'freezer', 'cpuset'];

describe('cgroup driver: file formats', function () {
  it('finds v1 hierarchies and the cgroup2 mount in mountinfo', function () {
    const names = parseProcCgroups(HYBRID_PROC_CGROUPS).map((s) => s.name);
    const mounts = parseCgroupMounts(HYBRID_MOUNTINFO, names);
    expect(mounts.map((m) => `${m.version} ${m.mount} ${m.controllers.join(',')}`)).to.deep.equal([
      '1 /sys/fs/cgroup/cpu cpu',
      '1 /sys/fs/cgroup/cpuacct cpuacct',
      '1 /sys/fs/cgroup/cpuset cpuset',
      '1 /sys/fs/cgroup/memory memory',
      '1 /sys/fs/cgroup/devices devices',
      '1 /sys/fs/cgroup/freezer freezer',
      '1 /sys/fs/cgroup/blkio blkio',
      '1 /sys/fs/cgroup/pids pids',
      '1 /sys/fs/cgroup/systemd ',
      '2 /sys/fs/cgroup/unified ',
    ]);
    expect(mounts.find((m) => m.mount.endsWith('systemd'))!.name).to.equal('systemd');
  });

  it('keeps co-mounted controllers together, one entry per hierarchy, and decodes escaped paths', function () {
    const mounts = parseCgroupMounts(V1_MOUNTINFO, V1_SUBSYSTEMS);
    expect(mounts.map((m) => [m.mount, m.controllers.join(',')])).to.deep.equal([
      ['/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct'],
      ['/sys/fs/cgroup/memory', 'memory'],
      ['/sys/fs/cgroup/blkio', 'blkio'],
    ]);
    const escaped = parseCgroupMounts(V1_MOUNTINFO.split('\n').filter((l) => l.includes('again')).join('\n'), V1_SUBSYSTEMS);
    expect(escaped[0]!.mount).to.equal('/mnt/again memory');
  });

  it('reads /proc/cgroups', function () {
    const s = parseProcCgroups(HYBRID_PROC_CGROUPS);
    expect(s).to.have.length(12);
    expect(s.find((x) => x.name === 'memory')).to.deep.equal({ name: 'memory', hierarchy: 4, cgroups: 25, enabled: true });
    expect(s.filter((x) => x.hierarchy === 0).map((x) => x.name)).to.deep.equal(['net_cls', 'perf_event', 'net_prio', 'hugetlb']);
  });

  it('reads flat and nested keyed files', function () {
    expect(parseKeyed('usage_usec 537554\nuser_usec 537554\nsystem_usec 0\n')).to.deep.equal({ usage_usec: '537554', user_usec: '537554', system_usec: '0' });
    expect(parseKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n').oom_kill).to.equal('1');
    expect(parseNestedKeyed('7:0 rbps=1048576 wbps=max riops=max wiops=max\n8:0 rbps=max wbps=2048 riops=max wiops=max\n')).to.deep.equal({
      '7:0': { rbps: '1048576', wbps: 'max', riops: 'max', wiops: 'max' },
      '8:0': { rbps: 'max', wbps: '2048', riops: 'max', wiops: 'max' },
    });
  });

  it('reads CPU lists, cpu.max, task stat and /proc/PID/cgroup', function () {
    expect(parseCpuList('0-3,6\n')).to.deep.equal([0, 1, 2, 3, 6]);
    expect(parseCpuList('1')).to.deep.equal([1]);
    expect(parseCpuList('\n')).to.deep.equal([]);
    expect(parseCpuMax('max 100000\n')).to.deep.equal({ quotaUs: null, periodUs: 100000 });
    expect(parseCpuMax('20000 100000')).to.deep.equal({ quotaUs: 20000, periodUs: 100000 });
    // comm may hold spaces and ")": fields are counted after the last ")"
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'R';
    fields[11] = '250'; // utime, field 14
    fields[12] = '7'; // stime, field 15
    fields[36] = '1'; // processor, field 39
    expect(parseTaskStat(`1234 (a b) c) ${fields.join(' ')}\n`)).to.deep.equal({ state: 'R', utimeTicks: 250, stimeTicks: 7, processor: 1 });
    expect(parseProcPidCgroup('9:name=systemd:/\n4:memory:/a:b\n1:cpu:/\n0::/\n')).to.deep.equal([
      { hierarchy: 9, controllers: ['name=systemd'], path: '/' },
      { hierarchy: 4, controllers: ['memory'], path: '/a:b' },
      { hierarchy: 1, controllers: ['cpu'], path: '/' },
      { hierarchy: 0, controllers: [], path: '/' },
    ]);
  });
});

describe('cgroup driver: one vocabulary for v1 and v2', function () {
  it('writes the CPU quota as cfs_period_us + cfs_quota_us (v1) or cpu.max (v2)', function () {
    expect(cpuLimit(1, 20000).writes).to.deep.equal([
      { file: 'cpu.cfs_period_us', value: '100000' },
      { file: 'cpu.cfs_quota_us', value: '20000' },
    ]);
    expect(cpuLimit(2, 20000).writes).to.deep.equal([{ file: 'cpu.max', value: '20000 100000' }]);
    expect(cpuLimit(2, null).writes).to.deep.equal([{ file: 'cpu.max', value: 'max 100000' }]);
    expect(cpuLimit(1, null).v1).to.deep.equal({ file: 'cpu.cfs_quota_us', value: '-1' });
    expect(cpuLimit(2, 20000).v1).to.deep.equal({ file: 'cpu.cfs_quota_us', value: '20000' });
    expect(cpusetCpus(2, '1').writes).to.deep.equal([{ file: 'cpuset.cpus', value: '1' }]);
  });

  it('writes memory limits, closing swap only when asked', function () {
    expect(memoryLimit(1, 33554432, false).writes).to.deep.equal([{ file: 'memory.limit_in_bytes', value: '33554432' }]);
    expect(memoryLimit(1, 33554432, true).writes.map((w) => w.file)).to.deep.equal(['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
    expect(memoryLimit(2, 33554432, false).writes).to.deep.equal([{ file: 'memory.max', value: '33554432' }]);
    expect(memoryLimit(2, 33554432, true).writes).to.deep.equal([
      { file: 'memory.max', value: '33554432' },
      { file: 'memory.swap.max', value: '0' },
    ]);
  });

  it('writes read throttles as blkio.throttle.read_bps_device (v1) or io.max rbps (v2)', function () {
    expect(readBps(1, '7:0', 1048576).writes).to.deep.equal([{ file: 'blkio.throttle.read_bps_device', value: '7:0 1048576' }]);
    expect(readBps(2, '7:0', 1048576).writes).to.deep.equal([{ file: 'io.max', value: '7:0 rbps=1048576' }]);
    expect(readBps(2, '7:0', null).writes[0]!.value).to.equal('7:0 rbps=max');
    expect(readBps(1, '7:0', null).writes[0]!.value).to.equal('7:0 0');
  });

  it('freezes with freezer.state (v1) or cgroup.freeze (v2) and reads the state back', function () {
    expect(freeze(1, true).writes).to.deep.equal([{ file: 'freezer.state', value: 'FROZEN' }]);
    expect(freeze(2, true).writes).to.deep.equal([{ file: 'cgroup.freeze', value: '1' }]);
    expect(freeze(2, false).writes).to.deep.equal([{ file: 'cgroup.freeze', value: '0' }]);
    expect(frozenState(1, 'FREEZING\n')).to.equal('FREEZING');
    expect(frozenState(1, 'FROZEN\n')).to.equal('FROZEN');
    expect(frozenState(2, 'populated 1\nfrozen 1\n')).to.equal('FROZEN');
    expect(frozenState(2, 'populated 1\nfrozen 0\n')).to.equal('THAWED');
  });

  it('reads CPU time from cpuacct.usage (ns, v1) or cpu.stat usage_usec (v2)', function () {
    expect(cpuUsageFile(1).file).to.equal('cpuacct.usage');
    expect(cpuUsageFile(1).usec('2797116859\n')).to.be.closeTo(2797116.859, 1e-6);
    expect(cpuUsageFile(2).file).to.equal('cpu.stat');
    expect(cpuUsageFile(2).usec('usage_usec 537554\nuser_usec 537554\nsystem_usec 0\n')).to.equal(537554);
  });

  it('reads the OOM counters of both versions', function () {
    const v1: Record<string, string> = {
      'memory.limit_in_bytes': '33554432\n',
      'memory.usage_in_bytes': '32505856\n',
      'memory.failcnt': '103\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
      'memory.max_usage_in_bytes': '33554432\n',
    };
    expect(memoryCounters(1, (f) => v1[f])).to.deep.equal({
      limit: 33554432,
      usage: 32505856,
      limitHits: 103,
      oomKills: 1,
      peak: 33554432,
      files: ['memory.limit_in_bytes', 'memory.usage_in_bytes', 'memory.failcnt', 'memory.oom_control', 'memory.max_usage_in_bytes'],
    });
    const v2: Record<string, string> = { 'memory.max': '33554432\n', 'memory.events': 'low 0\nhigh 0\nmax 57\noom 1\noom_kill 1\noom_group_kill 0\n' };
    expect(memoryCounters(2, (f) => v2[f])).to.deep.equal({ limit: 33554432, usage: null, limitHits: 57, oomKills: 1, peak: null, files: ['memory.max', 'memory.events'] });
    expect(memoryCounters(2, (f) => ({ 'memory.max': 'max\n' })[f]).limit).to.equal(Infinity);
    expect(memoryCounters(2, (f) => ({ 'memory.max': 'max\n', 'memory.current': '65536\n' })[f]).usage).to.equal(65536);
  });

  it('reads the CFS bandwidth counters of cpu.stat (v1 throttled_time in ns, v2 throttled_usec)', function () {
    expect(cpuThrottling(1, 'nr_periods 48\nnr_throttled 44\nthrottled_time 3520000000\nnr_bursts 0\nburst_time 0\n')).to.deep.equal({
      periods: 48,
      throttled: 44,
      throttledUs: 3_520_000,
    });
    expect(cpuThrottling(2, 'usage_usec 537554\nuser_usec 537554\nsystem_usec 0\nnr_periods 25\nnr_throttled 24\nthrottled_usec 1900000\n')).to.deep.equal({
      periods: 25,
      throttled: 24,
      throttledUs: 1_900_000,
    });
    expect(cpuThrottling(2, 'usage_usec 1\n')).to.deep.equal({ periods: 0, throttled: 0, throttledUs: 0 });
  });

  it('reads the bytes a group read from one device (v1 io_service_bytes, v2 io.stat)', function () {
    expect(ioStatFile(1)).to.equal('blkio.throttle.io_service_bytes');
    expect(ioStatFile(2)).to.equal('io.stat');
    const v1 = '7:3 Read 3211264\n7:3 Write 0\n7:3 Sync 3211264\n7:3 Async 0\n7:3 Total 3211264\n7:30 Read 5\nTotal 3211264\n';
    expect(ioReadBytes(1, v1, '7:3')).to.equal(3211264);
    expect(ioReadBytes(1, v1, '7:4')).to.equal(0);
    expect(ioReadBytes(2, '7:3 rbytes=3211264 wbytes=0 rios=49 wios=0 dbytes=0 dios=0\n', '7:3')).to.equal(3211264);
    expect(ioReadBytes(2, '', '7:3')).to.equal(0);
  });
});

describe('cgroup driver: where each resource lives', function () {
  const host = (mountinfo: string, procCgroups: string, v2: string[]) => {
    const subsystems = parseProcCgroups(procCgroups);
    return new CgroupHost(parseCgroupMounts(mountinfo, subsystems.map((s) => s.name)), subsystems, v2);
  };

  it('on a hybrid host uses v1 for bound controllers and cgroup2 for the rest', function () {
    const h = host(HYBRID_MOUNTINFO, HYBRID_PROC_CGROUPS, ['hugetlb']);
    expect(h.mode).to.equal('hybrid');
    expect(h.place('cpu')).to.deep.equal({ resource: 'cpu', version: 1, mount: '/sys/fs/cgroup/cpu', controller: 'cpu' });
    expect(h.place('cpuacct')!.mount).to.equal('/sys/fs/cgroup/cpuacct');
    expect(h.place('io')).to.deep.equal({ resource: 'io', version: 1, mount: '/sys/fs/cgroup/blkio', controller: 'blkio' });
    expect(h.place('hugetlb')).to.deep.equal({ resource: 'hugetlb', version: 2, mount: '/sys/fs/cgroup/unified', controller: 'hugetlb' });
    // Freezing and CPU time are core files of every cgroup2 group, so v2 has them too.
    expect(h.place('freezer', 2)).to.deep.equal({ resource: 'freezer', version: 2, mount: '/sys/fs/cgroup/unified', controller: null });
    expect(h.place('cpuacct', 2)!.controller).to.equal(null);
    expect(h.place('memory', 2)).to.equal(undefined);
    expect(h.whyMissing('memory', 2).en).to.match(/offers hugetlb \(memory is bound to a v1 hierarchy\)/);
  });

  it('on a v2-only host uses cgroup2 for everything', function () {
    const h = host(V2_MOUNTINFO, V2_PROC_CGROUPS, ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']);
    expect(h.mode).to.equal('v2');
    for (const r of ['cpu', 'cpuacct', 'cpuset', 'memory', 'io', 'freezer'] as const) expect(h.place(r)!.version, r).to.equal(2);
    expect(h.place('io')!.controller).to.equal('io');
    expect(h.place('cpu', 1)).to.equal(undefined);
  });

  it('on the article\'s v1 host finds cpu and cpuacct in one hierarchy and says what is missing', function () {
    const h = host(V1_MOUNTINFO, HYBRID_PROC_CGROUPS, []);
    expect(h.mode).to.equal('v1');
    expect(h.place('cpu')!.mount).to.equal(h.place('cpuacct')!.mount);
    expect(h.place('freezer')).to.equal(undefined);
    expect(h.whyMissing('freezer').en).to.equal(
      'the freezer controller is not available here: no cgroup v1 hierarchy has the freezer controller, and cgroup2 is not mounted',
    );
  });
});

describe('cgroup driver: device numbers', function () {
  it('names a device node by MAJ:MIN from its own rdev (as io.max and dm tables want it)', function () {
    // /dev/null is 1:3 on every Linux; a /dev/mapper node is read the same way, without sysfs
    expect(majMin('/dev/null')).to.equal('1:3');
    expect(() => majMin('/dev/nslab-no-such-device')).to.throw(/ENOENT/);
  });
});

describe('cgroup driver: v2 path on the real cgroup2 mount', function () {
  useTempRunDir();
  const transcripts: TranscriptIn[] = [];
  const ctx = (cleanup: CleanupStack): StepContext => ({
    lang: 'en',
    cleanup,
    token: cleanup.run.token,
    name: (suffix) => cleanup.name(suffix),
    spawn: () => {
      throw new Error('not in this test');
    },
    scratch: () => '/nonexistent',
    publicScratch: () => '/nonexistent',
    transcript: (t) => transcripts.push(t),
    log: () => undefined,
    progress: () => undefined,
    measure: () => undefined,
    signal: new AbortController().signal,
    observed: () => {
      throw new Error('not in this test');
    },
  });

  it('creates a group, freezes and thaws it, reads cpu.stat and removes it', function () {
    const host = CgroupHost.discover();
    if (!isRoot() || !host.v2) {
      this.test!.title += ' (skipped: needs root and a cgroup2 mount)';
      this.skip();
    }
    // Given a group on cgroup2 for the core files (no controller needed)
    const stack = new CleanupStack(claimRun('cgroup-unit'));
    const g = Cgroup.create(ctx(stack), host, 'unit-v2', ['freezer', 'cpuacct'], 2);
    const dir = g.paths[0]!;
    try {
      expect(dir).to.equal(`${host.v2!.mount}/nslab-${stack.run.token}-unit-v2`);
      // When it is frozen (empty: the kernel says frozen at once) and thawed
      expect(g.freeze(true).writes).to.deep.equal([{ file: `${dir}/cgroup.freeze`, value: '1' }]);
      expect(g.frozenState()).to.equal('FROZEN');
      g.freeze(false);
      expect(g.frozenState()).to.equal('THAWED');
      // Then its CPU time is read from cpu.stat: nothing ran in it
      expect(g.cpuUsagePath()).to.equal(`${dir}/cpu.stat`);
      expect(g.cpuUsageUsec()).to.equal(0);
      expect(transcripts.map((t) => t.command)).to.include(`mkdir ${dir}`);
    } finally {
      stack.unwind();
      stack.close();
    }
    expect(existsSync(dir)).to.equal(false);
  });

  it('its undo thaws a frozen group, kills the nslab program in it and removes it', async function () {
    const host = CgroupHost.discover();
    if (!isRoot() || !host.v2 || !addonStatus().ok) {
      this.test!.title += ' (skipped: needs root, a cgroup2 mount and the addon)';
      this.skip();
    }
    // Given a frozen group holding a busy loop that nobody else will kill
    const stack = new CleanupStack(claimRun('cgroup-unit'));
    const g = Cgroup.create(ctx(stack), host, 'unit-undo', ['freezer'], 2);
    const child = spawn({ argv: [workloadPath('spin')], actions: [{ do: 'wait' }], stdio: ['null', 'null', 'null'] });
    try {
      g.addProcess(child.pid);
      child.go();
      await child.ready();
      g.freeze(true);
      for (let i = 0; i < 100 && g.frozenState() !== 'FROZEN'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(g.frozenState()).to.equal('FROZEN');
      // When the stack unwinds
      const r = stack.unwind();
      // Then the group is gone and so is the program
      expect(r.errors).to.deep.equal([]);
      expect(existsSync(g.paths[0]!)).to.equal(false);
      expect((await child.exited).signal).to.equal('SIGKILL');
    } finally {
      child.kill();
      stack.unwind();
      stack.close();
    }
  });
});
