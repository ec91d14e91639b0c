import { expect } from 'chai';
import { makeModulesCommand } from '../../harness/cli/modules.ts';
import { capture, runCommand, type CliResult } from './support.ts';

async function modules(argv: string[]): Promise<CliResult> {
  const io = capture();
  return runCommand(makeModulesCommand({ out: io.out }), argv, io);
}

describe('handoff modules', () => {
  it("lists every registered module and driver with its module_info", async () => {
    const r = await modules([]);
    expect(r.code).to.equal(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).to.match(/^NAME +KIND +ID +MINPSZ +MAXPSZ +HIWAT +LOWAT +DESCRIPTION$/);
    expect(lines.map((l) => l.split(/ +/)[0])).to.deep.equal(['NAME', 'counter', 'ip', 'loop', 'muxd', 'netdrv', 'passthru', 'qpass', 'sockmod', 'tcp', 'tee', 'upper']);
    expect(lines.find((l) => l.startsWith('counter'))!.split(/ +/).slice(0, 7)).to.deep.equal(['counter', 'module', '9003', '0', 'INF', '8192', '2048']);
  });

  it('gives the same as JSON, and loads module files given on the command line', async () => {
    const r = await modules(['--json', 'spec/scenario/fixtures/probe.ts']);
    const rows = JSON.parse(r.out) as { name: string }[];
    expect(rows.find((m) => m.name === 'probe')).to.deep.equal({
      name: 'probe',
      kind: 'module',
      id: 9901,
      minpsz: 0,
      maxpsz: null,
      hiwat: 4096,
      lowat: 1024,
      description: 'passes everything on (spec fixture)',
    });
  });

  it('exits 1 for a file that is not a module and 2 for an unknown option', async () => {
    const bad = await modules(['spec/cli/support.ts']);
    expect([bad.code, bad.err]).to.deep.equal([1, "handoff modules: cannot load spec/cli/support.ts: load spec/cli/support.ts: default export is not a module definition (not an object): EINVAL\n"]);
    expect((await modules(['--all'])).code).to.equal(2);
  });
});
