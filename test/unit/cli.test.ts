// The command line as a user meets it: bad input gets one sentence and a non-zero exit.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogue as registryCatalogue, findLab, labIds, nearestId } from '../../labs/index.js';
import { parseArgs } from '../../runner/front/cli.js';
import { cli, hostSnapshot, nslab, repoRoot } from '../helpers.js';

/** Every module `node bin/nslab.js <args>` loads, as paths under the repository (or node:…). */
function modulesLoadedBy(args: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-imports-'));
  const trace = join(dir, 'trace');
  const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.NSLAB_TRACE_IMPORTS, r.url + '\\n');
  return r;
}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  try {
    const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, cli, ...args], {
      env: { ...process.env, NSLAB_TRACE_IMPORTS: trace },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    return readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((u) => u.replace(`file://${repoRoot}/`, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The ids as the registry has them: no lab id or count is written in this file.
const catalogue = registryCatalogue.map((a) => a.id);

describe('cli', function () {
  it('lists every lab of the catalogue, in order, none of them as passing', async function () {
    const r = await nslab(['list']);
    expect(r.code).to.equal(0);
    const ids = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(ids).to.deep.equal(catalogue);
    expect(labIds()).to.deep.equal(catalogue);
    expect(r.stdout).to.not.match(/pass/i);
  });

  it('finds labs by id, number or name and suggests the nearest id for a typo', function () {
    expect(findLab('1')?.id).to.equal('01-uts');
    expect(findLab('uts')?.id).to.equal('01-uts');
    expect(findLab('07-user-namespace')?.id).to.equal('07-user-namespace');
    expect(nearestId('usernamespace')).to.equal('07-user-namespace');
    expect(nearestId('99-nope')).to.be.a('string');
  });

  it('rejects an unknown lab with one sentence naming the nearest id', async function () {
    const before = hostSnapshot();
    const r = await nslab(['run', '99-nope']);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^nslab: There is no lab "99-nope"; did you mean \d\d-[a-z-]+\?/);
    expect(r.stdout).to.equal('');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('says its errors, help and list in Chinese with --lang zh (or a zh locale)', async function () {
    // An unknown lab, an unknown option (said in the language asked for later on the line)
    let r = await nslab(['run', '99-nope', '--lang', 'zh']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^nslab：没有实验 "99-nope"；你是不是想找 \d\d-[a-z-]+？/);
    r = await nslab(['--frobnicate', '--lang=zh']);
    expect(r.stderr.trim()).to.equal('nslab：未知的选项 "--frobnicate"：见 nslab --help。');
    r = await nslab(['verify'], { env: { LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' } });
    expect(r.stderr).to.contain('nslab verify 需要实验或 --all');
    // help for each command
    for (const cmd of ['', 'list', 'run', 'verify', 'doctor', 'shell', 'clean', 'tour', 'vm']) {
      r = await nslab([...(cmd ? [cmd] : []), '--help', '--lang', 'zh']);
      expect(r.code, cmd).to.equal(0);
      expect(r.stdout, cmd).to.match(/[\u4e00-\u9fff]/);
      expect(r.stdout, cmd).to.contain(`nslab ${cmd}`.trim());
    }
    // the list, with each lab's title and state in Chinese
    r = await nslab(['list', '--lang', 'zh']);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).to.deep.equal(catalogue);
    for (const l of lines) expect(l).to.match(/(可用|尚未提供)$/);
  });

  it('runs every lab with run --all (it asks for root first, like a named lab)', async function () {
    if (process.geteuid?.() !== 0) this.skip(); // switching to a normal user needs root
    const r = await nslab(['run', '--all'], { uid: 65534, gid: 65534, env: { HOME: '/tmp' } });
    expect(r.code).to.equal(1);
    expect(r.stderr).not.to.contain('needs a lab');
    expect(r.stderr.trim()).to.match(/^nslab: nslab run (\d\d-[a-z0-9-]+ )*01-uts .*needs root .*\(sudo npx nslab run --all\)\.$/);
    const zh = await nslab(['run', '--all', '--lang', 'zh'], { uid: 65534, gid: 65534, env: { HOME: '/tmp' } });
    expect(zh.stderr).to.contain('需要 root 才能创建 namespace 和挂载：请用 sudo 运行（sudo npx nslab run --all）。');
  });

  it('rejects an unknown reporter', async function () {
    const r = await nslab(['verify', '01-uts', '--reporter', 'nope']);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim()).to.equal('nslab: Unknown reporter "nope": use one of human, json, tap, junit.');
  });

  it('tells a normal user to use sudo, creates nothing and exits non-zero', async function () {
    if (process.geteuid?.() !== 0) this.skip(); // switching to a normal user needs root
    const before = hostSnapshot();
    const r = await nslab(['run', '01-uts'], { uid: 65534, gid: 65534, env: { HOME: '/tmp' } });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal('nslab: nslab run 01-uts needs root to create namespaces and mounts: run it with sudo (sudo npx nslab run 01-uts).');
    expect(hostSnapshot()).to.deep.equal(before);
  });

  it('doctor reports the kernel features and every lab, each as ready or with a reason', async function () {
    const r = await nslab(['doctor']);
    expect(r.code, r.stderr).to.equal(0);
    for (const section of ['Namespaces', 'File systems', 'Tools', 'Labs']) expect(r.stdout).to.contain(`--- ${section} ---`);
    for (const id of catalogue) expect(r.stdout).to.match(new RegExp(`^[✓✗] ${id}\\s+(ready|\\S.*)$`, 'm'));
    // what it says about cgroups is what the host has
    expect(r.stdout).to.match(/^cgroup: (v1|v2|hybrid|none)/m);
  });

  it('doctor speaks Chinese with --lang zh: sections, statuses, requirements', async function () {
    const r = await nslab(['doctor', '--lang', 'zh']);
    expect(r.code, r.stderr).to.equal(0);
    for (const section of ['namespace', '文件系统', '工具', '实验']) expect(r.stdout).to.contain(`--- ${section} ---`);
    for (const id of catalogue) expect(r.stdout).to.match(new RegExp(`^[✓✗] ${id}\\s+(就绪|\\S.*)$`, 'm'));
    expect(r.stdout).to.match(/^cgroup：(v1|v2|hybrid|none)/m);
    expect(r.stdout).not.to.contain('[object Object]');
    // every requirement line (✓/✗) is said in Chinese (the VM line is another matter)
    const items = r.stdout.split('\n').filter((l) => /^[✓✗] /.test(l) && !l.includes('--vm'));
    expect(items.filter((l) => !/[\u4e00-\u9fff]/.test(l))).to.deep.equal([]);
  });

  it('has help for every command', async function () {
    for (const cmd of ['list', 'run', 'verify', 'doctor', 'shell', 'clean']) {
      const r = await nslab([cmd, '--help']);
      expect(r.code, cmd).to.equal(0);
      expect(r.stdout, cmd).to.contain(`nslab ${cmd}`);
    }
  });

  it('parses options', function () {
    expect(parseArgs(['run', '01-uts', '--lang', 'zh'])).to.include({ lang: 'zh' });
    expect(parseArgs(['verify', '--all', '--reporter=tap'])).to.include({ all: true, reporter: 'tap' });
    expect(() => parseArgs(['--lang', 'fr'])).to.throw(/en or zh/);
    expect(() => parseArgs(['--frobnicate'])).to.throw(/Unknown option/);
  });

  it('loads only the catalogue for list, --version and --help: no engine, kit, lab code, chalk, Ink or addon', function () {
    // Given what a cold start may load: the entry point, the command line and its small helpers,
    // and for list the catalogue (labs/index.js and each lab's about.js)
    const allowed = /^(node:[a-z_/]+|bin\/nslab\.js|dist\/runner\/front\/(cli|interrupt|commands\/(usage|version)|report\/names)\.js|dist\/labs\/(index|catalogue)\.js)$/;
    for (const args of [['list'], ['--version'], ['--help']]) {
      // When nslab runs the command, Then it loads nothing else
      const loaded = modulesLoadedBy(args);
      expect(loaded, args.join(' ')).to.include('dist/runner/front/cli.js');
      expect(loaded.filter((m) => !allowed.test(m)), args.join(' ')).to.deep.equal([]);
    }
  });

  it('prints its version from package.json', async function () {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await nslab(['--version']);
    expect(r.stdout.trim()).to.equal(pkg.version);
  });
});
