import { StatusCode } from '../constants.js';

/**
 * What ws reports for a frame that breaks the protocol: the error class, its `code`, its
 * message (after "Invalid WebSocket frame: " where ws puts it) and the close code it sends.
 */
export interface Verdict {
  range: boolean;
  code: string;
  message: string;
  statusCode: number;
}

export function verdict(code: string, message: string, statusCode = 1002): Verdict {
  return { range: true, code, message: `Invalid WebSocket frame: ${message}`, statusCode };
}

/** Verdicts that follow from the close code alone, when no frame header explains it. */
const byStatusCode: Record<number, Verdict> = {
  [StatusCode.INVALID_FRAME_PAYLOAD_DATA]: {
    range: false,
    code: 'WS_ERR_INVALID_UTF8',
    message: 'Invalid WebSocket frame: invalid UTF-8 sequence',
    statusCode: StatusCode.INVALID_FRAME_PAYLOAD_DATA,
  },
  [StatusCode.MESSAGE_TOO_BIG]: {
    range: true,
    code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    message: 'Max payload size exceeded',
    statusCode: StatusCode.MESSAGE_TOO_BIG,
  },
};

/**
 * The error the 'error' event reports for a violation answered with close `statusCode`:
 * `found` when the frame scanner saw what ws would refuse, else what the code tells. A 1002
 * that ws would not have sent (wslay refuses a length not in its shortest form) gets the
 * code WS_ERR_PROTOCOL_ERROR, which ws does not have.
 */
export function protocolError(
  statusCode: number,
  found: Verdict | null,
): Error & { code: string; statusCode: number } {
  const v =
    found !== null && found.statusCode === statusCode
      ? found
      : (byStatusCode[statusCode] ?? verdict('WS_ERR_PROTOCOL_ERROR', 'protocol error'));
  const error = v.range ? new RangeError(v.message) : new Error(v.message);
  return Object.assign(error, { code: v.code, statusCode });
}
