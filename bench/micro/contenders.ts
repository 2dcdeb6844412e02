/**
 * The in-process contenders: each builds, for one case, a `pass()` that parses (or frames)
 * a fixed batch of messages and returns how many it handled.
 *
 * - `native`, `fallback`: this package's `EventContext` on that backend through wslay's
 *   callbacks, driven the way a socket layer would (parsing: one `recv()` per 64 KiB socket
 *   read, the recv callback copying from it, `onMsgRecv` per message; framing: `queueMsg()`
 *   then `send()` per message, the send callback copying the bytes out as a socket layer
 *   must, since the view is valid during the call only).
 * - `native-batch`, `fallback-batch`: the same contexts through the batch paths the
 *   WebSocket layer uses: `recvFrom(read, onMessage)` per socket read, and `queueMsg()` then
 *   `sendAll()` (one Buffer the caller owns) per message.
 * - `ws`, `ws-nobu`: `ws`'s `Receiver` fed the same 64 KiB reads through `write()`, and its
 *   `Sender` writing to a fake socket. `ws-nobu` is the same code in a process started with
 *   `WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1`.
 *
 * Every contender validates text messages as UTF-8 itself (wslay 1.1.1 runs a byte-at-a-time
 * DFA over text payloads, the fallback calls `buffer.isUtf8` and finishes split sequences
 * with a DFA, `ws` calls `buffer.isUtf8`), so the consumers below only count.
 */
import type * as Wslay from '../../src/index.js';
import {
  MASK_KEY,
  OPCODE_BINARY,
  OPCODE_TEXT,
  chunkedStream,
  headerLength,
  maskedFrame,
  payload,
  type PayloadKind,
} from '../lib/frames.js';

export type Contender =
  'native' | 'native-batch' | 'fallback' | 'fallback-batch' | 'ws' | 'ws-nobu';
export type MicroBench = 'parse' | 'frame';

export interface MicroCase {
  bench: MicroBench;
  size: number;
  kind: PayloadKind;
}

export interface Runner {
  /** Handles one batch; returns the number of messages. */
  pass(): number;
  /** Payload bytes per message. */
  readonly size: number;
}

/** A socket read: what `net.Socket` hands to 'data' listeners at most. */
export const SOCKET_READ = 64 * 1024;
/** Bytes of payload per pass (at least two messages): a few milliseconds of work. */
const PASS_BYTES = 512 * 1024;

function messagesPerPass(size: number): number {
  return Math.max(2, Math.ceil(PASS_BYTES / size));
}

let wslayModule: typeof Wslay | undefined;
function wslay(): typeof Wslay {
  // Loaded on first use: the `ws` processes never load this package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  wslayModule ??= require('../../src/index.js') as typeof Wslay;
  return wslayModule;
}

let wsModule: typeof import('ws') | undefined;
function ws(): typeof import('ws') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, too
  wsModule ??= require('ws') as typeof import('ws');
  return wsModule;
}

export function makeRunner(contender: Contender, c: MicroCase): Runner {
  const parse = c.bench === 'parse';
  switch (contender) {
    case 'native':
    case 'fallback':
      return parse
        ? wslayParser(contender, c.size, c.kind)
        : wslayFramer(contender, c.size, c.kind);
    case 'native-batch':
    case 'fallback-batch': {
      const backend = contender === 'native-batch' ? 'native' : 'fallback';
      return parse
        ? wslayBatchParser(backend, c.size, c.kind)
        : wslayBatchFramer(backend, c.size, c.kind);
    }
    default:
      return parse ? wsParser(c.size, c.kind) : wsFramer(c.size, c.kind);
  }
}

function parseInput(size: number, kind: PayloadKind): { chunks: Buffer[]; count: number } {
  const opcode = kind === 'text' ? OPCODE_TEXT : OPCODE_BINARY;
  const frame = maskedFrame(opcode, payload(kind, size), MASK_KEY);
  const count = messagesPerPass(size);
  return { chunks: chunkedStream(frame, count, SOCKET_READ), count };
}

