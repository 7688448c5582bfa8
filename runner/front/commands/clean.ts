// nslab clean: remove what interrupted or crashed runs left behind.
import { recoverAll } from '../../core/cleanup.js';
import { ensureRunDir } from '../../core/paths.js';
import { isRoot } from '../../kit/requirements.js';
import type { Lang } from '../../core/model.js';
import { t, UsageError, type Out } from './usage.js';

// What a crashed run left is named as its journal recorded it (the journal keeps English labels:
// it is the same file whatever language the run spoke); the rest is in the learner's language.
export function cleanCommand(out: Out, lang: Lang = 'en'): number {
  if (!isRoot())
    throw new UsageError(
      t(
        'nslab clean removes mounts and processes a run left behind and needs root: sudo npx nslab clean.',
        'nslab clean 要删除运行留下的挂载和进程，需要 root：sudo npx nslab clean。',
      ),
      1,
    );
  ensureRunDir();
  const r = recoverAll(lang);
  const zh = lang === 'zh';
  for (const line of r.live) out(zh ? `保留：${line} 仍在运行` : `left alone: ${line} is still running`);
  for (const line of r.bad) out(zh ? `跳过一行日志：${line}` : `skipped a journal line: ${line}`);
  for (const line of r.removed) out(zh ? `已删除 ${line}` : `removed ${line}`);
  for (const line of r.errors) out(zh ? `无法删除 ${line}` : `could not remove ${line}`);
  if (r.removed.length === 0 && r.errors.length === 0 && r.bad.length === 0) {
    const nothing =
      r.live.length > 0
        ? t('nothing else to clean: no finished run left anything behind', '没有别的要清理：已结束的运行都没有留下东西')
        : t('nothing to clean: no run left anything behind', '没有要清理的：没有运行留下东西');
    out(nothing[lang]);
  }
  return r.errors.length > 0 ? 1 : 0;
}
