/**
 * typed-emitter ships a CommonJS declaration whose default export is the interface; under
 * NodeNext an ESM default import sees it one level down. One alias here, used everywhere.
 */
import { EventEmitter } from 'node:events';
import type TypedEmitterModule from 'typed-emitter';

export type EventMap = TypedEmitterModule.EventMap;
export type TypedEmitter<E extends EventMap> = TypedEmitterModule.default<E>;


/**
 * A typed emitter whose Node EventEmitter is made when the first listener arrives. Every
 * stream is an emitter, yet most streams (one per socket) never get a listener; a Node
 * EventEmitter per stream costs a dictionary-mode `_events` object (~150 bytes) from birth.
 * Emitting with no emitter does nothing and returns false, as with no listeners.
 */
export class LazyEmitter<E extends EventMap> implements TypedEmitter<E> {
  private em: EventEmitter | null = null;

  private get emitter(): EventEmitter {
    return (this.em ??= new EventEmitter());
  }

  addListener<K extends keyof E>(event: K, listener: E[K]): this {
    this.emitter.addListener(event as string, listener);
    return this;
  }
  on<K extends keyof E>(event: K, listener: E[K]): this {
    this.emitter.on(event as string, listener);
    return this;
  }
  once<K extends keyof E>(event: K, listener: E[K]): this {
    this.emitter.once(event as string, listener);
    return this;
  }
  prependListener<K extends keyof E>(event: K, listener: E[K]): this {
    this.emitter.prependListener(event as string, listener);
    return this;
  }
  prependOnceListener<K extends keyof E>(event: K, listener: E[K]): this {
    this.emitter.prependOnceListener(event as string, listener);
    return this;
  }
  off<K extends keyof E>(event: K, listener: E[K]): this {
    this.em?.off(event as string, listener);
    return this;
  }
  removeAllListeners<K extends keyof E>(event?: K): this {
    if (event === undefined) this.em?.removeAllListeners();
    else this.em?.removeAllListeners(event as string);
    return this;
  }
  removeListener<K extends keyof E>(event: K, listener: E[K]): this {
    this.em?.removeListener(event as string, listener);
    return this;
  }
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    return this.em === null ? false : this.em.emit(event as string, ...args);
  }
  eventNames(): (keyof E | string | symbol)[] {
    return this.em === null ? [] : this.em.eventNames();
  }
  rawListeners<K extends keyof E>(event: K): E[K][] {
    return this.em === null ? [] : (this.em.rawListeners(event as string) as E[K][]);
  }
  listeners<K extends keyof E>(event: K): E[K][] {
    return this.em === null ? [] : (this.em.listeners(event as string) as E[K][]);
  }
  listenerCount<K extends keyof E>(event: K): number {
    return this.em === null ? 0 : this.em.listenerCount(event as string);
  }
  getMaxListeners(): number {
    return this.emitter.getMaxListeners();
  }
  setMaxListeners(n: number): this {
    this.emitter.setMaxListeners(n);
    return this;
  }
}
