// The child of lab 07 that waits for its maps: it unshares a user namespace in step
// map-rules, stays held before execve through setgroups-deny, and is let go in
// root-inside. A live process is not an observation, so the steps find it here, by the run
// (its cleanup stack, one per run); each observation carries only its pid. The process is
// recorded on the cleanup stack too: a run that stops half-way still kills it.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Child } from '../../addon/index.js';
import { LabError, PerRun, t, type ProbeReport, type StepContext } from '../../runner/kit/index.js';

interface Waiting {
  readonly child: Child;
  readonly cleanupId: number;
}

const waiting = new PerRun<Waiting>();

/** Keep `child` for the next steps of this run (a child held before, by a step run again, is stopped). */
export async function hold(ctx: StepContext, child: Child, cleanupId: number): Promise<void> {
  await letGo(ctx);
  waiting.set(ctx, { child, cleanupId });
}

/** The child an earlier step of this run left waiting. */
export function held(ctx: StepContext): Child {
  const w = waiting.get(ctx);
  if (!w)
    throw new LabError(
      t('no user-namespace child is waiting: step map-rules has not run in this session', '没有等待中的 user namespace 子进程：步骤 map-rules 在本次运行中还没有运行'),
    );
  return w.child;
}

/** End the waiting child (if any): close its pipe, and kill it if it does not exit within 3 s. */
export async function letGo(ctx: StepContext): Promise<void> {
  const w = waiting.get(ctx);
  if (!w) return;
  waiting.delete(ctx);
  w.child.abandon();
  w.child.stdin?.end();
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 3000);
  await w.child.exited;
  clearTimeout(timer);
  ctx.cleanup.release(w.cleanupId);
}

/** The Uid:/Gid: lines of /proc/PID/status: real, effective, saved, filesystem ids. */
export function statusIds(pid: number): { uid: number[]; gid: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const ids = (key: string) => (new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);
  return { uid: ids('Uid'), gid: ids('Gid') };
}

/** The probe's JSON report from a child that keeps running (--hold). */
export function reportOf(child: Child, timeoutMs = 10_000): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new LabError(t('the probe has no stdout pipe', '探针没有 stdout 管道')));
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new LabError(t(`no report from the probe within ${timeoutMs} ms`, `探针在 ${timeoutMs} ms 内没有输出报告`))), timeoutMs);
    rl.on('line', (line) => {
      if (!line.startsWith('{"probe":1')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as ProbeReport);
    });
    rl.on('close', () => reject(new LabError(t('the probe ended before it reported', '探针在输出报告之前就结束了'))));
  });
}
