/** Pre-built WebSocket frames and payloads shared by the benchmarks (RFC 6455 §5.2). */

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;

/**
 * Every byte of this key is below 0x80, so masking ASCII gives ASCII: a text frame stays
 * valid UTF-8 masked or not. `ws` unmasks in place, so the parsing benchmark can feed it
 * the same buffers again and again without copying them first.
 */
export const MASK_KEY = Uint8Array.of(0x12, 0x34, 0x56, 0x78);

export type PayloadKind = 'text' | 'binary';

/** ASCII text (JSON-like) or pseudo-random binary bytes of `size` bytes, deterministic. */
export function payload(kind: PayloadKind, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  if (kind === 'text') {
    const pattern = Buffer.from('{"id":12345,"name":"benchmark","tags":["a","b"],"ok":true}\n');
    for (let i = 0; i < size; i++) out[i] = pattern[i % pattern.length]!;
  } else {
    let s = 0x9e3779b9;
    for (let i = 0; i < size; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
  }
  return out;
}

function header(fin: boolean, opcode: number, length: number, masked: boolean): Buffer {
  const maskBit = masked ? 0x80 : 0;
  let h: Buffer;
  if (length < 126) {
    h = Buffer.allocUnsafe(2);
    h[1] = maskBit | length;
  } else if (length < 0x10000) {
    h = Buffer.allocUnsafe(4);
    h[1] = maskBit | 126;
    h.writeUInt16BE(length, 2);
  } else {
    h = Buffer.allocUnsafe(10);
    h[1] = maskBit | 127;
    h.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    h.writeUInt32BE(length >>> 0, 6);
  }
  h[0] = (fin ? 0x80 : 0) | opcode;
  return h;
}

/** A client-to-server frame: masked with `key`; `fin: false` for a fragment that others follow. */
export function maskedFrame(
  opcode: number,
  data: Uint8Array,
  key: Uint8Array = MASK_KEY,
  fin = true,
): Buffer {
  const h = header(fin, opcode, data.length, true);
  const out = Buffer.allocUnsafe(h.length + 4 + data.length);
  h.copy(out, 0);
  out.set(key, h.length);
  const base = h.length + 4;
  for (let i = 0; i < data.length; i++) out[base + i] = data[i]! ^ key[i & 3]!;
  return out;
}

/** A server-to-client frame: not masked. */
export function unmaskedFrame(opcode: number, data: Uint8Array): Buffer {
  return Buffer.concat([header(true, opcode, data.length, false), data]);
}

/** The size of a frame's header for a payload of `length` bytes. */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * A stream of `count` copies of `frame`, cut into `chunkSize`-byte pieces as a socket would
 * hand them over (each piece its own Buffer, frames straddling the cuts).
 */
export function chunkedStream(frame: Uint8Array, count: number, chunkSize: number): Buffer[] {
  const whole = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) whole.set(frame, i * frame.length);
  const chunks: Buffer[] = [];
  for (let off = 0; off < whole.length; off += chunkSize) {
    chunks.push(Buffer.from(whole.subarray(off, Math.min(off + chunkSize, whole.length))));
  }
  return chunks;
}
