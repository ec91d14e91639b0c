import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRunCommand } from '../../harness/cli/run.ts';
import type { ScenarioPlugins } from '../../harness/scenario/plugins.ts';
import type { ScenarioDoc } from '../../harness/scenario/types.ts';
import { ipOnlyDoc, smallDoc } from '../scenario/support.ts';
import { capture, runCommand, scenarioFile, tempDir, type CliResult } from './support.ts';

async function run(argv: string[], plugins: ScenarioPlugins = {}): Promise<CliResult> {
  const io = capture();
  return runCommand(makeRunCommand({ ...io, plugins }), argv, io);
}

/** A scenario file made by changing the small valid one. */
function changed(dir: string, change: (d: ScenarioDoc) => void): string {
  const d = smallDoc();
  change(d);
  return scenarioFile(dir, 'scenario.json', d);
}

describe('handoff run: exit codes and outputs', () => {
  it('exits 0, writes the output directory and says what it did', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, 'ip-only.json', { ...ipOnlyDoc(), name: 'ip only', run: { until: '10ms' } });
    const r = await run([file, '--out', join(dir, 'o')]);
    expect(r.code, r.err).to.equal(0);
    const lines = r.out.split('\n');
    expect(lines[0]).to.equal(`${file}: ip only (seed 1)`);
    expect(lines[1]).to.match(/^ran 10ms of virtual time in 0 events \(CPU \d+ ms, wall \d+ ms\); reached its end time$/);
    expect(lines[2]).to.equal(`wrote ${join(dir, 'o')}/: 5 pcaps, trace.jsonl (0 lines), report.html, report.md, summary.json`);
    expect(readdirSync(join(dir, 'o'))).to.include.members(['report.html', 'summary.json', 'trace.jsonl', 'fe.eth0.pcap', 'scenario.json']);
  });

  it('takes --seed over the seed in the file', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, 's.json', { ...ipOnlyDoc(), run: { until: '1ms' } });
    expect((await run([file, '--seed', '42', '--out', join(dir, 'o')])).code).to.equal(0);
    expect(JSON.parse(readFileSync(join(dir, 'o', 'summary.json'), 'utf8')).seed).to.equal(42);
    expect(JSON.parse(readFileSync(join(dir, 'o', 'scenario.json'), 'utf8')).seed).to.equal(42);
  });

  it('exits 2 with the usage for bad arguments', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, 's.json', ipOnlyDoc());
    const cases: [string[], string][] = [
      [[], 'handoff run: usage: handoff run <scenario.json>'],
      [[file, '--bogus'], "handoff run: unknown option '--bogus'"],
      [[file, '--out'], 'handoff run: --out needs a value'],
      [[file, file], 'handoff run: one scenario file, not 2'],
      [[file, '--push', 'fe:counter'], 'handoff run: --push fe:counter: expected HOST:PLACE:MODULE[@TIME]'],
    ];
    for (const [argv, first] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.err.startsWith(first), r.err).to.equal(true);
    }
  });

  it('refuses a --push of a module file that does not exist, naming the flag', async () => {
    const dir = tempDir();
    const file = scenarioFile(dir, 's.json', ipOnlyDoc());
    const r = await run([file, '--push', 'fe:eth0:./nope-module.ts', '--out', join(dir, 'o')]);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(`handoff run: --push fe:eth0:./nope-module.ts: module file not found: ${process.cwd()}/nope-module.ts\n`);
    expect(existsSync(join(dir, 'o'))).to.equal(false);
  });

  it('leaves nothing half-written when the run fails, and earlier output untouched', async () => {
    const dir = tempDir();
    const outDir = join(dir, 'o');
    mkdirSync(outDir);
    const d = ipOnlyDoc();
    d.hosts[2]!.stack = { tcp: false, modules: [{ module: 'counter', at: 'eth0', action: 'pop', time: '1ms' }] };
    const file = scenarioFile(dir, 'scenario.json', d);
    const r = await run([file, '--out', outDir]);
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(`handoff run: ${file}: /hosts/2/stack/modules/0: pop counter at fe eth0: remove: no module 'counter' in stream netdrv:eth0: EINVAL\n`);
    expect(readdirSync(dir).sort()).to.deep.equal(['o', 'scenario.json']);
    expect(readdirSync(outDir)).to.deep.equal([]);
  });
});

