import { isUtf8 } from 'node:buffer';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCode, Opcode, Rsv, StatusCode } from '../constants.js';
import { WslayError } from '../errors.js';
import { EventContext, type Backend, type RecvFromListener } from '../event-context.js';
import { encodeCloseFrame } from './close-frame.js';
import { encodeFrame, encodeHeader } from './frame-encoder.js';
import { State, transition } from './connection-state.js';
import type { DeflateExtension } from './deflate-extension.js';
import { EngineChoice, LARGE_FRAME } from './engine-choice.js';
import { FrameScanner } from './frame-scanner.js';
import { EMPTY_BUFFER } from '../empty.js';
import { returnMemoryOf } from './memory-return.js';
import { protocolError } from './protocol-error.js';
import { InflateError } from './zlib-contexts.js';

export type SendCallback = (error?: Error) => void;

/**
 * What a connection (`owner`) hears from its I/O loop. One table serves every connection,
 * so that a connection costs no closures of its own.
 */
export interface IoEvents<Owner> {
  message(owner: Owner, data: Buffer, isBinary: boolean): void;
  ping(owner: Owner, data: Buffer): void;
  pong(owner: Owner, data: Buffer): void;
  /**
   * The peer broke the protocol (or its close reason was not UTF-8): `error` says how, as ws
   * says it, and its `statusCode` is the close code sent.
   */
  violation(owner: Owner, error: Error): void;
  /** The connection failed for a reason of our own (out of memory): the socket is destroyed. */
  failure(owner: Owner, error: Error): void;
  /** Buffered outgoing bytes went out: `bufferedAmount` may have fallen. */
  writable(owner: Owner): void;
  /**
   * The peer stopped reading while its frames made wslay queue replies (pongs) past
   * `maxBufferedAmount`; the owner ends the connection.
   */
  overflow(owner: Owner): void;
  /** The socket closed. `code` and `reason` are what the close event reports. */
  closed(owner: Owner, code: number, reason: Buffer, wasClean: boolean): void;
}

/** The loop reading a socket, for the socket listeners shared by every loop. */
const kLoop = Symbol('wslay.IoLoop');
type LoopSocket = Duplex & { [kLoop]: IoLoop<unknown> };

export interface IoOptions {
  role: 'server' | 'client';
  backend: Backend | undefined;
  maxPayload: number;
  maxBufferedAmount: number;
  closeTimeout: number;
  /** A client's masking keys, as ws's `generateMask`; a secure random source by default. */
  generateMask: ((mask: Buffer) => void) | undefined;
  /** permessage-deflate, when negotiated. */
  deflate: DeflateExtension | null;
}

/**
 * What a message in wslay's queue costs beyond its payload (its struct and allocation), so
 * that replies to empty pings count against `maxBufferedAmount` too.
 */
const QUEUED_MESSAGE_COST = 64;
/**
 * The most, counted as for `maxBufferedAmount`, that pongs owed to a peer which does not read
 * may hold. A queued pong costs the process several times what it counts (its allocations,
 * and on the fallback its objects), so a ping flood bounded by `maxBufferedAmount` alone
 * would make the process hold several times that limit; `ws` ends such a peer after 60.
 */
const MAX_OWED_PONGS = 1024 * 1024;
/** From this many bytes on, a flush writes its pieces as they are rather than joined. */
const GATHER_LENGTH = 16 * 1024;

interface Received {
  opcode: number;
  data: Buffer;
}

/** A send that waits behind a Blob being read (see `sendBlob`). */
interface Deferred {
  /** What it counts in `bufferedAmount` while it waits. */
  length: number;
  callback: SendCallback | undefined;
  /** Queues it; false when the connection can no longer send. */
  run(): boolean;
}

/**
 * Drives one EventContext from one socket's events, so that crossing into wslay costs a
 * constant number of calls per socket read or write rather than per frame:
 *
 * - each 'data' chunk is handed to wslay by a single `ctx.recvFrom()`;
 * - writes are batched: one flush per read (at its end) or per tick calls `ctx.sendAll()`
 *   once, which gathers everything queued into one buffer for one `socket.write()`. While the socket is over its
 *   high-water mark, nothing is flushed until 'drain': messages wait inside wslay.
 *
 * Because `sendAll()` takes everything, every flush empties wslay's queue, so the output
 * always stops at a frame boundary. Two things rely on it: a close requested by the
 * application is queued only once the messages sent before it are out (wslay sends control
 * frames ahead of queued data, and would drop that data), and the close frame wslay queues
 * when it stops reading can be taken out alone and held back (see `#stopReading`).
 *
 * The connection's life is one `State` (see connection-state.ts), changed by `#enter()` only.
 */
