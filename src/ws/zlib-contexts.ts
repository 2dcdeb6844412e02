import { constants, type ZlibOptions } from 'node:zlib';
import { PlaintextWindow } from './plaintext-window.js';
import { OUTPUT_TOO_LARGE, SyncZlib, settingsKey, type ZlibSettings } from './sync-zlib.js';

/**
 * The zlib streams behind permessage-deflate, run synchronously: a message is compressed or
 * inflated in the calling thread before the call returns, so no job ever queues in libuv's
 * thread pool holding its buffers, the failure behind ws issue #1369.
 *
 * What stays in memory is bounded:
 * - without context takeover, one stream per set of zlib settings serves every connection
 *   of the process, reset after each message;
 * - with context takeover, a connection holds a zlib stream only while it is among the most
 *   recently used of its pool (`ContextLimits`). A stream taken from the least recently used
 *   connection is reset and handed on, so zlib's memory is allocated once per pool slot and
 *   never churned. The connection it was taken from keeps, for inflating, the last window of
 *   plaintext, and primes its next stream with it; for compressing it keeps nothing, and
 *   its next message refers to no earlier one, which the peer reads all the same (taking
 *   over the context is allowed, never required: RFC 7692 §7.2.1).
 */

/** How many context-takeover streams may be live at once in one pool. */
export interface ContextLimits {
  /** Compressors: about 260 KiB each with zlib's default memLevel and 15-bit windows. */
  compressors: number;
  /** Decompressors: about 40 KiB each with 15-bit windows. */
  decompressors: number;
}

export const DEFAULT_CONTEXT_LIMITS: Readonly<ContextLimits> = {
  compressors: 64,
  decompressors: 512,
};

/** The four bytes a sync flush ends with, which RFC 7692 §7.2.1 strips from each message. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY_BLOCK = [0x00];

/** zlib cannot make a raw deflate stream with a 256-byte window; 8 is taken as 9, as ws does. */
function zlibWindowBits(bits: number): number {
  return bits === 8 ? 9 : bits;
}

/** The least recently used live streams of one kind, and how many may be live. */
class LivePool {
  readonly limit: number;
  /** Insertion order is use order: the first is the least recently used. */
  readonly #live = new Set<TakeoverStream>();

  constructor(limit: number) {
    this.limit = limit;
  }

  use(stream: TakeoverStream): void {
    this.#live.delete(stream);
    this.#live.add(stream);
  }

  /** A stream with `settings` for `stream`, taken from the least recently used one when full. */
  take(stream: TakeoverStream, settings: ZlibSettings): SyncZlib {
    let zlib: SyncZlib | null = null;
    if (this.#live.size >= this.limit) {
      const [oldest] = this.#live;
      zlib = oldest!.give();
      if (zlib.key !== settingsKey(settings)) {
        zlib.close();
        zlib = null;
      }
    }
    this.#live.add(stream);
    if (zlib === null) return new SyncZlib(settings);
    zlib.reset();
    return zlib;
  }

  leave(stream: TakeoverStream): void {
    this.#live.delete(stream);
  }
}

/** The live-stream pools a set of connections shares (a server's, or the process's). */
export class ZlibPools {
  readonly deflate: LivePool;
  readonly inflate: LivePool;

  constructor(limits: ContextLimits) {
    this.deflate = new LivePool(limits.compressors);
    this.inflate = new LivePool(limits.decompressors);
  }
}

let processPools: ZlibPools | undefined;

/** The pools of every connection whose options set no limits of their own. */
export function defaultPools(): ZlibPools {
  return (processPools ??= new ZlibPools(DEFAULT_CONTEXT_LIMITS));
}

/** One direction of one connection. */
interface MessageStream {
  /** Runs one message through zlib: deflate's input, or inflate's payload and trailer. */
  run(inputs: readonly Uint8Array[], limit: number): Buffer;
  close(): void;
}

/** The process-wide streams of connections without context takeover, by zlib settings. */
const shared = new Map<string, SyncZlib>();

class SharedStream implements MessageStream {
  readonly #settings: ZlibSettings;
  readonly #key: string;

  constructor(settings: ZlibSettings) {
    this.#settings = settings;
    this.#key = settingsKey(settings);
  }

