// What nslab knows about 04-mount without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '04-mount',
  title: { en: 'Mount namespace and a fresh /proc', zh: 'Mount namespace 与新的 /proc' },
  hasShell: true,
};