describe('handoff run: bad scenario files, one line each, exit 1', () => {
  const cases: [string, (dir: string) => string, string[]][] = [
    ['a file that does not exist', (dir) => join(dir, 'missing.json'), ['missing.json: no such file']],
    ['a directory', (dir) => dir, ['is a directory, not a scenario file']],
    ['broken JSON', (dir) => scenarioFile(dir, 'scenario.json', '{\n  "seed": 1,\n  "hosts": [}\n'), ['scenario.json: not valid JSON at line 3 column 13: unexpected "}"']],
    ['an empty file', (dir) => scenarioFile(dir, 'scenario.json', ''), ['scenario.json: not valid JSON (the file is empty)']],
    ['not an object', (dir) => scenarioFile(dir, 'scenario.json', '[1, 2]'), ['scenario.json: expected an object, found [1,2]']],
    [
      'a bad duration',
      (dir) => changed(dir, (d) => ((d.hosts[2]!.links[0] as { latency?: unknown }).latency = 'fast')),
      ['scenario.json: /hosts/2/links/0/latency: expected a duration like "2ms" or a number of ns, found "fast"'],
    ],
    [
      'a misspelt property',
      (dir) => changed(dir, (d) => ((d.networks[0] as unknown as Record<string, unknown>).prefx = '1.2.3.0/24')),
      ['scenario.json: /networks/0: unknown property "prefx" (did you mean "prefix"?)'],
    ],
    [
      'a missing section',
      (dir) => scenarioFile(dir, 'scenario.json', { networks: smallDoc().networks }),
      ['scenario.json: missing required property "hosts"'],
    ],
    [
      'an unknown host in the cluster',
      (dir) => changed(dir, (d) => (d.cluster!.frontEnd = 'fe2')),
      ['scenario.json: /cluster/frontEnd: no host "fe2" (did you mean "fe"? hosts: client1, router, fe, be1)'],
    ],
    [
      'a duplicate address',
      (dir) => changed(dir, (d) => (d.hosts[3]!.links[0]!.address = '192.0.2.10')),
      ['scenario.json: /hosts/3/links/0/address: 192.0.2.10 is already an address of fe (/hosts/2/links/0/address)'],
    ],
    [
      'an address outside its network',
      (dir) => changed(dir, (d) => (d.hosts[3]!.links[0]!.address = '198.51.100.77/24')),
      ['scenario.json: /hosts/3/links/0/address: 198.51.100.77 is outside network lan (192.0.2.0/24)'],
    ],
    [
      'a route to nowhere',
      (dir) => changed(dir, (d) => (d.hosts[0]!.routes = [{ to: 'default', via: '192.0.2.1' }])),
      ["scenario.json: /hosts/0/routes/0/via: route to nowhere: gateway 192.0.2.1 is on none of client1's networks (public 198.51.100.0/24)"],
    ],
    [
      'a VIP not on the front end',
      (dir) => changed(dir, (d) => (d.cluster!.vip = '192.0.2.11')),
      ['scenario.json: /cluster/vip: the VIP 192.0.2.11 is not an address of the front end fe (add it to one of its links\' "aliases")'],
    ],
    [
      'a module file that is not there',
      (dir) => changed(dir, (d) => (d.hosts[3]!.stack = { modules: [{ module: './syn-counter.ts', at: 'tcp-lower' }] })),
      ['/hosts/3/stack/modules/0/module: module file not found: '],
    ],
  ];

  for (const [what, make, lines] of cases) {
    it(`names the problem with ${what}`, async () => {
      const dir = tempDir();
      const file = make(dir);
      const r = await run([file, '--out', join(dir, 'o')]);
      expect(r.code, r.err).to.equal(1);
      const got = r.err.trimEnd().split('\n');
      expect(got, r.err).to.have.length(lines.length);
      lines.forEach((l, i) => expect(got[i], r.err).to.contain(l));
      expect(existsSync(join(dir, 'o'))).to.equal(false);
    });
  }
});
