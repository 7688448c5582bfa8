// 11-aufs, the article's experiment: fruits and vegetables in one union (overlayfs, and AUFS
// where the kernel has it), then copy-up, a whiteout and an opaque directory.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getxattr } from '../../addon/index.js';
import { mountsOf, sh, attempt, step, t, type MountLine, type Text } from '../../runner/kit/index.js';
import { OPAQUE_XATTR } from './layers.js';
import { both, holderOf, kindOf, lines, overlayData, plant, readOr, sameList, show, showIn, sorted, statThrough } from './union.js';

export const FRUIT_TOMATO = 'tomato (fruits)\n';
const VEG_TOMATO = 'tomato (vegetables)\n';
export const GARDEN: Readonly<Record<string, string>> = {
  'fruits/apple': 'apple (fruits)\n',
  'fruits/tomato': FRUIT_TOMATO,
  'vegetables/carrots': 'carrots (vegetables)\n',
  'vegetables/tomato': VEG_TOMATO,
  'upper/': '',
  'work/': '',
  'mnt/': '',
};
/** The overlay equivalent of the article's `dirs=./fruits:./vegetables`: fruits is on top. */
export const GARDEN_OPTIONS = overlayData(['./fruits', './vegetables'], { upper: './upper', work: './work' });
const GARDEN_MOUNT = `mount -t overlay overlay -o ${GARDEN_OPTIONS} ./mnt`;

/** The fruits/vegetables union, as the union, the namespace and the host see it. */
export interface Union {
  /** The directory with fruits, vegetables, upper, work and mnt (later steps work in it). */
  readonly dir: string;
  /** What `ls ./mnt` printed in the namespace, and readdir(2) of the union read from the host. */
  readonly ls: readonly string[];
  readonly readdir: readonly string[];
  readonly tomato: string;
  /** Mounts on mnt in the holder's mount namespace, and in the host's. */
  readonly nsMounts: readonly MountLine[];
  readonly hostMounts: readonly MountLine[];
}

/** The article's own AUFS mount, or why it could not run here. */
export type Aufs =
  | { readonly skip: Text }
  | { readonly ls: readonly string[]; readonly fruitsCarrots: string | undefined; readonly whTomato: boolean; readonly vegCarrots: string };

/** carrots and tomato after writes through the union, read in the union and in each branch. */
export interface CopyUp {
  readonly union: string;
  readonly upper: string | undefined;
  readonly vegBefore: string;
  readonly vegAfter: string;
  readonly upperTomato: string | undefined;
  readonly fruitsTomato: string;
}

/** After `rm ./mnt/apple`: the union's listing, what upper/apple is, and the lower apple. */
export interface Whiteout {
  readonly readdir: readonly string[];
  /** lstat of mnt/apple through the union: the errno name, or what it found. */
  readonly stat: string;
  readonly kind: string;
  readonly fruitsApple: string | undefined;
}

/** salad before and after it was removed and made again, in the union and in the branches. */
export interface Opaque {
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly xattr: string | undefined;
  readonly lower: readonly string[];
  readonly upperKind: string;
}

function aufsInKernel(): boolean {
  return readFileSync('/proc/filesystems', 'utf8')
    .split('\n')
    .some((l) => l.trim().split(/\s+/).pop() === 'aufs');
}

