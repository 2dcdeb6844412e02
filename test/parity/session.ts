/**
 * The data model of a parity session: a script of steps that the runner plays against
 * one backend. A session is plain data (bytes as Uint8Array), so it can be generated from
 * a seed, shrunk, printed as a readable script and saved as JSON for replay.
 */

export type Role = 'server' | 'client';

/**
 * One frame the peer sends, kept structured so that it prints readably and shrinks while
 * staying a frame. Serialised by `encodeFrame`.
 */
export interface FrameSpec {
  fin: number;
  /** RSV1..3 packed as wslay does: (RSV1 << 2) | (RSV2 << 1) | RSV3. */
  rsv: number;
  opcode: number;
  /** The masking key, or null for an unmasked frame. */
  mask: number[] | null;
  /**
   * How the length is written: 'min' the shortest form; '16' / '64' force that form
   * (non-minimal when the payload is short); '64msb' a 64-bit length with its top bit set.
   */
  len: 'min' | '16' | '64' | '64msb';
  payload: Uint8Array;
  /** Truncates the encoded frame to this many bytes (what follows is read as its rest). */
  cut?: number;
  /** What the generator meant, for the printed script. */
  note?: string;
}

/** Raw bytes on the wire, not (necessarily) a frame. */
export interface RawPiece {
  raw: Uint8Array;
  note?: string;
}

export type InputPiece = FrameSpec | RawPiece;

export const isRaw = (p: InputPiece): p is RawPiece => 'raw' in p;

/**
 * What the recv callback does on one call: a number gives up to that many bytes (what
 * is asked and what is left permitting); 'W' would-block (setError(WOULDBLOCK), -1);
 * 'Z' returns 0; 'F' setError(CALLBACK_FAILURE), -1; 'N' returns -1 without setError;
 * 'T' throws; `{ err }` setError(err), -1. When the plan runs out, the callback gives all
 * it can, and would-blocks once the input is empty.
 */
export type IoAct = number | 'W' | 'Z' | 'F' | 'N' | 'T' | { err: number };

/**
 * What a fragmented message's read callback does on one call: `{ n, eof }` gives
 * min(n, buf.length) bytes; 'F' returns { n: -1 }; 'T' throws; 'X' returns one byte more
 * than asked. When the plan runs out: `{ n: 0, eof: true }`.
 */
export type ReadAct = { n: number; eof?: boolean } | 'F' | 'T' | 'X';

export type OpStep =
  | { op: 'queueMsg'; opcode: number; msg: Uint8Array; rsv?: number }
  | { op: 'queueFrag'; opcode: number; rsv?: number; salt: number; reads: ReadAct[] }
  | { op: 'queueClose'; code?: number; reason?: Uint8Array }
  | { op: 'setError'; code: number }
  | { op: 'shutdownRead' }
  | { op: 'shutdownWrite' }
  | { op: 'noBuffering'; on: boolean }
  | { op: 'maxRecv'; length: number }
  | { op: 'rsvBits'; bits: number }
  | { op: 'callbacks'; mask: number }
  /** Only inside a callback: recv() from a send-side callback, send() from a recv-side one. */
  | { op: 'io'; kind: 'recv' | 'send' }
  /** Only inside a callback: read every getter. */
  | { op: 'state' }
  /**
   * The batch path: recvFrom() of the next `max` bytes the peer sent (all of them when 0).
   * What wslay leaves unconsumed is dropped, as a socket layer drops what follows a close.
   */
  | { op: 'recvFrom'; max: number }
  /** The batch path: sendAll(), with operations run inside its genmask/read callbacks. */
  | { op: 'sendAll'; inside?: Nested[] }
  /**
   * The crash probe's self-test: process.abort(), as a failed assertion in C would, but only
   * in a crash-probe worker (elsewhere a no-op). The generator never makes it.
   */
  | { op: 'abort' };

/** An operation run from inside the `at`-th callback (0-based) of a recv/send step. */
export interface Nested {
  at: number;
  step: OpStep;
}

export type EventStep =
  | { op: 'input'; pieces: InputPiece[] }
  | { op: 'recv'; plan: IoAct[]; inside?: Nested[] }
  | { op: 'send'; plan: IoAct[]; inside?: Nested[] }
  | OpStep;

/** Bits of `EventSession.callbacks` and of the 'callbacks' op. */
export const Cb = {
  recv: 1,
  send: 2,
  genmask: 4,
  onFrameRecvStart: 8,
  onFrameRecvChunk: 16,
  onFrameRecvEnd: 32,
  onMsgRecv: 64,
} as const;
export const ALL_CALLBACKS = 127;

export interface EventSession {
  api: 'event';
  role: Role;
  seed: number;
  /** Which callbacks the context is created with (Cb bits). */
  callbacks: number;
  /** genmask calls (0-based) that return -1. */
  genmaskFail: number[];
  steps: EventStep[];
}

