// The last three steps: the shell as PID 1 of the image, the classic chroot escape tried in both
// containers, and the host's mount table compared with what it was before the lab.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probePath } from '../../addon/index.js';
import { mountsUnder, probeOnce, step, type ProbeReport } from '../../runner/kit/index.js';
import { strayMounts } from './enter.js';
import { PROBE_IN_IMAGE, image } from './image.js';
import { CONTAINER_NS, chrootActions, escapeActions, pivotActions } from './setup.js';

const MARKER = 'nslab-host-only.txt';

/** bash started as the container's first process, and what it printed. */
export interface Pid1 {
  /** What `echo $$` printed. */
  readonly dollar: string;
  /** `ps -e -o pid,comm` rows. */
  readonly ps: readonly { pid: number; comm: string }[];
  readonly output: string;
}

/** The host-only file, tried from inside each container. */
export interface Escape {
  readonly control: { readable: boolean; errno: string | null };
  readonly fromChroot: { readable: boolean; errno: string | null; mounts: number };
  readonly fromPivot: { readable: boolean; errno: string | null; mounts: readonly string[] };
}

/** The host's mount table after the lab, against the one before it. */
export interface HostClean {
  /** Lines of /proc/self/mountinfo that were not there before the lab. */
  readonly added: readonly string[];
  /** Those of them under this run's directory. */
  readonly ours: readonly string[];
  /** Mount points under the lab's scratch folder now. */
  readonly underLab: readonly string[];
}

export const pid1 = step<Pid1>({
  id: 'pid1',
  title: { en: 'The shell is PID 1 of the container', zh: 'shell 是容器里的 1 号进程' },
  explain: {
    en: 'The article ends in /bin/bash inside. Started as the container\'s first process, bash is PID 1 of the new PID namespace, and ps — reading the container\'s own /proc — lists only bash and itself.',
    zh: '文章最后进入容器里的 /bin/bash。作为容器的第一个进程启动时,bash 就是新 PID namespace 的 1 号进程;ps 读的是容器自己的 /proc,只列出 bash 和它自己。',
  },
  article: 'char* const container_args[] = { "/bin/bash", "-l", NULL }; execv(container_args[0], container_args);',
  modern: 'unshare --uts --ipc --pid --mount --fork --mount-proc chroot rootfs /bin/bash',
  async run(ctx) {
    const img = ctx.observed(image).image;
    const script = 'echo "pid of this shell: $$"\nps -e -o pid,comm\n';
    const { child, id } = ctx.spawn(
      { namespaces: CONTAINER_NS, argv: ['/bin/bash', '-s'], actions: pivotActions(img), stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/bin:/sbin' } },
      'bash container',
    );
    let out;
    try {
      child.stdin?.end(script);
      out = await child.output();
    } finally {
      ctx.cleanup.release(id);
    }
    const output = (out.stdout + out.stderr).trim();
    ctx.transcript({ command: `/bin/bash <<'EOF'\n${script}EOF`, output, where: 'container (bash is its first process)' });
    const dollar = /pid of this shell: (\d+)/.exec(out.stdout)?.[1] ?? '';
    const ps = out.stdout
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), comm: m[2]! }));
    return { dollar, ps, output };
  },
  checks: [
    {
      id: 'shell-is-pid1',
      description: 'The shell started in the container is PID 1 there ($$ and ps agree).',
      evaluate: (o) => {
        const one = o.ps.find((p) => p.pid === 1);
        return {
          observed: `$$ = ${o.dollar || '?'}; ps: PID 1 is ${one?.comm ?? 'missing'}`,
          expected: '$$ = 1; ps: PID 1 is bash',
          pass: o.dollar === '1' && one?.comm === 'bash',
        };
      },
    },
    {
      id: 'ps-only-container',
      description: 'ps inside lists only the container\'s processes: bash and ps itself.',
      evaluate: (o) => ({
        observed: o.ps.map((p) => `${p.pid} ${p.comm}`).join(', ') || 'nothing',
        expected: '1 bash, <n> ps (2 processes)',
        pass: o.ps.length === 2 && o.ps.some((p) => p.comm === 'ps'),
      }),
    },
  ],
});