export const union = step<Union>({
  id: 'union',
  title: { en: 'fruits + vegetables: one directory from two', zh: '水果 + 蔬菜：两个目录合成一个' },
  explain: {
    en: 'AUFS never entered mainline Linux; overlayfs did, so we replay the article with it. `lowerdir=./fruits:./vegetables` stacks fruits above vegetables, as AUFS’s `dirs=./fruits:./vegetables` did; writes go to a separate upper directory (like the article’s later `./test=rw`). The union lives in a private mount namespace, so the host never sees it.',
    zh: 'AUFS 始终没能进入 Linux 主线，overlayfs 进入了，所以我们用它重演文章的实验。`lowerdir=./fruits:./vegetables` 把 fruits 叠在 vegetables 之上，与 AUFS 的 `dirs=./fruits:./vegetables` 一致；写入落到单独的 upper 目录（相当于文章后面的 `./test=rw`）。联合挂载位于私有的 mount namespace 里，宿主机看不到它。',
  },
  article: 'sudo mount -t aufs -o dirs=./fruits:./vegetables none ./mnt',
  modern: GARDEN_MOUNT,
  async run(ctx) {
    const u = join(ctx.scratch(), 'u');
    plant(u, GARDEN);
    await sh(ctx, 'find fruits vegetables -type f | sort', { cwd: u });
    const h = await holderOf(ctx);
    await h.mount(u, 'mnt', 'overlay', GARDEN_OPTIONS);
    ctx.log({
      en: `mounted in the private mount namespace of process ${h.pid}: ${GARDEN_MOUNT}`,
      zh: `挂载在进程 ${h.pid} 的私有 mount namespace 里：${GARDEN_MOUNT}`,
    });
    await h.sh(ctx, u, `grep ' ${u}/mnt ' /proc/self/mounts`);
    const ls = await h.sh(ctx, u, 'ls ./mnt');
    const cat = await h.sh(ctx, u, 'cat ./mnt/tomato');
    return {
      dir: u,
      ls: lines(ls.stdout),
      readdir: readdirSync(h.inside(join(u, 'mnt'))),
      tomato: cat.stdout,
      nsMounts: h.mountsAt(join(u, 'mnt')),
      hostMounts: mountsOf('self').filter((m) => m.target === join(u, 'mnt')),
    };
  },
  checks: [
    {
      id: 'union-lists',
      description: { en: 'The union shows apple, carrots and tomato (ls and readdir agree).', zh: '联合目录里有 apple、carrots 和 tomato（ls 与 readdir 一致）。' },
      evaluate: (o) => ({
        observed: both((l) =>
          l === 'en' ? `ls: ${o.ls.join(' ')}; readdir: ${sorted(o.readdir).join(' ')}` : `ls 列出：${o.ls.join(' ')}；readdir 列出：${sorted(o.readdir).join(' ')}`,
        ),
        expected: { en: 'both: apple carrots tomato', zh: '两者都列出：apple carrots tomato' },
        pass: sameList(o.ls, ['apple', 'carrots', 'tomato']) && sameList(o.readdir, ['apple', 'carrots', 'tomato']),
      }),
    },
    {
      id: 'leftmost-wins',
      description: { en: 'tomato is in both branches; the union shows the leftmost (fruits) one.', zh: 'tomato 在两个分支里都有；联合目录显示最左边分支（fruits）里的那个。' },
      evaluate: (o) => ({ observed: show(o.tomato), expected: show(FRUIT_TOMATO), pass: o.tomato === FRUIT_TOMATO }),
    },
    {
      id: 'private-mount',
      description: { en: "The union is in the lab's mount namespace only: the host's mount table does not have it.", zh: '联合挂载只在实验的 mount namespace 里：宿主机的挂载表里没有它。' },
      evaluate: (o) => ({
        observed: {
          en: `namespace: ${o.nsMounts.length} overlay mount(s) on mnt; host: ${o.hostMounts.length}`,
          zh: `namespace 里 mnt 上有 ${o.nsMounts.length} 个 overlay 挂载；宿主机上有 ${o.hostMounts.length} 个`,
        },
        expected: { en: 'namespace: 1; host: 0', zh: 'namespace 里 1 个；宿主机上 0 个' },
        pass: o.nsMounts.length === 1 && o.nsMounts[0]!.fstype === 'overlay' && o.hostMounts.length === 0,
      }),
    },
  ],
});

