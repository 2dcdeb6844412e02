import { fillMaskKey } from './random-mask.js';
import { ErrorCode } from './constants.js';
import { WslayError, freedError } from './errors.js';
import type { EventEngine, EventHooks } from './backends/engine.js';
import {
  CallbackBit,
  MessageWord,
  RecvEntry,
  RecvHeader,
  ReadResult,
  SendMeta,
  encodeReadResult,
} from './backends/layout.js';
import { resolveBackend, type Backend } from './backends/select.js';
import * as check from './validate.js';
import { EMPTY_BYTES } from './empty.js';

export type { Backend } from './backends/select.js';

export interface ContextOptions {
  /** The backend for this context; the default is the package's `backend`. */
  backend?: Backend;
}

export interface FrameRecvStartArg {
  fin: number;
  rsv: number;
  opcode: number;
  payloadLength: number;
}
export interface FrameRecvChunkArg {
  data: Uint8Array;
}
export interface MsgRecvArg {
  rsv: number;
  opcode: number;
  msg: Uint8Array;
  statusCode: number;
}

/** wslay's callbacks, in C's parameter order, less lengths and `user_data`. */
export interface EventCallbacks {
  /** Fill `buf` with at most `buf.length` bytes from the peer; return the count, or -1. */
  recv?(ctx: EventContext, buf: Uint8Array, flags: number): number;
  /** Send (part of) `data` to the peer; return the bytes taken, or -1. */
  send?(ctx: EventContext, data: Uint8Array, flags: number): number;
  /** Fill `buf` with a masking key; return 0, or -1. Clients default to crypto random bytes. */
  genmask?(ctx: EventContext, buf: Uint8Array): number;
  onFrameRecvStart?(ctx: EventContext, arg: FrameRecvStartArg): void;
  onFrameRecvChunk?(ctx: EventContext, arg: FrameRecvChunkArg): void;
  onFrameRecvEnd?(ctx: EventContext): void;
  onMsgRecv?(ctx: EventContext, arg: MsgRecvArg): void;
}

export interface QueuedMsg {
  opcode: number;
  msg: Uint8Array | string;
}

/** A message completed by `recvFrom()`; `msg` belongs to the caller. */
export type RecvFromListener = (
  opcode: number,
  msg: Buffer,
  statusCode: number,
  rsv: number,
) => void;

/** A message produced piece by piece while it is sent (`wslay_event_fragmented_msg`). */
export interface FragmentedMsg {
  opcode: number;
  /** Fill `buf` with the next bytes; `eof: true` with the last ones. `n: 0` means none yet. */
  read(ctx: EventContext, buf: Uint8Array): { n: number; eof: boolean };
}

type Reader = FragmentedMsg['read'];

const callbackNames = [
  'recv',
  'send',
  'genmask',
  'onFrameRecvStart',
  'onFrameRecvChunk',
  'onFrameRecvEnd',
  'onMsgRecv',
] as const;

const constructing = Symbol('EventContext.constructing');

/** Room for 64 messages per recvFrom() call before the table spills into a new one. */
const BATCH_META_WORDS = RecvHeader.WORDS + RecvEntry.WORDS * 64;
const UINT32_MAX = 0xffffffff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function validateCallbacks(callbacks: unknown): EventCallbacks {
  const object = check.object(callbacks, 'callbacks');
  for (const name of callbackNames) check.optionalFunction(object[name], `callbacks.${name}`);
  return { ...object };
}

function defaultGenmask(_ctx: EventContext, buf: Uint8Array): number {
  fillMaskKey(buf);
  return 0;
}

/**
 * A wslay event-based context (`wslay_event_context`): one end of one WebSocket
 * connection after the opening handshake. Create one with `EventContext.server()` or
 * `EventContext.client()`.
 */
export class EventContext {
  /** The backend this context runs on. */
  readonly backend: Backend;
  /** Whether this is the server or the client end (`wslay_event_context_server_init`). */
  readonly role: 'server' | 'client';

  #engine: EventEngine | null;
  #callbacks: EventCallbacks;
  #hooks: EventHooks;
  #depth = 0;
  #freePending = false;
  #inRecv = false;
  #inSend = false;
  /** The first exception thrown by a callback during the running recv()/send(). */
  #thrown: { value: unknown } | null = null;
  #readers = new Map<number, Reader>();
  #noBuffering = false;
  /** recvFrom()'s message table, reused from call to call. */
  #batchMeta: Uint32Array | null = null;
  #sendMeta = new Uint32Array(SendMeta.WORDS);
  #recvStarted = false;
  #callbacksChanged = false;
  #nextReader = 1;

