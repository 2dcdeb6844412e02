import { MAX_CONTROL_PAYLOAD, StatusCode } from '../constants.js';
import { isValidCloseCode } from './close-frame.js';
import type { EngineChoice } from './engine-choice.js';
import { verdict, type Verdict } from './protocol-error.js';

/**
 * What one frame of a message costs on top of its payload while the message is assembled:
 * wslay 1.1.1 makes an allocation per frame, so a peer sending one-byte fragments would make
 * it hold about a hundred bytes per byte of payload under a limit that counts payload only.
 */
export const FRAME_COST = 64;

/** Registered with IANA after RFC 6455: ws accepts them, wslay 1.1.1 answers them with 1002. */
const FIRST_LATE_CODE = 1012;
const LAST_LATE_CODE = 1014;
/** The code wslay is shown in their place: it shares their high byte (0x03). */
const STAND_IN_CODE = 1011;

/**
 * Follows the frame headers of the incoming byte stream, ahead of wslay, for what wslay
 * 1.1.1 judges differently from ws:
 *
 * - a fragmented message's payload plus `FRAME_COST` per continuation frame past `limit`
 *   (answered with 1009);
 * - a close frame with a 1-byte body, a protocol error (RFC 6455 §5.5.1) that wslay takes as
 *   a close without a code (answered with 1002);
 * - a close frame with code 1012, 1013 or 1014, which wslay refuses: it is shown to wslay as
 *   1011, and `lateCloseCode` keeps the real one.
 *
 * wslay checks everything else; this only reads headers and the first close frame's code.
 * Where a header (or that code) breaks a rule, it also notes ws's verdict on it (`verdict`),
 * for the 'error' event: wslay says only which close code it sent.
 */
export class FrameScanner {
  readonly #limit: number;
  /** Whether the peer's frames must be masked: it is a client. */
  readonly #expectMask: boolean;
  readonly #compression: boolean;
  /** Told of every message that starts in a chunk, when the engine may change. */
  readonly #choice: EngineChoice | null;
  /** The header being read, which may be split across reads. */
  readonly #header = new Uint8Array(14);
  #headerLength = 0;
  #payloadLeft = 0;
  #messageCost = 0;
  #inMessage = false;
  /** Bytes of the first close frame's code still to come (its key is in `#closeKey`). */
  #codeBytesLeft = 0;
  readonly #closeKey = new Uint8Array(4);
  #codeHigh = 0;
  #closeSeen = false;
  #refusal = 0;
  #lateCloseCode = 0;
  #verdict: Verdict | null = null;

  /**
   * `compression`: permessage-deflate was negotiated, so RSV1 may mark a data message.
   * `choice` hears of each message whose header starts in the chunk being scanned.
   */
  constructor(
    limit: number,
    role: 'server' | 'client',
    compression = false,
    choice: EngineChoice | null = null,
  ) {
    this.#limit = limit;
    this.#expectMask = role === 'server';
    this.#compression = compression;
    this.#choice = choice;
  }

  /** ws's verdict on the first frame seen to break the protocol, or null. */
  get verdict(): Verdict | null {
    return this.#verdict;
  }

  /** The close code owed for the frame `scan()` cut at: 1009 or 1002. */
  get refusal(): number {
    return this.#refusal;
  }

  /** The 1012-1014 code of the peer's close frame, shown to wslay as 1011; 0 when none. */
  get lateCloseCode(): number {
    return this.#lateCloseCode;
  }

