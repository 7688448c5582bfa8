// nslab capstone: the learner's own docker run. `init [dir]` writes
// the skeleton of minidock (the reference with every level's code taken out) into a directory
// the learner owns, with the shim through which it reaches nslab's addon.
import { chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { addonShim, referencePath, skeleton } from '../../../labs/13-capstone/skeleton.js';
import { echo, t, UsageError, type Options, type Out } from './usage.js';

/** The learner: the user who ran sudo, else whoever runs nslab. */
export function learner(env: NodeJS.ProcessEnv = process.env): { uid: number; gid: number; home: string } {
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (Number.isInteger(uid) && uid > 0 && Number.isInteger(gid)) {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    return { uid, gid, home: line?.split(':')[5] || homedir() };
  }
  const me = userInfo();
  return { uid: me.uid, gid: me.gid, home: me.homedir };
}

type Learner = ReturnType<typeof learner>;

/** mkdir -p, and each directory it made belongs to the learner (nslab runs as root under sudo). */
function mkdirFor(who: Learner, dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    chownSync(d, who.uid, who.gid);
    if (d === first || d === dirname(d)) break;
  }
}

/** `path` and everything below it (all of it made by this command) given to the learner; links are not followed. */
function giveTo(who: Learner, path: string): void {
  lchownSync(path, who.uid, who.gid);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) giveTo(who, join(path, name));
}

/** `nslab capstone init [dir]`: the skeleton, the shim and a README, owned by the learner. */
export function init(dirArg: string | undefined, out: Out, lang: 'en' | 'zh'): number {
  const who = learner();
  const dir = resolve(dirArg ?? join(who.home, 'minidock'));
  if (existsSync(join(dir, 'minidock.mjs')))
    throw new UsageError(
      t(`${echo(dir)} already holds a minidock.mjs: nslab will not overwrite your work (give another directory).`, `${echo(dir)} 里已经有 minidock.mjs：nslab 不会覆盖你的代码（请换一个目录）。`),
    );
  mkdirFor(who, dir);
  const files: [string, string][] = [
    ['minidock.mjs', skeleton(readFileSync(referencePath(), 'utf8'))],
    ['nslab.mjs', addonShim()],
  ];
  for (const [name, text] of files) {
    const p = join(dir, name);
    writeFileSync(p, text, { flag: 'wx', mode: 0o644 });
    chownSync(p, who.uid, who.gid);
  }
  out(
    t(
      `minidock is in ${dir}: edit minidock.mjs level by level, then nslab capstone check 0, 1, 2 …`,
      `minidock 在 ${dir}：逐级编辑 minidock.mjs，然后运行 nslab capstone check 0、1、2……`,
    )[lang],
  );
  return 0;
}

/** The learner's minidock directory: given, else ~/minidock; never below /tmp (the playground has its own). */
function minidockDir(arg: string | undefined): string {
  const given = resolve(arg ?? join(learner().home, 'minidock'));
  // Where it really is (a link in the home may lead below /tmp): the playground sees its own there.
  let dir = given;
  try {
    dir = realpathSync(given);
  } catch {
    // missing: said below
  }
  if (['/tmp', '/dev/shm'].some((hidden) => dir === hidden || dir.startsWith(`${hidden}/`)))
    throw new UsageError(
      t(`${echo(dir)} is below /tmp, which the playground replaces with its own: put minidock in your home (nslab capstone init).`, `${echo(dir)} 在 /tmp 下，而练习场会换上自己的 /tmp：请把 minidock 放在你的主目录里（nslab capstone init）。`),
    );
  if (!existsSync(join(dir, 'minidock.mjs')))
    throw new UsageError(t(`There is no minidock.mjs in ${echo(dir)}: start with nslab capstone init.`, `${echo(dir)} 里没有 minidock.mjs：请先运行 nslab capstone init。`));
  return dir;
}

async function levelsOf() {
  return (await import('../../../labs/13-capstone/levels.js')).levels;
}

function levelArg(arg: string | undefined, count: number): number | undefined {
  if (arg === undefined) return undefined;
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 0 || n >= count)
    throw new UsageError(t(`There is no level ${echo(arg)}: levels are 0 to ${count - 1}.`, `没有第 ${echo(arg)} 级：级别是 0 到 ${count - 1}。`));
  return n;
}

