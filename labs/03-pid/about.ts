// What nslab knows about 03-pid without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '03-pid',
  title: { en: 'PID namespace: PID 1 inside', zh: 'PID namespace：容器里的 1 号进程' },
  hasShell: true,
};
