import { Buffer } from 'node:buffer';
import type { EventEngine, EventHooks } from '../backends/engine.js';
import { CallbackBit, ReadResult } from '../backends/layout.js';
import {
  ErrorCode,
  isControlOpcode,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  Rsv,
  StatusCode,
} from '../constants.js';
import { EMPTY_BYTES } from '../empty.js';
import { BatchTransport } from './batch-transport.js';
import { closeCodeOf, isValidReceivedCloseCode } from './close-code.js';
import { Deque } from './deque.js';
import type { FrameIo } from './frame-io.js';
import { FrameReceiver } from './frame-receiver.js';
import { FrameSender } from './frame-sender.js';
import { MAX_BUFFERED_LENGTH, MessageBuffer } from './message-buffer.js';
import { fragmentedMessage, type OutgoingMessage, wholeMessage } from './outgoing-message.js';
import { Utf8Validator } from './utf8.js';

const DEFAULT_MAX_RECV_MSG_LENGTH = 2 ** 31 - 1;
const MAX_CLOSE_REASON = 123;
/** The read hook of a fragmented message is offered this many bytes per frame. */
const FRAGMENT_SIZE = 4096;
/** From this length on, recvFrom() takes a message's storage rather than a copy of it. */
const OWNED_LENGTH = 16 * 1024;
/** Below this, numbers are exact and sums of two of them compare correctly. */
const SAFE = 2 ** 53;

/** What one step of the send loop tells the loop. */
const CONTINUE = 1;
const STOP = 0;

/** The event API (`wslay_event_context`), reproducing wslay 1.1.1 call for call. */
export class FallbackEventEngine implements EventEngine {
  #callbacks: number;
  #hooks: EventHooks | null = null;
  readonly #io: FrameIo;
  readonly #sender = new FrameSender();
  readonly #receiver = new FrameReceiver();

  #readEnabled = true;
  #writeEnabled = true;
  #closeQueued = false;
  #closeReceived = false;
  #closeSent = false;
  #statusCodeReceived: number = StatusCode.ABNORMAL_CLOSURE;
  #statusCodeSent: number = StatusCode.ABNORMAL_CLOSURE;
  /**
   * Set by `setError`; wslay clears it only just before calling on_msg_recv, so a stale
   * code can turn a later would-block into a failure.
   */
  #error = 0;

  #noBuffering = false;
  #maxRecvMsgLength = DEFAULT_MAX_RECV_MSG_LENGTH;
  #allowedRsv = 0;

  readonly #ctrlQueue = new Deque<OutgoingMessage>();
  readonly #dataQueue = new Deque<OutgoingMessage>();
  #omsg: OutgoingMessage | null = null;
  #queuedCount = 0;
  #queuedLength = 0;
  #fragmentBuf: Uint8Array | null = null;
  /**
   * The transports of recvFrom() and sendAll(), made on first use; two, because recvFrom()
   * may run inside a hook of sendAll().
   */
  #recvBatch: BatchTransport | null = null;
  #sendBatch: BatchTransport | null = null;

  /** Receive side: whether the last frame's payload is still arriving. */
  #inFrame = false;
  #frameIsControl = false;
  /** The data message being received, if any. */
  #msgActive = false;
  #msgOpcode = 0;
  #msgRsv = 0;
  /** Sum of the announced lengths of the message's frames, for the length limit. */
  #msgLength = 0;
  #msgCheckUtf8 = false;
  readonly #msgUtf8 = new Utf8Validator();
  readonly #msgBuffer = new MessageBuffer();
  /** A single-chunk message is delivered from the input buffer without a copy. */
  #msgDirect: Uint8Array | null = null;
  readonly #ctrlBuf = new Uint8Array(MAX_CONTROL_PAYLOAD);
  #ctrlLength = 0;
  readonly #closeUtf8 = new Utf8Validator();

  readonly #server: boolean;
  readonly outputOnDemand = true;

