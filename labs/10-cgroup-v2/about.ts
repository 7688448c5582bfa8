// What nslab knows about 10-cgroup-v2 without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '10-cgroup-v2',
  title: { en: 'cgroup v2: the unified hierarchy', zh: 'cgroup v2：统一层级' },
  // CPU shares and quotas are measured, and controllers switched on in the cgroup2 root: one run at a time.
  exclusive: ['cgroups'],
  // `nslab shell 10-cgroup-v2`: a shell in a cgroup2 group of its own, with limits.
  hasShell: true,
};
