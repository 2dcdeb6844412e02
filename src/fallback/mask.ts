import { Buffer } from 'node:buffer';
import { bufferUtil } from './bufferutil.js';

/** Below this many bytes the word-at-a-time path costs more than it saves. */
const WORD_THRESHOLD = 32;
/** From this many bytes on, bufferutil's 8-bytes-at-a-time loop beats ours, call included. */
const NATIVE_THRESHOLD = 256;

/** Holds a rotated mask key; its Int32 view gives the key in native byte order. */
const keyBytes = new Uint8Array(4);
const keyWord = new Int32Array(keyBytes.buffer);
/** The key rotated to the phase, for bufferutil (which starts every call at key byte 0). */
const rotatedKey = Buffer.alloc(4);

/**
 * XORs `buf[start, end)` in place with the 4-byte `key`, the first byte taking key byte
 * `phase` (the payload offset modulo 4). Returns the phase following the last byte.
 * Long runs go to bufferutil when it is installed (see bufferutil.ts).
 */
export function maskInPlace(
  buf: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  phase: number,
): number {
  if (bufferUtil === null || end - start < NATIVE_THRESHOLD) {
    return maskWords(buf, start, end, key, phase);
  }
  rotatedKey[0] = key[phase]!;
  rotatedKey[1] = key[(phase + 1) & 3]!;
  rotatedKey[2] = key[(phase + 2) & 3]!;
  rotatedKey[3] = key[(phase + 3) & 3]!;
  bufferUtil.unmask(Buffer.from(buf.buffer, buf.byteOffset + start, end - start), rotatedKey);
  return (phase + end - start) & 3;
}

/** `maskInPlace` in TypeScript, four bytes at a time. */
export function maskWords(
  buf: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  phase: number,
): number {
  let i = start;
  let p = phase;
  if (end - i >= WORD_THRESHOLD) {
    while (((buf.byteOffset + i) & 3) !== 0) {
      buf[i++]! ^= key[p]!;
      p = (p + 1) & 3;
    }
    const words = (end - i) >>> 2;
    keyBytes[0] = key[p]!;
    keyBytes[1] = key[(p + 1) & 3]!;
    keyBytes[2] = key[(p + 2) & 3]!;
    keyBytes[3] = key[(p + 3) & 3]!;
    const k = keyWord[0]! | 0;
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    const unrolled = words & ~3;
    let j = 0;
    while (j < unrolled) {
      w[j++]! ^= k;
      w[j++]! ^= k;
      w[j++]! ^= k;
      w[j++]! ^= k;
    }
    while (j < words) w[j++]! ^= k;
    i += words << 2;
  }
  while (i < end) {
    buf[i++]! ^= key[p]!;
    p = (p + 1) & 3;
  }
  return p;
}
