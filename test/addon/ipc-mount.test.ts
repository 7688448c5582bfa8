import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { msgCreate, msgLookup, msgRemove, mount, umount } from '../../addon/index.js';
import { addonOnly, rootOnly } from '../00.setup.js';

describe('addon: message queues and mounts', function () {
  beforeEach(function () {
    addonOnly(this);
    rootOnly(this);
  });

  it('creates, finds and removes a System V message queue', function () {
    const key = 0x6e73fff0;
    const id = msgCreate(key);
    try {
      expect(msgLookup(key)).to.equal(id);
      expect(readFileSync('/proc/sysvipc/msg', 'utf8')).to.match(new RegExp(`\\s${key}\\s+${id}\\s`));
      expect(() => msgCreate(key)).to.throw(/EEXIST: msgget/);
    } finally {
      msgRemove(id);
    }
    expect(msgLookup(key)).to.equal(undefined);
  });

  it('mounts and unmounts on the host, with Node-style errors', function () {
    const dir = mkdtempSync('/tmp/nslab-test-');
    try {
      mount('nslab-test', dir, 'tmpfs');
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.contain(` ${dir} `);
      umount(dir);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.not.contain(` ${dir} `);
      expect(() => umount(dir)).to.throw(/EINVAL: umount2\(".*"\): Invalid argument/);
      try {
        umount(dir);
      } catch (e) {
        expect(e).to.include({ code: 'EINVAL', syscall: 'umount2', path: dir });
      }
    } finally {
      rmdirSync(dir);
    }
  });
});
