// The capstone's offline image (labs/13-capstone/image.ts): the `docker save` layout, digests
// that are the sha256 of what they name, the two layers as GNU tar lists them, and unpacking
// into overlayfs branches whose whiteouts the kernel honours.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getxattr } from '../../addon/index.js';
import {
  BUSYBOX,
  HELLO,
  IMAGE_HOSTNAME,
  OPAQUE_XATTR,
  REPO_TAG,
  buildImage,
  elfLinking,
  readImage,
  unpackLayers,
  writeImage,
  type ImageInfo,
} from '../../labs/13-capstone/image.js';
import { LabError } from '../../runner/kit/index.js';
import { addonOnly, rootOnly } from '../00.setup.js';

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** `tar -tvf` as GNU tar reads it: [mode string, owner, name] per member ("name -> target" for links). */
function listing(tarFile: string): { mode: string; owner: string; name: string }[] {
  const out = execFileSync('tar', ['--numeric-owner', '-tvf', tarFile], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(\S+) (\S+)\s+\d+ \S+ \S+ (.*)$/.exec(l);
      if (!m) throw new Error(`unexpected tar -tv line: ${l}`);
      return { mode: m[1]!, owner: m[2]!, name: m[3]! };
    });
}

function busyboxSkip(): string | undefined {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing: apt-get install busybox-static`;
  if (elfLinking(readFileSync(BUSYBOX)) !== 'static') return `${BUSYBOX} is not statically linked: apt-get install busybox-static`;
  return undefined;
}

describe('capstone image (labs/13-capstone/image.ts)', function () {
  let scratch: string;
  let info: ImageInfo;

  before(function () {
    const why = busyboxSkip();
    if (why !== undefined) {
      this.test!.parent!.title += ` (skipped: ${why})`;
      this.skip();
    }
    scratch = mkdtempSync(join(tmpdir(), 'nslab-capstone-image-'));
    mkdirSync(join(scratch, 'image'));
    info = buildImage(join(scratch, 'image'));
  });

  after(function () {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('writes manifest.json, the config named by its sha256 and one <sha256>/layer.tar per layer, nothing else', function () {
    const dir = join(scratch, 'image');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(manifest).to.have.length(1);
    expect(manifest[0]!.RepoTags).to.deep.equal([REPO_TAG]);
    expect(manifest[0]!.Layers).to.have.length(2);
    expect(manifest[0]!.Config).to.equal(`${sha256(join(dir, manifest[0]!.Config))}.json`);
    const hexes = manifest[0]!.Layers.map((l) => l.split('/')[0]!);
    for (const l of manifest[0]!.Layers) expect(l).to.match(/^[0-9a-f]{64}\/layer\.tar$/);
    expect(readdirSync(dir).sort()).to.deep.equal(['manifest.json', 'repositories', manifest[0]!.Config, ...hexes].sort());
    expect(JSON.parse(readFileSync(join(dir, 'repositories'), 'utf8'))).to.deep.equal({ 'nslab/busybox': { latest: hexes[1] } });
  });

  it('names each layer by the sha256 of its tar, and the config lists them as rootfs.diff_ids, bottom first', function () {
    const dir = join(scratch, 'image');
    const digests = info.layers.map((l) => `sha256:${sha256(join(dir, l.path))}`);
    expect(info.layers.map((l) => l.digest)).to.deep.equal(digests);
    for (const l of info.layers) expect(l.path).to.equal(`${l.digest.slice('sha256:'.length)}/layer.tar`);
    const img = readImage(dir);
    expect(img.config.rootfs).to.deep.equal({ type: 'layers', diff_ids: digests });
    expect(img.config.config.Cmd).to.deep.equal(['/bin/sh']);
    expect(img.config.os).to.equal('linux');
    expect(img.layers).to.deep.equal(info.layers.map((l) => join(dir, l.path)));
  });

  it('layer 1 (as GNU tar lists it) has busybox, a /bin symlink per applet, /etc and the empty mount points, all owned 0/0', function () {
    const members = listing(join(scratch, 'image', info.layers[0]!.path));
    const names = members.map((m) => m.name);
    expect(members.every((m) => m.owner === '0/0'), 'owners').to.equal(true);
    expect(members.find((m) => m.name === 'bin/busybox')!.mode).to.equal('-rwxr-xr-x');
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).trim().split('\n').filter((a) => a !== 'busybox');
    expect(info.applets).to.deep.equal([...new Set(applets)].sort());
    for (const a of ['sh', 'ls', 'ps', 'sleep', 'hostname', 'mount', 'cat', 'echo']) expect(names, a).to.include(`bin/${a} -> busybox`);
    for (const d of ['proc/', 'sys/', 'dev/', 'tmp/', 'root/', 'etc/', 'bin/']) expect(names).to.include(d);
    expect(members.find((m) => m.name === 'tmp/')!.mode).to.equal('drwxrwxrwt');
    for (const f of ['etc/passwd', 'etc/group', 'etc/hostname', 'etc/motd']) expect(names).to.include(f);
    const hostname = execFileSync('tar', ['-xOf', join(scratch, 'image', info.layers[0]!.path), 'etc/hostname'], { encoding: 'utf8' });
    expect(hostname).to.equal(`${IMAGE_HOSTNAME}\n`);
    const passwd = execFileSync('tar', ['-xOf', join(scratch, 'image', info.layers[0]!.path), 'etc/passwd'], { encoding: 'utf8' });
    expect(passwd.split('\n').map((l) => l.split(':')[0])).to.include.members(['root', 'nobody']);
  });

  it('layer 2 has the whiteout etc/.wh.motd and hello.txt', function () {
    const names = listing(join(scratch, 'image', info.layers[1]!.path)).map((m) => m.name);
    expect(names).to.deep.equal(['etc/', 'etc/.wh.motd', 'hello.txt']);
  });

  it('builds the same bytes twice (fixed mtimes, sorted members)', function () {
    mkdirSync(join(scratch, 'again'));
    const again = buildImage(join(scratch, 'again'));
    expect(again.layers.map((l) => l.digest)).to.deep.equal(info.layers.map((l) => l.digest));
    expect(again.configDigest).to.equal(info.configDigest);
  });

  it('refuses a missing busybox, saying apt-get install busybox-static in both languages', function () {
    mkdirSync(join(scratch, 'none'));
    let err: unknown;
    try {
      buildImage(join(scratch, 'none'), { busybox: join(scratch, 'no-busybox-here') });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(LabError);
    expect((err as LabError).text.en).to.include('apt-get install busybox-static');
    expect((err as LabError).text.zh).to.include('apt-get install busybox-static');
    expect(readdirSync(join(scratch, 'none'))).to.deep.equal([]);
  });

  it('refuses a folder that is not empty, and one that does not exist', function () {
    expect(() => buildImage(join(scratch, 'image'))).to.throw(LabError, /not an empty folder/);
    expect(() => buildImage(join(scratch, 'missing'))).to.throw(LabError, /does not exist/);
    expect(existsSync(join(scratch, 'missing'))).to.equal(false);
  });

  it('refuses an image whose layer is not the diff_id the config says', function () {
    mkdirSync(join(scratch, 'bad'));
    const bad = writeImage(join(scratch, 'bad'), [{ createdBy: 'test', entries: [{ path: 'a', kind: 'file', mode: 0o644, data: 'a\n' }] }]);
    execFileSync('sh', ['-c', 'printf x >> "$1"', 'sh', join(scratch, 'bad', bad.layers[0]!.path)]);
    expect(() => readImage(join(scratch, 'bad'))).to.throw(LabError, /diff_ids/);
  });

  describe('unpackLayers', function () {
    it('unpacks into <into>/1 and <into>/2, turns etc/.wh.motd into a 0/0 character device, returns the branches topmost first', function () {
      rootOnly(this);
      const into = join(scratch, 'layers');
      mkdirSync(into);
      const lower = unpackLayers(join(scratch, 'image'), into);
      expect(lower).to.deep.equal([join(into, '2'), join(into, '1')]);
      const motd = lstatSync(join(into, '2/etc/motd'));
      expect(motd.isCharacterDevice(), 'etc/motd in layer 2 is a character device').to.equal(true);
      expect(motd.rdev).to.equal(0);
      expect(existsSync(join(into, '2/etc/.wh.motd'))).to.equal(false);
      expect(readFileSync(join(into, '2/hello.txt'), 'utf8')).to.equal(HELLO);
      expect(lstatSync(join(into, '1/etc/motd')).isFile()).to.equal(true);
      expect(readlinkSync(join(into, '1/bin/sh'))).to.equal('busybox');
      expect(lstatSync(join(into, '1/bin/busybox')).uid).to.equal(0);
      expect(lstatSync(join(into, '1/tmp')).mode & 0o7777).to.equal(0o1777);
    });

    it('turns .wh..wh..opq into the trusted.overlay.opaque xattr on its folder', function () {
      rootOnly(this);
      addonOnly(this);
      const dir = join(scratch, 'opaque-image');
      mkdirSync(dir);
      writeImage(dir, [
        { createdBy: 'base', entries: [{ path: 'app', kind: 'dir', mode: 0o755 }, { path: 'app/old', kind: 'file', mode: 0o644, data: 'old\n' }] },
        { createdBy: 'opaque', entries: [{ path: 'app', kind: 'dir', mode: 0o755 }, { path: 'app/.wh..wh..opq', kind: 'file', mode: 0o644, data: '' }, { path: 'app/new', kind: 'file', mode: 0o644, data: 'new\n' }] },
      ]);
      const into = join(scratch, 'opaque-layers');
      mkdirSync(into);
      const [top] = unpackLayers(dir, into);
      expect(readdirSync(join(top!, 'app'))).to.deep.equal(['new']);
      expect(getxattr(join(top!, 'app'), OPAQUE_XATTR)?.toString()).to.equal('y');
    });

    it('stacked by overlayfs (in a private mount namespace) the image has no motd, has hello.txt and a working /bin/sh', function () {
      rootOnly(this);
      if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n')) {
        this.test!.title += ' (skipped: the kernel has no overlayfs)';
        this.skip();
      }
      const into = join(scratch, 'stack-layers');
      mkdirSync(into);
      const lower = unpackLayers(join(scratch, 'image'), into);
      const root = join(scratch, 'root');
      mkdirSync(root);
      // The mount lives and dies with unshare's mount namespace: nothing to undo on the host.
      const script = 'mount -t overlay overlay -o "lowerdir=$1" "$2" && ls -a "$2/etc" && cat "$2/hello.txt" && chroot "$2" /bin/sh -c "cat /etc/hostname"';
      const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', lower.join(':'), root], { encoding: 'utf8' });
      const lines = out.trim().split('\n');
      expect(lines).to.not.include('motd');
      expect(lines).to.include.members(['passwd', 'group', 'hostname', HELLO.trim(), IMAGE_HOSTNAME]);
      expect(readdirSync(root)).to.deep.equal([]);
    });
  });
});
