/**
 * Lab 4 (docs/labs/04-sack): a lossy link to the client; the SACK blocks of the client's ACKs are
 * rewritten into the back end's sequence space by the front end, and everything still checks.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlFrames } from '../../docs/labs/tools/control-frames.ts';
import type { RunSummary } from '../../harness/scenario/summary.ts';
import { badChecksums, handoffRun, LABS, sackBlocks, segments, tempOut, timestamps } from './support.ts';

const VIP = '203.0.113.10';
const BE3 = '192.0.2.13';

describe('lab 4: SACK blocks across a handoff (lossy client link)', function () {
  this.timeout(30_000);
  let out: string;
  let sum: RunSummary;
  let delta: number;

  before(async () => {
    out = tempOut('sack');
    sum = await handoffRun(join(LABS, '04-sack', 'lossy.json'), out);
    const ctl = controlFrames(new Uint8Array(readFileSync(join(out, 'fe.eth1.pcap'))));
    const req = ctl.find((l) => l.msg.type === 'HANDOFF_REQ')!.msg as { feIsn: number };
    const ack = ctl.find((l) => l.msg.type === 'HANDOFF_ACK')!.msg as { beIsn: number };
    delta = (ack.beIsn - req.feIsn) >>> 0;
  });

  it('delivers the whole megabyte from be3 although packets to the client were lost', () => {
    expect(sum.workload).to.deep.include({ requestsDone: 1, requestsFailed: 0, bytes: 1048576 });
    expect(sum.workload?.served).to.deep.equal({ be3: 1 });
    const toClient = sum.links.find((l) => l.name === 'public:client1:switch>client1')!;
    expect(toClient.lost).to.equal(13); // the figure quoted in the lab text
    expect(toClient.sent).to.equal(740);
  });

  it('forwards every SACK-carrying ACK with its blocks moved by seqDelta', () => {
    const fe = segments(join(out, 'fe.eth0.pcap')).filter((s) => s.src === '198.51.100.10');
    const arrived = fe.filter((s) => s.dst === VIP && sackBlocks(s).length > 0);
    const forwarded = fe.filter((s) => s.dst === BE3 && sackBlocks(s).length > 0);
    expect(arrived.length).to.equal(167);
    expect(delta).to.equal(1942666148);
    expect(forwarded).to.have.length(arrived.length);
    arrived.forEach((a, i) => {
      const f = forwarded[i]!;
      expect(f.t).to.equal(a.t);
      expect(f.ack).to.equal((a.ack + delta) >>> 0);
      expect(sackBlocks(f)).to.deep.equal(sackBlocks(a).map(([l, r]) => [(l + delta) >>> 0, (r + delta) >>> 0]));
      expect(f.seq, "the client's own sequence space is never touched").to.equal(a.seq);
      expect(timestamps(f)!.val).to.equal(timestamps(a)!.val);
    });
  });

  it('sends the retransmissions from be3 with the VIP as source', () => {
    const be3 = segments(join(out, 'be3.eth0.pcap')).filter((s) => s.dst === '198.51.100.10' && s.payload.length > 0);
    const seen = new Set<number>();
    let again = 0;
    for (const s of be3) {
      expect(s.src).to.equal(VIP);
      if (seen.has(s.seq)) again++;
      seen.add(s.seq);
    }
    expect(again).to.be.greaterThan(0);
  });

  it('keeps every IP and TCP checksum right on every rewritten path', () => {
    for (const f of ['client1.eth0', 'fe.eth0', 'be3.eth0']) expect(badChecksums(join(out, `${f}.pcap`)), f).to.equal(0);
  });
});
