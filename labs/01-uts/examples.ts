// Made-up observations for 01-uts's checks: one that passes, and one per check that fails.
import { examples, madeUpProbe, type ProbeReport } from '../../runner/kit/index.js';
import { control, isolated, type Control, type Isolated } from './index.js';

const probe = (hostname: string, uts: number): ProbeReport => madeUpProbe({ hostname, ns: { uts } });

const ctl: Control = { hostBefore: 'lab-host', parentUts: 4026531838, report: probe('lab-host', 4026531838), childUts: 4026531838 };
const iso: Isolated = {
  report: probe('container', 4026532201),
  hostnameCmd: 'container',
  childUts: 4026532201,
  hostBefore: 'lab-host',
  hostAfter: 'lab-host',
  parentUts: 4026531838,
};

export default [
  examples(control, {
    pass: ctl,
    fail: {
      'same-hostname': { ...ctl, report: probe('container', 4026531838) },
      'same-uts-inode': [
        { ...ctl, childUts: 4026532201 },
        { ...ctl, parentUts: 0, childUts: 0 }, // no inode read at all proves nothing
      ],
    },
  }),
  examples(isolated, {
    pass: iso,
    fail: {
      'hostname-inside': [{ ...iso, hostnameCmd: 'lab-host' }, { ...iso, report: probe('lab-host', 4026532201) }],
      'host-unchanged': { ...iso, hostAfter: 'container' },
      'uts-inode-differs': [
        { ...iso, childUts: 4026531838, report: probe('container', 4026531838) },
        { ...iso, report: probe('container', 4026532999) }, // the probe and the host disagree
      ],
    },
  }),
];
