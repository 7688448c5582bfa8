// 06-ns-files: /proc/PID/ns/* names a process's namespaces; the files compare them, keep them
// alive with a bind mount, and let another process enter them with setns() (docker exec, nsenter).
import { basics, interactive, namespaces, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';
import { hold, release } from './hold.js';
import { CHILD_ACTIONS, CHILD_NS, execStep, nsTableStep } from './table.js';

export { hold, release, type Held, type Released } from './hold.js';
export { execStep, nsTableStep, type Joined, type NsTable, type Tables } from './table.js';

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'Namespaces have no names: tools need a way to tell whether two processes share one, to keep one alive with nobody in it, and to bring a new process into a running container.',
      zh: 'namespace 本身没有名字：工具需要判断两个进程是否共用同一个 namespace，需要在没有进程时保住它，还需要把新进程放进一个正在运行的容器。',
    },
    tradeoff: {
      en: 'A file handle is simple and works with ordinary permissions and mounts, but a forgotten bind mount or open fd silently keeps a whole namespace (and e.g. its network devices) alive.',
      zh: '用文件句柄表示 namespace 简单，可以沿用普通的权限和挂载机制；但一个被遗忘的绑定挂载或打开的 fd 会悄悄地让整个 namespace（以及其中的网卡等）一直存在。',
    },
    usedBy: {
      en: 'docker exec and runc exec (setns into every namespace of the container), nsenter, `ip netns` (bind mounts under /run/netns), lsns, Kubernetes pods sharing a pause container\'s namespaces.',
      zh: 'docker exec 与 runc exec（setns 进入容器的每个 namespace）、nsenter、`ip netns`（在 /run/netns 下绑定挂载）、lsns，以及 Kubernetes Pod 共享 pause 容器的 namespace。',
    },
    parts: {
      en: '/proc/PID/ns/{cgroup,ipc,mnt,net,pid,time,user,uts} (+ pid_for_children, time_for_children), open(2), setns(2), mount --bind, and the nsfs inode that identifies each namespace.',
      zh: '/proc/PID/ns/{cgroup,ipc,mnt,net,pid,time,user,uts}（以及 pid_for_children、time_for_children）、open(2)、setns(2)、mount --bind，和标识每个 namespace 的 nsfs inode。',
    },
    kernel: {
      en: 'Each link resolves to an inode of the internal nsfs file system, one per namespace; the namespace is reference-counted, and an open file or a bind mount of it holds a reference. setns(2) swaps one pointer of the caller\'s nsproxy (PID: only for its future children).',
      zh: '每个链接指向内核 nsfs 文件系统中的一个 inode，一个 namespace 对应一个；namespace 有引用计数，打开的文件或它的绑定挂载都持有一个引用。setns(2) 替换调用者 nsproxy 中的一个指针（PID namespace 只对之后的子进程生效）。',
    },
    alternatives: {
      en: 'Since Linux 5.8 setns() also accepts a pidfd and several namespace flags at once; NS_GET_PARENT/NS_GET_USERNS ioctls walk the hierarchy; Linux 6.x adds namespace ids and listns-style listing.',
      zh: '从 Linux 5.8 起 setns() 也接受 pidfd 并可一次进入多个 namespace；NS_GET_PARENT/NS_GET_USERNS ioctl 可遍历层级；较新的 6.x 内核又加入了 namespace id 与列举接口。',
    },
  },
  requirements: [...basics, namespaces(...CHILD_NS)],
  steps: [nsTableStep, execStep, hold, release],
  exercises,
  shell: {
    open: (ctx) => interactive(ctx, { labId: '06-ns-files', namespaces: CHILD_NS, actions: CHILD_ACTIONS }),
  },
};
