/**
 * The socket layer of one host: which transport driver sockets open, the host's file
 * descriptor table bound, and the link to the clock that lets Node code run between virtual
 * instants. One per StreamsEnv, created on first use and kept in the env's shared state.
 */
import { StreamsEnv } from '../../lib/streams/index.ts';
import type { TimeSource } from '../../lib/sim/types.ts';
import sockmod from './sockmod.ts';

export interface SocketLayerOptions {
  /** The transport driver sockets clone-open (default 'tcp'). */
  transport?: string;
  /** Most open descriptors (default 1024): socket() and accept() fail with EMFILE past it. */
  maxFds?: number;
}

/** Anything that leads to a host's STREAMS env: the env itself, a world Host, a HostStack. */
export type HostLike = StreamsEnv | { env: StreamsEnv } | { stack: { env: StreamsEnv } };

interface Yielding {
  requestYield(): void;
}

export class SocketLayer {
  readonly env: StreamsEnv;
  readonly time: TimeSource;
  readonly transport: string;
  readonly maxFds: number;
  /** Label of socket streams in dumps and traces. */
  readonly streamLabel: string;
  private readonly yielder: Yielding | null;

  constructor(env: StreamsEnv, opts: SocketLayerOptions = {}) {
    if (env.time === null) throw new Error(`sockets on ${env.name}: the STREAMS env has no time source`);
    this.env = env;
    this.time = env.time;
    this.transport = opts.transport ?? 'tcp';
    this.maxFds = opts.maxFds ?? 1024;
    this.streamLabel = `${this.transport}:sock`;
    const t = env.time as Partial<Yielding>;
    this.yielder = typeof t.requestYield === 'function' ? (t as Yielding) : null;
    if (!env.registry.has('sockmod')) env.registry.register(sockmod);
  }

  get name(): string {
    return this.env.name;
  }

  /**
   * Node stream code was handed something (data, an event, a callback): ask an asynchronous
   * run to give Node's event loop a turn before virtual time moves on.
   */
  yieldToNode(): void {
    this.yielder?.requestYield();
  }
}

const KEY = 'harness/sockets:layer';

export function envOf(h: HostLike): StreamsEnv {
  if (h instanceof StreamsEnv) return h;
  return 'stack' in h ? h.stack.env : h.env;
}

/**
 * The socket layer of a host. Options apply when it is created (the first call for that
 * host); later calls with different options throw rather than silently ignore them.
 */
export function socketLayer(host: HostLike, opts?: SocketLayerOptions): SocketLayer {
  const env = envOf(host);
  const layer = env.shared(KEY, () => new SocketLayer(env, opts));
  if (opts !== undefined) {
    const t = opts.transport ?? 'tcp';
    const m = opts.maxFds ?? 1024;
    if (t !== layer.transport || m !== layer.maxFds) throw new Error(`sockets on ${env.name}: already set up with transport '${layer.transport}', maxFds ${layer.maxFds}`);
  }
  return layer;
}
