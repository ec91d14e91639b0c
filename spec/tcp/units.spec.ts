import { expect } from 'chai';
import fc from 'fast-check';
import { SeededRng } from '../../lib/sim/rng.ts';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seq, seqAdd, seqDiff, type Seq } from '../../lib/wire/seq.ts';
import { IsnGenerator } from '../../modules/tcp/isn.ts';
import { halfSipHash } from '../../modules/tcp/keyed-hash.ts';
import { SackScoreboard } from '../../modules/tcp/sack-scoreboard.ts';
import { SegmentQueue } from '../../modules/tcp/segment-queue.ts';
import { SendBuffer } from '../../modules/tcp/send-buffer.ts';
import { RecvBuffer } from '../../modules/tcp/recv-buffer.ts';
import { linuxProfile, linuxSysctlMap } from '../../modules/tcp/profiles/linux.ts';
import { freebsdProfile, freebsdSysctlMap } from '../../modules/tcp/profiles/freebsd.ts';
import { withSysctl, type TcpProfile } from '../../modules/tcp/profile.ts';

describe('tcp reassembly queue', () => {
  it('delivers every byte exactly once for any arrival order, overlap and duplication (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 60 })), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (pieces, base) => {
          const total = 260;
          const data = new Uint8Array(total).map((_, i) => (i * 7 + 3) & 0xff);
          const q = new SegmentQueue(1000);
          let rcvNxt = seq(base);
          const out: number[] = [];
          const arrive = (off: number, len: number): void => {
            const end = Math.min(total, off + len);
            const s = seqAdd(seq(base), off);
            // What the receiver does: in-order data is taken, the rest queued.
            if (seqDiff(s, rcvNxt) <= 0) {
              const skip = seqDiff(rcvNxt, s);
              if (skip < end - off) {
                for (let i = off + skip; i < end; i++) out.push(data[i]!);
                rcvNxt = seqAdd(seq(base), end);
              }
            } else {
              q.insert(s, data.subarray(off, end), false);
            }
            for (;;) {
              const n = q.pop(rcvNxt);
              if (!n) break;
              for (const b of n.data) out.push(b);
              rcvNxt = seqAdd(rcvNxt, n.data.length);
            }
          };
          for (const [off, len] of pieces) arrive(off, len);
          arrive(0, total);
          expect(out.length).to.equal(total);
          expect(Array.from(out)).to.deep.equal(Array.from(data));
          expect(q.isEmpty()).to.equal(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports the already-held part of a segment as a D-SACK range', () => {
    const q = new SegmentQueue(10);
    q.insert(seq(100), new Uint8Array(50), false);
    const r = q.insert(seq(120), new Uint8Array(50), false);
    expect(r.duplicate).to.deep.equal({ left: 120, right: 150 });
    expect(r.stored).to.equal(20);
    expect(q.blocks()).to.deep.equal([{ left: 100, right: 170 }]);
  });

  it('refuses pieces beyond its entry bound and says so', () => {
    const q = new SegmentQueue(2);
    q.insert(seq(100), new Uint8Array(10), false);
    q.insert(seq(200), new Uint8Array(10), false);
    const r = q.insert(seq(300), new Uint8Array(10), false);
    expect(r.dropped).to.equal(true);
    expect(q.size).to.equal(2);
  });

  it('keeps a FIN with the data it follows and hands it over in order', () => {
    const q = new SegmentQueue(10);
    q.insert(seq(110), new Uint8Array(10), true);
    expect(q.pop(seq(100))).to.equal(null);
    const e = q.pop(seq(110))!;
    expect(e.fin).to.equal(true);
    expect(e.data.length).to.equal(10);
  });
});

