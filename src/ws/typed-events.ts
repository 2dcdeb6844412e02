import { EventEmitter } from 'node:events';

/** EventEmitter's own listener type, for the event names a map does not list. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
type AnyListener = (...args: any[]) => void;

/**
 * An EventEmitter whose listener methods are typed for the events in `Events`, as @types/ws
 * declares them for ws's classes; other event names stay open.
 */
export interface TypedEmitter<Events> extends EventEmitter {
  on<E extends keyof Events>(event: E, listener: Events[E]): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof Events>(event: E, listener: Events[E]): this;
  once(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof Events>(event: E, listener: Events[E]): this;
  off(event: string | symbol, listener: AnyListener): this;
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
  prependListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  prependListener(event: string | symbol, listener: AnyListener): this;
  prependOnceListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  prependOnceListener(event: string | symbol, listener: AnyListener): this;
}

/** EventEmitter itself, seen through the typed listener methods above. */
export const TypedEmitter = EventEmitter as new <Events>() => TypedEmitter<Events>;
