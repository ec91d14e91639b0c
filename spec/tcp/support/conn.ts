/**
 * Helpers to open a connection between two stacks of a TestNet and collect what the user
 * side sees (events, bytes read).
 */
import { ipv4 } from '../../../lib/wire/ip-types.ts';
import type { TcpEndpoint } from '../../../modules/tcp/endpoint.ts';
import type { TcpErrno, TcpHandler } from '../../../modules/tcp/events.ts';
import type { TcpListener } from '../../../modules/tcp/listen.ts';
import { TcpState } from '../../../modules/tcp/state.ts';
import type { TcpStack } from '../../../modules/tcp/stack.ts';
import type { TestNet } from './net.ts';
import { SEC } from '../../../lib/sim/time.ts';

/** Records a connection's events and drains what it receives. */
export class Recorder implements TcpHandler {
  events: string[] = [];
  errors: TcpErrno[] = [];
  chunks: Uint8Array[] = [];
  autoRead = true;
  constructor(private readonly net: TestNet) {}
  established(): void {
    this.events.push('established');
  }
  readable(ep: TcpEndpoint): void {
    this.events.push('readable');
    if (!this.autoRead) return;
    for (;;) {
      const c = ep.read(1 << 20, this.net.now);
      if (!c) break;
      this.chunks.push(c.slice());
    }
  }
  writable(): void {
    this.events.push('writable');
  }
  peerClosed(): void {
    this.events.push('peerClosed');
  }
  drained(): void {
    this.events.push('drained');
  }
  error(_ep: TcpEndpoint, e: TcpErrno): void {
    this.errors.push(e);
    this.events.push(`error:${e}`);
  }
  closed(): void {
    this.events.push('closed');
  }
  get received(): Uint8Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export interface Pair {
  client: TcpEndpoint;
  server: TcpEndpoint;
  listener: TcpListener;
  c: Recorder;
  s: Recorder;
}

export const A = '10.0.0.1';
export const B = '10.0.0.2';

/** Listen on B:80, connect from A, run until both sides are ESTABLISHED. */
export function openPair(net: TestNet, a: TcpStack, b: TcpStack, port = 80): Pair {
  const s = new Recorder(net);
  const c = new Recorder(net);
  let server: TcpEndpoint | null = null;
  const listener = b.listen(ipv4(B), port, 16, {
    connection(l) {
      server = l.accept();
      if (server) server.handler = s;
    },
  });
  if (typeof listener === 'string') throw new Error(listener);
  const client = a.connect({ localAddr: ipv4(A), remoteAddr: ipv4(B), remotePort: port, handler: c }, net.now);
  if (typeof client === 'string') throw new Error(client);
  net.runUntil(() => server !== null && client.state === TcpState.ESTABLISHED, 10 * SEC);
  if (!server) throw new Error('no connection accepted');
  return { client, server, listener, c, s };
}
