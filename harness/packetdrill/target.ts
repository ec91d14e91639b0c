/**
 * The narrow interfaces the runner plays a script against. They keep the runner independent of
 * how the world is built: a single host wired to a scripted peer today, a whole cluster's VIP
 * later (the "remote peer" is whatever implements ScriptWire).
 *
 * - ScriptWire: the link between the script's remote peer and the stack under test, at the level
 *   of whole TCP segments with their IPv4 addresses.
 * - SyscallTarget: the socket call layer of the host under test (errno results, non-blocking
 *   mode, calls that complete later on the virtual clock).
 * - HostIntrospection: what the emulated `sysctl`, `sockstat`, `ss` and `tcpdrop` read and change.
 * - SimDriver: the virtual clock that the runner moves forward.
 */
import type { Ipv4Addr } from '../../lib/wire/ip-types.ts';
import type { TcpRepr } from '../../lib/wire/tcp-types.ts';
import type { Time } from '../../lib/sim/time.ts';

/** A TCP segment on the wire between the script's peer and the host under test. */
export interface WireSegment {
  src: Ipv4Addr;
  dst: Ipv4Addr;
  /** The IPv4 TOS byte (DSCP and the two ECN bits). */
  tos: number;
  ttl: number;
  tcp: TcpRepr;
}

export interface ScriptWire {
  /** The address the script's peer uses (packetdrill's remote address, 192.0.2.1 by default). */
  readonly peerAddr: Ipv4Addr;
  /** The address of the host under test. */
  readonly hostAddr: Ipv4Addr;
  /** Deliver a segment to the host under test now, as if it came from the peer. */
  inject(seg: WireSegment): void;
  /** Called with every TCP segment the host under test sends toward the peer. */
  onSegment(handler: (seg: WireSegment) => void): void;
}

// ---- system calls ----------------------------------------------------------------------------

export interface SockAddr {
  addr: Ipv4Addr;
  port: number;
}

/** Canonical poll bits (Linux values); the runner translates each profile's names to these. */
export const POLL = {
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  NVAL: 0x20,
  RDNORM: 0x40,
  RDBAND: 0x80,
  WRNORM: 0x100,
  WRBAND: 0x200,
  RDHUP: 0x2000,
} as const;

/** A socket option value: integers, SO_LINGER's struct, or a string (TCP_CONGESTION). */
export type SockOptValue = number | string | { onoff: number; linger: number };

export type SockLevel = 'SOL_SOCKET' | 'IPPROTO_TCP' | 'IPPROTO_IP';

/**
 * One system call, already evaluated from the script: file descriptors are the target's own,
 * `...` addresses are filled in with the script's addresses, names are kept symbolic.
 */
export type Syscall =
  | { op: 'socket'; domain: 'AF_INET' | 'AF_INET6'; type: 'SOCK_STREAM' | 'SOCK_DGRAM'; protocol: number }
  | { op: 'bind'; fd: number; addr: SockAddr }
  | { op: 'listen'; fd: number; backlog: number }
  | { op: 'accept'; fd: number }
  | { op: 'connect'; fd: number; addr: SockAddr }
  | { op: 'read'; fd: number; len: number; peek: boolean; dontWait: boolean; oob: boolean }
  | { op: 'write'; fd: number; data: Uint8Array; dontWait: boolean; oob: boolean }
  | { op: 'close'; fd: number }
  | { op: 'shutdown'; fd: number; how: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR' }
  | { op: 'setsockopt'; fd: number; level: SockLevel; name: string; value: SockOptValue }
  | { op: 'getsockopt'; fd: number; level: SockLevel; name: string }
  | { op: 'getflags'; fd: number }
  | { op: 'setflags'; fd: number; nonblocking: boolean }
  | { op: 'ioctl'; fd: number; request: 'FIONREAD' | 'SIOCOUTQ' }
  | { op: 'poll'; fds: Array<{ fd: number; events: number }>; timeoutMs: number };

/**
 * What a call returned. `ret` is the C return value (-1 with `errno` on failure). Extra results:
 * `data` for read, `value` for getsockopt and ioctl, `nonblocking` for getflags, `revents` for
 * poll (one entry per polled fd, canonical POLL bits).
 */
export interface SysOutcome {
  ret: number;
  errno?: string;
  data?: Uint8Array;
  value?: SockOptValue;
  nonblocking?: boolean;
  revents?: number[];
}

/**
 * The socket call layer. `done` may be called before `call` returns (the call did not block) or
 * later, from a virtual-clock event (a blocking accept, connect, read, write, close with linger,
 * poll with a timeout). File descriptors should be allocated like a kernel (lowest free, from 3)
 * so that scripts' numbers line up, though the runner maps script fds to the target's anyway.
 */
export interface SyscallTarget {
  call(c: Syscall, done: (o: SysOutcome) => void): void;
}

// ---- tools: sysctl, sockstat, ss, tcpdrop ------------------------------------------------------

/** TCP states by their RFC 9293 names; each tool prints them in its own spelling. */
export type TcpStateName =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/** One TCP endpoint as `sockstat`, `ss` and `tcpdrop` see it. */
export interface SocketInfo {
  state: TcpStateName;
  local: SockAddr;
  /** Port 0 and address 0 when unconnected. */
  remote: SockAddr;
  /** The owning process; absent for connections no process holds (embryonic, TIME-WAIT, orphans). */
  owner?: { command: string; pid: number; fd: number; user: string };
  /** Bytes waiting to be read and bytes not yet acknowledged (ss Recv-Q / Send-Q). */
  recvQ: number;
  sendQ: number;
  /** For a listener: the accept-queue length and backlog (ss shows them as Recv-Q / Send-Q). */
  backlog?: { queued: number; limit: number };
  /** Extra `ss -i` details, printed as given (e.g. "cubic wscale:7,7 rto:204 mss:1448 cwnd:10"). */
  info?: string;
}

export interface HostIntrospection {
  /** Which tool dialect this host speaks. */
  readonly profile: 'linux' | 'freebsd';
  /** Host name for tools that print it. */
  readonly hostname: string;
  /** Current value of a sysctl, formatted as the real one prints it; undefined when unknown. */
  sysctlGet(name: string): string | undefined;
  /** Set a sysctl; an unknown name or a bad value is an error string. */
  sysctlSet(name: string, value: string): { ok: true } | { ok: false; error: string };
  /** Every sysctl name this host knows (for `sysctl -a`). */
  sysctlNames(): string[];
  /** All TCP endpoints of the host, listeners included. */
  sockets(): SocketInfo[];
  /** Drop a connection (RST to the peer, as tcpdrop does); false when no such connection. */
  drop(local: SockAddr, remote: SockAddr): boolean;
}

// ---- time -----------------------------------------------------------------------------------

export interface SimDriver {
  now(): Time;
  /**
   * Run events up to and including `until`, then leave the clock at `until`; resolves early,
   * with the clock at the time of the last event run, once `stop()` has been called.
   */
  run(until: Time): Promise<void>;
  /** Make the current `run` return after the event in progress. */
  stop(): void;
}
