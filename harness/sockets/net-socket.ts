/**
 * NetSocket: a Duplex that behaves like net.Socket over an emulated transport, close enough
 * that Node's http server and client run on it unchanged.
 *
 * Reading: _read pulls whole messages off the stream head and pushes them until Node's buffer
 * is full; then data waits at the head, the head fills, and the transport below is
 * flow-controlled (the receive window closes). Writing: _write hands bytes to the stream head
 * as far as flow control lets them go and calls back when all went, so Node buffers up to
 * writableHighWaterMark and then says write() === false until 'drain'.
 *
 * Time: everything this class does to Node objects happens in scheduler events (socket
 * wake-ups, timers), and each time it asks the run for a yield, so Node's nextTick and
 * promise work runs before virtual time moves on. setTimeout counts virtual time.
 */
import { Duplex } from 'node:stream';
import { formatIpv4 } from '../../lib/wire/ip-types.ts';
import { MS, type Time } from '../../lib/sim/time.ts';
import type { TimerId } from '../../lib/sim/types.ts';
import { T_NEGOTIATE } from '../../lib/streams/index.ts';
import type { ErrnoName } from './errno.ts';
import type { SocketLayer } from './layer.ts';
import { sysError } from './node-errors.ts';
import { Sock, type ReadOutcome } from './sock.ts';
import { SHUT_WR, type SockAddr } from './types.ts';

export interface NetSocketOptions {
  /** Keep the writable side open after the peer's FIN (default false, as net.Socket). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

type WriteJob = { data: Uint8Array; off: number; cb: (err?: Error | null) => void };

export class NetSocket extends Duplex {
  readonly layer: SocketLayer;
  /** True from connect() until 'connect' (or the error that ends the attempt). */
  connecting = false;
  /** Idle timeout in ms (0: none), as net.Socket.timeout. */
  timeout = 0;
  private sock: Sock | null = null;
  private target: SockAddr | null = null;
  private readWanted = false;
  private pulling = false;
  private job: WriteJob | null = null;
  private finalCb: ((err?: Error | null) => void) | null = null;
  private idleTimer: TimerId | null = null;
  private lastActive: Time = 0;
  private hadError = false;
  /** A connect that ended within the connect call itself (reported from a later event). */
  private early: ErrnoName | 0 | 'wait' | null = null;
  /** Options asked for before the connection exists, applied once it does. */
  private pendingOpts: Array<{ nodelay?: boolean; keepalive?: boolean; extra?: Record<string, number> }> = [];
  private readonly timeoutFn = (): void => this.onIdleTimer();

