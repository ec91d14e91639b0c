/**
 * docs/walkthrough.md quotes one run of docs/labs/one-connection.json packet by packet. This
 * runs it through `handoff run` and checks every number and observation the page relies on;
 * when one fails, rerun the commands on the page and update it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlFrames } from '../../docs/labs/tools/control-frames.ts';
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

  it("maps be2's clock onto the FE's: the first response's TSval is feTsNow", () => {
    const first = pcap('be2.eth0').find((s) => s.dst === CLIENT)!;
    expect(timestamps(first)!.val).to.equal(3758245074);
  });
});
