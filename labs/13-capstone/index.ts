// 13-capstone: the learner's own docker run. The lab itself proves the reference runtime level
// by level (each level judged in a playground exactly as `nslab capstone check N` judges the
// learner's), after building the offline image the levels run.
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { basics, filesystem, namespaces, openPlayground, step, t, tool, type Lab } from '../../runner/kit/index.js';
import { about } from './about.js';
import { buildImage, readImage, unpackLayers } from './image.js';
import { levels } from './levels.js';

/** The image as nslab built it and the layer directories overlayfs will stack. */
export interface Built {
  readonly repoTags: readonly string[];
  readonly layers: number;
  /** Layer 1 holds a static busybox and its sh link. */
  readonly busybox: boolean;
  /** etc/motd in the unpacked top layer: a 0/0 character device (an overlayfs whiteout). */
  readonly whiteout: { readonly isCharDevice: boolean; readonly rdev: number } | undefined;
}

/** Each level of the reference runtime, judged in a playground. */
export interface LevelsRun {
  readonly results: readonly { readonly level: number; readonly done: boolean; readonly failed: readonly string[] }[];
}

export const image = step<Built>({
  id: 'image',
  title: t('An image without the internet', '不联网的镜像'),
  explain: t(
    'docker save writes an image as a manifest, a config and one tarball per layer. nslab makes one from this machine\'s static busybox: layer 1 the files, layer 2 a file and a whiteout (.wh.motd) that hides layer 1\'s /etc/motd. Unpacked for overlayfs, the whiteout becomes a 0/0 character device.',
    'docker save 把镜像写成一个清单、一个配置和每层一个 tar 包。nslab 用这台机器上的静态 busybox 做一个：第 1 层是文件，第 2 层是一个文件和一个 whiteout（.wh.motd），它遮住第 1 层的 /etc/motd。为 overlayfs 解包时，这个 whiteout 变成一个 0/0 字符设备。',
  ),
  modern: 'docker save busybox | tar -t',
  async run(ctx) {
    const dir = join(ctx.scratch(), 'image');
    mkdirSync(dir);
    buildImage(dir);
    const img = readImage(dir);
    const into = join(ctx.scratch(), 'layers');
    mkdirSync(into);
    const lowers = unpackLayers(dir, into);
    const motd = join(lowers[0]!, 'etc', 'motd');
    const st = existsSync(motd) ? lstatSync(motd) : undefined;
    ctx.log(t(`image ${img.repoTags.join(' ')}: ${img.layers.length} layers, unpacked to ${lowers.join(', ')}`, `镜像 ${img.repoTags.join(' ')}：${img.layers.length} 层，解包到 ${lowers.join('、')}`));
    return {
      repoTags: img.repoTags,
      layers: img.layers.length,
      busybox: existsSync(join(lowers.at(-1)!, 'bin', 'busybox')) && existsSync(join(lowers.at(-1)!, 'bin', 'sh')),
      whiteout: st ? { isCharDevice: st.isCharacterDevice(), rdev: st.rdev } : undefined,
    };
  },
  checks: [
    {
      id: 'two-layers',
      description: t('The image has two layers and layer 1 holds busybox with its sh link.', '镜像有两层，第 1 层里有 busybox 和它的 sh 链接。'),
      evaluate: (o) => ({
        observed: t(`${o.layers} layers, busybox ${o.busybox ? 'present' : 'missing'}`, `${o.layers} 层，busybox ${o.busybox ? '在' : '不在'}`),
        expected: t('2 layers, busybox present', '2 层，busybox 在'),
        pass: o.layers === 2 && o.busybox,
      }),
    },
    {
      id: 'whiteout-device',
      description: t('The docker whiteout .wh.motd became an overlayfs whiteout: a 0/0 character device.', 'docker 的 whiteout .wh.motd 变成了 overlayfs 的 whiteout：一个 0/0 字符设备。'),
      evaluate: (o) => ({
        observed: o.whiteout ? t(`${o.whiteout.isCharDevice ? 'character device' : 'not a device'}, rdev ${o.whiteout.rdev}`, `${o.whiteout.isCharDevice ? '字符设备' : '不是设备'}，rdev ${o.whiteout.rdev}`) : t('no etc/motd in the top layer', '顶层里没有 etc/motd'),
        expected: t('character device, rdev 0', '字符设备，rdev 0'),
        pass: o.whiteout?.isCharDevice === true && o.whiteout.rdev === 0,
      }),
    },
  ],
});

