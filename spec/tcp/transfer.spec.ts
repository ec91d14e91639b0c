import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { tcpOptionsLen } from '../../lib/wire/tcp-options.ts';
import { freebsdProfile } from '../../modules/tcp/profiles/freebsd.ts';
import { linuxProfile } from '../../modules/tcp/profiles/linux.ts';
import type { TcpProfile } from '../../modules/tcp/profile.ts';
import { tuneProfile } from '../../modules/tcp/profile.ts';
import type { TcpEndpoint } from '../../modules/tcp/endpoint.ts';
import { A, B, openPair } from './support/conn.ts';
import { TestNet, bytes } from './support/net.ts';

/** Write all of `data` as the send buffer allows. */
function pump(net: TestNet, ep: TcpEndpoint, data: Uint8Array, then?: () => void): void {
  let off = 0;
  const push = (): void => {
    while (off < data.length) {
      const n = ep.send(data.subarray(off, Math.min(data.length, off + 65536)), net.now);
      if (n <= 0) return;
      off += n;
    }
    then?.();
    then = undefined;
  };
  const prev = ep.handler;
  ep.handler = Object.assign(Object.create(prev), { writable: () => push() });
  push();
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function transfer(profile: TcpProfile, size: number, faults: { loss?: number; reorder?: number; duplicate?: number }, seed = 1) {
  const net = new TestNet(seed);
  net.capture = false;
  const a = net.addHost(A, profile);
  const b = net.addHost(B, profile);
  const p = openPair(net, a, b);
  net.loss = faults.loss ?? 0;
  net.reorder = faults.reorder ?? 0;
  net.duplicate = faults.duplicate ?? 0;
  const up = bytes(size, 11);
  const down = bytes(size, 13);
  pump(net, p.client, up, () => p.client.shutdown(net.now));
  pump(net, p.server, down, () => p.server.shutdown(net.now));
  const ok = net.runUntil(() => p.s.received.length === size && p.c.received.length === size && p.c.events.includes('peerClosed') && p.s.events.includes('peerClosed'), 600 * SEC);
  return { net, p, a, b, ok, up, down };
}

describe('tcp data transfer', () => {
  for (const profile of [linuxProfile, freebsdProfile]) {
    it(`moves 1 MB each way intact on a clean path (${profile.name})`, () => {
      const { p, ok, up, down } = transfer(profile, 1 << 20, {});
      expect(ok).to.equal(true);
      expect(equal(p.s.received, up)).to.equal(true);
      expect(equal(p.c.received, down)).to.equal(true);
    });

    it(`moves 300 kB each way intact under 5% loss, reordering and duplication (${profile.name})`, () => {
      const { p, ok, up, down, a } = transfer(profile, 300_000, { loss: 0.05, reorder: 0.05, duplicate: 0.01 }, 3);
      expect(ok).to.equal(true);
      expect(equal(p.s.received, up)).to.equal(true);
      expect(equal(p.c.received, down)).to.equal(true);
      expect(a.mib.RetransSegs).to.be.greaterThan(0);
    });

    it(`recovers without SACK under 5% loss (NewReno, ${profile.name})`, () => {
      const { p, ok, up, down, a } = transfer(tuneProfile(profile, { sack: false }), 300_000, { loss: 0.05 }, 4);
      expect(ok).to.equal(true);
      expect(equal(p.s.received, up)).to.equal(true);
      expect(equal(p.c.received, down)).to.equal(true);
      expect(a.mib.TCPRenoRecovery).to.be.greaterThan(0);
    });
  }

  it('shrinks the data of a segment that carries SACK blocks so the packet fits the MTU (RFC 6691)', () => {
    const net = new TestNet(9);
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    const p = openPair(net, a, b);
    net.loss = 0.05;
    pump(net, p.client, bytes(200_000, 1));
    pump(net, p.server, bytes(200_000, 2));
    net.run(30 * SEC);
    expect(p.s.received.length).to.equal(200_000);
    const withSack = net.log.filter((c) => c.seg.payload.length > 0 && c.seg.options.some((o) => o.kind === 'sack'));
    expect(withSack.length).to.be.greaterThan(0);
    for (const c of net.log) {
      const hdr = 20 + ((tcpOptionsLen(c.seg.options) + 3) & ~3);
      expect(20 + hdr + c.seg.payload.length).to.be.at.most(1500);
    }
  });

  it('segments writes to the MSS and sets PSH on the last segment of the buffer', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    net.clearLog();
    p.client.send(bytes(4000), net.now);
    const data = net.from(A).filter((c) => c.seg.payload.length > 0);
    expect(data.map((c) => c.seg.payload.length)).to.deep.equal([1448, 1448, 1104]);
    expect(data.map((c) => (c.seg.flags & TcpFlag.PSH) !== 0)).to.deep.equal([false, false, true]);
  });
});

/** The MSS both ends of openPair settle on (TestNet's 1500-byte MTU, timestamps on). */
function openPairMss(): number {
  const net = new TestNet();
  const p = openPair(net, net.addHost(A, freebsdProfile), net.addHost(B, freebsdProfile));
  return p.client.sndMss;
}

