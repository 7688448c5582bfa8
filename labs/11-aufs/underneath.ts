// 11-aufs, the article's udba question: what if a branch is changed directly, not through the
// mount? AUFS had an option for it (udba=none|reval|notify); overlayfs has none: its
// documentation (Documentation/filesystems/overlayfs.rst, "Changes to underlying filesystems")
// says changing a layer while it is part of a mounted overlay is not allowed and the result
// undefined (though never a crash or deadlock). So this step observes and reports what this
// kernel does, and checks only what is well-defined: a file already copied up lives in the upper
// layer and a lower change cannot reach it, and reading through the union never copies up.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { attempt, step, t, type Lang } from '../../runner/kit/index.js';
import { both, holderOf, overlayData, plant, readOr, showIn, statThrough } from './union.js';

const BEFORE = 'v1 (lower)\n';
const CHANGED = 'v2 (changed in lower)\n';
const WRITTEN = 'written through the union\n';
const ADDED = 'added to lower\n';
/** What the union read back from the copied-up file: the lower v1 copied up, plus our line. */
export const COPIED = BEFORE + WRITTEN;

/** The union before and after lower/plain, lower/copied and lower/added were changed directly. */
export interface Underneath {
  /** plain (never written through the union) read through it before and after the change. */
  readonly plainBefore: string;
  readonly plainAfter: string | undefined;
  /** copied (written through the union, so copied up) read through it before and after. */
  readonly copiedBefore: string;
  readonly copiedAfter: string | undefined;
  /** The upper layer's names after the change, and the lower's. */
  readonly upper: readonly string[];
  /** lower/added, made in the lower directory after the mount: listed by readdir? lstat through the union? */
  readonly addedListed: boolean;
  readonly addedStat: string;
  readonly addedRead: string | undefined;
}

const yes = (b: boolean, l: Lang) => (b ? (l === 'en' ? 'yes' : '是') : l === 'en' ? 'no' : '否');

