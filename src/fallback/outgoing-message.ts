/** A queued message and how far its transmission has got. */
export interface OutgoingMessage {
  opcode: number;
  rsv: number;
  /** The payload of a message queued whole; null for a fragmented message. */
  data: Uint8Array | null;
  /** Bytes of `data`, or of the current fragment, already sent. */
  offset: number;
  /** The `source` handed to the read hook of a fragmented message. */
  source: number;
  /** Fragmented only: whether the frame being sent is the message's first. */
  firstFrame: boolean;
  /** Fragmented only: a fragment has been read and is not fully sent. */
  pending: boolean;
  /** Fragmented only: the current fragment's length and whether it ends the message. */
  fragmentLength: number;
  fragmentFin: boolean;
}

export function wholeMessage(opcode: number, rsv: number, data: Uint8Array): OutgoingMessage {
  return {
    opcode,
    rsv,
    data,
    offset: 0,
    source: 0,
    firstFrame: true,
    pending: false,
    fragmentLength: 0,
    fragmentFin: false,
  };
}

export function fragmentedMessage(opcode: number, rsv: number, source: number): OutgoingMessage {
  return {
    opcode,
    rsv,
    data: null,
    offset: 0,
    source,
    firstFrame: true,
    pending: false,
    fragmentLength: 0,
    fragmentFin: false,
  };
}
