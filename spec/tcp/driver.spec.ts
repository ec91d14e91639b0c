import { expect } from 'chai';
import { MS, SEC } from '../../lib/sim/time.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { parseIpv4Tcp } from '../../lib/wire/ipv4-tcp.ts';
import { parsePcap } from '../../lib/wire/pcap.ts';
import { TCP_IOC_MIB, TCP_IOC_SOCKETS, TCP_IOC_SYSCTL_GET, TCP_IOC_SYSCTL_SET, type TcpSocketRow } from '../../modules/tcp/driver/ioctl.ts';
import { A, B, dec, enc, now, tcpWorld } from './support/world.ts';

describe('tcp STREAMS driver (TPI over the real IP)', () => {
  it('connects, accepts, moves data both ways and closes through sockets', () => {
    const t = tcpWorld({ latency: 1 * MS });
    const lfd = now(t.sb.socket()).ret;
    expect(now(t.sb.bind(lfd, { addr: B, port: 80 })).ret).to.equal(0);
    expect(now(t.sb.listen(lfd, 8)).ret).to.equal(0);
    const cfd = now(t.sa.socket()).ret;
    const conn = t.sa.connect(cfd, { addr: B, port: 80 });
    const acc = t.sb.accept(lfd);
    t.w.runFor(100 * MS);
    expect(now(conn).ret).to.equal(0);
    const sfd = now(acc).ret;
    expect(sfd).to.be.greaterThan(0);
    expect(now(t.sa.write(cfd, enc('hello over emulated TCP'))).ret).to.equal(23);
    t.w.runFor(100 * MS);
    const r = now(t.sb.read(sfd, 100));
    expect(dec(r.data!)).to.equal('hello over emulated TCP');
    now(t.sb.write(sfd, enc('and back')));
    t.w.runFor(100 * MS);
    expect(dec(now(t.sa.read(cfd, 100)).data!)).to.equal('and back');
    now(t.sa.close(cfd));
    t.w.runFor(100 * MS);
    const eof = now(t.sb.read(sfd, 100));
    expect(eof.ret).to.equal(0);
    now(t.sb.close(sfd));
    t.w.runFor(100 * MS);
    const rows = t.ta.ctl.ioctlSync(TCP_IOC_SOCKETS, null);
    const states = (rows.ok ? (rows.data as TcpSocketRow[]) : []).map((x) => x.state);
    expect(states).to.deep.equal(['TIME-WAIT']);
  });

  it('refuses a connection to a closed port with ECONNREFUSED', () => {
    const t = tcpWorld({ latency: 1 * MS });
    const cfd = now(t.sa.socket()).ret;
    const conn = t.sa.connect(cfd, { addr: B, port: 81 });
    t.w.runFor(100 * MS);
    expect(now(conn).errno).to.equal('ECONNREFUSED');
  });

  it('puts valid IPv4 packets with correct TCP checksums on the wire (pcap)', () => {
    const t = tcpWorld({ latency: 1 * MS }, {}, 7, true);
    const lfd = now(t.sb.socket()).ret;
    now(t.sb.bind(lfd, { addr: B, port: 80 }));
    now(t.sb.listen(lfd, 8));
    const cfd = now(t.sa.socket()).ret;
    t.sa.connect(cfd, { addr: B, port: 80 });
    t.w.runFor(100 * MS);
    now(t.sa.write(cfd, new Uint8Array(3000)));
    t.w.runFor(100 * MS);
    const mib = t.tb.ctl.ioctlSync(TCP_IOC_MIB, null);
    const m = mib.ok ? (mib.data as Record<string, number>) : {};
    expect(m.InSegs).to.be.greaterThan(3);
    expect(m.InCsumErrors).to.equal(0);
    expect(m.InErrs).to.equal(0);
    const pcap = parsePcap(t.w.pcap('a', t.w.captures()[0]!.ifname));
    if (!pcap.ok) throw new Error(pcap.error);
    const segs = pcap.value.records.map((r) => parseIpv4Tcp(r.data));
    expect(segs.length).to.be.greaterThan(5);
    expect(segs.every((s) => s.ok)).to.equal(true);
    const fromA = segs.filter((s) => s.ok && s.value.ip.src === ipv4(A));
    expect(fromA.some((s) => s.ok && s.value.tcp.payload.length === 1448)).to.equal(true);
  });

  it('flow-controls the receiver: the window closes while nobody reads, and opens as they do', () => {
    const t = tcpWorld({ latency: 1 * MS });
    const lfd = now(t.sb.socket()).ret;
    now(t.sb.bind(lfd, { addr: B, port: 80 }));
    now(t.sb.listen(lfd, 8));
    const cfd = now(t.sa.socket()).ret;
    t.sa.connect(cfd, { addr: B, port: 80 });
    const acc = t.sb.accept(lfd);
    t.w.runFor(100 * MS);
    const sfd = now(acc).ret;
    const total = 2_000_000;
    let written = 0;
    const writeMore = (): void => {
      if (written >= total) return;
      t.sa.write(cfd, new Uint8Array(Math.min(65536, total - written))).onDone((r) => {
        if (r.ret > 0) written += r.ret;
        writeMore();
      });
    };
    writeMore();
    t.w.runFor(2 * SEC);
    expect(written).to.be.lessThan(total);
    let read = 0;
    const readMore = (): void => {
      t.sb.read(sfd, 1 << 20).onDone((r) => {
        if (r.ret > 0) {
          read += r.ret;
          readMore();
        }
      });
    };
    readMore();
    t.w.runFor(20 * SEC);
    expect(read).to.equal(total);
  });

  it('answers sysctl get/set ioctls by the profile\'s names', () => {
    const t = tcpWorld();
    const set = t.ta.ctl.ioctlSync(TCP_IOC_SYSCTL_SET, { name: 'net.ipv4.tcp_sack', value: '0' });
    expect(set.ok).to.equal(true);
    const get = t.ta.ctl.ioctlSync(TCP_IOC_SYSCTL_GET, { name: 'net.ipv4.tcp_sack' });
    expect(get.ok && get.data).to.equal('0');
    expect(t.ta.ctl.ioctlSync(TCP_IOC_SYSCTL_GET, { name: 'net.nope' }).ok).to.equal(false);
  });
});