  constructor(layer: SocketLayer, opts: NetSocketOptions = {}, sock?: Sock) {
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      readableHighWaterMark: opts.readableHighWaterMark,
      writableHighWaterMark: opts.writableHighWaterMark,
      emitClose: false,
      autoDestroy: true,
      decodeStrings: true,
    });
    this.layer = layer;
    if (sock !== undefined) this.attach(sock);
  }

  // ---- connecting -------------------------------------------------------------------------

  /** Start connecting to addr; 'connect' (and 'ready') follow, or 'error' then 'close'. */
  connectTo(addr: SockAddr, local?: SockAddr): this {
    if (this.sock !== null || this.connecting) throw new Error('NetSocket: already connected or connecting');
    this.connecting = true;
    this.target = addr;
    let sock: Sock;
    try {
      sock = new Sock(this.layer);
    } catch {
      this.later(() => this.destroy(sysError('ENOBUFS', 'connect', formatIpv4(addr.addr), addr.port)));
      return this;
    }
    this.attach(sock);
    const start = (): void => {
      const r = sock.connect(addr, true);
      // EINPROGRESS: the socket's wake-up tells us how it ended. Anything else is known now,
      // but reported in a scheduler event, as net.Socket reports from the event loop.
      if (r !== 'EINPROGRESS') {
        this.early = r;
        this.later(() => this.connectDone());
      }
    };
    if (local === undefined) start();
    else sock.bind(local, (err) => (err === null ? start() : this.later(() => this.destroy(sysError(err, 'bind', formatIpv4(local.addr), local.port)))));
    return this;
  }

  private attach(sock: Sock): void {
    this.sock = sock;
    sock.onChange = () => this.onChange();
  }

  private connectDone(): void {
    const s = this.sock;
    if (s === null || !this.connecting || this.destroyed) return;
    if (this.early === null && s.tcp === 'synsent') return;
    const r = this.early ?? s.connectResult();
    this.early = null;
    if (r !== 0) return this.connectFailed(r);
    this.connecting = false;
    for (const o of this.pendingOpts.splice(0)) this.setOpts(o);
    this.touch();
    this.emit('connect');
    this.emit('ready');
    this.flushWrites();
    if (this.finalCb !== null) this.tryFinal();
    if (this.readWanted) this.pull();
    this.layer.yieldToNode();
  }

  private connectFailed(err: ErrnoName | 'wait'): void {
    if (!this.connecting || this.destroyed) return;
    const t = this.target!;
    this.connecting = false;
    this.destroy(sysError(err === 'wait' ? 'EINPROGRESS' : err, 'connect', formatIpv4(t.addr), t.port));
    this.layer.yieldToNode();
  }

  /** The socket changed: whatever waits on it (connect, reads, writes, FIN) tries again. */
  private onChange(): void {
    if (this.destroyed) return;
    if (this.connecting) return this.connectDone();
    if (this.job !== null) this.flushWrites();
    if (this.finalCb !== null && this.job === null) this.tryFinal();
    if (this.readWanted) this.pull();
    this.layer.yieldToNode();
  }

  /** Run fn in a scheduler event at the current instant (Node-facing work stays in virtual time). */
  private later(fn: () => void): void {
    this.layer.time.schedule(0, () => {
      fn();
      this.layer.yieldToNode();
    });
  }

  // ---- Duplex implementation --------------------------------------------------------------

  // Node calls these from user code too: each asks for a yield so that Node's follow-up work
  // (callbacks, 'drain', 'finish') runs in the same virtual instant.

  override cork(): void {
    this.layer.yieldToNode();
    super.cork();
  }

  override write(chunk: unknown, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    this.layer.yieldToNode();
    return super.write(chunk, encoding as BufferEncoding, cb);
  }

  override end(...args: unknown[]): this {
    this.layer.yieldToNode();
    return (super.end as (...a: unknown[]) => this)(...args);
  }

  override _read(): void {
    this.layer.yieldToNode();
    this.readWanted = true;
    if (!this.connecting && this.sock !== null) this.pull();
  }

  private pull(): void {
    const s = this.sock;
    if (s === null || this.pulling) return;
    this.pulling = true;
    try {
      while (this.readWanted && !this.destroyed) {
        const o: ReadOutcome = s.recvBlock();
        if (o instanceof Uint8Array) {
          this.touch();
          this.readWanted = this.push(Buffer.from(o.buffer, o.byteOffset, o.length));
          continue;
        }
        if (o === 'again') return;
        this.readWanted = false;
        if (o === 'eof') {
          this.push(null);
          return;
        }
        if (o === 'ENOTCONN') {
          // Never connected, or the connection is gone without error: end of stream.
          this.push(null);
          return;
        }
        this.hadError = true;
        this.destroy(sysError(o, 'read'));
        return;
      }
    } finally {
      this.pulling = false;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.startWrite(chunk, cb);
  }

  /** Corked or queued writes go down as one piece. */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.startWrite(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  private startWrite(data: Uint8Array, cb: (err?: Error | null) => void): void {
    this.layer.yieldToNode();
    this.job = { data, off: 0, cb };
    if (!this.connecting) this.flushWrites();
  }

  private flushWrites(): void {
    const j = this.job;
    const s = this.sock;
    if (j === null || s === null) return;
    while (j.off < j.data.length) {
      const o = s.send(j.off === 0 ? j.data : j.data.subarray(j.off));
      if (o === 'again') return;
      if (typeof o !== 'number') {
        this.job = null;
        this.hadError = true;
        return j.cb(sysError(o, 'write'));
      }
      j.off += o;
      this.touch();
    }
    this.job = null;
    j.cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.layer.yieldToNode();
    this.finalCb = cb;
    if (!this.connecting) this.tryFinal();
  }

  private tryFinal(): void {
    const cb = this.finalCb;
    if (cb === null) return;
    this.finalCb = null;
    const s = this.sock;
    if (s === null) return cb();
    const r = s.shutdown(SHUT_WR);
    // As net.Socket: a connection that is already gone has nothing to shut down.
    if (r === 0 || r === 'ENOTCONN') return cb();
    cb(sysError(r, 'shutdown'));
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.idleTimer !== null) this.layer.time.cancel(this.idleTimer);
    this.idleTimer = null;
    const s = this.sock;
    if (s !== null) {
      s.onChange = null;
      s.close();
    }
    this.connecting = false;
    const j = this.job;
    this.job = null;
    if (j !== null) j.cb(err ?? sysError('EPIPE', 'write'));
    if (err !== null) this.hadError = true;
    cb(err);
    process.nextTick(() => this.emit('close', this.hadError));
    this.layer.yieldToNode();
  }

  // ---- net.Socket API ---------------------------------------------------------------------

  /** Idle timeout on the virtual clock: 'timeout' after ms without reads or writes (0 turns it off). */
  setTimeout(ms: number, cb?: () => void): this {
    this.timeout = ms > 0 && Number.isFinite(ms) ? ms : 0;
    if (cb !== undefined) {
      if (this.timeout === 0) this.removeListener('timeout', cb);
      else this.once('timeout', cb);
    }
    if (this.idleTimer !== null) this.layer.time.cancel(this.idleTimer);
    this.idleTimer = null;
    if (this.timeout > 0 && !this.destroyed) {
      this.lastActive = this.layer.time.now();
      this.idleTimer = this.layer.time.schedule(this.timeout * MS, this.timeoutFn);
    }
    return this;
  }

  private touch(): void {
    this.lastActive = this.layer.time.now();
    if (this.timeout > 0 && this.idleTimer === null && !this.destroyed) this.idleTimer = this.layer.time.schedule(this.timeout * MS, this.timeoutFn);
  }

  private onIdleTimer(): void {
    this.idleTimer = null;
    if (this.destroyed || this.timeout === 0) return;
    const due = this.lastActive + this.timeout * MS;
    const now = this.layer.time.now();
    if (now < due) {
      this.idleTimer = this.layer.time.schedule(due - now, this.timeoutFn);
      return;
    }
    this.emit('timeout');
    this.layer.yieldToNode();
  }

  setNoDelay(noDelay = true): this {
    this.setOpts({ nodelay: noDelay });
    return this;
  }

  /** SO_KEEPALIVE, and TCP_KEEPIDLE from initialDelay (ms, rounded down to seconds; 0 leaves it). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    const secs = Math.floor(initialDelay / 1000);
    this.setOpts(enable && secs > 0 ? { keepalive: true, extra: { keepidle: secs } } : { keepalive: enable });
    return this;
  }

  private setOpts(o: { nodelay?: boolean; keepalive?: boolean; extra?: Record<string, number> }): void {
    const s = this.sock;
    if (s === null || this.connecting) {
      this.pendingOpts.push(o);
      return;
    }
    if (s.closed) return;
    s.optmgmt(T_NEGOTIATE, o, () => {});
  }

  address(): AddressInfo | Record<string, never> {
    const a = this.sock?.localAddr();
    return a == null ? {} : { address: formatIpv4(a.addr), family: 'IPv4', port: a.port };
  }

  get localAddress(): string | undefined {
    const a = this.sock?.localAddr();
    return a == null ? undefined : formatIpv4(a.addr);
  }
  get localPort(): number | undefined {
    return this.sock?.localAddr()?.port;
  }
  get localFamily(): string | undefined {
    return this.sock?.local ? 'IPv4' : undefined;
  }
  get remoteAddress(): string | undefined {
    const r = this.sock?.remote;
    return r == null ? undefined : formatIpv4(r.addr);
  }
  get remotePort(): number | undefined {
    return this.sock?.remote?.port;
  }
  get remoteFamily(): string | undefined {
    return this.sock?.remote ? 'IPv4' : undefined;
  }
  get bytesRead(): number {
    return this.sock?.bytesRead ?? 0;
  }
  /** Bytes handed to the transport plus what Node still buffers (net.Socket counts both). */
  get bytesWritten(): number {
    const j = this.job;
    return (this.sock?.bytesWritten ?? 0) + this.writableLength + (j === null ? 0 : j.data.length - j.off);
  }
  get pending(): boolean {
    return this.sock === null || this.connecting;
  }
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  /** Deprecated in Node, kept for old callers. */
  get bufferSize(): number {
    return this.writableLength;
  }

  /** Nothing here keeps Node's event loop alive; the simulation run decides when it ends. */
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  /** End, and destroy once everything is written (what http calls after the last response). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Close with a RST (net.Socket.resetAndDestroy). */
  resetAndDestroy(): this {
    if (this.sock !== null) this.sock.linger = { onoff: true, linger: 0 };
    if (this.connecting) this.once('connect', () => this.destroy());
    else this.destroy();
    return this;
  }

  /** The socket under this Duplex (harness code: counters, the stream). */
  get socket(): Sock | null {
    return this.sock;
  }

  /** errno name of the error that ended the connection, if any (for reports). */
  static codeOf(e: unknown): ErrnoName | undefined {
    return (e as { code?: ErrnoName } | null)?.code;
  }
}
