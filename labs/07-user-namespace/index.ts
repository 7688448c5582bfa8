// 07-user-namespace: root inside a user namespace is an ordinary user (uid 1000) outside.
import { basics, namespaces, interactive, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { unprivilegedUserns } from './sysctl.js';
import { finale } from './finale.js';
import { exercises } from './exercises.js';
import { HOSTNAME, fixed, initialMap, inside, noMap, refused, unprivileged } from './steps.js';
import { creator, workspace, writeMaps } from './unprivileged.js';

export {
  fixed,
  initialMap,
  inside,
  noMap,
  refused,
  unprivileged,
  type Fixed,
  type InitialMap,
  type Inside,
  type NoMap,
  type Refused,
  type Unprivileged,
} from './steps.js';
export { finale, type Finale } from './finale.js';
// runner/front/doctor.ts names this requirement in its own section.
export { unprivilegedUserns } from './sysctl.js';

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'A container wants to run as root (install packages, bind low ports, own its files) without its processes being root on the host if they ever escape.',
      zh: '容器里的程序常常需要 root（装软件、监听低端口、拥有自己的文件），但又不能让它们逃出容器后在宿主机上也是 root。',
    },
    tradeoff: {
      en: 'Much safer than a real root, but every id must be mapped: inside, files whose owner is not mapped show up as nobody (65534); and the extra kernel surface reachable by unprivileged users is why some distributions switch it off.',
      zh: '比真正的 root 安全得多，但每个 id 都要映射：在里面，属主未被映射的文件显示为 nobody（65534）；而且普通用户由此能触及更多内核代码，所以有些发行版默认把它关掉。',
    },
    usedBy: {
      en: 'rootless Docker and Podman (with subuid/subgid ranges), dockerd --userns-remap, LXC unprivileged containers, bubblewrap/Flatpak, Chrome\'s sandbox.',
      zh: 'rootless Docker 与 Podman（配合 subuid/subgid 区间）、dockerd --userns-remap、LXC 非特权容器、bubblewrap/Flatpak、Chrome 沙箱。',
    },
    parts: {
      en: 'clone/unshare(CLONE_NEWUSER), /proc/PID/uid_map and gid_map ("inside outside length"), /proc/PID/setgroups, /proc/sys/kernel/overflowuid, and newuidmap/newgidmap for ranges.',
      zh: 'clone/unshare(CLONE_NEWUSER)、/proc/PID/uid_map 与 gid_map（“内部 外部 长度”）、/proc/PID/setgroups、/proc/sys/kernel/overflowuid，以及映射区间用的 newuidmap/newgidmap。',
    },
    kernel: {
      en: 'Credentials hold kernel ids (kuid_t); each user_namespace has an extent table that translates them at every boundary. Capabilities are relative: a process has them over its own user namespace, the namespaces that user namespace owns (its UTS, net, mount namespaces…) and files whose owner uid and gid are mapped into it; over a file owned by an unmapped id, such as the host root\'s, it has none.',
      zh: '进程凭据里保存的是内核 id（kuid_t），每个 user_namespace 有一张区间表，在边界处翻译。能力（capability）是相对的：进程的能力作用于自己的 user namespace、该 user namespace 拥有的 namespace（它的 UTS、网络、挂载 namespace……），以及属主 uid 和 gid 都映射进来的文件；对属主未被映射的文件（比如宿主机 root 的文件）则没有任何能力。',
    },
    alternatives: {
      en: 'Before 3.8 there was only real root, dropped capabilities and seccomp; today rootless runtimes pair user namespaces with subordinate id ranges, and gVisor or a VM put a whole kernel in between.',
      zh: '3.8 之前只有真正的 root，加上削减能力（capability）与 seccomp；如今 rootless 运行时把 user namespace 与从属 id 区间结合；gVisor 或虚拟机则在中间再隔一个内核。',
    },
  },
  requirements: [...basics, namespaces('user', 'uts'), unprivilegedUserns],
  steps: [unprivileged, initialMap, noMap, refused, fixed, inside, finale],
  exercises,
  shell: {
    open: (ctx) => {
      const ws = workspace(ctx);
      return interactive(ctx, {
        labId: about.id,
        namespaces: [],
        actions: [...creator, { do: 'wait' }, { do: 'sethostname', name: HOSTNAME }],
        prepare: async (child) => {
          await writeMaps(ctx, ws, child.pid);
          child.go();
        },
      });
    },
  },
};
