// The capstone's level-6 conditions on made-up observations, cgroup v1 and v2 alike: each passes
// on what the reference produces and fails, with its own hint, on a typical mistake. (The real
// runs are in exercises.test.ts and, for v2, in the VM test of 12-devicemapper.test.ts.)
import { expect } from 'chai';
import { levels, type GroupSeen, type LevelWorld } from '../../labs/13-capstone/levels.js';

type Groups = Partial<Record<'cpu' | 'memory' | 'pids', GroupSeen>>;

const v2 = (name: string, over: Partial<Record<'cpu' | 'memory' | 'pids', Partial<GroupSeen>>> = {}): Groups => ({
  cpu: { version: 2, shown: `/sys/fs/cgroup/${name}`, playgrounds: name === '', limit: 0.2, throttled: 7, ...over.cpu },
  memory: { version: 2, shown: `/sys/fs/cgroup/${name}`, playgrounds: name === '', limit: 32 * 1024 * 1024, ...over.memory },
  pids: { version: 2, shown: `/sys/fs/cgroup/${name}`, playgrounds: name === '', limit: 20, ...over.pids },
});
const v1 = (name: string): Groups => ({
  cpu: { version: 1, shown: `/sys/fs/cgroup/cpu/${name}`, playgrounds: false, limit: 0.2, throttled: 9 },
  memory: { version: 1, shown: `/sys/fs/cgroup/memory/${name}`, playgrounds: false, limit: 32 * 1024 * 1024 },
  pids: { version: 1, shown: `/sys/fs/cgroup/pids/${name}`, playgrounds: false, limit: 20 },
});

/** A level-6 world: c1 in `groups`, its first child in `first` (only what these conditions read). */
const world = (groups: Groups, first: Groups = groups): LevelWorld =>
  ({ level: 6, c1: { inside: 1, cgroups: groups }, firstChild: { inside: 7, cgroups: first } }) as unknown as LevelWorld;

const condition = (id: string) => {
  const c = levels[6]!.conditions.find((x) => x.id === id);
  if (!c) throw new Error(`level 6 has no condition ${id}`);
  return (o: LevelWorld) => c.evaluate(o);
};

describe('capstone level 6 conditions (unit)', function () {
  for (const [version, groups] of [
    ['v2', v2('minidock-c1')],
    ['v1', v1('minidock-c1')],
  ] as const)
    it(`pass on the reference's groups (${version})`, function () {
      for (const id of ['limits', 'cpu-throttled', 'joined-before-exec']) expect(condition(id)(world(groups)).pass, id).to.equal(true);
    });

  it('limits: a cpu.max left at max fails and names the v2 file to write', function () {
    const r = condition('limits')(world(v2('minidock-c1', { cpu: { limit: undefined } })));
    expect(r.pass).to.equal(false);
    expect(r.hint?.en).to.contain('cpu.max');
  });

  it('cpu-throttled: a group never throttled fails with its quota named; the playground\'s own group fails too', function () {
    const never = condition('cpu-throttled')(world(v2('minidock-c1', { cpu: { throttled: 0, limit: undefined } })));
    expect(never.pass).to.equal(false);
    expect(never.hint?.en).to.contain('never throttled');
    expect(never.hint?.zh).to.contain('从未被限流');
    const playgrounds = condition('cpu-throttled')(world(v2('', { cpu: { throttled: 50 } })));
    expect(playgrounds.pass, 'throttled, but in the playground\'s group: not c1\'s limit').to.equal(false);
  });

  it('joined-before-exec: a first child left in the playground\'s groups fails (the cgroup joined after exec)', function () {
    const r = condition('joined-before-exec')(world(v2('minidock-c1'), v2('')));
    expect(r.pass).to.equal(false);
    expect(r.hint?.en).to.match(/after exec/);
  });
});
