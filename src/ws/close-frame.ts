import { Opcode } from '../constants.js';
import { encodeFrame } from './frame-encoder.js';
import { EMPTY_BUFFER } from '../empty.js';

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
 * A close frame with `code` (none when undefined) and `reason`, masked by a client (with a
 * key from `fillKey` when given).
 */
export function encodeCloseFrame(
  code: number | undefined,
  reason: Uint8Array,
  masked: boolean,
  fillKey?: (key: Buffer) => void,
): Buffer {
  if (code === undefined) {
    return encodeFrame(Opcode.CONNECTION_CLOSE, EMPTY_BUFFER, masked, fillKey);
  }
  const payload = Buffer.allocUnsafe(2 + reason.length);
  payload.writeUInt16BE(code, 0);
  payload.set(reason, 2);
  return encodeFrame(Opcode.CONNECTION_CLOSE, payload, masked, fillKey);
}
