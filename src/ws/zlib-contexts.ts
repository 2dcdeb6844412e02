import zlib, { constants, type ZlibOptions } from 'node:zlib';

/**
 * The zlib streams behind permessage-deflate, run synchronously: a message is compressed or
 * inflated by Node's own zlib binding in the calling thread before the call returns, so no
 * job ever queues in libuv's thread pool holding its buffers, the failure behind ws issue
 * #1369.
 *
 * What stays in memory between messages is bounded:
 * - without context takeover, one stream per set of zlib options serves every connection
 *   of the process, reset after each message;
 * - with context takeover, a connection's stream stays live only while it is among the
 *   most recently used (`LIVE_DEFLATE_LIMIT` compressors, `LIVE_INFLATE_LIMIT`
 *   decompressors); the others keep just the last window of plaintext (at most
 *   2^windowBits bytes, often far less) and get a new stream primed with it as a
 *   dictionary when they next need one. A deflate stream costs about 256 KiB and an inflate
 *   stream about 40 KiB, against 1 KiB for the history of a 1 KiB message.
 */

/** Live context-takeover compressors in the process (about 256 KiB each). */
export const LIVE_DEFLATE_LIMIT = 64;
/** Live context-takeover decompressors in the process (about 40 KiB each). */
export const LIVE_INFLATE_LIMIT = 512;

/** The four bytes a sync flush ends with, which RFC 7692 §7.2.1 strips from each message. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY_BLOCK = [0x00];

/** The parts of Node's zlib stream objects that synchronous use goes through. */
type NodeZlib = (zlib.DeflateRaw | zlib.InflateRaw) & {
  _handle: { close(): void } | null;
  _outBuffer: Buffer;
  _processChunk(chunk: Buffer, flushFlag: number): Buffer;
};

function noop(): void {}

/**
 * A Node zlib stream driven synchronously through `_processChunk()`, the path of
 * `zlib.inflateRawSync()` and of minizlib, which closes the stream after each call unless
 * its close is held off. minizlib itself was measured at three times the cost per 1 KiB
 * message (its write re-wires listeners and copies every output).
 */
class SyncZlib {
  readonly #engine: NodeZlib;
  readonly #handle: { close(): void };
  readonly #close: () => void;

  constructor(engine: NodeZlib) {
    this.#engine = engine;
    this.#handle = engine._handle!;
    this.#close = this.#handle.close.bind(this.#handle);
    this.#handle.close = noop;
    // zlib's errors are thrown by write(); the 'error' event Node also emits for them (on a
    // later tick) must find a listener, or it would crash the process.
    engine.on('error', noop);
  }

  /** Writes `input` with a sync flush; returns all the output, or throws zlib's error. */
  write(input: Buffer): Buffer {
    const engine = this.#engine;
    let output: Buffer;
    try {
      output = engine._processChunk(input, constants.Z_SYNC_FLUSH);
    } finally {
      engine._handle = this.#handle;
      // _processChunk() adds a listener of its own on every call.
      engine.removeAllListeners('error');
      engine.on('error', noop);
    }
    // A single chunk of output is a view of the stream's own buffer, which the next call
    // writes over.
    return output.buffer === engine._outBuffer.buffer ? Buffer.from(output) : output;
  }

  reset(): void {
    this.#engine.reset();
  }

  close(): void {
    this.#handle.close = this.#close;
    this.#engine.close();
  }
}

function toBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input)
    ? input
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** zlib cannot make a raw deflate stream with a 256-byte window; 8 is taken as 9, as ws does. */
function zlibWindowBits(bits: number): number {
  return bits === 8 ? 9 : bits;
}

interface StreamSpec {
  inflate: boolean;
  windowBits: number;
  zlib: ZlibOptions;
  /** Inflate: the most bytes one message may inflate to. */
  maxOutputLength: number;
}

function openStream(spec: StreamSpec, dictionary: Buffer | undefined): SyncZlib {
  const options: ZlibOptions = {
    ...spec.zlib,
    windowBits: spec.windowBits,
    ...(dictionary === undefined || dictionary.length === 0 ? {} : { dictionary }),
  };
  // Node's zlib stops inflating past maxOutputLength: a bomb is cut short, not inflated whole.
  const engine = spec.inflate
    ? zlib.createInflateRaw({ ...options, maxOutputLength: spec.maxOutputLength })
    : zlib.createDeflateRaw(options);
  return new SyncZlib(engine as NodeZlib);
}

/** The process-wide streams of connections without context takeover, by zlib options. */
const shared = new Map<string, SyncZlib>();

/** Live context-takeover streams, least recently used first. */
const liveDeflaters = new Set<TakeoverStream>();
const liveInflaters = new Set<TakeoverStream>();

/** One direction of one connection: a stream, live or parked as its history. */
interface MessageStream {
  /** Runs one message through zlib: deflate's input or inflate's compressed payload. */
  run(input: Uint8Array): Buffer;
  close(): void;
}

class SharedStream implements MessageStream {
  readonly #spec: StreamSpec;
  readonly #key: string;

  constructor(spec: StreamSpec) {
    this.#spec = spec;
    this.#key = JSON.stringify(spec);
  }

