// The kit: everything a lab may use from the runner, in one place. A lab imports this module,
// the addon's typed wrapper (addon/index.ts) and files of its own folder — nothing else
// (test/unit/layers.test.ts fails on any other import).
export type * from '../core/model.js';
export type * from '../core/exercise.js';
export { exercise } from '../core/exercise.js';
export { LEARNER_UID, PLAYGROUND_HOSTNAME, openPlayground, PlaygroundUnavailable, type PlaygroundRun } from '../core/playground.js';
export { step, t, say, LabError, errorText } from '../core/model.js';
export { examples, madeUpProbe, type StepExamples } from './examples.js';
export { landing, LANDING_PROBE, placeLandingProbe, type Landing } from './landing.js';
export type { Entry } from '../core/journal.js';
export {
  hostMountinfoOf,
  hostPids,
  holdersOf,
  type Holder,
  type HolderScan,
  listDir,
  mountAt,
  mountsOf,
  msgQueues,
  nsOf,
  parseMountinfo,
  peerGroup,
  processesIn,
  propagation,
  readLines,
  statusField,
  tryRead,
  type MountLine,
} from '../core/proc.js';
export { dmEnv, mountsUnder, msgKey } from '../core/undo.js';
export { startTime } from '../core/paths.js';
export { useNetnsDirs } from '../core/shared.js';
export * from './container.js';
export * from './cmd.js';
export * from './shell.js';
export * from './cgroup.js';
export * from './requirements.js';
export * from './cgroup-parse.js';
export * from './cgroup-host.js';
export * from './cgroup-measure.js';
export * from './cgroup-workload.js';
export * from './cgroup-freeze.js';
export { PerRun } from './per-run.js';
