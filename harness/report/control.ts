/**
 * Control-channel messages read off the wire: the control channel is a TCP connection between
 * two cluster nodes, so its bytes are in the captures. Each direction's payload is put back in
 * order by sequence number (retransmissions and overlaps trimmed, early segments held, bounded)
 * and fed to the control frame decoder (modules/control). A frame is dated by the segment that
 * completed it (or filled the gap before it): sent when that segment left, received when it
 * arrived at the peer.
 *
 * The result has the shape of the `ctl.tx` / `ctl.rx` trace events, so the report draws frames
 * from the wire and frames traced by the modules the same way.
 */
import { seqAdd, seqDiff, type Seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import { FrameDecoder } from '../../modules/control/decode.ts';
import { controlMessageToJson } from '../../modules/control/json.ts';
import type { Connection } from './connections.ts';
import type { Sighting, TraceRecord } from './packets.ts';

/** Most out-of-order segments held per direction. */
const MAX_HELD = 1024;

function directionOf(c: Connection, s: Sighting): 'c2s' | 's2c' {
  return s.ip!.src === c.client.addr && s.tcp!.srcPort === c.client.port ? 'c2s' : 's2c';
}

/** `ctl.tx` / `ctl.rx` records for every frame on the control connections among `conns`. */
export function controlFromWire(conns: readonly Connection[]): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const c of conns) if (c.control) out.push(...decodeConnection(c));
  return out.sort((a, b) => a.t - b.t);
}

function decodeConnection(c: Connection): TraceRecord[] {
  const out: TraceRecord[] = [];
  const rxOf = new Map<number, Sighting[]>();
  for (const s of c.sightings) if (s.dir === 'rx' && s.tcp !== null) rxOf.set(s.n, [...(rxOf.get(s.n) ?? []), s]);
  for (const dir of ['c2s', 's2c'] as const) {
    // What left the endpoints, in time order (a router's copies come later and are trimmed).
    const sent = c.sightings.filter((s) => s.dir === 'tx' && s.tcp !== null && directionOf(c, s) === dir && (s.host === c.clientHost) === (dir === 'c2s'));
    const syn = sent.find((s) => s.tcp!.flags & TcpFlag.SYN);
    if (syn === undefined) continue;
    let next: Seq = seqAdd(syn.tcp!.seq, 1);
    const held = new Map<number, Sighting>();
    const decoder = new FrameDecoder();
    // `by` is the segment whose arrival made the bytes usable (it filled the gap before them).
    const feed = (s: Sighting, by: Sighting): void => {
      const tcp = s.tcp!;
      const skip = seqDiff(next, tcp.seq);
      if (skip >= tcp.payload.length) return;
      next = seqAdd(tcp.seq, tcp.payload.length);
      for (const r of decoder.push(tcp.payload.subarray(skip))) {
        if (!r.ok) continue;
        const msg = controlMessageToJson(r.frame.msg);
        const arrived = (rxOf.get(by.n) ?? []).find((x) => x.host !== by.host);
        const peer = arrived?.host ?? null;
        out.push({ t: by.t, ev: 'ctl.tx', host: by.host, peer, msg, wire: true });
        if (arrived !== undefined) out.push({ t: arrived.t, ev: 'ctl.rx', host: arrived.host, peer: by.host, msg, wire: true });
      }
    };
    for (const s of sent) {
      if (s.tcp!.payload.length === 0) continue;
      if (seqDiff(s.tcp!.seq, next) > 0) {
        if (held.size < MAX_HELD) held.set(s.tcp!.seq, s);
        continue;
      }
      feed(s, s);
      for (let h = held.get(next); h !== undefined; h = held.get(next)) {
        held.delete(next);
        feed(h, s);
      }
    }
  }
  return out;
}