export const underneath = step<Underneath>({
  id: 'lower-changed',
  title: {
    en: 'A lower layer changed under the mount (AUFS’s udba)',
    zh: '挂载期间直接改动下层（AUFS 的 udba）',
  },
  explain: {
    en: 'The article asks what happens when a file is changed in a branch itself, not through the mount: AUFS let you choose with udba=none|reval|notify. overlayfs has no such option; its documentation (overlayfs.rst, “Changes to underlying filesystems”) says a layer must not change while it is part of a mounted overlay, and calls the result undefined. So we change lower files directly and report what this kernel shows, checking only what is well-defined: a file already copied up lives in the upper layer, out of the lower change’s reach. Docker never does this: image layers are immutable (content-addressed, shared by many containers), and a container writes only to its own upper layer.',
    zh: '原文问：如果不经挂载点、直接在分支里改文件，会怎样？AUFS 用 udba=none|reval|notify 让你选择。overlayfs 没有这样的选项；它的文档（overlayfs.rst 的“Changes to underlying filesystems”）规定，挂载期间不得改动构成 overlay 的各层，改了的后果是未定义的。所以我们直接改下层的文件，如实报告这个内核显示了什么，只检查有明确定义的部分：已向上复制（copy-up）的文件在上层，下层的改动够不着它。Docker 从不这样做：镜像层不可变（按内容寻址，许多容器共享），容器只写自己的上层。',
  },
  article: 'udba=none | udba=reval | udba=notify   # AUFS: User’s Direct Branch Access',
  modern: {
    en: 'echo "v2 (changed in lower)" > ./lower/plain; cat ./mnt/plain   # overlayfs: undefined while mounted',
    zh: 'echo "v2 (changed in lower)" > ./lower/plain; cat ./mnt/plain   # overlayfs：挂载期间这样做的结果未定义',
  },
  async run(ctx) {
    const c = join(ctx.scratch(), 'c');
    plant(c, { 'lower/plain': BEFORE, 'lower/copied': BEFORE, 'upper/': '', 'work/': '', 'mnt/': '' });
    const h = await holderOf(ctx);
    await h.mount(c, 'mnt', 'overlay', overlayData(['./lower'], { upper: './upper', work: './work' }));
    const mnt = (name: string) => h.inside(join(c, 'mnt', name));
    // Through the union: read both, write to copied (which copies it up), list.
    await h.sh(ctx, c, `cat ./mnt/plain ./mnt/copied; echo "${WRITTEN.trim()}" >> ./mnt/copied; ls ./upper ./mnt`);
    const plainBefore = readFileSync(mnt('plain'), 'utf8');
    const copiedBefore = readFileSync(mnt('copied'), 'utf8');
    ctx.log(
      t(
        'now the lower directory itself is changed on the host, behind the union’s back (Docker never does this):',
        '现在在宿主机上直接改动下层目录，绕过联合挂载（Docker 从不这样做）：',
      ),
    );
    const change = `echo "${CHANGED.trim()}" > ./lower/plain; echo "${CHANGED.trim()}" > ./lower/copied; echo "${ADDED.trim()}" > ./lower/added`;
    await attempt(ctx, ['sh', '-c', change], { command: change, cwd: c });
    await h.sh(ctx, c, 'cat ./mnt/plain; cat ./mnt/copied; ls ./mnt; cat ./mnt/added');
    const o: Underneath = {
      plainBefore,
      plainAfter: readOr(mnt('plain')),
      copiedBefore,
      copiedAfter: readOr(mnt('copied')),
      upper: readdirSync(join(c, 'upper')).sort(),
      addedListed: readdirSync(h.inside(join(c, 'mnt'))).includes('added'),
      addedStat: statThrough(mnt('added')),
      addedRead: readOr(mnt('added')),
    };
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    const plainNew = o.plainAfter === CHANGED;
    ctx.log(
      both((l) =>
        l === 'en'
          ? `on this kernel (${release}): plain, never copied up, now reads ${showIn(o.plainAfter, l)} — ${plainNew ? 'the lower change shows through' : 'the union kept the old content'} (undefined: not checked)`
          : `在这个内核（${release}）上：从未向上复制的 plain 现在读出 ${showIn(o.plainAfter, l)}——${plainNew ? '下层的改动透了上来' : '联合目录仍是旧内容'}（未定义行为：不做检查）`,
      ),
    );
    ctx.log(
      both((l) =>
        l === 'en'
          ? `added, made in lower after the mount: listed by readdir: ${yes(o.addedListed, l)}; lstat: ${o.addedStat} (undefined: not checked)`
          : `挂载之后在下层新建的 added：readdir 列出了吗：${yes(o.addedListed, l)}；lstat：${o.addedStat}（未定义行为：不做检查）`,
      ),
    );
    ctx.measure('lowerChanged', { kernel: release, plainShowsChange: plainNew, addedListed: o.addedListed, addedStat: o.addedStat });
    return o;
  },
  checks: [
    {
      id: 'copied-up-unaffected',
      description: {
        en: 'A file already copied up is read from the upper layer: changing the lower copy does not change what the union shows.',
        zh: '已经向上复制的文件从上层读取：改动下层的那份，联合目录显示的内容不变。',
      },
      evaluate: (o) => ({
        observed: both((l) =>
          l === 'en'
            ? `mnt/copied before: ${showIn(o.copiedBefore, l)}; after: ${showIn(o.copiedAfter, l)}`
            : `mnt/copied 改动前：${showIn(o.copiedBefore, l)}；改动后：${showIn(o.copiedAfter, l)}`,
        ),
        expected: both((l) => (l === 'en' ? `both ${showIn(COPIED, l)}` : `都是 ${showIn(COPIED, l)}`)),
        pass: o.copiedBefore === COPIED && o.copiedAfter === COPIED,
      }),
    },
    {
      id: 'reads-never-copy-up',
      description: {
        en: 'Reading through the union copies nothing up: after the lower change and the reads, the upper layer holds only the file written through the union.',
        zh: '经联合目录读取不会触发向上复制：下层改动并读取之后，上层仍只有经联合目录写过的那个文件。',
      },
      evaluate: (o) => ({
        observed: both((l) =>
          l === 'en' ? `upper: ${o.upper.length ? o.upper.join(' ') : '(empty)'}` : `上层 upper 里有：${o.upper.length ? o.upper.join(' ') : '（空）'}`,
        ),
        expected: { en: 'upper: copied', zh: '上层 upper 里有：copied' },
        pass: o.upper.length === 1 && o.upper[0] === 'copied',
      }),
    },
  ],
});
