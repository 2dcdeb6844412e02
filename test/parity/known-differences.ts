/**
 * Documented, deliberate differences between the backends. Each entry says when it can
 * explain a difference and how to take its trigger out of a session. A difference counts
 * as known only when (1) the predicate holds at the first differing trace entry, so
 * everything before it was identical, and (2) the session with the trigger neutralised
 * runs identically on both backends, so the deviation hides nothing else.
 *
 * Each entry refers to its section in docs/parity.md ("Deliberate differences").
 */
import type { Difference } from './compare.js';
import type { Trace } from './runner.js';
import { inputStream, type Session } from './session.js';
import {
  framePayload,
  patchInput,
  payloadChunks,
  scanFrames,
  utf8Step,
  UTF8_ACCEPT,
  UTF8_REJECT,
  type ScannedFrame,
} from './wire-scan.js';

export interface KnownDifference {
  id: string;
  title: string;
  /** The section of docs/parity.md that documents it. */
  doc: string;
  /** Whether this deviation can explain the first difference `diff` between the traces. */
  explains(session: Session, native: Trace, fallback: Trace, diff: Difference): boolean;
  /** The session without the trigger; it must then run identically on both backends. */
  neutralize(session: Session): Session;
}

/** What a UTF-8 check concludes about a close frame's reason, and at which chunk. */
type Outcome = 'valid' | 'incomplete' | `reject@${number}`;

/**
 * wslay 1.1.1's check (wslay_event.c, wslay_event_recv): for a close frame it starts at
 * byte 2 of *every* chunk the frame layer hands out, not of the payload, so bytes at the
 * start of the 2nd, 3rd... chunk are never looked at.
 */
export function wslayCloseReasonOutcome(payload: Uint8Array, chunks: number[]): Outcome {
  let s = UTF8_ACCEPT;
  let at = 0;
  for (let k = 0; k < chunks.length; k++) {
    for (let i = at + 2; i < at + chunks[k]!; i++) {
      s = utf8Step(s, payload[i]!);
      if (s === UTF8_REJECT) return `reject@${k}`;
    }
    at += chunks[k]!;
  }
  return s === UTF8_ACCEPT ? 'valid' : 'incomplete';
}

/** The check as RFC 6455 means it: the reason is payload[2..], however it was split. */
export function correctCloseReasonOutcome(payload: Uint8Array, chunks: number[]): Outcome {
  let s = UTF8_ACCEPT;
  let at = 0;
  for (let k = 0; k < chunks.length; k++) {
    for (let i = Math.max(at, 2); i < at + chunks[k]!; i++) {
      s = utf8Step(s, payload[i]!);
      if (s === UTF8_REJECT) return `reject@${k}`;
    }
    at += chunks[k]!;
  }
  return s === UTF8_ACCEPT ? 'valid' : 'incomplete';
}

/**
 * The close frames of an event session whose reason check, as wslay does it, gives
 * another outcome than the correct check (given how the recv callback split the stream),
 * with the trace entry of the recv call that delivered their first payload byte.
 */
export function affectedCloseFrames(
  session: Session,
  native: Trace,
): { frame: ScannedFrame; firstEntry: number; wslay: Outcome; correct: Outcome }[] {
  if (session.api !== 'event') return [];
  const stream = inputStream(session);
  const out = [];
  for (const frame of scanFrames(stream)) {
    if (frame.opcode !== 8 || frame.payloadLength < 3 || frame.payloadLength > 125) continue;
    const seen = payloadChunks(native, frame);
    if (seen === null) continue;
    const payload = framePayload(stream, frame);
    // Until the last byte is in, an unfinished character is no verdict yet.
    const complete = seen.chunks.reduce((a, b) => a + b, 0) === frame.payloadLength;
    const settle = (o: Outcome): Outcome => (o === 'incomplete' && !complete ? 'valid' : o);
    const wslay = settle(wslayCloseReasonOutcome(payload, seen.chunks));
    const correct = settle(correctCloseReasonOutcome(payload, seen.chunks));
    if (wslay !== correct) out.push({ frame, firstEntry: seen.firstEntry, wslay, correct });
  }
  return out;
}

export const closeReasonChunkSkip: KnownDifference = {
  id: 'close-reason-utf8-chunk-skip',
  title: "wslay's close-reason UTF-8 check skips the first two bytes of every received chunk",
  doc: 'docs/parity.md#close-reason-utf-8-check-depends-on-chunking',
  explains(session, native, _fallback, diff) {
    return affectedCloseFrames(session, native).some((a) => a.firstEntry <= diff.index);
  },
  neutralize(session) {
    if (session.api !== 'event') return session;
    // Every non-ASCII byte of every close reason becomes '?': the check then passes
    // however the bytes are split, in wslay and in a correct implementation alike.
    return patchInput(session, (stream) => {
      for (const f of scanFrames(stream)) {
        if (f.opcode !== 8) continue;
        const end = Math.min(stream.length, f.payloadStart + f.payloadLength);
        for (let i = f.payloadStart + 2; i < end; i++) {
          const k = f.mask ? f.mask[(i - f.payloadStart) & 3]! : 0;
          if ((stream[i]! ^ k) >= 0x80) stream[i] = 0x3f ^ k;
        }
      }
    });
  },
};

/** Every documented deviation. Add new ones here and in docs/parity.md. */
export const knownDifferences: KnownDifference[] = [closeReasonChunkSkip];