export const reference = step<LevelsRun>({
  id: 'levels',
  title: t('The reference minidock, level by level', '参考实现 minidock，一级一级'),
  explain: t(
    'Each level adds one mechanism to minidock run: a child, a hostname, PID 1 with its /proc, pivot_root, an overlay root, a network, cgroups, a user namespace, exec. Each is judged the way nslab capstone check judges yours: in a playground, from the kernel’s view.',
    '每一级给 minidock run 加一种机制：子进程、主机名、带自己 /proc 的 1 号进程、pivot_root、overlay 根、网络、cgroup、user namespace、exec。每一级都像 nslab capstone check 检查你的实现那样判定：在练习场里，从内核的角度看。',
  ),
  modern: 'docker run --hostname c1 --cpus 0.2 --memory 32m --pids-limit 20 --userns-remap default busybox sleep 600',
  async run(ctx) {
    const results: LevelsRun['results'][number][] = [];
    for (const [n, level] of levels.entries()) {
      ctx.progress(n / levels.length, t(`level ${n}`, `第 ${n} 级`));
      const r = await openPlayground(lab, level, { lang: ctx.lang, signal: ctx.signal, script: level.solution, output: 'pipe' });
      const j = r.judgements.at(-1);
      results.push({ level: n, done: j?.done === true && r.errors.length === 0, failed: (j?.conditions ?? []).filter((c) => c.status !== 'passed').map((c) => c.id).concat(r.errors) });
      ctx.log(t(`level ${n}: ${j?.done ? 'holds' : 'fails'}`, `第 ${n} 级：${j?.done ? '成立' : '不成立'}`));
    }
    return { results };
  },
  checks: levels.map((level, n) => ({
    id: `level-${n}`,
    description: t(`Level ${n} (${level.title.en}) holds for the reference runtime.`, `参考实现满足第 ${n} 级（${level.title.zh}）。`),
    evaluate: (o: LevelsRun) => {
      const r = o.results.find((x) => x.level === n);
      return {
        observed: r ? (r.done ? t('holds', '成立') : t(`fails: ${r.failed.join(', ')}`, `不成立：${r.failed.join('、')}`)) : t('not run', '没有运行'),
        expected: t('holds', '成立'),
        pass: r?.done === true,
      };
    },
  })),
});

export const lab: Lab = {
  ...about,
  card: {
    problem: t(
      'Twelve mechanisms make a container; docker run puts them together in one command. Until you assemble them yourself, it is easy to miss what each one adds and in which order they must come.',
      '容器由十二种机制组成；docker run 用一条命令把它们组合起来。不亲手组装一遍，很容易看不清每一种机制加了什么、它们必须按什么顺序出场。',
    ),
    tradeoff: t('A runtime of a few hundred lines shows every step, but leaves out what production needs: seccomp, capabilities, image pulls, logs, restarts.', '几百行的运行时能让每一步都看得见，但省掉了生产环境需要的东西：seccomp、capabilities、拉取镜像、日志、重启。'),
    usedBy: t('runc, crun and youki do the same steps for Docker, containerd and Podman; the workshops that teach containers end the same way.', 'runc、crun 和 youki 为 Docker、containerd 和 Podman 做的正是这些步骤；讲容器的工作坊也以同样的方式收尾。'),
    parts: t('clone() with namespace flags, setup actions before exec (mount, pivot_root, sethostname), overlayfs, veth and a bridge, cgroup files, uid_map and gid_map, setns.', '带 namespace 标志的 clone()、exec 之前的设置动作（mount、pivot_root、sethostname）、overlayfs、veth 与网桥、cgroup 文件、uid_map 与 gid_map、setns。'),
    kernel: t('Nothing new: every level uses a mechanism of labs 01–12, in the order runc uses them.', '没有新东西：每一级都用实验 01–12 里的某种机制，顺序与 runc 相同。'),
    alternatives: t('A bash script with unshare, nsenter and ip does the same with tools instead of system calls (bocker is one).', '用 unshare、nsenter 和 ip 写的 bash 脚本也能做到，只是用工具代替了系统调用（bocker 就是一例）。'),
  },
  requirements: [...basics, namespaces('uts', 'pid', 'mnt', 'ipc', 'net'), filesystem('overlay'), tool('busybox', 'busybox-static'), tool('ip', 'iproute2'), tool('tar', 'tar')],
  steps: [image, reference],
  levels,
};

