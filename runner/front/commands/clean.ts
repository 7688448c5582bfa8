// nslab clean: remove what interrupted or crashed runs left behind.
import { recoverAll } from '../../core/cleanup.js';
import { ensureRunDir } from '../../core/paths.js';
import { isRoot } from '../../kit/requirements.js';
import { UsageError, type Out } from './usage.js';

export function cleanCommand(out: Out): number {
  if (!isRoot()) throw new UsageError('nslab clean removes mounts and processes a run left behind and needs root: sudo npx nslab clean.', 1);
  ensureRunDir();
  const r = recoverAll();
  for (const line of r.live) out(`left alone: ${line} is still running`);
  for (const line of r.bad) out(`skipped a journal line: ${line}`);
  for (const line of r.removed) out(`removed ${line}`);
  for (const line of r.errors) out(`could not remove ${line}`);
  if (r.removed.length === 0 && r.errors.length === 0 && r.bad.length === 0) out(r.live.length > 0 ? 'nothing else to clean: no finished run left anything behind' : 'nothing to clean: no run left anything behind');
  return r.errors.length > 0 ? 1 : 0;
}