function wslayParser(backend: 'native' | 'fallback', size: number, kind: PayloadKind): Runner {
  const { EventContext, ErrorCode } = wslay();
  const { chunks } = parseInput(size, kind);
  let chunk: Uint8Array = new Uint8Array(0);
  let offset = 0;
  let msgs = 0;
  const ctx = EventContext.server(
    {
      recv(c, buf) {
        const n = Math.min(buf.length, chunk.length - offset);
        if (n === 0) {
          c.setError(ErrorCode.WOULDBLOCK);
          return -1;
        }
        buf.set(n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
        offset += n;
        return n;
      },
      onMsgRecv(_c, arg) {
        if (arg.msg.length !== size)
          throw new Error(`got ${arg.msg.length} bytes, expected ${size}`);
        msgs++;
      },
    },
    { backend },
  );
  return {
    size,
    pass() {
      msgs = 0;
      for (const c of chunks) {
        chunk = c;
        offset = 0;
        ctx.recv();
      }
      return msgs;
    },
  };
}

function wslayBatchParser(backend: 'native' | 'fallback', size: number, kind: PayloadKind): Runner {
  const { EventContext } = wslay();
  const { chunks } = parseInput(size, kind);
  let msgs = 0;
  const ctx = EventContext.server({}, { backend });
  const onMessage = (_opcode: number, msg: Buffer) => {
    if (msg.length !== size) throw new Error(`got ${msg.length} bytes, expected ${size}`);
    msgs++;
  };
  return {
    size,
    pass() {
      msgs = 0;
      for (const c of chunks) ctx.recvFrom(c, onMessage);
      return msgs;
    },
  };
}

function wsParser(size: number, kind: PayloadKind): Runner {
  const { Receiver } = ws() as unknown as {
    Receiver: new (o: object) => import('node:stream').Writable;
  };
  const { chunks } = parseInput(size, kind);
  let msgs = 0;
  const receiver = new Receiver({ isServer: true, binaryType: 'nodebuffer', maxPayload: 0 });
  receiver.on('message', (data: Buffer) => {
    if (data.length !== size) throw new Error(`got ${data.length} bytes, expected ${size}`);
    msgs++;
  });
  receiver.on('error', (error) => {
    throw error;
  });
  return {
    size,
    pass() {
      msgs = 0;
      for (const c of chunks) receiver.write(c);
      return msgs;
    },
  };
}

function frameInput(size: number, kind: PayloadKind): string | Buffer {
  // Text goes in as a JS string (what applications send), binary as a Buffer.
  return kind === 'text' ? payload('text', size).toString('latin1') : payload('binary', size);
}

function wslayFramer(backend: 'native' | 'fallback', size: number, kind: PayloadKind): Runner {
  const { EventContext } = wslay();
  const data = frameInput(size, kind);
  const opcode = kind === 'text' ? OPCODE_TEXT : OPCODE_BINARY;
  const count = messagesPerPass(size);
  const expected = count * (size + headerLength(size, false));
  // The send callback's view is valid during the call only: a socket layer copies it out.
  let staging = Buffer.allocUnsafe(SOCKET_READ);
  let bytes = 0;
  const ctx = EventContext.server(
    {
      send(_c, view) {
        if (view.length > staging.length) staging = Buffer.allocUnsafe(view.length);
        staging.set(view);
        bytes += view.length;
        return view.length;
      },
    },
    { backend },
  );
  const msg = { opcode, msg: data };
  return {
    size,
    pass() {
      bytes = 0;
      for (let i = 0; i < count; i++) {
        ctx.queueMsg(msg);
        ctx.send();
      }
      if (bytes !== expected) throw new Error(`sent ${bytes} bytes, expected ${expected}`);
      return count;
    },
  };
}

function wslayBatchFramer(backend: 'native' | 'fallback', size: number, kind: PayloadKind): Runner {
  const { EventContext } = wslay();
  const data = frameInput(size, kind);
  const count = messagesPerPass(size);
  const expected = count * (size + headerLength(size, false));
  const ctx = EventContext.server({}, { backend });
  const msg = { opcode: kind === 'text' ? OPCODE_TEXT : OPCODE_BINARY, msg: data };
  return {
    size,
    pass() {
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        ctx.queueMsg(msg);
        // The Buffer is the caller's: it goes to the socket as it is.
        bytes += ctx.sendAll().length;
      }
      if (bytes !== expected) throw new Error(`sent ${bytes} bytes, expected ${expected}`);
      return count;
    },
  };
}

function wsFramer(size: number, kind: PayloadKind): Runner {
  const { Sender } = ws() as unknown as {
    Sender: new (socket: object) => { send(d: unknown, o: object, cb?: () => void): void };
  };
  const data = frameInput(size, kind);
  const count = messagesPerPass(size);
  const expected = count * (size + headerLength(size, false));
  let bytes = 0;
  // A Buffer goes to the kernel as it is; a string must be encoded first, as net.Socket does.
  let staging = Buffer.allocUnsafe(SOCKET_READ);
  const socket = {
    destroyed: false,
    cork() {},
    uncork() {},
    write(buf: Uint8Array | string, cb?: () => void) {
      if (typeof buf === 'string') {
        const length = Buffer.byteLength(buf);
        if (length > staging.length) staging = Buffer.allocUnsafe(length);
        bytes += staging.write(buf, 0, 'utf8');
      } else {
        bytes += buf.length;
      }
      if (cb) cb();
      return true;
    },
  };
  const sender = new Sender(socket);
  const options = { binary: kind === 'binary', fin: true, compress: false, mask: false };
  return {
    size,
    pass() {
      bytes = 0;
      for (let i = 0; i < count; i++) sender.send(data, options);
      if (bytes !== expected) throw new Error(`sent ${bytes} bytes, expected ${expected}`);
      return count;
    },
  };
}

/** What `ws` uses for masking in this process: the native bufferutil, its JS fallback, or neither. */
export function wsBufferutil(): 'native' | 'js-fallback' | 'none' {
  ws();
  const loaded = Object.keys(require.cache).filter((p) => /[\\/]bufferutil[\\/]/.test(p));
  if (loaded.some((p) => p.endsWith('.node'))) return 'native';
  return loaded.some((p) => p.endsWith('fallback.js')) ? 'js-fallback' : 'none';
}
