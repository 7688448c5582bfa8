// Requirement probes: an unmet one says why and what to do; a met one says nothing.
import { expect } from 'chai';
import { filesystem, namespaces, root, tool, isRoot } from '../../runner/kit/requirements.js';

describe('requirement probes', function () {
  it('finds an installed tool and names the package of a missing one', async function () {
    expect(await tool('sh', 'dash').probe()).to.deep.equal({ ok: true });
    const r = await tool('nslab-no-such-tool', 'nslab-pkg').probe();
    expect(r).to.deep.equal({
      ok: false,
      reason: { en: 'the nslab-no-such-tool command is missing', zh: '缺少 nslab-no-such-tool 命令' },
      remedy: { en: 'install it: apt-get install nslab-pkg', zh: '安装它：apt-get install nslab-pkg' },
    });
  });

  it('reads the kernel file systems from /proc/filesystems', async function () {
    expect((await filesystem('proc').probe()).ok).to.equal(true);
    const r = await filesystem('nslabfs').probe();
    expect(r.ok).to.equal(false);
    expect(r.reason).to.deep.equal({ en: 'this kernel has no nslabfs file system', zh: '这个内核没有 nslabfs 文件系统' });
    expect(r.remedy?.en).to.match(/--vm/);
    expect(r.remedy?.zh).to.match(/--vm/);
  });

  it('sees the namespaces of this kernel', async function () {
    expect((await namespaces('uts', 'ipc', 'pid', 'mnt').probe()).ok).to.equal(true);
  });

  it('asks for sudo when not root', async function () {
    const r = await root.probe();
    expect(r.ok).to.equal(isRoot());
    if (!r.ok) expect(r.remedy?.en).to.match(/sudo/);
  });
});
