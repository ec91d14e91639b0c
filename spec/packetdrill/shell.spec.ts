import { expect } from 'chai';
import { lexShell, evalArith } from '../../harness/packetdrill/shell/lex.ts';
import { runShell } from '../../harness/packetdrill/shell/shell.ts';
import type { ShellEnv } from '../../harness/packetdrill/shell/types.ts';
import type { HostIntrospection, SockAddr, SocketInfo } from '../../harness/packetdrill/target.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';

const LOCAL = ipv4('192.168.0.1');
const PEER = ipv4('192.0.2.1');
const ANY = ipv4('0.0.0.0');

function fakeHost(profile: 'linux' | 'freebsd', sockets: SocketInfo[] = []): HostIntrospection & { dropped: string[]; values: Map<string, string> } {
  const values = new Map<string, string>(
    profile === 'freebsd'
      ? [
          ['net.inet.tcp.sack.enable', '1'],
          ['net.inet.tcp.rfc1323', '1'],
        ]
      : [
          ['net.ipv4.tcp_sack', '1'],
          ['net.ipv4.tcp_rmem', '4096\t131072\t6291456'],
        ],
  );
  const dropped: string[] = [];
  return {
    profile,
    hostname: 'dut',
    dropped,
    values,
    sysctlGet: (n) => values.get(n),
    sysctlSet: (n, v) => {
      if (!values.has(n)) return { ok: false, error: 'unknown' };
      if (!/^[\d\s]+$/.test(v)) return { ok: false, error: 'Invalid argument' };
      values.set(n, v.trim().split(/\s+/).join('\t'));
      return { ok: true };
    },
    sysctlNames: () => [...values.keys()],
    sockets: () => sockets,
    drop: (l: SockAddr, r: SockAddr) => {
      const hit = sockets.some((s) => s.local.port === l.port && s.remote.port === r.port && s.local.addr === l.addr && s.remote.addr === r.addr);
      if (hit) dropped.push(`${l.port}-${r.port}`);
      return hit;
    },
  };
}

const owner = (fd: number) => ({ command: 'packetdrill', pid: 4242, fd, user: 'root' });
const SOCKETS: SocketInfo[] = [
  { state: 'LISTEN', local: { addr: ANY, port: 8080 }, remote: { addr: ANY, port: 0 }, owner: owner(3), recvQ: 0, sendQ: 0, backlog: { queued: 1, limit: 1 } },
  { state: 'ESTABLISHED', local: { addr: LOCAL, port: 8080 }, remote: { addr: PEER, port: 40000 }, owner: owner(4), recvQ: 10, sendQ: 20, info: 'cubic wscale:7,8 rto:204 mss:1460 cwnd:10' },
  { state: 'TIME-WAIT', local: { addr: LOCAL, port: 8080 }, remote: { addr: PEER, port: 40001 }, recvQ: 0, sendQ: 0 },
  { state: 'SYN-RECEIVED', local: { addr: LOCAL, port: 8080 }, remote: { addr: PEER, port: 40002 }, recvQ: 0, sendQ: 0 },
];

const env = (profile: 'linux' | 'freebsd', sockets = SOCKETS, files: Record<string, string> = {}): ShellEnv => ({
  host: fakeHost(profile, sockets),
  readFile: (p) => files[p],
});

