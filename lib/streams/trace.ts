/**
 * Trace events of the framework (typed-emitter). Nothing builds an event object unless
 * env.tracing is true, and env.tracing is true only while someone listens to env.trace.
 * Events carry live Queue / Mblk references: a listener that keeps them must copy what it
 * needs (describeQueue, msgTypeName) before returning.
 */
import type { Mblk } from './mblk.ts';
import type { Queue } from './queue.ts';
import type { Stream } from './stream.ts';
import type { Time } from '../sim/time.ts';

export type PutVia = 'putnext' | 'put' | 'putq';

export interface TracePut {
  t: Time;
  q: Queue;
  mp: Mblk;
  via: PutVia;
}
export interface TraceQueue {
  t: Time;
  q: Queue;
}
export interface TraceFlow {
  t: Time;
  q: Queue;
  /** true: QFULL set (count reached hiwat); false: cleared. */
  full: boolean;
}
export interface TraceBackenable {
  t: Time;
  /** The queue that drained below lowat. */
  q: Queue;
  /** The queue whose service procedure is enabled. */
  to: Queue;
}
export interface TraceFlush {
  t: Time;
  q: Queue;
  freed: number;
}
export interface TraceModule {
  t: Time;
  stream: Stream;
  module: string;
  /** Position among the modules, 0 = just below the head. */
  index: number;
}
export interface TraceLink {
  t: Time;
  upper: Stream;
  lower: Stream;
  muxid: number;
}
export interface TraceIoctl {
  t: Time;
  stream: Stream;
  cmd: number;
  id: number;
  phase: 'request' | 'ack' | 'nak' | 'timeout';
  error?: number;
}
export interface TraceDrop {
  t: Time;
  q: Queue;
  mp: Mblk;
  reason: string;
}
export interface TraceDefer {
  t: Time;
  q: Queue;
  mp: Mblk;
  depth: number;
}
export interface TraceStream {
  t: Time;
  stream: Stream;
}

/**
 * A module's own step (a protocol decision inside a host), for the run's trace: `ev` is a dotted
 * kind the module chooses, `fields` plain JSON values. Modules emit it only when env.tracing.
 */
export interface TraceNote {
  t: Time;
  q: Queue;
  ev: string;
  fields: Record<string, unknown>;
}

export type StreamsTraceEvents = {
  put: (e: TracePut) => void;
  service: (e: TraceQueue) => void;
  enable: (e: TraceQueue) => void;
  flow: (e: TraceFlow) => void;
  backenable: (e: TraceBackenable) => void;
  flush: (e: TraceFlush) => void;
  push: (e: TraceModule) => void;
  pop: (e: TraceModule) => void;
  link: (e: TraceLink) => void;
  unlink: (e: TraceLink) => void;
  ioctl: (e: TraceIoctl) => void;
  drop: (e: TraceDrop) => void;
  defer: (e: TraceDefer) => void;
  open: (e: TraceStream) => void;
  close: (e: TraceStream) => void;
  note: (e: TraceNote) => void;
};

/** "s3:tcp/udp0:W" — stream id, stream label, queue owner, side. */
export function describeQueue(q: Queue): string {
  return `s${q.stream.id}:${q.stream.label}/${q.name}:${q.isRead ? 'R' : 'W'}`;
}