export class IoLoop<Owner> {
  readonly #socket: Duplex;
  readonly #events: IoEvents<Owner>;
  readonly #owner: Owner;
  readonly #options: IoOptions;
  #ctx: EventContext | null = null;
  /** recvFrom()'s listener, made with the first read: idle connections hold no closure. */
  #listener: RecvFromListener | null = null;
  /** Looks at the incoming frame headers ahead of wslay, made with the first read. */
  #scanner: FrameScanner | null = null;
  /** On the native backend: where the incoming traffic asks for the other engine. */
  #choice: EngineChoice | null = null;

  #inbox: Received[] = [];
  /** Whether the socket's 'data' listener is attached. */
  #reading = false;

  #flushScheduled = false;
  #socketBlocked = false;
  /** What the pongs owed for pings read while the socket was blocked count, in bytes. */
  #owedPongs = 0;
  /**
   * Callbacks of messages queued since the last flush. Each message is in wslay's queue, so
   * the next flush writes bytes, and that write completes them.
   */
  #unflushed: SendCallback[] = [];
  /**
   * Frames taken out of wslay (before a ping or pong was queued, so that it cannot go ahead
   * of them; before a read, so that a close wslay queues cannot either), and frames encoded
   * past wslay; they lead the next flush's write.
   */
  #ahead: Buffer[] = [];
  #aheadLength = 0;
  #state: State = State.OPEN;
  /** What close() asked for, while CLOSE_REQUESTED. */
  #closeRequest: { code: number | undefined; reason: Buffer | undefined } | null = null;
  /**
   * The close code to send in place of the close wslay queued on the read being handled
   * (see `#stopReading`); 0 while wslay's own is right.
   */
  #closeAnswer = 0;
  /** While CLOSE_PENDING: the answering close frame, and the violation's code (or 0). */
  #heldClose: Buffer = EMPTY_BUFFER;
  #violationCode = 0;
  /** What the owner's close event reports: the peer's close, or the violation's code. */
  #closeCode: number = StatusCode.ABNORMAL_CLOSURE;
  #closeReason: Buffer = EMPTY_BUFFER;
  #closeTimer: NodeJS.Timeout | null = null;
  /** A compressed message did not inflate: the connection is failing, nothing more is read. */
  #inflateFailed = false;
  /**
   * Non-null while a Blob is being read: what is sent after it (messages, pings, pongs, the
   * close frames) waits here in call order, as in ws; `#deferredLength` counts it and the Blob.
   */
  #deferred: Deferred[] | null = null;
  #deferredLength = 0;

  constructor(socket: Duplex, events: IoEvents<Owner>, owner: Owner, options: IoOptions) {
    this.#socket = socket;
    this.#events = events;
    this.#owner = owner;
    this.#options = options;
  }

