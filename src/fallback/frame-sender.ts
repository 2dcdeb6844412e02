import { ErrorCode, isControlOpcode, MAX_CONTROL_PAYLOAD, MSG_MORE } from '../constants.js';
import type { FrameIo } from './frame-io.js';
import { maskInPlace } from './mask.js';

const IDLE = 0;
const SEND_HEADER = 1;
const SEND_PAYLOAD = 2;

/** Payload lengths from 2^63 up cannot be encoded in a frame header. */
const MAX_PAYLOAD_LENGTH = 2 ** 63;
/** wslay masks outgoing payload through a buffer of this size, one send call per fill. */
const MASK_CHUNK = 4096;

/**
 * Writes one frame at a time through `FrameIo.send` (`wslay_frame_send`): the header in
 * its own send calls, then the payload. A frame may take several calls; the caller passes
 * the not-yet-sent part of the payload each time.
 */
export class FrameSender {
  #state = IDLE;
  readonly #header = new Uint8Array(14);
  #headerLength = 0;
  #headerOffset = 0;
  /** Whether the header being sent has the mask bit. */
  #headerMasked = false;
  /**
   * Whether payloads are masked. wslay sets this with the first masked frame and never
   * clears it: later frames sent with mask 0 get an unmasked header but a payload masked
   * with the last key. Only the frame API can mix the two.
   */
  #payloadMasked = false;
  readonly #maskKey = new Uint8Array(4);
  /** The genmask hook writes here; a failing hook leaves the key in use untouched. */
  readonly #newMaskKey = new Uint8Array(4);
  #payloadLength = 0;
  #payloadOffset = 0;
  #scratch: Uint8Array | null = null;

  /** True between frames, when nothing of a frame has been prepared. */
  get idle(): boolean {
    return this.#state === IDLE;
  }

  /**
   * Returns the payload bytes sent by this call, or WANT_WRITE when the transport took no
   * payload, INVALID_ARGUMENT, or INVALID_CALLBACK when the mask key could not be made.
   */
  send(
    io: FrameIo,
    fin: number,
    rsv: number,
    opcode: number,
    payloadLength: number,
    mask: number,
    data: Uint8Array,
  ): number {
    if (data.length > payloadLength) return ErrorCode.INVALID_ARGUMENT;
    if (this.#state === IDLE) {
      const controlTooLong = isControlOpcode(opcode) && payloadLength > MAX_CONTROL_PAYLOAD;
      if (controlTooLong || payloadLength >= MAX_PAYLOAD_LENGTH) {
        return ErrorCode.INVALID_ARGUMENT;
      }
      this.#headerMasked = mask !== 0;
      if (this.#headerMasked) {
        if (io.genmask(this.#newMaskKey) !== 0) return ErrorCode.INVALID_CALLBACK;
        this.#maskKey.set(this.#newMaskKey);
        this.#payloadMasked = true;
      }
      this.#writeHeader(fin, rsv, opcode, payloadLength);
      this.#payloadLength = payloadLength;
      this.#payloadOffset = 0;
      this.#state = SEND_HEADER;
    }
    if (this.#state === SEND_HEADER) {
      const r = io.send(
        this.#header.subarray(this.#headerOffset, this.#headerLength),
        data.length > 0 ? MSG_MORE : 0,
      );
      if (r <= 0) return ErrorCode.WANT_WRITE;
      this.#headerOffset += r;
      if (this.#headerOffset < this.#headerLength) return ErrorCode.WANT_WRITE;
      this.#state = SEND_PAYLOAD;
    }
    let sent = 0;
    if (data.length > 0) {
      sent = this.#payloadMasked ? this.#sendMasked(io, data) : this.#sendPlain(io, data);
      if (sent === 0) return ErrorCode.WANT_WRITE;
    }
    // wslay ends a frame only on an exact match with the length in its header, so more
    // payload than announced keeps the sender in this frame for good.
    if (this.#payloadOffset === this.#payloadLength) this.#state = IDLE;
    return sent;
  }

  #sendPlain(io: FrameIo, data: Uint8Array): number {
    const r = io.send(data, 0);
    if (r <= 0) return 0;
    this.#payloadOffset += r;
    return r;
  }

  /** Keeps sending masked chunks until the transport stops taking bytes. */
  #sendMasked(io: FrameIo, data: Uint8Array): number {
    const scratch = (this.#scratch ??= new Uint8Array(MASK_CHUNK));
    let sent = 0;
    while (sent < data.length) {
      const n = Math.min(MASK_CHUNK, data.length - sent);
      scratch.set(data.subarray(sent, sent + n));
      maskInPlace(scratch, 0, n, this.#maskKey, this.#payloadOffset & 3);
      const r = io.send(n === MASK_CHUNK ? scratch : scratch.subarray(0, n), 0);
      if (r <= 0) break;
      sent += r;
      this.#payloadOffset += r;
    }
    return sent;
  }

  #writeHeader(fin: number, rsv: number, opcode: number, payloadLength: number): void {
    const h = this.#header;
    h[0] = ((fin & 1) << 7) | ((rsv & 7) << 4) | (opcode & 0xf);
    const maskBit = this.#headerMasked ? 0x80 : 0;
    let n: number;
    if (payloadLength < 126) {
      h[1] = maskBit | payloadLength;
      n = 2;
    } else if (payloadLength < 0x10000) {
      h[1] = maskBit | 126;
      h[2] = payloadLength >>> 8;
      h[3] = payloadLength & 0xff;
      n = 4;
    } else {
      h[1] = maskBit | 127;
      writeUint32(h, 2, Math.floor(payloadLength / 0x100000000));
      writeUint32(h, 6, payloadLength % 0x100000000);
      n = 10;
    }
    if (this.#headerMasked) {
      h.set(this.#maskKey, n);
      n += 4;
    }
    this.#headerLength = n;
    this.#headerOffset = 0;
  }
}

function writeUint32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = (value >>> 16) & 0xff;
  buf[at + 2] = (value >>> 8) & 0xff;
  buf[at + 3] = value & 0xff;
}
