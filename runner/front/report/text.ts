// Plain-text layout shared by the human reporter and the TUI: terminal widths (CJK characters
// take two columns), word wrapping, and the sentence for a run that waits for another. No chalk
// here: the tour's first frame loads this before anything heavy.
import type { Lang } from '../../core/model.js';

/** Terminal columns of one code point: East Asian wide/fullwidth characters take two. */
function charWidth(cp: number): number {
  if (cp < 0x1100) return cp === 0 ? 0 : 1;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

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
