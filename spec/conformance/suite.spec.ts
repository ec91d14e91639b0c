/**
 * Our conformance suite in `npm test`: every script under common/ runs with both profiles,
 * linux/ and freebsd/ with their own. Each script must parse and validate, and pass when
 * played in a world of its own: the socket layer, the TCP driver and IP of a host, the peer
 * on a link (harness/packetdrill/hosts.ts), exactly as `handoff conformance` plays it.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { worldHostFactory } from '../../harness/packetdrill/hosts.ts';
import { formatFailure } from '../../harness/packetdrill/report.ts';
import { checkFile, findScripts, playFile } from '../../harness/packetdrill/suite.ts';
import { unmatchedPatterns, waitingFor } from './waiting.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SETS: Array<[string, Array<'linux' | 'freebsd'>]> = [
  ['common', ['linux', 'freebsd']],
  ['linux', ['linux']],
  ['freebsd', ['freebsd']],
];

const factory = worldHostFactory();

describe('conformance suite (spec/conformance)', () => {
  it('lists no waiting script that does not exist', () => {
    const all = SETS.flatMap(([dir]) => findScripts(join(here, dir)).map((p) => relative(here, p)));
    expect(unmatchedPatterns(all)).to.deep.equal([]);
  });

  it('lists only scripts that still fail (an entry whose scripts all pass must go)', async () => {
    const passing: string[] = [];
    for (const [dir, profiles] of SETS) {
      for (const path of findScripts(join(here, dir))) {
        const name = relative(here, path);
        for (const profile of profiles) {
          if (waitingFor(name, profile) === null) continue;
          const r = await playFile(path, factory, [`--profile=${profile}`]);
          if (r.ok) passing.push(`${name} (${profile})`);
        }
      }
    }
    expect(passing, 'waiting scripts that pass now').to.deep.equal([]);
  });

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
          const waiting = waitingFor(name, profile);
          if (waiting) {
            it(`passes ${name} (waits: ${waiting})`);
            continue;
          }
          it(`passes ${name}`, async () => {
            const r = await playFile(path, factory, [`--profile=${profile}`]);
            if (!r.ok) expect.fail(formatFailure(r.failure!));
          });
        }
      });
    }
  }
});
