import { randomFillSync } from 'node:crypto';

/**
 * Masking keys for client frames (RFC 6455 §5.3: unpredictable, from a strong source). A
 * call into the crypto module per 4-byte key costs more than the rest of sending a small
 * frame, so keys are cut from a pool of random bytes refilled a thousand keys at a time.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

export function fillMaskKey(key: Uint8Array): void {
  if (offset + key.length > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  key.set(pool.subarray(offset, offset + key.length));
  offset += key.length;
}
