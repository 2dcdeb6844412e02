import type { EventEngine, EventHooks } from '../../src/backends/engine.js';
import { encodeReadResult } from '../../src/backends/layout.js';
import { ErrorCode } from '../../src/constants.js';
import { fallbackBackend } from '../../src/fallback/index.js';
import { encodeFrame } from '../parity/session.js';

export const ALL_CALLBACKS = 127;

export type PeerEvent =
  | { type: 'start'; fin: number; rsv: number; opcode: number; payloadLength: number }
  | { type: 'chunk'; data: string }
  | { type: 'end' }
  | { type: 'msg'; rsv: number; opcode: number; msg: string; statusCode: number };

export const hex = (s: string): Uint8Array =>
  Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A recv/send/read hook step: at most n bytes, or -1 with WOULDBLOCK, with
 * CALLBACK_FAILURE, or with no error code set ('silent').
 */
export type IoStep = number | 'wouldblock' | 'failure' | 'silent';

/**
 * An engine of the fallback backend wired to in-memory I/O. `feed()` queues input for the
 * recv hook, `flush()` runs send() and returns what the send hook took. Callbacks are
 * recorded in `events` (payloads as hex), recv buffer sizes in `recvLengths`, send calls
 * in `sendCalls`; `recvSteps`/`sendSteps` script the next hook results.
 */
export class EnginePeer {
  readonly engine: EventEngine;
  readonly events: PeerEvent[] = [];
  readonly recvLengths: number[] = [];
  readonly sendCalls: { data: string; flags: number }[] = [];
  readonly recvSteps: IoStep[] = [];
  readonly sendSteps: IoStep[] = [];
  /** Fragmented message sources by id: what read() hands out, and how much per call. */
  readonly sources = new Map<number, { data: Uint8Array; pos: number; steps: IoStep[] }>();
  /** Runs inside on_msg_recv, as a C callback calling back into the context would. */
  onMessage: ((engine: EventEngine) => void) | null = null;
  #input: Uint8Array[] = [];
  #output: Uint8Array[] = [];
  readonly #hooks: EventHooks;

  constructor(role: 'server' | 'client', callbacks = ALL_CALLBACKS) {
    const engine = fallbackBackend.createEventEngine(role === 'server', callbacks);
    this.engine = engine;
    const io = (steps: IoStep[], limit: number): number => {
      const step = steps.shift() ?? limit;
      if (step === 'silent') return -1;
      if (step === 'wouldblock' || step === 'failure') {
        engine.setError(step === 'wouldblock' ? ErrorCode.WOULDBLOCK : ErrorCode.CALLBACK_FAILURE);
        return -1;
      }
      return Math.min(step, limit);
    };
    this.#hooks = {
      recv: (buf) => {
        this.recvLengths.push(buf.length);
        const available = this.#input.reduce((sum, c) => sum + c.length, 0);
        const n = io(this.recvSteps, Math.min(buf.length, available));
        if (n === 0) {
          engine.setError(ErrorCode.WOULDBLOCK);
          return -1;
        }
        if (n < 0) return n;
        let filled = 0;
        while (filled < n) {
          const chunk = this.#input[0]!;
          const take = Math.min(chunk.length, n - filled);
          buf.set(chunk.subarray(0, take), filled);
          filled += take;
          if (take === chunk.length) this.#input.shift();
          else this.#input[0] = chunk.subarray(take);
        }
        return n;
      },
      send: (data, flags) => {
        const n = io(this.sendSteps, data.length);
        this.sendCalls.push({ data: toHex(data), flags });
        if (n > 0) this.#output.push(data.slice(0, n));
        return n;
      },
      genmask: (buf) => {
        buf.set([0x37, 0xfa, 0x21, 0x3d]);
        return 0;
      },
      read: (source, buf) => {
        const src = this.sources.get(source)!;
        const n = io(src.steps, Math.min(buf.length, src.data.length - src.pos));
        if (n < 0) return n;
        buf.set(src.data.subarray(src.pos, src.pos + n));
        src.pos += n;
        return encodeReadResult(n, src.pos === src.data.length);
      },
      onFrameRecvStart: (fin, rsv, opcode, payloadLength) =>
        this.events.push({ type: 'start', fin, rsv, opcode, payloadLength }),
      onFrameRecvChunk: (data) => this.events.push({ type: 'chunk', data: toHex(data) }),
      onFrameRecvEnd: () => this.events.push({ type: 'end' }),
      onMsgRecv: (rsv, opcode, msg, statusCode) => {
        this.events.push({ type: 'msg', rsv, opcode, msg: toHex(msg), statusCode });
        this.onMessage?.(engine);
      },
    };
  }

  feed(bytes: Uint8Array | string): this {
    this.#input.push(typeof bytes === 'string' ? hex(bytes) : bytes);
    return this;
  }

  recv(): number {
    return this.engine.recv(this.#hooks);
  }

  send(): number {
    return this.engine.send(this.#hooks);
  }

  /** Runs send() once and returns the bytes the send hook took, as hex. */
  flush(): string {
    this.send();
    return this.takeOutput();
  }

  takeOutput(): string {
    const out = toHex(Buffer.concat(this.#output));
    this.#output = [];
    return out;
  }

  /** The messages received so far, as [opcode, hex payload, status code]. */
  messages(): [number, string, number][] {
    return this.events.flatMap((e) => (e.type === 'msg' ? [[e.opcode, e.msg, e.statusCode]] : []));
  }
}

/** A frame as a peer would send it: masked with RFC 6455's example key when `masked`. */
export function frame(
  fin: number,
  opcode: number,
  payload: Uint8Array | string,
  masked: boolean,
  rsv = 0,
): Uint8Array {
  return encodeFrame({
    fin,
    rsv,
    opcode,
    mask: masked ? [0x37, 0xfa, 0x21, 0x3d] : null,
    len: 'min',
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
  });
}