describe('tcp Nagle and delayed ACK', () => {
  it('holds a small segment while data is unacknowledged (Nagle, RFC 9293 §3.7.4)', () => {
    const net = new TestNet();
    const a = net.addHost(A, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const b = net.addHost(B, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const p = openPair(net, a, b);
    net.clearLog();
    p.client.send(bytes(100), net.now);
    p.client.send(bytes(100), net.now);
    expect(net.from(A).filter((c) => c.seg.payload.length > 0)).to.have.length(1);
    net.run(100 * MS);
    const sent = net.from(A).filter((c) => c.seg.payload.length > 0);
    expect(sent).to.have.length(2);
    // The second went only after the (delayed, 40 ms) ACK of the first came back.
    expect(sent[1]!.t).to.be.at.least(40 * MS);
  });

  it("sends a write's short tail at once when the connection was idle at the call (BSD tcp_output idle test), then holds the next small write", () => {
    const run = (profile: TcpProfile) => {
      const net = new TestNet();
      const a = net.addHost(A, profile);
      const b = net.addHost(B, profile);
      const p = openPair(net, a, b);
      net.clearLog();
      p.client.send(bytes(2000), net.now);
      const first = net.from(A).filter((c) => c.seg.payload.length > 0).map((c) => c.seg.payload.length);
      p.client.send(bytes(100), net.now);
      const second = net.from(A).filter((c) => c.seg.payload.length > 0).length;
      return { first, second };
    };
    const mss = openPairMss();
    expect(run(freebsdProfile)).to.deep.equal({ first: [mss, 2000 - mss], second: 2 });
    // Idleness judged per segment: the tail waits for the ACK of the full segment before it.
    expect(run(tuneProfile(freebsdProfile, { nagleIdlePerCall: false }))).to.deep.equal({ first: [mss], second: 1 });
  });

  it('sends small segments at once with TCP_NODELAY', () => {
    const net = new TestNet();
    const a = net.addHost(A);
    const b = net.addHost(B);
    const p = openPair(net, a, b);
    p.client.setNoDelay(true, net.now);
    net.clearLog();
    p.client.send(bytes(100), net.now);
    p.client.send(bytes(100), net.now);
    expect(net.from(A).filter((c) => c.seg.payload.length > 0)).to.have.length(2);
  });

  it('delays the ACK of a lone segment by the delayed-ACK time (RFC 5681 §4.2)', () => {
    const net = new TestNet();
    const a = net.addHost(A, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const b = net.addHost(B, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const p = openPair(net, a, b);
    net.clearLog();
    const t0 = net.now;
    p.client.send(bytes(100), net.now);
    net.run(100 * MS);
    const acks = net.from(B, TcpFlag.ACK);
    expect(acks).to.have.length(1);
    expect(acks[0]!.t - t0).to.equal(1 * MS + 40 * MS);
    expect(b.mib.DelayedACKs).to.equal(1);
  });

  it('acknowledges every second full-sized segment at once', () => {
    const net = new TestNet();
    const a = net.addHost(A, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const b = net.addHost(B, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const p = openPair(net, a, b);
    net.clearLog();
    p.client.send(bytes(1448 * 4), net.now);
    net.run(5 * MS);
    const acks = net.from(B, TcpFlag.ACK);
    expect(acks).to.have.length(2);
    expect(acks.every((c) => c.t === acks[0]!.t)).to.equal(true);
  });

  it('acknowledges each segment at once during Linux quick-ack at connection start', () => {
    const net = new TestNet();
    const a = net.addHost(A, linuxProfile);
    const b = net.addHost(B, linuxProfile);
    const p = openPair(net, a, b);
    net.clearLog();
    p.client.send(bytes(100), net.now);
    net.run(5 * MS);
    expect(net.from(B, TcpFlag.ACK)).to.have.length(1);
    expect(net.from(B, TcpFlag.ACK)[0]!.t).to.equal(net.from(A)[0]!.t + 1 * MS);
  });

  it('acknowledges an out-of-order segment at once with a SACK block (RFC 5681 §4.2, RFC 2018 §4)', () => {
    const net = new TestNet();
    const a = net.addHost(A, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const b = net.addHost(B, tuneProfile(linuxProfile, { quickAckSegments: 0 }));
    const p = openPair(net, a, b);
    net.clearLog();
    let n = 0;
    net.dropIf = (c) => c.seg.payload.length > 0 && n++ === 0;
    p.client.setNoDelay(true, net.now);
    p.client.send(bytes(100), net.now);
    p.client.send(bytes(100), net.now);
    net.run(2 * MS);
    const ack = net.from(B, TcpFlag.ACK)[0]!.seg;
    const sack = ack.options.find((o) => o.kind === 'sack');
    expect(ack.ack).to.equal(p.client.sndUna);
    expect(sack).to.deep.equal({ kind: 'sack', blocks: [{ left: (p.client.sndUna + 100) >>> 0, right: (p.client.sndUna + 200) >>> 0 }] });
  });
});
