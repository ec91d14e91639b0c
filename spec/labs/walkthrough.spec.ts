/**
 * docs/walkthrough.md quotes one run of docs/labs/one-connection.json packet by packet. This
 * runs it through `handoff run` and checks every number and observation the page relies on;
 * when one fails, rerun the commands on the page and update it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSyns } from '../../docs/labs/01-syncount/count-syns.ts';
import { controlFrames, formatControlLine } from '../../docs/labs/tools/control-frames.ts';
import type { RunSummary } from '../../harness/scenario/summary.ts';
import { ACK, FIN, handoffRun, LABS, RST, segments, SYN, tempOut, timestamps, type Seg } from './support.ts';

const VIP = '203.0.113.10';
const CLIENT = '198.51.100.10';
const BE2 = '192.0.2.12';
const PORT = 42929;
const ISN_FE = 2230179049;
const ISN_BE = 2543350088;
const DELTA = 313171039;
const TS_DELTA = 298611592;

describe('the walkthrough (docs/walkthrough.md) on docs/labs/one-connection.json', function () {
  this.timeout(30_000);
  let out: string;
  let sum: RunSummary;
  const pcap = (name: string): Seg[] => segments(join(out, `${name}.pcap`)).filter((s) => s.sport === PORT || s.dport === PORT);

  before(async () => {
    out = tempOut('walkthrough');
    sum = await handoffRun(join(LABS, 'one-connection.json'), out);
  });

  it('hands the /docs/ connection to be2 and serves the /index.html one locally', () => {
    expect(sum.cluster).to.deep.include({ handoffs: { be1: 0, be2: 1, be3: 0 }, localServes: 1, failedHandoffs: 0 });
    expect(sum.workload?.served).to.deep.equal({ be2: 1, fe: 1 });
  });

  it('gives the client the FE ISN quoted on the page in the SYN/ACK', () => {
    const synack = pcap('client1.eth0').find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
    expect(synack.src).to.equal(VIP);
    expect(synack.seq).to.equal(ISN_FE);
  });

  it('never lets the FE acknowledge the request, and sends no RST on any wire', () => {
    const fe = pcap('fe.eth0');
    expect(fe.filter((s) => s.src === VIP && (s.flags & SYN) === 0)).to.have.length(0);
    for (const f of ['client1.eth0', 'fe.eth0', 'fe.eth1', 'be2.eth0', 'be2.eth1', 'router.eth0', 'router.eth1']) {
      expect(segments(join(out, `${f}.pcap`)).filter((s) => (s.flags & RST) !== 0), f).to.have.length(0);
    }
  });

  it('carries HANDOFF_REQ, HANDOFF_ACK and TERMINATE with the quoted numbers on the control channel', () => {
    const frames = controlFrames(new Uint8Array(readFileSync(join(out, 'fe.eth1.pcap')))).filter((l) => l.msg.type !== 'HEARTBEAT' && l.msg.type !== 'HELLO');
    expect(frames.map((l) => l.msg.type)).to.deep.equal(['HANDOFF_REQ', 'HANDOFF_ACK', 'TERMINATE']);
    const [req, ack, term] = frames as [typeof frames[0], typeof frames[0], typeof frames[0]];
    expect(req.msg).to.deep.include({ connId: 1, clientIsn: 180952318, feIsn: ISN_FE, feTsNow: 3758245074 });
    expect(req.t).to.equal(30_347_808);
    expect(ack.reply).to.equal(true);
    expect(ack.id).to.equal(req.id);
    expect(ack.msg).to.deep.include({ connId: 1, beIsn: ISN_BE });
    expect(term.msg).to.deep.include({ connId: 1, reason: 'fin' });
    expect(term.t).to.equal(3_051_202_032);
  });

  it("has be2 answer as the VIP, in the FE's sequence space, with no SYN on its wire", () => {
    const be2 = pcap('be2.eth0');
    expect(be2.filter((s) => (s.flags & SYN) !== 0)).to.have.length(0);
    const out2 = be2.filter((s) => s.dst === CLIENT);
    expect(out2.length).to.be.greaterThan(3);
    for (const s of out2) expect(s.src).to.equal(VIP);
    expect(out2.find((s) => s.payload.length > 0)!.seq).to.equal(ISN_FE + 1);
    expect((ISN_BE - ISN_FE) >>> 0).to.equal(DELTA);
  });

  it('forwards each client packet to be2 with the ack moved by seqDelta and TSecr by tsDelta', () => {
    const fe = pcap('fe.eth0').filter((s) => s.src === CLIENT && s.t > 50_000_000);
    const arrived = fe.filter((s) => s.dst === VIP);
    const forwarded = fe.filter((s) => s.dst === BE2);
    expect(forwarded).to.have.length(arrived.length);
    expect(arrived.length).to.equal(4);
    arrived.forEach((a, i) => {
      const f = forwarded[i]!;
      expect(f.seq).to.equal(a.seq);
      expect(f.ack).to.equal((a.ack + DELTA) >>> 0);
      expect(f.flags & FIN).to.equal(a.flags & FIN);
    });
    expect(forwarded[0]!.ack).to.equal(2543351537);
    expect(timestamps(arrived[0]!)!.ecr).to.equal(3758245074);
    expect(timestamps(forwarded[0]!)!.ecr).to.equal((3758245074 - TS_DELTA) >>> 0);
    expect(timestamps(forwarded[0]!)!.ecr).to.equal(3459633482);
  });

  it('prints the control frames and the trace lines quoted on the page', () => {
    const lines = controlFrames(new Uint8Array(readFileSync(join(out, 'fe.eth1.pcap'))))
      .filter((l) => l.msg.type !== 'HEARTBEAT' && l.msg.type !== 'HELLO')
      .map((l) => formatControlLine(l));
    expect(lines).to.deep.equal([
      '0.030348 203.0.113.130:33572 > 203.0.113.132:7070 HANDOFF_REQ id 4  conn 1 client 198.51.100.10:42929 -> 192.0.2.12:80 clientIsn 180952318 feIsn 2230179049 feTsNow 3758245074 + SYN, ACK, 1 request segment(s)',
      '0.030555 203.0.113.132:7070 > 203.0.113.130:33572 HANDOFF_ACK (reply) id 4  conn 1 beIsn 2543350088 beTsVal 3459633482',
      '3.051202 203.0.113.132:7070 > 203.0.113.130:33572 TERMINATE id 6  conn 1 reason fin',
    ]);
    const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').split('\n');
    expect(trace).to.include('{"t":30453616,"ev":"streams.push","host":"be2","stream":"tcp:sock","module":"utcp","index":0}');
    expect(trace).to.include('{"t":30453616,"ev":"streams.push","host":"be2","stream":"tcp:sock","module":"sockmod","index":0}');
  });

  it('has in its trace every handoff step line quoted under "The steps inside the hosts", and no other for that client', () => {
    const page = readFileSync(join(LABS, '..', 'walkthrough.md'), 'utf8');
    const section = page.slice(page.indexOf('## The steps inside the hosts'), page.indexOf('## Limits of this view'));
    const quoted = section.split('\n').filter((l) => l.startsWith('{"t":'));
    expect(quoted).to.have.length(16);
    const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').split('\n');
    for (const l of quoted) expect(trace, l.slice(0, 60)).to.include(l);
    const forClient = trace.filter((l) => l.includes('"client":"198.51.100.10:42929"'));
    expect(forClient).to.deep.equal(quoted.filter((l) => l.includes('"client":"198.51.100.10:42929"')));
  });

  it('counts what step 7 quotes with the syncount module above BTCP and at be2\'s interface', async () => {
    const r = await countSyns(join(LABS, 'one-connection.json'), {
      pushes: ['fe:tcp-lower:./modules/examples/syncount.ts@1ms', 'be2:tcp-lower:./modules/examples/syncount.ts@1ms', 'be2:eth0:./modules/examples/syncount.ts@1ms'],
    });
    const at = (h: string, p: string) => r.readings.find((x) => x.host === h && x.at === p)!.counts;
    expect(at('fe', 'tcp-lower')).to.deep.equal({ synIn: 2, synAckIn: 0, rstIn: 1, synOut: 0, synAckOut: 2, rstOut: 0 });
    expect(at('be2', 'tcp-lower')).to.deep.equal({ synIn: 1, synAckIn: 0, rstIn: 0, synOut: 0, synAckOut: 1, rstOut: 0 });
    expect(at('be2', 'eth0')).to.deep.equal({ synIn: 0, synAckIn: 0, rstIn: 0, synOut: 0, synAckOut: 0, rstOut: 0 });
  });

  it("maps be2's clock onto the FE's: the first response's TSval is feTsNow", () => {
    const first = pcap('be2.eth0').find((s) => s.dst === CLIENT)!;
    expect(timestamps(first)!.val).to.equal(3758245074);
  });
});
