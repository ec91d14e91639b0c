import { expect } from 'chai';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { seq } from '../../lib/wire/seq.ts';
import { TcpFlag, type TcpRepr } from '../../lib/wire/tcp-types.ts';
import { encodeFrame } from '../../modules/control/encode.ts';
import type { ControlMessage } from '../../modules/control/frame.ts';
import { controlFromWire } from '../../harness/report/control.ts';
import type { Connection } from '../../harness/report/connections.ts';
import type { Sighting } from '../../harness/report/packets.ts';

const FE = '203.0.113.130';
const BE = '203.0.113.131';
const ack: ControlMessage = { type: 'HANDOFF_ACK', connId: 9, beIsn: seq(90000), beOpts: { mss: 1460, wscale: 7, sackOk: true, tsVal: null } };
const term: ControlMessage = { type: 'TERMINATE', connId: 9, reason: 'fin' };

function frame(msg: ControlMessage, id: number): Uint8Array {
  const r = encodeFrame(msg, { id });
  if (!r.ok) throw new Error('encode');
  return r.bytes;
}

let n = 0;
/** be1 sends `payload` at seq, seen leaving be1 at t and arriving at fe 50 us later. */
function fromBe(t: number, s: number, payload: Uint8Array, flags = TcpFlag.ACK | TcpFlag.PSH): Sighting[] {
  n++;
  const tcp: TcpRepr = { srcPort: 7070, dstPort: 40000, seq: seq(s), ack: seq(1), flags, window: 500, urgent: 0, options: [], payload };
  const ip = { src: ipv4(BE), dst: ipv4(FE), protocol: 6, ttl: 64, id: n, tos: 0, dontFrag: true, options: new Uint8Array(0), payload: new Uint8Array(0) };
  const base = { n, len: 40 + payload.length, line: '', ip, tcp };
  return [
    { ...base, t, host: 'be1', ifname: 'eth1', dir: 'tx' },
    { ...base, t: t + 50_000, host: 'fe', ifname: 'eth1', dir: 'rx' },
  ];
}

describe('control frames read from the captures', () => {
  it('reassembles each direction by sequence number and dates each frame by the segment that completed it', () => {
    const a = frame(ack, 1);
    const b = frame(term, 2);
    const bytes = new Uint8Array([...a, ...b]);
    const cut = a.length - 5;
    const isn = 5000;
    const sightings = [
      ...fromBe(1000, isn, new Uint8Array(0), TcpFlag.SYN | TcpFlag.ACK),
      // The second piece arrives first (held), then the first, then the first again (trimmed).
      ...fromBe(3000, isn + 1 + cut, bytes.subarray(cut)),
      ...fromBe(4000, isn + 1, bytes.subarray(0, cut)),
      ...fromBe(5000, isn + 1, bytes.subarray(0, cut)),
    ];
    const conn: Connection = {
      index: 1,
      clientHost: 'fe',
      client: { addr: ipv4(FE), port: 40000 },
      server: { addr: ipv4(BE), port: 7070 },
      first: 0,
      last: 5000,
      sightings,
      hosts: ['fe', 'be1'],
      control: true,
    };
    const recs = controlFromWire([conn]).map((r) => [r.ev, r.t, r.host, r.peer, (r.msg as { type: string }).type]);
    expect(recs).to.deep.equal([
      ['ctl.tx', 4000, 'be1', 'fe', 'HANDOFF_ACK'],
      ['ctl.tx', 4000, 'be1', 'fe', 'TERMINATE'],
      ['ctl.rx', 54000, 'fe', 'be1', 'HANDOFF_ACK'],
      ['ctl.rx', 54000, 'fe', 'be1', 'TERMINATE'],
    ]);
  });

  it('reads nothing from connections that are not control channels', () => {
    const conn = { control: false, sightings: fromBe(0, 1, frame(term, 1)) } as unknown as Connection;
    expect(controlFromWire([conn])).to.deep.equal([]);
  });
});
