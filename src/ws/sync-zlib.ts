import zlib, { constants } from 'node:zlib';

/**
 * A raw deflate or inflate stream run synchronously on Node's own native zlib handle (the
 * `_handle` behind `zlib.createDeflateRaw()`), without the Transform stream around it: the
 * stream object, its listeners and its per-call buffers cost more than zlib itself for a
 * 1 KiB message, and making one per connection or per reuse was the bulk of the cost of a
 * new context. `zlib.deflateRawSync()` drives the same handle the same way
 * (`writeSync`, then the two counts it leaves in the write-state array).
 */

/** The compression settings a stream is made with; streams with equal keys are interchangeable. */
export interface ZlibSettings {
  inflate: boolean;
  /** 9 to 15 (zlib cannot make a raw stream with an 8-bit window). */
  windowBits: number;
  level: number;
  memLevel: number;
  strategy: number;
}

interface NativeZlib {
  onerror: (message: string, errno: number, code: string) => void;
  init(
    windowBits: number,
    level: number,
    memLevel: number,
    strategy: number,
    writeState: Uint32Array,
    processCallback: () => void,
    dictionary: Buffer | undefined,
  ): boolean;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  close(): void;
}

type NativeZlibClass = new (mode: number) => NativeZlib;

let nativeClass: NativeZlibClass | undefined;

function nativeZlibClass(): NativeZlibClass {
  if (nativeClass === undefined) {
    const probe = zlib.createDeflateRaw() as unknown as { _handle: NativeZlib; close(): void };
    nativeClass = probe._handle.constructor as NativeZlibClass;
    probe.close();
  }
  return nativeClass;
}

/** Output goes here first: zlib runs synchronously, so one buffer serves every stream. */
const CHUNK = 64 * 1024;
let scratch: Buffer | undefined;

/** zlib's error, or output past the limit a write was given. */
export class ZlibError extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

export const OUTPUT_TOO_LARGE = 'ERR_BUFFER_TOO_LARGE';

function unused(): void {}

export class SyncZlib {
  readonly key: string;
  readonly #handle: NativeZlib;
  readonly #state = new Uint32Array(2);
  #error: ZlibError | null = null;
  /** Input bytes the last #step() took. */
  #consumed = 0;

  constructor(settings: ZlibSettings) {
    this.key = settingsKey(settings);
    const handle = new (nativeZlibClass())(
      settings.inflate ? constants.INFLATERAW : constants.DEFLATERAW,
    );
    // Called by the handle, during writeSync(), when zlib fails.
    handle.onerror = (message, _errno, code) => {
      this.#error = new ZlibError(message, code);
    };
    handle.init(
      settings.windowBits,
      settings.level,
      settings.memLevel,
      settings.strategy,
      this.#state,
      unused,
      undefined,
    );
    this.#handle = handle;
  }

  /**
   * Runs `inputs` through zlib, one after the other, with a sync flush; returns the output,
   * or throws a ZlibError (zlib's, or OUTPUT_TOO_LARGE once more than `limit` bytes came
   * out). After a throw the stream is in an unknown state: close it.
   */
  write(inputs: readonly Uint8Array[], limit: number): Buffer {
    const first = (scratch ??= Buffer.allocUnsafeSlow(CHUNK));
    let output = first;
    let offset = 0;
    let full: Buffer[] | null = null;
    let total = 0;
    for (const input of inputs) {
      let inOffset = 0;
      let inLength = input.length;
      for (;;) {
        const produced = this.#step(input, inOffset, inLength, output, offset);
        offset += produced;
        total += produced;
        if (total > limit) throw new ZlibError('Output past the limit', OUTPUT_TOO_LARGE);
        inOffset += this.#consumed;
        inLength -= this.#consumed;
        if (offset !== output.length) break;
        // The output buffer is full: keep it (the shared one copied) and go on in a new one.
        (full ??= []).push(output === first ? Buffer.from(first) : output);
        output = Buffer.allocUnsafe(CHUNK);
        offset = 0;
      }
    }
    if (full === null) return Buffer.from(first.subarray(0, total));
    full.push(output.subarray(0, offset));
    return Buffer.concat(full, total);
  }

  /** Runs `inputs` through zlib for its state alone: the output is dropped. */
  feed(inputs: readonly Uint8Array[]): void {
    const output = (scratch ??= Buffer.allocUnsafeSlow(CHUNK));
    for (const input of inputs) {
      let inOffset = 0;
      let inLength = input.length;
      for (;;) {
        const produced = this.#step(input, inOffset, inLength, output, 0);
        inOffset += this.#consumed;
        inLength -= this.#consumed;
        if (produced !== output.length) break;
      }
    }
  }

  /**
   * One call into zlib with a sync flush, writing from `output[offset]` to its end; returns
   * the bytes written and leaves the input bytes taken in #consumed.
   */
  #step(
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Buffer,
    offset: number,
  ): number {
    const room = output.length - offset;
    this.#handle.writeSync(constants.Z_SYNC_FLUSH, input, inOffset, inLength, output, offset, room);
    if (this.#error !== null) throw this.#error;
    this.#consumed = inLength - this.#state[1]!;
    return room - this.#state[0]!;
  }

  /** Back to a new stream's state, keeping zlib's memory for the next user. */
  reset(): void {
    this.#handle.reset();
  }

  close(): void {
    this.#handle.close();
  }
}

export function settingsKey(settings: ZlibSettings): string {
  const { inflate, windowBits, level, memLevel, strategy } = settings;
  return inflate
    ? `inflate/${windowBits}`
    : `deflate/${windowBits}/${level}/${memLevel}/${strategy}`;
}
