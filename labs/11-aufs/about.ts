// What nslab knows about 11-aufs without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '11-aufs',
  title: { en: 'Union mounts: copy-up, whiteouts, opaque directories', zh: '联合挂载：向上复制（copy-up）、whiteout 文件与不透明目录' },
  vmModules: ['overlay'],
  hasShell: true,
};