export const aufs = step<Aufs>({
  id: 'aufs',
  title: { en: 'The article’s own mount -t aufs (where the kernel has AUFS)', zh: '文章原本的 mount -t aufs（内核有 AUFS 时）' },
  explain: {
    en: 'Some distributions (Ubuntu 14.04 in the article, Debian kernels until 5.x) carried AUFS as a patch. Where it is in /proc/filesystems we run the article’s command on copies of the two folders: the leftmost branch is writable, so writing carrots copies it into fruits, and deleting tomato leaves a `.wh.tomato` file there.',
    zh: '一些发行版（文章里的 Ubuntu 14.04、5.x 之前的 Debian 内核）以补丁形式带有 AUFS。若 /proc/filesystems 里有 aufs，我们在两个目录的副本上运行文章的命令：最左边的分支可写，写 carrots 会把它复制到 fruits，删除 tomato 会在那里留下 `.wh.tomato` 文件。',
  },
  article: 'sudo mount -t aufs -o dirs=./fruits:./vegetables none ./mnt',
  modern: 'grep -w aufs /proc/filesystems && mount -t aufs -o dirs=./fruits:./vegetables none ./mnt',
  async run(ctx) {
    if (!aufsInKernel()) {
      const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
      const skip = t(
        `this kernel (${release}) has no aufs in /proc/filesystems: AUFS never entered mainline, the overlayfs steps show the same mechanics`,
        `这个内核（${release}）的 /proc/filesystems 里没有 aufs：AUFS 从未进入主线，overlayfs 的各步展示的是同样的机制`,
      );
      ctx.log(skip);
      return { skip };
    }
    const a = join(ctx.scratch(), 'a');
    plant(a, GARDEN);
    const h = await holderOf(ctx);
    await h.mount(a, 'mnt', 'aufs', 'dirs=./fruits:./vegetables', 'none');
    const ls = await h.sh(ctx, a, 'ls ./mnt');
    await h.sh(ctx, a, 'echo mnt_carrots > ./mnt/carrots && rm ./mnt/tomato && ls -a ./fruits');
    return {
      ls: lines(ls.stdout),
      fruitsCarrots: readOr(join(a, 'fruits/carrots')),
      whTomato: existsSync(join(a, 'fruits/.wh.tomato')),
      vegCarrots: readFileSync(join(a, 'vegetables/carrots'), 'utf8'),
    };
  },
  checks: [
    {
      id: 'aufs-union',
      description: {
        en: 'AUFS: the union shows apple, carrots, tomato; writing carrots copies it into fruits; deleting tomato leaves fruits/.wh.tomato.',
        zh: 'AUFS：联合目录里有 apple、carrots、tomato；写 carrots 会把它复制到 fruits；删除 tomato 会留下 fruits/.wh.tomato。',
      },
      evaluate: (a) => {
        if ('skip' in a) return { observed: t('aufs not available', '没有 aufs'), expected: t('aufs in /proc/filesystems', '/proc/filesystems 里有 aufs'), pass: false, skip: a.skip };
        return {
          observed: both((l) => {
            const [c, s] = l === 'en' ? [': ', '; '] : ['：', '；'];
            const wh = a.whTomato ? (l === 'en' ? 'present' : '存在') : l === 'en' ? 'absent' : '不存在';
            return `ls${c}${a.ls.join(' ')}${s}fruits/carrots${c}${showIn(a.fruitsCarrots, l)}${s}vegetables/carrots${c}${showIn(a.vegCarrots, l)}${s}.wh.tomato${c}${wh}`;
          }),
          expected: both((l) =>
            l === 'en'
              ? `apple carrots tomato; "mnt_carrots\\n"; ${show(GARDEN['vegetables/carrots'])}; present`
              : `apple carrots tomato；"mnt_carrots\\n"；${show(GARDEN['vegetables/carrots'])}；存在`,
          ),
          pass:
            sameList(a.ls, ['apple', 'carrots', 'tomato']) &&
            a.fruitsCarrots === 'mnt_carrots\n' &&
            a.vegCarrots === GARDEN['vegetables/carrots'] &&
            a.whTomato,
        };
      },
    },
  ],
});

