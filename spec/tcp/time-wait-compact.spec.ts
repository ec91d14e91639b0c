import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seqAdd, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import type { TcpProfile } from '../../modules/tcp/profile.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import type { TcpStack } from '../../modules/tcp/stack.ts';
import { TcpState } from '../../modules/tcp/state.ts';
import { copyTimeWaitFields, freeze, thaw, type TimeWaitFields } from '../../modules/tcp/time-wait.ts';
import { A, B, openPair } from './support/conn.ts';
import { bytes, TestNet } from './support/net.ts';

/** What the TIME-WAIT side of a connection holds now, as seen through the stack's listing. */
function states(stack: TcpStack): string[] {
  return [...stack.connections()].map((ep) => `${ep.localPort}>${ep.remotePort}:${ep.stateName}`);
}

interface Run {
  wire: string[];
  seen: string[][];
  compacted: number;
}

/**
 * One scripted life of a connection whose server side ends in TIME-WAIT, then a series of
 * segments crafted at that TIME-WAIT (a retransmitted FIN, an old duplicate, data, a stale
 * timestamp, a RST when asked), then 2*MSL. Returns every segment on the wire with its time,
 * and the listing of the server's connections after each step.
 */
function life(profile: TcpProfile, compact: boolean, withRst: boolean): Run {
  const net = new TestNet(`tw-compact/${profile.name}`);
  net.compactTimeWait = compact;
  const a = net.addHost(A, profile);
  const b = net.addHost(B, profile);
  const p = openPair(net, a, b);
  p.client.send(bytes(3000), net.now);
  net.run(20 * MS);
  p.server.send(bytes(5000, 3), net.now);
  net.run(20 * MS);
  // The server closes first, so it is the one in TIME-WAIT.
  p.server.close(net.now);
  net.run(5 * MS);
  p.client.close(net.now);
  net.run(20 * MS);
  const seen = [states(b)];
  // From here the client host hears nothing (its RST for the TIME-WAIT side's ACKs would
  // end TIME-WAIT at the first step); what B sends is still captured.
  net.dropIf = (c) => c.src === ipv4(B);
  const lastFromA = net.from(A, TcpFlag.FIN).at(-1)!.seg;
  const ts = lastFromA.options.find((o): o is Extract<TcpOption, { kind: 'ts' }> => o.kind === 'ts');
  const at = (seq: Seq, flags: number, len = 0, tsVal = ts?.val): TcpRepr => ({
    srcPort: lastFromA.srcPort,
    dstPort: lastFromA.dstPort,
    seq,
    ack: lastFromA.ack,
    flags,
    window: lastFromA.window,
    urgent: 0,
    options: ts && tsVal !== undefined ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: tsVal, ecr: ts.ecr }] : [],
    payload: bytes(len, 9),
  });
  const steps: TcpRepr[] = [
    at(lastFromA.seq, TcpFlag.FIN | TcpFlag.ACK, 0, ts ? ts.val + 5 : undefined), // retransmitted FIN
    at(seqAdd(lastFromA.seq, -1000), TcpFlag.ACK, 100), // old data
    at(seqAdd(lastFromA.seq, 1), TcpFlag.ACK, 0, ts ? ts.val - 100 : undefined), // stale timestamp
    at(seqAdd(lastFromA.seq, 50_000), TcpFlag.ACK, 10), // beyond the window
  ];
  if (withRst) steps.push(at(seqAdd(lastFromA.seq, 1), TcpFlag.RST, 0));
  for (const seg of steps) {
    net.run(1 * SEC);
    net.deliver(ipv4(A), ipv4(B), seg);
    net.run(10 * MS);
    seen.push(states(b));
  }
  net.run(61 * SEC);
  seen.push(states(b), [`connections ${b.connectionCount}`]);
  const wire = net.log.map((c) => `${c.t} ${c.src}>${c.dst} ${JSON.stringify(c.seg, (_k, v: unknown) => (v instanceof Uint8Array ? v.length : v))}`);
  return { wire, seen, compacted: b.timeWaitCompacted };
}

describe('tcp: compact TIME-WAIT (time-wait.ts)', () => {
  for (const profile of [linuxProfile, freebsdProfile]) {
    for (const withRst of [false, true]) {
      it(`behaves on the wire exactly as the full TCB does (${profile.name}${withRst ? ', RST in TIME-WAIT' : ''})`, () => {
        const full = life(profile, false, withRst);
        const compact = life(profile, true, withRst);
        expect(full.compacted).to.equal(0);
        // Every segment to the record thaws it, and it is compacted again afterwards.
        expect(compact.compacted).to.be.greaterThan(1);
        expect(compact.seen).to.deep.equal(full.seen);
        expect(compact.wire).to.deep.equal(full.wire);
        // The crafted segments met the TIME-WAIT connection, not an empty table.
        expect(full.seen.slice(0, 5).every((l) => l.length === 1 && l[0]!.endsWith('TIME-WAIT'))).to.equal(true);
        expect(full.seen.at(-1)).to.deep.equal(['connections 0']);
      });
    }
  }

  it('lets a new SYN take over a compacted TIME-WAIT connection (RFC 6191)', () => {
    const net = new TestNet('tw-compact/reuse');
    net.compactTimeWait = true;
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    const port = p.client.localPort;
    p.server.close(net.now);
    net.run(5 * MS);
    p.client.close(net.now);
    net.run(10 * MS);
    expect(b.timeWaitCompacted).to.equal(1);
    net.run(1 * SEC);
    const c2 = a.connect({ localAddr: ipv4(A), localPort: port, remoteAddr: ipv4(B), remotePort: 80 }, net.now);
    if (typeof c2 === 'string') throw new Error(c2);
    net.run(2 * SEC);
    expect(c2.state).to.equal(TcpState.ESTABLISHED);
    expect(b.mib.TCPTimeWaitReuse).to.equal(1);
  });

  it('keeps an endpoint whose user has not closed it (no compaction without an orphan)', () => {
    const net = new TestNet('tw-compact/open');
    net.compactTimeWait = true;
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.server.shutdown(net.now);
    net.run(5 * MS);
    p.client.close(net.now);
    net.run(10 * MS);
    expect(p.server.state).to.equal(TcpState.TIME_WAIT);
    expect(b.timeWaitCompacted).to.equal(0);
    net.run(61 * SEC);
    expect(p.server.state).to.equal(TcpState.CLOSED);
  });

  it('thaws a record into an endpoint equal in every kept field', () => {
    const net = new TestNet('tw-compact/fields');
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.server.send(bytes(4000), net.now);
    net.run(20 * MS);
    p.server.close(net.now);
    net.run(5 * MS);
    p.client.close(net.now);
    net.run(10 * MS);
    const ep = p.server;
    expect(ep.state).to.equal(TcpState.TIME_WAIT);
    const back = thaw(b, freeze(ep));
    const kept = {} as TimeWaitFields;
    const again = {} as TimeWaitFields;
    copyTimeWaitFields(kept, ep);
    copyTimeWaitFields(again, back);
    expect(again).to.deep.equal(kept);
    expect(Object.keys(kept).length).to.equal(32);
    expect(back.state).to.equal(TcpState.TIME_WAIT);
    expect(back.orphan).to.equal(true);
  });
});
