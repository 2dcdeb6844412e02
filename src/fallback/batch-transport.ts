import { Buffer } from 'node:buffer';
import type { EventHooks } from '../backends/engine.js';
import { RecvEntry, RecvHeader, SendMeta, packMessageWord } from '../backends/layout.js';
import { ErrorCode } from '../constants.js';
import { EMPTY_BYTES } from '../empty.js';

/** Bytes written into the caller's buffer while it has room, then into a spill buffer. */
class ByteSink {
  used = 0;
  #base: Uint8Array = EMPTY_BYTES;
  #spill: Uint8Array | null = null;
  /** The least a spill buffer starts at: room for what is likely to come. */
  #firstSpill = 0;

  reset(out: Uint8Array, firstSpill = 0): void {
    this.#base = out;
    this.#spill = null;
    this.#firstSpill = firstSpill;
    this.used = 0;
  }

  append(src: Uint8Array): void {
    const end = this.used + src.length;
    if (this.#spill === null && end <= this.#base.length) {
      this.#base.set(src, this.used);
    } else {
      const current = this.#spill ?? this.#base;
      if (this.#spill === null || end > this.#spill.length) {
        const grown = Buffer.allocUnsafe(Math.max(end, current.length * 2, this.#firstSpill, 256));
        grown.set(current.subarray(0, this.used));
        this.#spill = grown;
      }
      this.#spill.set(src, this.used);
    }
    this.used = end;
  }

  /**
   * Takes `src` as the bytes written so far, without a copy, when nothing is written yet;
   * false otherwise. A later append copies it into a larger spill buffer.
   */
  adopt(src: Uint8Array): boolean {
    if (this.used !== 0) return false;
    this.#spill = src;
    this.used = src.length;
    return true;
  }

  /** Everything written, when it did not fit the caller's buffer; else null. */
  spilled(): Uint8Array | null {
    return this.#spill === null ? null : this.#spill.subarray(0, this.used);
  }

  release(): void {
    this.#base = EMPTY_BYTES;
    this.#spill = null;
  }
}

/**
 * The transport of the batch paths (`EventEngine.recvFrom`/`sendAll`): the recv side reads
 * one chunk held in memory, messages and sent bytes are written into buffers the caller
 * owns, in the layout the native addon uses. genmask and fragmented reads go to the
 * caller's hooks.
 */
export class BatchTransport implements EventHooks {
  readonly #engine: { setError(code: number): void };
  readonly #bytes = new ByteSink();
  /** A RecvEntry per message. */
  readonly #entries: number[] = [];
  #feed: Uint8Array = EMPTY_BYTES;
  #consumed = 0;
  #out: Uint8Array = EMPTY_BYTES;
  #hooks: EventHooks | null = null;

  constructor(engine: { setError(code: number): void }) {
    this.#engine = engine;
  }

  /** An empty `out` is allocated when a message is first copied, as long as `data`. */
  startRecv(data: Uint8Array, out: Uint8Array): void {
    this.#feed = data;
    this.#consumed = 0;
    this.#entries.length = 0;
    this.#out = out;
    this.#bytes.reset(out, data.length);
  }

  /** Writes the RecvHeader and the entries. */
  finishRecv(rc: number, meta: Uint32Array): [Uint32Array, Uint8Array] | null {
    const entries = this.#entries;
    const bytes = this.#bytes;
    const payload = bytes.spilled();
    const words = RecvHeader.WORDS + entries.length;
    const table = words <= meta.length ? meta : new Uint32Array(words);
    table[RecvHeader.RC] = rc >>> 0;
    table[RecvHeader.CONSUMED] = this.#consumed;
    table[RecvHeader.MESSAGE_COUNT] = entries.length / RecvEntry.WORDS;
    table[RecvHeader.PAYLOAD_LENGTH] = bytes.used;
    table.set(entries, RecvHeader.WORDS);
    const out = this.#out;
    this.#feed = EMPTY_BYTES;
    this.#out = EMPTY_BYTES;
    bytes.release();
    if (table === meta && payload === null) return null;
    return [table, payload ?? out];
  }

  startSend(hooks: EventHooks, out: Uint8Array): void {
    this.#hooks = hooks;
    this.#bytes.reset(out);
  }

  /** Writes the SendMeta; returns every byte when they did not fit `out`. */
  finishSend(rc: number, meta: Uint32Array): Uint8Array | null {
    meta[SendMeta.RC] = rc >>> 0;
    meta[SendMeta.LENGTH] = this.#bytes.used;
    const spilled = this.#bytes.spilled();
    this.#bytes.release();
    this.#hooks = null;
    return spilled;
  }

  recv(buf: Uint8Array): number {
    const left = this.#feed.length - this.#consumed;
    if (left === 0) {
      this.#engine.setError(ErrorCode.WOULDBLOCK);
      return -1;
    }
    const n = Math.min(left, buf.length);
    buf.set(this.#feed.subarray(this.#consumed, this.#consumed + n));
    this.#consumed += n;
    return n;
  }

  take(max: number, block: number): Uint8Array | null {
    const left = this.#feed.length - this.#consumed;
    const n = Math.min(left, max) - (Math.min(left, max) % block);
    if (n === 0) return null;
    const start = this.#consumed;
    this.#consumed += n;
    return this.#feed.subarray(start, start + n);
  }

  send(data: Uint8Array): number {
    this.#bytes.append(data);
    return data.length;
  }

  genmask(buf: Uint8Array): number {
    return this.#hooks === null ? -1 : this.#hooks.genmask(buf);
  }

  read(source: number, buf: Uint8Array): number {
    return this.#hooks === null ? -1 : this.#hooks.read(source, buf);
  }

  onMsgRecv(rsv: number, opcode: number, msg: Uint8Array, statusCode: number): void {
    // In RecvEntry order: MESSAGE, OFFSET, LENGTH.
    this.#entries.push(packMessageWord(opcode, rsv, statusCode), this.#bytes.used, msg.length);
    this.#bytes.append(msg);
  }

  /**
   * A data message whose storage the engine hands over: kept as it is when it comes first
   * in this call's output. Returns whether it was kept (else it was copied).
   */
  onMsgOwned(rsv: number, opcode: number, msg: Uint8Array): boolean {
    const bytes = this.#bytes;
    this.#entries.push(packMessageWord(opcode, rsv, 0), bytes.used, msg.length);
    if (bytes.adopt(msg)) return true;
    bytes.append(msg);
    return false;
  }

  // The frame callbacks are off on the batch paths.
  onFrameRecvStart(): void {}
  onFrameRecvChunk(): void {}
  onFrameRecvEnd(): void {}
}
