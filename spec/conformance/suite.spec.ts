/**
 * Our conformance suite in `npm test`: every script under common/ runs with both profiles,
 * linux/ and freebsd/ with their own. Each script must parse and validate; once the emulated
 * host for scripts exists (harness/packetdrill/hosts.ts), each must also pass when played.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { defaultHostFactory } from '../../harness/packetdrill/hosts.ts';
import { formatFailure } from '../../harness/packetdrill/report.ts';
import { checkFile, findScripts, playFile } from '../../harness/packetdrill/suite.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SETS: Array<[string, Array<'linux' | 'freebsd'>]> = [
  ['common', ['linux', 'freebsd']],
  ['linux', ['linux']],
  ['freebsd', ['freebsd']],
];

describe('conformance suite (spec/conformance)', () => {
  for (const [dir, profiles] of SETS) {
    const scripts = findScripts(join(here, dir));
    for (const profile of profiles) {
      describe(`${dir} scripts, ${profile} profile`, () => {
        it('has scripts', () => expect(scripts.length).to.be.greaterThan(0));
        for (const path of scripts) {
          const name = relative(here, path);
          it(`parses and validates ${name}`, () => {
            const r = checkFile(path, [`--profile=${profile}`]);
            if (!r.ok) expect.fail(formatFailure(r.failure!));
          });
          if (defaultHostFactory) {
            const factory = defaultHostFactory;
            it(`passes ${name}`, async () => {
              const r = await playFile(path, factory, [`--profile=${profile}`]);
              if (!r.ok) expect.fail(formatFailure(r.failure!));
            });
          } else {
            it(`passes ${name} (waits for the emulated host: socket call layer)`);
          }
        }
      });
    }
  }
});
