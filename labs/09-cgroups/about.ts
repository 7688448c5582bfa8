// What nslab knows about 09-cgroups without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '09-cgroups',
  title: { en: 'cgroups: cpu, cpuset, memory, blkio, freezer, devices, net_cls', zh: 'cgroup 子系统：cpu、cpuset、memory、blkio、freezer、devices、net_cls' },
  vmModules: ['loop'],
  // CPU shares and quotas are measured, and controllers switched on in the cgroup2 root: one run at a time.
  exclusive: ['cgroups'],
  hasShell: true,
};
