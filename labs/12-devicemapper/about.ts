// What nslab knows about 12-devicemapper without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '12-devicemapper',
  title: { en: 'Device-mapper thin pool and snapshots', zh: 'Device-mapper 的 thin pool（精简池）与快照' },
  vmModules: ['loop', 'dm_thin_pool', 'dm_snapshot', 'ext4'],
  hasShell: true,
};
