import * as check from './validate.js';

/** WebSocket opcodes (RFC 6455 §5.2), with wslay's values. */
export const Opcode = {
  CONTINUATION_FRAME: 0x0,
  TEXT_FRAME: 0x1,
  BINARY_FRAME: 0x2,
  CONNECTION_CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** Close status codes (RFC 6455 §7.4.1), with wslay's names. */
export const StatusCode = {
  NORMAL_CLOSURE: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS_RCVD: 1005,
  ABNORMAL_CLOSURE: 1006,
  INVALID_FRAME_PAYLOAD_DATA: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXT: 1010,
  INTERNAL_SERVER_ERROR: 1011,
  TLS_HANDSHAKE: 1015,
} as const;

/** wslay's negative error codes (`enum wslay_error`). */
export const ErrorCode = {
  WANT_READ: -100,
  WANT_WRITE: -101,
  PROTO: -200,
  INVALID_ARGUMENT: -300,
  INVALID_CALLBACK: -301,
  NO_MORE_MSG: -302,
  CALLBACK_FAILURE: -400,
  WOULDBLOCK: -401,
  NOMEM: -500,
} as const;

/** `WSLAY_MSG_MORE`: the flag a send callback gets when more data follows. */
export const MSG_MORE = 1;

/** Reserved bits as wslay packs them: `(RSV1 << 2) | (RSV2 << 1) | RSV3`. */
export const Rsv = { NONE: 0, RSV1_BIT: 4, RSV2_BIT: 2, RSV3_BIT: 1 } as const;

/** `wslay_is_ctrl_frame`: true for close, ping, pong and the reserved control opcodes. */
export function isCtrlFrame(opcode: number): boolean {
  return isControlOpcode(check.integerIn(opcode, 0, 15, 'opcode'));
}

/** isCtrlFrame() for an opcode already checked, taken as given (wslay does not mask it). */
export function isControlOpcode(opcode: number): boolean {
  return ((opcode >> 3) & 1) === 1;
}

/** RFC 6455 §5.5: the most payload bytes a control frame may carry. */
export const MAX_CONTROL_PAYLOAD = 125;
