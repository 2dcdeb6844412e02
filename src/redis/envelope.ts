/**
 * How a message travels on a Redis channel: a small binary header, then the payload as it
 * is, so any bytes pass unchanged:
 *
 *   byte 0       0x77 ('w'): a message of this format, version 1
 *   byte 1       0 for text, 1 for binary
 *   bytes 2-17   the id of the publishing broker, so that a process skips its own messages
 *   bytes 18-    the payload
 */
const MAGIC = 0x77;
export const ORIGIN_LENGTH = 16;
const HEADER = 2 + ORIGIN_LENGTH;

export function encodeEnvelope(origin: Buffer, data: Buffer, isBinary: boolean): Buffer {
  const envelope = Buffer.allocUnsafe(HEADER + data.length);
  envelope[0] = MAGIC;
  envelope[1] = isBinary ? 1 : 0;
  origin.copy(envelope, 2);
  data.copy(envelope, HEADER);
  return envelope;
}

export interface Envelope {
  fromSelf: boolean;
  data: Buffer;
  isBinary: boolean;
}

/** The message in `envelope`, or null when it is not one of ours (another program's). */
export function decodeEnvelope(envelope: Buffer, self: Buffer): Envelope | null {
  if (envelope.length < HEADER || envelope[0] !== MAGIC) return null;
  const kind = envelope[1];
  if (kind !== 0 && kind !== 1) return null;
  return {
    fromSelf: envelope.compare(self, 0, ORIGIN_LENGTH, 2, HEADER) === 0,
    data: envelope.subarray(HEADER),
    isBinary: kind === 1,
  };
}
