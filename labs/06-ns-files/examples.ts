// Made-up observations for 06-ns-files's checks, modelled on a run on a 6.x kernel: one that
// passes each step, and for each check the ways it really goes wrong (a flag left out, a setns
// that did not happen, a bind mount that did not take, a reference that outlived the unmount…).
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { execStep, hold, nsTableStep, release, type Held, type Joined, type NsTable, type Released, type Tables } from './index.js';

/** The host's namespaces (nslab's own), and the three the container got. */
const HOST = { cgroup: 4026531835, ipc: 4026531839, mnt: 4026531832, net: 4026531833, pid: 4026531836, time: 4026531834, user: 4026531837, uts: 4026531838 };
const NEW = { mnt: 4026532177, uts: 4026532178, pid: 4026532179 };
const HOLDER = '/run/nslab/19ed/scratch/nslab-uts-hold';

/** `ls -l /proc/PID/ns` of a process in these namespaces, as nslab reads it. */
function table(ns: typeof HOST, pidForChildren = ns.pid): NsTable {
  return {
    cgroup: `cgroup:[${ns.cgroup}]`,
    ipc: `ipc:[${ns.ipc}]`,
    mnt: `mnt:[${ns.mnt}]`,
    net: `net:[${ns.net}]`,
    pid: `pid:[${ns.pid}]`,
    pid_for_children: `pid:[${pidForChildren}]`,
    time: `time:[${ns.time}]`,
    time_for_children: `time:[${ns.time}]`,
    user: `user:[${ns.user}]`,
    uts: `uts:[${ns.uts}]`,
  };
}

const probe = (over: Partial<ProbeReport> = {}, ns: typeof HOST = { ...HOST, ...NEW }): ProbeReport => madeUpProbe({ hostname: 'container', ns: { uts: ns.uts, ipc: ns.ipc, pid: ns.pid, mnt: ns.mnt, net: ns.net, user: ns.user, cgroup: ns.cgroup }, pids: [1], procCount: 1, ...over });

const child = table({ ...HOST, ...NEW });
const tables: Tables = { parent: table(HOST), child, childPid: 26437, inside: probe() };

/** A table without one entry. */
const drop = (t: NsTable, entry: string): NsTable => Object.fromEntries(Object.entries(t).filter(([k]) => k !== entry));

/** Only what the article's kernel listed: ipc mnt net pid user uts. */
const articleSix = (t: NsTable): NsTable => Object.fromEntries(Object.entries(t).filter(([k]) => ['ipc', 'mnt', 'net', 'pid', 'user', 'uts'].includes(k)));

const joined: Joined = {
  child,
  childPid: 26437,
  report: probe({ pid: 3, ppid: 2, pids: [1, 3], procCount: 2 }),
  hostname: 'container',
  lsns: { net: '4026531833', time: '4026531834', cgroup: '4026531835', user: '4026531837', ipc: '4026531839', mnt: '4026532177', uts: '4026532178', pid: '4026532179' },
  nsenter: {
    hostname: 'container',
    ps: [
      { pid: 1, comm: 'nslab-probe' },
      { pid: 4, comm: 'ps' },
    ],
  },
};
/** The same observation where lsns or nsenter is not installed (util-linux without them). */
const { lsns: _lsns, ...joinedNoLsns } = joined;
const { nsenter: _nsenter, ...joinedNoNsenter } = joined;
const noLsns: Joined = joinedNoLsns;
const noNsenter: Joined = joinedNoNsenter;

const held: Held = {
  holder: HOLDER,
  holdId: 7,
  containerUts: NEW.uts,
  heldIno: NEW.uts,
  mountLine: `66 26 0:4 uts:[${NEW.uts}] ${HOLDER} rw - nsfs nsfs rw`,
  containerGone: true,
  pidsInNs: [],
  setns: probe({ pid: 26590, ppid: 26421, pids: [1, 2, 26421, 26590], procCount: 81 }, { ...HOST, uts: NEW.uts }),
  hostnameCmd: 'container',
  nsenter: 'container',
};
const { nsenter: _heldNsenter, ...heldBare } = held;
const heldNoNsenter: Held = heldBare;

const released: Released = { containerUts: NEW.uts, pidsScanned: 143, unreadable: 0, procs: [], fds: [], mntNsScanned: 3, mounts: [] };

