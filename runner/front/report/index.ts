// Reporter registry: `--reporter <name>` picks one of these.

import type { Report } from '../../core/model.js';
import { toJson } from './json.js';
import { toJunit } from './junit.js';
import { toTap } from './tap.js';
import type { ReporterName } from './names.js';

export { REPORTERS, isReporterName, type ReporterName } from './names.js';

/** The whole-report renderers; 'human' is live output, see humanListener in ./human.js. */
export function render(name: Exclude<ReporterName, 'human'>, report: Report): string {
  switch (name) {
    case 'json':
      return toJson(report);
    case 'tap':
      return toTap(report);
    case 'junit':
      return toJunit(report);
  }
}

export { toJson, type JsonOptions, type ReportedLab } from './json.js';
export { toTap, testPoints, type TestPoint } from './tap.js';
export { toJunit } from './junit.js';
export { cardBlock, humanListener, summaryLine, waitingLine, type HumanOptions } from './human.js';
export { cardStrings } from './words.js';