  /**
   * Reads `chunk` on from where the last call left off. Returns the offset of the first
   * byte of the frame that must not reach wslay (every byte before it may), or -1 when the
   * whole chunk may. `chunk` is changed where a close code is shown to wslay as another.
   */
  scan(chunk: Uint8Array): number {
    const length = chunk.length;
    let at = 0;
    while (at < length) {
      if (this.#payloadLeft > 0) {
        const n = Math.min(this.#payloadLeft, length - at);
        if (this.#codeBytesLeft > 0) this.#readCode(chunk, at, n);
        at += n;
        this.#payloadLeft -= n;
        continue;
      }
      const frameStart = at - this.#headerLength;
      const header = this.#header;
      // The fixed two bytes tell how long the rest of the header is.
      while (this.#headerLength < 2 && at < length) header[this.#headerLength++] = chunk[at++]!;
      if (this.#headerLength < 2) break;
      const length7 = header[1]! & 0x7f;
      const masked = (header[1]! & 0x80) !== 0;
      const needed = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      while (this.#headerLength < needed && at < length)
        header[this.#headerLength++] = chunk[at++]!;
      if (this.#headerLength < needed) break;
      this.#headerLength = 0;
      const payloadLength =
        length7 < 126
          ? length7
          : length7 === 126
            ? (header[2]! << 8) | header[3]!
            : (header[2]! * 2 ** 24 + (header[3]! << 16) + (header[4]! << 8) + header[5]!) *
                2 ** 32 +
              ((header[6]! << 24) >>> 0) +
              (header[7]! << 16) +
              (header[8]! << 8) +
              header[9]!;
      const opcode = header[0]! & 0x0f;
      const fin = (header[0]! & 0x80) !== 0;
      this.#verdict ??= this.#judge(header[0]!, masked, opcode, payloadLength);
      // The first frame is wslay's to judge (its verdict on a frame that breaks more than
      // one rule comes first); each continuation costs its payload plus FRAME_COST.
      if (opcode === 1 || opcode === 2) {
        if (!this.#inMessage && frameStart >= 0)
          this.#choice?.messageStart(frameStart, payloadLength);
        this.#messageCost = payloadLength;
        this.#inMessage = !fin;
      } else if (opcode === 0 && this.#inMessage) {
        this.#messageCost += payloadLength + FRAME_COST;
        if (this.#messageCost > this.#limit)
          return this.#cut(frameStart, StatusCode.MESSAGE_TOO_BIG);
        this.#inMessage = !fin;
      } else if (opcode === 8 && !this.#closeSeen) {
        this.#closeSeen = true;
        if (payloadLength === 1) return this.#cut(frameStart, StatusCode.PROTOCOL_ERROR);
        if (payloadLength >= 2) {
          this.#codeBytesLeft = 2;
          if (masked) this.#closeKey.set(header.subarray(needed - 4, needed));
        }
      }
      this.#payloadLeft = payloadLength;
    }
    return -1;
  }

  /** ws's checks of a frame header, in ws's order (receiver.js, getInfo()). */
  #judge(byte0: number, masked: boolean, opcode: number, payloadLength: number): Verdict | null {
    if ((byte0 & 0x30) !== 0)
      return verdict('WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear');
    const rsv1 = (byte0 & 0x40) !== 0;
    // As ws: RSV1 only on the first frame of a data message, and only with compression.
    if (rsv1 && (!this.#compression || (opcode !== 1 && opcode !== 2))) {
      return verdict('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear');
    }
    if (opcode === 0) {
      if (!this.#inMessage) return verdict('WS_ERR_INVALID_OPCODE', 'invalid opcode 0');
    } else if (opcode === 1 || opcode === 2) {
      if (this.#inMessage) return verdict('WS_ERR_INVALID_OPCODE', `invalid opcode ${opcode}`);
    } else if (opcode >= 8 && opcode <= 10) {
      if ((byte0 & 0x80) === 0) return verdict('WS_ERR_EXPECTED_FIN', 'FIN must be set');
      if (payloadLength > MAX_CONTROL_PAYLOAD || (opcode === 8 && payloadLength === 1)) {
        return verdict(
          'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
          `invalid payload length ${payloadLength}`,
        );
      }
    } else {
      return verdict('WS_ERR_INVALID_OPCODE', `invalid opcode ${opcode}`);
    }
    if (masked !== this.#expectMask) {
      return masked
        ? verdict('WS_ERR_UNEXPECTED_MASK', 'MASK must be clear')
        : verdict('WS_ERR_EXPECTED_MASK', 'MASK must be set');
    }
    return null;
  }

  #cut(frameStart: number, code: number): number {
    this.#refusal = code;
    return Math.max(frameStart, 0);
  }

  /** Reads the close code's bytes among `chunk[at, at + n)`; the second decides. */
  #readCode(chunk: Uint8Array, at: number, n: number): void {
    for (let i = at; i < at + n && this.#codeBytesLeft > 0; i++) {
      const index = 2 - this.#codeBytesLeft--;
      const plain = chunk[i]! ^ this.#closeKey[index]!;
      if (index === 0) {
        this.#codeHigh = plain;
        continue;
      }
      const code = (this.#codeHigh << 8) | plain;
      if (!isValidCloseCode(code)) {
        this.#verdict ??= verdict('WS_ERR_INVALID_CLOSE_CODE', `invalid status code ${code}`);
      } else if (code >= FIRST_LATE_CODE && code <= LAST_LATE_CODE) {
        this.#lateCloseCode = code;
        chunk[i] = chunk[i]! ^ plain ^ (STAND_IN_CODE & 0xff);
      }
    }
  }
}
