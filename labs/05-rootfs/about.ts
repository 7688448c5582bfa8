// What nslab knows about 05-rootfs without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '05-rootfs',
  title: { en: 'A home-made image: rootfs, chroot and pivot_root', zh: '山寨镜像：rootfs、chroot 与 pivot_root' },
  hasShell: true,
};
