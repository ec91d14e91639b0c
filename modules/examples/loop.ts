/**
 * loop: a loopback driver. What is written comes back up the same stream: data, primitives
 * and M_CTL alike. It follows the driver rules: M_FLUSH is flushed and turned around, every
 * ioctl is NAKed (a loopback has none), and the read side is flow-controlled by its service
 * procedure.
 */
import {
  defineDriver,
  drvflush,
  INFPSZ,
  M_FLUSH,
  M_IOCTL,
  miocnak,
  passQueued,
  putInOrder,
  RD,
} from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

const loopminfo: ModuleInfo = { id: 9010, name: 'loop', minpsz: 0, maxpsz: INFPSZ, hiwat: 16384, lowat: 4096 };

const looprinit: QInit = { put: looprput, service: looprsrv, minfo: loopminfo };
const loopwinit: QInit = { put: loopwput, minfo: loopminfo };

export const loopstab: StreamTab = { rdinit: looprinit, wrinit: loopwinit };

export default defineDriver(loopstab, 'loopback: writes come back up the same stream');

function loopwput(q: Queue, mp: Mblk): void {
  switch (mp.db.type) {
    case M_FLUSH:
      return drvflush(q, mp);
    case M_IOCTL:
      return miocnak(q, mp);
  }
  looprput(RD(q), mp);
}

/** Canonical put: keep order behind anything queued, respect flow control above. */
function looprput(q: Queue, mp: Mblk): void {
  putInOrder(q, mp);
}

function looprsrv(q: Queue): void {
  passQueued(q);
}
