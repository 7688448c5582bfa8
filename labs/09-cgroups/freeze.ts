// The freezer experiment, shared by 09-cgroups (on whichever hierarchy has the freezer) and
// 10-cgroup-v2 (on cgroup2, where freezing and CPU accounting are core files of every group).
import { Cgroup, CgroupHost, type Version, type Written, type Check, type StepContext } from '../../runner/kit/index.js';
import { cpuWindow, measured, pause, round, showWritten, type CpuWindow, type Skip } from './measure.js';
import { Workload } from './workload.js';

export interface FreezeResult {
  readonly version: Version;
  readonly written: Written;
  readonly stateFile: string;
  readonly frozenState: string;
  readonly thawedState: string;
  readonly running: CpuWindow;
  readonly frozen: CpuWindow;
  readonly resumed: CpuWindow;
}

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
export async function freezeExperiment(ctx: StepContext, name: string, prefer?: Version): Promise<FreezeResult | Skip> {
  const host = CgroupHost.discover();
  for (const r of ['freezer', 'cpuacct'] as const) if (!host.place(r, prefer)) return { skip: host.whyMissing(r, prefer) };
  const g = Cgroup.create(ctx, host, name, ['freezer', 'cpuacct'], prefer);
  try {
    const w = await Workload.start(ctx, 'spin', [], [g]);
    try {
      const running = await cpuWindow(ctx, g, 1000, 'running');
      const written = g.freeze(true);
      showWritten(ctx, written);
      const frozenState = await waitState(g, 'FROZEN');
      const frozen = await cpuWindow(ctx, g, 1500, 'frozen');
      g.freeze(false);
      const thawedState = await waitState(g, 'THAWED');
      await pause(ctx, 100);
      const resumed = await cpuWindow(ctx, g, 1000, 'thawed');
      const v = g.version('freezer');
      const stateFile = g.dir('freezer').file(v === 1 ? 'freezer.state' : 'cgroup.events');
      const result = { version: v, written, stateFile, frozenState, thawedState, running, frozen, resumed };
      ctx.measure('freezer', {
        version: v,
        runningPercent: round(running.percent),
        frozenPercent: round(frozen.percent, 3),
        resumedPercent: round(resumed.percent),
        frozenState,
        file: written.writes[0]!.file,
      });
      return result;
    } finally {
      await w.stop();
    }
  } finally {
    g.remove();
  }
}

/** The freezer's checks, over where a lab keeps the result. */
export function freezeChecks<S>(get: (s: S) => FreezeResult | Skip | undefined): Check<S>[] {
  return [
    {
      id: 'frozen-state',
      description: 'After the freeze request the kernel reports the group as frozen.',
      evaluate: (s) =>
        measured(get(s), (r) => ({
          observed: `${r.stateFile}: ${r.frozenState}`,
          expected: 'FROZEN',
          pass: r.frozenState === 'FROZEN',
        })),
    },
    {
      id: 'frozen-no-cpu',
      description: `While frozen the busy loop uses no CPU (below ${FROZEN_MAX_PERCENT} % of one CPU, from the group's CPU counter).`,
      evaluate: (s) =>
        measured(get(s), (r) => ({
          observed: `running ${r.running.percent.toFixed(1)} %, frozen ${r.frozen.percent.toFixed(2)} % over ${(r.frozen.wallMs / 1000).toFixed(1)} s`,
          expected: `< ${FROZEN_MAX_PERCENT} %`,
          pass: r.frozen.percent < FROZEN_MAX_PERCENT && r.frozen.wallMs >= 1000,
        })),
    },
    {
      id: 'thawed-resumes',
      description: `After the thaw the busy loop runs again, with at least ${RESUMED_MIN_SHARE * 100} % of the CPU use it had before the freeze.`,
      evaluate: (s) =>
        measured(get(s), (r) => ({
          observed: `${r.thawedState}, ${r.resumed.percent.toFixed(1)} % (before the freeze ${r.running.percent.toFixed(1)} %)`,
          expected: `THAWED, ≥ ${(RESUMED_MIN_SHARE * r.running.percent).toFixed(1)} %`,
          pass: r.thawedState === 'THAWED' && r.running.percent > 5 && r.resumed.percent >= RESUMED_MIN_SHARE * r.running.percent,
        })),
    },
  ];
}
