import { expect } from 'chai';
import { parseScript } from '../../harness/packetdrill/parser.ts';
import type { PacketEvent, Script, ScriptError, SyscallEvent } from '../../harness/packetdrill/ast.ts';
import { TcpFlag } from '../../lib/wire/tcp-types.ts';

function parse(src: string, defines?: Record<string, string>): Script {
  const r = parseScript(src, { path: 't.pkt', ...(defines ? { defines } : {}) });
  if (!r.ok) throw new Error(`unexpected parse error: ${r.error.line}:${r.error.col}: ${r.error.message}`);
  return r.script;
}

function parseError(src: string): ScriptError {
  const r = parseScript(src, { path: 't.pkt' });
  if (r.ok) throw new Error('expected a parse error');
  return r.error;
}

function packet(src: string): PacketEvent {
  const ev = parse(src).events[0]!;
  if (ev.kind !== 'packet') throw new Error(`not a packet: ${ev.kind}`);
  return ev;
}

function syscall(src: string): SyscallEvent {
  const ev = parse(src).events[0]!;
  if (ev.kind !== 'syscall') throw new Error(`not a syscall: ${ev.kind}`);
  return ev;
}

describe('packetdrill parser', () => {
  describe('options and defines', () => {
    it('reads --name=value options before the first event', () => {
      const s = parse('--ip_version=ipv4\n--tolerance_usecs=75000\n--mss=1000 --verbose\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
      expect(s.options.map((o) => [o.name, o.value])).to.deep.equal([
        ['ip_version', 'ipv4'],
        ['tolerance_usecs', '75000'],
        ['mss', '1000'],
        ['verbose', null],
      ]);
      expect(s.options[1]!.loc).to.deep.equal({ line: 2, col: 1 });
    });

    it('replaces a --define NAME wherever the word appears, re-lexing the value', () => {
      const s = parse('--define=PORT=8080\n--define=FLAGS=O_RDWR\n0 fcntl(3, F_SETFL, FLAGS) = 0\n+0 < S 0:0(0) win PORT\n');
      const call = s.events[0] as SyscallEvent;
      expect(call.args[2]).to.include({ kind: 'word', name: 'O_RDWR' });
      expect((s.events[1] as PacketEvent).packet.win).to.equal(8080);
    });

    it('lets runner defines override the script and never replaces keywords', () => {
      const s = parse('--define=W=100\n0 < S 0:0(0) win W\n', { W: '200', ack: '5' });
      expect((s.events[0] as PacketEvent).packet.win).to.equal(200);
      const s2 = parse('0 < . 1:1(0) ack 7 win 10\n', { ack: '5' });
      expect((s2.events[0] as PacketEvent).packet.ack).to.equal(7);
    });

    it('lets a define stand for a Fast Open cookie', () => {
      const s = parse('0 < S 0:10(10) win 100 <mss 1460,FOEXP TFO_COOKIE>\n', { TFO_COOKIE: '3021b9d889017eeb' });
      const fo = (s.events[0] as PacketEvent).packet.options as any[];
      expect([...fo[1].data]).to.deep.equal([0xf9, 0x89, 0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb]);
    });

    it('keeps a quoted define as a string', () => {
      const s = parse('0 write(3, MSG, 5) = 5\n', { MSG: '"hello"' });
      expect((s.events[0] as SyscallEvent).args[1]).to.include({ kind: 'string', value: 'hello' });
    });
  });

  describe('event times', () => {
    it('reads absolute, relative, ranged and any times in microseconds', () => {
      const s = parse(
        [
          '0.100 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
          '+.1 listen(3, 1) = 0',
          '+0 > S. 0:0(0) ack 1',
          '1.5~2 > . 1:1(0) ack 1',
          '+0.2~+0.3 > . 1:1(0) ack 1',
          '* > . 1:1(0) ack 1',
          '3 close(3) = 0',
        ].join('\n'),
      );
      expect(s.events.map((e) => e.time)).to.deep.equal([
        { kind: 'absolute', usecs: 100000 },
        { kind: 'relative', usecs: 100000 },
        { kind: 'relative', usecs: 0 },
        { kind: 'absolute-range', usecs: 1500000, endUsecs: 2000000 },
        { kind: 'relative-range', usecs: 200000, endUsecs: 300000 },
        { kind: 'any' },
        { kind: 'absolute', usecs: 3000000 },
      ]);
      expect(s.events.map((e) => e.loc.line)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    });

    it('reads a blocking call end time written with ...', () => {
      const s = parse('+0...0.100 read(4, ..., 2000) = 2000\n+.1...0.200 accept(3, ..., ...) = 4\n0.1...0.2 read(4, ..., 1) = 1\n');
      expect(s.events.map((e) => [(e as SyscallEvent).name, e.time, (e as SyscallEvent).endUsecs])).to.deep.equal([
        ['read', { kind: 'relative', usecs: 0 }, 100000],
        ['accept', { kind: 'relative', usecs: 100000 }, 200000],
        ['read', { kind: 'absolute', usecs: 100000 }, 200000],
      ]);
    });
  });

  describe('packet lines', () => {
    const cases: Array<[string, number]> = [
      ['S', TcpFlag.SYN],
      ['S.', TcpFlag.SYN | TcpFlag.ACK],
      ['.', TcpFlag.ACK],
      ['P.', TcpFlag.PSH | TcpFlag.ACK],
      ['F.', TcpFlag.FIN | TcpFlag.ACK],
      ['R', TcpFlag.RST],
      ['R.', TcpFlag.RST | TcpFlag.ACK],
      ['-', 0],
      ['SEW', TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR],
      ['SE.', TcpFlag.SYN | TcpFlag.ECE | TcpFlag.ACK],
      ['W.', TcpFlag.CWR | TcpFlag.ACK],
      ['FPU.', TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG | TcpFlag.ACK],
    ];
    for (const [flags, bits] of cases) {
      it(`reads the flags ${flags}`, () => {
        const p = packet(`0 > ${flags} 0:0(0) win 1\n`).packet;
        expect(p.flags).to.equal(flags === '-' ? '' : flags);
        expect(p.flagBits).to.equal(bits);
      });
    }

    it('reads seq range, ack, win and urg', () => {
      const p = packet('+0 < P. 1:1001(1000) ack 1 win 257 urg 3\n').packet;
      expect(p).to.deep.include({ direction: 'inbound', seq: 1, len: 1000, ack: 1, win: 257, urg: 3, options: [] });
    });

    it('reads every TCP option kind in order', () => {
      const p = packet(
        '0 < S 0:0(0) win 65535 <mss 1460,nop,wscale 7,sackOK,TS val 100 ecr 0,eol,sack 1:2 3:4, md5 00112233, FO abcd, FOEXP>\n',
      ).packet;
      expect(p.options).to.have.length(10);
      const [mss, nop, ws, ok, ts, eol, sack, md5, fo, foexp] = p.options as any[];
      expect(mss).to.deep.equal({ kind: 'mss', mss: 1460 });
      expect(nop).to.deep.equal({ kind: 'nop' });
      expect(ws).to.deep.equal({ kind: 'wscale', shift: 7 });
      expect(ok).to.deep.equal({ kind: 'sackOK' });
      expect(ts).to.deep.equal({ kind: 'ts', val: 100, ecr: 0 });
      expect(eol).to.deep.equal({ kind: 'eol' });
      expect(sack).to.deep.equal({ kind: 'sack', blocks: [{ left: 1, right: 2 }, { left: 3, right: 4 }] });
      expect(md5.code).to.equal(19);
      expect([...md5.data]).to.deep.equal([0, 0x11, 0x22, 0x33]);
      expect(fo.code).to.equal(34);
      expect([...fo.data]).to.deep.equal([0xab, 0xcd]);
      expect(foexp.code).to.equal(254);
      expect([...foexp.data]).to.deep.equal([0xf9, 0x89]);
    });

    it('distinguishes "no option list" from <...> on an outbound packet', () => {
      expect(packet('0 > S. 0:0(0) ack 1\n').packet.options).to.deep.equal([]);
      expect(packet('0 > S. 0:0(0) ack 1 <...>\n').packet.options).to.equal('any');
      expect(packet('0 > . 1:1(0) ack 1\n').packet.win).to.equal(undefined);
    });

    it('reads IP ECN fields in brackets', () => {
      expect(packet('0 <[noecn] SEW 0:0(0) win 65535\n').packet.ip).to.deep.equal({ ecn: 'noecn' });
      expect(packet('0 >[ect0] . 1:1001(1000) ack 1\n').packet.ip).to.deep.equal({ ecn: 'ect0' });
      expect(packet('0 >(ect01, tos 0x2) . 1:1(0) ack 1\n').packet.ip).to.deep.equal({ ecn: 'ect01', tos: 2 });
    });

    it('reports ICMP and UDP lines as unsupported events, not errors', () => {
      const s = parse('0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n+0 close(3) = 0\n');
      expect(s.events[0]).to.include({ kind: 'unsupported', what: 'ICMP packets' });
      expect(s.events[1]).to.include({ kind: 'syscall', name: 'close' });
    });
  });

  describe('system calls', () => {
    it('reads socket, bind, listen and accept with ... arguments', () => {
      const s = parse(
        '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0 accept(3, ..., ...) = 4\n',
      );
      expect(s.events.map((e) => (e as SyscallEvent).name)).to.deep.equal(['socket', 'bind', 'listen', 'accept']);
      const sock = s.events[0] as SyscallEvent;
      expect(sock.args.map((a) => a.kind)).to.deep.equal(['ellipsis', 'word', 'word']);
      expect(sock.result).to.include({ kind: 'int', value: 3 });
    });

    it('reads an errno name with its strerror note', () => {
      const c = syscall('1.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n');
      expect(c.result).to.include({ kind: 'int', value: -1 });
      expect(c.errno).to.deep.equal({ name: 'EINPROGRESS', note: 'Operation now in progress' });
    });

    it('reads a hex result with a note', () => {
      const c = syscall('+0.00 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)\n');
      expect(c.result).to.include({ kind: 'int', value: 2, hex: true });
      expect(c.note).to.equal('flags O_RDWR');
      expect(c.errno).to.equal(undefined);
    });

    it('reads flag expressions joined with |', () => {
      const c = syscall('+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n');
      expect(c.args[2]).to.deep.include({ kind: 'or' });
      const or = c.args[2] as any;
      expect([or.lhs.name, or.rhs.name]).to.deep.equal(['O_RDWR', 'O_NONBLOCK']);
    });

    it('reads setsockopt and getsockopt with arrays and struct literals', () => {
      const s = parse(
        [
          '0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0',
          '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0',
          '+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0',
          '+0 setsockopt(3, IPPROTO_TCP, TCP_NODELAY, [1], 4) = 0',
        ].join('\n'),
      );
      const linger = (s.events[1] as SyscallEvent).args[3] as any;
      expect(linger.kind).to.equal('struct');
      expect(linger.items.map((i: any) => [i.lhs.name, i.rhs.value])).to.deep.equal([
        ['l_onoff', 1],
        ['l_linger', 0],
      ]);
      const get = s.events[2] as SyscallEvent;
      expect(get.args[3]).to.deep.include({ kind: 'array' });
      expect((get.args[4] as any).items[0].value).to.equal(4);
    });

    it('reads read, recv with MSG_PEEK, write, send, shutdown and close', () => {
      const s = parse(
        [
          '0 read(4, ..., 1000) = 1000',
          '+0 recv(4, ..., 100, MSG_PEEK) = 100',
          '+0 write(4, ..., 5840) = 5840',
          '+0 send(4, "abc", 3, 0) = 3',
          '+0 shutdown(4, SHUT_WR) = 0',
          '+0 close(4) = 0',
        ].join('\n'),
      );
      expect(s.events.map((e) => (e as SyscallEvent).name)).to.deep.equal(['read', 'recv', 'write', 'send', 'shutdown', 'close']);
      expect((s.events[1] as SyscallEvent).args[3]).to.include({ kind: 'word', name: 'MSG_PEEK' });
      expect((s.events[3] as SyscallEvent).args[1]).to.include({ kind: 'string', value: 'abc' });
    });

    it('reads poll with a pollfd struct and sockaddr-like nested calls', () => {
      const s = parse(
        '0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 100) = 1\n' +
          '+0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0\n',
      );
      const pfd = ((s.events[0] as SyscallEvent).args[0] as any).items[0];
      expect(pfd.kind).to.equal('struct');
      expect(pfd.items.map((i: any) => i.lhs.name)).to.deep.equal(['fd', 'events', 'revents']);
      const addr = (s.events[1] as SyscallEvent).args[1] as any;
      expect(addr.items[1].rhs).to.deep.include({ kind: 'call', name: 'htons' });
      expect(addr.items[2].rhs.args[0]).to.include({ kind: 'string', value: '192.0.2.1' });
    });
  });

  describe('commands, code and comments', () => {
    it('reads backquote commands with times, and bare ones at start and end', () => {
      const s = parse(
        '`../common/defaults.sh`\n0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 `sockstat -4 -P tcp -s | grep -c TIME_WAIT | grep 1`\n`sysctl net.inet.tcp.ecn.enable=2`\n',
      );
      expect(s.initCommand).to.deep.equal({ loc: { line: 1, col: 1 }, command: '../common/defaults.sh' });
      expect(s.events.map((e) => (e.kind === 'command' ? e.command : ''))).to.deep.equal([
        'sysctl -q net.ipv4.tcp_sack=0',
        'sockstat -4 -P tcp -s | grep -c TIME_WAIT | grep 1',
      ]);
      expect(s.cleanupCommand?.command).to.equal('sysctl net.inet.tcp.ecn.enable=2');
    });

    it('parses %{ python }% blocks as code events', () => {
      const s = parse('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{\nassert tcpi_snd_cwnd == 10\n}%\n+0 close(3) = 0\n');
      expect(s.events[1]).to.include({ kind: 'code', code: '\nassert tcpi_snd_cwnd == 10\n' });
      expect(s.events[2]!.loc.line).to.equal(5);
    });

    it('skips // and /* */ comments and keeps line numbers', () => {
      const s = parse('// header\n/* multi\nline */ 0 listen(3, 1) = 0 // trailing\n\n+0 close(3) = 0\n');
      expect(s.events.map((e) => e.loc.line)).to.deep.equal([3, 5]);
      expect(s.events[0]!.loc.col).to.equal(9);
    });
  });

  describe('errors name the line and column', () => {
    const cases: Array<[string, string, number, number, RegExp]> = [
      ['missing window inbound', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0)\n', 2, 4, /window must be specified/],
      ['invalid flag', '0 > SX 0:0(0)\n', 1, 5, /invalid TCP flag 'X'/],
      ['inconsistent range', '0 > . 1:5(3) ack 1\n', 1, 7, /inconsistent TCP sequence numbers/],
      ['<...> inbound', '0 < . 1:1(0) win 5 <...>\n', 1, 20, /only be used with outbound/],
      ['* on a syscall', '* close(3) = 0\n', 1, 1, /\* can only be used with outbound packets/],
      ['range on inbound', '0.1~0.2 < . 1:1(0) win 1\n', 1, 1, /range can only be used with outbound/],
      ['backwards range', '0.2~0.1 > . 1:1(0)\n', 1, 4, /backwards/],
      ['unterminated string', '0 write(3, "abc, 3) = 3\n', 1, 12, /unterminated string/],
      ['unknown TCP option', '0 > S 0:0(0) <mss 1460, bogus>\n', 1, 25, /unknown TCP option 'bogus'/],
      ['missing result', '0 close(3)\n+0 close(4) = 0\n', 2, 1, /expected '= RESULT'/],
      ['missing time', '0 close(3) = 0\nclose(4) = 0\n', 2, 1, /expected an event time/],
      ['command without time mid-script', '0 close(3) = 0\n`sysctl a=1`\n+0 close(4) = 0\n', 2, 1, /needs an event time/],
      ['late option', '0 close(3) = 0\n--mss=1000\n', 2, 1, /must come before the first event/],
      ['negative time', '-1 close(3) = 0\n', 1, 1, /negative time/],
    ];
    for (const [name, src, line, col, re] of cases) {
      it(`reports ${name} at ${line}:${col}`, () => {
        const e = parseError(src);
        expect(e.message).to.match(re);
        expect([e.path, e.line, e.col]).to.deep.equal(['t.pkt', line, col]);
      });
    }

    it('does not throw on arbitrary input', () => {
      for (const src of ['<<<', '0 > ', '}%', '%{ x', '0 foo(', '"', '0 > S 0:0(0) <sack 1:', '\u0000\u0001']) {
        const r = parseScript(src);
        expect(r.ok).to.equal(false);
      }
    });
  });
});