export const escape = step<Escape>({
  id: 'escape',
  title: { en: 'Leaving a chroot, and why pivot_root holds', zh: '逃出 chroot,以及 pivot_root 为什么关得住' },
  explain: {
    en: 'chroot changes where "/" points, not where the process is. A root process inside makes a directory, chroots into it — its working directory is now outside its root, so ".." is never stopped — climbs up and chroots to "." : it is back at the top of the mount tree, which after a plain chroot is the host\'s. After pivot_root with the old root detached the same moves end at the rootfs, because nothing above it is left. (Real runtimes also drop CAP_SYS_CHROOT and use user namespaces.)',
    zh: 'chroot 改变的是 "/" 指向哪里,而不是进程在哪里。容器里的 root 进程新建一个目录并 chroot 进去——此时它的当前目录在根之外,".." 永远不会被根挡住——一路向上,再 chroot("."),就回到了挂载树的顶端:普通 chroot 之后,那就是宿主机的根。pivot_root 并卸掉旧根之后,同样的动作只能停在 rootfs,因为它上面什么都没有了。(真正的运行时还会去掉 CAP_SYS_CHROOT 并使用 user namespace。)',
  },
  article: 'if ( chdir("./rootfs") != 0 || chroot("./") != 0 ){',
  modern: 'mkdir x; chroot x; cd ../../../..; chroot .   # the classic escape, tried in both containers',
  async run(ctx) {
    const img = ctx.observed(image).image;
    const marker = join(img.scratch, MARKER);
    writeFileSync(marker, 'only on the host\n');
    const read = (r: ProbeReport) => ({ readable: r.read?.ok === true, errno: r.read?.errno ?? null });
    // Control: inside the plain chroot the host file is out of reach.
    const control = await probeOnce(ctx, { namespaces: CONTAINER_NS, actions: chrootActions(img), probeFile: PROBE_IN_IMAGE, probeArgs: ['--read', marker], label: 'chroot control' });
    // After the escape the host's own probe (a host path) can be executed at all only from the host's tree.
    const esc = await probeOnce(ctx, { namespaces: CONTAINER_NS, actions: [...chrootActions(img), ...escapeActions()], probeFile: probePath(), probeArgs: ['--read', marker], label: 'chroot escape' });
    const piv = await probeOnce(ctx, { namespaces: CONTAINER_NS, actions: [...pivotActions(img), ...escapeActions()], probeFile: PROBE_IN_IMAGE, probeArgs: ['--read', marker], label: 'pivot_root escape' });
    // The probe's own answer: its "read" field, and how many mount points it can see.
    const fmt = (r: ProbeReport) => `"read":${JSON.stringify(r.read)} (and ${r.mounts?.length ?? 0} mount points)`;
    const trick = 'mkdir /nslab-escape; chroot /nslab-escape; cd ../../../..(x32); chroot .;';
    ctx.transcript({ command: `nslab-probe --read ${marker}`, output: fmt(control.report), where: 'chroot container' });
    ctx.transcript({ command: `${trick} ${probePath()} --read ${marker}`, output: fmt(esc.report), where: 'chroot container' });
    ctx.transcript({ command: `${trick} nslab-probe --read ${marker}`, output: fmt(piv.report), where: 'pivot_root container' });
    return {
      control: read(control.report),
      fromChroot: { ...read(esc.report), mounts: esc.report.mounts?.length ?? 0 },
      fromPivot: { ...read(piv.report), mounts: (piv.report.mounts ?? []).map((m) => m.target) },
    };
  },
  checks: [
    {
      id: 'chroot-hides',
      description: 'Control: inside the chroot, before any trick, the host-only file cannot be opened.',
      evaluate: (o) => ({
        observed: o.control.readable ? 'readable' : `not readable (${o.control.errno})`,
        expected: 'not readable (ENOENT)',
        pass: !o.control.readable && o.control.errno === 'ENOENT',
      }),
    },
    {
      id: 'chroot-escaped',
      description: "A root process leaves the chroot: after the escape it runs the host's probe by its host path and reads the host-only file.",
      evaluate: (o) => ({
        observed: `host probe ran; host-only file ${o.fromChroot.readable ? 'readable' : `not readable (${o.fromChroot.errno})`}; ${o.fromChroot.mounts} mount points visible`,
        expected: 'host probe ran; host-only file readable',
        pass: o.fromChroot.readable,
      }),
    },
    {
      id: 'pivot-holds',
      description: 'After pivot_root with the old root detached, the same escape stays inside: the host-only file cannot be opened and only the container\'s mounts are visible.',
      evaluate: (o) => {
        const p = o.fromPivot;
        const stray = strayMounts(p.mounts);
        return {
          observed: `host-only file ${p.readable ? 'readable' : `not readable (${p.errno})`}; mounts besides the container's: ${stray.join(' ') || 'none'}`,
          expected: 'not readable (ENOENT); none',
          pass: !p.readable && p.errno === 'ENOENT' && p.mounts.length > 0 && stray.length === 0,
        };
      },
    },
  ],
});

export const hostClean = step<HostClean>({
  id: 'host-clean',
  title: { en: 'Nothing of it is mounted on the host', zh: '宿主机上没有留下任何挂载' },
  explain: {
    en: 'Every mount of this lab was made inside a private mount namespace; when its last process exited the kernel dropped the whole tree. The host\'s own mount table never saw any of it.',
    zh: '本实验的每一次挂载都发生在私有的 mount namespace 里;最后一个进程退出时,内核把整棵挂载树一起释放。宿主机自己的挂载表从头到尾没有出现过它们。',
  },
  modern: 'diff <(cat /proc/self/mountinfo) mountinfo.before',
  async run(ctx) {
    const built = ctx.observed(image);
    const before = new Set(built.mountinfoBefore);
    const now = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
    const added = now.filter((l) => !before.has(l));
    const ours = added.filter((l) => l.includes(ctx.cleanup.run.dir));
    ctx.transcript({ command: 'diff mountinfo.before /proc/self/mountinfo', output: added.join('\n') || '(no difference)', where: 'host' });
    return { added, ours, underLab: mountsUnder(built.image.scratch) };
  },
  checks: [
    {
      id: 'no-mounts-left',
      description: "The host's mount table has no mount of this lab (compared with the table before the lab; mounts of other programs are listed, not counted).",
      evaluate: (o) => ({
        observed: `lab mounts: ${o.ours.length}; other new lines: ${o.added.length - o.ours.length}; under the lab folder: ${o.underLab.length}`,
        expected: 'lab mounts: 0; under the lab folder: 0',
        pass: o.ours.length === 0 && o.underLab.length === 0,
      }),
    },
  ],
});
