// Made-up observations for 07-user-namespace's checks: one per step that passes, and for each
// check the real ways it could fail (still root, a map that did not take, an old kernel that
// accepts gid_map without "deny", a host that sees root, a file that opened).
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { fixed, inside, noMap, refused, unprivileged, type Fixed, type Inside, type NoMap, type Refused, type Unprivileged } from './steps.js';
import type { WriteResult } from './unprivileged.js';

const probe = (over: Partial<ProbeReport> = {}): ProbeReport => madeUpProbe({ pid: 4242, ppid: 4200, uid: 1000, gid: 1000, euid: 1000, egid: 1000, ns: { user: 4026531837, uts: 4026531838 }, ...over });
const ids = (uid: number, gid = uid) => ({ uid, gid, euid: uid, egid: gid });
const ok: WriteResult = { ok: true, errno: null, writerUid: 1000 };
const eperm: WriteResult = { ok: false, errno: 'EPERM', writerUid: 1000 };
const ws = { dir: '/run/nslab/ab12/ws', probe: '/run/nslab/ab12/ws/nslab-probe', secret: '/run/nslab/ab12/ws/nslab-root-only.txt' };

const plain: Unprivileged = { ws, hostBefore: 'lab-host', report: probe(), id: 'uid=1000 gid=1000 groups=1000' };

const unmapped: NoMap = {
  report: probe({ ...ids(65534), ns: { user: 4026532455, uts: 4026532456 } }),
  overflowuid: 65534,
  overflowgid: 65534,
  uidMap: '',
  id: 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)',
  hostUser: 4026531837,
};

const denied: Refused = { pid: 4250, uidMap: ok, gidMap: eperm, setgroups: 'allow' };

const mapped: Fixed = { deny: ok, gidMap: ok, setgroups: 'deny', uidMap: '         0       1000          1', gidMapText: '         0       1000          1' };

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
        { ...mapped, deny: eperm, setgroups: 'allow', gidMap: eperm },
        { ...mapped, gidMap: eperm }, // "deny" taken, gid_map still refused
        { ...mapped, gidMap: { ...ok, writerUid: 0 } },
      ],
      'maps-read-back': [
        { ...mapped, gidMapText: '' }, // the gid map never took
        { ...mapped, uidMap: '0 0 4294967295' }, // the identity map of the host
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
];
