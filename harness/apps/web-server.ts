/**
 * The default scenario's web server: Node's own http server on an emulated host's TCP
 * (harness/sockets serveHttp), serving the document tree of content.ts, so any download can be
 * checked byte for byte against `handoff content PATH`.
 *
 *   GET|HEAD /path   the document (/ is /index.html), Content-Type and Content-Length; 404 else
 *   POST /hash       the SHA-256 of the request body, as hex and a newline; X-Body-Bytes: size
 *
 * Every response carries `X-Served-By: <name>`, so a client sees which server answered (the
 * point of a cluster that hands connections off). Bodies are bounded: a POST larger than
 * maxBodyBytes gets 413 and the connection is closed.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { serveHttp, type HostLike, type NetServer } from '../sockets/index.ts';
import { documentBytes, documentSpec } from './content.ts';

export interface WebServerOptions {
  /** The X-Served-By value (usually the host's name). */
  name: string;
  port?: number;
  /** Largest POST body hashed (default 64 MiB). */
  maxBodyBytes?: number;
}

export interface WebServer {
  readonly http: http.Server;
  readonly tcp: NetServer;
  close(): void;
}

/** The request handler alone (for servers set up some other way). */
export function webHandler(opts: WebServerOptions): http.RequestListener {
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  return (req, res) => {
    res.setHeader('X-Served-By', opts.name);
    req.on('error', () => {});
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/hash') {
      if (req.method !== 'POST') return plain(res, 405, 'use POST\n', { Allow: 'POST' });
      return hashBody(req, res, maxBody);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'use GET or HEAD\n', { Allow: 'GET, HEAD' });
    const doc = path === '/' ? '/index.html' : path;
    const bytes = documentBytes(doc);
    const spec = documentSpec(doc);
    if (bytes === undefined || spec === undefined) return plain(res, 404, `no document at ${path}\n`);
    res.writeHead(200, { 'Content-Type': spec.contentType, 'Content-Length': bytes.length });
    req.resume();
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
}

export function startWebServer(host: HostLike, opts: WebServerOptions): WebServer {
  const server = http.createServer(webHandler(opts));
  const tcp = serveHttp(host, server, { port: opts.port ?? 80 });
  return {
    http: server,
    tcp,
    close() {
      tcp.close();
      server.closeAllConnections();
    },
  };
}

function hashBody(req: http.IncomingMessage, res: http.ServerResponse, maxBody: number): void {
  const h = createHash('sha256');
  let n = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    n += chunk.length;
    if (n > maxBody) {
      refused = true;
      plain(res, 413, `bodies up to ${maxBody} bytes\n`, { Connection: 'close' });
      return;
    }
    h.update(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    plain(res, 200, h.digest('hex') + '\n', { 'X-Body-Bytes': String(n) });
  });
}

function plain(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
