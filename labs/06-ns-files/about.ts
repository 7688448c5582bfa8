// What nslab knows about 06-ns-files without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '06-ns-files',
  title: { en: 'Namespace files and setns()', zh: 'namespace 文件与 setns()' },
  hasShell: true,
};
