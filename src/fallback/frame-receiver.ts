import { ErrorCode, isControlOpcode, MAX_CONTROL_PAYLOAD } from '../constants.js';
import type { FrameIo } from './frame-io.js';
import { maskInPlace } from './mask.js';

const RECV_HEADER = 0;
const RECV_EXT_LENGTH = 1;
const RECV_MASK_KEY = 2;
const RECV_PAYLOAD = 3;

/** wslay reads into a buffer of this size; the recv callback is offered its free tail. */
const BUFFER_SIZE = 4096;

/**
 * Parses frames out of a 4096-byte input buffer (`wslay_frame_recv`). Each successful
 * call yields one chunk of the current frame's payload, unmasked in place; the frame's
 * fields stay readable until the next call.
 */
export class FrameReceiver {
  fin = 0;
  rsv = 0;
  opcode = 0;
  masked = false;
  /** hi * 2^32 + lo for 64-bit lengths; exact below 2^53. */
  payloadLength = 0;
  /** The 32-bit halves of the length, for exact comparisons past 2^53. */
  payloadLengthHigh = 0;
  payloadLengthLow = 0;
  /** Payload bytes of the current frame not yet returned. */
  payloadRemaining = 0;
  /** The receiver's input buffer. */
  readonly buf = new Uint8Array(BUFFER_SIZE);
  /** The array holding the last chunk, at [chunkStart, chunkEnd): `buf`, or the input's. */
  chunk: Uint8Array = this.buf;
  chunkStart = 0;
  chunkEnd = 0;
  /**
   * Whether the last chunk is a view of the caller's input, still masked: it must be copied
   * before `unmask()` is applied to the copy.
   */
  chunkMasked = false;

  #state = RECV_HEADER;
  #needed = 2;
  #mark = 0;
  #limit = 0;
  readonly #maskKey = new Uint8Array(4);
  #maskPhase = 0;

  /** Returns the length of the chunk, WANT_READ, or PROTO for a malformed header. */
  recv(io: FrameIo): number {
    const buf = this.buf;
    if (this.#state === RECV_HEADER) {
      if (!this.#ensure(io)) return ErrorCode.WANT_READ;
      const b0 = buf[this.#mark]!;
      const b1 = buf[this.#mark + 1]!;
      this.#mark += 2;
      this.fin = b0 >>> 7;
      this.rsv = (b0 >>> 4) & 7;
      this.opcode = b0 & 0xf;
      this.masked = (b1 & 0x80) !== 0;
      const length7 = b1 & 0x7f;
      // The bytes stay consumed and the state stays put, as in wslay: a caller that goes
      // on after PROTO parses whatever follows as a new header.
      if (isControlOpcode(this.opcode) && (length7 > MAX_CONTROL_PAYLOAD || this.fin === 0)) {
        return ErrorCode.PROTO;
      }
      if (length7 >= 126) {
        this.#state = RECV_EXT_LENGTH;
        this.#needed = length7 === 126 ? 2 : 8;
      } else {
        this.#startPayload(0, length7);
      }
    }
    if (this.#state === RECV_EXT_LENGTH) {
      if (!this.#ensure(io)) return ErrorCode.WANT_READ;
      const at = this.#mark;
      this.#mark += this.#needed;
      if (this.#needed === 2) {
        const length = (buf[at]! << 8) | buf[at + 1]!;
        if (length < 126) return ErrorCode.PROTO;
        this.#startPayload(0, length);
      } else {
        const hi = readUint32(buf, at);
        const lo = readUint32(buf, at + 4);
        if (hi >= 0x80000000 || (hi === 0 && lo < 0x10000)) return ErrorCode.PROTO;
        this.#startPayload(hi, lo);
      }
    }
    if (this.#state === RECV_MASK_KEY) {
      if (!this.#ensure(io)) return ErrorCode.WANT_READ;
      this.#maskKey.set(buf.subarray(this.#mark, this.#mark + 4));
      this.#mark += 4;
      this.#state = RECV_PAYLOAD;
    }
    if (this.#limit === this.#mark && this.payloadRemaining >= BUFFER_SIZE && io.take) {
      // With the buffer empty, wslay would read whole buffers of payload one after another,
      // each consumed entirely: taking those bytes in place leaves the same state and reads.
      const taken = io.take(this.payloadRemaining, BUFFER_SIZE);
      if (taken !== null) {
        this.chunk = taken;
        this.chunkStart = 0;
        this.chunkEnd = taken.length;
        this.chunkMasked = this.masked;
        this.payloadRemaining -= taken.length;
        if (this.payloadRemaining === 0) {
          this.#state = RECV_HEADER;
          this.#needed = 2;
        }
        return taken.length;
      }
    }
    if (this.#limit === this.#mark && this.payloadRemaining > 0 && !this.#fill(io)) {
      return ErrorCode.WANT_READ;
    }
    const n = Math.min(this.#limit - this.#mark, this.payloadRemaining);
    this.chunk = buf;
    this.chunkMasked = false;
    this.chunkStart = this.#mark;
    this.chunkEnd = this.#mark + n;
    if (this.masked) {
      this.#maskPhase = maskInPlace(
        buf,
        this.chunkStart,
        this.chunkEnd,
        this.#maskKey,
        this.#maskPhase,
      );
    }
    this.#mark = this.chunkEnd;
    this.payloadRemaining -= n;
    if (this.payloadRemaining === 0) {
      this.#state = RECV_HEADER;
      this.#needed = 2;
    }
    return n;
  }

  /** Unmasks `target[start, end)`, a copy of the chunks taken masked, in arrival order. */
  unmask(target: Uint8Array, start: number, end: number): void {
    this.#maskPhase = maskInPlace(target, start, end, this.#maskKey, this.#maskPhase);
  }

  #startPayload(high: number, low: number): void {
    this.payloadLength = high * 0x100000000 + low;
    this.payloadLengthHigh = high;
    this.payloadLengthLow = low;
    this.payloadRemaining = this.payloadLength;
    this.#maskPhase = 0;
    if (this.masked) {
      this.#state = RECV_MASK_KEY;
      this.#needed = 4;
    } else {
      this.#state = RECV_PAYLOAD;
    }
  }

  /** Makes `needed` bytes available with at most one recv call, as wslay does per stage. */
  #ensure(io: FrameIo): boolean {
    if (this.#limit - this.#mark >= this.#needed) return true;
    return this.#fill(io) && this.#limit - this.#mark >= this.#needed;
  }

  /** Moves unread bytes to the front, then offers the free tail to the recv callback. */
  #fill(io: FrameIo): boolean {
    const buf = this.buf;
    if (this.#mark !== 0) {
      buf.copyWithin(0, this.#mark, this.#limit);
      this.#limit -= this.#mark;
      this.#mark = 0;
    }
    const r = io.recv(this.#limit === 0 ? buf : buf.subarray(this.#limit), 0);
    if (r <= 0) return false;
    this.#limit += r;
    return true;
  }
}

function readUint32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}
