// Requirement probes: an unmet one says why and what to do; a met one says nothing.
import { expect } from 'chai';
import { filesystem, namespaces, root, tool, isRoot } from '../../runner/kit/requirements.js';

describe('requirement probes', function () {
  it('finds an installed tool and names the package of a missing one', async function () {
    expect(await tool('sh', 'dash').probe()).to.deep.equal({ ok: true });
    const r = await tool('nslab-no-such-tool', 'nslab-pkg').probe();
    expect(r).to.deep.equal({ ok: false, reason: 'the nslab-no-such-tool command is missing', remedy: 'install it: apt-get install nslab-pkg' });
  });

  it('reads the kernel file systems from /proc/filesystems', async function () {
    expect((await filesystem('proc').probe()).ok).to.equal(true);
    const r = await filesystem('nslabfs').probe();
    expect(r.ok).to.equal(false);
    expect(r.reason).to.equal('this kernel has no nslabfs file system');
    expect(r.remedy).to.match(/--vm/);
  });

  it('sees the namespaces of this kernel', async function () {
    expect((await namespaces('uts', 'ipc', 'pid', 'mnt').probe()).ok).to.equal(true);
  });

  it('asks for sudo when not root', async function () {
    const r = await root.probe();
    expect(r.ok).to.equal(isRoot());
    if (!r.ok) expect(r.remedy).to.match(/sudo/);
  });
});
