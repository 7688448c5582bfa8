// Made-up observations for 07-user-namespace's checks: one per step that passes, and for each
// check the real ways it could fail (still root, a map that did not take, an old kernel that
// accepts gid_map without "deny", a host that sees root, a file that opened, a namespace the
// finale did not get).
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { finale, type Finale } from './finale.js';
import { fixed, initialMap, inside, noMap, refused, unprivileged, type Fixed, type InitialMap, type Inside, type NoMap, type Refused, type Unprivileged } from './steps.js';
import type { WriteResult } from './unprivileged.js';

const probe = (over: Partial<ProbeReport> = {}): ProbeReport => madeUpProbe({ pid: 4242, ppid: 4200, uid: 1000, gid: 1000, euid: 1000, egid: 1000, ns: { user: 4026531837, uts: 4026531838 }, ...over });
const ids = (uid: number, gid = uid) => ({ uid, gid, euid: uid, egid: gid });
const ok: WriteResult = { ok: true, errno: null, writerUid: 1000 };
const eperm: WriteResult = { ok: false, errno: 'EPERM', writerUid: 1000 };
const ws = { dir: '/run/nslab/ab12/ws', probe: '/run/nslab/ab12/ws/nslab-probe', secret: '/run/nslab/ab12/ws/nslab-root-only.txt', home: '/run/nslab/ab12/ws/nslab-home-1000' };

const plain: Unprivileged = { ws, hostBefore: 'lab-host', report: probe(), id: 'uid=1000 gid=1000 groups=1000' };

const unmapped: NoMap = {
  report: probe({ ...ids(65534), ns: { user: 4026532455, uts: 4026532456 } }),
  overflowuid: 65534,
  overflowgid: 65534,
  uidMap: '',
  id: 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)',
  hostUser: 4026531837,
};

const FULL = '         0          0 4294967295\n';
const initial: InitialMap = { uidMap: FULL, gidMap: FULL, selfUidMap: FULL, pid1User: 4026531837, selfUser: 4026531837 };

const denied: Refused = { pid: 4250, otherUid: eperm, uidMap: ok, again: eperm, gidMap: eperm, setgroups: 'allow' };

const mapped: Fixed = { deny: ok, gidMap: ok };

const root: Inside = {
  report: probe({
    ...ids(0),
    hostname: 'nslab-userns',
    sethostnameErrno: null,
    ns: { user: 4026532460, uts: 4026532461 },
    read: { path: ws.secret, ok: false, errno: 'EACCES', bytes: 0 },
  }),
  hostStatus: { uid: [1000, 1000, 1000, 1000], gid: [1000, 1000, 1000, 1000] },
  id: 'uid=0(root) gid=0(root) groups=0(root)',
  hostname: 'nslab-userns',
  secretAsHostRoot: true,
  catSecret: `cat: ${ws.secret}: Permission denied`,
  hostUts: 4026531838,
  childUts: 4026532461,
  hostBefore: 'lab-host',
  hostAfter: 'lab-host',
  made: [1000, 1000],
  madeInside: [0, 0],
  secretInside: [65534, 65534],
  overflow: [65534, 65534],
};

const HOST_NS = { user: 4026531837, uts: 4026531838, ipc: 4026531839, pid: 4026531836, mnt: 4026531841 };
const built: Finale = {
  creatorUid: [1000, 1000, 1000, 1000],
  capEffUser: '0000000000000000',
  hostPid: 4311,
  childUid: [1000, 1000, 1000, 1000],
  nspid: ['4311', '1'],
  nsHost: HOST_NS,
  nsChild: { user: 4026532470, uts: 4026532471, ipc: 4026532472, pid: 4026532473, mnt: 4026532474 },
  report: probe({ ...ids(0), pid: 1, ppid: 0, hostname: 'container', pids: [1], procCount: 1, ns: { user: 4026532470, uts: 4026532471, ipc: 4026532472, pid: 4026532473, mnt: 4026532474 } }),
  hostname: 'container',
  ps: [
    { pid: 1, comm: 'nslab-probe' },
    { pid: 2, comm: 'ps' },
  ],
  hostProcs: 131,
  hostBefore: 'lab-host',
  hostAfter: 'lab-host',
};

