/**
 * Where the socket calls of Linux and FreeBSD answer the same misuse differently. The socket
 * layer speaks the dialect of the stack below it: it asks the transport for its profile
 * (TCP_IOC_GET_PROFILE) on the few paths where the answers differ, so a host switched to
 * another profile answers in that profile's words. A transport that does not know the ioctl
 * gets Linux's answers.
 */
import type { Stream } from '../../lib/streams/index.ts';
import { TCP_IOC_GET_PROFILE } from '../../modules/tcp/driver/ioctl.ts';
import type { ErrnoName } from './errno.ts';

export interface SocketDialect {
  readonly name: 'linux' | 'freebsd';
  /**
   * connect() on a listening socket. Linux __inet_stream_connect: the socket is SS_UNCONNECTED
   * but not TCP_CLOSE, EISCONN. FreeBSD soconnectat: SOLISTENING, EOPNOTSUPP.
   */
  readonly connectOnListener: ErrnoName;
  /**
   * connect() again after a non-blocking connect has completed. Linux: sock->state is still
   * SS_CONNECTING, so the call finishes the connect and returns 0 (EISCONN from then on).
   * FreeBSD kern_connectat/soconnect: SS_ISCONNECTED, EISCONN at once.
   */
  readonly connectAfterCompletion: 0 | 'EISCONN';
  /**
   * send() on a socket that has no connection and never had one. Linux sk_stream_wait_connect:
   * EPIPE. FreeBSD sosend_generic: not SS_ISCONNECTED, ENOTCONN.
   */
  readonly sendUnconnected: ErrnoName;
  /**
   * send() checks "can't send more" before the pending error (FreeBSD sosend_generic tests
   * SBS_CANTSENDMORE, then so_error: a reset gives EPIPE to a write and leaves ECONNRESET
   * for the next read). Linux tcp_sendmsg reports the pending error first.
   */
  readonly sendCantSendMoreFirst: boolean;
  /**
   * close() with received data the application never read. Linux tcp_close: RST (RFC 2525
   * 2.17, TCPAbortOnClose). FreeBSD tcp_disconnect: sbflush, then the orderly FIN.
   */
  readonly closeWithUnreadData: 'reset' | 'fin';
}

export const linuxDialect: SocketDialect = Object.freeze({
  name: 'linux',
  connectOnListener: 'EISCONN',
  connectAfterCompletion: 0,
  sendUnconnected: 'EPIPE',
  sendCantSendMoreFirst: false,
  closeWithUnreadData: 'reset',
});

export const freebsdDialect: SocketDialect = Object.freeze({
  name: 'freebsd',
  connectOnListener: 'EOPNOTSUPP',
  connectAfterCompletion: 'EISCONN',
  sendUnconnected: 'ENOTCONN',
  sendCantSendMoreFirst: true,
  closeWithUnreadData: 'fin',
});

/** The dialect for a profile name ('freebsd' or anything else: Linux). */
export function dialectNamed(name: string): SocketDialect {
  return name === 'freebsd' ? freebsdDialect : linuxDialect;
}

/** The dialect of the transport under `stream`, asked through TCP_IOC_GET_PROFILE. */
export function dialectOf(stream: Stream): SocketDialect {
  let r;
  try {
    r = stream.ioctlSync(TCP_IOC_GET_PROFILE, null);
  } catch {
    return linuxDialect;
  }
  const p = r.ok ? (r.data as { name?: unknown } | null) : null;
  return typeof p?.name === 'string' ? dialectNamed(p.name) : linuxDialect;
}
