import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputDir } from '../../harness/scenario/output.ts';
import { runScenario } from '../../harness/scenario/run.ts';
import { tcpPlugin } from '../../harness/scenario/installers/tcp.ts';
import { appsPlugin } from '../../harness/scenario/installers/apps.ts';
import { parsePushFlag } from '../../harness/scenario/push-flag.ts';
import { scriptedPlugins, scriptedScenario } from '../report/support/scripted-handoff.ts';
import { ipOnlyDoc, loaded, smallDoc } from './support.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'handoff-run-'));

describe('scenario runs', () => {
  it('writes a pcap per interface, the trace, the summary, the report and the scenario as run', async () => {
    const dir = join(tmp(), 'out');
    const out = new OutputDir(dir);
    const r = await runScenario(scriptedScenario(), { out, plugins: scriptedPlugins() });
    out.commit();
    const files = readdirSync(dir).sort();
    expect(files).to.deep.equal([
      'be1.eth0.pcap',
      'be2.eth0.pcap',
      'be3.eth0.pcap',
      'client1.eth0.pcap',
      'fe.eth0.pcap',
      'report.html',
      'report.md',
      'router.eth0.pcap',
      'router.eth1.pcap',
      'scenario.json',
      'summary.json',
      'trace.jsonl',
    ]);
    expect(r.summary.end).to.equal('done');
    expect(readFileSync(join(dir, 'trace.jsonl'), 'utf8').trimEnd().split('\n')).to.have.length(r.summary.trace.lines);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).to.deep.equal(JSON.parse(JSON.stringify(r.summary)));
  });

  it('gives byte-identical traces and captures for the same seed', async () => {
    const runOnce = async () => {
      const dir = join(tmp(), 'out');
      const out = new OutputDir(dir);
      await runScenario(scriptedScenario(), { out, plugins: scriptedPlugins() });
      out.commit();
      return ['trace.jsonl', 'client1.eth0.pcap', 'fe.eth0.pcap'].map((f) => readFileSync(join(dir, f)).toString('hex'));
    };
    expect(await runOnce()).to.deep.equal(await runOnce());
  });

  it('stops at the event cap and says so', async () => {
    const s = scriptedScenario();
    s.maxEvents = 10;
    const r = await runScenario(s, { plugins: scriptedPlugins() });
    expect([r.summary.end, r.summary.events]).to.deep.equal(['events', 10]);
  });

  it('stops at the end time, with the clock there', async () => {
    const d = ipOnlyDoc();
    d.hosts[3]!.links[0]!.down = [{ from: '1s', to: '2s' }];
    d.run = { until: '1500ms' };
    const r = await runScenario(loaded(d), { plugins: {} });
    expect([r.summary.end, r.summary.virtualTimeText]).to.deep.equal(['time', '1.5s']);
  });

  it('keeps servers without clients running to the end time', async () => {
    const d = smallDoc();
    delete d.apps!.clients;
    d.run = { until: '200ms' };
    const r = await runScenario(loaded(d), { plugins: { tcp: tcpPlugin, apps: appsPlugin } });
    expect([r.summary.end, r.summary.virtualTimeText]).to.deep.equal(['time', '200ms']);
  });

  it('runs a web workload over the emulated TCP, the front end serving every request without a cluster plug-in', async function () {
    this.timeout(60_000);
    const d = smallDoc();
    d.apps!.clients = [{ host: 'client1', target: '203.0.113.10:80', count: 2, requests: 3, urls: ['/about.txt', '/data/1k.bin'], post: { share: 0.3, bytes: '2KiB' } }];
    const push = parsePushFlag('fe:tcp-lower:counter');
    if (!push.ok) throw new Error(push.error);
    const r = await runScenario(loaded(d), { plugins: { tcp: tcpPlugin, apps: appsPlugin }, extraModules: [push.action] });
    const w = r.summary.workload!;
    expect([r.summary.end, w.requestsStarted, w.requestsDone, w.requestsFailed]).to.deep.equal(['done', 6, 6, 0]);
    expect(w.served).to.deep.equal({ fe: 6 });
    expect(r.summary.cluster).to.equal(null);
    const counted = r.summary.modules.find((m) => m.host === 'fe' && m.module === 'counter')!;
    expect(counted.read).to.be.greaterThan(0);
  });
});

describe('output directory', () => {
  it('replaces the target only on commit', () => {
    const dir = join(tmp(), 'out');
    const a = new OutputDir(dir);
    a.write('x.txt', 'first');
    expect(existsSync(dir)).to.equal(false);
    a.commit();
    const b = new OutputDir(dir);
    b.write('y.txt', 'second');
    b.commit();
    expect(readdirSync(dir)).to.deep.equal(['y.txt']);
  });

  it('leaves the earlier output untouched and no temporary directory behind on abort', () => {
    const parent = tmp();
    const dir = join(parent, 'out');
    const a = new OutputDir(dir);
    a.write('x.txt', 'first');
    a.commit();
    const b = new OutputDir(dir);
    b.lineWriter('trace.jsonl').write('{"t":0}');
    b.abort();
    expect(readdirSync(parent)).to.deep.equal(['out']);
    expect(readFileSync(join(dir, 'x.txt'), 'utf8')).to.equal('first');
  });

  it('refuses a target that is a file', () => {
    const f = join(tmp(), 'file');
    writeFileSync(f, '');
    expect(() => new OutputDir(f)).to.throw(/exists and is not a directory/);
  });
});
