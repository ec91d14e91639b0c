import { expect } from 'chai';
import {
  Errno,
  FLUSHRW,
  M_DATA,
  Registry,
  StreamsEnv,
  freemsg,
  mkctl,
  mkdata,
  mkproto,
  msgbytes,
  qsetwater,
  type Stream,
} from '../../lib/streams/index.ts';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import netdrv from '../../modules/netdrv/netdrv.ts';
import type { NetDevice, NetDeviceEvents, NeighbourAddr } from '../../modules/netdrv/device.ts';
import { NETDRV_IOC_INFO, NETDRV_IOC_STATS, type DlUnitdataReq, type NetdrvStats } from '../../modules/netdrv/dlpi.ts';

class FakeDevice implements NetDevice {
  readonly name = 'eth9';
  readonly mtu = 1500;
  carrier = true;
  accept = true;
  sent: { packet: Uint8Array; nextHop: NeighbourAddr | null }[] = [];
  events: NetDeviceEvents | null = null;
  transmit(packet: Uint8Array, nextHop: NeighbourAddr | null): boolean {
    if (!this.accept) return false;
    this.sent.push({ packet, nextHop });
    return true;
  }
  bind(events: NetDeviceEvents | null): void {
    this.events = events;
  }
}

function open(): { env: StreamsEnv; st: Stream; dev: FakeDevice; sched: Scheduler } {
  const registry = new Registry();
  registry.register(netdrv);
  const sched = new Scheduler();
  const env = new StreamsEnv({ name: 't', time: sched, registry });
  const dev = new FakeDevice();
  const st = env.open('netdrv', { args: dev });
  return { env, st, dev, sched };
}

function stats(st: Stream): NetdrvStats {
  const r = st.ioctlSync(NETDRV_IOC_STATS, undefined);
  if (!r.ok) throw new Error('stats refused');
  return r.data as NetdrvStats;
}

describe('netdrv: the network interface driver', () => {
  it('refuses to open without a device', () => {
    const registry = new Registry();
    registry.register(netdrv);
    const env = new StreamsEnv({ registry });
    expect(() => env.open('netdrv', { args: {} })).to.throw();
  });

  it('hands written M_DATA to the device with no next hop', () => {
    const { st, dev } = open();
    st.write(mkdata(new Uint8Array([1, 2, 3])));
    expect(dev.sent).to.deep.equal([{ packet: new Uint8Array([1, 2, 3]), nextHop: null }]);
    expect(stats(st)).to.include({ txPackets: 1, txBytes: 3 });
  });

  it('hands DL_UNITDATA_REQ + M_DATA to the device with the named next hop', () => {
    const { st, dev } = open();
    st.write(mkproto<DlUnitdataReq>({ prim: 'DL_UNITDATA_REQ', dst: 0x0a000001 }, mkdata(new Uint8Array([9]))));
    expect(dev.sent).to.deep.equal([{ packet: new Uint8Array([9]), nextHop: 0x0a000001 }]);
  });

  it('copies a shared message before the wire gets it (a transport may keep the original)', () => {
    const { st, dev } = open();
    const mp = mkdata(new Uint8Array([5, 6]));
    const keep = mp.db.buf;
    mp.db.ref++; // as if a dupb were held elsewhere
    st.write(mp);
    expect(dev.sent[0]!.packet.buffer).to.not.equal(keep.buffer);
  });

  it('counts packets the device refuses', () => {
    const { st, dev } = open();
    dev.accept = false;
    st.write(mkdata(new Uint8Array(10)));
    expect(stats(st)).to.include({ txPackets: 0, txRefused: 1 });
  });

  it('frees and counts messages a driver cannot use', () => {
    const { st, dev } = open();
    st.write(mkctl({ hello: 1 }));
    st.write(mkproto({ prim: 'SOMETHING_ELSE' }));
    expect(dev.sent).to.have.length(0);
    expect(stats(st).txBadMsg).to.equal(2);
  });

  it('NAKs an unknown ioctl and answers its own', () => {
    const { st } = open();
    expect(st.ioctlSync(0x1234, null)).to.deep.equal({ ok: false, error: Errno.EINVAL });
    const info = st.ioctlSync(NETDRV_IOC_INFO, null);
    expect(info).to.deep.equal({ ok: true, rval: 0, data: { name: 'eth9', mtu: 1500, carrier: true } });
  });

  it('sends received packets up to the stream head', () => {
    const { st, dev, sched } = open();
    dev.events!.receive(new Uint8Array([7, 7]));
    sched.runUntilIdle();
    const mp = st.read()!;
    expect(mp.db.type).to.equal(M_DATA);
    expect(msgbytes(mp)).to.deep.equal(new Uint8Array([7, 7]));
    freemsg(mp);
  });

  it('holds received packets while the reader is full and drops past its high-water mark (overrun)', () => {
    const { st, dev, sched } = open();
    qsetwater(st.rq, 100, 50); // the head accepts ~100 bytes
    for (let i = 0; i < 200; i++) dev.events!.receive(new Uint8Array(1000));
    sched.runUntilIdle();
    const s = stats(st);
    expect(s.rxPackets).to.equal(200);
    expect(s.rxOverruns).to.be.greaterThan(100);
    // Reading drains the head and the driver's queue behind it, in order; nothing is lost silently.
    let got = 0;
    for (;;) {
      const mp = st.read();
      if (mp === null) {
        sched.runUntilIdle();
        if (st.readable === 0) break;
        continue;
      }
      got++;
      freemsg(mp);
    }
    expect(got + s.rxOverruns).to.equal(200);
  });

  it('flushes its read queue on M_FLUSH and turns FLUSHR around', () => {
    const { st, dev, sched } = open();
    qsetwater(st.rq, 100, 50);
    for (let i = 0; i < 20; i++) dev.events!.receive(new Uint8Array(1000));
    sched.runUntilIdle();
    st.flush(FLUSHRW);
    sched.runUntilIdle();
    expect(st.read()).to.equal(null);
    // Nothing was waiting in the driver either: new packets arrive at once.
    dev.events!.receive(new Uint8Array([1]));
    sched.runUntilIdle();
    expect(st.readable).to.equal(1);
  });

  it('unbinds the device on close', () => {
    const { st, dev } = open();
    st.close();
    expect(dev.events).to.equal(null);
  });
});
