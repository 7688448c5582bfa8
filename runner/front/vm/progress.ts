// A one-line progress bar for `nslab vm prepare` (stderr): redrawn in place on a terminal, one
// line per stage otherwise (CI logs).
import type { Lang, Text } from '../../core/model.js';

export type Progress = (fraction: number, label: Text) => void;

export function progressBar(lang: Lang = 'en', stream: NodeJS.WriteStream = process.stderr, width = 30): Progress & { done(line: string): void } {
  const tty = stream.isTTY === true;
  let lastLabel = '';
  let lastDrawn = -1;
  const draw = (fraction: number, said: Text) => {
    const label = said[lang];
    const f = Math.max(0, Math.min(1, fraction));
    const pct = Math.round(f * 100);
    if (tty) {
      if (pct === lastDrawn && label === lastLabel) return;
      const filled = Math.round(f * width);
      const cols = stream.columns ?? 100;
      const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${label}`;
      stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, lastLine))}`);
      lastLine = Math.min(cols - 1, line.length);
    } else if (label !== lastLabel) {
      stream.write(`[${String(pct).padStart(3)}%] ${label}\n`);
    }
    lastLabel = label;
    lastDrawn = pct;
  };
  let lastLine = 0;
  return Object.assign(draw, {
    done(line: string) {
      if (tty && lastLine > 0) stream.write(`\r${' '.repeat(lastLine)}\r`);
      stream.write(`${line}\n`);
      lastLine = 0;
    },
  });
}
