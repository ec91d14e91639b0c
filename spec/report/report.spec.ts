import { expect } from 'chai';
import { makeReport, type ReportInput } from '../../harness/report/index.ts';
import type { Arrow } from '../../harness/report/flow.ts';
import { runScenario } from '../../harness/scenario/run.ts';
import { OutputDir } from '../../harness/scenario/output.ts';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceRecord } from '../../harness/report/packets.ts';
import { scriptedPlugins, scriptedScenario } from './support/scripted-handoff.ts';

/** The scripted handoff's run, as a report reads it: summary, trace events, captures. */
async function scriptedRun(): Promise<ReportInput> {
  const dir = join(mkdtempSync(join(tmpdir(), 'handoff-report-')), 'out');
  const out = new OutputDir(dir);
  const r = await runScenario(scriptedScenario(), { out, plugins: scriptedPlugins() });
  out.commit();
  const events = readFileSync(join(dir, 'trace.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as TraceRecord);
  const pcaps = new Map(readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => [f.slice(0, -5), new Uint8Array(readFileSync(join(dir, f)))] as const));
  return { summary: r.summary, events, pcaps };
}

const headline = (a: Arrow): string => `${a.from}>${a.to ?? `(${a.toward})`} ${a.label[0]}`;

describe('run reports', () => {
  let input: ReportInput;
  before(async () => {
    input = await scriptedRun();
  });

  it('finds the connection by its client endpoint and follows it through the rewrite', () => {
    const r = makeReport(input);
    expect(r.connections.map((c) => [c.index, c.clientHost, c.hosts])).to.deep.equal([[1, 'client1', ['client1', 'router', 'fe', 'be1']]]);
    expect(r.chosen?.index).to.equal(1);
    expect(r.flow!.lanes.map((l) => `${l.host}:${l.role}`)).to.deep.equal(['client1:client', 'fe:front-end', 'be1:back-end']);
  });

  it('labels arrows with flags and relative numbers, as each side sees them', () => {
    const arrows = makeReport(input).flow!.arrows;
    expect(arrows.slice(0, 4).map(headline)).to.deep.equal([
      'client1>fe [SYN] seq 0 win 65535 len 0 <mss 1460>',
      'fe>client1 [SYN, ACK] seq 0 ack 1 win 65535 len 0 <mss 1460>',
      'client1>fe [ACK] seq 1 ack 1 win 65535 len 0',
      'client1>fe [PSH, ACK] seq 1:53 ack 1 win 65535 len 52',
    ]);
    expect(arrows[3]!.label[1]).to.equal('GET /img/photo-1.jpg HTTP/1.1');
  });

  it("says what the front end rewrote, and that the ack is in the back end's space", () => {
    const fwd = makeReport(input).flow!.arrows.find((a) => a.kind === 'packet' && a.from === 'fe' && a.to === 'be1')!;
    expect(fwd.label).to.deep.equal(['[ACK] seq 53 ack 44 win 65535 len 0', "(ack in be1's sequence space: +85000 on the wire)"]);
    expect(fwd.rewrite).to.equal('rewritten at fe: dst 203.0.113.10 → 192.0.2.11, ack +85000');
  });

  it('shows the back end answering the client straight, as the VIP', () => {
    const resp = makeReport(input).flow!.arrows.find((a) => a.from === 'be1' && a.to === 'client1')!;
    expect(resp.label).to.deep.equal(['[PSH, ACK] seq 1:44 ack 53 win 65535 len 43', 'HTTP/1.1 200 OK', "sent by be1 as 203.0.113.10 (fe's address)"]);
  });

  it('draws the control messages between the front end and the back end, and the lost packet with where it died', () => {
    const arrows = makeReport(input).flow!.arrows;
    expect(arrows.filter((a) => a.kind === 'control').map(headline)).to.deep.equal(['fe>be1 HANDOFF_REQ conn 1', 'be1>fe HANDOFF_ACK conn 1 (BE ISN 90000)']);
    const lost = arrows.filter((a) => a.lost !== null);
    expect(lost.map((a) => [headline(a), a.lost])).to.deep.equal([['client1>(fe) [ACK] seq 54 ack 44 win 65535 len 0', 'partition on public:client1:client1>switch']]);
    expect(arrows.filter((a) => a.kind === 'note').map((a) => `${a.from} ${a.label[0]}`)).to.deep.equal(['fe handoff.forwarding']);
  });

  it('draws every hop through the router when asked', () => {
    const flow = makeReport({ ...input, showRouters: true }).flow!;
    expect(flow.lanes.map((l) => l.host)).to.deep.equal(['client1', 'router', 'fe', 'be1']);
    expect(flow.arrows.slice(0, 2).map(headline)).to.deep.equal(['client1>router [SYN] seq 0 win 65535 len 0 <mss 1460>', 'router>fe [SYN] seq 0 win 65535 len 0 <mss 1460>']);
  });

  it('writes the same diagram as Mermaid, participants by id', () => {
    const md = makeReport(input).markdown;
    expect(md).to.contain('```mermaid\nsequenceDiagram\n  participant p0 as client1 (client)\n  participant p1 as fe (front-end)\n  participant p2 as be1 (back-end)\n');
    expect(md).to.contain('  p1-->>p2: HANDOFF_REQ conn 1\n');
    expect(md).to.contain('  p0-xp1: [ACK] seq 54 ack 44 win 65535 len 0<br/>lost: partition on public:client1:client1>switch\n');
  });

  it('makes one self-contained page: no script, no external resource', () => {
    const html = makeReport(input).html;
    expect(html).to.match(/^<!DOCTYPE html>/);
    expect(html).not.to.match(/<script|<link |src="http|href="http/);
    for (const h of ['Run', 'Sequence diagram', 'Connections', 'Messages per module', 'Hosts', 'Interfaces', 'Links']) expect(html).to.contain(`<h2>${h}</h2>`);
  });

  it('counts messages per module from the STREAMS trace', () => {
    const row = (module: string) => input.summary.modules.find((m) => m.host === 'router' && m.module === module)!;
    const ifs = input.summary.interfaces.filter((i) => i.name.startsWith('router.'));
    const sum = (k: 'rxPackets' | 'txPackets') => ifs.reduce((n, i) => n + i[k], 0);
    // Every packet the router receives goes up into IP once; every one it sends goes down into netdrv once.
    expect(sum('rxPackets')).to.be.greaterThan(0);
    expect(row('ip').read).to.equal(sum('rxPackets'));
    expect(row('netdrv').write).to.equal(sum('txPackets'));
  });

  it('picks a connection by number or client endpoint, and says so when there is no such one', () => {
    expect(makeReport({ ...input, conn: '198.51.100.10:40001' }).chosen?.index).to.equal(1);
    const r = makeReport({ ...input, conn: '7' });
    expect(r.error).to.equal('no connection 7 in this run (1..1 or a client endpoint like 198.51.100.10:40001)');
    expect(r.html).to.contain('No sequence diagram: no connection 7 in this run');
  });

  it('still draws packets without their headers when a capture is missing, and warns', () => {
    const pcaps = new Map(input.pcaps);
    pcaps.set('fe.eth0', new Uint8Array([1, 2, 3]));
    const r = makeReport({ ...input, pcaps });
    expect(r.html).to.contain('capture of fe.eth0 is unreadable');
  });
});
