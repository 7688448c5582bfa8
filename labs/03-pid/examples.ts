// Made-up observations for 03-pid's checks: one that passes per step, and for each check the
// ways it could really fail (no new PID namespace, a wrong NSpid line, a fresh /proc where the
// host's was expected, an orphan adopted by the host's init, a survivor after PID 1 exited).
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { hostProc, initExit, initSignals, orphan, pidOne, type HostProc, type InitExit, type InitSignals, type Orphan, type PidOne } from './index.js';

const NSLAB = 4711; // nslab's own host PID
const INIT = 5120; // the container's PID 1, by its host PID
const PID_NS = 4026532301;

const probe = (extra: Partial<ProbeReport> = {}): ProbeReport => madeUpProbe({ ns: { pid: PID_NS }, ...extra });

const first: PidOne = { report: probe(), hostPid: INIT, nspid: [String(INIT), '1'] };

const hostPids = [1, 2, 3, 412, 698, 1033, NSLAB, INIT];
const noProc: HostProc = {
  report: probe({ pids: hostPids, procCount: hostPids.length }),
  self: NSLAB,
  psInside: 143,
  psHost: 141,
  insideListsUs: true,
};

const signalled: InitSignals = {
  pidNs: PID_NS,
  hostPid: INIT,
  sigCgt: '0000000000010000', // SIGCHLD only (bit 17), as the probe's --hold sets it
  sigIgn: '0000000000001000', // SIGPIPE
  senderPid: 2,
  senderNs: PID_NS,
  rcTerm: 0,
  rcKill: 0,
  stateAfter: 'S',
  sameProcess: true,
  rcHostTerm: 0,
  stateAfterHostTerm: 'S',
  sameAfterHostTerm: true,
  rcHostKill: 0,
  ended: { code: null, signal: 'SIGKILL' },
  goneAfter: true,
};

const orphaned: Orphan = {
  event: { pid: 3, ppidBefore: 2, ppidAfter: 1 },
  initPid: INIT,
  pidNs: PID_NS,
  hostPid: 5124,
  hostPpid: INIT,
  start: '98214077',
};

const ended: InitExit = { pidNs: PID_NS, hostPid: 5124, goneAfterMs: 21, sleeper: { code: null, signal: 'SIGKILL' }, left: [] };

export default [
  examples(pidOne, {
    pass: first,
    fail: {
      'pid-is-one': [
        { ...first, report: probe({ pid: INIT }) }, // no new PID namespace: the same number inside
        { ...first, hostPid: 1 }, // the host's init itself
      ],
      'nspid-line': [
        { ...first, nspid: [String(INIT)] }, // one level only: not in a new namespace
        { ...first, nspid: [String(INIT + 1), '1'] }, // another process's line
        { ...first, nspid: [String(INIT), '2'] }, // not the first process inside
        { ...first, nspid: [] }, // /proc/PID/status had no NSpid line (or was gone)
      ],
    },
  }),
  examples(hostProc, {
    pass: noProc,
    fail: {
      'sees-nslab': [
        { ...noProc, report: probe({ pids: [1, 2], procCount: 2 }) }, // the probe saw a fresh /proc
        { ...noProc, report: probe({ pids: null }) }, // the probe could not read /proc
        { ...noProc, insideListsUs: false }, // ps -e inside does not list nslab
      ],
      'counts-match': [
        { ...noProc, psInside: 2 }, // a fresh /proc inside: only PID 1 and ps
        { ...noProc, psInside: 120, psHost: 141 }, // 21 apart: more than the ±15 allowed
        { ...noProc, psInside: 0, psHost: 0 }, // ps printed nothing at all
      ],
    },
  }),
  examples(initSignals, {
    pass: signalled,
    fail: {
      'survived-own-kill': [
        { ...signalled, stateAfter: 'Z' }, // a zombie: the kill from inside worked
        { ...signalled, stateAfter: undefined, sameProcess: false }, // gone
        { ...signalled, sameProcess: false }, // a different process now has that PID
        { ...signalled, senderNs: 4026531836 }, // the shell was in the host's namespace: not a kill from inside
        { ...signalled, senderPid: undefined, senderNs: undefined, rcTerm: undefined, rcKill: undefined }, // the guard stopped the shell: nothing was sent
        { ...signalled, senderPid: 1 }, // PID 1 signalled itself
        { ...signalled, rcKill: 1 }, // kill -KILL 1 failed: nothing was delivered
        { ...signalled, rcTerm: 1 }, // kill -TERM 1 failed
        { ...signalled, sigCgt: '0000000000014000' }, // it handles SIGTERM: surviving proves nothing
        { ...signalled, sigIgn: '0000000000005000' }, // it ignores SIGTERM itself
        { ...signalled, sigCgt: '' }, // the masks were not read
      ],
      'host-term-dropped': [
        { ...signalled, stateAfterHostTerm: undefined, sameAfterHostTerm: false }, // the host's SIGTERM ended it
        { ...signalled, stateAfterHostTerm: 'Z' }, // a zombie: it was delivered and killed it
        { ...signalled, sameAfterHostTerm: false }, // another process has that PID now
        { ...signalled, rcHostTerm: 1 }, // the host's kill failed: nothing was sent
        { ...signalled, rcHostTerm: null }, // kill itself died of a signal
        { ...signalled, sigCgt: '0000000000014000' }, // it handles SIGTERM: surviving proves nothing
      ],
      'killed-from-parent': [
        { ...signalled, ended: undefined, goneAfter: false }, // still running after the host's SIGKILL
        { ...signalled, ended: { code: 0, signal: null } }, // it exited by itself
        { ...signalled, rcHostKill: 1 }, // the host's kill failed (ESRCH: it was already gone)
        { ...signalled, goneAfter: false }, // its PID is still in /proc
        { ...signalled, stateAfterHostTerm: 'Z' }, // it was already dead before the host's SIGKILL
        { ...signalled, stateAfterHostTerm: undefined, sameAfterHostTerm: false, rcHostKill: 1 }, // already gone: kill -KILL found no process
      ],
    },
  }),
  examples(orphan, {
    pass: orphaned,
    fail: {
      'reparented-to-one': [
        { ...orphaned, event: { pid: 3, ppidBefore: 2, ppidAfter: 2 } }, // still the middle process's child
        { ...orphaned, event: { pid: 3, ppidBefore: 1, ppidAfter: 1 } }, // never had another parent
        { ...orphaned, event: { pid: 3, ppidBefore: 0, ppidAfter: 1 } }, // the parent was never read
      ],
      'host-ppid-is-init': [
        { ...orphaned, hostPpid: 1 }, // adopted by the host's init
        { event: orphaned.event, initPid: INIT, pidNs: PID_NS }, // not found in the host /proc
        { ...orphaned, hostPpid: Number.NaN }, // its status had no PPid line
      ],
    },
  }),
  examples(initExit, {
    pass: ended,
    fail: {
      'sleep-killed': [
        { ...ended, sleeper: { code: 0, signal: null } }, // it ended by itself
        { ...ended, sleeper: { code: null, signal: 'SIGTERM' } }, // someone else killed it
      ],
      'grandchild-gone': [
        { ...ended, goneAfterMs: undefined }, // still there after 3 s
        { pidNs: PID_NS, sleeper: ended.sleeper, left: [] }, // never found, so nothing is proved
      ],
      'namespace-empty': [{ ...ended, left: [5124] }],
    },
  }),
];