describe('packetdrill emulated shell', () => {
  describe('command lines', () => {
    it('splits words, quotes, operators and redirections', () => {
      const r = lexShell(`sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))" 'a b' x\\ y | grep -c 1 && echo ok >/dev/null 2>&1; true || false`);
      expect(r.ok && r.tokens).to.deep.equal([
        { kind: 'word', text: 'sysctl' },
        { kind: 'word', text: '-q' },
        { kind: 'word', text: 'net.ipv4.tcp_rmem=4096 540000 15728640' },
        { kind: 'word', text: 'a b' },
        { kind: 'word', text: 'x y' },
        { kind: 'op', op: '|' },
        { kind: 'word', text: 'grep' },
        { kind: 'word', text: '-c' },
        { kind: 'word', text: '1' },
        { kind: 'op', op: '&&' },
        { kind: 'word', text: 'echo' },
        { kind: 'word', text: 'ok' },
        { kind: 'redir', fd: 1, op: '>', target: '/dev/null' },
        { kind: 'redir', fd: 2, op: '>&', target: '1' },
        { kind: 'op', op: ';' },
        { kind: 'word', text: 'true' },
        { kind: 'op', op: '||' },
        { kind: 'word', text: 'false' },
      ]);
    });

    it('evaluates shell arithmetic with precedence and parentheses', () => {
      expect(evalArith('15*1024*1024')).to.equal(15728640);
      expect(evalArith('(2+3)*4 - 10/3 % 2')).to.equal(19);
      expect(() => evalArith('1 +')).to.throw(/bad arithmetic/);
    });

    it('returns the status of the last command in a pipeline and honours && and ||', () => {
      const e = env('freebsd');
      expect(runShell('echo a | grep b', e).status).to.equal(1);
      expect(runShell('echo a | grep b | grep -c x | grep 0', e)).to.deep.equal({ status: 0, stdout: '0\n', stderr: '' });
      expect(runShell('false && echo no; echo yes', e).stdout).to.equal('yes\n');
      expect(runShell('false || echo rescued', e).stdout).to.equal('rescued\n');
      expect(runShell('true || echo no', e).stdout).to.equal('');
    });

    it('rejects unknown commands and redirections to files with clear errors', () => {
      const r = runShell('awk 1', env('linux'));
      expect(r.status).to.equal(127);
      expect(r.stderr).to.match(/awk: command not found/);
      expect(runShell('echo x > /tmp/f', env('linux')).stderr).to.match(/not supported/);
      expect(runShell('echo $HOME', env('linux')).stderr).to.match(/variables .* not supported/);
    });

    it('runs each line of a multi-line backtick block, and set_sysctls.py as sysctl', () => {
      const e = env('linux');
      const r = runShell('sysctl -q net.ipv4.tcp_sack=0\n../common/set_sysctls.py /proc/sys/net/ipv4/tcp_rmem="4096 50000 4194304"\n', e);
      expect(r.status).to.equal(0);
      expect(e.host.sysctlGet('net.ipv4.tcp_sack')).to.equal('0');
      expect(e.host.sysctlGet('net.ipv4.tcp_rmem')).to.equal('4096\t50000\t4194304');
      expect(runShell('./other.py', e).stderr).to.match(/only shell helper scripts/);
    });

    it('runs helper scripts line by line and stops at the first failing line', () => {
      const files = {
        '../common/defaults.sh': '#!/bin/bash\n# comment\nsysctl -q net.ipv4.tcp_sack=0\nip tcp_metrics flush all > /dev/null 2>&1\ntc qdisc add dev tun0 root pfifo\n',
        'bad.sh': 'sysctl -q net.ipv4.tcp_sack=1\nsysctl -q net.ipv4.tcp_bogus=1\nsysctl -q net.ipv4.tcp_sack=0\n',
      };
      const e = env('linux', SOCKETS, files);
      expect(runShell('../common/defaults.sh', e).status).to.equal(0);
      expect(e.host.sysctlGet('net.ipv4.tcp_sack')).to.equal('0');
      const r = runShell('bad.sh', e);
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.match(/tcp_bogus/);
      expect(e.host.sysctlGet('net.ipv4.tcp_sack')).to.equal('1');
      expect(runShell('./missing.sh', e).status).to.equal(127);
    });
  });

  describe('sysctl', () => {
    it('reads and writes in FreeBSD format and accepts -w', () => {
      const e = env('freebsd');
      expect(runShell('sysctl net.inet.tcp.sack.enable', e).stdout).to.equal('net.inet.tcp.sack.enable: 1\n');
      expect(runShell('sysctl -n net.inet.tcp.sack.enable', e).stdout).to.equal('1\n');
      expect(runShell('sysctl -w net.inet.tcp.sack.enable=0', e)).to.deep.equal({ status: 0, stdout: 'net.inet.tcp.sack.enable: 1 -> 0\n', stderr: '' });
    });

    it('fails on an unknown FreeBSD oid with the real message', () => {
      const r = runShell('sysctl -w net.inet.tcp.nosuch=1', env('freebsd'));
      expect(r).to.deep.include({ status: 1, stderr: "sysctl: unknown oid 'net.inet.tcp.nosuch'\n" });
      expect(runShell('sysctl -i net.inet.tcp.nosuch=1', env('freebsd')).status).to.equal(0);
    });

    it('reads and writes in Linux format, several at once, quietly with -q', () => {
      const e = env('linux');
      expect(runShell('sysctl net.ipv4.tcp_sack', e).stdout).to.equal('net.ipv4.tcp_sack = 1\n');
      expect(runShell('sysctl net/ipv4/tcp_sack', e).stdout).to.equal('net.ipv4.tcp_sack = 1\n');
      expect(runShell('sysctl -q net.ipv4.tcp_sack=0 net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"', e)).to.deep.equal({ status: 0, stdout: '', stderr: '' });
      expect(runShell('sysctl -n net.ipv4.tcp_rmem', e).stdout).to.equal('4096\t540000\t15728640\n');
      expect(runShell('sysctl -w net.ipv4.tcp_sack=1', e).stdout).to.equal('net.ipv4.tcp_sack = 1\n');
    });

    it('fails on an unknown Linux key and on a bad value', () => {
      const r = runShell('sysctl -q net.ipv4.tcp_nosuch=1', env('linux'));
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.equal('sysctl: cannot stat /proc/sys/net/ipv4/tcp_nosuch: No such file or directory\n');
      expect(runShell('sysctl -w net.ipv4.tcp_sack=yes', env('linux')).stderr).to.equal('sysctl: setting key "net.ipv4.tcp_sack": Invalid argument\n');
    });
  });

  describe('sockstat', () => {
    it('prints the FreeBSD layout with owners first and ? for unowned sockets', () => {
      const r = runShell('sockstat -4 -P tcp -s', env('freebsd'));
      expect(r.stdout.split('\n')).to.deep.equal([
        'USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS       PATH STATE   CONN STATE  ',
        'root     packetdril  4242 3   tcp4   *:8080                *:*                                LISTEN',
        'root     packetdril  4242 4   tcp4   192.168.0.1:8080      192.0.2.1:40000                    ESTABLISHED',
        '?        ?          ?     ?   tcp4   192.168.0.1:8080      192.0.2.1:40001                    TIME_WAIT',
        '?        ?          ?     ?   tcp4   192.168.0.1:8080      192.0.2.1:40002                    SYN_RCVD',
        '',
      ]);
    });

    it('filters by port, by connected or listening, and works in the suites\' pipelines', () => {
      const e = env('freebsd');
      expect(runShell('sockstat -4 -P tcp -s | grep packetdril | grep -c TIME_WAIT | grep 1', e).status).to.equal(1);
      expect(runShell('sockstat -4 -P tcp -s | grep -c TIME_WAIT | grep 1', e).status).to.equal(0);
      expect(runShell('sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 1', e).status).to.equal(0);
      expect(runShell('sockstat -4 -P tcp -p 9999 -s | grep -c SYN_RCVD | grep 0', e).status).to.equal(0);
      expect(runShell('sockstat -4l -P tcp -q', e).stdout.trim().split('\n')).to.have.length(1);
      expect(runShell('sockstat -4c -P tcp -q | wc -l', e).stdout).to.equal('       3\n');
    });
  });

  describe('ss', () => {
    it('lists connections only by default, with Recv-Q and Send-Q', () => {
      const r = runShell('ss -tn', env('linux'));
      expect(r.stdout).to.equal(
        'State      Recv-Q Send-Q   Local Address:Port    Peer Address:Port\n' +
          'ESTAB      10     20         192.168.0.1:8080      192.0.2.1:40000\n',
      );
    });

    it('shows listeners with their backlog and everything with -a', () => {
      expect(runShell('ss -ltnH', env('linux')).stdout).to.equal('LISTEN     1      1              0.0.0.0:8080            0.0.0.0:*\n');
      const states = runShell('ss -tanH', env('linux')).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
      expect(states).to.deep.equal(['LISTEN', 'ESTAB', 'TIME-WAIT', 'SYN-RECV']);
    });

    it('drops the State column for a single-state filter and applies port filters', () => {
      const e = env('linux');
      expect(runShell('ss -tnH state time-wait', e).stdout).to.equal('0      0          192.168.0.1:8080      192.0.2.1:40001\n');
      expect(runShell('ss -tanH dport = :40002', e).stdout).to.match(/^SYN-RECV/);
      expect(runShell('ss -tnH state established | wc -l', e).stdout).to.equal('1\n');
      expect(runShell('ss -tin', e).stdout).to.contain('\t cubic wscale:7,8 rto:204 mss:1460 cwnd:10\n');
      expect(runShell('ss -tn state bogus', e).status).to.equal(1);
    });
  });

  describe('tcpdrop', () => {
    it('drops a named connection and says so, or fails with No such process', () => {
      const e = env('freebsd');
      expect(runShell('tcpdrop 192.168.0.1 8080 192.0.2.1 40000', e)).to.deep.equal({
        status: 0,
        stdout: '192.168.0.1 8080 192.0.2.1 40000: dropped\n',
        stderr: '',
      });
      expect(runShell('tcpdrop 192.168.0.1:8080 192.0.2.1:40001', e).status).to.equal(0);
      expect((e.host as ReturnType<typeof fakeHost>).dropped).to.deep.equal(['8080-40000', '8080-40001']);
      const miss = runShell('tcpdrop 192.168.0.1 8080 192.0.2.1 1', e);
      expect(miss).to.deep.equal({ status: 1, stdout: '', stderr: 'tcpdrop: 192.168.0.1 8080 192.0.2.1 1: No such process\n' });
    });

    it('lists or drops every connection or those in one state', () => {
      const e = env('freebsd');
      expect(runShell('tcpdrop -l -a', e).stdout.split('\n').filter(Boolean)).to.have.length(3);
      expect(runShell('tcpdrop -s TIME_WAIT', e).stdout).to.equal('192.168.0.1 8080 192.0.2.1 40001: dropped\n');
    });
  });
});
