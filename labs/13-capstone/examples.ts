// Made-up observations for 13-capstone's checks: one that passes, and failing ones per check.
import { examples } from '../../runner/kit/index.js';
import { image, reference, type Built, type LevelsRun } from './index.js';
import { levels } from './levels.js';

const built: Built = { repoTags: ['nslab/busybox:latest'], layers: 2, busybox: true, whiteout: { isCharDevice: true, rdev: 0 } };
const allHold: LevelsRun = { results: levels.map((_, level) => ({ level, done: true, failed: [] })) };

export default [
  examples(image, {
    pass: built,
    fail: {
      'two-layers': [{ ...built, layers: 1 }, { ...built, busybox: false }],
      'whiteout-device': [{ ...built, whiteout: undefined }, { ...built, whiteout: { isCharDevice: false, rdev: 0 } }, { ...built, whiteout: { isCharDevice: true, rdev: 259 } }],
    },
  }),
  examples(reference, {
    pass: allHold,
    fail: Object.fromEntries(
      levels.map((_, n) => [
        `level-${n}`,
        [
          { results: allHold.results.map((r) => (r.level === n ? { ...r, done: false, failed: ['some-condition'] } : r)) },
          { results: allHold.results.filter((r) => r.level !== n) },
        ],
      ]),
    ),
  }),
];