/** `nslab capstone check [N] [dir]`: the learner's minidock (default ~/minidock) at level N (default: the first not done), judged in a playground. */
async function check(o: Options, out: Out): Promise<number> {
  const { loadExercises, recordCheck } = await import('../tui/progress.js');
  const levels = await levelsOf();
  const done = loadExercises();
  const n = levelArg(o.positional[1], levels.length) ?? Math.max(0, levels.findIndex((l) => !done[`13-capstone/${l.id}`]?.done));
  const level = levels[n]!;
  const dir = minidockDir(o.positional[2]);
  const { driver, prepareFor } = await import('../../../labs/13-capstone/levels.js');
  const { openPlayground } = await import('../../core/playground.js');
  const { findLab, loadLab } = await import('../../../labs/index.js');
  const lab = await loadLab(findLab('13-capstone') as never);
  out(`── nslab capstone check ${n} · ${level.title[o.lang]}`);
  let passed = false;
  // Ctrl-C, SIGTERM and SIGHUP stop the check and remove the playground, as in nslab try.
  const { exitCodeFor, onInterrupt } = await import('../interrupt.js');
  const interrupt = onInterrupt((line) => out(line), o.lang);
  let r;
  try {
    r = await openPlayground(lab, { ...level, setup: (work: string) => prepareFor(work, n, 'learner') }, {
      lang: o.lang,
      signal: interrupt.signal,
      script: driver(join(dir, 'minidock.mjs'), n),
      onJudge: (j) => {
        passed ||= j.done;
        const held = j.conditions.filter((c) => c.status === 'passed').length;
        recordCheck(`13-capstone/${level.id}`, j.done, `${held}/${level.conditions.length}`);
      },
    });
  } finally {
    interrupt.dispose();
  }
  for (const e of r.errors) out(o.lang === 'zh' ? `无法删除 ${e}` : `could not remove ${e}`);
  const received = interrupt.received();
  if (received) return exitCodeFor(received);
  out(
    passed && n + 1 < levels.length
      ? t(`✓ level ${n} holds. Next: nslab capstone check ${n + 1}`, `✓ 第 ${n} 级通过。下一级：nslab capstone check ${n + 1}`)[o.lang]
      : passed
        ? t(`✓ level ${n} holds: that was the last one. Your minidock runs containers with every mechanism of the labs.`, `✓ 第 ${n} 级通过：这是最后一级。你的 minidock 已用上各个实验里的全部机制来运行容器。`)[o.lang]
        : t(`level ${n} is not there yet: nslab capstone hint ${n}`, `第 ${n} 级还没有完成：nslab capstone hint ${n}`)[o.lang],
  );
  return passed ? 0 : 1;
}

export async function capstoneCommand(o: Options, out: Out): Promise<number> {
  const [sub, arg] = o.positional;
  switch (sub) {
    case 'init':
      return init(arg, out, o.lang);
    case 'check':
      return check(o, out);
    case 'hint': {
      const levels = await levelsOf();
      const n = levelArg(arg, levels.length) ?? 0;
      levels[n]!.hints.forEach((h, i) => out(`${i + 1}. ${h[o.lang]}`));
      return 0;
    }
    case 'solution': {
      const levels = await levelsOf();
      const n = levelArg(arg, levels.length);
      if (n === undefined) throw new UsageError(t('nslab capstone solution takes a level: nslab capstone solution 3.', 'nslab capstone solution 需要一个级别：nslab capstone solution 3。'));
      const tried = (await import('../tui/progress.js')).loadExercises()[`13-capstone/${levels[n]!.id}`];
      if (!tried)
        throw new UsageError(
          t(`Check level ${n} first (nslab capstone check ${n}): its solution is shown once its checks have run.`, `请先检查第 ${n} 级（nslab capstone check ${n}）：检查运行过之后才显示它的参考答案。`),
          1,
        );
      const { levelBlocks } = await import('../../../labs/13-capstone/skeleton.js');
      const source = readFileSync(referencePath(), 'utf8').split('\n');
      for (const b of levelBlocks(source.join('\n')).filter((x) => x.level === n)) out(source.slice(b.open, b.close + 1).join('\n'));
      return 0;
    }
    case 'image': {
      // Like docker save then docker load: the tarballs are the learner's; the unpacked layers keep
      // the image's owners (root), as a runtime's store does.
      const { buildImage, unpackLayers } = await import('../../../labs/13-capstone/image.js');
      const who = learner();
      const dir = resolve(arg ?? join(who.home, 'minidock'));
      const [image, layers] = [join(dir, 'image'), join(dir, 'layers')];
      for (const p of [image, layers])
        if (existsSync(p))
          throw new UsageError(t(`${echo(p)} exists already: nslab will not overwrite it (remove it, or give another directory).`, `${echo(p)} 已经存在：nslab 不会覆盖它（请删掉它，或换一个目录）。`));
      let branches: string[];
      try {
        mkdirFor(who, image);
        buildImage(image);
        giveTo(who, image);
        mkdirSync(layers, { mode: 0o755 });
        branches = unpackLayers(image, layers);
      } catch (e) {
        // Nothing half-made is left: both folders are ours (they did not exist a moment ago).
        for (const p of [image, layers]) rmSync(p, { recursive: true, force: true });
        throw e;
      }
      const md = join(dir, 'minidock.mjs');
      out(
        t(
          `The image is in ${image} (manifest.json, config, two layer tarballs, as docker save writes them), unpacked in ${layers} (owned by root, as the image says; the whiteout made for overlayfs). Try your minidock on it: sudo node ${md} run --layers ${branches.join(':')} -- /bin/sh`,
          `镜像在 ${image}（manifest.json、配置和两个层的 tar 包，和 docker save 写的一样），已解开在 ${layers}（属主按镜像所写为 root；whiteout 已按 overlayfs 的要求做好）。用你的 minidock 试试：sudo node ${md} run --layers ${branches.join(':')} -- /bin/sh`,
        )[o.lang],
      );
      return 0;
    }
    default:
      throw new UsageError(t('nslab capstone takes init [dir], check [N] [dir], hint N, solution N or image [dir].', 'nslab capstone 接受 init [目录]、check [N] [目录]、hint N、solution N 或 image [目录]。'));
  }
}