export const copyUp = step<CopyUp>({
  id: 'copy-up',
  title: { en: 'Copy-up: writing a lower file copies it to the upper layer', zh: '向上复制（copy-up）：写下层文件时先把它复制到上层' },
  explain: {
    en: 'Lower layers are never written. The first write to carrots makes overlayfs copy the whole file into upper and change the copy; vegetables/carrots stays as it was. Appending to tomato shows that what is copied is the version the union showed: fruits’ one.',
    zh: '下层永远不会被写。第一次写 carrots 时，overlayfs 先把整个文件向上复制到 upper，再修改副本；vegetables/carrots 保持原样。向 tomato 追加内容则说明被复制的是联合目录里看到的那个版本：fruits 的。',
  },
  article: 'echo mnt_carrots > ./mnt/carrots; cat ./vegetables/carrots; cat ./fruits/carrots',
  modern: 'echo mnt_carrots > ./mnt/carrots; cat ./vegetables/carrots ./upper/carrots',
  async run(ctx) {
    const u = ctx.observed(union).dir;
    const h = await holderOf(ctx);
    const vegBefore = readFileSync(join(u, 'vegetables/carrots'), 'utf8');
    await h.sh(ctx, u, 'echo mnt_carrots > ./mnt/carrots && cat ./mnt/carrots');
    await h.sh(ctx, u, 'echo mnt_tomato >> ./mnt/tomato && cat ./mnt/tomato');
    const look = 'cat ./vegetables/carrots; ls -l ./upper; cat ./upper/carrots ./upper/tomato';
    await attempt(ctx, ['sh', '-c', look], { command: look, cwd: u });
    return {
      union: readFileSync(h.inside(join(u, 'mnt/carrots')), 'utf8'),
      upper: readOr(join(u, 'upper/carrots')),
      vegBefore,
      vegAfter: readFileSync(join(u, 'vegetables/carrots'), 'utf8'),
      upperTomato: readOr(join(u, 'upper/tomato')),
      fruitsTomato: readFileSync(join(u, 'fruits/tomato'), 'utf8'),
    };
  },
  checks: [
    {
      id: 'copied-up',
      description: {
        en: 'After the write through the union, the kernel has made upper/carrots with the new content, and the union shows it.',
        zh: '经联合目录写入之后，内核在 upper 里建了 carrots，内容是新的，联合目录也显示它。',
      },
      evaluate: (o) => ({
        observed: both((l) => (l === 'en' ? `upper/carrots: ${showIn(o.upper, l)}; union: ${showIn(o.union, l)}` : `upper/carrots：${showIn(o.upper, l)}；联合目录：${showIn(o.union, l)}`)),
        expected: t('both "mnt_carrots\\n"', '都是 "mnt_carrots\\n"'),
        pass: o.upper === 'mnt_carrots\n' && o.union === 'mnt_carrots\n',
      }),
    },
    {
      id: 'lower-untouched',
      description: { en: 'vegetables/carrots (a lower layer) is unchanged.', zh: 'vegetables/carrots（下层）没有变。' },
      evaluate: (o) => ({ observed: show(o.vegAfter), expected: show(o.vegBefore), pass: o.vegAfter === o.vegBefore }),
    },
    {
      id: 'copies-visible-version',
      description: {
        en: 'Appending to tomato copied up the fruits version (the one the union showed); fruits/tomato is unchanged.',
        zh: '向 tomato 追加内容时，向上复制的是 fruits 的版本（联合目录显示的那个）；fruits/tomato 没有变。',
      },
      evaluate: (o) => ({
        observed: both((l) =>
          l === 'en'
            ? `upper/tomato: ${showIn(o.upperTomato, l)}; fruits/tomato: ${showIn(o.fruitsTomato, l)}`
            : `upper/tomato 的内容：${showIn(o.upperTomato, l)}；fruits/tomato 的内容：${showIn(o.fruitsTomato, l)}`,
        ),
        expected: `${show(FRUIT_TOMATO + 'mnt_tomato\n')}; ${show(FRUIT_TOMATO)}`,
        pass: o.upperTomato === `${FRUIT_TOMATO}mnt_tomato\n` && o.fruitsTomato === FRUIT_TOMATO,
      }),
    },
  ],
});

