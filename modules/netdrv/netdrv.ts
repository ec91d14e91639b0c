/**
 * netdrv: the network interface driver at the bottom of every host stack. One stream per
 * interface, opened with the NetDevice (device.ts) as its open argument; IP links it under
 * itself. Write side: packets go straight to the device (its queue is the link's transmit
 * queue, which tail-drops and counts when full, as a NIC ring does). Read side: received packets
 * go up through a service procedure, so a slow reader above is flow-controlled; past the
 * queue's high-water mark further packets are dropped and counted (an overrun), never queued
 * without bound. M_FLUSH obeys the driver rules; unknown ioctls are NAKed.
 */
import {
  defineDriver,
  drvflush,
  Errno,
  esballoc,
  freemsg,
  INFPSZ,
  iocblk,
  M_DATA,
  M_FLUSH,
  M_IOCTL,
  M_PROTO,
  miocack,
  miocnak,
  msgbytes,
  passQueued,
  put,
  putInOrder,
  QFULL,
  WR,
} from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, OpenCtx, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';
import type { NetDevice, NeighbourAddr } from './device.ts';
import { isUnitdataReq, NETDRV_IOC_INFO, NETDRV_IOC_STATS, type NetdrvInfo, type NetdrvStats } from './dlpi.ts';

/** Per-stream state: the device and its counters. */
interface NetdrvState {
  dev: NetDevice;
  rq: Queue;
  stats: NetdrvStats;
}

const ndminfo: ModuleInfo = { id: 9100, name: 'netdrv', minpsz: 0, maxpsz: INFPSZ, hiwat: 64 * 1024, lowat: 16 * 1024 };

const ndrinit: QInit = { put: ndrput, service: ndrsrv, open: ndopen, close: ndclose, minfo: ndminfo };
const ndwinit: QInit = { put: ndwput, minfo: ndminfo };

export const netdrvtab: StreamTab = { rdinit: ndrinit, wrinit: ndwinit };

export default defineDriver(netdrvtab, 'network interface driver: IPv4 packets to and from one NetDevice');

function isDevice(x: unknown): x is NetDevice {
  const d = x as Partial<NetDevice> | null;
  return typeof d === 'object' && d !== null && typeof d.transmit === 'function' && typeof d.bind === 'function';
}

function ndopen(q: Queue, ctx: OpenCtx): number | void {
  if (ctx.sflag === 'module') return Errno.EINVAL;
  if (!isDevice(ctx.args)) return Errno.ENXIO;
  const dev = ctx.args;
  const st: NetdrvState = {
    dev,
    rq: q,
    stats: { txPackets: 0, txBytes: 0, txRefused: 0, txBadMsg: 0, rxPackets: 0, rxBytes: 0, rxOverruns: 0, carrierChanges: 0 },
  };
  q.ptr = st;
  WR(q).ptr = st;
  dev.bind({
    receive: (packet) => ndrecv(st, packet),
    carrier: () => void st.stats.carrierChanges++,
  });
}

function ndclose(q: Queue): void {
  (q.ptr as NetdrvState).dev.bind(null);
}

function ndwput(q: Queue, mp: Mblk): void {
  const st = q.ptr as NetdrvState;
  switch (mp.db.type) {
    case M_DATA:
      return ndxmit(st, mp, null);
    case M_PROTO:
      if (isUnitdataReq(mp.db.proto) && mp.cont !== null && mp.cont.db.type === M_DATA) {
        const data = mp.cont;
        mp.cont = null;
        const dst = mp.db.proto.dst;
        freemsg(mp);
        return ndxmit(st, data, dst);
      }
      break;
    case M_FLUSH:
      return drvflush(q, mp);
    case M_IOCTL:
      return ndioctl(q, st, mp);
  }
  // A driver is the end of the line: what it cannot use is freed (and counted).
  st.stats.txBadMsg++;
  freemsg(mp);
}

function ndxmit(st: NetdrvState, mp: Mblk, nextHop: NeighbourAddr | null): void {
  const packet = takeBytes(mp);
  if (packet.length === 0) {
    st.stats.txBadMsg++;
    return;
  }
  if (st.dev.transmit(packet, nextHop)) {
    st.stats.txPackets++;
    st.stats.txBytes += packet.length;
  } else {
    st.stats.txRefused++;
  }
}

/** A packet arrived from the device: enter the stream through our own read put. */
function ndrecv(st: NetdrvState, packet: Uint8Array): void {
  st.stats.rxPackets++;
  st.stats.rxBytes += packet.length;
  const rq = st.rq;
  if (rq.flag & QFULL) {
    st.stats.rxOverruns++;
    return;
  }
  put(rq, esballoc(packet));
}

/** Canonical put: keep order behind anything queued, respect flow control above. */
function ndrput(q: Queue, mp: Mblk): void {
  putInOrder(q, mp);
}

function ndrsrv(q: Queue): void {
  passQueued(q);
}

function ndioctl(q: Queue, st: NetdrvState, mp: Mblk): void {
  const ioc = iocblk(mp)!;
  switch (ioc.cmd) {
    case NETDRV_IOC_STATS:
      return miocack(q, mp, { ...st.stats } satisfies NetdrvStats);
    case NETDRV_IOC_INFO:
      return miocack(q, mp, { name: st.dev.name, mtu: st.dev.mtu, carrier: st.dev.carrier } satisfies NetdrvInfo);
  }
  miocnak(q, mp, Errno.EINVAL);
}

/**
 * The message's bytes in one array the device may keep. A single block nobody else references
 * is handed over as it is; anything shared or chained is copied (the wire must never alias a
 * buffer a transport keeps for retransmission).
 */
function takeBytes(mp: Mblk): Uint8Array {
  if (mp.cont === null && mp.db.ref === 1) {
    const view = mp.data();
    freemsg(mp);
    return view;
  }
  const out = msgbytes(mp);
  freemsg(mp);
  return out;
}
