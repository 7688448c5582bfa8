// Plain-text layout shared by the human reporter and the TUI: terminal widths (CJK characters
// take two columns), word wrapping, and the sentence for a run that waits for another. No chalk
// here: the tour's first frame loads this before anything heavy.
import type { Lang } from '../../core/model.js';

import { displayWidth } from '../../core/width.js';

export { displayWidth };

// A token is a run of spaces, a word of non-wide characters, or one wide character; closing
// punctuation sticks to what precedes it so that no line starts with "，" or "。".
const CLOSERS = '\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff1f\uff01\uff09\u300d\u300f\u3011\u300b';
const WIDE = '\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6';
const TOKEN = new RegExp(`[ \\t]+|[${WIDE}][${CLOSERS}]*|[^ \\t${WIDE}]+[${CLOSERS}]*`, 'gu');

/** Wrap text to `width` columns (including `indent`); existing newlines start new lines. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  const room = Math.max(10, width - displayWidth(indent));
  for (const para of text.split(/\r?\n/)) {
    let line = '';
    let lineWidth = 0;
    for (const tok of para.match(TOKEN) ?? []) {
      const isSpace = /^[ \t]+$/.test(tok);
      const w = displayWidth(tok);
      if (lineWidth + w > room && line.trim() !== '') {
        lines.push(indent + line.trimEnd());
        line = '';
        lineWidth = 0;
        if (isSpace) continue;
      }
      if (isSpace && line === '') continue;
      line += tok;
      lineWidth += w;
    }
    lines.push(line.trimEnd() === '' ? '' : indent + line.trimEnd());
  }
  return lines;
}

/** "09-cgroups: waiting for 09-cgroups run 4312 to finish (resource: cgroups)…", in either language. */
export function waitingLine(ev: { lab: { id: string }; holder: string; resource: string }, lang: Lang): string {
  return lang === 'zh'
    ? `${ev.lab.id}：等待 ${ev.holder} 结束（资源：${ev.resource}）……`
    : `${ev.lab.id}: waiting for ${ev.holder} to finish (resource: ${ev.resource})…`;
}