export default [
  examples(nsTableStep, {
    pass: tables,
    fail: {
      'shared-ipc-net-user': [
        { ...tables, child: table({ ...HOST, ...NEW, net: 4026532181 }) }, // a CLONE_NEWNET crept in
        { ...tables, child: drop(child, 'user') }, // no user entry read
      ],
      'separate-mnt-pid-uts': [
        { ...tables, child: table({ ...HOST, mnt: NEW.mnt, pid: NEW.pid }) }, // CLONE_NEWUTS left out
        { ...tables, child: drop(child, 'mnt') },
      ],
      'inside-agrees': [
        { ...tables, inside: probe({}, { ...HOST, ...NEW, uts: 4026532999 }) },
        { ...tables, inside: probe({ ns: {} }) }, // the probe named no namespace at all
      ],
      'newer-entries': [
        { ...tables, child: table({ ...HOST, ...NEW, cgroup: 4026532180 }) }, // a new cgroup namespace: not shared
        { ...tables, child: table({ ...HOST, ...NEW }, HOST.pid) }, // pid_for_children is not the child's own pid namespace
      ],
    },
    skip: {
      'newer-entries': { ...tables, parent: articleSix(tables.parent), child: articleSix(child) }, // a kernel before 4.6
    },
  }),
  examples(execStep, {
    pass: joined,
    fail: {
      'joined-same-ns': [
        { ...joined, report: probe({ pid: 3, pids: [1, 3] }, { ...HOST, uts: NEW.uts, pid: NEW.pid }) }, // mnt never joined
        { ...joined, report: probe({ pid: 26590, pids: [1, 3] }, { ...HOST, uts: NEW.uts, mnt: NEW.mnt }) }, // setns(pid) without the extra fork
      ],
      'joined-sees-container': [
        { ...joined, hostname: 'lab-host' },
        { ...joined, report: probe({ pid: 3, pids: [1, 3], hostname: 'lab-host' }) },
        { ...joined, report: probe({ pid: 3, pids: null }) }, // /proc could not be read
        { ...joined, report: probe({ pid: 3, pids: [1, 2, 3, 211, 26421] }) }, // the host's /proc
        { ...joined, report: probe({ pid: 3, pids: [2, 3] }) }, // no PID 1
      ],
      'lsns-agrees': [
        { ...joined, lsns: { ...joined.lsns, mnt: String(HOST.mnt) } },
        { ...joined, lsns: { net: '4026531833', user: '4026531837' } }, // lsns listed no mnt, pid or uts
      ],
      'nsenter-agrees': [
        { ...joined, nsenter: { ...joined.nsenter!, hostname: 'lab-host' } },
        { ...joined, nsenter: { hostname: 'container', ps: [{ pid: 1, comm: 'systemd' }, { pid: 26601, comm: 'ps' }] } }, // the host's pid namespace
      ],
    },
    skip: { 'lsns-agrees': noLsns, 'nsenter-agrees': noNsenter },
  }),
  examples(hold, {
    pass: held,
    fail: {
      'bind-holds': [
        { ...held, heldIno: 1475682, mountLine: '' }, // the bind mount did not take: the plain file
        { ...held, mountLine: `66 26 0:22 / ${HOLDER} rw - proc proc rw` }, // something else mounted there
      ],
      'no-process-left': [
        { ...held, containerGone: false, pidsInNs: [26437] },
        { ...held, pidsInNs: [26612] }, // a process exec'd into the container outlived it
      ],
      'setns-held': [
        { ...held, setns: probe({ pid: 26590, hostname: 'lab-host' }, HOST) }, // the probe stayed in the host's uts
        { ...held, hostnameCmd: 'lab-host' },
      ],
      'nsenter-held': [
        { ...held, nsenter: 'lab-host' },
        { ...held, nsenter: '' }, // nsenter failed and printed nothing
      ],
    },
    skip: { 'nsenter-held': heldNoNsenter },
  }),
  examples(release, {
    pass: released,
    fail: {
      released: [
        { ...released, procs: [26612] }, // a process still in the namespace (exec'd in, outlived the container)
        { ...released, mounts: [`mnt:[${HOST.mnt}] 66 26 0:4 uts:[${NEW.uts}] ${HOLDER} rw - nsfs nsfs rw`] }, // still mounted: the umount did not happen
        { ...released, mounts: [`mnt:[4026532301] 812 790 0:4 uts:[${NEW.uts}] /run/netns/keep rw - nsfs nsfs rw`] }, // a copy of the bind mount in another mount namespace
        { ...released, fds: ['fd 5 / pid 26437'] }, // an open fd holds it
        { ...released, pidsScanned: 0, mntNsScanned: 0 }, // nothing could be read: nothing proven
        { ...released, containerUts: NaN }, // the inode was never recorded
      ],
    },
  }),
];
