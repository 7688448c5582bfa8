// nslab capstone as a learner uses it: init writes the skeleton (level 0 already runs), check
// judges the learner's minidock in a playground with a targeted hint, hint and solution (only once
// the level was checked), image. The reference and its broken copies run in exercises.test.ts.
import { expect } from 'chai';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { addonOnly, rootOnly } from '../00.setup.js';
import { hostSnapshot, nslab, signalWhen } from '../helpers.js';

describe('nslab capstone (integration)', function () {
  this.timeout(90_000);
  let state = '';
  let home = '';
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
    state = mkdtempSync('/tmp/nslab-capstone-state-');
    // Not below /tmp: the playground has a /tmp of its own, and check says so.
    home = mkdtempSync(join(homedir(), '.nslab-capstone-test-'));
  });
  afterEach(function () {
    if (state) rmSync(state, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('init, check 0 (the skeleton runs), check 1 (a hint), hint, solution only after a check, image', async function () {
    const env = { XDG_STATE_HOME: state, SUDO_UID: '1000', SUDO_GID: '1000' };
    const dir = join(home, 'minidock');
    const before = hostSnapshot();
    const init = await nslab(['capstone', 'init', dir], { env });
    expect(init.code, init.stderr).to.equal(0);
    expect(statSync(join(dir, 'minidock.mjs')).uid, 'owned by the learner').to.equal(1000);
    const source = readFileSync(join(dir, 'minidock.mjs'), 'utf8');
    expect(source).to.contain('// ── level 1: uts ──');
    expect(source).to.not.contain('// >>> level');
    const again = await nslab(['capstone', 'init', dir], { env });
    expect(again.code).to.equal(2);
    expect(again.stderr).to.contain('will not overwrite your work');

    const zero = await nslab(['capstone', 'check', '0', dir], { env });
    expect(zero.code, zero.stdout + zero.stderr).to.equal(0);
    expect(zero.stdout).to.contain('✓ level 0 holds');
    const early = await nslab(['capstone', 'solution', '1'], { env });
    expect(early.code).to.equal(1);
    expect(early.stderr).to.contain('Check level 1 first');
    const one = await nslab(['capstone', 'check', '1', dir, '--lang', 'zh'], { env });
    expect(one.code).to.equal(1);
    expect(one.stdout).to.match(/→ 提示：/);
    expect(one.stdout).to.contain('第 1 级还没有完成');
    const hint = await nslab(['capstone', 'hint', '1'], { env });
    expect(hint.stdout).to.match(/^1\. /m);
    const solution = await nslab(['capstone', 'solution', '1'], { env });
    expect(solution.code, solution.stderr).to.equal(0);
    expect(solution.stdout).to.contain('// >>> level 1: uts');
    expect(solution.stdout).to.contain('sethostname');
    // The learner writes level 1 where its TODO is (here: the solution they were shown), and it holds.
    const skeletonBlock = /^ *\/\/ ── level 1: uts ──\n(?: *\/\/ TODO.*\n)+/m;
    expect(source).to.match(skeletonBlock);
    writeFileSync(join(dir, 'minidock.mjs'), source.replace(skeletonBlock, `${solution.stdout.trimEnd()}\n`));
    const solved = await nslab(['capstone', 'check', '1', dir], { env });
    expect(solved.code, solved.stdout + solved.stderr).to.equal(0);
    expect(solved.stdout).to.contain('✓ level 1 holds. Next: nslab capstone check 2');

    const image = await nslab(['capstone', 'image', dir], { env });
    expect(image.code, image.stderr).to.equal(0);
    const img = join(dir, 'image');
    expect(existsSync(join(img, 'manifest.json'))).to.equal(true);
    // The tarballs are the learner's, like init's files; the unpacked layers keep the image's owners.
    const owners = new Set([img, ...readdirSync(img, { recursive: true }).map((f) => join(img, String(f)))].map((f) => lstatSync(f).uid));
    expect([...owners]).to.deep.equal([1000]);
    expect(lstatSync(join(dir, 'layers', '1', 'bin', 'busybox')).uid).to.equal(0);
    expect(lstatSync(join(dir, 'layers', '2', 'etc', 'motd')).isCharacterDevice(), 'the whiteout, as overlayfs wants it').to.equal(true);
    expect(image.stdout).to.contain(`run --layers ${join(dir, 'layers', '2')}:${join(dir, 'layers', '1')} -- /bin/sh`);
    const twice = await nslab(['capstone', 'image', dir], { env });
    expect(twice.code).to.equal(2);
    expect(twice.stderr).to.contain('exists already');
    const bad = await nslab(['capstone', 'check', '42', dir], { env });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('levels are 0 to 8');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('check stops on SIGINT and removes its playground (exit 130), leaving the host as it was', async function () {
    const env = { XDG_STATE_HOME: state, SUDO_UID: '1000', SUDO_GID: '1000' };
    const dir = join(home, 'minidock');
    expect((await nslab(['capstone', 'init', dir], { env })).code).to.equal(0);
    const before = hostSnapshot();
    const r = await signalWhen(['capstone', 'check', '1', dir], /── nslab capstone check 1/, 'SIGINT', { env, delayMs: 400 });
    expect(r.sent).to.equal(true);
    expect(r.code, r.stdout + r.stderr).to.equal(130);
    expect(r.stdout).to.contain('SIGINT: stopping and removing');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('refuses a minidock below /tmp, which the playground replaces, in one sentence', async function () {
    const r = await nslab(['capstone', 'check', '0', '/tmp/somewhere'], { env: { XDG_STATE_HOME: state } });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^nslab: "\/tmp\/somewhere" is below \/tmp/);
  });
});
