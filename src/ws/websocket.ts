import type {
  ClientRequest,
  ClientRequestArgs,
  IncomingMessage,
  OutgoingHttpHeaders,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_CONTROL_PAYLOAD, Opcode, StatusCode } from '../constants.js';
import { resolveBackend, type Backend } from '../backends/select.js';
import * as check from '../validate.js';
import { isValidCloseCode, MAX_REASON_BYTES } from './close-frame.js';
import {
  parseAddress,
  parseRequestedProtocols,
  startClientHandshake,
  type RequestOptions,
} from './client-handshake.js';
import {
  addEventListener,
  getAttributeListener,
  kWasClean,
  removeEventListener,
  setAttributeListener,
  type AddEventListenerOptions,
  type CloseEvent,
  type ErrorEvent,
  type Event,
  type EventListener,
  type MessageEvent,
  type WebSocketEventMap,
} from './event-target.js';
import { DeflateExtension } from './deflate-extension.js';
import { Heartbeat, resolveHeartbeat, type HeartbeatOptions } from './heartbeat.js';
import { readyStateOf } from './connection-state.js';
import { IoLoop, type IoEvents, type SendCallback } from './io-loop.js';
import { resolveLimits, type Limits } from './limits.js';
import { refuseUnsupportedOptions } from './unsupported-options.js';
import { iterateMessages, type ReceivedMessage } from './message-iterator.js';
import {
  resolveDeflateOptions,
  type DeflateConfig,
  type DeflateParams,
  type PerMessageDeflateOptions,
} from './permessage-deflate.js';
import type { Topics } from './topics.js';
import { EMPTY_BUFFER } from '../empty.js';
import { TypedEmitter } from './typed-events.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';
export type RawData = Buffer | ArrayBuffer | Buffer[] | Blob;
export type { SendCallback } from './io-loop.js';
export type { HeartbeatOptions } from './heartbeat.js';

/** Options every connection takes, on either side. */
export interface ConnectionOptions {
  /** The EventContext backend; the package's default when absent. */
  backend?: Backend;
  /** Largest message accepted, in bytes (default 100 MiB; 0 means as large as a Buffer). */
  maxPayload?: number;
  /** `send()` returns false while more than this many bytes wait to go out (default 1 MiB). */
  highWaterMark?: number;
  /** A peer that leaves more than this many bytes unread is dropped (default 128 MiB). */
  maxBufferedAmount?: number;
  /** Milliseconds to wait for the closing handshake to finish (default 30 s). */
  closeTimeout?: number;
  /** Ping the peer every `interval` ms; terminate it when a pong takes over `timeout` ms. */
  heartbeat?: HeartbeatOptions;
  /**
   * permessage-deflate (RFC 7692), as in ws: off by default on a server, offered by default
   * by a client; true takes every default.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Only true (ws's default) is accepted: wslay answers every ping. */
  autoPong?: boolean;
  /** Only true (ws's default) is accepted: a read's messages are delivered in one go. */
  allowSynchronousEvents?: boolean;
  /** Only false (ws's default) is accepted: text messages are always checked. */
  skipUTF8Validation?: boolean;
}

/** ws's `finishRequest`: takes over the request, and must call `request.end()` itself. */
export type FinishRequestCallback = (request: ClientRequest, websocket: WebSocket) => void;

export interface ClientOptions extends ConnectionOptions, RequestOptions {
  /** Extra request headers. */
  headers?: OutgoingHttpHeaders;
  /** The Origin header. */
  origin?: string;
  /** Milliseconds the opening handshake may take (default 30 s). */
  handshakeTimeout?: number;
  /** Largest total size of the response's headers (default 16 KiB). */
  maxHeaderSize?: number;
  /** Follow HTTP redirects of the opening handshake (default false), as ws does. */
  followRedirects?: boolean;
  /** Most redirects followed (default 10). */
  maxRedirects?: number;
  /** The Sec-WebSocket-Version to ask for: 13 (the default) or 8. */
  protocolVersion?: number;
  /** Fills the 4-byte masking key of each frame; a secure random source by default. */
  generateMask?: (mask: Buffer) => void;
  /** Makes the request's socket, given the request's options (default: TCP, TLS or IPC). */
  createConnection?: (options: ClientRequestArgs) => Duplex;
  /** Called with the request in place of `request.end()`, which it must call itself. */
  finishRequest?: FinishRequestCallback;
}

