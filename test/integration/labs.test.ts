// Every lab of the registry, run for real as root — once: every check passes (or the lab is
// skipped here, with the requirement that is not met), the host is as it was, and a SIGINT in
// the middle step stops it cleanly. A lab added to the registry is tested here with no other
// change; its own test file (if any) reads the same run through labRun()/labReport().
import { expect } from 'chai';
import { addonOnly, rootOnly } from '../00.setup.js';
import { catalogue, isPlanned, loadLab } from '../../labs/index.js';
import type { About, Lab } from '../../runner/core/model.js';
import { expectCleanInterrupt, labRun, notPassed } from '../helpers.js';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('every lab of the registry (integration, as root)', function () {
  this.timeout(600_000);
  beforeEach(function () {
    rootOnly(this);
    addonOnly(this);
  });

  for (const about of catalogue.filter((a): a is About => !isPlanned(a))) {
    describe(about.id, function () {
      it('passes every check and leaves the host as it was (or says why it cannot run here)', async function () {
        const { result, report, before, after } = await labRun(about.id);
        const lab = report.labs[0]!;
        expect(after, 'the host changed').to.deep.equal(before);
        if (lab.status === 'skipped' && lab.steps.length === 0) {
          // A requirement is not met on this host: the lab said so and ran nothing; never a pass.
          expect(lab.reason, 'a skipped lab says why').to.be.a('string').and.not.equal('');
          expect(result.code).to.equal(0);
          this.test!.title += ` (skipped here: ${lab.reason})`;
          this.skip();
        }
        // No check failed; a check that cannot be judged on this host is skipped with its reason
        // (e.g. a cgroup2 controller this kernel does not offer), and the test's title says so.
        const checks = lab.steps.flatMap((st) => st.checks.map((c) => ({ at: `${st.id}/${c.id}`, ...c })));
        expect(notPassed(report).filter((p) => !/ skipped: /.test(p)), result.stderr).to.deep.equal([]);
        const skipped = checks.filter((c) => c.status === 'skipped');
        expect(skipped.filter((c) => !c.reason).map((c) => c.at), 'skipped without a reason').to.deep.equal([]);
        expect(checks.some((c) => c.status === 'passed'), 'no check passed').to.equal(true);
        expect(result.code).to.equal(0);
        if (skipped.length > 0) this.test!.title += ` (skipped here: ${skipped.map((c) => `${c.at}: ${c.reason}`).join('; ')})`;
        expect(lab.steps.map((s) => s.id)).to.deep.equal((await loadLab(about)).steps.map((s) => s.id));
      });

      it('cleans up when interrupted with SIGINT in its middle step', async function () {
        const { report } = await labRun(about.id);
        if (report.labs[0]!.status === 'skipped' && report.labs[0]!.steps.length === 0) {
          this.test!.title += ` (skipped here: ${report.labs[0]!.reason})`;
          this.skip();
        }
        const lab: Lab = await loadLab(about);
        const middle = lab.steps[Math.floor(lab.steps.length / 2)]!;
        await expectCleanInterrupt(about.id, new RegExp(escapeRe(middle.title.en)));
      });
    });
  }
});
