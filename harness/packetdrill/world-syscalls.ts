/**
 * The runner's system calls on the socket layer of the host under test (harness/sockets):
 * symbolic option names become the Linux numbers the socket layer speaks, SO_ERROR comes back
 * as an errno name (so it compares in any profile's numbering), and every call reports through
 * `done` when its Call completes, at once or later on the virtual clock.
 */
import { errnoName, isErrnoName } from '../sockets/errno.ts';
import * as O from '../sockets/options.ts';
import type { Call } from '../sockets/call.ts';
import { FIONREAD, type SocketCalls } from '../sockets/syscalls.ts';
import {
  AF_INET,
  F_GETFL,
  F_SETFL,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  MSG_PEEK,
  O_NONBLOCK,
  SOCK_STREAM,
  type SockoptValue,
  type SysResult,
} from '../sockets/types.ts';
import type { SockLevel, SockOptValue, Syscall, SyscallTarget, SysOutcome } from './target.ts';

const LEVELS: Record<SockLevel, number> = { SOL_SOCKET: O.SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP: 0 };

/** Option numbers by name, as Linux numbers them (the socket layer's vocabulary). */
const NAMES: Record<string, number> = {
  SO_DEBUG: O.SO_DEBUG,
  SO_REUSEADDR: O.SO_REUSEADDR,
  SO_TYPE: O.SO_TYPE,
  SO_ERROR: O.SO_ERROR,
  SO_DONTROUTE: O.SO_DONTROUTE,
  SO_BROADCAST: O.SO_BROADCAST,
  SO_SNDBUF: O.SO_SNDBUF,
  SO_RCVBUF: O.SO_RCVBUF,
  SO_KEEPALIVE: O.SO_KEEPALIVE,
  SO_OOBINLINE: O.SO_OOBINLINE,
  SO_LINGER: O.SO_LINGER,
  SO_REUSEPORT: O.SO_REUSEPORT,
  SO_RCVLOWAT: O.SO_RCVLOWAT,
  SO_SNDLOWAT: O.SO_SNDLOWAT,
  SO_RCVTIMEO: O.SO_RCVTIMEO,
  SO_SNDTIMEO: O.SO_SNDTIMEO,
  SO_ACCEPTCONN: O.SO_ACCEPTCONN,
  SO_PROTOCOL: O.SO_PROTOCOL,
  SO_DOMAIN: O.SO_DOMAIN,
  TCP_NODELAY: O.TCP_NODELAY,
  TCP_MAXSEG: O.TCP_MAXSEG,
  TCP_CORK: O.TCP_CORK,
  TCP_KEEPIDLE: O.TCP_KEEPIDLE,
  TCP_KEEPINTVL: O.TCP_KEEPINTVL,
  TCP_KEEPCNT: O.TCP_KEEPCNT,
  TCP_SYNCNT: O.TCP_SYNCNT,
  TCP_LINGER2: O.TCP_LINGER2,
  TCP_DEFER_ACCEPT: O.TCP_DEFER_ACCEPT,
  TCP_WINDOW_CLAMP: O.TCP_WINDOW_CLAMP,
  TCP_INFO: O.TCP_INFO,
  TCP_QUICKACK: O.TCP_QUICKACK,
  TCP_CONGESTION: O.TCP_CONGESTION,
  TCP_USER_TIMEOUT: O.TCP_USER_TIMEOUT,
};

function outcome(r: SysResult): SysOutcome {
  return r.errno === null ? { ret: r.ret } : { ret: r.ret, errno: r.errno };
}

