/**
 * The last `size` bytes of a connection's inflated messages: what the peer's compressor may
 * still refer back to, and so what a new inflate stream must be primed with to read the
 * connection's next message. Appending copies the message once; the bytes slide to the
 * front of the buffer only once per `size` bytes appended, as it holds up to twice that.
 */
export class PlaintextWindow {
  readonly size: number;
  #buffer: Buffer | null = null;
  #length = 0;

  constructor(size: number) {
    this.size = size;
  }

  append(data: Uint8Array): void {
    const size = this.size;
    if (data.length >= size) {
      this.#buffer = Buffer.allocUnsafeSlow(size);
      this.#buffer.set(data.subarray(data.length - size));
      this.#length = size;
      return;
    }
    let buffer = this.#buffer;
    if (buffer === null || this.#length + data.length > buffer.length) {
      const keep = Math.min(this.#length, size - data.length);
      const needed = keep + data.length;
      if (buffer === null || buffer.length < needed) {
        const grown = Buffer.allocUnsafeSlow(Math.min(2 * size, Math.max(2 * needed, 256)));
        if (buffer !== null) buffer.copy(grown, 0, this.#length - keep, this.#length);
        buffer = this.#buffer = grown;
      } else {
        buffer.copyWithin(0, this.#length - keep, this.#length);
      }
      this.#length = keep;
    }
    buffer.set(data, this.#length);
    this.#length += data.length;
  }

  /** The window's bytes, oldest first (a view, valid until the next append). */
  bytes(): Buffer {
    const buffer = this.#buffer;
    if (buffer === null) return Buffer.alloc(0);
    return buffer.subarray(Math.max(0, this.#length - this.size), this.#length);
  }

  /** Gives back the room kept for appending: for a connection that may stay quiet a while. */
  compact(): void {
    const bytes = this.bytes();
    if (this.#buffer === null || bytes.length === this.#buffer.length) return;
    this.#buffer = Buffer.allocUnsafeSlow(bytes.length);
    bytes.copy(this.#buffer);
    this.#length = bytes.length;
  }
}
