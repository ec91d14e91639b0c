/**
 * Lab 1 (docs/labs/01-syncount): the syncount module, and the observations the lab asks for,
 * made on the lab's own scenario through the lab's own script (the `handoff run` code path).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSyns, type SynReading } from '../../docs/labs/01-syncount/count-syns.ts';
import { controlFrames } from '../../docs/labs/tools/control-frames.ts';
import { mkdata, msgbytes, Registry, StreamsEnv } from '../../lib/streams/index.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import type { Seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import loop from '../../modules/examples/loop.ts';
import syncount, { SYNCOUNT_GET, SYNCOUNT_RESET } from '../../modules/examples/syncount.ts';
import { ACK, LABS, RST, segments, SYN, tempOut, tsharkCount } from './support.ts';

const SCENARIO = join(LABS, '01-syncount', 'syncount.json');
const MODULE = './modules/examples/syncount.ts';
const PUSH_AT = 100_000_000; // @100ms, as in the lab text

function packet(flags: number): Uint8Array {
  return encodeIpv4Tcp(
    { src: ipv4('198.51.100.10'), dst: ipv4('203.0.113.10') },
    { srcPort: 40000, dstPort: 80, seq: 1 as Seq, ack: 0 as Seq, flags, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0) },
  );
}

function reading(rs: SynReading[], host: string, at: string): SynReading['counts'] {
  const r = rs.find((x) => x.host === host && x.at === at);
  if (r === undefined) throw new Error(`no reading at ${host} ${at}`);
  return r.counts;
}

describe('lab 1: the syncount module', () => {
  it('counts SYN, SYN/ACK and RST each way and passes every packet on untouched', () => {
    const reg = new Registry();
    reg.register(loop);
    reg.register(syncount);
    const env = new StreamsEnv({ registry: reg });
    const st = env.open('loop');
    st.push('syncount');
    for (const f of [TcpFlag.SYN, TcpFlag.SYN | TcpFlag.ACK, TcpFlag.ACK, TcpFlag.RST]) st.write(mkdata(packet(f)));
    env.runServices();
    const back: Uint8Array[] = [];
    for (let m = st.read(); m !== null; m = st.read()) back.push(msgbytes(m));
    expect(back.map((b) => b[33])).to.deep.equal([TcpFlag.SYN, TcpFlag.SYN | TcpFlag.ACK, TcpFlag.ACK, TcpFlag.RST]);
    const r = st.ioctlSync(SYNCOUNT_GET, null);
    expect(r).to.deep.equal({ ok: true, rval: 0, data: { synIn: 1, synAckIn: 1, rstIn: 1, synOut: 1, synAckOut: 1, rstOut: 1 } });
    st.ioctlSync(SYNCOUNT_RESET, null);
    expect((st.ioctlSync(SYNCOUNT_GET, null) as { data: unknown }).data).to.deep.include({ synIn: 0, synOut: 0 });
  });

  it('does not count what is not an IPv4 TCP packet', () => {
    const reg = new Registry();
    reg.register(loop);
    reg.register(syncount);
    const env = new StreamsEnv({ registry: reg });
    const st = env.open('loop');
    st.push('syncount');
    st.write(mkdata(new TextEncoder().encode('not a packet at all, but long enough to look like one')));
    env.runServices();
    expect((st.ioctlSync(SYNCOUNT_GET, null) as { data: Record<string, number> }).data.synIn).to.equal(0);
  });
});

describe('lab 1: counting SYNs in a live cluster', function () {
  this.timeout(60_000);
  let above: SynReading[];
  let below: SynReading[];
  let out: string;
  let handoffs: Record<string, number>;

  before(async () => {
    out = tempOut('syncount');
    const a = await countSyns(SCENARIO, {
      outDir: out,
      pushes: [`fe:tcp-lower:${MODULE}@100ms`, `be2:tcp-lower:${MODULE}@100ms`, `fe:eth0:${MODULE}@100ms`],
    });
    above = a.readings;
    handoffs = a.summary.cluster!.handoffs;
    // fe at start-up: it ends up below BTCP, which the cluster's daemon inserts at the top later.
    below = (await countSyns(SCENARIO, { pushes: [`fe:tcp-lower:${MODULE}`, `be2:tcp-lower/bottom:${MODULE}@100ms`] })).readings;
  });

  it("counts at the FE's tcp-lower exactly the client SYNs its capture shows after the push", () => {
    const wire = segments(join(out, 'fe.eth0.pcap')).filter((s) => (s.flags & (SYN | ACK)) === SYN && s.t >= PUSH_AT).length;
    expect(wire).to.be.greaterThan(0);
    expect(reading(above, 'fe', 'tcp-lower').synIn).to.equal(wire);
    expect(reading(above, 'fe', 'eth0').synIn).to.equal(wire);
    const ts = tsharkCount(join(out, 'fe.eth0.pcap'), 'tcp.flags.syn==1 && tcp.flags.ack==0 && frame.time_epoch >= 0.1');
    if (ts !== null) expect(ts).to.equal(wire);
  });

  it('counts fewer SYNs than the whole capture: the ones before the push were never seen', () => {
    const all = segments(join(out, 'fe.eth0.pcap')).filter((s) => (s.flags & (SYN | ACK)) === SYN).length;
    expect(reading(above, 'fe', 'tcp-lower').synIn).to.be.lessThan(all);
    expect(reading(below, 'fe', 'tcp-lower').synIn).to.equal(all);
  });

  it('gives the counts quoted in the lab text', () => {
    expect(reading(above, 'fe', 'tcp-lower')).to.deep.equal({ synIn: 25, synAckIn: 0, rstIn: 18, synOut: 0, synAckOut: 25, rstOut: 0 });
    expect(reading(above, 'be2', 'tcp-lower')).to.deep.equal({ synIn: 15, synAckIn: 0, rstIn: 0, synOut: 0, synAckOut: 15, rstOut: 0 });
    expect(reading(above, 'fe', 'eth0')).to.deep.equal({ synIn: 25, synAckIn: 0, rstIn: 0, synOut: 0, synAckOut: 25, rstOut: 0 });
    expect(handoffs).to.deep.equal({ be1: 2, be2: 19, be3: 3 });
    expect(segments(join(out, 'fe.eth0.pcap')).filter((s) => (s.flags & (SYN | ACK)) === SYN).length).to.equal(32);
  });

  it("sits below BTCP when pushed at start-up, and sees the FE's TCP open the three control channels", () => {
    expect(reading(below, 'fe', 'tcp-lower')).to.deep.include({ synOut: 3, synAckIn: 3, rstIn: 0 });
  });

  it('sees one RST going up per handoff above BTCP on the FE, none below it, none on the wire (claim 7)', () => {
    const fe = reading(above, 'fe', 'tcp-lower');
    const be2 = reading(above, 'be2', 'tcp-lower');
    const acks = controlFrames(new Uint8Array(readFileSync(join(out, 'fe.eth1.pcap')))).filter((l) => l.msg.type === 'HANDOFF_ACK' && l.t >= PUSH_AT);
    expect(fe.rstIn).to.be.greaterThan(0);
    expect(fe.rstIn).to.equal(acks.length);
    expect(fe.rstIn).to.be.lessThan(Object.values(handoffs).reduce((a, b) => a + b, 0));
    expect(be2.synIn).to.equal(acks.filter((l) => l.from.startsWith('203.0.113.132:')).length);
    expect(reading(below, 'fe', 'tcp-lower').rstIn).to.equal(0);
    expect(segments(join(out, 'fe.eth0.pcap')).filter((s) => (s.flags & RST) !== 0).length).to.equal(0);
  });

  it("sees the replayed SYNs and the swallowed SYN/ACKs above BTCP on a BE, while the BE's wire carries no SYN", () => {
    const top = reading(above, 'be2', 'tcp-lower');
    expect(top.synIn).to.be.greaterThan(0);
    expect(top.synIn).to.be.at.most(handoffs.be2!);
    expect(top.synAckOut).to.equal(top.synIn);
    expect(reading(below, 'be2', 'tcp-lower')).to.deep.include({ synIn: 0, synAckOut: 0 });
    expect(segments(join(out, 'be2.eth0.pcap')).filter((s) => (s.flags & SYN) !== 0).length).to.equal(0);
  });
});