describe('tcp SACK scoreboard (RFC 6675)', () => {
  const mss = 1000;
  it('merges blocks, ignores blocks above SND.MAX and forgets what SND.UNA passes', () => {
    const b = new SackScoreboard(seq(0));
    b.update([{ left: seq(2000), right: seq(3000) }], seq(0), seq(0), seq(10000));
    b.update([{ left: seq(3000), right: seq(4000) }, { left: seq(9000), right: seq(11000) }], seq(0), seq(0), seq(10000));
    expect(b.blocks).to.deep.equal([{ left: 2000, right: 4000 }]);
    expect(b.sackedBytes).to.equal(2000);
    b.advance(seq(2500));
    expect(b.blocks).to.deep.equal([{ left: 2500, right: 4000 }]);
    expect(b.sackedBytes).to.equal(1500);
  });

  it('recognises a D-SACK block below the cumulative ACK or inside the second block (RFC 2883 §4)', () => {
    const b = new SackScoreboard(seq(0));
    expect(b.update([{ left: seq(0), right: seq(500) }], seq(1000), seq(1000), seq(5000)).dsack).to.equal(true);
    const u = b.update([{ left: seq(2100), right: seq(2200) }, { left: seq(2000), right: seq(3000) }], seq(1000), seq(1000), seq(5000));
    expect(u.dsack).to.equal(true);
    expect(b.blocks).to.deep.equal([{ left: 2000, right: 3000 }]);
  });

  it('marks a hole lost once DupThresh segments above it are SACKed, and NextSeg picks it', () => {
    const b = new SackScoreboard(seq(0));
    b.update([{ left: seq(1000), right: seq(3000) }], seq(0), seq(0), seq(5000));
    expect(b.isLost(seq(0), mss, 3)).to.equal(false);
    b.update([{ left: seq(1000), right: seq(4000) }], seq(0), seq(0), seq(5000));
    expect(b.isLost(seq(0), mss, 3)).to.equal(true);
    expect(b.nextLost(seq(0), mss, 3)).to.deep.equal({ seq: 0, len: 1000 });
    b.markRetransmitted(seq(0), 1000);
    expect(b.nextLost(seq(0), mss, 3)).to.equal(null);
  });

  it('computes pipe as unSACKed, not-lost octets plus retransmissions (RFC 6675 SetPipe)', () => {
    const b = new SackScoreboard(seq(0));
    b.update([{ left: seq(1000), right: seq(4000) }], seq(0), seq(0), seq(6000));
    // hole [0,1000) lost, [4000,6000) in flight.
    expect(b.pipe(seq(0), seq(6000), mss, 3)).to.equal(2000);
    b.markRetransmitted(seq(0), 1000);
    expect(b.pipe(seq(0), seq(6000), mss, 3)).to.equal(3000);
  });
});

describe('tcp buffers', () => {
  it('hands out segments as views when they lie in one chunk and copies across chunks', () => {
    const sb = new SendBuffer();
    const a = new Uint8Array([1, 2, 3, 4]);
    const b = new Uint8Array([5, 6, 7, 8]);
    sb.append(a);
    sb.append(b);
    const v = sb.slice(1, 2);
    expect(v.buffer).to.equal(a.buffer);
    expect(Array.from(sb.slice(2, 4))).to.deep.equal([3, 4, 5, 6]);
    sb.consume(3);
    expect(sb.length).to.equal(5);
    expect(Array.from(sb.slice(0, 5))).to.deep.equal([4, 5, 6, 7, 8]);
  });

  it('reads the receive buffer in order across partial reads', () => {
    const rb = new RecvBuffer();
    rb.append(new Uint8Array([1, 2, 3]));
    rb.append(new Uint8Array([4, 5]));
    expect(Array.from(rb.read(2)!)).to.deep.equal([1, 2]);
    const dst = new Uint8Array(10);
    expect(rb.readInto(dst)).to.equal(3);
    expect(Array.from(dst.subarray(0, 3))).to.deep.equal([3, 4, 5]);
    expect(rb.read(1)).to.equal(null);
  });
});

describe('tcp initial sequence numbers (RFC 6528)', () => {
  const l = ipv4('10.0.0.1');
  const r = ipv4('10.0.0.2');
  it('repeats exactly for the same seed, 4-tuple and time', () => {
    const a = new IsnGenerator(new SeededRng(5));
    const b = new IsnGenerator(new SeededRng(5));
    expect(a.isn(l, 1000, r, 80, 123 * MS, 64)).to.equal(b.isn(l, 1000, r, 80, 123 * MS, 64));
  });

  it('differs between secrets and between 4-tuples', () => {
    const a = new IsnGenerator(new SeededRng(5));
    const b = new IsnGenerator(new SeededRng(6));
    expect(a.isn(l, 1000, r, 80, 0, 64)).to.not.equal(b.isn(l, 1000, r, 80, 0, 64));
    expect(a.isn(l, 1000, r, 80, 0, 64)).to.not.equal(a.isn(l, 1001, r, 80, 0, 64));
  });

  it('advances with the clock term M: one per tick for the same 4-tuple', () => {
    const a = new IsnGenerator(new SeededRng(5));
    const i0 = a.isn(l, 1000, r, 80, 0, 4000);
    const i1 = a.isn(l, 1000, r, 80, 1 * SEC, 4000);
    expect(seqDiff(i1 as Seq, i0 as Seq)).to.equal(250_000);
  });

  it('computes HalfSipHash-2-4: reference vector for key 00..07 and the empty message', () => {
    expect(halfSipHash([0x03020100, 0x07060504], [])).to.equal(0x5b9f35a9);
  });

  it('computes HalfSipHash-2-4 as a keyed function (key changes every output)', () => {
    const h1 = halfSipHash([1, 2], [3, 4]);
    expect(h1).to.equal(halfSipHash([1, 2], [3, 4]));
    expect(h1).to.not.equal(halfSipHash([1, 3], [3, 4]));
    expect(h1).to.be.within(0, 2 ** 32 - 1);
  });
});

