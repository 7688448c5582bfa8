// Made-up observations for 04-mount's checks: one that passes per step, and for each check the
// ways it could really fail (the host's /proc inside, a mount that reached the host, a copy in
// no peer group, a root left shared, a leak that stayed mounted, a leftover mount).
import { examples, madeUpProbe, type MountEntry, type MountLine, type ProbeReport } from '../../runner/kit/index.js';
import { fresh, privateContains, sharedLeaks, type Contained, type FreshProc, type SharedLeak } from './index.js';

const DIR = '/run/nslab/a3f1/scratch/prop';

const line = (id: number, target: string, source: string, optional: string[], fstype = 'tmpfs'): MountLine => ({
  id,
  root: '/',
  target,
  options: ['rw', 'relatime'],
  optional,
  fstype,
  source,
  superOptions: ['rw'],
});

const probe = (extra: Partial<ProbeReport> = {}): ProbeReport =>
  madeUpProbe({
    hostname: 'container',
    pids: [1],
    procCount: 1,
    mounts: [
      { target: '/', fstype: 'ext4', source: '/dev/vda1' },
      { target: '/proc', fstype: 'proc', source: 'proc' },
      { target: '/proc', fstype: 'proc', source: 'proc' },
    ],
    ...extra,
  });

const PS = ['    PID TTY          TIME CMD', '      1 ?        00:00:00 nslab-probe', '      2 ?        00:00:00 ps', ''].join('\n');
const HOST_MI = [
  '24 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '25 24 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '',
].join('\n');
const LEAKED_MI = `${HOST_MI}301 25 0:22 / /proc rw,relatime shared:12 - proc proc rw\n`;

const freshOk: FreshProc = {
  report: probe(),
  ps: PS,
  psPids: [1, 2],
  hostPid: 5120,
  mountinfo: { before: HOST_MI, during: HOST_MI, after: HOST_MI },
};

const hostProp = line(280, DIR, 'nslab-prop', ['shared:211']);
// A systemd host: / and /proc shared; the container's copy of /proc is a peer of the host's.
const procHost = line(25, '/proc', 'proc', ['shared:12'], 'proc');
const leakOk: SharedLeak = {
  dir: DIR,
  cleanupId: 3,
  procHost,
  procParent: line(24, '/', '/dev/vda1', ['shared:1'], 'ext4'),
  procInside: line(311, '/proc', 'proc', ['shared:12'], 'proc'),
  hostProp,
  insideProp: line(320, DIR, 'nslab-prop', ['shared:211']),
  hostSees: true,
  hostSeesAfterStop: true,
  hostSeesAfterUmount: false,
};

const containedOk: Contained = {
  hostProp,
  insideRoot: line(330, '/', '/dev/vda1', [], 'ext4'),
  insideProp: line(345, DIR, 'nslab-prop', []),
  insideHasIt: true,
  hostSees: false,
  leftover: [],
};

const hostProcInside: MountEntry[] = [
  { target: '/', fstype: 'ext4', source: '/dev/vda1' },
  { target: '/proc', fstype: 'proc', source: 'proc' },
];

export default [
  examples(fresh, {
    pass: freshOk,
    fail: {
      'ps-two': [
        { ...freshOk, psPids: [1, 2, 3, 412, 698, 4711] }, // the host's /proc: every host process
        { ...freshOk, psPids: [1] }, // ps did not list itself (or printed nothing else)
        { ...freshOk, psPids: [7, 8] }, // two processes, but no PID 1: not a new PID namespace
      ],
      'proc-is-own': [
        { ...freshOk, report: probe({ pid: 1, pids: [1, 2, 3, 412, 4711], procCount: 5, mounts: hostProcInside }) }, // the host's /proc
        { ...freshOk, report: probe({ pid: 5120 }) }, // not PID 1: no new PID namespace
        { ...freshOk, report: probe({ mounts: [{ target: '/', fstype: 'ext4', source: '/dev/vda1' }] }) }, // no proc on /proc
        { ...freshOk, report: probe({ pids: null, mounts: null }) }, // the probe could read neither
      ],
      'host-mountinfo-unchanged': [
        { ...freshOk, mountinfo: { before: HOST_MI, during: LEAKED_MI, after: HOST_MI } }, // the proc mount reached the host while it ran
        { ...freshOk, mountinfo: { before: HOST_MI, during: LEAKED_MI, after: LEAKED_MI } }, // and stayed there
        { ...freshOk, mountinfo: { before: '', during: '', after: '' } }, // the host's mountinfo could not be read
      ],
    },
  }),
  examples(sharedLeaks, {
    pass: leakOk,
    fail: {
      'proc-copy-keeps-propagation': [
        { ...leakOk, procInside: line(311, '/proc', 'proc', [], 'proc') }, // the copy left the host's peer group
        { ...leakOk, procInside: line(311, '/proc', 'proc', ['shared:390'], 'proc') }, // a peer group of its own
        { ...leakOk, procHost: line(25, '/proc', 'proc', [], 'proc') }, // a private host /proc, yet the copy claims a peer
        { ...leakOk, procInside: undefined }, // no /proc in the container's mount table
        { ...leakOk, procHost: undefined }, // the host's mountinfo had no /proc
        { ...leakOk, procInside: line(311, '/proc', 'tmpfs', ['shared:12']) }, // something else on the container's /proc
      ],
      'copy-is-peer': [
        { ...leakOk, insideProp: line(320, DIR, 'nslab-prop', ['shared:388']) }, // a peer group of its own
        { ...leakOk, insideProp: line(320, DIR, 'nslab-prop', ['master:211']) }, // a slave copy, no peer
        { ...leakOk, insideProp: undefined }, // the container had no copy at all
        { ...leakOk, hostProp: line(280, DIR, 'nslab-prop', []), insideProp: line(320, DIR, 'nslab-prop', []) }, // make-shared did not take
      ],
      'mount-leaks': [
        { ...leakOk, hostSees: false, hostSeesAfterStop: false }, // it never reached the host
        { ...leakOk, hostSeesAfterStop: false }, // gone with the container
      ],
      'leak-removed': { ...leakOk, hostSeesAfterUmount: true },
    },
  }),
  examples(privateContains, {
    pass: containedOk,
    fail: {
      'private-copies': [
        { ...containedOk, insideRoot: line(330, '/', '/dev/vda1', ['shared:1'], 'ext4') }, // the root stayed shared
        { ...containedOk, insideProp: line(345, DIR, 'nslab-prop', ['shared:211']) }, // our copy stayed a peer
        { ...containedOk, insideProp: undefined }, // no copy of our tmpfs inside
        { ...containedOk, insideRoot: undefined }, // the container's mountinfo could not be read
        { ...containedOk, hostProp: line(280, DIR, 'nslab-prop', []) }, // the host side was never shared: nothing to contain
      ],
      'mount-contained': [
        { ...containedOk, hostSees: true }, // it reached the host
        { ...containedOk, insideHasIt: false }, // it was never mounted inside
      ],
      'host-clean': [
        { ...containedOk, leftover: [`${DIR}/leak2 (nslab-private)`] },
        { ...containedOk, error: `tmpfs on ${DIR}: umount: EBUSY (by hand: umount -R ${DIR})`, leftover: [`${DIR} (nslab-prop)`] },
      ],
    },
  }),
];
