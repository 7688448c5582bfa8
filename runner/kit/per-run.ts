// Live things a lab hands from one step to a later one (a running container, a child held
// before execve). They are not observations — observations are plain data a check can judge —
// so steps find them here, by the run. Each run has its own slot; the cleanup stack still
// owns the objects, so a run that stops half-way removes them all the same.
import type { StepContext } from '../core/model.js';

export class PerRun<T> {
  private readonly slots = new WeakMap<object, T>();

  /** What an earlier step of this run put here, if anything. */
  get(ctx: StepContext): T | undefined {
    return this.slots.get(ctx.cleanup);
  }

  set(ctx: StepContext, value: T): void {
    this.slots.set(ctx.cleanup, value);
  }

  delete(ctx: StepContext): void {
    this.slots.delete(ctx.cleanup);
  }
}
