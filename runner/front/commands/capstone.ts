// nslab capstone (DRAFT, branch `capstone`): the learner's own docker run. `init [dir]` writes
// the skeleton of minidock (the reference with every level's code taken out) into a directory
// the learner owns, with the shim through which it reaches nslab's addon.
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../../addon/index.js';
import { skeleton } from '../../../labs/13-capstone/skeleton.js';
import { echo, t, UsageError, type Options, type Out } from './usage.js';

/** Where the reference runtime lives in the package (plain ESM, shipped as is). */
export function referencePath(): string {
  return join(packageRoot(), 'labs', '13-capstone', 'minidock', 'reference.mjs');
}

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

/** `nslab capstone init [dir]`: the skeleton, the shim and a README, owned by the learner. */
export function init(dirArg: string | undefined, out: Out, lang: 'en' | 'zh'): number {
  const who = learner();
  const dir = resolve(dirArg ?? join(who.home, 'minidock'));
  if (existsSync(join(dir, 'minidock.mjs')))
    throw new UsageError(
      t(`${echo(dir)} already holds a minidock.mjs: nslab will not overwrite your work (give another directory).`, `${echo(dir)} 里已经有 minidock.mjs：nslab 不会覆盖你的代码（请换一个目录）。`),
    );
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const files: [string, string][] = [
    ['minidock.mjs', skeleton(readFileSync(referencePath(), 'utf8'))],
    ['nslab.mjs', `// nslab's addon, as the labs use it (written by nslab capstone init).\nexport * from ${JSON.stringify(pathToFileURL(join(packageRoot(), 'dist', 'addon', 'index.js')).href)};\n`],
  ];
  for (const [name, text] of files) {
    const p = join(dir, name);
    writeFileSync(p, text, { flag: 'wx', mode: 0o644 });
    chownSync(p, who.uid, who.gid);
  }
  chownSync(dir, who.uid, who.gid);
  out(
    t(
      `minidock is in ${dir}: edit minidock.mjs level by level, then nslab capstone check 0, 1, 2 …`,
      `minidock 在 ${dir}：逐级编辑 minidock.mjs，然后运行 nslab capstone check 0、1、2……`,
    )[lang],
  );
  return 0;
}

export async function capstoneCommand(o: Options, out: Out): Promise<number> {
  const [sub, arg] = o.positional;
  switch (sub) {
    case 'init':
      return init(arg, out, o.lang);
    default:
      throw new UsageError(t('nslab capstone takes init [dir] (check, hint, solution and image are coming).', 'nslab capstone 目前只接受 init [目录]（check、hint、solution 和 image 即将提供）。'));
  }
}
