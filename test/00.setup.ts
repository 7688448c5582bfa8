// Loaded by mocha before every test file (.mocharc.json "require"). Gates that skip say why.
import { isRoot } from '../runner/kit/requirements.js';
import { addonStatus } from '../addon/index.js';

/** Skip the calling test (or suite, from a before hook) unless running as root. */
export function rootOnly(ctx: Mocha.Context): void {
  if (!isRoot()) {
    ctx.test!.title += ' (skipped: needs root)';
    ctx.skip();
  }
}

/** Skip unless the addon and probe are built. */
export function addonOnly(ctx: Mocha.Context): void {
  const s = addonStatus();
  if (!s.ok) {
    ctx.test!.title += ` (skipped: ${s.reason})`;
    ctx.skip();
  }
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context) {
    // In CI every lab test must really run: a skipped root test there would hide a failure.
    if (process.env.CI && !isRoot()) throw new Error('CI runs the suite as root; it is running as a normal user');
  },
};
