// Made-up observations for 02-ipc's checks: one that passes per step, and for each check the
// ways it could really fail (a queue that is not listed, a key seen through the namespace wall,
// an inode read as 0, a namespace still held open, a queue that could not be removed).
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { control, gone, hostQueue, isolated, removed, type Control, type Gone, type HostQueue, type Isolated, type Removed } from './index.js';

const KEY = 0x6e73a3f1; // "ns" + token a3f1
const OWN = 0x6e69a3f1; // the container's own key
const OTHER = 0x0001e240; // a queue of some other program on the host
const HOST_IPC = 4026531839;
const CHILD_IPC = 4026532290;
const INIT = 5120; // the container's process, by its host PID

const probe = (ipc: number, msgQueues: ProbeReport['msgQueues'], extra: Partial<ProbeReport> = {}): ProbeReport => madeUpProbe({ ns: { ipc }, msgQueues, ...extra });

const ipcs = (...rows: [key: number, msqid: number][]) =>
  [
    '',
    '------ Message Queues --------',
    'key        msqid      owner      perms      used-bytes   messages    ',
    ...rows.map(([k, id]) => `0x${k.toString(16).padStart(8, '0')} ${String(id).padEnd(10)} root       600        0            0           `),
    '',
  ].join('\n');

const host: HostQueue = { key: KEY, msqid: 3, cleanupId: 2, listed: true, ipcs: ipcs([OTHER, 1], [KEY, 3]) };

const ctl: Control = {
  key: KEY,
  parentIpc: HOST_IPC,
  report: probe(HOST_IPC, [{ key: OTHER, msqid: 1 }, { key: KEY, msqid: 3 }]),
  childIpc: HOST_IPC,
  ipcs: ipcs([OTHER, 1], [KEY, 3]),
};

const ownInside = probe(CHILD_IPC, [{ key: OWN, msqid: 0 }], { msgget: { key: OWN, id: 0, errno: null } });
const iso: Isolated = {
  key: KEY,
  own: OWN,
  parentIpc: HOST_IPC,
  report: ownInside,
  childIpc: CHILD_IPC,
  ipcsInside: ipcs([OWN, 0]),
  hostKeys: [OTHER, KEY],
  hostListsOwn: false,
  ipcsHost: ipcs([OTHER, 1], [KEY, 3]),
  containerPid: INIT,
  containerStart: '98214077',
  holdersWhileRunning: [{ kind: 'process', pid: INIT }],
};

const after: Gone = {
  childIpc: CHILD_IPC,
  own: OWN,
  containerPid: INIT,
  holdersWhileRunning: [{ kind: 'process', pid: INIT }],
  containerGone: true,
  holders: [],
  hostListsOwn: false,
};

const rm: Removed = { key: KEY, listed: false, ipcs: ipcs([OTHER, 1]) };

export default [
  examples(hostQueue, {
    pass: host,
    fail: {
      'host-lists-queue': [
        { ...host, listed: false }, // /proc/sysvipc/msg does not have it
        { ...host, ipcs: ipcs([OTHER, 1]) }, // ipcs -q does not show it
      ],
    },
  }),
  examples(control, {
    pass: ctl,
    fail: {
      'child-sees-queue': [
        { ...ctl, report: probe(HOST_IPC, [{ key: OTHER, msqid: 1 }]) }, // the probe's /proc/sysvipc/msg misses it
        { ...ctl, report: probe(HOST_IPC, null) }, // the probe could not read the table at all
        { ...ctl, ipcs: ipcs([OTHER, 1]) }, // ipcs in the child misses it
      ],
      'same-ipc-inode': [
        { ...ctl, childIpc: CHILD_IPC }, // the child is somewhere else
        { ...ctl, parentIpc: 0, childIpc: 0 }, // no inode read at all proves nothing
      ],
    },
  }),
  examples(isolated, {
    pass: iso,
    fail: {
      'host-queues-invisible': [
        { ...iso, report: probe(CHILD_IPC, [{ key: OWN, msqid: 0 }, { key: OTHER, msqid: 1 }], { msgget: ownInside.msgget! }) }, // a host key inside
        { ...iso, ipcsInside: ipcs([OWN, 0], [KEY, 3]) }, // ipcs inside lists our host queue
        { ...iso, report: probe(CHILD_IPC, null, { msgget: ownInside.msgget! }) }, // the probe could not read its table
        { ...iso, hostKeys: [OTHER] }, // our host queue vanished from the host meanwhile
      ],
      'own-queue-inside-only': [
        { ...iso, hostListsOwn: true }, // the container's queue reached the host
        { ...iso, report: probe(CHILD_IPC, [], { msgget: { key: OWN, id: -1, errno: 'ENOSPC' } }), ipcsInside: ipcs() }, // msgget failed
        { ...iso, report: probe(CHILD_IPC, [{ key: OWN, msqid: 0 }]) }, // the probe never reported its msgget
        { ...iso, ipcsInside: ipcs() }, // ipcs inside does not list it
      ],
      'ipc-inode-differs': [
        { ...iso, childIpc: HOST_IPC, report: { ...ownInside, ns: { ipc: HOST_IPC } } }, // no new namespace
        { ...iso, report: { ...ownInside, ns: { ipc: 4026532999 } } }, // the probe and the host disagree
      ],
    },
  }),
  examples(gone, {
    pass: after,
    fail: {
      'namespace-freed': [
        { ...after, holders: [{ kind: 'process', pid: 4242 }] }, // a process still lives in it
        { ...after, holders: [{ kind: 'fd', pid: 4242, fd: '7' }] }, // someone keeps /proc/PID/ns/ipc open
        { ...after, holders: [{ kind: 'mount', pid: 1, mntNs: 4026531841, target: '/run/nslab/x/ipc' }] }, // a bind mount keeps it
        { ...after, containerGone: false, holders: [] }, // the container's process not reaped yet: an empty scan proves nothing
        { ...after, holdersWhileRunning: [] }, // the scan never saw the container: it is blind, not proof
        { ...after, holdersWhileRunning: [{ kind: 'process', pid: 4242 }] }, // it saw some other process, not the container
        { ...after, childIpc: 0, holdersWhileRunning: [{ kind: 'process', pid: INIT }] }, // the inode was never read
        { ...after, hostListsOwn: true }, // the container's queue is on the host
      ],
    },
  }),
  examples(removed, {
    pass: rm,
    fail: {
      'queue-removed': [
        { ...rm, error: 'message queue 0x6e73a3f1: msgctl(IPC_RMID): EPERM (by hand: ipcrm -q 3)', listed: true, ipcs: ipcs([OTHER, 1], [KEY, 3]) },
        { ...rm, listed: true }, // still in /proc/sysvipc/msg
        { ...rm, ipcs: ipcs([OTHER, 1], [KEY, 3]) }, // ipcs -q still lists it
      ],
    },
  }),
];
