import { expect } from 'chai';
import type { SysOutcome, Syscall } from '../../harness/packetdrill/target.ts';
import { syscallTarget } from '../../harness/sockets/syscall-target.ts';
import { ipv4 } from '../../lib/wire/ip-types.ts';
import { B, enc, loopWorld, settle, type LoopWorld } from './support/world.ts';

/** Make calls through the runner's interface; each must have returned by the end of the instant. */
function driver(w: LoopWorld, host: 'a' | 'b'): (c: Syscall) => SysOutcome {
  const t = syscallTarget(host === 'a' ? w.sa : w.sb);
  return (c) => {
    let out: SysOutcome | null = null;
    t.call(c, (o) => (out = o));
    settle(w);
    if (out === null) throw new Error(`${c.op} did not return`);
    return out;
  };
}

describe('sockets: the packetdrill runner target', () => {
  it('plays a script-like sequence: listen, connect, accept, write, read, options, flags', () => {
    const w = loopWorld();
    const a = driver(w, 'a');
    const b = driver(w, 'b');
    const ip = ipv4(B);
    expect(b({ op: 'socket', domain: 'AF_INET', type: 'SOCK_STREAM', protocol: 0 })).to.deep.equal({ ret: 3 });
    expect(b({ op: 'setsockopt', fd: 3, level: 'SOL_SOCKET', name: 'SO_REUSEADDR', value: 1 })).to.deep.equal({ ret: 0 });
    expect(b({ op: 'bind', fd: 3, addr: { addr: ip, port: 8080 } })).to.deep.equal({ ret: 0 });
    expect(b({ op: 'listen', fd: 3, backlog: 1 })).to.deep.equal({ ret: 0 });
    expect(a({ op: 'socket', domain: 'AF_INET', type: 'SOCK_STREAM', protocol: 0 }).ret).to.equal(3);
    expect(a({ op: 'setflags', fd: 3, nonblocking: true })).to.deep.equal({ ret: 0 });
    expect(a({ op: 'getflags', fd: 3 }).nonblocking).to.equal(true);
    expect(a({ op: 'connect', fd: 3, addr: { addr: ip, port: 8080 } })).to.deep.equal({ ret: 0 });
    expect(b({ op: 'accept', fd: 3 })).to.deep.equal({ ret: 4 });
    expect(a({ op: 'write', fd: 3, data: enc('ping'), dontWait: false, oob: false })).to.deep.equal({ ret: 4 });
    expect(b({ op: 'ioctl', fd: 4, request: 'FIONREAD' }).value).to.equal(4);
    const r = b({ op: 'read', fd: 4, len: 10, peek: false, dontWait: false, oob: false });
    expect([r.ret, Buffer.from(r.data!).toString()]).to.deep.equal([4, 'ping']);
    expect(b({ op: 'read', fd: 4, len: 10, peek: false, dontWait: true, oob: false })).to.deep.include({ ret: -1, errno: 'EAGAIN' });
    expect(b({ op: 'setsockopt', fd: 4, level: 'SOL_SOCKET', name: 'SO_LINGER', value: { onoff: 1, linger: 0 } })).to.deep.equal({ ret: 0 });
    expect(b({ op: 'getsockopt', fd: 4, level: 'SOL_SOCKET', name: 'SO_LINGER' }).value).to.deep.equal({ onoff: 1, linger: 0 });
    expect(b({ op: 'getsockopt', fd: 4, level: 'IPPROTO_IP', name: 'IP_TOS' })).to.deep.include({ ret: -1, errno: 'ENOPROTOOPT' });
    expect(a({ op: 'ioctl', fd: 3, request: 'SIOCOUTQ' })).to.deep.equal({ ret: 0, value: 0 });
    expect(a({ op: 'poll', fds: [{ fd: 3, events: 0x4 }], timeoutMs: 0 })).to.deep.equal({ ret: 1, revents: [0x4] });
    expect(b({ op: 'close', fd: 4 })).to.deep.equal({ ret: 0 });
    expect(a({ op: 'read', fd: 3, len: 10, peek: false, dontWait: false, oob: false })).to.deep.include({ ret: -1, errno: 'ECONNRESET' });
  });

  it('refuses what the emulation does not have: IPv6, UDP, urgent data', () => {
    const w = loopWorld();
    const a = driver(w, 'a');
    expect(a({ op: 'socket', domain: 'AF_INET6', type: 'SOCK_STREAM', protocol: 0 })).to.deep.equal({ ret: -1, errno: 'EAFNOSUPPORT' });
    expect(a({ op: 'socket', domain: 'AF_INET', type: 'SOCK_DGRAM', protocol: 0 })).to.deep.equal({ ret: -1, errno: 'ESOCKTNOSUPPORT' });
    a({ op: 'socket', domain: 'AF_INET', type: 'SOCK_STREAM', protocol: 0 });
    expect(a({ op: 'write', fd: 3, data: enc('!'), dontWait: false, oob: true })).to.deep.equal({ ret: -1, errno: 'EOPNOTSUPP' });
  });
});