export default [
  examples(unprivileged, {
    pass: plain,
    fail: {
      'runs-unprivileged': [
        { ...plain, report: probe(ids(0)), id: 'uid=0(root) gid=0(root) groups=0(root)' }, // never dropped root
        { ...plain, report: probe({ euid: 0 }) }, // a saved root that came back
        { ...plain, id: 'uid=1000 gid=1000 groups=1000,0(root)' }, // root's groups kept
      ],
    },
  }),
  examples(initialMap, {
    pass: initial,
    fail: {
      'full-range': [
        { ...initial, uidMap: '         0       1000          1\n', selfUidMap: '         0       1000          1\n', selfUser: 4026532455 }, // nslab inside a user namespace of its own
        { ...initial, gidMap: '' }, // gid_map could not be read
        { ...initial, uidMap: '         0          0 4294967296\n' }, // not what the kernel prints
        { ...initial, pid1User: 4026532455 }, // PID 1 of a container, not of the machine
        { ...initial, pid1User: null, selfUser: 4026532455 }, // PID 1 unreadable, and nslab not in the initial namespace
      ],
    },
  }),
  examples(noMap, {
    pass: unmapped,
    fail: {
      'overflow-ids': [
        { ...unmapped, report: probe({ ...ids(1000), ns: unmapped.report.ns }), id: 'uid=1000 gid=1000 groups=1000' }, // no new user namespace
        { ...unmapped, overflowuid: 65000, overflowgid: 65000 }, // a host with other overflow ids than the ones seen
        { ...unmapped, report: probe({ ...ids(65534, 1000), ns: unmapped.report.ns }) },
      ],
      'map-empty': [
        { ...unmapped, uidMap: '0 1000 1' }, // somebody already mapped it
        { ...unmapped, report: probe({ ...ids(65534), ns: { user: 4026531837 } }) }, // still the host's user namespace
        { ...unmapped, report: probe({ ...ids(65534), ns: { user: null } }) }, // the probe could not read it
      ],
    },
  }),
  examples(refused, {
    pass: denied,
    fail: {
      'other-uid-eperm': [
        { ...denied, otherUid: ok }, // a writer that may map root: it was privileged
        { ...denied, otherUid: { ...eperm, writerUid: 0 } }, // refused to root? then for another reason
        { ...denied, otherUid: { ok: false, errno: 'EINVAL', writerUid: 1000 } }, // a malformed line, not the rule
      ],
      'second-write-eperm': [
        { ...denied, again: ok }, // a kernel that let a map be rewritten
        { ...denied, uidMap: eperm, again: eperm }, // the first write failed too: no "second" write
        { ...denied, again: { ok: false, errno: 'EACCES', writerUid: 1000 } }, // could not even open the file
      ],
      'uid-map-written': [
        { ...denied, uidMap: { ok: false, errno: 'EPERM', writerUid: 1000 } },
        { ...denied, uidMap: { ...ok, writerUid: 0 } }, // written by root proves nothing
      ],
      'gid-map-eperm': [
        { ...denied, gidMap: ok }, // a kernel before 3.19 accepts it
        { ...denied, setgroups: 'deny' }, // setgroups was already denied
        { ...denied, gidMap: { ok: false, errno: 'EINVAL', writerUid: 1000 } }, // refused for another reason
        { ...denied, gidMap: { ...eperm, writerUid: 0 } },
      ],
    },
  }),
  examples(fixed, {
    pass: mapped,
    fail: {
      'gid-map-after-deny': [
        { ...mapped, deny: eperm, gidMap: eperm },
        { ...mapped, gidMap: eperm }, // "deny" taken, gid_map still refused
        { ...mapped, gidMap: { ...ok, writerUid: 0 } },
      ],
    },
  }),
  examples(inside, {
    pass: root,
    fail: {
      'root-inside': [
        { ...root, report: probe({ ...root.report, ...ids(65534) }), id: 'uid=65534(nobody) gid=65534(nogroup)' }, // the maps did not take
        { ...root, report: probe({ ...root.report, egid: 65534 }) },
        { ...root, id: 'uid=0(root) gid=65534(nogroup) groups=65534(nogroup)' }, // no gid map for `id`
      ],
      'host-sees-1000': [
        { ...root, hostStatus: { uid: [0, 0, 0, 0], gid: [0, 0, 0, 0] } }, // really root on the host
        { ...root, hostStatus: { uid: [1000, 1000, 1000], gid: [1000, 1000, 1000, 1000] } }, // a status line not read in full
        { ...root, report: probe({ ...root.report, ...ids(1000) }) }, // no map: uid 1000 on both sides proves nothing
      ],
      'ids-across': [
        { ...root, made: [0, 0] }, // the file belongs to the host root: no user namespace at work
        { ...root, made: null }, // the probe could not create it
        { ...root, madeInside: [65534, 65534] }, // inside, the creator's own id is not mapped
        { ...root, secretInside: [0, 0] }, // host root seen as root inside: root is mapped
        { ...root, secretInside: null }, // stat inside could not see the file
      ],
      'own-hostname': [
        { ...root, report: probe({ ...root.report, hostname: 'lab-host', sethostnameErrno: 'EPERM' }), hostname: 'lab-host' },
        { ...root, hostAfter: 'nslab-userns' }, // the host was renamed
        { ...root, childUts: root.hostUts }, // the host's UTS namespace
      ],
      'root-file-closed': [
        { ...root, report: probe({ ...root.report, read: { path: ws.secret, ok: true, errno: null, bytes: 33 } }), catSecret: 'only the host root may read this' },
        { ...root, secretAsHostRoot: false }, // a file nobody can read proves nothing
        { ...root, report: probe({ ...root.report, read: { path: ws.secret, ok: false, errno: 'ENOENT', bytes: 0 } }), catSecret: `cat: ${ws.secret}: No such file or directory` },
      ],
    },
  }),
  examples(finale, {
    pass: built,
    fail: {
      'unprivileged-creator': [
        { ...built, creatorUid: [0, 0, 0, 0], childUid: [0, 0, 0, 0] }, // made by root: proves nothing
        { ...built, capEffUser: '000001ffffffffff' }, // uid 1000 holding capabilities in the initial namespace
        { ...built, report: probe({ ...built.report, ...ids(65534) }) }, // no maps: not root inside
        { ...built, childUid: [1000, 1000, 1000] }, // a status line not read in full
      ],
      'all-new-ns': [
        { ...built, nsChild: { ...built.nsChild, ipc: HOST_NS.ipc } }, // CLONE_NEWIPC left out
        { ...built, nsChild: { ...built.nsChild, user: HOST_NS.user } }, // no user namespace: made by root
        { ...built, nsChild: { user: 4026532470, uts: 4026532471 } }, // pid and mnt links unreadable
      ],
      'hostname-inside-only': [
        { ...built, hostAfter: 'container' }, // the host was renamed
        { ...built, report: probe({ ...built.report, hostname: 'lab-host' }), hostname: 'lab-host' }, // sethostname never happened
      ],
      'pid-one': [
        { ...built, report: probe({ ...built.report, pid: 4311 }), nspid: ['4311'] }, // no new PID namespace
        { ...built, nspid: ['4311', '2'] }, // the fork happened twice
        { ...built, report: probe({ ...built.report, pid: 1 }), nspid: [] }, // NSpid unreadable
      ],
      'fresh-proc': [
        { ...built, report: probe({ ...built.report, pids: [1, 2, 3, 211, 4200, 4311] }), ps: [{ pid: 1, comm: 'systemd' }, { pid: 4400, comm: 'ps' }] }, // the host's /proc
        { ...built, report: probe({ ...built.report, pids: null }) }, // /proc could not be read
        { ...built, ps: [{ pid: 1, comm: 'nslab-probe' }, { pid: 2, comm: 'ps' }, { pid: 3, comm: 'sh' }, { pid: 4, comm: 'sleep' }] }, // more than the container
      ],
    },
  }),
];
