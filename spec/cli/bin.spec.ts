import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { scenarioFile, tempDir } from './support.ts';
import { smallDoc } from '../scenario/support.ts';

/** The package bin, as a user runs it. */
function handoff(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['harness/cli/bin.mjs', ...args], { encoding: 'utf8' });
}

describe('the handoff command as a process', () => {
  it('exits 1 with the one-line problem for a bad scenario file', function () {
    this.timeout(30_000);
    const d = smallDoc();
    (d.hosts[2]!.links[0] as { latency?: unknown }).latency = 'fast';
    const file = scenarioFile(tempDir(), 'scenario.json', d);
    const r = handoff(['run', file]);
    expect([r.status, r.stdout, r.stderr]).to.deep.equal([1, '', `${file}: /hosts/2/links/0/latency: expected a duration like "2ms" or a number of ns, found "fast"\n`]);
  });

  it('exits 2 for an unknown command, listing the commands', function () {
    this.timeout(30_000);
    const r = handoff(['demonstrate']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/^handoff: unknown command 'demonstrate'\nusage: handoff <command> \[options\]/);
    for (const c of ['demo', 'run', 'shell', 'modules']) expect(r.stderr).to.match(new RegExp(`\\n  ${c} +\\S`));
  });
});