  constructor(server: boolean, callbackMask: number) {
    this.#server = server;
    this.#callbacks = callbackMask;
    // A missing transport callback would crash wslay; here it fails like a failing one.
    this.#io = {
      recv: (buf, flags) =>
        this.#callbacks & CallbackBit.RECV
          ? this.#hooks!.recv(buf, flags)
          : this.#missingCallback(),
      send: (data, flags) =>
        this.#callbacks & CallbackBit.SEND
          ? this.#hooks!.send(data, flags)
          : this.#missingCallback(),
      genmask: (buf) => (this.#callbacks & CallbackBit.GENMASK ? this.#hooks!.genmask(buf) : -1),
      // recvFrom() holds its input in memory: the middle of a large binary (or compressed)
      // frame is taken from it in place, and copied once, into the message. Not the first
      // chunk of a frame, whose checks may stop reading, nor text checked as it arrives: wslay
      // reads 4 KiB at a time, and stops at the chunk that fails.
      take: (max, block) =>
        this.#hooks === this.#recvBatch &&
        this.#inFrame &&
        !this.#frameIsControl &&
        !this.#msgCheckUtf8 &&
        !this.#noBuffering
          ? this.#recvBatch!.take(max, block)
          : null,
    };
  }

  setCallbacks(mask: number): void {
    this.#callbacks = mask;
  }

  setNoBuffering(on: boolean): void {
    this.#noBuffering = on;
  }

  setMaxRecvMsgLength(length: number): void {
    this.#maxRecvMsgLength = length;
  }

  setAllowedRsvBits(rsv: number): void {
    this.#allowedRsv = rsv & Rsv.RSV1_BIT;
  }

  setError(code: number): void {
    this.#error = code;
  }

  recv(hooks: EventHooks): number {
    // Inside a callback of another call, that call goes on with its own hooks afterwards.
    const outer = this.#hooks;
    this.#hooks = hooks;
    try {
      return this.#readLoop();
    } finally {
      this.#hooks = outer;
    }
  }