  run(input: Uint8Array): Buffer {
    let stream = shared.get(this.#key);
    if (stream === undefined) {
      stream = openStream(this.#spec, undefined);
      shared.set(this.#key, stream);
    }
    try {
      const output = stream.write(toBuffer(input));
      stream.reset();
      return output;
    } catch (error) {
      // The stream is in an unknown state: the next message gets a new one.
      shared.delete(this.#key);
      stream.close();
      throw error;
    }
  }

  close(): void {}
}

class TakeoverStream implements MessageStream {
  readonly #spec: StreamSpec;
  readonly #live: Set<TakeoverStream>;
  readonly #liveLimit: number;
  #stream: SyncZlib | null = null;
  /** The plaintext's last window: what the peer's (or our) inflater still refers back to. */
  #history: Buffer[] = [];
  #historyLength = 0;

  constructor(spec: StreamSpec) {
    this.#spec = spec;
    this.#live = spec.inflate ? liveInflaters : liveDeflaters;
    this.#liveLimit = spec.inflate ? LIVE_INFLATE_LIMIT : LIVE_DEFLATE_LIMIT;
  }

  run(input: Uint8Array): Buffer {
    const live = this.#live;
    live.delete(this);
    if (this.#stream === null) {
      this.#stream = openStream(this.#spec, this.#dictionary());
      for (const oldest of live) {
        if (live.size < this.#liveLimit) break;
        oldest.park();
      }
    }
    live.add(this);
    let output: Buffer;
    try {
      output = this.#stream.write(toBuffer(input));
    } catch (error) {
      this.close();
      throw error;
    }
    this.#remember(this.#spec.inflate ? output : input);
    return output;
  }

  /**
   * Keeps copies of the latest messages, enough to cover the window, joined only when the
   * stream is parked: joining on every message would copy the whole window each time.
   */
  #remember(plaintext: Uint8Array): void {
    const window = 1 << zlibWindowBits(this.#spec.windowBits);
    const kept =
      plaintext.length > window ? plaintext.subarray(plaintext.length - window) : plaintext;
    this.#history.push(Buffer.from(kept));
    this.#historyLength += kept.length;
    while (this.#historyLength - this.#history[0]!.length >= window) {
      this.#historyLength -= this.#history.shift()!.length;
    }
  }

  /** The last window of plaintext, as one Buffer. */
  #dictionary(): Buffer | undefined {
    if (this.#history.length === 0) return undefined;
    const window = 1 << zlibWindowBits(this.#spec.windowBits);
    const joined = this.#history.length === 1 ? this.#history[0]! : Buffer.concat(this.#history);
    const tail =
      joined.length > window ? Buffer.from(joined.subarray(joined.length - window)) : joined;
    this.#history = [tail];
    this.#historyLength = tail.length;
    return tail;
  }

  /** Frees the zlib stream; the history brings it back. */
  park(): void {
    this.#live.delete(this);
    if (this.#stream === null) return;
    this.#stream.close();
    this.#stream = null;
    this.#dictionary();
  }

  close(): void {
    this.park();
    this.#history = [];
    this.#historyLength = 0;
  }
}

function messageStream(spec: StreamSpec, noContextTakeover: boolean): MessageStream {
  return noContextTakeover ? new SharedStream(spec) : new TakeoverStream(spec);
}

/** Why a compressed message was refused, with the close code ws sends for it. */
export class InflateError extends Error {
  readonly statusCode: number;

  constructor(message: string, statusCode: number) {
    super(message);
    this.statusCode = statusCode;
  }
}

/** The compressing side of one connection. */
export class MessageDeflater {
  readonly #stream: MessageStream;

  constructor(windowBits: number, noContextTakeover: boolean, zlib: ZlibOptions) {
    this.#stream = messageStream(
      { inflate: false, windowBits: zlibWindowBits(windowBits), zlib, maxOutputLength: 0 },
      noContextTakeover,
    );
  }

  /** A message's payload, compressed and without the trailing 00 00 ff ff. */
  deflate(data: Uint8Array): Buffer {
    const output = this.#stream.run(data);
    // An empty message right after another's flush makes zlib emit nothing; RFC 7692
    // §7.2.3.6 sends it as one empty stored block, the byte 0x00.
    if (output.length === 0) return Buffer.from(EMPTY_BLOCK);
    return output.subarray(0, output.length - TRAILER.length);
  }

  close(): void {
    this.#stream.close();
  }
}

/** The inflating side of one connection. */
export class MessageInflater {
  readonly #stream: MessageStream;
  readonly #maxPayload: number;

  /**
   * `windowBits` is the peer's; `maxPayload` the most bytes a message may inflate to, which
   * zlib stops at (give or take one 16 KiB chunk) rather than inflating a bomb whole.
   */
  constructor(
    windowBits: number,
    noContextTakeover: boolean,
    zlib: ZlibOptions,
    maxPayload: number,
  ) {
    this.#maxPayload = maxPayload;
    this.#stream = messageStream(
      {
        inflate: true,
        // A peer told to use 8 may use 9 (zlib's smallest raw window): a larger window reads both.
        windowBits: zlibWindowBits(windowBits),
        zlib,
        maxOutputLength: maxPayload,
      },
      noContextTakeover,
    );
  }

  /** A message's payload inflated; throws an InflateError with the close code to send. */
  inflate(payload: Buffer): Buffer {
    let output: Buffer;
    try {
      output = this.#stream.run(Buffer.concat([payload, TRAILER]));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new InflateError('Max payload size exceeded', 1009);
      }
      throw new InflateError((error as Error).message, 1007);
    }
    if (output.length > this.#maxPayload) throw new InflateError('Max payload size exceeded', 1009);
    return output;
  }

  close(): void {
    this.#stream.close();
  }
}
