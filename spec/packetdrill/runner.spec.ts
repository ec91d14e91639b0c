import { expect } from 'chai';
import { Scheduler } from '../../lib/sim/scheduler.ts';
import { playScript } from '../../harness/packetdrill/suite.ts';
import { schedulerDriver } from '../../harness/packetdrill/driver.ts';
import { formatFailure } from '../../harness/packetdrill/report.ts';
import type { ScriptRunResult } from '../../harness/packetdrill/report.ts';
import { ToyHost } from './support/toy-host.ts';
import type { ToyFaults } from './support/toy-host.ts';

interface PlayOpts {
  faults?: ToyFaults;
  args?: string[];
  profile?: 'linux' | 'freebsd';
  files?: Record<string, string>;
}

async function play(src: string, o: PlayOpts = {}): Promise<ScriptRunResult & { host: ToyHost }> {
  const sched = new Scheduler();
  const host = new ToyHost(sched, o.faults ?? {}, o.profile ?? 'linux');
  const r = await playScript(src, 'toy.pkt', () => ({
    driver: schedulerDriver(sched),
    wire: host,
    syscalls: host,
    host,
    readFile: (p: string) => o.files?.[p],
  }), o.args ?? []);
  return { ...r, host };
}

function passes(r: ScriptRunResult): void {
  if (!r.ok) throw new Error(`expected the script to pass:\n${formatFailure(r.failure!)}`);
}

const SERVER_OPEN = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0  > S. 0:0(0) ack 1 win 65535 <mss 1460>
+.1 < . 1:1(0) ack 1 win 257
+0  accept(3, ..., ...) = 4
`;

describe('packetdrill runner (against a toy host)', () => {
  it('plays a passive open, data both ways and a close', async () => {
    const r = await play(
      SERVER_OPEN +
        `
+0  < P. 1:1001(1000) ack 1 win 257
+0  > . 1:1(0) ack 1001 win 65535
+0  read(4, ..., 1000) = 1000
+0  write(4, ..., 2000) = 2000
+0  > . 1:1461(1460) ack 1001
+0  > P. 1461:2001(540) ack 1001
+.1 < . 1001:1001(0) ack 2001 win 257
+0  close(4) = 0
+0  > F. 2001:2001(0) ack 1001
+.1 < F. 1001:1001(0) ack 2002 win 257
+0  > . 2002:2002(0) ack 1002
`,
    );
    passes(r);
    expect(r.events).to.equal(19);
    expect(r.virtualNs).to.equal(400_000_000);
    expect([r.packetsIn, r.packetsOut]).to.deep.equal([5, 6]);
  });

  it('matches one scripted super-segment against the burst the host sent (TSO style)', async () => {
    passes(await play(SERVER_OPEN + '+0 write(4, ..., 2000) = 2000\n+0 > P. 1:2001(2000) ack 1\n'));
    const strict = await play(SERVER_OPEN + '+0 write(4, ..., 2000) = 2000\n+0 > P. 1:2001(2000) ack 1\n', { args: ['--strict_segments'] });
    expect(strict.failure?.message).to.match(/mismatch in flags|payload length/);
  });

  it('plays an active open with a non-blocking connect and EINPROGRESS', async () => {
    const r = await play(`
0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
+0   fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0   > S 0:0(0) <mss 1460>
+.05 < S. 0:0(0) ack 1 win 5000 <mss 1000>
+0   > . 1:1(0) ack 1 win 65535
+0   fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)
+0   read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)
`);
    passes(r);
  });

  it('uses the FreeBSD values of symbols under the freebsd profile', async () => {
    const src = `
0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 fcntl(3, F_GETFL) = 0x6 (flags O_RDWR|O_NONBLOCK)
`;
    passes(await play(src, { args: ['--profile=freebsd'] }));
    expect((await play(src)).failure?.message).to.match(/expected result 6 but got 2050/);
  });

  it('follows SYN retransmissions on the virtual clock and checks their timing', async () => {
    const script = `