  /** `wslay_event_context_server_init`. */
  static server(callbacks: EventCallbacks, options?: ContextOptions): EventContext {
    return new EventContext(constructing, 'server', callbacks, options);
  }

  /** `wslay_event_context_client_init`. */
  static client(callbacks: EventCallbacks, options?: ContextOptions): EventContext {
    return new EventContext(constructing, 'client', callbacks, options);
  }

  /** @internal Use `EventContext.server()` or `EventContext.client()`. */
  constructor(
    token: typeof constructing,
    role: 'server' | 'client',
    callbacks: EventCallbacks,
    options?: ContextOptions,
  ) {
    if (token !== constructing) {
      throw new TypeError('use EventContext.server() or EventContext.client() to create a context');
    }
    this.#callbacks = validateCallbacks(callbacks);
    const opts = options === undefined ? {} : check.object(options, 'options');
    const { name, impl } = resolveBackend(opts.backend);
    this.backend = name;
    this.role = role;
    this.#hooks = this.#makeHooks();
    this.#engine = impl.createEventEngine(role === 'server', this.#callbackMask());
  }

  /** `wslay_event_config_set_callbacks`: replaces every callback. */
  /**
   * `wslay_event_config_set_callbacks`: replaces every callback. Inside a callback, the new
   * callbacks are used at once but wslay learns which ones exist only when the running call
   * returns: swapping them under a running wslay call could make it call a removed one.
   */
  configSetCallbacks(callbacks: EventCallbacks): void {
    const engine = this.#live();
    this.#callbacks = validateCallbacks(callbacks);
    if (this.#depth > 0 || this.#inRecv) {
      this.#callbacksChanged = true;
    } else {
      engine.setCallbacks(this.#callbackMask());
    }
  }

  /** `wslay_event_config_set_no_buffering`: deliver data frames without buffering messages. */
  configSetNoBuffering(on: boolean): void {
    const engine = this.#live();
    check.boolean(on, 'on');
    // wslay.h: "must not be used after the first invocation of wslay_event_recv()"; doing
    // so anyway corrupts a message in progress inside wslay 1.1.1.
    if (this.#recvStarted) {
      throw new Error(
        'configSetNoBuffering() must be called before the first recv(), as wslay requires',
      );
    }
    engine.setNoBuffering(on);
    this.#noBuffering = on;
  }

  /** `wslay_event_config_set_max_recv_msg_length`. */
  configSetMaxRecvMsgLength(length: number): void {
    this.#live().setMaxRecvMsgLength(check.integerIn(length, 0, Number.MAX_SAFE_INTEGER, 'length'));
  }

  /** `wslay_event_config_set_allowed_rsv_bits`. */
  configSetAllowedRsvBits(rsv: number): void {
    this.#live().setAllowedRsvBits(check.integerIn(rsv, 0, 7, 'rsv'));
  }

  /** `wslay_event_recv`: reads through the recv callback until it would block. */
  recv(): void {
    this.#run('recv');
  }

  /** `wslay_event_send`: writes queued frames through the send callback until it would block. */
  send(): void {
    this.#run('send');
  }

  /**
   * `recv()` fed from `data` instead of the recv callback: the batch path for socket layers.
   * wslay reads `data` until it has consumed it (its recv callback then says WOULDBLOCK),
   * and each message it completes goes to `onMessage` once wslay has returned, as a Buffer
   * the caller may keep. Frame callbacks and `onMsgRecv` are not called. On the native
   * backend this is one call into C per chunk, however many frames it holds.
   * Returns the number of bytes wslay consumed (less than `data.length` once it stopped
   * reading). Not available in no-buffering mode, where messages are not assembled.
   */
  recvFrom(data: Uint8Array, onMessage: RecvFromListener): number {
    const engine = this.#live();
    check.bytes(data, 'data');
    if (typeof onMessage !== 'function') {
      throw new TypeError(`onMessage must be a function, got ${check.show(onMessage)}`);
    }
    if (this.#noBuffering)
      throw new Error('recvFrom() needs message buffering; no-buffering mode is on');
    if (this.#inRecv)
      throw new Error('recvFrom() cannot be called from inside a callback of recv()');
    // Taken while in use: a listener may call recvFrom() again before this one is read.
    const scratch = this.#batchMeta ?? new Uint32Array(BATCH_META_WORDS);
    this.#batchMeta = null;
    let meta = scratch;
    let payload: Uint8Array;
    this.#inRecv = true;
    this.#recvStarted = true;
    try {
      // Messages completed by this chunk mostly fit in its length; the rest spills over.
      payload = engine.outputOnDemand ? EMPTY_BYTES : Buffer.allocUnsafe(data.length);
      const spilled = engine.recvFrom(data, payload, scratch);
      if (spilled !== null) [meta, payload] = spilled;
    } finally {
      this.#inRecv = false;
      this.#applyDeferred();
    }
    const rc = meta[RecvHeader.RC]! | 0;
    const consumed = meta[RecvHeader.CONSUMED]!;
    const end = RecvHeader.WORDS + RecvEntry.WORDS * meta[RecvHeader.MESSAGE_COUNT]!;
    let thrown: { value: unknown } | null = null;
    if (end > RecvHeader.WORDS) {
      const bytes = Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      for (let i = RecvHeader.WORDS; i < end; i += RecvEntry.WORDS) {
        const word = meta[i + RecvEntry.MESSAGE]!;
        const offset = meta[i + RecvEntry.OFFSET]!;
        try {
          onMessage(
            word & MessageWord.OPCODE_MASK,
            bytes.subarray(offset, offset + meta[i + RecvEntry.LENGTH]!),
            word >>> MessageWord.STATUS_CODE_SHIFT,
            (word >>> MessageWord.RSV_SHIFT) & MessageWord.RSV_MASK,
          );
        } catch (error) {
          thrown ??= { value: error };
        }
      }
    }
    this.#batchMeta = scratch;
    if (thrown !== null) throw thrown.value;
    if (rc < 0) throw new WslayError(rc, 'wslay_event_recv');
    return consumed;
  }

  /**
   * `send()` with a send callback that takes every byte: returns all that wslay sent, as one
   * Buffer (empty when nothing was queued), for one socket write. genmask and fragmented
   * reads are called as usual; the `send` callback is not.
   */
  sendAll(): Buffer {
    const engine = this.#live();
    // Room for every queued message with the largest header; more (an automatic pong or
    // close, a fragmented message) spills into a buffer the backend makes.
    const room = Buffer.allocUnsafe(
      engine.getQueuedMsgLength() + 14 * engine.getQueuedMsgCount() + 16,
    );
    const meta = this.#sendMeta;
    let bytes: Uint8Array;
    let thrown: { value: unknown } | null;
    const outer = this.#enter('send', 'sendAll');
    try {
      const spilled = engine.sendAll(this.#hooks, room, meta);
      bytes = spilled ?? room.subarray(0, meta[SendMeta.LENGTH]);
    } finally {
      thrown = this.#leave('send', outer);
    }
    if (thrown !== null) throw thrown.value;
    const rc = meta[SendMeta.RC]! | 0;
    if (rc < 0) throw new WslayError(rc, 'wslay_event_send');
    return Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** `wslay_event_queue_msg`, or `wslay_event_queue_msg_ex` when `rsv` is given. */
  queueMsg(msg: QueuedMsg, rsv?: number): void {
    const engine = this.#live();
    const arg = check.object(msg, 'msg');
    const opcode = check.integerIn(arg.opcode, 0, 15, 'msg.opcode');
    const data = check.bytesOrString(arg.msg, 'msg.msg');
    const bits = rsv === undefined ? -1 : check.integerIn(rsv, 0, 7, 'rsv');
    this.#check(engine.queueMsg(opcode, data, bits), 'wslay_event_queue_msg');
  }

  /** `wslay_event_queue_fragmented_msg`, or `_ex` when `rsv` is given. */
  queueFragmentedMsg(msg: FragmentedMsg, rsv?: number): void {
    const engine = this.#live();
    const arg = check.object(msg, 'msg');
    const opcode = check.integerIn(arg.opcode, 0, 15, 'msg.opcode');
    if (typeof arg.read !== 'function') {
      throw new TypeError(`msg.read must be a function, got ${check.show(arg.read)}`);
    }
    const bits = rsv === undefined ? -1 : check.integerIn(rsv, 0, 7, 'rsv');
    const id = this.#nextReader++;
    this.#readers.set(id, (arg.read as Reader).bind(arg));
    const rc = engine.queueFragmentedMsg(opcode, id, bits);
    if (rc < 0) this.#readers.delete(id);
    this.#check(rc, 'wslay_event_queue_fragmented_msg');
  }

  /** `wslay_event_queue_close`; with no code, an empty close frame. */
  queueClose(statusCode?: number, reason?: Uint8Array | string): void {
    const engine = this.#live();
    const code =
      statusCode === undefined ? 0 : check.integerIn(statusCode, 0, 0xffff, 'statusCode');
    const bytes = reason === undefined ? null : check.bytesOrString(reason, 'reason');
    this.#check(engine.queueClose(code, bytes), 'wslay_event_queue_close');
  }

  /** `wslay_event_set_error`: how a recv/send callback says WOULDBLOCK or CALLBACK_FAILURE. */
  setError(code: number): void {
    this.#live().setError(check.integerIn(code, INT32_MIN, INT32_MAX, 'code'));
  }

  wantRead(): boolean {
    return this.#live().wantRead();
  }
  wantWrite(): boolean {
    return this.#live().wantWrite();
  }
  shutdownRead(): void {
    this.#live().shutdownRead();
  }
  shutdownWrite(): void {
    this.#live().shutdownWrite();
  }
  getReadEnabled(): boolean {
    return this.#live().getReadEnabled();
  }
  getWriteEnabled(): boolean {
    return this.#live().getWriteEnabled();
  }
  getCloseReceived(): boolean {
    return this.#live().getCloseReceived();
  }
  getCloseSent(): boolean {
    return this.#live().getCloseSent();
  }
  getStatusCodeReceived(): number {
    return this.#live().getStatusCodeReceived();
  }
  getStatusCodeSent(): number {
    return this.#live().getStatusCodeSent();
  }
  getQueuedMsgCount(): number {
    return this.#live().getQueuedMsgCount();
  }
  getQueuedMsgLength(): number {
    return this.#live().getQueuedMsgLength();
  }

  /**
   * `wslay_event_context_free`. Idempotent. Inside a callback it takes effect when the
   * running recv()/send() returns; until then no further callback is delivered.
   */
  free(): void {
    if (this.#engine === null || this.#freePending) return;
    if (this.#depth > 0) {
      this.#freePending = true;
    } else {
      this.#release();
    }
  }

  [Symbol.dispose](): void {
    this.free();
  }

  /** What waited for the outermost running call to return: a free, or new callbacks. */
  #applyDeferred(): void {
    if (this.#depth > 0 || this.#inRecv) return;
    if (this.#freePending) {
      this.#release();
    } else if (this.#callbacksChanged && this.#engine !== null) {
      this.#callbacksChanged = false;
      this.#engine.setCallbacks(this.#callbackMask());
    }
  }

  #release(): void {
    this.#engine?.free();
    this.#engine = null;
    this.#freePending = false;
    this.#readers.clear();
  }

  #live(): EventEngine {
    if (this.#engine === null || this.#freePending) {
      throw freedError('EventContext');
    }
    return this.#engine;
  }

  #check(rc: number, operation: string): void {
    if (rc < 0) throw new WslayError(rc, operation);
  }

  #callbackMask(): number {
    const cb = this.#callbacks;
    let mask = 0;
    if (cb.recv) mask |= CallbackBit.RECV;
    if (cb.send) mask |= CallbackBit.SEND;
    if (cb.genmask) mask |= CallbackBit.GENMASK;
    else if (this.role === 'client') mask |= CallbackBit.GENMASK | CallbackBit.RANDOM_GENMASK;
    if (cb.onFrameRecvStart) mask |= CallbackBit.FRAME_RECV_START;
    if (cb.onFrameRecvChunk) mask |= CallbackBit.FRAME_RECV_CHUNK;
    if (cb.onFrameRecvEnd) mask |= CallbackBit.FRAME_RECV_END;
    if (cb.onMsgRecv) mask |= CallbackBit.MSG_RECV;
    return mask & UINT32_MAX;
  }

  #run(kind: 'recv' | 'send'): void {
    const engine = this.#live();
    if (!this.#callbacks[kind]) {
      throw new Error(
        `${kind}() needs a ${kind} callback: give one to EventContext.${this.role}() ` +
          'or configSetCallbacks()',
      );
    }
    let rc: number;
    let thrown: { value: unknown } | null;
    const outer = this.#enter(kind, kind);
    try {
      rc = kind === 'recv' ? engine.recv(this.#hooks) : engine.send(this.#hooks);
    } finally {
      thrown = this.#leave(kind, outer);
    }
    if (thrown !== null) throw thrown.value;
    // Reported even when a callback freed the context: the failure happened before.
    if (rc < 0) throw new WslayError(rc, `wslay_event_${kind}`);
  }

  /**
   * Starts a call that runs callbacks (`method` runs wslay's `kind`); returns the outer
   * call's first exception, which #leave() puts back.
   */
  #enter(kind: 'recv' | 'send', method: string): { value: unknown } | null {
    if (kind === 'recv' ? this.#inRecv : this.#inSend) {
      throw new Error(`${method}() cannot be called from inside a callback of ${kind}()`);
    }
    const outer = this.#thrown;
    this.#thrown = null;
    this.#depth++;
    if (kind === 'recv') this.#inRecv = this.#recvStarted = true;
    else this.#inSend = true;
    return outer;
  }

  /**
   * Ends what #enter() started: applies a free() or callback change that waited for it, and
   * returns the first exception a callback threw during the call, for the caller to rethrow.
   */
  #leave(kind: 'recv' | 'send', outer: { value: unknown } | null): { value: unknown } | null {
    if (kind === 'recv') this.#inRecv = false;
    else this.#inSend = false;
    this.#depth--;
    const thrown = this.#thrown;
    this.#thrown = outer;
    this.#applyDeferred();
    return thrown;
  }

