// The child of lab 07 that waits for its maps: it unshares a user namespace in step
// gid-map-refused, stays held before execve through setgroups-deny, and is let go in
// root-inside. A live process is not an observation, so the steps find it here, by the run
// (its cleanup stack, one per run); each observation carries only its pid. The process is
// recorded on the cleanup stack too: a run that stops half-way still kills it.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Child } from '../../addon/index.js';
import { PerRun, type ProbeReport, type StepContext } from '../../runner/kit/index.js';

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
  if (!w) throw new Error('no user-namespace child is waiting: step gid-map-refused has not run in this session');
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
    if (!child.stdout) return reject(new Error('the probe has no stdout pipe'));
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`no report from the probe within ${timeoutMs} ms`)), timeoutMs);
    rl.on('line', (line) => {
      if (!line.startsWith('{"probe":1')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as ProbeReport);
    });
    rl.on('close', () => reject(new Error('the probe ended before it reported')));
  });
}
