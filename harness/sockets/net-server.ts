/**
 * createServer / createConnection for emulated hosts, shaped like Node's net module: a
 * NetServer listens on a host's transport and emits 'connection' with a NetSocket; a
 * createConnection() socket connects from a host. The extra first argument is the host
 * (a world Host, a HostStack or a StreamsEnv). Addresses are dotted IPv4 text: there is no
 * name resolution in the emulated world.
 */
import { EventEmitter } from 'node:events';
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import { T_NEGOTIATE } from '../../lib/streams/index.ts';
import { socketLayer, type HostLike, type SocketLayer } from './layer.ts';
import { NetSocket, type AddressInfo, type NetSocketOptions } from './net-socket.ts';
import { sysError } from './node-errors.ts';
import { ANY_ADDR, Sock, toSockAddr } from './sock.ts';
import type { SockAddr } from './types.ts';

export interface ServerOptions {
  /** Accepted sockets keep their writable side after the peer's FIN (default false). */
  allowHalfOpen?: boolean;
  /** Set TCP_NODELAY on accepted sockets. */
  noDelay?: boolean;
  /** Set SO_KEEPALIVE on accepted sockets (keepAliveInitialDelay ms -> TCP_KEEPIDLE). */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** Accepted sockets start paused (as net.Server's pauseOnConnect). */
  pauseOnConnect?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

type ServerEvents = 'listening' | 'connection' | 'close' | 'error';

export class NetServer extends EventEmitter {
  readonly layer: SocketLayer;
  /** Refuse (close at once) connections past this many open ones, as net.Server.maxConnections. */
  maxConnections = Infinity;
  private sock: Sock | null = null;
  private readonly conns = new Set<NetSocket>();
  private closing = false;

  constructor(
    layer: SocketLayer,
    readonly opts: ServerOptions = {},
    onConnection?: (s: NetSocket) => void,
  ) {
    super();
    this.layer = layer;
    if (onConnection !== undefined) this.on('connection', onConnection);
  }

  override on(event: ServerEvents, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  get listening(): boolean {
    return this.sock !== null && this.sock.tcp === 'listen';
  }

  /** listen(port[, host][, backlog][, cb]) or listen({port, host, backlog}[, cb]). Port 0 picks one. */
  listen(...args: Array<number | string | ListenOptions | (() => void) | undefined>): this {
    let o: ListenOptions = {};
    let cb: (() => void) | undefined;
    const rest = [...args];
    if (typeof rest[rest.length - 1] === 'function') cb = rest.pop() as () => void;
    if (typeof rest[0] === 'object' && rest[0] !== null) o = rest[0] as ListenOptions;
    else o = { port: rest[0] as number | undefined, host: typeof rest[1] === 'string' ? rest[1] : undefined, backlog: typeof rest[1] === 'number' ? rest[1] : (rest[2] as number | undefined) };
    if (this.sock !== null) throw new Error('NetServer: already listening');
    if (cb !== undefined) this.once('listening', cb);
    let at: SockAddr;
    try {
      at = toSockAddr({ addr: o.host ?? ANY_ADDR, port: o.port ?? 0 });
    } catch {
      throw new TypeError(`NetServer.listen: bad host ${JSON.stringify(o.host)} (dotted IPv4 only)`);
    }
    const sock = new Sock(this.layer);
    this.sock = sock;
    this.closing = false;
    const failed = (err: Parameters<typeof sysError>[0]): void => {
      sock.close();
      if (this.sock === sock) this.sock = null;
      this.later(() => this.emit('error', sysError(err, 'listen', formatIpv4(at.addr), at.port)));
    };
    // As libuv: listening TCP sockets set SO_REUSEADDR.
    sock.optmgmt(T_NEGOTIATE, { reuseaddr: true }, () => {
      sock.bind(at, (err) => {
        if (err !== null) return failed(err);
        sock.listen(o.backlog ?? 511, (e2) => {
          if (e2 !== null) return failed(e2);
          sock.onChange = () => this.acceptAll();
          this.later(() => this.emit('listening'));
        });
      });
    });
    return this;
  }

  private acceptAll(): void {
    const s = this.sock;
    if (s === null) return;
    for (;;) {
      let again = false;
      const r = s.accept((err, acc) => {
        if (err !== null || acc === null) return;
        this.connection(acc);
      });
      if (r === 'again' || (r !== 'started' && r !== 'ENOBUFS')) again = true;
      if (again) break;
    }
    this.layer.yieldToNode();
  }

  private connection(acc: Sock): void {
    if (this.conns.size >= this.maxConnections || this.closing) {
      acc.close();
      return;
    }
    const o = this.opts;
    const nopt: NetSocketOptions = {
      allowHalfOpen: o.allowHalfOpen ?? false,
      readableHighWaterMark: o.readableHighWaterMark,
      writableHighWaterMark: o.writableHighWaterMark,
    };
    const sock = new NetSocket(this.layer, nopt, acc);
    if (o.noDelay) sock.setNoDelay(true);
    if (o.keepAlive) sock.setKeepAlive(true, o.keepAliveInitialDelay ?? 0);
    if (o.pauseOnConnect) sock.pause();
    this.conns.add(sock);
    sock.once('close', () => {
      this.conns.delete(sock);
      this.maybeClosed();
    });
    this.emit('connection', sock);
  }

  /** Stop accepting; 'close' once every accepted connection has closed too (net semantics). */
  close(cb?: (err?: Error) => void): this {
    if (this.sock === null) {
      if (cb !== undefined) this.later(() => cb(new Error('Server is not running.')));
      return this;
    }
    if (cb !== undefined) this.once('close', cb);
    this.sock.close();
    this.sock = null;
    this.closing = true;
    this.maybeClosed();
    return this;
  }

  private maybeClosed(): void {
    if (this.closing && this.sock === null && this.conns.size === 0) {
      this.closing = false;
      this.later(() => this.emit('close'));
    }
  }

  address(): AddressInfo | null {
    const a = this.sock?.local;
    return a == null ? null : { address: formatIpv4(a.addr), family: 'IPv4', port: a.port };
  }

  getConnections(cb: (err: Error | null, n: number) => void): this {
    const n = this.conns.size;
    this.later(() => cb(null, n));
    return this;
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  private later(fn: () => void): void {
    this.layer.time.schedule(0, () => {
      fn();
      this.layer.yieldToNode();
    });
  }
}

/** net.createServer on an emulated host. */
export function createServer(host: HostLike, opts: ServerOptions = {}, onConnection?: (s: NetSocket) => void): NetServer {
  return new NetServer(socketLayer(host), opts, onConnection);
}

export interface ConnectOptions extends NetSocketOptions {
  port: number | string;
  /** Dotted IPv4 text (default 127.0.0.1, which the emulated world may not route). */
  host?: string;
  localAddress?: string;
  localPort?: number;
  /** setTimeout on the new socket (ms). */
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/**
 * net.createConnection on an emulated host: `cb` is a 'connect' listener, as in Node (and
 * http.Agent relies on that: it also takes the returned socket). Bad options throw.
 */
export function createConnection(host: HostLike, options: ConnectOptions, cb?: () => void): NetSocket {
  const layer = socketLayer(host);
  const port = Number(options.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`createConnection: bad port ${JSON.stringify(options.port)}`);
  const remote = toSockAddr({ addr: options.host ?? '127.0.0.1', port });
  const local = options.localAddress !== undefined || options.localPort !== undefined ? toSockAddr({ addr: options.localAddress ?? ANY_ADDR, port: options.localPort ?? 0 }) : undefined;
  const s = new NetSocket(layer, { allowHalfOpen: options.allowHalfOpen, readableHighWaterMark: options.readableHighWaterMark, writableHighWaterMark: options.writableHighWaterMark });
  if (cb !== undefined) s.once('connect', cb);
  if (options.timeout !== undefined) s.setTimeout(options.timeout);
  if (options.noDelay) s.setNoDelay(true);
  if (options.keepAlive) s.setKeepAlive(true, options.keepAliveInitialDelay ?? 0);
  return s.connectTo(remote, local);
}
