// What nslab knows about 13-capstone without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '13-capstone',
  title: { en: 'Your own docker run', zh: '你自己的 docker run' },
  vmModules: ['overlay', 'veth', 'bridge'],
};
