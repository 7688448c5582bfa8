// What nslab knows about 02-ipc without loading it: `nslab list`, the tour's menu, doctor and
// the VM runner read this; index.ts spreads it into the Lab.
import type { About } from '../../runner/kit/index.js';

export const about: About = {
  id: '02-ipc',
  title: { en: 'IPC namespace: System V queues of its own', zh: 'IPC namespace：独立的 System V 消息队列' },
  hasShell: true,
};
