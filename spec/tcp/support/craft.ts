/** Crafted segments for specs that play the peer by hand. */
import { seqAdd, type Seq } from '../../../lib/wire/seq.ts';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../../lib/wire/tcp-types.ts';
import type { TcpEndpoint } from '../../../modules/tcp/endpoint.ts';

/** A segment from `ep`'s peer to `ep`, by default in sequence with an ACK of everything. */
export function fromPeer(ep: TcpEndpoint, over: Partial<TcpRepr> & { tsVal?: number } = {}): TcpRepr {
  const options: TcpOption[] = over.options ?? (ep.tsOn ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: over.tsVal ?? ep.tsRecent + 1, ecr: 0 }] : []);
  return {
    srcPort: ep.remotePort,
    dstPort: ep.localPort,
    seq: over.seq ?? ep.rcvNxt,
    ack: over.ack ?? ep.sndMax,
    flags: over.flags ?? TcpFlag.ACK,
    window: over.window ?? 1000,
    urgent: over.urgent ?? 0,
    options,
    payload: over.payload ?? new Uint8Array(0),
  };
}

export function plus(s: Seq, n: number): Seq {
  return seqAdd(s, n);
}
