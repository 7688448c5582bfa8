// The three layers of runner/ and the lab folders, as the imports show them. Fails on a
// forbidden import:
//   runner/core  → nothing above it (kit, front) and no lab;
//   runner/kit   → core only (never front, never a lab);
//   labs/<id>/   → the kit, the addon's typed wrapper and files of its own folder only;
//   labs/index   → the labs' about.ts/index.ts and the kit.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative module a source file imports (static, dynamic and type-only), as repo paths. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"`](\.{1,2}\/[^'"`$]*)['"`]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(repoRoot, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** The rule an import breaks, or undefined when it is allowed. */
export function forbidden(from: string, to: string): string | undefined {
  const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);
  if (under(from, 'runner/core')) {
    if (under(to, 'runner/kit') || under(to, 'runner/front')) return 'core imports a layer above it';
    if (under(to, 'labs')) return 'core imports a lab';
  }
  if (under(from, 'runner/kit')) {
    if (under(to, 'runner/front')) return 'the kit imports a front end';
    if (under(to, 'labs')) return 'the kit imports a lab';
  }
  const lab = /^labs\/(\d\d-[^/]+)\//.exec(from)?.[1];
  if (lab !== undefined) {
    if (under(to, `labs/${lab}`)) return undefined;
    if (under(to, 'labs')) return `lab ${lab} imports another lab`;
    if (under(to, 'runner') && !under(to, 'runner/kit')) return `lab ${lab} imports runner internals outside the kit`;
    if (under(to, 'addon') && to !== 'addon/index.ts') return `lab ${lab} imports the addon's raw binding`;
  }
  return undefined;
}

describe('layers (runner/core, runner/kit, runner/front, labs)', function () {
  it('has no forbidden import anywhere in runner/ and labs/', function () {
    const bad: string[] = [];
    for (const file of [...sources(join(repoRoot, 'runner')), ...sources(join(repoRoot, 'labs'))]) {
      const from = relative(repoRoot, file);
      for (const to of importsOf(file)) {
        const why = forbidden(from, to);
        if (why) bad.push(`${from} → ${to}: ${why}`);
      }
    }
    expect(bad).to.deep.equal([]);
  });

  it('names each rule a made-up import breaks', function () {
    expect(forbidden('runner/core/engine.ts', 'runner/kit/container.ts')).to.equal('core imports a layer above it');
    expect(forbidden('runner/core/engine.ts', 'labs/index.ts')).to.equal('core imports a lab');
    expect(forbidden('runner/kit/shell.ts', 'runner/front/cli.ts')).to.equal('the kit imports a front end');
    expect(forbidden('runner/kit/shell.ts', 'labs/01-uts/index.ts')).to.equal('the kit imports a lab');
    expect(forbidden('labs/10-cgroup-v2/index.ts', 'labs/09-cgroups/freeze.ts')).to.equal('lab 10-cgroup-v2 imports another lab');
    expect(forbidden('labs/02-ipc/index.ts', 'runner/core/undo.ts')).to.equal('lab 02-ipc imports runner internals outside the kit');
    expect(forbidden('labs/02-ipc/index.ts', 'addon/loader.ts')).to.equal("lab 02-ipc imports the addon's raw binding");
    expect(forbidden('labs/02-ipc/index.ts', 'labs/02-ipc/about.ts')).to.equal(undefined);
    expect(forbidden('labs/02-ipc/index.ts', 'runner/kit/index.ts')).to.equal(undefined);
    expect(forbidden('runner/front/cli.ts', 'labs/index.ts')).to.equal(undefined);
  });

  it('reads static, type-only and dynamic imports', function () {
    const text = "import a from './a.js';\nimport type { B } from '../b.js';\nconst c = await import('./c/d.js');\nimport './e.js';";
    expect(importsOf(join(repoRoot, 'labs/01-uts/x.ts'), text)).to.deep.equal(['labs/01-uts/a.ts', 'labs/b.ts', 'labs/01-uts/c/d.ts', 'labs/01-uts/e.ts']);
  });
});
