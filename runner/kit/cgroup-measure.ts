// Measuring a group with the kernel's own accounting over a window, with live progress, and
// the small text bar charts the human output shows. Used by the cgroup labs (09, 10).
import type { CheckOutcome, StepContext } from '../core/model.js';
import type { Cgroup, Written } from './cgroup.js';

const TICK_MS = 100;

/** Sleep that gives up when the run is interrupted. */
export async function pause(ctx: StepContext, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  if (ctx.signal.aborted) throw new Error('interrupted');
}

export interface CpuWindow {
  /** CPU time of the group during the window, as a percentage of one CPU. */
  readonly percent: number;
  readonly usageUs: number;
  readonly wallMs: number;
  /** The counter the figure comes from. */
  readonly file: string;
}

/**
 * CPU use of a group over `ms`: the difference of its usage counter (cpuacct.usage or
 * cpu.stat usage_usec) divided by the wall-clock time between the two reads. Progress is
 * reported every 100 ms; `onTick` runs at each tick (to sample per-thread state).
 */
export async function cpuWindow(ctx: StepContext, group: Cgroup, ms: number, label: string, onTick?: () => void): Promise<CpuWindow> {
  ctx.log(`measuring ${label} for ${(ms / 1000).toFixed(1)} s from ${group.cpuUsagePath()} …`);
  const u0 = group.cpuUsageUsec({ show: true });
  const t0 = process.hrtime.bigint();
  for (let elapsed = 0; elapsed < ms; elapsed += TICK_MS) {
    await pause(ctx, Math.min(TICK_MS, ms - elapsed));
    onTick?.();
    ctx.progress(Math.min(1, (elapsed + TICK_MS) / ms), label);
  }
  const u1 = group.cpuUsageUsec({ show: true });
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  const usageUs = u1 - u0;
  const w = { percent: (usageUs / wallUs) * 100, usageUs, wallMs: wallUs / 1000, file: group.cpuUsagePath() };
  ctx.log(barLine(label, w.percent, 100, '%'));
  return w;
}

/** A bar of `width` cells for value/max (clamped), e.g. ████░░░░░░. */
export function bar(value: number, max: number, width = 20): string {
  const cells = Math.round(Math.max(0, Math.min(1, max > 0 ? value / max : 0)) * width);
  return '█'.repeat(cells) + '░'.repeat(width - cells);
}

/** `label  ████░░░░  20.3 %`: one line of a chart. */
export function barLine(label: string, value: number, max: number, unit: string, width = 20): string {
  return `${label.padEnd(22)} ${bar(value, max, width)} ${value.toFixed(1).padStart(7)} ${unit}`;
}

/** A number rounded for reports. */
export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A task's CPU use in % of one CPU from a difference of utime+stime (USER_HZ: 100 ticks a second). */
export const ticksPercent = (ticks: number, wallMs: number) => (ticks * 1000) / Math.max(1, wallMs);

/** The article's file and value next to what nslab wrote on this host. */
export function showWritten(ctx: StepContext, w: Written): void {
  const here = w.writes.map((x) => `${x.file} = ${x.value}`).join(', ');
  ctx.log(`article: ${w.article.file} = ${w.article.value}   →   here (cgroup v${w.version}): ${here}`);
}

/**
 * A step that could not measure on this host (a controller is missing) observes only why; its
 * checks are then skipped with that reason. A step's observation is `Result | Unmeasured`.
 */
export interface Unmeasured {
  readonly skip: string;
}

/** The outcome of a check over an Unmeasured observation: skipped, with the step's reason. */
export function notMeasured(u: Unmeasured): CheckOutcome {
  return { observed: 'not measured', expected: 'a measurement', pass: false, skip: u.skip };
}
