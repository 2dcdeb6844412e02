/**
 * Every number the TypeScript layer and the addon exchange by position or by bit: the one
 * definition of each. native/layout.h is generated from this module (`npm run gen:layout`)
 * and committed; test/layout.test.ts fails when the two disagree, and the addon uses only
 * the names of the header. The fallback reads and writes the same layout, so both backends
 * hand the public layer identical tables.
 */

/** Which callbacks a context has, so a backend never calls through a missing one. */
export const CallbackBit = {
  RECV: 1,
  SEND: 2,
  GENMASK: 4,
  FRAME_RECV_START: 8,
  FRAME_RECV_CHUNK: 16,
  FRAME_RECV_END: 32,
  MSG_RECV: 64,
  /** With GENMASK: the default genmask, which a backend may serve without calling the hook. */
  RANDOM_GENMASK: 128,
} as const;

/**
 * The words of the Float64Array in which the addon publishes the getters' values after every
 * call that may change them (see NativeEventEngine). VALID is 1 while the others are current.
 */
export const StateWord = {
  VALID: 0,
  WANT_READ: 1,
  WANT_WRITE: 2,
  READ_ENABLED: 3,
  WRITE_ENABLED: 4,
  CLOSE_RECEIVED: 5,
  CLOSE_SENT: 6,
  STATUS_CODE_RECEIVED: 7,
  STATUS_CODE_SENT: 8,
  QUEUED_MSG_COUNT: 9,
  QUEUED_MSG_LENGTH: 10,
  COUNT: 11,
} as const;

/** The header of recvFrom()'s Uint32Array table; one RecvEntry per message follows it. */
export const RecvHeader = {
  /** wslay_event_recv's return code, as uint32. */
  RC: 0,
  /** Bytes of the input wslay consumed. */
  CONSUMED: 1,
  MESSAGE_COUNT: 2,
  /** Bytes of all messages' payloads together. */
  PAYLOAD_LENGTH: 3,
  WORDS: 4,
} as const;

/** One completed message in recvFrom()'s table: its MessageWord, and where its bytes are. */
export const RecvEntry = {
  MESSAGE: 0,
  OFFSET: 1,
  LENGTH: 2,
  WORDS: 3,
} as const;

/** The fields packed into a RecvEntry's MESSAGE word: opcode | rsv << 8 | statusCode << 16. */
export const MessageWord = {
  OPCODE_MASK: 0xff,
  RSV_SHIFT: 8,
  RSV_MASK: 0xff,
  STATUS_CODE_SHIFT: 16,
} as const;

/** sendAll()'s Uint32Array: wslay_event_send's return code and the bytes written. */
export const SendMeta = {
  RC: 0,
  LENGTH: 1,
  WORDS: 2,
} as const;

/**
 * What the `read` hook of a fragmented message returns: `n` when more data follows,
 * `-(n + EOF_BIAS)` when `n` bytes end the message, FAILURE on failure.
 */
export const ReadResult = {
  FAILURE: -1,
  EOF_BIAS: 2,
} as const;

export function packMessageWord(opcode: number, rsv: number, statusCode: number): number {
  return (
    (opcode | (rsv << MessageWord.RSV_SHIFT) | (statusCode << MessageWord.STATUS_CODE_SHIFT)) >>> 0
  );
}

export function encodeReadResult(n: number, eof: boolean): number {
  return eof ? -(n + ReadResult.EOF_BIAS) : n;
}

/** The named groups above, in the order native/layout.h declares them. */
export const LAYOUT = {
  CallbackBit,
  StateWord,
  RecvHeader,
  RecvEntry,
  MessageWord,
  SendMeta,
  ReadResult,
} as const;