export interface SendOptions {
  /** Send as a binary message; the default is false for strings, true otherwise. */
  binary?: boolean;
  /** false: more of this message follows in later send() calls. */
  fin?: boolean;
  /** Accepted for compatibility with ws; wslay masks exactly when RFC 6455 requires it. */
  mask?: boolean;
  /** Compress the message when permessage-deflate was negotiated (default true). */
  compress?: boolean;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const stateNames = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** permessage-deflate as a server agreed to it. */
export interface NegotiatedDeflate {
  params: DeflateParams;
  config: DeflateConfig;
}

/** A connection the server accepted: the WebSocket starts OPEN on this socket. */
class Accepted {
  constructor(
    readonly socket: Duplex,
    readonly head: Buffer,
    readonly protocol: string,
    readonly options: ConnectionOptions,
    readonly topics: Topics<WebSocket>,
    readonly deflate: NegotiatedDeflate | null,
  ) {}
}

/**
 * What a server does with a connection whose peer leaves more than `maxBufferedAmount` bytes
 * unread when a broadcast or publish comes: end it, as `send()` does, or skip the message.
 */
export type BroadcastOverflow = 'terminate' | 'skip';

/** Queues a frame encoded once for many connections; false when `ws` does not take it. */
export let sendSharedFrame: (ws: WebSocket, frame: Buffer, whenFull: BroadcastOverflow) => boolean;

/** An Error with the ws package's `code`, and the close code that was sent for it. */
let ioEvents: IoEvents<WebSocket>;

function connectionError(message: string, code: string, statusCode?: number): Error {
  return Object.assign(
    new Error(message),
    statusCode === undefined ? { code } : { code, statusCode },
  );
}

export function toBytes(data: unknown): { bytes: Uint8Array; isString: boolean } {
  if (typeof data === 'string') return { bytes: Buffer.from(data), isString: true };
  if (typeof data === 'number') return { bytes: Buffer.from(String(data)), isString: true };
  if (data instanceof Uint8Array) return { bytes: data, isString: false };
  if (data instanceof ArrayBuffer) return { bytes: new Uint8Array(data), isString: false };
  if (ArrayBuffer.isView(data)) {
    return {
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      isString: false,
    };
  }
  // As ws: no data is an empty binary payload, an array of bytes is read as one.
  if (data === undefined || data === null) return { bytes: EMPTY_BUFFER, isString: false };
  if (Array.isArray(data)) return { bytes: Buffer.from(data), isString: false };
  throw new TypeError(
    `data must be a string, a Buffer, an ArrayBuffer, a typed array or an array of bytes, got ${check.show(data)}`,
  );
}

/** A payload's length in bytes; a Blob's is known before it is read. */
function sizeOf(payload: Uint8Array | Blob): number {
  return payload instanceof Blob ? payload.size : payload.length;
}

/** The options of ours; the rest of a client's options go to `http.request`. */
const ownOptions = [
  'headers',
  'origin',
  'handshakeTimeout',
  'maxHeaderSize',
  'backend',
  'maxPayload',
  'highWaterMark',
  'maxBufferedAmount',
  'closeTimeout',
  'heartbeat',
  'perMessageDeflate',
  'autoPong',
  'allowSynchronousEvents',
  'skipUTF8Validation',
  'followRedirects',
  'maxRedirects',
  'protocolVersion',
  'generateMask',
  'createConnection',
  'finishRequest',
] as const;

function requestOptions(options: ClientOptions): RequestOptions {
  const request: Record<string, unknown> = { ...options };
  for (const key of ownOptions) delete request[key];
  return request;
}

export function resolveConnection(
  options: ConnectionOptions & { handshakeTimeout?: number; maxHeaderSize?: number },
  deflateByDefault = false,
): {
  limits: Limits;
  heartbeat: HeartbeatOptions | null;
  backend: Backend;
  deflate: DeflateConfig | null;
} {
  refuseUnsupportedOptions(options as Record<string, unknown>);
  return {
    deflate: resolveDeflateOptions(options.perMessageDeflate, deflateByDefault),
    limits: resolveLimits(options),
    heartbeat: resolveHeartbeat(options.heartbeat),
    // Resolved up front so that a backend that cannot load fails here, not mid-handshake.
    backend: resolveBackend(options.backend).name,
  };
}

/** The events a WebSocket emits, with their listeners' parameters. */
export interface WebSocketEvents {
  open: () => void;
  message: (data: RawData, isBinary: boolean) => void;
  ping: (data: Buffer) => void;
  pong: (data: Buffer) => void;
  close: (code: number, reason: Buffer) => void;
  error: (error: Error) => void;
  drain: () => void;
  upgrade: (response: IncomingMessage) => void;
  'unexpected-response': (request: ClientRequest, response: IncomingMessage) => void;
  redirect: (url: string, request: ClientRequest) => void;
}

/**
 * A WebSocket connection with the API of the ws package: a client when constructed with an
 * address, or the server's end of a connection that WebSocketServer accepted.
 */
export class WebSocket extends TypedEmitter<WebSocketEvents> {
  // Defined below the class, read-only and enumerable on the class and its prototype, as ws
  // defines them: a field would make them own, writable properties of every instance.
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /** readyState until the connection opens (or instead, when it never does). */
  #unopenedState: number = CONNECTING;
  #url: string;
  #protocol = '';
  #extensions = '';
  /** The first fragment's compress option, which the whole message follows. */
  #fragmentsCompress = true;
  #binaryType: BinaryType = 'nodebuffer';
  readonly #limits: Limits;
  readonly #backend: Backend;
  readonly #heartbeatOptions: HeartbeatOptions | null;
  #heartbeat: Heartbeat | null = null;
  #loop: IoLoop<WebSocket> | null = null;
  #abortHandshake: ((reason: Error) => void) | null = null;
  #needDrain = false;
  /** Bytes given to send(), ping() or pong() once no longer OPEN. */
  #sentAfterClose = 0;
  #wasClean = false;
  #fragments: (Uint8Array | Blob)[] = [];
  #fragmentsBinary = false;
  #fragmentCallbacks: SendCallback[] = [];
  /** The server's topics, for a connection it accepted; null for a client. */
  #topics: Topics<WebSocket> | null = null;
  #subscriptions: Set<string> | null = null;
  #generateMask: ((mask: Buffer) => void) | undefined = undefined;

  constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions);
  constructor(address: string | URL, options?: ClientOptions);
  constructor(
    address: string | URL | Accepted,
    protocols?: string | string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    if (address instanceof Accepted) {
      const { limits, heartbeat, backend } = resolveConnection(address.options);
      this.#limits = limits;
      this.#heartbeatOptions = heartbeat;
      this.#backend = backend;
      this.#url = '';
      this.#topics = address.topics;
      const { deflate } = address;
      this.#attach(
        address.socket,
        address.head,
        address.protocol,
        'server',
        deflate === null ? null : this.#deflateExtension(deflate.params, deflate.config, true),
      );
      return;
    }
    if (protocols !== undefined && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols;
      protocols = undefined;
    }
    const opts: ClientOptions = options === undefined ? {} : check.object(options, 'options');
    // In ws's order of checks, so that a program sees the same error first.
    const protocolVersion = opts.protocolVersion ?? 13;
    if (protocolVersion !== 8 && protocolVersion !== 13) {
      throw new RangeError(
        `Unsupported protocol version: ${String(protocolVersion)} (supported versions: 8, 13)`,
      );
    }
    const url = parseAddress(address);
    const requested = parseRequestedProtocols(protocols);
    const { limits, heartbeat, backend, deflate } = resolveConnection(opts, true);
    const follow =
      opts.followRedirects === undefined
        ? false
        : check.boolean(opts.followRedirects, 'options.followRedirects');
    const maxRedirects =
      opts.maxRedirects === undefined
        ? 10
        : check.integerIn(opts.maxRedirects, 0, Number.MAX_SAFE_INTEGER, 'options.maxRedirects');
    check.optionalFunction(opts.generateMask, 'options.generateMask');
    check.optionalFunction(opts.createConnection, 'options.createConnection');
    check.optionalFunction(opts.finishRequest, 'options.finishRequest');
    this.#limits = limits;
    this.#heartbeatOptions = heartbeat;
    this.#backend = backend;
    this.#generateMask = opts.generateMask;
    this.#url = url.href;
    const finishRequest = opts.finishRequest;
    // finishRequest runs before startClientHandshake returns: a close() or terminate() in it
    // abandons the handshake once it has returned, as in ws.
    let abandoned: Error | null = null;
    this.#abortHandshake = (reason) => {
      abandoned ??= reason;
      this.#unopenedState = CLOSING;
    };
    const abort = startClientHandshake(
      {
        url,
        protocols: requested,
        headers: opts.headers,
        origin: opts.origin,
        request: requestOptions(opts),
        handshakeTimeout: limits.handshakeTimeout,
        maxHeaderSize: limits.maxHeaderSize,
        protocolVersion,
        redirects: { follow, max: maxRedirects },
        createConnection: opts.createConnection,
        finishRequest: finishRequest && ((req) => finishRequest(req, this)),
        deflate,
      },
      {
        upgraded: (res, socket, head, protocol, agreed) =>
          this.#upgraded(
            res,
            socket,
            head,
            protocol,
            agreed === null ? null : this.#deflateExtension(agreed, deflate!, false),
          ),
        unexpectedResponse: (req: ClientRequest, res: IncomingMessage) =>
          this.emit('unexpected-response', req, res),
        redirecting: (next) => {
          this.#url = next.href;
          return this.listenerCount('redirect') > 0;
        },
        redirected: (next, req) => this.emit('redirect', next.href, req),
        failed: (error) => this.#handshakeFailed(error),
      },
    );
    this.#abortHandshake = abort;
    if (abandoned !== null) abort(abandoned);
  }

  /** Once open, the I/O loop's state says it: the two cannot disagree. */
  get readyState(): number {
    return this.#loop === null ? this.#unopenedState : readyStateOf(this.#loop.state);
  }
  get url(): string {
    return this.#url;
  }
  get protocol(): string {
    return this.#protocol;
  }
  /** The negotiated extensions: 'permessage-deflate' or ''. */
  get extensions(): string {
    return this.#extensions;
  }
  get isPaused(): boolean {
    return this.#loop?.isPaused ?? false;
  }

  /** Bytes given to send() (or ping/pong/close) that have not reached the kernel yet. */
  get bufferedAmount(): number {
    let fragments = 0;
    for (const fragment of this.#fragments) fragments += sizeOf(fragment);
    return fragments + this.#sentAfterClose + (this.#loop?.bufferedAmount ?? 0);
  }

  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  /** An unknown type is ignored, as by `ws` and the WHATWG WebSocket. */
  set binaryType(type: BinaryType) {
    if (
      type === 'nodebuffer' ||
      type === 'arraybuffer' ||
      type === 'fragments' ||
      type === 'blob'
    ) {
      this.#binaryType = type;
    }
  }

  get [kWasClean](): boolean {
    return this.#wasClean;
  }

  /**
   * Sends a message. Returns false once more than `highWaterMark` bytes are waiting to go
   * out; 'drain' follows when they have. `callback` runs once the message is written.
   */
  send(data: unknown, options?: SendOptions | SendCallback, callback?: SendCallback): boolean {
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    const opts: SendOptions = options === undefined ? {} : check.object(options, 'options');
    const loop = this.#loop;
    if (loop === null && this.#unopenedState === CONNECTING) throw this.#notOpenError();
    // A Blob is read asynchronously, as by ws; what is sent after it waits for it.
    const { bytes, isString } =
      data instanceof Blob ? { bytes: data, isString: false } : toBytes(data);
    if (loop === null || this.readyState !== OPEN) {
      this.#sendAfterClose(sizeOf(bytes), callback);
      return false;
    }
    const buffered = this.bufferedAmount + sizeOf(bytes);
    if (buffered > this.#limits.maxBufferedAmount) {
      this.#bufferFull(callback);
      return false;
    }
    if (this.#fragments.length === 0) {
      this.#fragmentsBinary = opts.binary ?? !isString;
      this.#fragmentsCompress = opts.compress ?? true;
    }
    if (opts.fin === false) {
      // wslay sends whole messages: the pieces are joined and sent when the last one comes.
      this.#fragments.push(bytes instanceof Blob ? bytes : Uint8Array.from(bytes));
      if (callback !== undefined) this.#fragmentCallbacks.push(callback);
      return this.#belowHighWaterMark(buffered);
    }
    let message = bytes;
    let done = callback;
    if (this.#fragments.length > 0) {
      const parts = [...this.#fragments, bytes];
      message = parts.some((part) => part instanceof Blob)
        ? new Blob(parts)
        : Buffer.concat(parts as Uint8Array[]);
      const callbacks = [...this.#fragmentCallbacks, ...(callback === undefined ? [] : [callback])];
      done = (error) => {
        for (const cb of callbacks) cb(error);
      };
      this.#fragments = [];
      this.#fragmentCallbacks = [];
    }
    const opcode = this.#fragmentsBinary ? Opcode.BINARY_FRAME : Opcode.TEXT_FRAME;
    if (
      !(message instanceof Blob
        ? loop.sendBlob(opcode, message, done, this.#fragmentsCompress)
        : loop.send(opcode, message, done, this.#fragmentsCompress))
    ) {
      // The connection failed just now (wslay could not make its context).
      this.#notOpen(done);
      return false;
    }
    return this.#belowHighWaterMark(buffered);
  }

  ping(data?: unknown, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.#control(Opcode.PING, data, mask, callback);
  }

  pong(data?: unknown, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.#control(Opcode.PONG, data, mask, callback);
  }

  /**
   * Starts the closing handshake, after every message sent before it. Without a code the
   * close frame is empty, and the peer reports 1005.
   */
  close(code?: number, reason?: string | Buffer): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.#abortHandshake?.(
        new Error('WebSocket was closed before the connection was established'),
      );
      return;
    }
    // As in ws: once closing, a second close() is not checked, it has nothing left to do.
    if (this.readyState === CLOSING) return;
    if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    const reasonBytes =
      code === undefined || reason === undefined
        ? undefined
        : typeof reason === 'string'
          ? Buffer.from(reason)
          : check.bytes(reason, 'reason');
    if (reasonBytes !== undefined && reasonBytes.length > MAX_REASON_BYTES) {
      throw new RangeError(`The message must not be greater than ${MAX_REASON_BYTES} bytes`);
    }
    this.#loop?.close(code, reasonBytes === undefined ? undefined : Buffer.from(reasonBytes));
  }

  /** Ends the connection at once, without a closing handshake. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.#abortHandshake?.(
        new Error('WebSocket was closed before the connection was established'),
      );
      return;
    }
    this.#loop?.destroy();
  }

  /** Stops reading from the socket; messages wait in the kernel. */
  pause(): void {
    if (this.readyState !== CONNECTING && this.readyState !== CLOSED) this.#loop?.pause();
  }

  resume(): void {
    if (this.readyState !== CONNECTING && this.readyState !== CLOSED) this.#loop?.resume();
  }

  /**
   * Subscribes this connection to `topic`: the server's `publish(topic, ...)` reaches it,
   * from this process or, through the server's broker, from any other. Only for connections
   * a WebSocketServer accepted; a closed connection subscribes to nothing.
   */
  subscribe(topic: string): void {
    const topics = this.#serverTopics(topic, 'subscribe');
    if (this.readyState === CLOSED || !topics.add(this, topic)) return;
    (this.#subscriptions ??= new Set()).add(topic);
  }

  unsubscribe(topic: string): void {
    const topics = this.#serverTopics(topic, 'unsubscribe');
    if (topics.delete(this, topic)) this.#subscriptions?.delete(topic);
  }

  isSubscribed(topic: string): boolean {
    this.#serverTopics(topic, 'isSubscribed');
    return this.#subscriptions?.has(topic) ?? false;
  }

  /** The topics this connection is subscribed to. */
  get topics(): string[] {
    return this.#subscriptions === null ? [] : [...this.#subscriptions];
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ReceivedMessage<RawData>> {
    return iterateMessages<RawData>(this);
  }

  // --- WHATWG events ---------------------------------------------------------------------

  addEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: EventListener<WebSocketEventMap[K]>,
    options?: AddEventListenerOptions,
  ): void {
    addEventListener(this, type, listener, options);
  }

  removeEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: EventListener<WebSocketEventMap[K]>,
  ): void {
    removeEventListener(this, type, listener);
  }

  get onopen(): ((event: Event) => void) | null {
    return getAttributeListener(this, 'open');
  }
  set onopen(listener: ((event: Event) => void) | null) {
    setAttributeListener(this, 'open', listener);
  }
  get onmessage(): ((event: MessageEvent) => void) | null {
    return getAttributeListener(this, 'message');
  }
  set onmessage(listener: ((event: MessageEvent) => void) | null) {
    setAttributeListener(this, 'message', listener);
  }
  get onclose(): ((event: CloseEvent) => void) | null {
    return getAttributeListener(this, 'close');
  }
  set onclose(listener: ((event: CloseEvent) => void) | null) {
    setAttributeListener(this, 'close', listener);
  }
  get onerror(): ((event: ErrorEvent) => void) | null {
    return getAttributeListener(this, 'error');
  }
  set onerror(listener: ((event: ErrorEvent) => void) | null) {
    setAttributeListener(this, 'error', listener);
  }

  // --- internals -------------------------------------------------------------------------

  #serverTopics(topic: unknown, method: string): Topics<WebSocket> {
    if (typeof topic !== 'string') {
      throw new TypeError(`topic must be a string, got ${check.show(topic)}`);
    }
    if (this.#topics === null) {
      throw new Error(`${method}() is for connections a WebSocketServer accepted, not clients`);
    }
    return this.#topics;
  }

  #attach(
    socket: Duplex,
    head: Buffer,
    protocol: string,
    role: 'server' | 'client',
    deflate: DeflateExtension | null,
  ): void {
    const loop = new IoLoop(socket, ioEvents, this, {
      role,
      backend: this.#backend,
      maxPayload: this.#limits.maxPayload,
      maxBufferedAmount: this.#limits.maxBufferedAmount,
      closeTimeout: this.#limits.closeTimeout,
      generateMask: this.#generateMask,
      deflate,
    });
    this.#loop = loop;
    this.#protocol = protocol;
    this.#extensions = deflate === null ? '' : deflate.name;
    loop.start(head);
    if (this.#heartbeatOptions !== null) {
      this.#heartbeat = new Heartbeat(
        this.#heartbeatOptions,
        () => this.#heartbeatPing(),
        () => this.#heartbeatTimeout(),
      );
      this.#heartbeat.start();
    }
  }

  #deflateExtension(
    params: DeflateParams,
    config: DeflateConfig,
    isServer: boolean,
  ): DeflateExtension {
    return new DeflateExtension(params, config, isServer, this.#limits.maxPayload);
  }

  #upgraded(
    res: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    protocol: string,
    deflate: DeflateExtension | null,
  ): void {
    // 'upgrade' comes while CONNECTING, as with ws: close() or terminate() in a listener
    // abandons the handshake.
    let abandoned: Error | null = null;
    this.#abortHandshake = (reason) => {
      abandoned ??= reason;
    };
    this.emit('upgrade', res);
    this.#abortHandshake = null;
    if (abandoned !== null) {
      socket.destroy();
      this.#handshakeFailed(abandoned);
      return;
    }
    try {
      this.#attach(socket, head, protocol, 'client', deflate);
    } catch (error) {
      socket.destroy();
      this.#handshakeFailed(error as Error);
      return;
    }
    this.emit('open');
  }

  /** Ends a connection that never opened; `error` null when the application knows why. */
  #handshakeFailed(error: Error | null): void {
    this.#abortHandshake = null;
    this.#unopenedState = CLOSING;
    process.nextTick(() => {
      try {
        if (error !== null) this.emit('error', error);
      } finally {
        this.#unopenedState = CLOSED;
        this.emit('close', StatusCode.ABNORMAL_CLOSURE, EMPTY_BUFFER);
      }
    });
  }

  // What every connection's I/O loop reports, as one table for all of them: a function of the
  // class body may reach the private state of any WebSocket it is given.
  static {
    ioEvents = {
      message: (ws, data, isBinary) =>
        ws.emit('message', isBinary ? ws.#binary(data) : data, isBinary),
      ping: (ws, data) => ws.emit('ping', data),
      pong: (ws, data) => {
        ws.#heartbeat?.alive();
        ws.emit('pong', data);
      },
      violation: (ws, error) => ws.emit('error', error),
      failure: (ws, error) => ws.emit('error', error),
      overflow: (ws) => ws.#bufferFull(undefined),
      writable: (ws) => {
        if (ws.#needDrain && ws.bufferedAmount < ws.#limits.highWaterMark) {
          ws.#needDrain = false;
          ws.emit('drain');
        }
      },
      closed: (ws, code, reason, wasClean) => {
        ws.#heartbeat?.stop();
        if (ws.#subscriptions !== null) {
          for (const topic of ws.#subscriptions) ws.#topics?.delete(ws, topic);
          ws.#subscriptions = null;
        }
        ws.#wasClean = wasClean;
        ws.#fragments = [];
        ws.#failCallbacks(ws.#fragmentCallbacks);
        ws.#fragmentCallbacks = [];
        ws.emit('close', code, reason);
      },
    };
    sendSharedFrame = (ws, frame, whenFull) => {
      const loop = ws.#loop;
      if (loop === null || ws.readyState !== OPEN) return false;
      if (ws.bufferedAmount + frame.length > ws.#limits.maxBufferedAmount) {
        if (whenFull === 'terminate') ws.#bufferFull(undefined);
        return false;
      }
      return loop.sendFrame(frame, undefined);
    };
  }

  #binary(data: Buffer): RawData {
    if (this.#binaryType === 'nodebuffer') return data;
    if (this.#binaryType === 'fragments') return [data];
    if (this.#binaryType === 'blob') return new Blob([data]);
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
  }

  #control(
    opcode: number,
    data: unknown,
    mask: boolean | SendCallback | undefined,
    callback: SendCallback | undefined,
  ): void {
    if (typeof data === 'function') {
      callback = data as SendCallback;
      data = undefined;
    } else if (typeof mask === 'function') {
      callback = mask;
    }
    if (this.readyState === CONNECTING) throw this.#notOpenError();
    const bytes = data instanceof Blob ? data : toBytes(data).bytes;
    if (this.readyState !== OPEN) {
      this.#sendAfterClose(sizeOf(bytes), callback);
      return;
    }
    if (sizeOf(bytes) > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`The data size must not be greater than ${MAX_CONTROL_PAYLOAD} bytes`);
    }
    const loop = this.#loop;
    if (
      loop === null ||
      !(bytes instanceof Blob
        ? loop.sendBlob(opcode, bytes, callback)
        : loop.send(opcode, bytes, callback))
    ) {
      this.#notOpen(callback);
    }
  }

  #heartbeatPing(): void {
    this.#loop?.send(Opcode.PING, EMPTY_BUFFER, undefined);
  }

  #heartbeatTimeout(): void {
    if (this.readyState !== OPEN && this.readyState !== CLOSING) return;
    // Terminated first: with no 'error' listener, emit() throws.
    this.terminate();
    this.emit(
      'error',
      connectionError(
        `The peer did not answer a ping within ${this.#heartbeatOptions?.timeout} ms`,
        'WS_ERR_HEARTBEAT_TIMEOUT',
      ),
    );
  }

  #bufferFull(callback: SendCallback | undefined): void {
    const error = connectionError(
      `More than ${this.#limits.maxBufferedAmount} bytes are waiting for the peer to read them; ` +
        'the connection was terminated',
      'WS_ERR_BUFFER_FULL',
    );
    if (callback !== undefined) process.nextTick(callback, error);
    // Terminated first: with no 'error' listener, emit() throws.
    this.terminate();
    this.emit('error', error);
  }

  #belowHighWaterMark(buffered: number): boolean {
    if (buffered < this.#limits.highWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  #notOpenError(): Error {
    const state = this.readyState;
    return new Error(`WebSocket is not open: readyState ${state} (${stateNames[state]})`);
  }

  /**
   * As ws: what is sent once the connection is closing counts in bufferedAmount for good
   * (the WHATWG WebSocket does the same), and the callback gets the error.
   */
  #sendAfterClose(length: number, callback: SendCallback | undefined): void {
    this.#sentAfterClose += length;
    this.#notOpen(callback);
  }

  #notOpen(callback: SendCallback | undefined): void {
    if (callback !== undefined) process.nextTick(callback, this.#notOpenError());
  }

  #failCallbacks(callbacks: SendCallback[]): void {
    if (callbacks.length === 0) return;
    const error = this.#notOpenError();
    for (const callback of callbacks) process.nextTick(callback, error);
  }
}

for (const [value, name] of stateNames.entries()) {
  const descriptor = { enumerable: true, value };
  Object.defineProperty(WebSocket, name, descriptor);
  Object.defineProperty(WebSocket.prototype, name, descriptor);
}
// Accessors are enumerable in ws (a class's are not), which shows in a spread or a for-in.
for (const name of [
  'binaryType',
  'bufferedAmount',
  'extensions',
  'isPaused',
  'protocol',
  'readyState',
  'url',
  'onopen',
  'onerror',
  'onclose',
  'onmessage',
]) {
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true });
}

/** The server's end of a connection whose handshake the server has accepted. */
export function acceptedWebSocket(
  socket: Duplex,
  head: Buffer,
  protocol: string,
  options: ConnectionOptions,
  topics: Topics<WebSocket>,
  webSocketClass: typeof WebSocket = WebSocket,
  deflate: NegotiatedDeflate | null = null,
): WebSocket {
  // The constructor's server-side form is kept out of its public signatures. A subclass
  // (the server's `WebSocket` option) passes its arguments on to this constructor, as ws's do.
  const construct = webSocketClass as unknown as new (accepted: Accepted) => WebSocket;
  return new construct(new Accepted(socket, head, protocol, options, topics, deflate));
}
