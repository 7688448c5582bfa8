// The guided tour, driven by key presses: frames are compared with ANSI stripped, and every
// wait is on content, never on time. A fake lab covers the screens without root; the real
// 01-uts run needs root and the addon.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { render } from 'ink-testing-library';
import { addonOnly, rootOnly } from '../00.setup.js';
import { hostSnapshot } from '../helpers.js';
import { catalogue } from '../../labs/index.js';
import { step, type About, type Lab, type PlannedLab } from '../../runner/core/model.js';
import { App } from '../../runner/front/tui/App.js';
import { capstoneNote, menuLines, type ListEntry } from '../../runner/front/tui/format.js';
import { displayWidth } from '../../runner/front/report/text.js';
import { openEarlyMenu, splitKeys } from '../../runner/front/tui/first-frame.js';
import { progressFile } from '../../runner/front/tui/progress.js';

const ENTER = '\r';
const ESC = '\x1b';
const DOWN = '\x1b[B';
const CTRL_C = '\x03';

const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

type Rendered = ReturnType<typeof render>;

/** The screen as the learner sees it (static output included), without colours. */
const frame = (r: Rendered) => strip(r.lastFrame() ?? '');
/** Wrapped lines joined back: for sentences that may span two rows. */
const flat = (f: string) => f.replace(/\s+/g, ' ');

async function until(r: Rendered, pred: (f: string) => boolean, what: string, ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame(r);
    if (pred(f)) return f;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen was:\n${f}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}
const untilText = (r: Rendered, text: string | RegExp, ms?: number) =>
  until(r, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), String(text), ms);

/** The part of the screen after the last occurrence of `marker` (the live area, not the history). */
const after = (f: string, marker: string) => f.slice(f.lastIndexOf(marker));

let attempts = 0;

