// 10-cgroup-v2: the unified hierarchy. The article's A(b,m)/B/C/D/E example with
// cgroup.subtree_control, the no-internal-process rule, and the core files (cpu.stat,
// cgroup.freeze) every cgroup2 group has, using the controllers this host really offers.
import { basics, CgroupHost, freezeChecks, freezeExperiment, step, workloadsBuilt, type Freezer, type Lab, type Requirement } from '../../runner/kit/index.js';
import { about } from './about.js';
import { exercises } from './exercises.js';
import { openShell } from './shell.js';
import { controllers, leaves, subtree } from './tree.js';

const cgroup2: Requirement = {
  id: 'cgroup2',
  description: { en: 'a cgroup2 file system is mounted', zh: '挂载了 cgroup2 文件系统' },
  probe: () =>
    CgroupHost.discover().v2
      ? { ok: true }
      : {
          ok: false,
          reason: {
            en: 'no cgroup2 file system is mounted (this host has cgroup v1 only)',
            zh: '没有挂载 cgroup2 文件系统（这台主机只有 cgroup v1）',
          },
          remedy: {
            en: 'mount one: mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified',
            zh: '挂载一个：mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none /sys/fs/cgroup/unified',
          },
        },
};

const spin = workloadsBuilt(
  'workload-spin',
  { en: 'the workload program nslab-workload-spin is built', zh: '负载程序 nslab-workload-spin 已经构建' },
  ['spin'],
);

export const coreFiles = step<Freezer>({
  id: 'core-files',
  title: { en: 'Core files of every cgroup2 group: cpu.stat and cgroup.freeze', zh: '每个 cgroup2 组都有的核心文件：cpu.stat 与 cgroup.freeze' },
  explain: {
    en: 'Some things need no controller in v2: every group counts its CPU time in cpu.stat and can be frozen with cgroup.freeze (cgroup.events then says frozen 1). So even where cpu and freezer are bound to v1, the v2 tree measures and freezes a busy loop: the same driver as in lab 09, on its v2 path. The article froze with v1\'s freezer.state; nslab writes v2\'s cgroup.freeze here.',
    zh: '在 v2 里有些功能不需要控制器：每个组都在 cpu.stat 里统计 CPU 时间，也都能用 cgroup.freeze 冻结（之后 cgroup.events 显示 frozen 1）。所以即使本机的 cpu 和 freezer 都绑定在 v1 上，v2 的树也能测量并冻结一个死循环：用的是与 09 号实验相同的驱动，走的是 v2 路径。原文冻结用的是 v1 的 freezer.state，nslab 在这里写的是 v2 的 cgroup.freeze。',
  },
  article: '(v1) echo FROZEN > /sys/fs/cgroup/freezer/…/freezer.state',
  modern: 'echo 1 > /sys/fs/cgroup/unified/nslab-<token>-v2-freezer/cgroup.freeze; grep frozen …/cgroup.events; grep usage_usec …/cpu.stat',
  run: (ctx) => freezeExperiment(ctx, 'v2-freezer', 2),
  checks: freezeChecks,
});

export { controllers, subtree, leaves };

export const lab: Lab = {
  ...about,
  card: {
    problem: {
      en: 'cgroup v1 gives every controller its own tree, so one process sits in many unrelated groups and tools must keep them in step; inner groups with processes compete with their children in ways no controller defines.',
      zh: 'cgroup v1 给每个控制器一棵独立的树，一个进程同时处在许多互不相关的组里，工具得让它们保持一致；内部节点上的进程还会和子组争抢资源，而没有哪个控制器对此有定义。',
    },
    tradeoff: {
      en: 'One tree and clear rules (controllers are handed down one level at a time; processes only in leaves) at the price of flexibility: a process cannot be grouped differently per resource.',
      zh: '一棵树加上清晰的规则（控制器逐级下放；进程只能放在叶子上），代价是失去了灵活性：不能再按资源把同一个进程分到不同的组。',
    },
    usedBy: {
      en: 'systemd (every unit is a cgroup2 group), Docker and containerd with the systemd or cgroupfs driver on v2 hosts, Kubernetes (cgroup v2 is the default on current distributions).',
      zh: 'systemd（每个 unit 都是一个 cgroup2 组）、v2 主机上使用 systemd 或 cgroupfs 驱动的 Docker 和 containerd、Kubernetes（当今发行版默认 cgroup v2）。',
    },
    parts: {
      en: 'The cgroup2 file system; in each group cgroup.controllers (read-only: what the parent hands down), cgroup.subtree_control (what this group hands to its children), cgroup.procs, cgroup.events, cgroup.freeze, cpu.stat.',
      zh: 'cgroup2 文件系统；每个组里的 cgroup.controllers（只读：父组下放了什么）、cgroup.subtree_control（本组下放给子组什么）、cgroup.procs、cgroup.events、cgroup.freeze、cpu.stat。',
    },
    kernel: {
      en: 'The default hierarchy (cgrp_dfl_root). Writing subtree_control creates or removes the controllers\' state in the children; cgroup_migrate_vet_dst refuses a process in a group with domain controllers in its subtree_control (EBUSY), the root excepted.',
      zh: '默认层级 cgrp_dfl_root。写 subtree_control 会在子组里创建或删除控制器的状态；cgroup_migrate_vet_dst 拒绝把进程放进 subtree_control 里开了域控制器的组（EBUSY），根组除外。',
    },
    alternatives: {
      en: 'cgroup v1 (still on this host for most controllers), the article\'s __DEVEL__sane_behavior mount option (the v2 prototype, removed from the kernel), or no grouping at all: per-process setrlimit.',
      zh: 'cgroup v1（本机的大部分控制器仍在用它）、原文提到的 __DEVEL__sane_behavior 挂载选项（v2 的原型，已从内核删除），或者不分组：逐进程的 setrlimit。',
    },
  },
  requirements: [...basics, cgroup2, spin],
  steps: [controllers, subtree, leaves, coreFiles],
  exercises,
  shell: {
    // A shell in a cgroup2 group of its own (nslab-<token>-shell-v2) with limits; see shell.ts.
    open: openShell,
  },
};
