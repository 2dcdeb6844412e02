import type { FrameEngine, FrameHooks, FrameIocb } from '../backends/engine.js';
import { FrameReceiver } from './frame-receiver.js';
import { FrameSender } from './frame-sender.js';

/** The frame API (`wslay_frame_context`): one sender and one receiver over caller hooks. */
export class FallbackFrameEngine implements FrameEngine {
  readonly #sender = new FrameSender();
  readonly #receiver = new FrameReceiver();

  send(
    hooks: FrameHooks,
    fin: number,
    rsv: number,
    opcode: number,
    payloadLength: number,
    mask: number,
    data: Uint8Array,
  ): number {
    return this.#sender.send(hooks, fin, rsv, opcode, payloadLength, mask, data);
  }

  recv(hooks: FrameHooks): FrameIocb | number {
    const rx = this.#receiver;
    const r = rx.recv(hooks);
    if (r < 0) return r;
    return {
      fin: rx.fin,
      rsv: rx.rsv,
      opcode: rx.opcode,
      payloadLength: rx.payloadLength,
      mask: rx.masked ? 1 : 0,
      data: rx.buf.slice(rx.chunkStart, rx.chunkEnd),
    };
  }

  free(): void {}
}