0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0   > S 0:0(0) <mss 1460>
1    > S 0:0(0) <mss 1460>
3    > S 0:0(0) <mss 1460>
`;
    passes(await play(script));
    const late = await play(script.replace('\n1    >', '\n0.9  >'));
    expect(late.failure?.kind).to.equal('timing');
    expect(late.failure?.line).to.equal(6);
    expect(late.failure?.message).to.equal('timing error: expected outbound packet at 0.9 sec but happened at 1 sec; tolerance 0.004 sec');
  });

  it('blocks a read until data arrives and checks it returns at the scripted end time', async () => {
    const ok = SERVER_OPEN + '+0...0.1 read(4, ..., 1000) = 1000\n+.1 < P. 1:1001(1000) ack 1 win 257\n+0 > . 1:1(0) ack 1001 win 65535\n';
    passes(await play(ok));
    const early = await play(SERVER_OPEN + '+0...0.3 read(4, ..., 1000) = 1000\n+.1 < P. 1:1001(1000) ack 1 win 257\n+0 > . 1:1(0) ack 1001 win 65535\n');
    expect(early.failure?.kind).to.equal('timing');
    expect(early.failure?.message).to.match(/expected read\(\) to return at 0.5 sec but happened at 0.3 sec/);
    const never = await play(SERVER_OPEN + '+0...0.1 read(4, ..., 1000) = 1000\n+.5 close(4) = 0\n+0 > F. 1:1(0) ack 1\n');
    expect(never.failure?.message).to.match(/blocking call read\(\) had not returned by 0.3 sec/);
  });

  it('says a call blocked when the script did not write it as blocking', async () => {
    const r = await play(SERVER_OPEN + '+0 read(4, ..., 1000) = 1000\n');
    expect(r.failure?.kind).to.equal('syscall');
    expect(r.failure?.line).to.equal(10);
    expect(r.failure?.message).to.match(/read\(\) blocked; a call that is meant to block is written with \.\.\.END/);
  });

  it('maps TS val and rewrites inbound TS ecr to the value the host sent', async () => {
    const r = await play(`
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+.1 < S 0:0(0) win 32792 <mss 1000,TS val 500 ecr 0>
+0  > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,TS val 100 ecr 500>
+.1 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 600 ecr 100>
+0  accept(3, ..., ...) = 4
+0  write(4, ..., 10) = 10
+0  > P. 1:11(10) ack 1 <nop,nop,TS val 200 ecr 600>
`, { args: ['--tcp_ts_tick_usecs=1000', '--check_ts_ecr'] });
    passes(r);
  });

  describe('failure reports', () => {
    it('names the line, the differing field, expected and got as packetdrill text, and the last packets', async () => {
      const r = await play(SERVER_OPEN, { faults: { ackOffByOne: true } });
      expect(r.ok).to.equal(false);
      const f = r.failure!;
      expect(f.line).to.equal(7);
      expect(f.message).to.equal('outbound packet mismatch in ack: expected 1, got 2');
      expect(f.scriptLine).to.equal('+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>');
      expect(f.expected).to.equal('> S. 0:0(0) ack 1 win 65535 <mss 1460>');
      expect(f.got).to.equal('> S. 0:0(0) ack 2 win 65535 <mss 1460> at 0.1');
      expect(f.recent).to.deep.equal(['0.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>', '0.1 > S. 0:0(0) ack 2 win 65535 <mss 1460>']);
      expect(formatFailure(f).split('\n')[0]).to.equal('toy.pkt:7: outbound packet mismatch in ack: expected 1, got 2');
    });

    it('catches a missing option ("no option list" means no options)', async () => {
      const r = await play(SERVER_OPEN, { faults: { noMssOption: true } });
      expect(r.failure?.message).to.equal('outbound packet mismatch in TCP options: expected <mss 1460>, got <>');
    });

    it('reports a packet that never comes', async () => {
      const r = await play(SERVER_OPEN + '+0 > P. 1:2(1) ack 1\n');
      expect(r.failure?.line).to.equal(10);
      expect(r.failure?.message).to.equal('expected an outbound packet by 0.204 sec but the host sent none');
    });

    it('reports a late packet as a timing error', async () => {
      const r = await play(SERVER_OPEN, { faults: { synAckDelay: 50_000_000 } });
      expect(r.failure?.kind).to.equal('timing');
      expect(r.failure?.message).to.equal('timing error: expected outbound packet at 0.1 sec but happened at 0.15 sec; tolerance 0.004 sec');
      passes(await play(SERVER_OPEN.replace('+0  > S.', '+0~+0.06 > S.'), { faults: { synAckDelay: 50_000_000 } }));
      passes(await play(SERVER_OPEN.replace('+0  > S.', '* > S.'), { faults: { synAckDelay: 50_000_000 } }));
    });

    it('fails on a segment no line accounts for, unless --lenient_outbound', async () => {
      const script = SERVER_OPEN + '+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n+.1 close(4) = 0\n';
      const r = await play(script, { faults: { duplicateData: true } });
      expect(r.failure?.line).to.equal(12);
      expect(r.failure?.message).to.match(/^unexpected outbound packet/);
      expect(r.failure?.got).to.equal('> P. 1:11(10) ack 1 win 65535 at 0.2');
      passes(await play(script, { faults: { duplicateData: true }, args: ['--lenient_outbound'] }));
    });

    it('reports a wrong errno and a wrong return value', async () => {
      const r = await play('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = -1 EBADF (Bad file descriptor)\n');
      expect(r.failure?.line).to.equal(2);
      expect(r.failure?.message).to.equal('listen(): expected result -1 EBADF but got -1 EINVAL');
      const g = await play('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [1000], [4]) = 0\n');
      expect(g.failure?.message).to.equal('getsockopt(): getsockopt SO_RCVBUF: expected 1000 but got 65536');
    });

    it('stops at an unknown sysctl with the tool\'s message and the line', async () => {
      const r = await play('0 `sysctl -q net.ipv4.tcp_nosuch=1`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
      expect(r.failure?.kind).to.equal('command');
      expect(r.failure?.line).to.equal(1);
      expect(r.failure?.message).to.equal('command failed with status 255: sysctl: cannot stat /proc/sys/net/ipv4/tcp_nosuch: No such file or directory');
      passes(await play('0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 `sysctl -n net.ipv4.tcp_sack | grep 0`\n'));
    });

    it('reports %{ }% code and ICMP lines as unsupported', async () => {
      const code = await play('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert 1 }%\n');
      expect(code.failure?.kind).to.equal('unsupported');
      expect(code.failure?.line).to.equal(2);
      const icmp = await play('0 < icmp unreachable port_unreachable\n');
      expect(icmp.failure?.message).to.equal('unsupported: ICMP packets are not supported by this runner');
    });

    it('turns parse and option errors into failures with a line', async () => {
      const p = await play('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > SX 0:0(0)\n');
      expect([p.failure?.line, p.failure?.message]).to.deep.equal([2, "invalid TCP flag 'X' in 'SX' (valid: F S R P U E W and .) (column 6)"]);
      const o = await play('--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
      expect([o.failure?.line, o.failure?.message]).to.deep.equal([1, '--ip_version=ipv6 is not supported: the emulated stack is IPv4 only']);
    });
  });

  it('answers sockstat and ss from the host inside a script', async () => {
    const bsd = await play(SERVER_OPEN + '+0 `sockstat -4 -P tcp -s | grep packetdril | grep -c ESTABLISHED | grep 1`\n', { profile: 'freebsd' });
    passes(bsd);
    const lin = await play(SERVER_OPEN + '+0 `ss -tnH state established | wc -l | grep 1`\n+0 `ss -ltnH | grep -c 8080`\n');
    passes(lin);
  });

  it('runs helper scripts named in the first line, relative to the script', async () => {
    passes(await play('`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n', { files: { '../common/defaults.sh': 'sysctl -q net.ipv4.tcp_sack=1\n' } }));
    const r = await play('`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    expect(r.failure?.message).to.match(/No such file or directory/);
  });

  it('gives the same verdict and virtual time on every run', async () => {
    const a = await play(SERVER_OPEN, { faults: { ackOffByOne: true } });
    const b = await play(SERVER_OPEN, { faults: { ackOffByOne: true } });
    expect(a).to.deep.include({ ok: b.ok, virtualNs: b.virtualNs });
    expect(a.failure).to.deep.equal(b.failure);
  });
});
