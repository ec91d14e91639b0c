/**
 * Forwarding mode (claims 7, 9, 11 j-k, 17, 18, 32, 36): every later client packet of a
 * handed-off connection is rewritten by the FE toward the BE (destination, ack and SACK edges
 * into the BE's sequence space, TSecr into its clock, window rescaled) and sent on the LAN;
 * every packet the BE's TCP sends is rewritten by the BE toward the client (source VIP,
 * sequence number and TSval into the FE's spaces) and goes straight out, never through the FE.
 * Checksums are updated incrementally (rewrite.ts).
 */
import { freemsg } from '../../lib/streams/index.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { rewriteBeToClient, rewriteClientToBe } from './rewrite.ts';
import { has, type Seg } from './segment.ts';
import type { BeConn, BtcpState, FeConn } from './state.ts';
import { checkClosed, terminateBe, watchClient, watchServer } from './terminate.ts';

/** FE: a client packet of a handed-off connection, on to the BE. */
export function forwardToBe(st: BtcpState, c: FeConn, s: Seg): void {
  const r = rewriteClientToBe(s.bytes, c.rw!);
  if (!r.ok) {
    st.count('rewriteErrors');
    return freemsg(s.mp);
  }
  st.count('forwarded');
  st.fe.touch(c.tuple, st.io.now());
  st.io.down(s.mp);
}

/** BE: a client packet the FE forwarded (already in the BE's spaces), up to TCP. */
export function beInbound(st: BtcpState, c: BeConn, s: Seg): void {
  if (c.phase === 'syn') return st.io.up(s.mp);
  c.confirmed = true;
  st.be.touch(c.tuple, st.io.now());
  watchClient(c, s);
  const rst = has(s, TcpFlag.RST);
  st.io.up(s.mp);
  if (rst) return terminateBe(st, c, 'rst');
  checkClosed(st, c);
}

/** BE: a packet of a taken-over connection from the BE's TCP, straight to the client. */
export function beOutbound(st: BtcpState, c: BeConn, s: Seg): void {
  watchServer(c, s);
  const rst = has(s, TcpFlag.RST);
  const r = rewriteBeToClient(s.bytes, c.rw!);
  if (!r.ok) {
    st.count('rewriteErrors');
    return freemsg(s.mp);
  }
  st.count('rewritten');
  st.be.touch(c.tuple, st.io.now());
  st.io.down(s.mp);
  if (rst) return terminateBe(st, c, 'rst');
  checkClosed(st, c);
}
