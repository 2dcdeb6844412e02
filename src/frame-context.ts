import { fillMaskKey } from './random-mask.js';
import { ErrorCode } from './constants.js';
import { WslayError, freedError } from './errors.js';
import type { FrameEngine, FrameHooks, FrameIocb } from './backends/engine.js';
import { resolveBackend, type Backend } from './backends/select.js';
import type { ContextOptions } from './event-context.js';
import * as check from './validate.js';

export type { FrameIocb };

export interface FrameCallbacks {
  /** Send (part of) `data`; return the bytes taken, or -1 (or 0) when it would block. */
  send(data: Uint8Array, flags: number): number;
  /** Fill `buf` with at most `buf.length` bytes; return the count, or -1 when none are ready. */
  recv(buf: Uint8Array, flags: number): number;
  /** Fill `buf` with a masking key; return 0, or -1. Defaults to crypto random bytes. */
  genmask?(buf: Uint8Array): number;
}

const constructing = Symbol('FrameContext.constructing');

/**
 * wslay's frame API (`wslay_frame_context`): frames in and out with no message or
 * close logic on top. `WANT_READ`/`WANT_WRITE` are flow control and are returned;
 * other errors are thrown as `WslayError`.
 */
export class FrameContext {
  readonly backend: Backend;
  #engine: FrameEngine | null;
  #callbacks: FrameCallbacks;
  #hooks: FrameHooks;
  #depth = 0;
  #freePending = false;
  #thrown: { value: unknown } | null = null;

  /** `wslay_frame_context_init`. */
  static create(callbacks: FrameCallbacks, options?: ContextOptions): FrameContext {
    return new FrameContext(constructing, callbacks, options);
  }

  /** @internal Use `FrameContext.create()`. */
  constructor(token: typeof constructing, callbacks: FrameCallbacks, options?: ContextOptions) {
    if (token !== constructing)
      throw new TypeError('use FrameContext.create() to create a context');
    const cb = check.object(callbacks, 'callbacks');
    for (const name of ['send', 'recv'] as const) {
      if (typeof cb[name] !== 'function') {
        throw new TypeError(`callbacks.${name} must be a function, got ${check.show(cb[name])}`);
      }
    }
    check.optionalFunction(cb.genmask, 'callbacks.genmask');
    this.#callbacks = { ...cb } as unknown as FrameCallbacks;
    const opts = options === undefined ? {} : check.object(options, 'options');
    const { name, impl } = resolveBackend(opts.backend);
    this.backend = name;
    this.#hooks = this.#makeHooks();
    this.#engine = impl.createFrameEngine();
  }

  /**
   * `wslay_frame_send`: returns the payload bytes sent (header bytes not counted), or
   * `ErrorCode.WANT_WRITE`. Call again with the rest of the data until the frame is out.
   */
  send(iocb: FrameIocb): number {
    const engine = this.#live();
    const arg = check.object(iocb, 'iocb');
    const fin = check.integerIn(arg.fin, 0, 1, 'iocb.fin');
    const rsv = check.integerIn(arg.rsv, 0, 7, 'iocb.rsv');
    const opcode = check.integerIn(arg.opcode, 0, 15, 'iocb.opcode');
    const payloadLength = check.integerIn(
      arg.payloadLength,
      0,
      Number.MAX_SAFE_INTEGER,
      'iocb.payloadLength',
    );
    const mask = check.integerIn(arg.mask, 0, 1, 'iocb.mask');
    const data = check.bytes(arg.data, 'iocb.data');
    const rc = this.#call(() =>
      engine.send(this.#hooks, fin, rsv, opcode, payloadLength, mask, data),
    );
    if (rc >= 0 || rc === ErrorCode.WANT_WRITE) return rc;
    throw new WslayError(rc, 'wslay_frame_send');
  }

  /** `wslay_frame_recv`: the next frame or piece of one, or null for `WANT_READ`. */
  recv(): FrameIocb | null {
    const engine = this.#live();
    const result = this.#call(() => engine.recv(this.#hooks));
    if (typeof result !== 'number') return result;
    if (result === ErrorCode.WANT_READ) return null;
    throw new WslayError(result, 'wslay_frame_recv');
  }

  /** `wslay_frame_context_free`. Idempotent; inside a callback it waits for the call to return. */
  free(): void {
    if (this.#engine === null || this.#freePending) return;
    if (this.#depth > 0) {
      this.#freePending = true;
    } else {
      this.#engine.free();
      this.#engine = null;
    }
  }

  [Symbol.dispose](): void {
    this.free();
  }

  #live(): FrameEngine {
    if (this.#engine === null || this.#freePending) {
      throw freedError('FrameContext');
    }
    return this.#engine;
  }

  #call<T>(fn: () => T): T {
    if (this.#depth > 0) {
      throw new Error('FrameContext methods cannot be called from inside its callbacks');
    }
    this.#depth++;
    this.#thrown = null;
    let result: T;
    try {
      result = fn();
    } finally {
      this.#depth--;
      if (this.#freePending) {
        this.#engine?.free();
        this.#engine = null;
        this.#freePending = false;
      }
    }
    const thrown = this.#thrown as { value: unknown } | null;
    this.#thrown = null;
    if (thrown !== null) throw thrown.value;
    return result;
  }

  #makeHooks(): FrameHooks {
    const guard = (fn: () => number, max: number, name: string): number => {
      if (this.#freePending) return -1;
      try {
        const n = fn();
        const error = check.ioResultError(n, max, name);
        if (error === null) return n;
        this.#thrown ??= { value: error };
      } catch (error) {
        this.#thrown ??= { value: error };
      }
      return -1;
    };
    return {
      send: (data, flags) => guard(() => this.#callbacks.send(data, flags), data.length, 'send'),
      recv: (buf, flags) => guard(() => this.#callbacks.recv(buf, flags), buf.length, 'recv'),
      genmask: (buf) =>
        guard(
          () => {
            if (this.#callbacks.genmask === undefined) {
              fillMaskKey(buf);
              return 0;
            }
            const rv = this.#callbacks.genmask(buf);
            return rv === 0 ? 0 : -1;
          },
          0,
          'genmask',
        ),
    };
  }
}
