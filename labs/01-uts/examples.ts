// Made-up observations for 01-uts's checks: one that passes, and one per check that fails.
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { control, isolated, type Control, type Isolated } from './index.js';

const HOST_UTS = 4026531838;
const CHILD_UTS = 4026532201;

const probe = (hostname: string, uts: number): ProbeReport => madeUpProbe({ hostname, ns: { uts } });

const ctl: Control = { hostBefore: 'lab-host', parentUts: HOST_UTS, report: probe('lab-host', HOST_UTS), childUts: HOST_UTS };
const iso: Isolated = {
  report: probe('container', CHILD_UTS),
  hostnameCmd: 'container',
  childUts: CHILD_UTS,
  hostBefore: 'lab-host',
  hostAfter: 'lab-host',
  parentUts: HOST_UTS,
};

/** No CLONE_NEWUTS: the "container" renamed the host's own namespace. */
const renamedHost: Isolated = { ...iso, report: probe('container', HOST_UTS), childUts: HOST_UTS, hostAfter: 'container' };
/** The host was already called "container": nothing can be told apart. */
const hostNamedContainer: Isolated = { ...iso, hostBefore: 'container', hostAfter: 'container' };

export default [
  examples(control, {
    pass: ctl,
    fail: {
      'same-hostname': { ...ctl, report: probe('container', HOST_UTS) },
      'same-uts-inode': [
        { ...ctl, childUts: CHILD_UTS },
        { ...ctl, parentUts: 0, childUts: 0 }, // no inode read at all proves nothing
      ],
    },
  }),
  examples(isolated, {
    pass: iso,
    fail: {
      'hostname-inside': [
        { ...iso, hostnameCmd: 'lab-host' }, // hostname inside printed the host's name
        { ...iso, report: probe('lab-host', CHILD_UTS) }, // the probe did not see the new name
        renamedHost, // no new namespace: the host itself was renamed
        { ...iso, report: probe('container', HOST_UTS), childUts: HOST_UTS }, // same namespace as the host, name restored meanwhile
        { ...iso, hostAfter: 'container' }, // new namespace, yet the host's name changed too
        { ...iso, childUts: 0, report: probe('container', 0) }, // no inode read: where the name was read is unknown
        { ...iso, report: probe('container', 4026532999) }, // the probe read it in another namespace than the host saw
      ],
      'host-unchanged': [
        { ...iso, hostAfter: 'container' }, // the host was renamed
        renamedHost,
        { ...iso, report: probe('lab-host', CHILD_UTS) }, // nothing was renamed anywhere: the host staying the same proves nothing
      ],
      'uts-inode-differs': [
        { ...iso, childUts: HOST_UTS, report: probe('container', HOST_UTS) },
        { ...iso, report: probe('container', 4026532999) }, // the probe and the host disagree
        { ...iso, childUts: 0, report: probe('container', 0) }, // never read
      ],
    },
    skip: {
      'hostname-inside': hostNamedContainer,
      'host-unchanged': hostNamedContainer,
    },
  }),
];
