import { encodeFrame } from './frame-encoder.js';

/**
 * A whole message as one unmasked frame, the form every server-to-client frame takes
 * (RFC 6455 §5.1): the same bytes suit every connection, so a message for many connections
 * is framed once, and a connection that has never read anything needs no wslay context to
 * send one.
 */
export function encodeServerFrame(opcode: number, payload: Uint8Array): Buffer {
  return encodeFrame(opcode, payload, false);
}
