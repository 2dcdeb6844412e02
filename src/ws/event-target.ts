import type { EventEmitter } from 'node:events';

/**
 * The WHATWG side of a WebSocket (`addEventListener`, `onmessage`, ...), laid over its
 * EventEmitter events as the ws package does, so browser-style code runs unchanged.
 */

/** The WebSocket's answer to CloseEvent.wasClean: both close frames passed. */
export const kWasClean = Symbol('wasClean');

export interface EventHost extends EventEmitter {
  readonly [kWasClean]: boolean;
}

export class Event {
  readonly type: string;
  target: EventHost | null = null;

  constructor(type: string) {
    this.type = type;
  }
}

export class MessageEvent extends Event {
  /** A string for a text message; for a binary one, what `binaryType` asks for. */
  readonly data: string | Buffer | ArrayBuffer | Buffer[];

  constructor(data: string | Buffer | ArrayBuffer | Buffer[]) {
    super('message');
    this.data = data;
  }
}

export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  constructor(code: number, reason: string, wasClean: boolean) {
    super('close');
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

export class ErrorEvent extends Event {
  readonly error: Error;
  readonly message: string;

  constructor(error: Error) {
    super('error');
    this.error = error;
    this.message = error.message;
  }
}

/** The event each WHATWG event type delivers. */
export interface WebSocketEventMap {
  open: Event;
  message: MessageEvent;
  close: CloseEvent;
  error: ErrorEvent;
}

type EventType = keyof WebSocketEventMap;

export type EventListener<E = Event> = ((event: E) => void) | { handleEvent(event: E): void };

export interface AddEventListenerOptions {
  once?: boolean;
}

const kListener = Symbol('listener');
const kAttribute = Symbol('attribute');

type AnyEventListener = EventListener<never>;
// The shape EventEmitter takes listeners in.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (...args: any[]) => void;
type Wrapper = Handler & { [kListener]: AnyEventListener; [kAttribute]: boolean };

function call(listener: AnyEventListener, host: EventHost, event: Event): void {
  event.target = host;
  if (typeof listener === 'function') {
    (listener as (this: EventHost, event: Event) => void).call(host, event);
  } else {
    (listener.handleEvent as (event: Event) => void).call(listener, event);
  }
}

function wrap(type: EventType, listener: AnyEventListener): Handler {
  switch (type) {
    case 'open':
      return function onOpen(this: EventHost) {
        call(listener, this, new Event('open'));
      };
    case 'message':
      return function onMessage(
        this: EventHost,
        data: Buffer | ArrayBuffer | Buffer[],
        isBinary: boolean,
      ) {
        // A text message always arrives as a Buffer, whatever binaryType says.
        call(listener, this, new MessageEvent(isBinary ? data : (data as Buffer).toString()));
      };
    case 'close':
      return function onClose(this: EventHost, code: number, reason: Buffer) {
        call(listener, this, new CloseEvent(code, reason.toString(), this[kWasClean]));
      };
    case 'error':
      return function onError(this: EventHost, error: Error) {
        call(listener, this, new ErrorEvent(error));
      };
  }
}

function isEventType(type: string): type is EventType {
  return type === 'open' || type === 'message' || type === 'close' || type === 'error';
}

function wrappers(host: EventHost, type: string): Wrapper[] {
  return host.listeners(type).filter((fn): fn is Wrapper => kListener in fn);
}

export function addEventListener(
  host: EventHost,
  type: string,
  listener: AnyEventListener,
  options: AddEventListenerOptions = {},
  attribute = false,
): void {
  if (!isEventType(type)) return;
  // Like EventTarget: adding the same listener twice has no effect.
  if (!attribute && wrappers(host, type).some((w) => w[kListener] === listener && !w[kAttribute])) {
    return;
  }
  const wrapper = Object.assign(wrap(type, listener), {
    [kListener]: listener,
    [kAttribute]: attribute,
  });
  if (options.once) host.once(type, wrapper);
  else host.on(type, wrapper);
}

export function removeEventListener(
  host: EventHost,
  type: string,
  listener: AnyEventListener,
): void {
  const wrapper = wrappers(host, type).find((w) => w[kListener] === listener && !w[kAttribute]);
  if (wrapper !== undefined) host.removeListener(type, wrapper);
}

/** The listener set through `on<type>`, or null. */
export function getAttributeListener<K extends EventType>(
  host: EventHost,
  type: K,
): ((event: WebSocketEventMap[K]) => void) | null {
  const listener = wrappers(host, type).find((w) => w[kAttribute])?.[kListener];
  return (listener ?? null) as ((event: WebSocketEventMap[K]) => void) | null;
}

/** `on<type> = listener`: replaces the previous one; anything but a function removes it. */
export function setAttributeListener(host: EventHost, type: EventType, listener: unknown): void {
  for (const wrapper of wrappers(host, type)) {
    if (wrapper[kAttribute]) host.removeListener(type, wrapper);
  }
  if (typeof listener === 'function')
    addEventListener(host, type, listener as AnyEventListener, {}, true);
}
