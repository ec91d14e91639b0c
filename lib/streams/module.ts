/**
 * What a module or driver author writes: module_info, read/write qinit, the streamtab (plus the
 * lower-side qinits of a multiplexing driver), wrapped by defineModule / defineDriver and
 * exported as the file's default export. See modules/examples/ and docs/streams.md.
 */
import type { Mblk } from './mblk.ts';
import type { Queue } from './queue.ts';
import type { StreamsEnv } from './env.ts';
import type { Stream } from './stream.ts';

export interface ModuleInfo {
  /** Module id number (mi_idnum), unique per registry by convention. */
  id: number;
  /** Name the registry, I_PUSH and I_FIND use. */
  name: string;
  /** Smallest and largest packet the stream head may send down (INFPSZ = no limit). */
  minpsz: number;
  maxpsz: number;
  /** Flow-control water marks of the module's queues. */
  hiwat: number;
  lowat: number;
}

/** STREAMS ignores a put procedure's return value, so it has none. */
export type PutProc = (q: Queue, mp: Mblk) => void;
export type ServiceProc = (q: Queue) => void;
/** Returns 0 / nothing on success, an errno to refuse the open. Called with the read queue. */
export type OpenProc = (q: Queue, ctx: OpenCtx) => number | void;
/** Called with the read queue. */
export type CloseProc = (q: Queue, ctx: CloseCtx) => void;

export interface QInit {
  put: PutProc;
  service?: ServiceProc;
  /** Only read in the read-side qinit (as qi_qopen / qi_qclose in SVR4). */
  open?: OpenProc;
  close?: CloseProc;
  minfo: ModuleInfo;
}

export interface StreamTab {
  rdinit: QInit;
  wrinit: QInit;
  /** Multiplexing drivers: the qinits given to the head queues of streams linked below. */
  muxrinit?: QInit;
  muxwinit?: QInit;
}

export type OpenFlag = 'module' | 'driver' | 'clone';

export interface OpenCtx {
  env: StreamsEnv;
  stream: Stream;
  /** How the open happened: pushed module, driver open, clone open. */
  sflag: OpenFlag;
  /** Minor number asked for; a driver may set it (clone opens). */
  minor: number;
  /** Whatever the opener passed (configuration, injected I/O). */
  args: unknown;
}

export interface CloseCtx {
  env: StreamsEnv;
  stream: Stream;
  sflag: OpenFlag;
}

export interface StreamsModule {
  kind: 'module' | 'driver';
  name: string;
  streamtab: StreamTab;
  description?: string;
}

export interface ModuleDef extends StreamsModule {
  kind: 'module';
}

export interface DriverDef extends StreamsModule {
  kind: 'driver';
}

export function defineModule(streamtab: StreamTab, description?: string): ModuleDef {
  return { kind: 'module', name: streamtab.rdinit.minfo.name, streamtab, description };
}

export function defineDriver(streamtab: StreamTab, description?: string): DriverDef {
  return { kind: 'driver', name: streamtab.rdinit.minfo.name, streamtab, description };
}

export function isMux(def: StreamsModule): boolean {
  return def.kind === 'driver' && def.streamtab.muxrinit !== undefined && def.streamtab.muxwinit !== undefined;
}

/** Structural check for something loaded at runtime; returns why it is not a definition, or null. */
export function checkDefinition(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'not an object';
  const d = x as Partial<StreamsModule>;
  if (d.kind !== 'module' && d.kind !== 'driver') return "kind must be 'module' or 'driver'";
  if (typeof d.name !== 'string' || d.name === '') return 'name missing';
  const st = d.streamtab;
  if (typeof st !== 'object' || st === null) return 'streamtab missing';
  for (const side of ['rdinit', 'wrinit'] as const) {
    const qi = st[side];
    if (typeof qi !== 'object' || qi === null || typeof qi.put !== 'function') return `streamtab.${side}.put missing`;
    if (typeof qi.minfo !== 'object' || qi.minfo === null) return `streamtab.${side}.minfo missing`;
  }
  if ((st.muxrinit === undefined) !== (st.muxwinit === undefined)) return 'muxrinit and muxwinit go together';
  return null;
}