  /**
   * The context, made on first use: an idle connection holds none, which saves wslay's two
   * 4 KiB buffers per connection. Null once the connection is destroyed or closed.
   */
  #context(): EventContext | null {
    if (this.#state >= State.DESTROYED) return null;
    if (this.#ctx !== null) return this.#ctx;
    this.#ctx = this.#makeContext(this.#options.backend);
    return this.#ctx;
  }

  /** A context configured for this connection; null when it could not be made (failed). */
  #makeContext(backend: Backend | undefined): EventContext | null {
    // No callbacks: the loop uses the batch paths recvFrom() and sendAll(), one call into
    // wslay per socket read and per flush; a client's masks come from the default genmask
    // unless the application gave its own (ws's generateMask).
    const contextOptions = { backend };
    const generateMask = this.#options.generateMask;
    try {
      const ctx =
        this.#options.role === 'server'
          ? EventContext.server({}, contextOptions)
          : EventContext.client(
              generateMask === undefined
                ? {}
                : {
                    genmask: (_ctx, buf) => {
                      generateMask(Buffer.from(buf.buffer, buf.byteOffset, buf.length));
                      return 0;
                    },
                  },
              contextOptions,
            );
      ctx.configSetMaxRecvMsgLength(this.#options.maxPayload);
      // RSV1 marks a compressed message; wslay still refuses it on control and continuation
      // frames, and everywhere without the extension (1002).
      if (this.#options.deflate !== null) ctx.configSetAllowedRsvBits(Rsv.RSV1_BIT);
      return ctx;
    } catch (error) {
      // Out of memory in wslay: this connection fails, whoever asked (a read, a flush, send()).
      this.#fail(error);
      return null;
    }
  }

  /** Starts reading; `head` holds bytes the HTTP parser read past the handshake. */
  start(head: Buffer): void {
    const socket = this.#socket;
    // Any Duplex can carry a connection (ws's handleUpgrade() takes one); a TCP socket is tuned.
    if (socket instanceof Socket) {
      socket.setTimeout(0);
      socket.setNoDelay(true);
    }
    if (head.length > 0) socket.unshift(head);
    (socket as LoopSocket)[kLoop] = this;
    // Reading starts on a later turn of the event loop, so that code which awaits 'open' or
    // 'connection' (a promise continuation) has attached its listeners by the first message.
    setImmediate(() => this.#startReading());
    socket.on('end', IoLoop.#socketEnd);
    socket.on('drain', IoLoop.#socketDrain);
    socket.on('close', IoLoop.#socketClose);
    // A reset or write error ends in 'close', which reports the connection as abnormal.
    socket.on('error', IoLoop.#socketError);
  }

  // Listeners shared by every socket (EventEmitter calls them with the socket as `this`).
  static #socketData(this: LoopSocket, chunk: Buffer): void {
    this[kLoop].#onData(chunk);
  }
  static #socketEnd(this: LoopSocket): void {
    this[kLoop].#onEnd();
  }
  static #socketDrain(this: LoopSocket): void {
    this[kLoop].#onDrain();
  }
  static #socketClose(this: LoopSocket): void {
    this[kLoop].#onClose();
  }
  static #socketError(this: LoopSocket): void {
    this.destroy();
  }

  #heldBytes(ctx: EventContext): number {
    return this.bufferedAmount + ctx.getQueuedMsgCount() * QUEUED_MESSAGE_COST;
  }

  get bufferedAmount(): number {
    const queued = this.#ctx === null ? 0 : this.#ctx.getQueuedMsgLength();
    return queued + this.#aheadLength + this.#socket.writableLength + this.#waitingLength();
  }

  get state(): State {
    return this.#state;
  }

  /**
   * Queues a message, compressed when `compress` and the extension agree; false when the
   * connection can no longer send one.
   */
  send(
    opcode: number,
    data: Uint8Array,
    callback: SendCallback | undefined,
    compress = false,
  ): boolean {
    const state = this.#state;
    if (state !== State.OPEN && state !== State.CLOSE_PENDING) return false;
    if (this.#deferred !== null) {
      // send() takes the bytes when it is called: the caller may reuse its buffer.
      const copy = Buffer.from(data);
      this.#defer(copy.length, callback, () =>
        this.#queueMessage(opcode, copy, callback, compress),
      );
      return true;
    }
    return this.#queueMessage(opcode, data, callback, compress);
  }

  /**
   * Queues a message whose bytes are in a Blob, read asynchronously as ws reads it: what is
   * sent after it waits until it is read. False when the connection can no longer send.
   */
  sendBlob(
    opcode: number,
    blob: Blob,
    callback: SendCallback | undefined,
    compress = false,
  ): boolean {
    const state = this.#state;
    if (state !== State.OPEN && state !== State.CLOSE_PENDING) return false;
    const read = (): boolean => {
      this.#deferred = [];
      this.#deferredLength += blob.size;
      blob.arrayBuffer().then(
        (bytes) => this.#blobRead(blob.size, opcode, new Uint8Array(bytes), callback, compress),
        // On a later tick, as ws does, so that a callback's exception is not a rejection.
        (error: unknown) => process.nextTick(() => this.#blobFailed(error, callback)),
      );
      return true;
    };
    if (this.#deferred !== null) this.#defer(blob.size, callback, read);
    else read();
    return true;
  }

  #queueMessage(
    opcode: number,
    data: Uint8Array,
    callback: SendCallback | undefined,
    compress: boolean,
  ): boolean {
    const state = this.#state;
    if (state >= State.ENDING) return false;
    let rsv: number = Rsv.NONE;
    const deflate = this.#options.deflate;
    if (deflate !== null && deflate.shouldCompress(data.length, compress)) {
      try {
        data = deflate.deflate(data);
      } catch (error) {
        this.#fail(error);
        return false;
      }
      rsv = Rsv.RSV1_BIT;
    }
    // A server's large message goes out from the caller's buffer, as with ws: wslay would
    // copy it into its queue and again into the output. Only its header is made here.
    if (state === State.OPEN && data.length >= LARGE_FRAME && this.#options.role === 'server') {
      const header = encodeHeader(opcode, data.length);
      header[0]! |= rsv << 4;
      const payload = Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      return this.#queueFrame(header, callback, payload);
    }
    // Frames made here rather than by wslay: a server connection that has read nothing has
    // no context and needs none to send (a server's frames are not masked), and wslay sends
    // nothing more once its close is out (CLOSE_PENDING, or a send that waited behind a Blob
    // while the connection began to close).
    if (state !== State.OPEN || (this.#ctx === null && this.#options.role === 'server')) {
      const frame = this.#encode(opcode, data);
      frame[0]! |= rsv << 4;
      return this.#queueFrame(frame, callback);
    }
    const ctx = this.#context();
    if (ctx === null) return false;
    // wslay sends a control frame ahead of the messages it holds; ws keeps the order of
    // the calls, so what was sent before a ping or pong is written first.
    if (opcode >= Opcode.CONNECTION_CLOSE && !this.#takeQueued(ctx)) return false;
    ctx.queueMsg({ opcode, msg: data }, rsv);
    if (callback !== undefined) this.#unflushed.push(callback);
    this.#scheduleFlush();
    return true;
  }

  /** A frame written past wslay, masked by a client (with its `generateMask`, if any). */
  #encode(opcode: number, payload: Uint8Array): Buffer {
    return encodeFrame(
      opcode,
      payload,
      this.#options.role === 'client',
      this.#options.generateMask,
    );
  }

  #encodeClose(code: number | undefined, reason: Uint8Array): Buffer {
    return encodeCloseFrame(
      code,
      reason,
      this.#options.role === 'client',
      this.#options.generateMask,
    );
  }

  /** `run` waits behind the Blob being read, counting `length` in bufferedAmount. */
  #defer(length: number, callback: SendCallback | undefined, run: () => boolean): void {
    this.#deferred!.push({ length, callback, run });
    this.#deferredLength += length;
  }