export const whiteout = step<Whiteout>({
  id: 'whiteout',
  title: { en: 'Whiteout: deleting a lower file', zh: 'whiteout 文件：删除下层的文件' },
  explain: {
    en: 'apple lives in a read-only layer, so it cannot really be deleted. The union records the deletion in upper instead: AUFS with a `.wh.apple` file, overlayfs with a character device numbered 0/0 named apple. Lookups stop at it, so apple disappears from the union (stat through the mount: ENOENT) while fruits/apple remains.',
    zh: 'apple 位于只读层，无法真正删除。联合文件系统改为在 upper 里记下“已删除”：AUFS 用 `.wh.apple` 文件，overlayfs 用一个名为 apple、设备号 0/0 的字符设备。查找到它就停止，于是 apple 从联合目录消失（经挂载点 stat：ENOENT），而 fruits/apple 仍在。',
  },
  article: 'touch ./test/.wh.apple   # same effect as rm ./mnt/apple',
  modern: 'rm ./mnt/apple; ls -l ./upper   # c--------- 0, 0 apple',
  async run(ctx) {
    const u = ctx.observed(union).dir;
    const h = await holderOf(ctx);
    await h.sh(ctx, u, 'rm ./mnt/apple && ls ./mnt');
    const look = 'ls -l ./upper; stat -c "%n: %F, device %t/%T" ./upper/apple; ls ./fruits';
    await attempt(ctx, ['sh', '-c', look], { command: look, cwd: u });
    return {
      readdir: readdirSync(h.inside(join(u, 'mnt'))),
      stat: statThrough(h.inside(join(u, 'mnt/apple'))),
      kind: kindOf(join(u, 'upper/apple')),
      fruitsApple: readOr(join(u, 'fruits/apple')),
    };
  },
  checks: [
    {
      id: 'whiteout-device',
      description: {
        en: 'The kernel recorded the deletion as upper/apple, a character device with device number 0/0 (the overlayfs whiteout).',
        zh: '内核把这次删除记成 upper/apple：一个设备号为 0/0 的字符设备（overlayfs 的 whiteout 文件）。',
      },
      evaluate: (o) => ({ observed: o.kind, expected: 'whiteout 0/0', pass: o.kind === 'whiteout 0/0' }),
    },
    {
      id: 'apple-gone',
      description: { en: 'The union no longer lists apple, and stat of mnt/apple fails with ENOENT.', zh: '联合目录不再列出 apple，stat mnt/apple 以 ENOENT 失败。' },
      evaluate: (o) => ({
        observed: both((l) =>
          l === 'en' ? `readdir: ${sorted(o.readdir).join(' ')}; stat mnt/apple: ${o.stat}` : `readdir 列出：${sorted(o.readdir).join(' ')}；stat mnt/apple 的结果：${o.stat}`,
        ),
        expected: { en: 'readdir: carrots tomato; stat mnt/apple: ENOENT', zh: 'readdir 列出：carrots tomato；stat mnt/apple 的结果：ENOENT' },
        pass: sameList(o.readdir, ['carrots', 'tomato']) && o.stat === 'ENOENT',
      }),
    },
    {
      id: 'lower-keeps-apple',
      description: { en: 'fruits/apple, in the lower layer, is still there.', zh: '下层的 fruits/apple 仍然在。' },
      evaluate: (o) => ({ observed: show(o.fruitsApple), expected: show(GARDEN['fruits/apple']), pass: o.fruitsApple === GARDEN['fruits/apple'] }),
    },
  ],
});

