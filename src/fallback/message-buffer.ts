import { Buffer, constants } from 'node:buffer';
import { totalmem } from 'node:os';
import { EMPTY_BYTES } from '../empty.js';

/**
 * The longest message this process can buffer. wslay allocates each frame's announced
 * length when the frame starts and fails with NOMEM when malloc refuses, which on Linux
 * means more than the machine's memory; a typed array also has a size limit.
 */
export const MAX_BUFFERED_LENGTH = Math.min(constants.MAX_LENGTH, totalmem());

/** Up to this many announced but unreceived bytes are reserved ahead of their arrival. */
const TRUSTED_RESERVE = 16 * 1024 * 1024;
/** A buffer grown past this is dropped after its message so idle contexts stay small. */
const RETAINED_CAPACITY = 64 * 1024;

/**
 * Collects the payload of an incoming message. Capacity follows the announced frame
 * lengths so a message is copied once; the storage is reused across messages.
 */
export class MessageBuffer {
  #buf: Uint8Array = EMPTY_BYTES;
  #length = 0;

  /**
   * Appends `src[start, end)`, `frameRemaining` more bytes of the frame being announced.
   * False when memory for it cannot be had.
   */
  append(src: Uint8Array, start: number, end: number, frameRemaining: number): boolean {
    const needed = this.#length + (end - start);
    if (needed > this.#buf.length) {
      const wanted = Math.max(
        needed + Math.min(frameRemaining, TRUSTED_RESERVE),
        this.#buf.length * 2,
      );
      if (!this.#grow(Math.max(needed, Math.min(wanted, MAX_BUFFERED_LENGTH)))) return false;
    }
    this.#buf.set(src.subarray(start, end), this.#length);
    this.#length = needed;
    return true;
  }

  /** The message so far; valid until the next `clear` or `append`. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }

  /**
   * The message, when it fills the storage exactly (as a message of one frame does): handed
   * over, the storage forgotten, so that the caller may keep it without a copy. Else null.
   */
  takeWhole(): Uint8Array | null {
    const buf = this.#buf;
    if (this.#length !== buf.length || buf.length === 0) return null;
    this.#buf = EMPTY_BYTES;
    this.#length = 0;
    return buf;
  }

  get size(): number {
    return this.#length;
  }

  clear(): void {
    this.#length = 0;
    if (this.#buf.length > RETAINED_CAPACITY) this.#buf = EMPTY_BYTES;
  }

  #grow(capacity: number): boolean {
    let next: Uint8Array;
    try {
      // Uninitialised: only bytes already written are ever exposed through view().
      next = Buffer.allocUnsafeSlow(capacity);
    } catch {
      return false;
    }
    next.set(this.#buf.subarray(0, this.#length));
    this.#buf = next;
    return true;
  }
}
