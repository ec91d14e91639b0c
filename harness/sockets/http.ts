/**
 * Node's own http server and client over emulated TCP, with nothing of theirs running on real
 * time. What Node's http does with time, and how each is kept virtual:
 *
 * - keepAliveTimeout, server.timeout, request/agent `timeout`: http implements them with
 *   socket.setTimeout, which NetSocket counts on the virtual clock. They stay as configured.
 * - headersTimeout, requestTimeout: checked by a real setInterval (connectionsCheckingInterval)
 *   that http.Server starts on its 'listening' event. An http.Server fed with
 *   emit('connection') never listens, so it never starts; serveHttp also sets them to 0 (off)
 *   and the interval to the largest delay, so a server that did listen somewhere is inert too.
 * - The Date header: cached from the wall clock. serveHttp sets it from the virtual clock
 *   instead, so the same seed gives the same bytes on the wire.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { socketLayer, type HostLike } from './layer.ts';
import { createConnection, createServer, type ConnectOptions, type NetServer, type ServerOptions } from './net-server.ts';

/** Wall-clock time virtual time 0 stands for in Date headers: 2026-01-01T00:00:00Z. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1);

/** Largest setInterval delay Node accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ServeHttpOptions extends ServerOptions {
  port: number;
  host?: string;
  backlog?: number;
}

/**
 * Make an http.Server safe for virtual time (see the file comment) and serve it on an emulated
 * host's port. Returns the NetServer (close it to stop accepting).
 */
export function serveHttp(host: HostLike, server: http.Server, opts: ServeHttpOptions): NetServer {
  const layer = socketLayer(host);
  virtualizeHttpServer(server, () => layer.time.now());
  // http.Server expects half-open sockets (it decides itself when to end them).
  const tcp = createServer(host, { allowHalfOpen: true, noDelay: true, ...opts }, (s) => server.emit('connection', s));
  tcp.on('error', (e: Error) => server.emit('error', e));
  return tcp.listen({ port: opts.port, host: opts.host, backlog: opts.backlog });
}

/** Turn off http.Server's wall-clock checks and date it by the virtual clock (ns). */
export function virtualizeHttpServer(server: http.Server, nowNs: () => number): void {
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  (server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = MAX_TIMER_MS;
  // Formatting a date is dear; the header has one-second resolution, so keep the last one.
  let second = -1;
  let text = '';
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.sendDate = false;
    if (res.hasHeader('date')) return;
    const s = Math.floor(nowNs() / 1e9);
    if (s !== second) {
      second = s;
      text = new Date(VIRTUAL_EPOCH_MS + s * 1000).toUTCString();
    }
    res.setHeader('Date', text);
  });
}

/** An http.Agent whose sockets are emulated connections from `host`. */
export class EmulatedAgent extends http.Agent {
  constructor(
    private readonly from: HostLike,
    opts?: http.AgentOptions,
  ) {
    super(opts);
    socketLayer(from);
  }

  override createConnection(options: http.ClientRequestArgs, cb?: (err: Error | null, s: Duplex) => void): Duplex {
    return createConnection(this.from, toConnectOptions(options), cb as (() => void) | undefined);
  }
}

/** The `createConnection` option for http.request({...}) without an agent. */
export function httpConnector(from: HostLike): (options: http.ClientRequestArgs) => Duplex {
  socketLayer(from);
  return (options) => createConnection(from, toConnectOptions(options));
}

function toConnectOptions(o: http.ClientRequestArgs): ConnectOptions {
  return {
    port: o.port ?? o.defaultPort ?? 80,
    host: o.host ?? o.hostname ?? '127.0.0.1',
    localAddress: o.localAddress,
    timeout: o.timeout,
  };
}
