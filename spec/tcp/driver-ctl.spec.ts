import { expect } from 'chai';
import {
  defineModule,
  INFPSZ,
  M_CTL,
  mkctl,
  putnext,
  esballoc,
  type Mblk,
  type ModuleInfo,
  type Queue,
  type StreamTab,
} from '../../lib/streams/index.ts';
import { MS } from '../../lib/sim/time.ts';
import { World } from '../../harness/world/world.ts';
import { socketCalls } from '../../harness/sockets/syscalls.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { encodeIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { attachTcp } from '../../modules/tcp/driver/setup.ts';
import { TCP_IOC_CTL_SUBSCRIBE, TCP_IOC_DROP, TCP_IOC_MIB, TCP_IOC_SOCKETS, type TcpSocketRow } from '../../modules/tcp/driver/ioctl.ts';
import { A, B, now } from './support/world.ts';

/** A module that records the M_CTL messages passing it and lets a spec inject messages. */
interface Probe {
  seenDown: unknown[];
  seenUp: unknown[];
  rq: Queue | null;
  wq: Queue | null;
}
const probeInfo: ModuleInfo = { id: 9999, name: 'tcpprobe', minpsz: 0, maxpsz: INFPSZ, hiwat: 65536, lowat: 1024 };
const probeTab: StreamTab = {
  rdinit: {
    put(q: Queue, mp: Mblk) {
      const p = q.ptr as Probe;
      if (mp.db.type === M_CTL) p.seenUp.push(mp.db.proto);
      putnext(q, mp);
    },
    open(q, ctx) {
      const p = ctx.args as Probe;
      q.ptr = q.other.ptr = p;
      p.rq = q;
      p.wq = q.other;
    },
    minfo: probeInfo,
  },
  wrinit: {
    put(q: Queue, mp: Mblk) {
      const p = q.ptr as Probe;
      if (mp.db.type === M_CTL) p.seenDown.push(mp.db.proto);
      putnext(q, mp);
    },
    minfo: probeInfo,
  },
};
const probeDef = defineModule(probeTab, 'spec probe');

function world() {
  const w = new World({ seed: 3 });
  w.network('net', { kind: 'p2p', latency: 1 * MS });
  w.host('a');
  w.host('b');
  w.attach('a', 'net', `${A}/24`);
  w.attach('b', 'net', `${B}/24`);
  const hb = w.getHost('b').stack;
  const ha = w.getHost('a').stack;
  if (!hb.env.registry.has('tcpprobe')) hb.env.registry.register(probeDef);
  const below: Probe = { seenDown: [], seenUp: [], rq: null, wq: null };
  const ip = hb.openIp('tcp-ip');
  ip.push('tcpprobe', below);
  const tb = attachTcp(hb.env, ip);
  const ta = attachTcp(ha.env, ha.openIp('tcp-ip'));
  return { w, below, tb, ta, sa: socketCalls(ha.env), sb: socketCalls(hb.env), hb };
}

describe('tcp driver: pass-through and robustness', () => {
  it('passes M_CTL from above down to the IP stream untouched', () => {
    const t = world();
    const above: Probe = { seenDown: [], seenUp: [], rq: null, wq: null };
    const s = t.hb.env.open('tcp', { clone: true });
    s.push('tcpprobe', above);
    putnext(above.wq!, mkctl({ kind: 'handoff-note', n: 1 }));
    expect(t.below.seenDown).to.deep.equal([{ kind: 'handoff-note', n: 1 }]);
  });

  it('passes M_CTL from below up to the streams that subscribed (TCP_IOC_CTL_SUBSCRIBE)', () => {
    const t = world();
    const above: Probe = { seenDown: [], seenUp: [], rq: null, wq: null };
    const other: Probe = { seenDown: [], seenUp: [], rq: null, wq: null };
    const s = t.hb.env.open('tcp', { clone: true });
    s.push('tcpprobe', above);
    const s2 = t.hb.env.open('tcp', { clone: true });
    s2.push('tcpprobe', other);
    expect(s.ioctlSync(TCP_IOC_CTL_SUBSCRIBE, true).ok).to.equal(true);
    putnext(t.below.rq!, mkctl({ kind: 'from-btcp' }));
    expect(above.seenUp).to.deep.equal([{ kind: 'from-btcp' }]);
    expect(other.seenUp).to.deep.equal([]);
  });

  it('counts and drops a segment with a bad TCP checksum (InCsumErrors)', () => {
    const t = world();
    const bytes = encodeIpv4Tcp(
      { src: ipv4(A), dst: ipv4(B) },
      { srcPort: 1000, dstPort: 80, seq: 1 as never, ack: 0 as never, flags: TcpFlag.SYN, window: 1000, urgent: 0, options: [], payload: new Uint8Array([1, 2, 3]) },
    );
    bytes[bytes.length - 1] ^= 0xff;
    putnext(t.below.rq!, esballoc(bytes));
    const mib = t.tb.ctl.ioctlSync(TCP_IOC_MIB, null);
    const m = mib.ok ? (mib.data as Record<string, number>) : {};
    expect(m.InCsumErrors).to.equal(1);
    expect(m.InErrs).to.equal(1);
    expect(m.InSegs).to.equal(0);
  });

  it('reports a reset connection to the socket as ECONNRESET (T_DISCON_IND), and tcpdrop sends the RST', () => {
    const t = world();
    const lfd = now(t.sb.socket()).ret;
    now(t.sb.bind(lfd, { addr: B, port: 80 }));
    now(t.sb.listen(lfd, 4));
    const cfd = now(t.sa.socket()).ret;
    t.sa.connect(cfd, { addr: B, port: 80 });
    const acc = t.sb.accept(lfd);
    t.w.runFor(50 * MS);
    expect(now(acc).ret).to.be.greaterThan(0);
    const rows = t.ta.ctl.ioctlSync(TCP_IOC_SOCKETS, null);
    const row = (rows.ok ? (rows.data as TcpSocketRow[]) : []).find((r) => r.state === 'ESTABLISHED')!;
    expect(row.streamId).to.be.a('number');
    expect(t.ta.ctl.ioctlSync(TCP_IOC_DROP, { local: row.local, remote: row.remote }).ok).to.equal(true);
    t.w.runFor(50 * MS);
    const r = now(t.sb.read(now(acc).ret, 10));
    expect(r.errno).to.equal('ECONNRESET');
    expect(now(t.sa.write(cfd, new Uint8Array(1))).errno).to.be.oneOf(['EPIPE', 'ECONNABORTED', 'ECONNRESET']);
  });
});