describe('tcp profiles and sysctl maps', () => {
  const get = (p: TcpProfile, k: keyof TcpProfile) => p[k];

  it('maps Linux sysctls onto profile fields and back', () => {
    let p = linuxProfile;
    const set = (name: string, v: string) => {
      const r = withSysctl(p, linuxSysctlMap, name, v);
      if (!r.ok) throw new Error(r.error);
      p = r.profile;
    };
    set('net.ipv4.tcp_sack', '0');
    set('net.ipv4.tcp_timestamps', '2');
    set('net.ipv4.tcp_rmem', '4096 87380 6291456');
    set('net.ipv4.tcp_invalid_ratelimit', '100');
    expect(get(p, 'sack')).to.equal(false);
    expect([p.timestamps, p.tsRandomOffset]).to.deep.equal([true, false]);
    expect(p.rcvBufDefault).to.equal(87380);
    expect(p.oowAckWindow).to.equal(100 * MS);
    expect(linuxSysctlMap['net.ipv4.tcp_rmem']!.show(p)).to.equal('4096\t87380\t6291456');
    expect(linuxSysctlMap['net.ipv4.tcp_timestamps']!.show(p)).to.equal('2');
    expect(linuxProfile.sack).to.equal(true);
  });

  it('maps FreeBSD sysctls (milliseconds) onto profile fields', () => {
    let p = freebsdProfile;
    for (const [n, v] of [['net.inet.tcp.msl', '15000'], ['net.inet.tcp.delayed_ack', '0'], ['net.inet.tcp.insecure_rst', '1'], ['net.inet.tcp.rfc1323', '3']]) {
      const r = withSysctl(p, freebsdSysctlMap, n!, v!);
      if (!r.ok) throw new Error(r.error);
      p = r.profile;
    }
    expect([p.msl, p.timeWait]).to.deep.equal([15 * SEC, 30 * SEC]);
    expect(p.delayedAck).to.equal(false);
    expect(p.rfc5961).to.equal(false);
    expect([p.windowScaling, p.timestamps]).to.deep.equal([false, true]);
  });

  it('ships FreeBSD tolerating missing timestamps (tolerate_missing_ts = 1) and Linux accepting them', () => {
    expect(freebsdProfile.dropMissingTs).to.equal(false);
    expect(freebsdSysctlMap['net.inet.tcp.tolerate_missing_ts']!.show(freebsdProfile)).to.equal('1');
    expect(linuxProfile.dropMissingTs).to.equal(false);
  });

  it('stores the FreeBSD sysctls the public suite sets first (ecn.enable, maxsockbuf) and takes hostcache.purgenow as an action', () => {
    let p = freebsdProfile;
    for (const [n, v] of [['net.inet.tcp.ecn.enable', '1'], ['kern.ipc.maxsockbuf', '4194304'], ['net.inet.tcp.hostcache.purgenow', '1']]) {
      const r = withSysctl(p, freebsdSysctlMap, n!, v!);
      if (!r.ok) throw new Error(r.error);
      p = r.profile;
    }
    expect([p.ecnMode, p.sockBufLimit]).to.deep.equal([1, 4194304]);
    expect(freebsdSysctlMap['net.inet.tcp.hostcache.purgenow']!.show(p)).to.equal('0');
    expect(withSysctl(p, freebsdSysctlMap, 'net.inet.tcp.ecn.enable', '3').ok).to.equal(false);
  });

  it('reports unknown names and bad values as typed errors', () => {
    expect(withSysctl(linuxProfile, linuxSysctlMap, 'net.ipv4.nope', '1')).to.deep.equal({ ok: false, error: 'unknown sysctl net.ipv4.nope' });
    const r = withSysctl(linuxProfile, linuxSysctlMap, 'net.ipv4.tcp_rmem', '1 2');
    expect(r.ok).to.equal(false);
  });

  it('names only existing profile fields in every sysctl entry', () => {
    for (const map of [linuxSysctlMap, freebsdSysctlMap]) {
      for (const [name, e] of Object.entries(map)) {
        for (const f of e.fields) expect(linuxProfile, name).to.have.property(f);
      }
    }
  });
});