  /** What waits behind a Blob; a close() that waits with it counts its payload, as in ws. */
  #waitingLength(): number {
    if (this.#deferred === null) return 0;
    const request = this.#closeRequest;
    const close =
      request === null || request.code === undefined ? 0 : 2 + (request.reason?.length ?? 0);
    return this.#deferredLength + close;
  }

  /** The Blob is read: it is sent, then what waited behind it, up to the next Blob. */
  #blobRead(
    size: number,
    opcode: number,
    data: Uint8Array,
    callback: SendCallback | undefined,
    compress: boolean,
  ): void {
    this.#deferredLength -= size;
    const waiting = this.#deferred!;
    this.#deferred = null;
    if (this.#state >= State.ENDING) {
      this.#deferredLength = 0;
      const error = new Error('The socket was closed while the blob was being read');
      // As ws: on a later tick, so that a callback's exception is not caught by the promise.
      process.nextTick(() => IoLoop.#failAll(error, callback, waiting));
      return;
    }
    if (!this.#queueMessage(opcode, data, callback, compress)) IoLoop.#notSent(callback);
    let next = 0;
    while (next < waiting.length && this.#deferred === null) {
      const item = waiting[next++]!;
      this.#deferredLength -= item.length;
      if (!item.run()) IoLoop.#notSent(item.callback);
    }
    // Another Blob is being read: the rest waits behind it, still counted.
    if (next < waiting.length) this.#deferred!.push(...waiting.slice(next));
    // A close that waited may go now.
    this.#scheduleFlush();
  }

  /** The Blob could not be read: as ws, its callback and those behind it get the error. */
  #blobFailed(error: unknown, callback: SendCallback | undefined): void {
    const waiting = this.#deferred ?? [];
    this.#deferred = null;
    this.#deferredLength = 0;
    const failure = error instanceof Error ? error : new Error(String(error));
    IoLoop.#failAll(failure, callback, waiting);
    if (this.#state < State.DESTROYED) this.#fail(failure);
  }

  static #failAll(error: Error, callback: SendCallback | undefined, waiting: Deferred[]): void {
    callback?.(error);
    for (const item of waiting) item.callback?.(error);
  }

  static #notSent(callback: SendCallback | undefined): void {
    if (callback !== undefined) {
      process.nextTick(callback, new Error('The connection closed before the message was sent'));
    }
  }

  /**
   * Queues a frame encoded already (a server's: unmasked), behind everything queued before
   * it. The same Buffer may be handed to many connections: it is written, never changed.
   */
  sendFrame(frame: Buffer, callback: SendCallback | undefined): boolean {
    const state = this.#state;
    if (state !== State.OPEN && state !== State.CLOSE_PENDING) return false;
    if (this.#deferred !== null) {
      this.#defer(
        frame.length,
        callback,
        () => this.#state < State.ENDING && this.#queueFrame(frame, callback),
      );
      return true;
    }
    return this.#queueFrame(frame, callback);
  }

  /** `payload`: the frame's payload, when `frame` is only its header. */
  #queueFrame(frame: Buffer, callback: SendCallback | undefined, payload?: Buffer): boolean {
    const ctx = this.#ctx;
    if (ctx !== null && !this.#takeQueued(ctx)) return false;
    this.#putAhead(frame);
    if (payload !== undefined) this.#putAhead(payload);
    if (callback !== undefined) this.#unflushed.push(callback);
    this.#scheduleFlush();
    return true;
  }

  /**
   * Takes the frames wslay holds out of it, so that what is queued next follows them;
   * false when that failed.
   */
  #takeQueued(ctx: EventContext): boolean {
    if (!ctx.wantWrite()) return true;
    try {
      this.#putAhead(ctx.sendAll());
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  #putAhead(frames: Buffer): void {
    if (frames.length === 0) return;
    this.#ahead.push(frames);
    this.#aheadLength += frames.length;
  }

  /** Starts the closing handshake once everything sent before it is out. */
  close(code: number | undefined, reason: Buffer | undefined): void {
    if (this.#state === State.CLOSE_PENDING) {
      // Our own close, in place of the answer held back: the peer's close or violation
      // came in the same read, but the application closed first, as far as it knows.
      this.#heldClose = this.#encodeClose(code, reason ?? EMPTY_BUFFER);
      this.#sendAnswer();
      return;
    }
    if (this.#state !== State.OPEN) return;
    this.#closeRequest = { code, reason };
    this.#enter(State.CLOSE_REQUESTED);
  }

  /** Ends TCP without a closing handshake. */
  destroy(): void {
    if (this.#state < State.DESTROYED) this.#enter(State.DESTROYED);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    // A socket that flows with no 'data' listener drops what it holds (head, the first
    // messages): resumed before reading started, it starts reading now, as ws's socket does.
    this.#startReading();
    this.#socket.resume();
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#socket.on('data', IoLoop.#socketData);
  }

  get isPaused(): boolean {
    return this.#socket.isPaused();
  }

  // --- reading -------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    const state = this.#state;
    if (state !== State.OPEN && state !== State.CLOSE_REQUESTED && state !== State.CLOSE_SENT)
      return;
    let ctx = this.#context();
    if (ctx === null) return;
    // A close wslay queues on this read would go ahead of what it holds (and drop it).
    if (!this.#takeQueued(ctx)) return;
    // Nothing of ours can fail inside recvFrom(), so CALLBACK_FAILURE is wslay 1.1.1 reporting a frame it
    // cannot parse (a control frame over 125 bytes or fragmented, a length not in its
    // shortest form): it queues an empty close, where the peer is owed a 1002.
    if (this.#scanner === null) {
      this.#choice = ctx.backend === 'native' ? new EngineChoice() : null;
      this.#scanner = new FrameScanner(
        this.#options.maxPayload,
        this.#options.role,
        this.#options.deflate !== null,
        this.#choice,
      );
    }
    const scanner = this.#scanner;
    this.#choice?.clear();
    const cut = scanner.scan(chunk);
    try {
      // Whatever wslay leaves unread after it stopped reading is past a close: dropped.
      this.#feed(chunk, cut < 0 ? chunk.length : cut);
    } catch (error) {
      if (!(error instanceof WslayError && error.code === ErrorCode.CALLBACK_FAILURE)) {
        this.#fail(error);
        return;
      }
      this.#closeAnswer = StatusCode.PROTOCOL_ERROR;
    }
    if (this.#state >= State.DESTROYED) return;
    // The engine may have changed while the chunk was fed.
    ctx = this.#ctx!;
    if (cut >= 0 && ctx.getReadEnabled()) this.#refuse(ctx, scanner.refusal);
    if (!ctx.getReadEnabled() && !this.#stopReading(ctx)) return;
    if (ctx.wantWrite()) this.#scheduleFlush();
    this.#endIfDone(ctx);
    // While the socket is blocked nothing is flushed, and every ping read makes wslay queue
    // a pong: a peer that pings without reading would grow that queue without end.
    if (
      this.#socketBlocked &&
      (this.#heldBytes(ctx) > this.#options.maxBufferedAmount ||
        this.#owedPongs > Math.min(MAX_OWED_PONGS, this.#options.maxBufferedAmount))
    ) {
      this.#events.overflow(this.#owner);
      return;
    }
    const thrown = this.#deliver();
    this.#releaseClose();
    // Replies to this read go out now, from inside the 'data' event, rather than after the
    // stream's own bookkeeping: a round trip is that much shorter.
    this.#flushIfScheduled();
    // A listener's exception reaches the socket's 'data' event (uncaught, as with ws) once
    // the read is fully handled.
    if (thrown !== null) throw thrown.error;
  }

  /**
   * Hands `chunk[0, end)` to the engine with one `recvFrom()`, or with one per stretch where
   * the traffic asks for the other engine (see EngineChoice), switching between them.
   */
  #feed(chunk: Buffer, end: number): void {
    const listener = (this.#listener ??= (opcode, msg, statusCode, rsv) =>
      this.#received(opcode, msg, statusCode, rsv));
    let at = 0;
    const switches = this.#choice?.switches;
    if (switches !== undefined) {
      for (const offset of switches) {
        if (offset >= end) break;
        if (offset > at) this.#ctx!.recvFrom(chunk.subarray(at, offset), listener);
        at = offset;
        if (!this.#switchEngine()) break;
      }
    }
    if (end > at)
      this.#ctx!.recvFrom(
        end === chunk.length && at === 0 ? chunk : chunk.subarray(at, end),
        listener,
      );
  }

  /**
   * Moves the connection to the other engine at a message boundary, where an engine holds
   * nothing but its configuration (made again for the new one) and the replies it queued
   * (taken out first, so they leave in order). Not once a close is on its way either way,
   * nor while reading or writing is stopped: from then on the engine stays. The parity of the
   * two engines (docs/parity.md) is what makes the switch invisible to the peer.
   */
  #switchEngine(): boolean {
    const ctx = this.#ctx!;
    if (
      !ctx.getReadEnabled() ||
      !ctx.getWriteEnabled() ||
      ctx.getCloseSent() ||
      ctx.getCloseReceived() ||
      !this.#takeQueued(ctx)
    ) {
      return false;
    }
    const next = this.#makeContext(ctx.backend === 'native' ? 'fallback' : 'native');
    if (next === null) return false;
    ctx.free();
    this.#ctx = next;
    return true;
  }

  /**
   * A frame the scanner found wslay must not see, or a message that did not inflate:
   * answered with `code`, reading stops.
   */
  #refuse(ctx: EventContext, code: number): void {
    try {
      ctx.queueClose(code);
    } catch (error) {
      // NO_MORE_MSG: our own close is already queued; reading stops all the same.
      if (!(error instanceof WslayError)) throw error;
    }
    ctx.shutdownRead();
  }

  #received(opcode: number, msg: Buffer, statusCode: number, rsv: number): void {
    if (this.#inflateFailed) return;
    // recvFrom() hands out buffers the caller owns: no copy needed.
    if (opcode !== Opcode.CONNECTION_CLOSE) {
      // wslay let RSV1 through on data messages only, and only with the extension.
      if ((rsv & Rsv.RSV1_BIT) !== 0) {
        try {
          msg = this.#options.deflate!.inflate(opcode, msg);
        } catch (error) {
          if (!(error instanceof InflateError)) throw error;
          // The messages wslay read after this one are past the failure: dropped.
          this.#inflateFailed = true;
          this.#refuse(this.#ctx!, error.statusCode);
          return;
        }
      }
      if (opcode === Opcode.PING && this.#socketBlocked)
        this.#owedPongs += msg.length + QUEUED_MESSAGE_COST;
      this.#inbox.push({ opcode, data: msg });
      return;
    }
    const reason = msg.subarray(2);
    // wslay's own check of close reasons skips the first two bytes of every chunk it is given,
    // so its verdict depends on how the frame was split; this one sees the whole reason.
    if (!isUtf8(reason)) {
      this.#closeAnswer ||= StatusCode.INVALID_FRAME_PAYLOAD_DATA;
      return;
    }
    // A code wslay would refuse was shown to it as 1011 (see FrameScanner).
    const code = this.#scanner?.lateCloseCode || statusCode;
    this.#closeCode = code === 0 ? StatusCode.NO_STATUS_RCVD : code;
    this.#closeReason = reason;
  }

  /**
   * wslay stopped reading: on the peer's close frame, on a violation (it queued a close for
   * it), or because we refused a message. Unless our own close is out already, the answering
   * close is taken out of wslay now (queued first, it is the whole output) and held back
   * until the messages of this read are delivered, so that their replies go out before it,
   * as with ws. Returns false when the connection failed.
   */
  #stopReading(ctx: EventContext): boolean {
    const answer = this.#closeAnswer;
    this.#closeAnswer = 0;
    if (this.#state === State.CLOSE_SENT) {
      this.#enter(State.CLOSE_RECEIVED);
      return true;
    }
    let close: Buffer;
    try {
      close = ctx.wantWrite() ? ctx.sendAll() : EMPTY_BUFFER;
    } catch (error) {
      this.#fail(error);
      return false;
    }
    let violation = 0;
    if (answer !== 0) {
      // In place of wslay's echo of a close reason that is not UTF-8, or its empty close
      // after a frame error.
      violation = answer;
      close = this.#encodeClose(answer, EMPTY_BUFFER);
    } else if (!ctx.getCloseReceived()) {
      violation = ctx.getCloseSent() ? ctx.getStatusCodeSent() : StatusCode.PROTOCOL_ERROR;
    } else if (this.#state === State.CLOSE_REQUESTED && this.#closeRequest !== null) {
      // Our close() came first, held back behind a blocked socket: the peer gets it, not an
      // echo of its own, as from ws, whose close frame is in the socket's buffer by then.
      close = this.#encodeClose(this.#closeRequest.code, this.#closeRequest.reason ?? EMPTY_BUFFER);
    } else if (this.#scanner?.lateCloseCode) {
      // wslay echoed the 1011 it was shown: the peer gets its own code back.
      close = this.#encodeClose(this.#closeCode, this.#closeReason);
    }
    if (violation !== 0) {
      this.#closeCode = violation;
      this.#closeReason = EMPTY_BUFFER;
    }
    this.#heldClose = close;
    this.#violationCode = violation;
    if (this.#state === State.OPEN) this.#enter(State.CLOSE_PENDING);
    else this.#sendAnswer();
    return true;
  }

  /** Once the messages of the read are delivered, the held answering close goes out. */
  #releaseClose(): void {
    if (this.#state === State.CLOSE_PENDING) this.#sendAnswer();
  }

  /** The answering close goes out after everything sent before it. */
  #sendAnswer(): void {
    const close = this.#heldClose;
    this.#heldClose = EMPTY_BUFFER;
    // Behind a Blob being read, as ws queues its close behind one.
    if (this.#deferred === null) this.#putAhead(close);
    else this.#defer(0, undefined, () => (this.#putAhead(close), true));
    this.#enter(State.CLOSE_RECEIVED);
    this.#scheduleFlush();
    const violation = this.#violationCode;
    this.#violationCode = 0;
    if (violation !== 0) {
      const error = protocolError(violation, this.#scanner?.verdict ?? null);
      this.#events.violation(this.#owner, error);
    }
  }

  /**
   * Hands received messages to the owner, whose listeners may send, close or terminate. A
   * listener that throws does not cost the messages after it (ws delivers none after it,
   * ever): the first exception is returned, to be rethrown once the read is handled.
   */
  #deliver(): { error: unknown } | null {
    const inbox = this.#inbox;
    this.#inbox = [];
    let thrown: { error: unknown } | null = null;
    for (const { opcode, data } of inbox) {
      if (this.#state >= State.DESTROYED) break;
      try {
        if (opcode === Opcode.PING) this.#events.ping(this.#owner, data);
        else if (opcode === Opcode.PONG) this.#events.pong(this.#owner, data);
        else this.#events.message(this.#owner, data, opcode === Opcode.BINARY_FRAME);
      } catch (error) {
        thrown ??= { error };
      }
    }
    return thrown;
  }

  // --- writing -------------------------------------------------------------------------

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flushIfScheduled());
  }

  #flushIfScheduled(): void {
    if (!this.#flushScheduled) return;
    this.#flushScheduled = false;
    this.#flush();
  }

  #flush(): void {
    if (this.#socketBlocked || this.#state >= State.DESTROYED) return;
    const closeRequested = this.#state === State.CLOSE_REQUESTED;
    if (this.#ctx === null && !closeRequested) {
      // Only frames encoded past wslay are waiting: no context is needed to write them.
      if (this.#ahead.length === 0) return;
      this.#write(this.#takeAhead(EMPTY_BUFFER));
      this.#events.writable(this.#owner);
      return;
    }
    const ctx = this.#context();
    if (ctx === null || (!ctx.wantWrite() && !closeRequested && this.#ahead.length === 0)) return;
    let output: Buffer[];
    try {
      output = this.#takeAhead(ctx.wantWrite() ? ctx.sendAll() : EMPTY_BUFFER);
      const request = this.#closeRequest;
      // Still writable after a full flush means no close is queued or sent yet; while a
      // Blob is being read, the close waits behind it.
      if (closeRequested && request !== null && ctx.getWriteEnabled() && this.#deferred === null) {
        ctx.queueClose(request.code, request.reason);
        this.#enter(State.CLOSE_SENT);
        const close = ctx.sendAll();
        if (close.length > 0) output.push(close);
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#write(output);
    this.#endIfDone(ctx);
    this.#events.writable(this.#owner);
  }

  /** The frames taken ahead of wslay, then `rest`. */
  #takeAhead(rest: Buffer): Buffer[] {
    const ahead = this.#ahead;
    if (ahead.length === 0) return rest.length === 0 ? [] : [rest];
    this.#ahead = [];
    this.#aheadLength = 0;
    if (rest.length > 0) ahead.push(rest);
    return ahead;
  }

  /**
   * One socket write for everything flushed; it completes the callbacks of what it holds.
   * Small pieces are joined; from `GATHER_LENGTH` on they are written as they are with the
   * socket corked (one writev), so that a large payload is not copied again.
   */
  #write(output: Buffer[]): void {
    const callbacks = this.#unflushed;
    this.#unflushed = [];
    const count = output.length;
    if (count === 0) return;
    const done =
      callbacks.length === 0
        ? undefined
        : (error?: Error | null) => {
            // null on success, as the socket says it and ws passes it on (@types/ws's
            // callback type, which ours follows, leaves null out).
            for (const callback of callbacks) callback(error as Error | undefined);
          };
    const socket = this.#socket;
    let total = 0;
    for (const piece of output) total += piece.length;
    let flowing: boolean;
    if (count === 1) {
      flowing = socket.write(output[0]!, done);
    } else if (total < GATHER_LENGTH) {
      flowing = socket.write(Buffer.concat(output, total), done);
    } else {
      socket.cork();
      for (let i = 0; i < count - 1; i++) socket.write(output[i]!);
      flowing = socket.write(output[count - 1]!, done);
      socket.uncork();
    }
    if (!flowing) this.#socketBlocked = true;
  }

  #onDrain(): void {
    this.#socketBlocked = false;
    this.#owedPongs = 0;
    this.#flush();
    this.#events.writable(this.#owner);
  }

  // --- closing -------------------------------------------------------------------------

  /**
   * Ends TCP once both close frames have passed (wslay counts its close as sent once it is
   * taken out, written or held), or once wslay can do nothing more, and what waits is written.
   */
  #endIfDone(ctx: EventContext): void {
    const state = this.#state;
    if (
      state === State.CLOSE_PENDING ||
      state >= State.ENDING ||
      this.#ahead.length > 0 ||
      this.#deferred !== null
    ) {
      return;
    }
    if ((ctx.getCloseSent() && ctx.getCloseReceived()) || (!ctx.wantRead() && !ctx.wantWrite())) {
      this.#enter(State.ENDING);
    }
  }

  #onEnd(): void {
    // A reply the peer may still read (the echo of its close) goes out before our FIN, even
    // while the socket is over its high-water mark: nothing can be written after the FIN.
    this.#socketBlocked = false;
    this.#flush();
    if (this.#state < State.ENDING) this.#enter(State.ENDING);
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== null) return;
    this.#closeTimer = setTimeout(() => this.destroy(), this.#options.closeTimeout);
  }

  /** The one place the state changes; what each state begins with is done here. */
  #enter(to: State): void {
    this.#state = transition(this.#state, to);
    switch (to) {
      case State.CLOSE_REQUESTED:
        this.#armCloseTimer();
        this.#scheduleFlush();
        break;
      case State.CLOSE_PENDING:
        this.#armCloseTimer();
        break;
      case State.CLOSE_RECEIVED:
        this.#closeRequest = null;
        this.#armCloseTimer();
        break;
      case State.ENDING:
        this.#armCloseTimer();
        this.#socket.end();
        break;
      case State.DESTROYED:
        this.#socket.destroy();
        break;
      case State.CLOSED:
        this.#closed();
        break;
    }
  }

  #fail(error: unknown): void {
    // Destroyed first: an 'error' listener that sends must find the connection gone, not
    // try (and fail) to make a context again.
    this.destroy();
    this.#events.failure(this.#owner, error instanceof Error ? error : new Error(String(error)));
  }

  #failUnflushed(): void {
    const callbacks = this.#unflushed;
    this.#unflushed = [];
    if (callbacks.length === 0) return;
    const error = new Error('The connection closed before the message was sent');
    for (const callback of callbacks) process.nextTick(callback, error);
  }

  #onClose(): void {
    this.#enter(State.CLOSED);
  }

  #closed(): void {
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    const ctx = this.#ctx;
    let wasClean = false;
    if (ctx !== null) {
      wasClean = ctx.getCloseReceived() && ctx.getCloseSent();
      ctx.free();
      this.#ctx = null;
      returnMemoryOf(this);
    }
    this.#options.deflate?.close();
    this.#failUnflushed();
    this.#events.closed(this.#owner, this.#closeCode, this.#closeReason, wasClean);
  }
}
