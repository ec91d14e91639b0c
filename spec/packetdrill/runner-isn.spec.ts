import { expect } from 'chai';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { SEC } from '../../lib/sim/time.ts';
import { seq } from '../../lib/wire/seq.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';
import type { TcpRepr } from '../../lib/wire/tcp-types.ts';
import { schedulerDriver } from '../../harness/packetdrill/driver.ts';
import { formatFailure } from '../../harness/packetdrill/report.ts';
import { playScript } from '../../harness/packetdrill/suite.ts';
import type { HostIntrospection, ScriptWire, SyscallTarget, WireSegment } from '../../harness/packetdrill/target.ts';

/**
 * A host that answers every bare SYN with a SYN/ACK from the next ISN of a list, and can send
 * one more SYN/ACK with yet another ISN a second later (a host bug the runner must not hide).
 */
function isnHost(isns: number[], strayAfter: boolean) {
  const sched = new Scheduler();
  let handler: (s: WireSegment) => void = () => {};
  let next = 0;
  const synAck = (req: WireSegment, isn: number): WireSegment => {
    const tcp: TcpRepr = {
      srcPort: req.tcp.dstPort,
      dstPort: req.tcp.srcPort,
      seq: seq(isn),
      ack: seq(req.tcp.seq + 1),
      flags: TcpFlag.SYN | TcpFlag.ACK,
      window: 1000,
      urgent: 0,
      options: [],
      payload: new Uint8Array(0),
    };
    return { src: req.dst, dst: req.src, tos: 0, ttl: 64, tcp };
  };
  const wire: ScriptWire = {
    peerAddr: 0 as never,
    hostAddr: 0 as never,
    onSegment: (h) => (handler = h),
    inject: (seg) => {
      if ((seg.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) return;
      const isn = isns[next++]!;
      sched.schedule(0, () => handler(synAck(seg, isn)));
      if (strayAfter) sched.schedule(SEC, () => handler(synAck(seg, isn + 7777)));
    },
  };
  const syscalls: SyscallTarget = { call: (c, done) => done({ ret: c.op === 'socket' ? 3 : 0 }) };
  const host = { profile: 'linux', hostname: 'h', sysctlGet: () => undefined, sysctlSet: () => ({ ok: true }), sysctlNames: () => [], sockets: () => [], drop: () => false } as HostIntrospection;
  return { driver: schedulerDriver(sched), wire, syscalls, host };
}

const LISTEN = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
`;

describe('packetdrill runner: the host ISN across incarnations', () => {
  it("learns the host's ISN anew when a new SYN from the peer is answered with another one", async () => {
    const script = `${LISTEN}
+.1 < S 0:0(0) win 1000 <mss 1460>
+0  > S. 0:0(0) ack 1 <...>
+.1 < S 100:100(0) win 1000 <mss 1460>
+0  > S. 0:0(0) ack 101 <...>
`;
    const r = await playScript(script, 'isn.pkt', () => isnHost([5000, 90000], false));
    if (!r.ok) expect.fail(formatFailure(r.failure!));
  });

  it('still reports a SYN/ACK with another ISN that no new SYN asked for', async () => {
    const script = `${LISTEN}
+.1 < S 0:0(0) win 1000 <mss 1460>
+0  > S. 0:0(0) ack 1 <...>
+1  > S. 0:0(0) ack 1 <...>
`;
    const r = await playScript(script, 'isn.pkt', () => isnHost([5000], true));
    expect(r.ok).to.equal(false);
    expect(r.failure!.message).to.equal('outbound packet mismatch in seq: expected 0, got 7777');
  });
});