/** Two steps: the first observes a value (and how often it ran), the second builds on it. */
function fakeLab(o: { id?: string; failSecond?: boolean; hang?: boolean; unmet?: string } = {}): Lab {
  const text = (en: string, zh: string) => ({ en, zh });
  const first = step<{ value: number; attempts: number }>({
    id: 'first',
    title: text('First step', '第一步'),
    explain: text('Why the first step matters.', '第一步为什么重要。'),
    article: 'old-command --first',
    modern: 'new-command --first',
    async run(ctx) {
      ctx.transcript({ command: 'echo hi', output: 'hi\n', where: text('host', '主机') });
      ctx.progress(0.5, text('halfway', '一半'));
      ctx.measure('before', 10);
      ctx.measure('after', 20);
      const seen = { value: 42, attempts: ++attempts };
      if (o.hang) {
        ctx.scratch();
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      return seen;
    },
    checks: [{ id: 'value', description: text('The value is 42.', '值是 42。'), evaluate: (s) => ({ observed: String(s.value), expected: '42', pass: s.value === 42 }) }],
  });
  const second = step<{ value: number }>({
    id: 'second',
    title: text('Second step', '第二步'),
    explain: text('Why the second step matters.', '第二步为什么重要。'),
    modern: 'new-command --second',
    async run(ctx) {
      ctx.log(text('second step ran', '第二步运行了'));
      return { value: ctx.observed(first).value };
    },
    checks: [
      {
        id: 'builds-on-first',
        description: text('The second step sees what the first one set up.', '第二步看到了第一步准备的东西。'),
        evaluate: (s) => ({ observed: String(s.value), expected: '42', pass: !o.failSecond && s.value === 42 }),
      },
    ],
  });
  return {
    id: o.id ?? '01-fake',
    title: text('A fake lab for the screens', '用来测试界面的假实验'),
    card: {
      problem: text('Problem answer.', '问题的回答。'),
      tradeoff: text('Trade-off answer.', '代价的回答。'),
      usedBy: text('Used-by answer.', '使用场景的回答。'),
      parts: text('Parts answer.', '组成的回答。'),
      kernel: text('Kernel answer.', '内核的回答。'),
      alternatives: text('Alternatives answer.', '其他实现的回答。'),
    },
    requirements: o.unmet
      ? [{ id: 'vm', description: text('a VM', '一台虚拟机'), probe: () => ({ ok: false, reason: text(o.unmet!, `中文：${o.unmet!}`), remedy: text('run with --vm', '加上 --vm 运行') }) }]
      : [],
    steps: [first, second],
  };
}

const planned: PlannedLab = { id: '12-later', title: { en: 'Not built yet', zh: '还没做' }, planned: true };

describe('the guided tour (TUI)', function () {
  let state: string;
  let run: string;
  const saved = { XDG_STATE_HOME: process.env.XDG_STATE_HOME, NSLAB_RUN_DIR: process.env.NSLAB_RUN_DIR };
  const mounted: Rendered[] = [];

  beforeEach(function () {
    state = mkdtempSync(join(tmpdir(), 'nslab-tui-state-'));
    run = mkdtempSync(join(tmpdir(), 'nslab-tui-run-'));
    process.env.XDG_STATE_HOME = state;
    if (!process.env.CI_KEEP_RUN_DIR) process.env.NSLAB_RUN_DIR = run;
  });

  afterEach(function () {
    for (const r of mounted.splice(0)) r.unmount();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(state, { recursive: true, force: true });
    rmSync(run, { recursive: true, force: true });
  });

  function tour(
    entries: readonly ListEntry[],
    extra: { lang?: 'en' | 'zh'; initialLab?: string; onExit?: (c: number) => void; load?: (about: About) => Promise<Lab> } = {},
  ) {
    const r = render(
      <App
        entries={entries}
        lang={extra.lang ?? 'en'}
        version="test"
        progressFile={progressFile()}
        color={false}
        onExit={extra.onExit ?? (() => undefined)}
        {...(extra.initialLab ? { initialLab: extra.initialLab } : {})}
        {...(extra.load ? { load: extra.load } : {})}
      />,
    );
    mounted.push(r);
    return r;
  }

  it('lists the labs with their state here, and says why one is skipped', async function () {
    // Given a runnable lab, one this machine cannot run, and a planned one
    const r = tour([fakeLab(), fakeLab({ id: '02-needs-vm', unmet: 'needs --vm: no device-mapper' }), planned]);
    // When the list appears and the requirements are probed
    await untilText(r, /01-fake .*○ not run/);
    await untilText(r, /02-needs-vm .*⊘ skipped here/);
    expect(frame(r)).to.match(/12-later .*· not yet available/);
    // Then the skipped lab's reason and remedy show when it is selected
    r.stdin.write(DOWN);
    await untilText(r, '02-needs-vm skipped here: needs --vm: no device-mapper');
    expect(frame(r)).to.contain('to run it: run with --vm');
    // and a planned lab does not open
    r.stdin.write(DOWN);
    await untilText(r, /▸ 12-later/);
    r.stdin.write(ENTER);
    await untilText(r, '12-later is not yet available.');
  });

  it('walks a lab step by step, toggles the language, and remembers the result', async function () {
    // Given the list
    const r = tour([fakeLab(), planned]);
    await untilText(r, '▸ 01-fake');
    // When the lab is opened, its card shows the six questions
    r.stdin.write(ENTER);
    const card = await untilText(r, 'Six questions');
    for (const a of ['Problem answer.', 'Trade-off answer.', 'Used-by answer.', 'Parts answer.', 'Kernel answer.', 'Alternatives answer.']) expect(card).to.contain(a);
    // and one step at a time: explanation, the article's command beside today's
    r.stdin.write(ENTER);
    let f = await untilText(r, 'Step 1/2 · First step');
    expect(f).to.contain('Why the first step matters.');
    expect(f).to.match(/article\s+old-command --first/);
    expect(f).to.match(/today\s+new-command --first/);
    // Enter runs it: its output, measurements and checks stay on screen
    r.stdin.write(ENTER);
    f = await untilText(r, 'Step 2/2 · Second step');
    expect(f).to.contain('$ echo hi   [host]');
    expect(f).to.match(/before\s+█+ 10/);
    expect(flat(f)).to.contain('✓ The value is 42. — observed 42, expected 42');
    r.stdin.write(ENTER);
    f = await untilText(r, '01-fake passed: 2/2 checks');
    expect(f).to.contain('second step ran');
    expect(flat(f)).to.contain('✓ The second step sees what the first one set up.');
    expect(f).not.to.contain('✗');
    // Then l shows Chinese
    r.stdin.write('l');
    f = await untilText(r, '01-fake 通过：2/2 项检查');
    expect(after(f, '■ 01-fake')).to.contain('用来测试界面的假实验');
    // and back in the list the lab is passed
    r.stdin.write('q');
    await untilText(r, /▸ 01-fake .*✓ 通过/);
    const saved = JSON.parse(readFileSync(progressFile(), 'utf8')) as { labs: Record<string, { status: string; checks: string }> };
    expect(saved.labs['01-fake']).to.include({ status: 'passed', checks: '2/2' });
    // and a new session remembers it
    r.unmount();
    const again = tour([fakeLab(), planned]);
    await untilText(again, /01-fake .*✓ passed/);
  });

  it('shows a failed check as ✗, marks the lab failed, and r re-runs the step from a fresh state', async function () {
    // Given a lab whose second check fails
    const r = tour([fakeLab({ failSecond: true })], { initialLab: '01-fake' });
    await untilText(r, 'Six questions');
    // When all of it runs (a)
    r.stdin.write('a');
    let f = await untilText(r, '01-fake failed: 1/2 checks');
    // Then the failure is a ✗ line with what was observed and expected
    expect(flat(f)).to.contain('✗ The second step sees what the first one set up. — observed 42, expected 42');
    // When r re-runs the last step, the first is replayed quietly for the state it sets up
    const before = attempts;
    r.stdin.write('r');
    f = await until(r, (x) => x.includes('↻ ✓ Step 1/2') && after(x, '↻').includes('01-fake failed: 1/2 checks'), 'the re-run and its summary');
    expect(f).to.contain('↻ ✓ Step 1/2 · First step');
    expect(attempts).to.equal(before + 1);
    r.stdin.write(ESC);
    await untilText(r, /▸ 01-fake .*✗ failed/);
  });

  it('speaks Chinese through a whole lab run in zh: card, steps, output labels, checks and summary', async function () {
    // Given the tour in Chinese
    const r = tour([fakeLab()], { lang: 'zh', initialLab: '01-fake' });
    // When the lab is opened, its card shows the six questions with Chinese labels
    const card = await untilText(r, '六个问题');
    for (const w of ['解决的问题', '代价', '用在哪里', '组成部分', '内核实现', '其他实现', '问题的回答。']) expect(card).to.contain(w);
    // and every step runs
    r.stdin.write('a');
    const f = await untilText(r, '01-fake 通过：2/2 项检查');
    // Then the step's words, where a command ran, and the checks are Chinese
    expect(f).to.contain('步骤 1/2 · 第一步');
    expect(f).to.match(/原文\s+old-command --first/);
    expect(f).to.contain('$ echo hi   [主机]');
    expect(f).to.contain('第二步运行了');
    expect(flat(f)).to.contain('✓ 值是 42。 — 观察到 42，预期 42');
    expect(flat(f)).to.contain('清理：实验创建的一切都已删除');
    expect(f).not.to.match(/observed|expected|checks/);
  });

  it('uses the width of a 100-column terminal for the list: a long title shows whole', async function () {
    // Given a lab with a long title (ink-testing-library's terminal is 100 columns wide)
    const long = 'IPC namespace: System V queues of its own';
    const r = tour([{ id: '02-ipc', title: { en: long, zh: 'IPC namespace：独立的 System V 消息队列' } }, planned], { load: async () => fakeLab() });
    // When the list appears, Then the title is whole, not cut with …
    const f = await untilText(r, /▸ 02-ipc/);
    expect(f).to.contain(long);
    expect(f).not.to.contain('queues of it…');
  });

  it('shows a lab this machine cannot run as skipped, with the reason and the remedy', async function () {
    const r = tour([fakeLab({ unmet: 'needs --vm: no device-mapper' })], { initialLab: '01-fake' });
    await untilText(r, 'Six questions');
    r.stdin.write(ENTER);
    const f = await untilText(r, '⊘ skipped here: needs --vm: no device-mapper');
    expect(f).to.contain('to run it: run with --vm');
    r.stdin.write('q');
    await untilText(r, /01-fake .*⊘ skipped here/);
  });

  it('says whom a lab waits for while another run holds its resource, then runs it', async function () {
    // Given another run holding the resource the lab needs alone
    const { ResourceLock } = await import('../../runner/core/owner.js');
    const held = await ResourceLock.acquire('unit-tui', '09-cgroups', new AbortController().signal, () => undefined);
    const r = tour([{ ...fakeLab(), exclusive: ['unit-tui'] }], { initialLab: '01-fake' });
    await untilText(r, 'Six questions');
    // When the lab is started
    r.stdin.write('a');
    // Then the tour says for whom it waits, and runs the lab once the resource is free
    await untilText(r, `01-fake: waiting for 09-cgroups run ${process.pid} to finish (resource: unit-tui)`);
    held.release();
    await untilText(r, '01-fake passed: 2/2 checks');
  });

  it('cleans up on Ctrl-C in the middle of a step before it exits', async function () {
    // Given a step that made a scratch directory and keeps running
    let code: number | undefined;
    const r = tour([fakeLab({ hang: true })], { initialLab: '01-fake', onExit: (c) => (code = c) });
    await untilText(r, 'Six questions');
    r.stdin.write('a');
    await untilText(r, 'Ctrl-C stops and cleans up');
    await until(r, () => readdirSync(run).some((d) => /^[0-9a-f]{4}$/.test(d) && existsSync(`${run}/${d}/scratch`)), 'the scratch directory');
    // When Ctrl-C is pressed
    r.stdin.write(CTRL_C);
    // Then the tour exits with 130 and the scratch directory is gone
    await until(r, () => code !== undefined, 'the exit');
    expect(code).to.equal(130);
    const left = existsSync(run) ? readdirSync(run, { recursive: true }) : [];
    expect(left, 'scratch or journal left behind').to.deep.equal([]);
  });

  it("keeps the lab's run while the key help covers it", async function () {
    // Given a lab whose first step has run
    const r = tour([fakeLab()], { initialLab: '01-fake' });
    await untilText(r, 'Six questions');
    r.stdin.write(ENTER);
    await untilText(r, 'Step 1/2 · First step');
    r.stdin.write(ENTER);
    await untilText(r, 'Step 2/2 · Second step');
    // When the help is opened and closed again
    r.stdin.write('?');
    await untilText(r, /Keys\s/);
    r.stdin.write('?');
    // Then the lab is where it was (the second step next), and it finishes from there
    await until(r, (f) => after(f, 'Step 2/2').includes('Enter run this step'), 'the second step again');
    r.stdin.write(ENTER);
    await untilText(r, '01-fake passed: 2/2 checks');
  });

  it("lists the catalogue's entries and loads a lab's code when it is opened", async function () {
    // Given the catalogue's lines (no code) and a loader, one of whose labs fails to load
    const loaded: string[] = [];
    const load = async (about: About): Promise<Lab> => {
      loaded.push(about.id);
      if (about.id === '02-broken') throw new Error('SyntaxError in labs/02-broken/index.js');
      return fakeLab();
    };
    const about = (id: string): About => ({ id, title: { en: `About ${id}`, zh: `关于 ${id}` } });
    const r = tour([about('01-fake'), about('02-broken'), planned], { load });
    // When the list appears, Then the lab that cannot load says why, and the others are listed
    await untilText(r, /02-broken .*⊘ skipped here/);
    r.stdin.write(DOWN);
    await until(r, (f) => flat(f).includes('nslab could not load this lab: SyntaxError in labs/02-broken/index.js'), 'the reason');
    // and Enter on the good one opens its card from the loaded code
    r.stdin.write('k');
    await untilText(r, /▸ 01-fake/);
    r.stdin.write(ENTER);
    await untilText(r, 'Six questions');
    expect(loaded).to.include.members(['01-fake', '02-broken']);
  });

  describe('with the real 01-uts lab', function () {
    beforeEach(function () {
      rootOnly(this);
      addonOnly(this);
      if (saved.NSLAB_RUN_DIR === undefined) delete process.env.NSLAB_RUN_DIR;
      else process.env.NSLAB_RUN_DIR = saved.NSLAB_RUN_DIR;
    });

    it('list → open 01-uts → run all steps → all ✓ → Chinese → back → 01-uts passed', async function () {
      this.timeout(60_000);
      // Given the host as it is and the real catalogue (each lab's code loads when needed)
      const host = hostSnapshot();
      const r = tour(catalogue);
      await untilText(r, /▸ 01-uts .*UTS namespace/);
      // When 01-uts is opened, begun and every step run
      r.stdin.write(ENTER);
      await untilText(r, 'Six questions');
      r.stdin.write(ENTER);
      await untilText(r, 'Step 1/2');
      r.stdin.write('a');
      let f = await untilText(r, /01-uts passed: \d+\/\d+ checks/, 30_000);
      // Then every check is a ✓ line with its observation, none is ✗
      const ticks = f.split('\n').filter((l) => /^\s*✓ /.test(l));
      expect(ticks.length).to.be.at.least(7); // 2 step headers + 5 checks
      expect(flat(f).match(/✓ [^✓]*? — observed /g) ?? []).to.have.length(5);
      expect(f).not.to.match(/^\s*✗/m);
      expect(f).to.contain('5/5 checks');
      expect(f).to.match(/\$ hostname\s+\[container\]\n\s+container/);
      // When l is pressed, Chinese shows
      r.stdin.write('l');
      f = await untilText(r, '01-uts 通过：5/5 项检查');
      expect(after(f, '■ 01-uts')).to.match(/UTS namespace[:：]独立的主机名/);
      // and back in the list, 01-uts is passed
      r.stdin.write('q');
      await untilText(r, /▸ 01-uts .*✓ 通过/);
      expect(hostSnapshot()).to.deep.equal(host);
    });
  });
});

/** A terminal for the early menu: keys written to `input`, the screen read back from `out`. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  let written = '';
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.toString();
        done();
      },
    }),
    { columns: 80, rows: 24, isTTY: true },
  );
  // The current frame: what follows the last erase (the first frame has none).
  const screen = () => {
    const i = written.lastIndexOf('\x1b[G');
    return strip(i < 0 ? written : written.slice(i + 3));
  };
  const press = async (keys: string) => {
    input.write(keys);
    await new Promise((res) => setImmediate(res));
  };
  return { input: input as unknown as NodeJS.ReadStream, out: out as unknown as NodeJS.WriteStream, screen, press };
}

describe('the tour menu before Ink has loaded', function () {
  let state: string;
  beforeEach(function () {
    state = mkdtempSync(join(tmpdir(), 'nslab-menu-state-'));
  });
  afterEach(function () {
    rmSync(state, { recursive: true, force: true });
  });

  const frame = (entries: readonly ListEntry[]) => ({ entries, lang: 'en' as const, version: 'test', progressFile: join(state, 'progress.json'), color: false });

  it('answers the list keys at once and hands over what the learner chose', async function () {
    // Given the menu painted in an 80×24 terminal
    const t = fakeTerminal();
    const opened: string[] = [];
    const menu = openEarlyMenu({ ...frame([fakeLab(), fakeLab({ id: '02-other' }), planned]), onOpen: (id) => opened.push(id) }, t.out, t.input);
    try {
      expect(t.screen()).to.match(/▸ 01-fake .*○ not run/);
      // When keys are pressed, Then each one is answered with the screen the tour would show
      await t.press(DOWN);
      expect(t.screen()).to.match(/▸ 02-other/);
      await t.press('?');
      expect(t.screen()).to.match(/^Keys/m);
      await t.press('q'); // closes the help, does not quit
      await t.press('jj'); // two keys in one read
      expect(t.screen()).to.match(/▸ 01-fake/);
      await t.press('\x1b[A'); // up from the first wraps to the last
      await t.press(ENTER);
      expect(t.screen()).to.contain('12-later is not yet available.');
      await t.press('l');
      expect(t.screen()).to.contain('尚未提供');
      await t.press(`k${ENTER}`);
      await t.press(DOWN); // after Enter, keys wait for the lab
      // and what was chosen is handed over with the lines to erase
      const { state: chosen, painted } = await menu.handOff();
      expect(chosen).to.deep.include({ selected: 1, lang: 'zh', help: false, open: '02-other' });
      expect(opened).to.deep.equal(['02-other']);
      expect(painted).to.be.within(5, 22);
    } finally {
      menu.close();
    }
  });

  it('quits at once on q (0) and on Ctrl-C (130), before Ink is needed', async function () {
    for (const [key, code] of [['q', 0], [CTRL_C, 130], [ESC, 0]] as const) {
      const t = fakeTerminal();
      const menu = openEarlyMenu(frame([fakeLab()]), t.out, t.input);
      await t.press(key);
      expect(await menu.quit, JSON.stringify(key)).to.equal(code);
    }
  });

  it('fits the list to the terminal: a title cut at 80 columns shows whole at 100', function () {
    const long = 'IPC namespace: System V queues of its own';
    const entries: ListEntry[] = [{ id: '02-ipc', title: { en: long, zh: long } }];
    const list = (width: number) =>
      menuLines({ entries, states: [{ kind: 'not-run' }], selected: 0, lang: 'en', width, version: 'test', help: false, rows: 24 }).map((l) => l.text);
    expect(list(79).join('\n')).to.contain('IPC namespace: System V queues of it…');
    const wide = list(99);
    const row = wide.find((l) => l.includes('02-ipc'))!;
    expect(row).to.contain(long);
    expect(displayWidth(row)).to.be.at.most(99);
    for (const l of wide) expect(displayWidth(l), l).to.be.at.most(99);
  });

  it('splits raw input into keys: escape sequences whole, a lone ESC as Escape', function () {
    expect(splitKeys('jk\x1b[A\x1bOB\r名\x1b')).to.deep.equal(['j', 'k', '\x1b[A', '\x1bOB', '\r', '名', '\x1b']);
  });
});

describe('t on the capstone (TUI)', function () {
  it('says how it is checked, how many levels hold and which to check next, in both languages', function () {
    const done = [true, true, false, false, false, false, false, false, false];
    expect(capstoneNote(done, 'en')).to.match(/nslab capstone init.*\. 2\/9 levels hold; next: nslab capstone check 2$/);
    expect(capstoneNote(done, 'zh')).to.match(/。已通过 2\/9 级；下一级：nslab capstone check 2$/);
    expect(capstoneNote(done.map(() => true), 'en')).to.match(/all 9 levels hold$/);
  });
});
