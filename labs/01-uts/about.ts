// What nslab knows about 01-uts without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '01-uts',
  title: { en: 'UTS namespace: a hostname of its own', zh: 'UTS namespace：独立的主机名' },
  hasShell: true,
};
