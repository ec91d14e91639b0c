/**
 * typed-emitter ships a CommonJS declaration whose default export is the interface; under
 * NodeNext an ESM default import sees it one level down. One alias here, used everywhere.
 */
import type TypedEmitterModule from 'typed-emitter';

export type EventMap = TypedEmitterModule.EventMap;
export type TypedEmitter<E extends EventMap> = TypedEmitterModule.default<E>;
