// The guided tour in a real terminal: `nslab` in an 80×24 tmux session, 01-uts opened and run
// with key presses, the screen captured; the host is left exactly as it was.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonOnly, rootOnly } from '../00.setup.js';
import { cli, hostSnapshot, nslab } from '../helpers.js';
import { hasTmux, quote, terminalEnv, Tmux } from '../tmux.js';

describe('the guided tour in a real terminal (tmux)', function () {
  let tmux: Tmux;
  let state: string;

  beforeEach(function () {
    if (!hasTmux()) {
      this.test!.title += ' (skipped: tmux is not installed; apt-get install tmux)';
      this.skip();
    }
    rootOnly(this);
    addonOnly(this);
    tmux = new Tmux();
    state = mkdtempSync(join(tmpdir(), 'nslab-tmux-state-'));
  });

  afterEach(function () {
    tmux?.stop();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  it('opens 01-uts from the list, runs it, shows every check as ✓ and quits cleanly', async function () {
    this.timeout(90_000);
    // Given the host as it is and nslab started in an 80×24 terminal
    const before = hostSnapshot();
    tmux.start(`${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)}; echo NSLAB-EXIT=$?; sleep 600`);
    await tmux.until((s) => /▸ 01-uts .*○ not run/.test(s), 'the lab list');
    // When 01-uts is opened, begun and run to the end
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('Six questions'), 'the card');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('Step 1/2'), 'the first step');
    tmux.keys('a');
    const screen = await tmux.until((s) => /01-uts passed: 5\/5 checks/.test(s), 'the summary', 30_000);
    if (process.env.NSLAB_SHOW_SCREEN) process.stdout.write(`\n${screen}\n`);
    // Then the screen fits the terminal and shows the checks as ✓ lines, none ✗
    const lines = screen.replace(/\n$/, '').split('\n');
    expect(lines.length).to.be.at.most(24);
    for (const l of lines) expect(l.length, l).to.be.at.most(80);
    expect(lines.filter((l) => /^\s*✓ /.test(l)).length).to.be.at.least(3);
    expect(screen).not.to.match(/^\s*✗/m);
    expect(screen).to.contain('cleanup: everything the lab created was removed');
    // When q goes back to the list and q again quits
    tmux.keys('q');
    await tmux.until((s) => /▸ 01-uts .*✓ passed/.test(s), 'the list with 01-uts passed');
    tmux.keys('q');
    await tmux.until((s) => s.includes('NSLAB-EXIT=0'), 'nslab to exit');
    // Then nothing is left on the host
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('answers keys typed while it loads, and still after Ink took over from the first frame', async function () {
    this.timeout(60_000);
    tmux.start(`${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)}; echo NSLAB-EXIT=$?; sleep 600`);
    // Given keys typed as soon as the list shows (the first frame answers them, or Ink does)
    await tmux.until((s) => /▸ 01-uts/.test(s), 'the first frame');
    tmux.keys('j', 'l');
    await tmux.until((s) => /▸ 02-ipc .*○ 未运行/.test(s), 'the second lab selected, in Chinese');
    // When the tour has loaded every lab (only then does the list count a lab's steps) and waits
    await tmux.until((s) => /打开这个实验[（(]\d+ 个步骤[）)]/.test(s), 'the lab loaded behind the list');
    await new Promise((r) => setTimeout(r, 500));
    expect(tmux.screen()).not.to.contain('NSLAB-EXIT');
    // Then it still answers keys, and q quits with 0
    tmux.keys('j');
    await tmux.until((s) => /▸ 03-pid/.test(s), 'the third lab selected');
    tmux.keys('q');
    await tmux.until((s) => s.includes('NSLAB-EXIT=0'), 'nslab to exit');
  });

  it('t opens the lab\'s next exercise in a playground; check judges it, exit comes back with it recorded', async function () {
    this.timeout(60_000);
    const before = hostSnapshot();
    tmux.start(`${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)}; echo NSLAB-EXIT=$?; sleep 600`, { cols: 100, rows: 30 });
    await tmux.until((s) => /▸ 01-uts .*✎ 0\/2/.test(s), 'the lab list with the exercises of 01-uts');
    // When t is pressed on 01-uts, a near-miss is tried, then the task is done
    tmux.keys('t');
    await tmux.until((s) => s.includes('[nslab try 01-uts/box] root@playground'), 'the playground prompt');
    tmux.text('unshare --uts sleep 600 & sleep 0.3; check');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('is in a new UTS namespace, but its hostname is still "playground"'), 'the specific hint', 15_000, 200);
    tmux.text('hint');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('hint 1/3: A new UTS namespace starts as a copy'), 'the first hint', 10_000, 200);
    tmux.text("unshare --uts sh -c 'hostname box; exec sleep 600' & sleep 0.3; check");
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('done: every condition holds'), 'the exercise done', 15_000, 200);
    tmux.text('exit');
    tmux.keys('Enter');
    // Then the tour is back, says so, and the list counts the exercise
    await tmux.until((s) => s.includes('Exercise 01-uts box is done; the playground is removed') && /01-uts .*✎ 1\/2/.test(s), 'the tour again');
    tmux.keys('q');
    await tmux.until((s) => s.includes('NSLAB-EXIT=0'), 'nslab to exit');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('nslab try in a terminal: the learner\'s shell, hint, answer, task, check, and Ctrl-C belongs to the shell', async function () {
    this.timeout(60_000);
    const before = hostSnapshot();
    tmux.start(`${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)} try 01-uts join --lang zh; echo NSLAB-EXIT=$?; sleep 600`, { cols: 100, rows: 30 });
    await tmux.until((s) => s.includes('[nslab try 01-uts/join] root@playground'), 'the playground prompt');
    expect(tmux.screen()).to.contain('加入一个已有的 UTS namespace');
    // Ctrl-C stops what runs in the shell, not the playground
    tmux.text('sleep 100');
    tmux.keys('Enter');
    await new Promise((r) => setTimeout(r, 300));
    tmux.keys('C-c');
    tmux.text('echo STILL-$((20+22))');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('STILL-42'), 'the shell after Ctrl-C');
    tmux.text('answer 42; task | head -1');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('已记下：42') && /^加入一个已有的 UTS namespace$/m.test(s), 'answer and task');
    tmux.text('ps -e | wc -l; exit');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('NSLAB-EXIT=1'), 'nslab to exit: not done');
    expect(tmux.screen(100)).to.contain('01-uts join 还没有完成（没有运行过 check）');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('suspends for the lab shell and comes back when it exits', async function () {
    this.timeout(60_000);
    const before = hostSnapshot();
    tmux.start(`${terminalEnv({ XDG_STATE_HOME: state })} ${quote(process.execPath)} ${quote(cli)} tour 01-uts; echo NSLAB-EXIT=$?; sleep 600`);
    await tmux.until((s) => s.includes('Six questions'), 'the card');
    // When s opens the shell, hostname runs inside the container
    tmux.keys('s');
    await tmux.until((s) => s.includes('[nslab 01-uts]'), 'the shell prompt');
    tmux.text('hostname');
    tmux.keys('Enter');
    await tmux.until((s) => /^container\s*$/m.test(s), 'hostname inside the container');
    // and exit returns to the tour, which still takes keys
    tmux.text('exit');
    tmux.keys('Enter');
    await tmux.until((s) => s.includes('The shell exited (0)') && s.includes('Six questions'), 'the tour back');
    tmux.keys('C-c');
    await tmux.until((s) => s.includes('NSLAB-EXIT=130'), 'nslab to exit on Ctrl-C');
    expect(hostSnapshot()).to.deep.equal(before);
  });
});

describe('the guided tour without a terminal', function () {
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  it('prints what nslab run prints when stdout is not a TTY', async function () {
    // Given stdout is a pipe, When the tour is asked for 01-uts in Chinese
    const r = await nslab(['tour', '01-uts', '--lang', 'zh']);
    // Then it is plain text: explanations, commands, ✓ lines and the summary, no escape codes
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/■ 01-uts — UTS namespace[:：]独立的主机名/);
    expect(r.stdout).to.match(/^ {2}解决的问题 /m); // the six-question card, before the first step
    expect(r.stdout).to.match(/\$ hostname\s+\[容器\]\n\s+container/);
    expect(r.stdout).to.match(/^\s+✓ .* — 观察到 /m);
    expect(r.stdout).to.match(/通过 \d+ 项，失败 0 项，跳过 0 项/);
    expect(r.stdout).not.to.contain('\x1b[');
  });
});
