// The table of spawn actions: addon/src/actions.def (the C enum, constants.ops, child.c's
// cases) and addon/actions.ts (SetupAction, marshal, describe) must name the same actions, and
// agree on which raw fields each one carries and which syscall its failure reports.
// Runs without root and without the addon (the built addon is compared when it is there).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIONS, ACTION_KINDS, actionEntry, type Lookup } from '../../addon/actions.js';
import { loadBinding, packageRoot } from '../../addon/loader.js';

interface DefEntry {
  readonly name: string;
  readonly js: string;
  readonly fields: string[];
  readonly syscall: string;
  readonly line: number;
}

const src = (file: string) => readFileSync(join(packageRoot(), 'addon', 'src', file), 'utf8');

const ENTRY =
  /^NSLAB_ACTION\(\s*([A-Z][A-Z0-9_]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*"(?:[^"\\]|\\.)*"\s*\)\s*$/;

function parseDef(text: string): { entries: DefEntry[]; malformed: string[] } {
  const entries: DefEntry[] = [];
  const malformed: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line.startsWith('NSLAB_ACTION(')) return;
    const m = ENTRY.exec(line);
    if (!m) {
      malformed.push(`line ${i + 1}: ${line}`);
      return;
    }
    const fields = m[3]!.split(/\s+/).filter((f) => f !== '');
    entries.push({ name: m[1]!, js: m[2]!, fields, syscall: m[4]!, line: i + 1 });
  });
  return { entries, malformed };
}

/** An action of this kind whose every field is set, so marshal() sets every raw field it can. */
function sample(kind: string): never {
  const values: Record<string, unknown> = { do: kind, namespaces: ['uts'], ns: 'uts', flags: ['bind'], signal: 'SIGTERM', type: 'c' };
  const get = (_t: object, key: string | symbol) => (typeof key !== 'string' ? undefined : key in values ? values[key] : `x-${key}`);
  return new Proxy({}, { get }) as never;
}

const fakeLookup: Lookup = { constant: () => 1, cloneFlags: () => 2, mountFlags: () => 4 };

describe('spawn actions: actions.def and addon/actions.ts agree', function () {
  const { entries, malformed } = parseDef(src('actions.def'));

  it('parses every NSLAB_ACTION line of actions.def', function () {
    expect(malformed, 'lines the test cannot read (keep one entry per line)').to.deep.equal([]);
    expect(entries.length).to.be.greaterThan(0);
  });

  it('has no duplicate names', function () {
    const dup = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
    expect(dup(entries.map((e) => e.name)), 'enum names').to.deep.equal([]);
    expect(dup(entries.map((e) => e.js)), 'JavaScript names').to.deep.equal([]);
  });

  it('names the same actions on both sides', function () {
    const def = entries.map((e) => e.js);
    const ts: readonly string[] = ACTION_KINDS;
    expect(ts.filter((k) => !def.includes(k)), 'in addon/actions.ts but not in actions.def').to.deep.equal([]);
    expect(def.filter((k) => !ts.includes(k)), 'in actions.def but not in addon/actions.ts').to.deep.equal([]);
  });

  it('has a marshal and a describe for every action', function () {
    for (const e of entries) {
      const entry = actionEntry(e.js);
      expect(entry, `ACTIONS.${e.js}`).to.not.equal(undefined);
      expect(entry!.marshal, `ACTIONS.${e.js}.marshal`).to.be.a('function');
      expect(entry!.describe, `ACTIONS.${e.js}.describe`).to.be.a('function');
    }
    expect(actionEntry('toString'), 'only own keys are actions').to.equal(undefined);
    expect(Object.keys(ACTIONS)).to.deep.equal([...ACTION_KINDS]);
  });

  it('marshals exactly the raw fields actions.def says the child reads', function () {
    for (const e of entries) {
      const raw = actionEntry(e.js)!.marshal(sample(e.js), fakeLookup);
      expect(Object.keys(raw).sort(), `${e.js} (actions.def line ${e.line}: "${e.fields.join(' ')}")`).to.deep.equal(
        [...e.fields].sort(),
      );
      for (const f of e.fields) expect(['a', 'b', 'c', 'd', 'n', 'm'], `${e.js}: field ${f}`).to.include(f);
    }
  });

  it('reports the syscall actions.def names when an action fails', function () {
    for (const e of entries) {
      const d = actionEntry(e.js)!.describe(sample(e.js));
      expect(d.syscall, `${e.js} (actions.def line ${e.line})`).to.equal(e.syscall);
      expect(d.call, `${e.js}: the call in the message`).to.be.a('string').and.not.equal('');
    }
  });

  it('has a case in child.c for every action', function () {
    const child = src('child.c');
    const missing = entries.filter((e) => !new RegExp(`case NSLAB_OP_${e.name}:`).test(child)).map((e) => e.name);
    expect(missing).to.deep.equal([]);
  });

  it('matches constants.ops of the built addon, numbered in actions.def order', function () {
    let ops: Record<string, number>;
    try {
      ops = loadBinding().constants.ops;
    } catch (e) {
      this.test!.title += ` (skipped: ${(e as Error).message.split(';')[0]})`;
      return this.skip();
    }
    const expected = Object.fromEntries(entries.map((e, i) => [e.js, i + 1]));
    expect(ops, 'rebuild the addon (npm run build:addon) after changing actions.def').to.deep.equal(expected);
  });
});