function sockoptValue(v: SockoptValue | null): SockOptValue | undefined {
  if (v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if ('onoff' in v && 'linger' in v) return { onoff: v.onoff ? 1 : 0, linger: Number(v.linger) };
  return undefined;
}

export class WorldSyscalls implements SyscallTarget {
  constructor(
    private readonly calls: SocketCalls,
    /** Bytes sent and not yet acknowledged on a descriptor (SIOCOUTQ), from the transport's table. */
    private readonly outq: (fd: number) => number | null,
  ) {}

  call(c: Syscall, done: (o: SysOutcome) => void): void {
    const s = this.calls;
    const then = <R extends SysResult>(call: Call<R>, map: (r: R) => SysOutcome = outcome): void => {
      call.onDone((r) => done(r.errno === null ? map(r) : outcome(r)));
    };
    switch (c.op) {
      case 'socket':
        if (c.domain !== 'AF_INET') return done({ ret: -1, errno: 'EAFNOSUPPORT' });
        return then(s.socket(AF_INET, c.type === 'SOCK_STREAM' ? SOCK_STREAM : 2, c.protocol));
      case 'bind':
        return then(s.bind(c.fd, c.addr));
      case 'listen':
        return then(s.listen(c.fd, c.backlog));
      case 'accept':
        return then(s.accept(c.fd));
      case 'connect':
        return then(s.connect(c.fd, c.addr));
      case 'read':
        // Urgent data is read inline here (SO_OOBINLINE behaviour), so MSG_OOB finds none: EINVAL as on Linux.
        if (c.oob) return done({ ret: -1, errno: 'EINVAL' });
        return then(s.recv(c.fd, c.len, (c.peek ? MSG_PEEK : 0) | (c.dontWait ? MSG_DONTWAIT : 0)), (r) => ({ ret: r.ret, data: r.data }));
      case 'write':
        if (c.oob) return done({ ret: -1, errno: 'EOPNOTSUPP' });
        return then(s.send(c.fd, c.data, c.dontWait ? MSG_DONTWAIT : 0));
      case 'close':
        return then(s.close(c.fd));
      case 'shutdown':
        return then(s.shutdown(c.fd, c.how === 'SHUT_RD' ? 0 : c.how === 'SHUT_WR' ? 1 : 2));
      case 'setsockopt': {
        const name = NAMES[c.name];
        if (name === undefined || c.level === 'IPPROTO_IP') return done({ ret: -1, errno: 'ENOPROTOOPT' });
        const v = c.value;
        const value: SockoptValue = typeof v === 'object' ? { onoff: v.onoff !== 0, linger: v.linger } : v;
        return then(s.setsockopt(c.fd, LEVELS[c.level], name, value));
      }
      case 'getsockopt': {
        const name = NAMES[c.name];
        if (name === undefined || c.level === 'IPPROTO_IP') return done({ ret: -1, errno: 'ENOPROTOOPT' });
        return then(s.getsockopt(c.fd, LEVELS[c.level], name), (r) => {
          const v = sockoptValue(r.value);
          // SO_ERROR: the socket layer answers Linux's number; the script names the errno.
          if (name === O.SO_ERROR && typeof v === 'number' && v !== 0) {
            const e = errnoName(v);
            return { ret: r.ret, value: isErrnoName(e) ? e : v };
          }
          return v === undefined ? { ret: r.ret } : { ret: r.ret, value: v };
        });
      }
      case 'getflags':
        return then(s.fcntl(c.fd, F_GETFL), (r) => ({ ret: 0, nonblocking: (r.ret & O_NONBLOCK) !== 0 }));
      case 'setflags':
        return then(s.fcntl(c.fd, F_SETFL, c.nonblocking ? O_NONBLOCK : 0));
      case 'ioctl': {
        if (c.request === 'FIONREAD') return then(s.ioctl(c.fd, FIONREAD), (r) => ({ ret: 0, value: r.ret }));
        const q = this.outq(c.fd);
        return done(q === null ? { ret: -1, errno: 'EBADF' } : { ret: 0, value: q });
      }
      case 'poll':
        return then(s.poll(c.fds, c.timeoutMs), (r) => ({ ret: r.ret, revents: r.revents }));
    }
  }
}

