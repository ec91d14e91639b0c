/**
 * Dispatch (claims 3, 11 d-f, 27 c-d): once the head is complete, the policy names the node
 * that can best serve the request. The FE itself means local service (claims 8, 20, 33):
 * UTCP releases the held connection indication and the recorded request goes up to TCP, a
 * plain local connection from then on. Any other node gets a handoff request (handoff.ts).
 */
import { esballoc } from '../../lib/streams/index.ts';
import { seqAdd } from '../../lib/wire/seq.ts';
import type { ConnAddr } from '../control/ctl.ts';
import type { DispatchRequest } from './dispatch/policy.ts';
import { startHandoff } from './handoff.ts';
import { rstMsg } from './packets.ts';
import type { BtcpState, FeConn } from './state.ts';

export function connAddr(c: FeConn): ConnAddr {
  return { client: c.client, server: c.vip };
}

/** Pick a node for the connection's request and act on it. */
export function dispatchConn(st: BtcpState, c: FeConn): void {
  const view = st.view;
  const policy = st.policy;
  if (view === null || policy === null || c.head === null) return serveLocally(st, c);
  const req: DispatchRequest = {
    method: c.head.method,
    path: c.head.path,
    host: c.head.host,
    client: c.client.addr,
    exclude: c.tried,
  };
  const d = policy.pick(req, view.snapshot(st.io.now()));
  if (st.tracing) {
    const node = d.kind === 'local' ? (st.config?.nodeId ?? null) : d.id;
    st.note('handoff.dispatch', c.tuple, { policy: policy.name, method: req.method, path: req.path, httpHost: req.host, node, excluded: [...c.tried] });
  }
  if (d.kind === 'local') return serveLocally(st, c);
  if (!st.peers.has(d.id)) {
    // The view may still count a node whose channel just went: try the next one.
    c.tried.add(d.id);
    st.count('peerNotUp');
    return dispatchConn(st, c);
  }
  startHandoff(st, c, d.id);
}

/**
 * Serve here: release the held indication, then the recorded request and whatever queued
 * behind it goes up, in order. BTCP forgets the connection: it is TCP's alone now.
 */
export function serveLocally(st: BtcpState, c: FeConn): void {
  st.count('localServes');
  if (st.tracing) st.note('handoff.local', c.tuple, { bytes: c.dataBytes, queued: c.queued.length });
  st.io.ctl({ ho: 'release', conn: connAddr(c) });
  const queued = c.queued;
  c.queued = [];
  st.dropFe(c);
  for (const pkt of c.data) st.io.up(esballoc(pkt));
  c.data = [];
  for (const s of queued) st.io.up(s.mp);
}

/**
 * Give up on a connection that was never served: RST to the client (from the VIP, at the
 * FE's next sequence number, so it accepts it), RST up to TCP at RCV.NXT so it frees its copy,
 * and the held indication thrown away.
 */
export function abortClient(st: BtcpState, c: FeConn): void {
  if (c.fe0 !== null) {
    const ack = c.reasm?.next ?? seqAdd(c.client0.isn, 1);
    st.io.down(rstMsg(c.vip, c.client, seqAdd(c.fe0.isn, 1), ack));
  }
  resetLocalCopy(st, c);
  st.dropFe(c);
}

/** RST up into the FE's own TCP (claims 7, 17, 32) and the held indication discarded. */
export function resetLocalCopy(st: BtcpState, c: FeConn): void {
  if (st.tracing) st.note('handoff.rst-up', c.tuple, { side: 'fe' });
  st.io.ctl({ ho: 'discard', conn: connAddr(c) });
  // TCP saw the SYN and the ACK, never a request byte: RCV.NXT is the client's ISN + 1.
  st.io.up(rstMsg(c.client, c.vip, seqAdd(c.client0.isn, 1)));
}
