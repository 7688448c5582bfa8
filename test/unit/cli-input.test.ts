// Bad input on the command line: whatever the user typed, the error is one short sentence that
// echoes it cut to a sane length and with control characters escaped, and the exit code is 2.
import { expect } from 'chai';
import { echo, ECHO_MAX, parseArgs } from '../../runner/front/cli.js';
import { resolveLabs } from '../../runner/front/commands/labs.js';
import { nslab } from '../helpers.js';

const ESC = '\u001b';
const CLEAR_SCREEN = `${ESC}[2J`;

describe('cli input', function () {
  it('cuts a 5000-character lab name short in a one-sentence usage error (exit 2)', async function () {
    // Given a lab name of 5000 characters
    const name = 'x'.repeat(5000);
    // When nslab is asked to run it
    const r = await nslab(['run', name]);
    // Then it exits 2 with one short sentence that shows only the start of the name
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr.length).to.be.below(300);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^nslab: There is no lab "x+…"; did you mean \d\d-[a-z-]+\?/);
    expect(r.stderr).to.contain(`"${'x'.repeat(ECHO_MAX)}…"`);
  });

  it('does not echo control characters in a lab name raw', async function () {
    // Given a lab name that would clear the terminal if printed as is
    const name = `${CLEAR_SCREEN}evil`;
    // When nslab is asked to run it
    const r = await nslab(['run', name]);
    // Then the error is one sentence with the escape shown as \u001b, never as the byte itself
    expect(r.code).to.equal(2);
    expect(r.stderr).to.not.contain(ESC);
    expect(r.stderr).to.contain('"\\u001b[2Jevil"');
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });

  it('escapes and cuts user input in every usage error that echoes it', function () {
    // Given option values, options and lab names with control characters or of great length
    const cases: [() => unknown, string][] = [
      [() => parseArgs(['--lang', `${CLEAR_SCREEN}fr`]), 'takes en or zh'],
      [() => parseArgs(['--reporter', 'r'.repeat(1000)]), 'Unknown reporter'],
      [() => parseArgs([`--${'o'.repeat(1000)}${ESC}`]), 'Unknown option'],
      [() => resolveLabs([`lab\r\n${'y'.repeat(500)}`]), 'There is no lab'],
    ];
    for (const [call, what] of cases) {
      // When the input is parsed
      let message = '';
      try {
        call();
      } catch (e) {
        message = (e as Error).message;
      }
      // Then the message says what was wrong, in one short line without raw control characters
      expect(message, what).to.contain(what);
      expect(message.length, what).to.be.below(300);
      expect(message, what).to.not.match(/[\u0000-\u001f\u007f-\u009f]/);
    }
  });

  it('quotes user input as a JSON string, cut at ECHO_MAX characters', function () {
    // Given inputs that are short, long, or carry C0/C1 control characters
    // Then each is shown quoted, cut with "…", with control characters as \u escapes
    expect(echo('99-nope')).to.equal('"99-nope"');
    expect(echo('z'.repeat(ECHO_MAX))).to.equal(`"${'z'.repeat(ECHO_MAX)}"`);
    expect(echo('z'.repeat(ECHO_MAX + 1))).to.equal(`"${'z'.repeat(ECHO_MAX)}…"`);
    expect(echo(`${ESC}[2J`)).to.equal('"\\u001b[2J"');
    expect(echo('a\u009b31mb\u007f')).to.equal('"a\\u009b31mb\\u007f"');
    expect(echo('名'.repeat(ECHO_MAX + 5))).to.equal(`"${'名'.repeat(ECHO_MAX)}…"`);
  });
});
