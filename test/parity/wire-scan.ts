/**
 * Helpers the known-difference predicates use to look at a session from the outside:
 * the frames in the input stream, how the recv callback split that stream, and a strict
 * streaming UTF-8 automaton (Unicode Table 3-7; accepts exactly what wslay's does).
 */
import {
  encodePiece,
  isRaw,
  type EventSession,
  type FrameSpec,
  type InputPiece,
} from './session.js';
import type { Trace } from './runner.js';

export interface ScannedFrame {
  /** Offset of the first header byte in the input stream. */
  start: number;
  fin: number;
  opcode: number;
  /** Offset of the first payload byte in the input stream. */
  payloadStart: number;
  payloadLength: number;
  mask: Uint8Array | null;
}

/** Splits the input stream into frames the way a frame parser would, until it cannot. */
export function scanFrames(stream: Uint8Array): ScannedFrame[] {
  const frames: ScannedFrame[] = [];
  let at = 0;
  while (at + 2 <= stream.length) {
    const b0 = stream[at]!;
    const b1 = stream[at + 1]!;
    let p = at + 2;
    let length = b1 & 0x7f;
    if (length === 126) {
      if (p + 2 > stream.length) break;
      length = (stream[p]! << 8) | stream[p + 1]!;
      p += 2;
    } else if (length === 127) {
      if (p + 8 > stream.length) break;
      const hi =
        ((stream[p]! << 24) | (stream[p + 1]! << 16) | (stream[p + 2]! << 8) | stream[p + 3]!) >>>
        0;
      const lo =
        ((stream[p + 4]! << 24) |
          (stream[p + 5]! << 16) |
          (stream[p + 6]! << 8) |
          stream[p + 7]!) >>>
        0;
      if (hi >= 0x200000) break;
      length = hi * 0x100000000 + lo;
      p += 8;
    }
    let mask: Uint8Array | null = null;
    if (b1 & 0x80) {
      if (p + 4 > stream.length) break;
      mask = stream.slice(p, p + 4);
      p += 4;
    }
    frames.push({
      start: at,
      fin: b0 >> 7,
      opcode: b0 & 0xf,
      payloadStart: p,
      payloadLength: length,
      mask,
    });
    at = p + length;
  }
  return frames;
}

/** The payload bytes of a scanned frame that are in the stream, unmasked. */
export function framePayload(stream: Uint8Array, f: ScannedFrame): Uint8Array {
  const end = Math.min(stream.length, f.payloadStart + f.payloadLength);
  const out = stream.slice(f.payloadStart, end);
  if (f.mask) for (let i = 0; i < out.length; i++) out[i]! ^= f.mask[i & 3]!;
  return out;
}

/**
 * How the event context saw a frame's payload: the chunk boundaries are where the
 * recv callback's deliveries ended (wslay's frame layer hands out what its buffer holds,
 * and asks for more only when it is empty). Returns the chunk lengths, or null when the
 * payload's first byte was never delivered; `firstEntry` is the trace entry of the recv
 * callback that delivered it.
 */
export function payloadChunks(
  trace: Trace,
  f: ScannedFrame,
): { chunks: number[]; firstEntry: number } | null {
  const from = f.payloadStart;
  const to = f.payloadStart + f.payloadLength;
  const chunks: number[] = [];
  let firstEntry = -1;
  let last = from;
  for (const mark of trace.recvMarks) {
    if (mark.end <= from) continue;
    if (firstEntry < 0) firstEntry = mark.entry;
    const end = Math.min(mark.end, to);
    if (end > last) chunks.push(end - last);
    last = end;
    if (end >= to) break;
  }
  return firstEntry < 0 ? null : { chunks, firstEntry };
}

// --- strict UTF-8 -------------------------------------------------------------------------

/** 0 is the accepting state, -1 the rejecting one; others encode (need, lo, hi). */
export type Utf8State = number;
export const UTF8_ACCEPT = 0;
export const UTF8_REJECT = -1;

const state = (need: number, lo: number, hi: number): number => (need << 16) | (lo << 8) | hi;

export function utf8Step(s: Utf8State, b: number): Utf8State {
  if (s === UTF8_REJECT) return UTF8_REJECT;
  if (s === UTF8_ACCEPT) {
    if (b < 0x80) return UTF8_ACCEPT;
    if (b >= 0xc2 && b <= 0xdf) return state(1, 0x80, 0xbf);
    if (b === 0xe0) return state(2, 0xa0, 0xbf);
    if (b === 0xed) return state(2, 0x80, 0x9f);
    if (b >= 0xe1 && b <= 0xef) return state(2, 0x80, 0xbf);
    if (b === 0xf0) return state(3, 0x90, 0xbf);
    if (b >= 0xf1 && b <= 0xf3) return state(3, 0x80, 0xbf);
    if (b === 0xf4) return state(3, 0x80, 0x8f);
    return UTF8_REJECT;
  }
  const need = s >> 16;
  const lo = (s >> 8) & 0xff;
  const hi = s & 0xff;
  if (b < lo || b > hi) return UTF8_REJECT;
  return need === 1 ? UTF8_ACCEPT : state(need - 1, 0x80, 0xbf);
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  let s = UTF8_ACCEPT;
  for (const b of bytes) if ((s = utf8Step(s, b)) === UTF8_REJECT) return false;
  return s === UTF8_ACCEPT;
}

// --- patching the input stream --------------------------------------------------------------

/**
 * Applies `patch` (which rewrites bytes of the whole input stream in place) to the
 * session's input steps. Frames whose header survives keep their structure; a piece whose
 * header bytes change becomes raw bytes.
 */
export function patchInput(
  session: EventSession,
  patch: (stream: Uint8Array) => void,
): EventSession {
  const encoded: Uint8Array[][] = session.steps.map((s) =>
    s.op === 'input' ? s.pieces.map(encodePiece) : [],
  );
  const stream = Buffer.concat(encoded.flat());
  const patched = Buffer.from(stream);
  patch(patched);
  let at = 0;
  const steps = session.steps.map((s, i) => {
    if (s.op !== 'input') return s;
    const pieces = s.pieces.map((piece, k): InputPiece => {
      const bytes = encoded[i]![k]!;
      const now = patched.subarray(at, at + bytes.length);
      at += bytes.length;
      if (Buffer.compare(now, bytes) === 0) return piece;
      if (isRaw(piece)) return { ...piece, raw: new Uint8Array(now) };
      const header = headerLength(piece);
      if (
        header <= bytes.length &&
        Buffer.compare(now.subarray(0, header), bytes.subarray(0, header)) === 0
      ) {
        const payload = new Uint8Array(piece.payload);
        for (let j = header; j < bytes.length; j++) {
          payload[j - header] = now[j]! ^ (piece.mask ? piece.mask[(j - header) & 3]! : 0);
        }
        return { ...piece, payload };
      }
      return { raw: new Uint8Array(now), note: `was: ${piece.note ?? 'a frame'} (patched)` };
    });
    return { ...s, pieces };
  });
  return { ...session, steps };
}

function headerLength(f: FrameSpec): number {
  const n = f.payload.length;
  const mode = f.len === 'min' ? (n < 126 ? '7' : n < 65536 ? '16' : '64') : f.len;
  return 2 + (mode === '7' ? 0 : mode === '16' ? 2 : 8) + (f.mask ? 4 : 0);
}
