/**
 * The packetdrill runner's SyscallTarget (harness/packetdrill/target.ts) over a host's socket
 * calls: symbolic names become Linux numbers, results become SysOutcome.
 */
import type { SockOptValue, SysOutcome, Syscall, SyscallTarget } from '../packetdrill/target.ts';
import type { Call } from './call.ts';
import { errnoName, isErrnoName } from './errno.ts';
import * as O from './options.ts';
import { FIONREAD, SIOCOUTQ, type SocketCalls } from './syscalls.ts';
import {
  AF_INET,
  F_GETFL,
  F_SETFL,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  MSG_PEEK,
  O_NONBLOCK,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_STREAM,
  type Linger,
  type SockoptValue,
  type SysResult,
} from './types.ts';

const SOL_SOCKET_NAMES: Record<string, number> = {
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
};

const TCP_NAMES: Record<string, number> = {
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

/** Level and number of a symbolic option; unknown names map to a number no table holds. */
function optNumbers(level: string, name: string): { level: number; name: number } {
  if (level === 'SOL_SOCKET') return { level: O.SOL_SOCKET, name: SOL_SOCKET_NAMES[name] ?? -1 };
  if (level === 'IPPROTO_TCP') return { level: IPPROTO_TCP, name: TCP_NAMES[name] ?? -1 };
  return { level: -1, name: -1 };
}

function outcome(r: SysResult): SysOutcome {
  return r.errno === null ? { ret: r.ret } : { ret: r.ret, errno: r.errno };
}

function toValue(v: SockOptValue): SockoptValue {
  if (typeof v === 'object') return { onoff: v.onoff !== 0, linger: v.linger } satisfies Linger;
  return v;
}

function fromValue(v: SockoptValue | null): SockOptValue | undefined {
  if (v === null) return undefined;
  if (typeof v === 'object' && 'onoff' in v && typeof (v as Linger).onoff === 'boolean') {
    const l = v as Linger;
    return { onoff: l.onoff ? 1 : 0, linger: l.linger };
  }
  return v as SockOptValue;
}

export interface SyscallTargetOptions {
  /**
   * Bytes sent and not yet acknowledged on a descriptor (SIOCOUTQ), or null for a bad fd.
   * A host that can read its transport's connection table passes this; otherwise SIOCOUTQ
   * goes to the socket layer's ioctl.
   */
  outq?: (fd: number) => number | null;
}

export function syscallTarget(calls: SocketCalls, opts: SyscallTargetOptions = {}): SyscallTarget {
  return {
    call(c: Syscall, done: (o: SysOutcome) => void): void {
      // A failed call reports only ret and errno; success goes through the call's own mapping.
      const fin = <R extends SysResult>(call: Call<R>, map: (r: R) => SysOutcome = outcome): void =>
        void call.onDone((r) => done(r.errno === null ? map(r) : outcome(r)));
      switch (c.op) {
        case 'socket':
          if (c.domain !== 'AF_INET') return done({ ret: -1, errno: 'EAFNOSUPPORT' });
          return fin(calls.socket(AF_INET, c.type === 'SOCK_STREAM' ? SOCK_STREAM : 2, c.protocol));
        case 'bind':
          return fin(calls.bind(c.fd, c.addr));
        case 'listen':
          return fin(calls.listen(c.fd, c.backlog));
        case 'accept':
          return fin(calls.accept(c.fd));
        case 'connect':
          return fin(calls.connect(c.fd, c.addr));
        case 'read':
          // Urgent data is read inline (SO_OOBINLINE behaviour), so MSG_OOB finds none: EINVAL as on Linux.
          if (c.oob) return done({ ret: -1, errno: 'EINVAL' });
          return fin(calls.recv(c.fd, c.len, (c.peek ? MSG_PEEK : 0) | (c.dontWait ? MSG_DONTWAIT : 0)), (r) => ({ ret: r.ret, data: r.data }));
        case 'write':
          if (c.oob) return done({ ret: -1, errno: 'EOPNOTSUPP' });
          return fin(calls.send(c.fd, c.data, c.dontWait ? MSG_DONTWAIT : 0));
        case 'close':
          return fin(calls.close(c.fd));
        case 'shutdown':
          return fin(calls.shutdown(c.fd, c.how === 'SHUT_RD' ? SHUT_RD : c.how === 'SHUT_WR' ? SHUT_WR : SHUT_RDWR));
        case 'setsockopt': {
          const o = optNumbers(c.level, c.name);
          return fin(calls.setsockopt(c.fd, o.level, o.name, toValue(c.value)));
        }
        case 'getsockopt': {
          const o = optNumbers(c.level, c.name);
          return fin(calls.getsockopt(c.fd, o.level, o.name), (r) => {
            const v = fromValue(r.value);
            // SO_ERROR: the socket layer answers Linux's number; scripts name the errno, so it
            // compares under any profile's numbering.
            if (o.name === O.SO_ERROR && typeof v === 'number' && v !== 0) {
              const e = errnoName(v);
              return { ret: r.ret, value: isErrnoName(e) ? e : v };
            }
            return v === undefined ? { ret: r.ret } : { ret: r.ret, value: v };
          });
        }
        case 'getflags':
          return fin(calls.fcntl(c.fd, F_GETFL), (r) => ({ ret: 0, nonblocking: (r.ret & O_NONBLOCK) !== 0 }));
        case 'setflags': {
          const flags = calls.fcntl(c.fd, F_GETFL).result!;
          if (flags.errno !== null) return done(outcome(flags));
          return fin(calls.fcntl(c.fd, F_SETFL, c.nonblocking ? flags.ret | O_NONBLOCK : flags.ret & ~O_NONBLOCK));
        }
        case 'ioctl': {
          if (c.request === 'SIOCOUTQ' && opts.outq) {
            const q = opts.outq(c.fd);
            return done(q === null ? { ret: -1, errno: 'EBADF' } : { ret: 0, value: q });
          }
          return fin(calls.ioctl(c.fd, c.request === 'FIONREAD' ? FIONREAD : SIOCOUTQ), (r) => ({ ret: 0, value: r.ret }));
        }
        case 'poll':
          return fin(calls.poll(c.fds, c.timeoutMs), (r) => ({ ret: r.ret, revents: r.revents }));
      }
    },
  };
}
