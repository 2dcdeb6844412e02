import { constants as bufferConstants } from 'node:buffer';
import * as check from '../validate.js';

/**
 * Every limit a connection enforces, with defaults that keep one misbehaving peer from
 * exhausting the process. Each can be raised per server or per client.
 */
export interface Limits {
  /** Largest message accepted from the peer; a bigger one is answered with close 1009. */
  maxPayload: number;
  /** Milliseconds the opening handshake may take before the socket is closed. */
  handshakeTimeout: number;
  /** Largest total size of the handshake's HTTP headers, in bytes. */
  maxHeaderSize: number;
  /** Above this many buffered outgoing bytes, `send()` returns false until 'drain'. */
  highWaterMark: number;
  /**
   * Outgoing bytes a peer may leave unread. Past it the connection is terminated: a peer that
   * stopped reading would otherwise make the process hold everything the application sends.
   */
  maxBufferedAmount: number;
  /** Milliseconds to wait for the peer's close frame (and the TCP close) after ours. */
  closeTimeout: number;
}

const MiB = 1024 * 1024;

export const defaultLimits: Readonly<Limits> = Object.freeze({
  // The same default as the ws package, so moving to this package rejects nothing new.
  maxPayload: 100 * MiB,
  handshakeTimeout: 30_000,
  // Node's own default for HTTP headers.
  maxHeaderSize: 16 * 1024,
  highWaterMark: 1 * MiB,
  // Above the default maxPayload: one largest message fits in an idle connection's buffer.
  maxBufferedAmount: 128 * MiB,
  // The ws package's close timeout.
  closeTimeout: 30_000,
});

/**
 * wslay takes lengths up to 2^63 - 1, but a message must also fit in one Buffer, and
 * recvFrom() reports message lengths in 32 bits.
 */
const MAX_MESSAGE = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32 - 1);

function limit(value: unknown, fallback: number, min: number, max: number, name: string): number {
  return value === undefined ? fallback : check.integerIn(value, min, max, `options.${name}`);
}

/** The limits that `options` asks for, checked, with the defaults filled in. */
export function resolveLimits(options: Partial<Record<keyof Limits, unknown>>): Limits {
  const d = defaultLimits;
  const big = Number.MAX_SAFE_INTEGER;
  return {
    // 0 means "no limit" in the ws package; here, as any larger value, it is the largest
    // message this layer can receive.
    maxPayload: Math.min(
      limit(options.maxPayload, d.maxPayload, 0, big, 'maxPayload') || MAX_MESSAGE,
      MAX_MESSAGE,
    ),
    handshakeTimeout: limit(
      options.handshakeTimeout,
      d.handshakeTimeout,
      1,
      2 ** 31 - 1,
      'handshakeTimeout',
    ),
    maxHeaderSize: limit(options.maxHeaderSize, d.maxHeaderSize, 1, big, 'maxHeaderSize'),
    highWaterMark: limit(options.highWaterMark, d.highWaterMark, 0, big, 'highWaterMark'),
    maxBufferedAmount: limit(
      options.maxBufferedAmount,
      d.maxBufferedAmount,
      0,
      big,
      'maxBufferedAmount',
    ),
    closeTimeout: limit(options.closeTimeout, d.closeTimeout, 1, 2 ** 31 - 1, 'closeTimeout'),
  };
}
