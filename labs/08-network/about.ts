// What nslab knows about 08-network without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '08-network',
  title: { en: 'Network namespace, veth and a bridge', zh: 'Network namespace、veth 与网桥' },
  vmModules: ['veth', 'bridge'],
  hasShell: true,
};
