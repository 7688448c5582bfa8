// The freezer experiment, run by 09-cgroups (on whichever hierarchy has the freezer) and
// 10-cgroup-v2 (on cgroup2, where freezing and CPU accounting are core files of every group):
// a busy loop in a group is frozen and thawed while the group's own CPU counter is read.
import type { Check, StepContext } from '../core/model.js';
import { Cgroup } from './cgroup.js';
import { CgroupHost } from './cgroup-host.js';
import type { Version } from './cgroup-parse.js';
import { cpuWindow, notMeasured, pause, round, showWritten, type CpuWindow, type Unmeasured } from './cgroup-measure.js';
import { Workload } from './cgroup-workload.js';

/** What the freezer experiment saw. */
export interface FreezeResult {
  readonly version: Version;
  /** The file the state was read from (freezer.state, or cgroup.events on v2). */
  readonly stateFile: string;
  /** The state the kernel reported after the freeze request, and after the thaw. */
  readonly frozenState: string;
  readonly thawedState: string;
  /** The busy loop's CPU use before the freeze, while frozen, and after the thaw. */
  readonly running: CpuWindow;
  readonly frozen: CpuWindow;
  readonly resumed: CpuWindow;
}

/** The freezer step's observation: the experiment, or why this host could not run it. */
export type Freezer = FreezeResult | Unmeasured;

/** Tolerances, stated in the checks. */
export const FROZEN_MAX_PERCENT = 1;
/** After the thaw: at least this share of the CPU use before the freeze (other programs may compete). */
export const RESUMED_MIN_SHARE = 0.5;

async function waitState(g: Cgroup, want: string, timeoutMs = 3000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let state = g.frozenState();
  while (state !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    state = g.frozenState();
  }
  return g.frozenState({ show: true });
}

/** Run a busy loop in group `name`, freeze it, measure, thaw it, measure. */
export async function freezeExperiment(ctx: StepContext, name: string, prefer?: Version): Promise<Freezer> {
  const host = CgroupHost.discover();
  for (const r of ['freezer', 'cpuacct'] as const) if (!host.place(r, prefer)) return { skip: host.whyMissing(r, prefer) };
  const g = Cgroup.create(ctx, host, name, ['freezer', 'cpuacct'], prefer);
  try {
    const w = await Workload.start(ctx, 'spin', [], [g]);
    try {
      const running = await cpuWindow(ctx, g, 1000, { en: 'running', zh: '运行中' });
      const written = g.freeze(true);
      showWritten(ctx, written);
      const frozenState = await waitState(g, 'FROZEN');
      const frozen = await cpuWindow(ctx, g, 1500, { en: 'frozen', zh: '冻结中' });
      g.freeze(false);
      const thawedState = await waitState(g, 'THAWED');
      await pause(ctx, 100);
      const resumed = await cpuWindow(ctx, g, 1000, { en: 'thawed', zh: '解冻后' });
      const version = g.version('freezer');
      const stateFile = g.dir('freezer').file(version === 1 ? 'freezer.state' : 'cgroup.events');
      // Only quantities that mean something side by side are numbers (the TUI charts them).
      ctx.measure('freezer', { version: `cgroup v${version}`, file: written.writes[0]!.file, frozenState, thawedState });
      ctx.measure('cpu % of one CPU', { running: round(running.percent), frozen: round(frozen.percent, 3), thawed: round(resumed.percent) });
      return { version, stateFile, frozenState, thawedState, running, frozen, resumed };
    } finally {
      await w.stop();
    }
  } finally {
    g.remove();
  }
}

/** The freezer's checks (the same ids, words and figures in both cgroup labs). */
export const freezeChecks: readonly Check<Freezer>[] = [
  {
    id: 'frozen-state',
    description: { en: 'After the freeze request the kernel reports the group as frozen.', zh: '请求冻结之后，内核报告该组已冻结。' },
    evaluate: (o) =>
      'skip' in o
        ? notMeasured(o)
        : {
            observed: `${o.stateFile}: ${o.frozenState}`,
            expected: 'FROZEN',
            pass: o.frozenState === 'FROZEN',
          },
  },
  {
    id: 'frozen-no-cpu',
    description: {
      en: `While frozen the busy loop uses no CPU (below ${FROZEN_MAX_PERCENT} % of one CPU, from the group's CPU counter).`,
      zh: `冻结期间忙循环不占用 CPU（按该组的 CPU 计数器，低于单个 CPU 的 ${FROZEN_MAX_PERCENT} %）。`,
    },
    evaluate: (o) =>
      'skip' in o
        ? notMeasured(o)
        : {
            observed: {
              en: `running ${o.running.percent.toFixed(1)} %, frozen ${o.frozen.percent.toFixed(2)} % over ${(o.frozen.wallMs / 1000).toFixed(1)} s`,
              zh: `运行时 ${o.running.percent.toFixed(1)} %，冻结的 ${(o.frozen.wallMs / 1000).toFixed(1)} 秒内 ${o.frozen.percent.toFixed(2)} %`,
            },
            expected: `< ${FROZEN_MAX_PERCENT} %`,
            pass: o.frozen.percent < FROZEN_MAX_PERCENT && o.frozen.wallMs >= 1000,
          },
  },
  {
    id: 'thawed-resumes',
    description: {
      en: `After the thaw the busy loop runs again, with at least ${RESUMED_MIN_SHARE * 100} % of the CPU use it had before the freeze.`,
      zh: `解冻之后忙循环重新运行，CPU 用量至少恢复到冻结前的 ${RESUMED_MIN_SHARE * 100} %。`,
    },
    evaluate: (o) =>
      'skip' in o
        ? notMeasured(o)
        : {
            observed: {
              en: `${o.thawedState}, ${o.resumed.percent.toFixed(1)} % (before the freeze ${o.running.percent.toFixed(1)} %)`,
              zh: `${o.thawedState}，${o.resumed.percent.toFixed(1)} %（冻结前 ${o.running.percent.toFixed(1)} %）`,
            },
            expected: `THAWED, ≥ ${(RESUMED_MIN_SHARE * o.running.percent).toFixed(1)} %`,
            pass: o.thawedState === 'THAWED' && o.running.percent > 5 && o.resumed.percent >= RESUMED_MIN_SHARE * o.running.percent,
          },
  },
];
