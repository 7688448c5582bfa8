// Measuring a group with the kernel's own accounting over a window, with live progress, and
// the small text bar charts the human output shows. Used by the cgroup labs (09, 10).
import type { CheckOutcome, StepContext, Text } from '../core/model.js';
import type { Cgroup, Written } from './cgroup.js';
import { displayWidth } from '../core/width.js';

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
export async function cpuWindow(ctx: StepContext, group: Cgroup, ms: number, label: Text, onTick?: () => void): Promise<CpuWindow> {
  const secs = (ms / 1000).toFixed(1);
  ctx.log({
    en: `measuring ${label.en} for ${secs} s from ${group.cpuUsagePath()} …`,
    zh: `测量“${label.zh}”${secs} 秒，读数来自 ${group.cpuUsagePath()}……`,
  });
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
  ctx.log({ en: barLine(label.en, w.percent, 100, '%'), zh: barLine(label.zh, w.percent, 100, '%') });
  return w;
}

/** A bar of `width` cells for value/max (clamped), e.g. ████░░░░░░. */
export function bar(value: number, max: number, width = 20): string {
  const cells = Math.round(Math.max(0, Math.min(1, max > 0 ? value / max : 0)) * width);
  return '█'.repeat(cells) + '░'.repeat(width - cells);
}

/** `label  ████░░░░  20.3 %`: one line of a chart. */
export function barLine(label: string, value: number, max: number, unit: string, width = 20): string {
  const pad = Math.max(0, 22 - displayWidth(label));
  return `${label}${' '.repeat(pad)} ${bar(value, max, width)} ${value.toFixed(1).padStart(7)} ${unit}`;
}

/** A number rounded for reports. */
export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A task's CPU use in % of one CPU from a difference of utime+stime (USER_HZ: 100 ticks a second). */
export const ticksPercent = (ticks: number, wallMs: number) => (ticks * 1000) / Math.max(1, wallMs);

/**
 * What nslab wrote on this host, labelled as ours. With `articleValue` (what the article wrote
 * into the same v1 file) the article's value is shown beside ours; without it only the v1 name
 * of the same setting is given, never as something the article wrote.
 */
export function showWritten(ctx: StepContext, w: Written, articleValue?: string): void {
  const here = w.writes.map((x) => `${x.file} = ${x.value}`).join(', ');
  const v1 = `${w.article.file} = ${w.article.value}`;
  if (articleValue !== undefined) {
    ctx.log({
      en: `the article wrote ${w.article.file} = ${articleValue}; nslab writes here (cgroup v${w.version}): ${here}`,
      zh: `原文写的是 ${w.article.file} = ${articleValue}；nslab 在本机（cgroup v${w.version}）写的是 ${here}`,
    });
  } else if (w.version === 2) {
    ctx.log({ en: `nslab writes here (cgroup v2): ${here} (in cgroup v1: ${v1})`, zh: `nslab 在本机（cgroup v2）写的是 ${here}（在 cgroup v1 中是 ${v1}）` });
  } else {
    ctx.log({ en: `nslab writes here (cgroup v1): ${here}`, zh: `nslab 在本机（cgroup v1）写的是 ${here}` });
  }
}

/**
 * A step that could not measure on this host (a controller is missing) observes only why; its
 * checks are then skipped with that reason. A step's observation is `Result | Unmeasured`.
 */
export interface Unmeasured {
  readonly skip: Text;
}

/** The outcome of a check over an Unmeasured observation: skipped, with the step's reason. */
export function notMeasured(u: Unmeasured): CheckOutcome {
  return { observed: { en: 'not measured', zh: '未测量' }, expected: { en: 'a measurement', zh: '一次测量' }, pass: false, skip: u.skip };
}
