import { fillMaskKey } from '../random-mask.js';

/** The most reason bytes that fit in a control frame after the 2-byte code (RFC 6455 §5.5). */
export const MAX_REASON_BYTES = 123;

/** RFC 6455 §7.4: the codes an endpoint may send (1004-1006 are reserved for reporting). */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/**
 * A close frame carrying only `code`, for when the connection must send a close other than
 * the one wslay queued (see `IoLoop`'s `#replaceClose`). A client masks it.
 */
export function encodeCloseFrame(code: number, masked: boolean): Buffer {
  const frame = Buffer.alloc(masked ? 8 : 4);
  frame[0] = 0x88;
  frame[1] = masked ? 0x82 : 0x02;
  const payload = masked ? 6 : 2;
  frame.writeUInt16BE(code, payload);
  if (masked) {
    fillMaskKey(frame.subarray(2, 6));
    frame[6] = frame[6]! ^ frame[2]!;
    frame[7] = frame[7]! ^ frame[3]!;
  }
  return frame;
}
