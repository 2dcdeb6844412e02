import { ErrorCode } from './constants.js';

const codeNames = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name]),
);

const descriptions: Record<string, string> = {
  WANT_READ: 'the library wants more data to read',
  WANT_WRITE: 'the library cannot write now',
  PROTO: 'protocol violation',
  INVALID_ARGUMENT: 'invalid argument',
  INVALID_CALLBACK: 'a callback failed',
  NO_MORE_MSG: 'no more messages can be queued (a close frame was queued or sent)',
  CALLBACK_FAILURE: 'a callback failed',
  WOULDBLOCK: 'the operation would block',
  NOMEM: 'out of memory',
};

/** A negative `WSLAY_ERR_*` return of a wslay function, as an exception. */
export class WslayError extends Error {
  /** The wslay error number, one of `ErrorCode`. */
  readonly code: number;
  /** The error's name without the `WSLAY_ERR_` prefix, e.g. `'NO_MORE_MSG'`. */
  readonly codeName: string;

  constructor(code: number, operation?: string) {
    const codeName = codeNames.get(code) ?? 'UNKNOWN';
    const what = descriptions[codeName] ?? `unknown error ${code}`;
    super(`${operation ? `${operation}: ` : ''}WSLAY_ERR_${codeName} (${code}): ${what}`);
    this.name = 'WslayError';
    this.code = code;
    this.codeName = codeName;
  }
}

/**
 * What a freed context's methods throw. The addon throws the same words (checked by
 * test/arguments.test.ts), though the public classes stop such calls before they reach it.
 */
export function freedError(className: 'EventContext' | 'FrameContext'): Error {
  return new Error(`this ${className} has been freed; create a new one`);
}