  run(inputs: readonly Uint8Array[], limit: number): Buffer {
    let zlib = shared.get(this.#key);
    if (zlib === undefined) {
      zlib = new SyncZlib(this.#settings);
      shared.set(this.#key, zlib);
    }
    try {
      const output = zlib.write(inputs, limit);
      zlib.reset();
      return output;
    } catch (error) {
      // The stream is in an unknown state: the next message gets a new one.
      shared.delete(this.#key);
      zlib.close();
      throw error;
    }
  }

  close(): void {}
}

/** RFC 1951 §3.2.4: a stored block, not the last one, of `length` bytes that follow. */
function storedBlockHeader(length: number): Buffer {
  return Buffer.from([0x00, length & 0xff, length >> 8, ~length & 0xff, (~length >> 8) & 0xff]);
}

class TakeoverStream implements MessageStream {
  readonly #settings: ZlibSettings;
  readonly #pool: LivePool;
  #zlib: SyncZlib | null = null;
  /** Inflating: the plaintext the peer's compressor may still refer back to. */
  readonly #window: PlaintextWindow | null;

  constructor(settings: ZlibSettings, pool: LivePool) {
    this.#settings = settings;
    this.#pool = pool;
    this.#window = settings.inflate ? new PlaintextWindow(1 << settings.windowBits) : null;
  }

  run(inputs: readonly Uint8Array[], limit: number): Buffer {
    try {
      let zlib = this.#zlib;
      if (zlib === null) zlib = this.#take();
      else this.#pool.use(this);
      const output = zlib.write(inputs, limit);
      this.#window?.append(output);
      return output;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  #take(): SyncZlib {
    const zlib = (this.#zlib = this.#pool.take(this, this.#settings));
    const history = this.#window?.bytes();
    // Inflating the window as one stored block leaves it in the stream's window, as a
    // dictionary would, without making a new stream.
    if (history !== undefined && history.length > 0) {
      zlib.feed([storedBlockHeader(history.length), history]);
    }
    return zlib;
  }

  /** Hands the zlib stream over to another connection of the pool. */
  give(): SyncZlib {
    const zlib = this.#zlib!;
    this.#zlib = null;
    this.#pool.leave(this);
    this.#window?.compact();
    return zlib;
  }

  close(): void {
    this.#pool.leave(this);
    this.#zlib?.close();
    this.#zlib = null;
  }
}

function messageStream(
  settings: ZlibSettings,
  noContextTakeover: boolean,
  pool: LivePool,
): MessageStream {
  return noContextTakeover ? new SharedStream(settings) : new TakeoverStream(settings, pool);
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

  constructor(
    windowBits: number,
    noContextTakeover: boolean,
    zlib: ZlibOptions,
    pools: ZlibPools = defaultPools(),
  ) {
    this.#stream = messageStream(
      {
        inflate: false,
        windowBits: zlibWindowBits(windowBits),
        level: zlib.level ?? constants.Z_DEFAULT_COMPRESSION,
        memLevel: zlib.memLevel ?? constants.Z_DEFAULT_MEMLEVEL,
        strategy: zlib.strategy ?? constants.Z_DEFAULT_STRATEGY,
      },
      noContextTakeover,
      pools.deflate,
    );
  }

  /** A message's payload, compressed and without the trailing 00 00 ff ff. */
  deflate(data: Uint8Array): Buffer {
    const output = this.#stream.run([data], Infinity);
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
   * zlib stops at (give or take one 64 KiB chunk) rather than inflating a bomb whole.
   */
  constructor(
    windowBits: number,
    noContextTakeover: boolean,
    maxPayload: number,
    pools: ZlibPools = defaultPools(),
  ) {
    this.#maxPayload = maxPayload;
    this.#stream = messageStream(
      {
        inflate: true,
        // A peer told to use 8 may use 9 (zlib's smallest raw window): a larger window reads both.
        windowBits: zlibWindowBits(windowBits),
        // Unused by inflate, but checked by zlib's init.
        level: constants.Z_DEFAULT_COMPRESSION,
        memLevel: constants.Z_DEFAULT_MEMLEVEL,
        strategy: constants.Z_DEFAULT_STRATEGY,
      },
      noContextTakeover,
      pools.inflate,
    );
  }

  /** A message's payload inflated; throws an InflateError with the close code to send. */
  inflate(payload: Uint8Array): Buffer {
    try {
      return this.#stream.run([payload, TRAILER], this.#maxPayload);
    } catch (error) {
      if ((error as { code?: unknown }).code === OUTPUT_TOO_LARGE) {
        throw new InflateError('Max payload size exceeded', 1009);
      }
      throw new InflateError((error as Error).message, 1007);
    }
  }

  close(): void {
    this.#stream.close();
  }
}
