// `npm pack` holds what `npx nslab` needs and nothing else, and installs and runs elsewhere.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { catalogue } from '../../labs/index.js';

interface PackResult {
  filename: string;
  files: { path: string }[];
}

describe('package (npm pack)', function () {
  this.timeout(600_000);
  let dir: string;
  let pack: PackResult;

  before(function () {
    dir = mkdtempSync('/tmp/nslab-pack-');
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    pack = (JSON.parse(out) as PackResult[])[0]!;
  });
  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('contains the CLI, the compiled code and the addon sources, and no build dirs, tests or maps', function () {
    const paths = pack.files.map((f) => f.path);
    expect(paths).to.include.members(['bin/nslab.js', 'dist/runner/front/cli.js', 'dist/labs/index.js', 'dist/addon/index.js', 'CMakeLists.txt', 'addon/probe/probe.c', 'package.json', 'README.md']);
    const stray = paths.filter((p) => /^(build|test|dist\/test|node_modules|\.ci|scripts|docs)\//.test(p) || p.endsWith('.map') || p.endsWith('.ts'));
    expect(stray).to.deep.equal([]);
  });

  it('installs into an empty directory, builds the addon and runs nslab list', function () {
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'ignore' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', join(dir, pack.filename)], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] });
    const list = execFileSync(join(app, 'node_modules', '.bin', 'nslab'), ['list'], { cwd: app, encoding: 'utf8' });
    expect(list.trim().split('\n')).to.have.length(catalogue.length);
    expect(list).to.match(/^01-uts\s/);
    // the addon was compiled on install, so doctor finds it
    const doctor = execFileSync(join(app, 'node_modules', '.bin', 'nslab'), ['doctor'], { cwd: app, encoding: 'utf8' });
    expect(doctor).to.not.match(/not built/);
  });
});
