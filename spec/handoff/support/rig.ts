/**
 * BTCP and UTCP alone on a stream, for the claim and golden-packet specs. The stream is a
 * `sink` driver (standing in for IP below BTCP, or TCP below UTCP: it logs what goes down, and
 * the spec sends messages up from it), the module under test, and an `upcap` module above it
 * that keeps everything that comes up (standing in for TCP above BTCP). The clock is manual.
 */
import { defineModule, INFPSZ, mkctl, esballoc, putnext, Registry, StreamsEnv, M_CTL, M_PCCTL, type Mblk, type Queue, type Stream } from '../../../lib/streams/index.ts';
import { ManualClock, sinkDriver, sinkLog, sinkUp } from '../../streams/support/env.ts';
import btcp from '../../../modules/btcp/btcp.ts';
import utcp from '../../../modules/utcp/utcp.ts';
import { handoffCtl, type BtcpConfig, type CtlDown, type CtlUp, type HandoffCtl } from '../../../modules/control/ctl.ts';

const upcapInfo = { id: 9990, name: 'upcap', minpsz: 0, maxpsz: INFPSZ, hiwat: 1 << 20, lowat: 1 << 10 };

/** Keeps what comes up (never passes it on); passes everything going down. */
export const upcap = defineModule({
  rdinit: {
    put: (q: Queue, mp: Mblk) => (q.ptr as Mblk[]).push(mp),
    open: (q: Queue) => {
      q.ptr = q.other.ptr = [];
    },
    minfo: upcapInfo,
  },
  wrinit: { put: (q: Queue, mp: Mblk) => putnext(q, mp), minfo: upcapInfo },
});

export interface Rig {
  env: StreamsEnv;
  clock: ManualClock;
  st: Stream;
  /** Everything that came up, in order (taken: the list empties). */
  takeUp(): Mblk[];
  /** Everything that went down to the driver (taken). */
  takeDown(): Mblk[];
  /** A message from below (IP for BTCP). */
  fromBelow(mp: Mblk): void;
  /** A message from above (TCP's output for BTCP). */
  fromAbove(mp: Mblk): void;
  /** Let service procedures run and time pass. */
  advance(ns: number): void;
}

export function rig(module: 'btcp' | 'utcp', args?: unknown, env0?: { env: StreamsEnv; clock: ManualClock }): Rig {
  const { env, clock } = env0 ?? rigEnv();
  const st = env.open('sink');
  st.push(module, args);
  st.push('upcap');
  const cap = (): Mblk[] => st.moduleQueues('upcap')!.rq.ptr as Mblk[];
  return {
    env,
    clock,
    st,
    takeUp: () => {
      clock.flush();
      env.runServices();
      return cap().splice(0);
    },
    takeDown: () => {
      clock.flush();
      env.runServices();
      return sinkLog(st).splice(0);
    },
    fromBelow: (mp) => sinkUp(st, mp),
    fromAbove: (mp) => {
      const e = st.write(mp);
      if (e !== 0) throw new Error(`write refused: ${e}`);
    },
    advance: (ns) => {
      clock.advance(ns);
      env.runServices();
    },
  };
}

export function rigEnv(): { env: StreamsEnv; clock: ManualClock } {
  const clock = new ManualClock();
  const registry = new Registry();
  for (const d of [sinkDriver, btcp, utcp, upcap]) registry.register(d);
  return { env: new StreamsEnv({ registry, time: clock, name: 'rig' }), clock };
}

export function packetMsg(bytes: Uint8Array): Mblk {
  return esballoc(bytes.slice());
}

export function ctlMsg(m: CtlDown | CtlUp): Mblk {
  return mkctl(m);
}

/** The handoff M_CTL payloads among messages. */
export function ctls(mps: Mblk[]): HandoffCtl[] {
  return mps.filter((m) => m.db.type === M_CTL || m.db.type === M_PCCTL).map((m) => handoffCtl(m.db.proto)!).filter((m) => m !== null);
}

/** The packet bytes among messages (M_DATA). */
export function packets(mps: Mblk[]): Uint8Array[] {
  return mps.filter((m) => m.db.type === 0).map((m) => m.data().slice());
}

export type { BtcpConfig };