  #readLoop(): number {
    while (this.#readEnabled) {
      const r = this.#receiver.recv(this.#io);
      if (r >= 0) {
        if (!this.#onChunk()) {
          this.#readEnabled = false;
          return ErrorCode.NOMEM;
        }
      } else if (r === ErrorCode.WANT_READ && this.#errorIsTransient()) {
        break;
      } else {
        // wslay also lands here on a malformed frame header, with an empty close.
        this.#enqueueClose(0, EMPTY_BYTES);
        this.#readEnabled = false;
        return ErrorCode.CALLBACK_FAILURE;
      }
    }
    return 0;
  }

  recvFrom(data: Uint8Array, out: Uint8Array, meta: Uint32Array): [Uint32Array, Uint8Array] | null {
    const batch = (this.#recvBatch ??= new BatchTransport(this));
    batch.startRecv(data, out);
    const callbacks = this.#callbacks;
    this.#callbacks = CallbackBit.RECV | CallbackBit.MSG_RECV;
    let rc: number;
    try {
      rc = this.recv(batch);
    } finally {
      this.#callbacks = callbacks;
    }
    return batch.finishRecv(rc, meta);
  }

  sendAll(hooks: EventHooks, out: Uint8Array, meta: Uint32Array): Uint8Array | null {
    const batch = (this.#sendBatch ??= new BatchTransport(this));
    batch.startSend(hooks, out);
    const callbacks = this.#callbacks;
    this.#callbacks = callbacks | CallbackBit.SEND;
    let rc: number;
    try {
      rc = this.send(batch);
    } finally {
      this.#callbacks = callbacks;
    }
    return batch.finishSend(rc, meta);
  }

  send(hooks: EventHooks): number {
    const outer = this.#hooks;
    this.#hooks = hooks;
    try {
      return this.#writeLoop();
    } finally {
      this.#hooks = outer;
    }
  }

  #writeLoop(): number {
    while (
      this.#writeEnabled &&
      (this.#omsg !== null || this.#ctrlQueue.length > 0 || this.#dataQueue.length > 0)
    ) {
      let m = this.#omsg;
      if (m === null) {
        m = this.#ctrlQueue.shift() ?? this.#dataQueue.shift()!;
        this.#omsg = m;
      } else if (m.data === null && this.#sender.idle && this.#ctrlQueue.length > 0) {
        // Control frames go out between the frames of a fragmented message.
        this.#dataQueue.unshift(m);
        this.#omsg = null;
        continue;
      }
      const step = m.data !== null ? this.#sendWhole(m, m.data) : this.#sendFragment(m);
      if (step === STOP) break;
      if (step !== CONTINUE) return step;
    }
    return 0;
  }

  queueMsg(opcode: number, msg: Uint8Array, rsv: number): number {
    if (!this.#acceptsMessages()) return ErrorCode.NO_MORE_MSG;
    const bits = rsv < 0 ? 0 : rsv;
    if (!this.#rsvAllowed(opcode, bits)) return ErrorCode.INVALID_ARGUMENT;
    if (isControlOpcode(opcode) && msg.length > MAX_CONTROL_PAYLOAD)
      return ErrorCode.INVALID_ARGUMENT;
    // wslay copies the payload here; Buffer#slice would not, and a pooled copy is cheaper
    // than Uint8Array#slice's new ArrayBuffer.
    const copy = Buffer.allocUnsafe(msg.length);
    copy.set(msg);
    this.#enqueue(wholeMessage(opcode, bits, copy));
    return 0;
  }

  queueFragmentedMsg(opcode: number, source: number, rsv: number): number {
    if (!this.#acceptsMessages()) return ErrorCode.NO_MORE_MSG;
    const bits = rsv < 0 ? 0 : rsv;
    if (isControlOpcode(opcode) || !this.#rsvAllowed(opcode, bits))
      return ErrorCode.INVALID_ARGUMENT;
    this.#enqueue(fragmentedMessage(opcode, bits, source));
    return 0;
  }

  queueClose(statusCode: number, reason: Uint8Array | null): number {
    return this.#enqueueClose(statusCode, reason ?? EMPTY_BYTES);
  }

  wantRead(): boolean {
    return this.#readEnabled;
  }

  wantWrite(): boolean {
    return (
      this.#writeEnabled &&
      (this.#omsg !== null || this.#ctrlQueue.length > 0 || this.#dataQueue.length > 0)
    );
  }

  shutdownRead(): void {
    this.#readEnabled = false;
  }

  shutdownWrite(): void {
    this.#writeEnabled = false;
  }

  getReadEnabled(): boolean {
    return this.#readEnabled;
  }

  getWriteEnabled(): boolean {
    return this.#writeEnabled;
  }

  getCloseReceived(): boolean {
    return this.#closeReceived;
  }

  getCloseSent(): boolean {
    return this.#closeSent;
  }

  getStatusCodeReceived(): number {
    return this.#statusCodeReceived;
  }

  getStatusCodeSent(): number {
    return this.#statusCodeSent;
  }

  getQueuedMsgCount(): number {
    return this.#queuedCount;
  }

  getQueuedMsgLength(): number {
    return this.#queuedLength;
  }

  free(): void {
    this.#hooks = null;
    this.#omsg = null;
    this.#ctrlQueue.clear();
    this.#dataQueue.clear();
    this.#msgBuffer.clear();
    this.#fragmentBuf = null;
    this.#recvBatch = null;
    this.#sendBatch = null;
  }

  // Receiving

  /** Handles the chunk the receiver just produced; false when out of memory. */
  #onChunk(): boolean {
    const rx = this.#receiver;
    const hooks = this.#hooks!;
    if (!this.#inFrame) {
      const failure = this.#checkFrameStart();
      if (failure !== 0) {
        this.#failConnection(failure);
        return true;
      }
      this.#startFrame();
      if (this.#callbacks & CallbackBit.FRAME_RECV_START) {
        hooks.onFrameRecvStart(rx.fin, rx.rsv, rx.opcode, rx.payloadLength);
      }
      if (
        !this.#frameIsControl &&
        !this.#noBuffering &&
        this.#msgBuffer.size + rx.payloadLength > MAX_BUFFERED_LENGTH
      ) {
        return false;
      }
    }
    const buf = rx.chunk;
    const start = rx.chunkStart;
    const end = rx.chunkEnd;
    const frameDone = rx.payloadRemaining === 0;
    if (rx.chunkMasked) {
      const msgBuffer = this.#msgBuffer;
      const at = msgBuffer.size;
      if (!msgBuffer.append(buf, start, end, rx.payloadRemaining)) return false;
      const view = msgBuffer.view();
      rx.unmask(view, at, view.length);
      if (frameDone) this.#endFrame();
      return true;
    }
    if (this.#frameIsControl) {
      // wslay skips the first two bytes of every chunk of a close frame, not only the
      // status code, so its verdict on a reason depends on how the bytes arrived.
      if (
        rx.opcode === Opcode.CONNECTION_CLOSE &&
        end - start > 2 &&
        !this.#closeUtf8.update(buf, start + 2, end)
      ) {
        this.#failConnection(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
        return true;
      }
      this.#emitChunk(buf, start, end);
      this.#ctrlBuf.set(buf.subarray(start, end), this.#ctrlLength);
      this.#ctrlLength += end - start;
    } else {
      if (this.#msgCheckUtf8 && !this.#msgUtf8.update(buf, start, end)) {
        this.#failConnection(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
        return true;
      }
      this.#emitChunk(buf, start, end);
      if (!this.#noBuffering) {
        if (frameDone && rx.fin === 1 && this.#msgBuffer.size === 0) {
          this.#msgDirect = buf.subarray(start, end);
        } else if (!this.#msgBuffer.append(buf, start, end, rx.payloadRemaining)) {
          return false;
        }
      }
    }
    if (frameDone) this.#endFrame();
    return true;
  }

  /** The close code a new frame violates, or 0 (wslay's checks, 1002 before 1009). */
  #checkFrameStart(): number {
    const rx = this.#receiver;
    const opcode = rx.opcode;
    const known =
      opcode <= Opcode.BINARY_FRAME || (opcode >= Opcode.CONNECTION_CLOSE && opcode <= Opcode.PONG);
    if ((rx.rsv & ~this.#allowedRsv) !== 0 || !known || rx.masked !== this.#server) {
      return StatusCode.PROTOCOL_ERROR;
    }
    let base = 0;
    if (isControlOpcode(opcode)) {
      if (rx.rsv !== 0) return StatusCode.PROTOCOL_ERROR;
    } else if (opcode === Opcode.CONTINUATION_FRAME) {
      if (!this.#msgActive || rx.rsv !== 0) return StatusCode.PROTOCOL_ERROR;
      if (!this.#noBuffering) base = this.#msgLength;
    } else if (this.#msgActive) {
      return StatusCode.PROTOCOL_ERROR;
    }
    return this.#exceedsMaxLength(base) ? StatusCode.MESSAGE_TOO_BIG : 0;
  }

  /** Whether `base` plus the new frame's announced length passes the limit. */
  #exceedsMaxLength(base: number): boolean {
    const rx = this.#receiver;
    const max = this.#maxRecvMsgLength;
    if (rx.payloadLength < SAFE && max < SAFE) return base + rx.payloadLength > max;
    const length = (BigInt(rx.payloadLengthHigh) << 32n) + BigInt(rx.payloadLengthLow);
    return BigInt(base) + length > BigInt(Math.trunc(max));
  }

  #startFrame(): void {
    const rx = this.#receiver;
    this.#inFrame = true;
    this.#frameIsControl = isControlOpcode(rx.opcode);
    if (this.#frameIsControl) {
      this.#ctrlLength = 0;
      this.#closeUtf8.reset();
      return;
    }
    if (rx.opcode !== Opcode.CONTINUATION_FRAME) {
      this.#msgActive = true;
      this.#msgOpcode = rx.opcode;
      this.#msgRsv = rx.rsv;
      this.#msgLength = 0;
      // A compressed (RSV1) text message is validated by whoever inflates it.
      this.#msgCheckUtf8 = rx.opcode === Opcode.TEXT_FRAME && (rx.rsv & Rsv.RSV1_BIT) === 0;
      this.#msgUtf8.reset();
    }
    this.#msgLength += rx.payloadLength;
  }

  #endFrame(): void {
    const rx = this.#receiver;
    const hooks = this.#hooks!;
    this.#inFrame = false;
    if (this.#frameIsControl) {
      if (rx.opcode === Opcode.CONNECTION_CLOSE && !this.#closeUtf8.complete) {
        this.#failConnection(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
        return;
      }
      if (this.#callbacks & CallbackBit.FRAME_RECV_END) hooks.onFrameRecvEnd();
      this.#onControlMessage(rx.opcode, rx.rsv);
      return;
    }
    const fin = rx.fin === 1;
    if (fin && this.#msgCheckUtf8 && !this.#msgUtf8.complete) {
      this.#failConnection(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
      return;
    }
    if (this.#callbacks & CallbackBit.FRAME_RECV_END) hooks.onFrameRecvEnd();
    if (!fin) return;
    const msg = this.#noBuffering ? EMPTY_BYTES : (this.#msgDirect ?? this.#msgBuffer.view());
    this.#msgActive = false;
    if (this.#callbacks & CallbackBit.MSG_RECV) {
      this.#error = 0;
      // recvFrom() hands its messages to the caller for good: a large one may keep the
      // storage it was assembled in rather than be copied out of it.
      const owned =
        hooks === this.#recvBatch && msg.length >= OWNED_LENGTH && this.#msgDirect === null
          ? this.#msgBuffer.takeWhole()
          : null;
      if (owned === null) hooks.onMsgRecv(this.#msgRsv, this.#msgOpcode, msg, 0);
      else this.#recvBatch!.onMsgOwned(this.#msgRsv, this.#msgOpcode, owned);
    }
    this.#msgDirect = null;
    this.#msgBuffer.clear();
  }

  #onControlMessage(opcode: number, rsv: number): void {
    const payload = this.#ctrlBuf.subarray(0, this.#ctrlLength);
    let statusCode = 0;
    if (opcode === Opcode.CONNECTION_CLOSE) {
      statusCode = closeCodeOf(payload);
      if (payload.length >= 2 && !isValidReceivedCloseCode(statusCode)) {
        this.#failConnection(StatusCode.PROTOCOL_ERROR);
        return;
      }
      this.#closeReceived = true;
      this.#statusCodeReceived = statusCode === 0 ? StatusCode.NO_STATUS_RCVD : statusCode;
      this.#readEnabled = false;
      this.#enqueueClose(statusCode, payload.subarray(2));
    } else if (opcode === Opcode.PING) {
      this.queueMsg(Opcode.PONG, payload, -1);
    }
    if (this.#callbacks & CallbackBit.MSG_RECV) {
      this.#error = 0;
      this.#hooks!.onMsgRecv(rsv, opcode, payload, statusCode);
    }
  }

  #emitChunk(buf: Uint8Array, start: number, end: number): void {
    if (this.#callbacks & CallbackBit.FRAME_RECV_CHUNK) {
      this.#hooks!.onFrameRecvChunk(buf.subarray(start, end));
    }
  }

  /** Queues a close with `statusCode` if still possible and stops reading. */
  #failConnection(statusCode: number): void {
    this.#enqueueClose(statusCode, EMPTY_BYTES);
    this.#readEnabled = false;
  }

  // Sending

  #sendWhole(m: OutgoingMessage, data: Uint8Array): number {
    const r = this.#sender.send(
      this.#io,
      1,
      m.rsv,
      m.opcode,
      data.length,
      this.#server ? 0 : 1,
      m.offset === 0 ? data : data.subarray(m.offset),
    );
    if (r < 0) return this.#sendFailure(r);
    m.offset += r;
    if (m.offset !== data.length) return STOP;
    this.#finishMessage(m, data);
    return CONTINUE;
  }

  #sendFragment(m: OutgoingMessage): number {
    const buf = (this.#fragmentBuf ??= new Uint8Array(FRAGMENT_SIZE));
    if (!m.pending) {
      const n = this.#hooks!.read(m.source, buf);
      if (n === ReadResult.FAILURE) {
        // A failed read is a callback failure whether or not the hook said so, as in the
        // native backend; the code outlives this call like any other.
        this.#error = ErrorCode.CALLBACK_FAILURE;
        this.#writeEnabled = false;
        return ErrorCode.CALLBACK_FAILURE;
      }
      const eof = n <= -ReadResult.EOF_BIAS;
      const length = eof ? -n - ReadResult.EOF_BIAS : n;
      if (length === 0 && !eof) return STOP;
      m.pending = true;
      m.offset = 0;
      m.fragmentLength = length;
      m.fragmentFin = eof;
    }
    const first = m.firstFrame;
    const r = this.#sender.send(
      this.#io,
      m.fragmentFin ? 1 : 0,
      first ? m.rsv : 0,
      first ? m.opcode : Opcode.CONTINUATION_FRAME,
      m.fragmentLength,
      this.#server ? 0 : 1,
      buf.subarray(m.offset, m.fragmentLength),
    );
    if (r < 0) return this.#sendFailure(r);
    m.offset += r;
    if (m.offset !== m.fragmentLength) return STOP;
    m.pending = false;
    m.firstFrame = false;
    if (m.fragmentFin) this.#finishMessage(m, null);
    return CONTINUE;
  }

  #sendFailure(r: number): number {
    if (r === ErrorCode.WANT_WRITE && this.#errorIsTransient()) return STOP;
    this.#writeEnabled = false;
    return ErrorCode.CALLBACK_FAILURE;
  }

  #finishMessage(m: OutgoingMessage, data: Uint8Array | null): void {
    this.#omsg = null;
    this.#queuedCount--;
    if (data !== null) {
      this.#queuedLength -= data.length;
      if (m.opcode === Opcode.CONNECTION_CLOSE) {
        const code = closeCodeOf(data);
        this.#closeSent = true;
        this.#statusCodeSent = code === 0 ? StatusCode.NO_STATUS_RCVD : code;
        this.#writeEnabled = false;
      }
    }
  }

  // Queueing

  #acceptsMessages(): boolean {
    return this.#writeEnabled && !this.#closeQueued;
  }

  #rsvAllowed(opcode: number, rsv: number): boolean {
    return (rsv & ~this.#allowedRsv) === 0 && (rsv === 0 || !isControlOpcode(opcode));
  }

  #enqueueClose(statusCode: number, reason: Uint8Array): number {
    if (!this.#acceptsMessages()) return ErrorCode.NO_MORE_MSG;
    if (reason.length > MAX_CLOSE_REASON) return ErrorCode.INVALID_ARGUMENT;
    let payload = EMPTY_BYTES;
    if (statusCode !== 0) {
      payload = new Uint8Array(2 + reason.length);
      payload[0] = statusCode >>> 8;
      payload[1] = statusCode & 0xff;
      payload.set(reason, 2);
    }
    // Unlike a close queued as a message, this one is sent before queued pings and pongs,
    // except that a close queued earlier as a message goes first.
    const close = wholeMessage(Opcode.CONNECTION_CLOSE, 0, payload);
    if (this.#ctrlQueue.moveToFront((m) => m.opcode === Opcode.CONNECTION_CLOSE)) {
      this.#ctrlQueue.push(close);
    } else {
      this.#ctrlQueue.unshift(close);
    }
    this.#closeQueued = true;
    this.#count(close);
    return 0;
  }

  #enqueue(m: OutgoingMessage): void {
    if (isControlOpcode(m.opcode)) this.#ctrlQueue.push(m);
    else this.#dataQueue.push(m);
    this.#count(m);
  }

  #count(m: OutgoingMessage): void {
    this.#queuedCount++;
    if (m.data !== null) this.#queuedLength += m.data.length;
  }

  #errorIsTransient(): boolean {
    return this.#error === 0 || this.#error === ErrorCode.WOULDBLOCK;
  }

  #missingCallback(): number {
    this.#error = ErrorCode.CALLBACK_FAILURE;
    return -1;
  }
}
