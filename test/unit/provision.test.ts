// Provisioning installs what the labs say they need: every tool requirement of every lab in the
// registry names its Debian package, and scripts/provision.sh's PACKAGES must hold it. A new lab
// that needs a new tool fails here until the package is added (provision.sh runs before npm, so
// it cannot read the registry itself).
import { expect } from 'chai';
import { loadAllLabs } from '../../labs/index.js';
import { provisionPackages } from '../helpers.js';

describe('provisioning follows the registry', function () {
  it("installs every package a lab's or an exercise's tool requirements name", async function () {
    const labs = await loadAllLabs();
    const wanted = labs.flatMap((l) =>
      [...l.requirements, ...(l.exercises ?? []).flatMap((e) => e.requirements ?? [])].filter((r) => r.package !== undefined).map((r) => `${r.package} (${l.id}: ${r.id})`),
    );
    expect(wanted.length, 'no lab names a package: the requirements lost their package field').to.be.greaterThan(0);
    const have = new Set(provisionPackages());
    expect(wanted.filter((w) => !have.has(w.split(' ')[0]!))).to.deep.equal([]);
  });

  it('reads the PACKAGES array without its comments', function () {
    const p = provisionPackages();
    expect(p).to.include.members(['build-essential', 'iproute2', 'dmsetup']);
    expect(p.some((x) => x.startsWith('#') || x.includes(' '))).to.equal(false);
  });
});
