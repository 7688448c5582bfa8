// The rules a Chinese string of nslab follows (docs/glossary.md), shared by the unit tests and
// scripts/zh-coverage.mjs's tests: full-width punctuation next to Chinese characters, the
// glossary's words, and no English sentence where a learner expects a value.
import type { Shown } from '../runner/kit/index.js';

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff]/u;

/** true when the line carries at least one Chinese character. */
export function hasChinese(s: string): boolean {
  return CJK.test(s);
}

/** Words the glossary rules out, with the word to use instead. */
export const FORBIDDEN: readonly (readonly [string, string])[] = [
  ['命名空间', 'namespace'],
  ['名字空间', 'namespace'],
  ['控制组', 'cgroup'],
  ['层次结构', '层级'],
  ['装载', '挂载'],
  ['白障', 'whiteout 文件'],
  ['白化', 'whiteout 文件'],
  ['瘦池', 'thin pool（精简池）'],
  ['映像', '镜像'],
  ['权能', '能力（capability）'],
  ['节流', '限流'],
];

/**
 * ASCII punctuation that touches a Chinese character ("实验:普通", "（见 man 7)", "主机,"): the
 * full-width form is wanted there. Code and values keep their ASCII ("/proc/self/ns/uts：").
 */
export function punctuationProblems(zh: string): string[] {
  const found: string[] = [];
  const re = /[\u3400-\u4dbf\u4e00-\u9fff][,:;!?()]|[,:;!?(][\u3400-\u4dbf\u4e00-\u9fff]|[\u3400-\u4dbf\u4e00-\u9fff] [,;)]|[,;(] [\u3400-\u4dbf\u4e00-\u9fff]/gu;
  for (const m of zh.matchAll(re)) found.push(`“${zh.slice(Math.max(0, m.index - 8), m.index + m[0].length + 8)}”`);
  return found;
}

export function glossaryProblems(zh: string): string[] {
  return FORBIDDEN.filter(([bad]) => zh.includes(bad)).map(([bad, good]) => `“${bad}” → “${good}”`);
}

/** Three lower-case English words in a row: a sentence, not a value. */
const SENTENCE = /\b[a-z]{2,}[ ,]+(?:[a-z]{1,}[ ,]+)[a-z]{2,}\b/;

/**
 * Why a shown value or text is not fit for a learner, or undefined: a bare string that reads
 * like an English sentence (it needs a Chinese half), or a Text whose zh half has no Chinese, has
 * half-width punctuation around Chinese, or uses a word the glossary rules out.
 */
export function proseProblem(x: Shown): string | undefined {
  if (typeof x === 'string') {
    // Commands and paths are values even when they contain words ("ip link set x up").
    const words = x.replace(/\S*[/=._:\[\]$-]\S*/g, ' ').replace(/\d+/g, ' ');
    return SENTENCE.test(words) ? `a bare string reads like English prose, give it a Chinese half: “${x}”` : undefined;
  }
  if (/[A-Za-z]{3,}/.test(x.en) && !hasChinese(x.zh) && x.zh !== x.en) return `the zh half has no Chinese: “${x.zh}”`;
  if (SENTENCE.test(x.en.replace(/\S*[/=._:\[\]$-]\S*/g, ' ')) && !hasChinese(x.zh)) return `the zh half of an English sentence has no Chinese: “${x.zh}”`;
  const p = [...punctuationProblems(x.zh), ...glossaryProblems(x.zh)];
  return p.length > 0 ? `zh: ${p.join('; ')}` : undefined;
}