/** A frame given to FrameContext.send, sent over one or more `fsend` steps. */
export interface SendFrame {
  fin: number;
  rsv: number;
  opcode: number;
  mask: number;
  payloadLength: number;
  payload: Uint8Array;
}

export type FrameStep =
  | { op: 'input'; pieces: InputPiece[] }
  /** `calls` FrameContext.recv() calls sharing one recv plan ('F'/'N'/err act as 'W'). */
  | { op: 'frecv'; calls: number; plan: IoAct[] }
  /**
   * One FrameContext.send() of frame `frame` with the payload from where the previous
   * calls left off: `take` bytes of it (null: all the rest), plus `extra` bytes past its
   * end (a caller error).
   */
  | { op: 'fsend'; frame: number; take: number | null; extra?: number; plan: IoAct[] };

export interface FrameSession {
  api: 'frame';
  seed: number;
  frames: SendFrame[];
  genmaskFail: number[];
  steps: FrameStep[];
}

/**
 * Lines of the engine script language (engine-script.ts), run on both backends' engines and
 * on libwslay itself (libwslay/wslay-trace.c).
 */
export interface EngineSession {
  api: 'engine';
  seed: number;
  lines: string[];
}

export type Session = EventSession | FrameSession | EngineSession;

/** Steps, or script lines, of a session. */
export function sessionLength(session: Session): number {
  return session.api === 'engine' ? session.lines.length : session.steps.length;
}

// --- encoding -------------------------------------------------------------------------------

export function encodeFrame(f: FrameSpec): Uint8Array {
  const n = f.payload.length;
  let len: number[];
  let b1: number;
  const mode = f.len === 'min' ? (n < 126 ? '7' : n < 65536 ? '16' : '64') : f.len;
  if (mode === '7') {
    b1 = n;
    len = [];
  } else if (mode === '16') {
    if (n > 0xffff) throw new RangeError('a 16-bit length cannot hold ' + n);
    b1 = 126;
    len = [n >>> 8, n & 0xff];
  } else {
    b1 = 127;
    const hi = Math.floor(n / 0x100000000) + (mode === '64msb' ? 0x80000000 : 0);
    const lo = n >>> 0;
    len = [
      hi >>> 24,
      (hi >>> 16) & 0xff,
      (hi >>> 8) & 0xff,
      hi & 0xff,
      lo >>> 24,
      (lo >>> 16) & 0xff,
      (lo >>> 8) & 0xff,
      lo & 0xff,
    ];
  }
  const headerLength = 2 + len.length + (f.mask ? 4 : 0);
  const out = new Uint8Array(headerLength + n);
  out[0] = (f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0xf);
  out[1] = (f.mask ? 0x80 : 0) | b1;
  out.set(len, 2);
  if (f.mask) {
    out.set(f.mask, 2 + len.length);
    for (let i = 0; i < n; i++) out[headerLength + i] = f.payload[i]! ^ f.mask[i & 3]!;
  } else {
    out.set(f.payload, headerLength);
  }
  return f.cut === undefined ? out : out.subarray(0, Math.min(f.cut, out.length));
}

export function encodePiece(p: InputPiece): Uint8Array {
  return isRaw(p) ? p.raw : encodeFrame(p);
}

export function encodePieces(pieces: InputPiece[]): Uint8Array {
  const parts = pieces.map(encodePiece);
  return Buffer.concat(parts);
}

/** Every byte the peer sends over the session, in order. */
export function inputStream(session: EventSession | FrameSession): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of session.steps) if (s.op === 'input') parts.push(encodePieces(s.pieces));
  return Buffer.concat(parts);
}

/** Total bytes a session moves (input plus queued payloads), to keep sessions cheap. */
export function sessionBytes(session: EventSession | FrameSession): number {
  let n = inputStream(session).length;
  const add = (s: EventStep | FrameStep) => {
    if (s.op === 'queueMsg') n += s.msg.length;
    if (s.op === 'queueFrag') for (const r of s.reads) if (typeof r === 'object') n += r.n;
    if ((s.op === 'recv' || s.op === 'send') && s.inside) for (const x of s.inside) add(x.step);
  };
  if (session.api === 'event') session.steps.forEach(add);
  else for (const f of session.frames) n += f.payload.length;
  return n;
}

// --- JSON -----------------------------------------------------------------------------------

export function sessionToJson(session: Session): string {
  // `this[key]` is the value before toJSON (a Buffer's toJSON would come first otherwise).
  return JSON.stringify(
    session,
    function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return raw instanceof Uint8Array
        ? { hex: Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('hex') }
        : value;
    },
  );
}

export function sessionFromJson(text: string): Session {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === 'hex') {
        return new Uint8Array(Buffer.from((value as { hex: string }).hex, 'hex'));
      }
    }
    return value;
  }) as Session;
}

/** The fragmented message's byte at position k: a fixed pattern, so no payload is stored. */
export function fragByte(salt: number, k: number): number {
  return (salt + Math.imul(k, 131) + (k >>> 8)) & 0xff;
}
