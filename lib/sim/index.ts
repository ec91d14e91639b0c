/** lib/sim public API: virtual time, the event scheduler and its run modes, seeded RNG, trace. */
export type { Time } from './time.ts';
export { NS, US, MS, SEC, formatTime } from './time.ts';
export type { TimeSource, TimerId, Rng } from './types.ts';
export type { Callback, SliceEnd, RunLimits, RunResult } from './scheduler.ts';
export { Scheduler, SimLimitError, MAX_PENDING, DEFAULT_MAX_EVENTS } from './scheduler.ts';
export type { AsyncRunOptions, AsyncRunResult } from './async.ts';
export { runAsync, yieldToNode } from './async.ts';
export type { WallClock, RealtimeOptions, RealtimeYields } from './realtime.ts';
export { RealtimeDriver, systemWallClock } from './realtime.ts';
export { SeededRng } from './rng.ts';
export type { TraceEvent, TraceSink, JsonlTraceOptions } from './trace.ts';
export { JsonlTrace, noTrace } from './trace.ts';
