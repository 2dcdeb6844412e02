/**
 * Whether a status code in a received close frame is acceptable. wslay takes the codes
 * RFC 6455 §7.4 defines for use on the wire (1000-1003, 1007-1011) and the registered
 * and private ranges (3000-4999); anything else fails the connection with 1002.
 */
export function isValidReceivedCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1011) ||
    (code >= 3000 && code <= 4999)
  );
}

/** The status code a close payload carries, 0 when it is shorter than two bytes. */
export function closeCodeOf(payload: Uint8Array): number {
  return payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 0;
}
