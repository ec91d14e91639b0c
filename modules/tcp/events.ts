/**
 * What the TCP tells its user. One handler object per endpoint (often one shared by all
 * endpoints of a driver, with `ep.user` telling them apart), so that an idle connection
 * costs one pointer, not a set of closures.
 */
import type { TcpEndpoint } from './endpoint.ts';
import type { TcpListener } from './listen.ts';

/** Why a connection ended abnormally (errno names, as sockets report them). */
export type TcpErrno = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'ECONNABORTED' | 'EPIPE';

export interface TcpHandler {
  /** An active open completed: SYN-SENT (or simultaneous-open SYN-RECEIVED) to ESTABLISHED. */
  established?(ep: TcpEndpoint): void;
  /** New in-order bytes can be read. */
  readable?(ep: TcpEndpoint): void;
  /** The send buffer has room again after a write did not fit. */
  writable?(ep: TcpEndpoint): void;
  /** The peer's FIN arrived in order: after the buffered bytes, end of stream. */
  peerClosed?(ep: TcpEndpoint): void;
  /** Everything we sent, FIN included, has been acknowledged. */
  drained?(ep: TcpEndpoint): void;
  /** The connection failed or was reset; the TCB is about to go (closed follows). */
  error?(ep: TcpEndpoint, err: TcpErrno): void;
  /** The TCB is deleted (CLOSED): after TIME-WAIT, LAST-ACK, an abort or a reset. */
  closed?(ep: TcpEndpoint): void;
}

export interface TcpListenHandler {
  /** A new connection completed its handshake and waits in the accept queue. */
  connection?(listener: TcpListener, child: TcpEndpoint): void;
}

export const NO_HANDLER: TcpHandler = Object.freeze({});
export const NO_LISTEN_HANDLER: TcpListenHandler = Object.freeze({});