  /** Records the first exception of the running call; I/O callbacks then fail as in C. */
  #fail(error: unknown, failIo: boolean): void {
    if (this.#thrown === null) this.#thrown = { value: error };
    if (failIo) this.#engine?.setError(ErrorCode.CALLBACK_FAILURE);
  }

  #makeHooks(): EventHooks {
    const io = (name: 'recv' | 'send', buf: Uint8Array, flags: number): number => {
      if (this.#freePending) {
        this.#engine?.setError(ErrorCode.WOULDBLOCK);
        return -1;
      }
      try {
        // Called without `this`, as genmask is: every callback gets the context as an argument.
        // eslint-disable-next-line @typescript-eslint/unbound-method
        const callback = this.#callbacks[name];
        if (callback === undefined) {
          this.#fail(new Error(`the ${name} callback was removed by configSetCallbacks()`), true);
          return -1;
        }
        const n = callback(this, buf, flags);
        const error = check.ioResultError(n, buf.length, name);
        if (error !== null) {
          this.#fail(error, true);
          return -1;
        }
        return n;
      } catch (error) {
        this.#fail(error, true);
        return -1;
      }
    };
    const notify = (fn: () => void): void => {
      if (this.#freePending) return;
      try {
        fn();
      } catch (error) {
        this.#fail(error, false);
      }
    };
    return {
      recv: (buf, flags) => io('recv', buf, flags),
      send: (data, flags) => io('send', data, flags),
      genmask: (buf) => {
        if (this.#freePending) return -1;
        try {
          const rv = (this.#callbacks.genmask ?? defaultGenmask)(this, buf);
          if (rv === 0) return 0;
          if (rv !== -1) {
            this.#fail(
              new RangeError(`the genmask callback must return 0 or -1, got ${check.show(rv)}`),
              false,
            );
          }
          return -1;
        } catch (error) {
          this.#fail(error, false);
          return -1;
        }
      },
      read: (source, buf) => {
        if (this.#freePending) return 0;
        const reader = this.#readers.get(source);
        if (reader === undefined) {
          this.#fail(new Error('internal: unknown fragmented message source'), true);
          return -1;
        }
        try {
          const result = reader(this, buf) as unknown;
          const { n, eof } = check.object(result, 'the value returned by read()');
          const error =
            check.ioResultError(n, buf.length, 'read') ??
            (typeof eof === 'boolean'
              ? null
              : new TypeError(
                  `read() must return { n, eof } with a boolean eof, got ${check.show(eof)}`,
                ));
          if (error !== null) {
            this.#fail(error, true);
            return -1;
          }
          if (n === -1) return ReadResult.FAILURE;
          if (eof) this.#readers.delete(source);
          return encodeReadResult(n as number, eof === true);
        } catch (error) {
          this.#fail(error, true);
          return -1;
        }
      },
      onFrameRecvStart: (fin, rsv, opcode, payloadLength) =>
        notify(() => this.#callbacks.onFrameRecvStart?.(this, { fin, rsv, opcode, payloadLength })),
      onFrameRecvChunk: (data) => notify(() => this.#callbacks.onFrameRecvChunk?.(this, { data })),
      onFrameRecvEnd: () => notify(() => this.#callbacks.onFrameRecvEnd?.(this)),
      onMsgRecv: (rsv, opcode, msg, statusCode) =>
        notify(() => this.#callbacks.onMsgRecv?.(this, { rsv, opcode, msg, statusCode })),
    };
  }
}
