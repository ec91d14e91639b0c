/**
 * passthru: the smallest useful module. Every message goes on, untouched, in both directions.
 * It keeps no queue, so M_FLUSH has nothing to flush here and passes like the rest.
 */
import { defineModule, INFPSZ, putnext } from '../../lib/streams/index.ts';
import type { Mblk, ModuleInfo, QInit, Queue, StreamTab } from '../../lib/streams/index.ts';

const passminfo: ModuleInfo = { id: 9001, name: 'passthru', minpsz: 0, maxpsz: INFPSZ, hiwat: 8192, lowat: 2048 };

const passrinit: QInit = { put: passrput, minfo: passminfo };
const passwinit: QInit = { put: passwput, minfo: passminfo };

export const passstab: StreamTab = { rdinit: passrinit, wrinit: passwinit };

export default defineModule(passstab, 'passes every message on untouched');

function passrput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}

function passwput(q: Queue, mp: Mblk): void {
  putnext(q, mp);
}