export const opaque = step<Opaque>({
  id: 'opaque',
  title: { en: 'Opaque directory: remove a directory and make it again', zh: '不透明目录：删除目录后重建' },
  explain: {
    en: 'A new salad directory must not show the lettuce of the old one still sitting in the lower layer. overlayfs marks the upper directory opaque with the xattr trusted.overlay.opaque="y" (AUFS put a `.wh..wh..opq` file in it): lookups and readdir stop there and never reach the lower layers.',
    zh: '新建的 salad 目录不应显示仍留在下层的旧目录里的 lettuce。overlayfs 给 upper 中的目录加上 xattr trusted.overlay.opaque="y"（AUFS 则在其中放一个 `.wh..wh..opq` 文件）：查找和 readdir 到此为止，不再进入下层。',
  },
  article: '.wh..wh..opq   # AUFS: "stop readdir from entering the lower branches"',
  modern: 'rm -r ./mnt/salad && mkdir ./mnt/salad; getfattr -n trusted.overlay.opaque ./upper/salad',
  async run(ctx) {
    const d = join(ctx.scratch(), 'd');
    plant(d, { 'lower/salad/lettuce': 'green\n', 'lower/salad/cucumber': 'long\n', 'upper/': '', 'work/': '', 'mnt/': '' });
    const h = await holderOf(ctx);
    await h.mount(d, 'mnt', 'overlay', overlayData(['./lower'], { upper: './upper', work: './work' }));
    const before = await h.sh(ctx, d, 'ls ./mnt/salad');
    await h.sh(ctx, d, 'rm -r ./mnt/salad && mkdir ./mnt/salad && echo oil > ./mnt/salad/dressing && ls ./mnt/salad');
    const look = 'ls -la ./upper/salad; ls ./lower/salad';
    await attempt(ctx, ['sh', '-c', look], { command: look, cwd: d });
    const xattr = getxattr(join(d, 'upper/salad'), OPAQUE_XATTR)?.toString();
    ctx.log({
      en: `getxattr("./upper/salad", "${OPAQUE_XATTR}") = ${show(xattr)}   (set by the kernel on rmdir + mkdir through the union)`,
      zh: `getxattr("./upper/salad", "${OPAQUE_XATTR}") = ${show(xattr)}   （经联合目录 rmdir + mkdir 后由内核设置）`,
    });
    const o: Opaque = {
      before: lines(before.stdout),
      after: readdirSync(h.inside(join(d, 'mnt/salad'))),
      xattr,
      lower: readdirSync(join(d, 'lower/salad')),
      upperKind: kindOf(join(d, 'upper/salad')),
    };
    ctx.log({ en: `ls before: ${o.before.join(' ')}; readdir after: ${o.after.join(' ')}`, zh: `之前 ls：${o.before.join(' ')}；之后 readdir：${o.after.join(' ')}` });
    return o;
  },
  checks: [
    {
      id: 'opaque-xattr',
      description: {
        en: `The kernel made the recreated upper/salad a directory with ${OPAQUE_XATTR} = "y".`,
        zh: `内核把重建的 upper/salad 做成了带 ${OPAQUE_XATTR} = "y" 的目录。`,
      },
      evaluate: (o) => ({
        observed: `${o.upperKind}, ${OPAQUE_XATTR} = ${show(o.xattr)}`,
        expected: `dir, ${OPAQUE_XATTR} = "y"`,
        pass: o.upperKind === 'dir' && o.xattr === 'y',
      }),
    },
    {
      id: 'lower-hidden',
      description: {
        en: 'The union shows only the new content of salad, while the lower layer still has lettuce and cucumber.',
        zh: '联合目录里的 salad 只显示新内容，而下层仍有 lettuce 和 cucumber。',
      },
      evaluate: (o) => ({
        observed: {
          en: `before: ${o.before.join(' ')}; after: ${o.after.join(' ')}; lower: ${sorted(o.lower).join(' ')}`,
          zh: `之前：${o.before.join(' ')}；之后：${o.after.join(' ')}；下层：${sorted(o.lower).join(' ')}`,
        },
        expected: { en: 'before: cucumber lettuce; after: dressing; lower: cucumber lettuce', zh: '之前：cucumber lettuce；之后：dressing；下层：cucumber lettuce' },
        pass:
          sameList(o.before, ['cucumber', 'lettuce']) &&
          sameList(o.after, ['dressing']) &&
          sameList(o.lower, ['cucumber', 'lettuce']),
      }),
    },
  ],
});

