// What nslab knows about 07-user-namespace without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '07-user-namespace',
  title: { en: 'User namespace: root inside, uid 1000 outside', zh: 'User namespace：里面是 root，外面是 uid 1000' },
  hasShell: true,
};
