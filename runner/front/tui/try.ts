// The tour's t key: the lab's next exercise in a playground, with the terminal handed over to
// its shell (as for s), each check recorded with the tour's progress.
import type { Lab, Lang } from '../../core/model.js';
import { nextExercise, recordJudgement, taskCard } from '../commands/try.js';
import { loadExercises } from './progress.js';

/** Run the lab's first exercise not done yet; returns the note the tour shows afterwards. */
export async function tryInTour(
  lab: Lab,
  lang: Lang,
  progressFile: string,
  signal: AbortSignal,
  suspend: (run: () => Promise<number>, banner: string) => Promise<number>,
): Promise<string> {
  const ex = nextExercise(lab, loadExercises(progressFile));
  const { openPlayground } = await import('../../core/playground.js');
  let finished = false;
  let errors: string[] = [];
  const zh = lang === 'zh';
  await suspend(async () => {
    const r = await openPlayground(lab, ex, {
      lang,
      signal,
      onJudge: (j) => {
        finished ||= j.done;
        recordJudgement(lab, ex, j, progressFile);
      },
    });
    errors = r.errors;
    return r.code;
  }, [...taskCard(lab, ex, lang), zh ? '输入 exit 返回导览。' : 'Type exit to return to the tour.'].join('\n'));
  const left = errors.length > 0 ? (zh ? `；有东西没能删除：${errors.join('；')}` : `; nslab could not remove: ${errors.join('; ')}`) : '';
  if (finished) return zh ? `✓ 练习 ${lab.id} ${ex.id} 已完成，练习场已删除${left}。` : `✓ Exercise ${lab.id} ${ex.id} is done; the playground is removed${left}.`;
  return zh
    ? `练习 ${lab.id} ${ex.id} 还没有完成，练习场已删除${left}；再按 t 回来继续。`
    : `Exercise ${lab.id} ${ex.id} is not done yet; the playground is removed${left}. Press t to come back to it.`;
}
