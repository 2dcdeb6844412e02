import { maskInPlace } from '../fallback/mask.js';
import { fillMaskKey } from '../random-mask.js';

/**
 * One whole frame, masked when `masked` (a client's frames are) with a key from `fillKey`,
 * for the bytes the layer writes past wslay: wslay sends nothing once its own close frame is
 * out.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  masked: boolean,
  fillKey: (key: Buffer) => void = fillMaskKey,
): Buffer {
  const length = payload.length;
  const start = headerLength(length, masked);
  const frame = Buffer.allocUnsafe(start + length);
  writeHeader(frame, opcode, length, masked);
  frame.set(payload, start);
  if (masked) {
    const key = frame.subarray(start - 4, start);
    fillKey(key);
    maskInPlace(frame, start, frame.length, key, 0);
  }
  return frame;
}

/**
 * The header of an unmasked (server's) frame carrying `length` bytes, for a payload written
 * after it as it is, without a copy.
 */
export function encodeHeader(opcode: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(headerLength(length, false));
  writeHeader(header, opcode, length, false);
  return header;
}

function headerLength(length: number, masked: boolean): number {
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  return 2 + extended + (masked ? 4 : 0);
}

function writeHeader(frame: Buffer, opcode: number, length: number, masked: boolean): void {
  frame[0] = 0x80 | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    frame[1] = maskBit | length;
  } else if (length < 0x10000) {
    frame[1] = maskBit | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = maskBit | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
}
