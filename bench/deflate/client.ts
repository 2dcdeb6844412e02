/**
 * The load generator of the permessage-deflate benchmarks, the same for every server: raw
 * sockets that offer permessage-deflate and send one message compressed once up front (a
 * fresh deflate stream refers to nothing before it, so the same bytes are valid on a
 * connection with context takeover too). Replies are compressed by the server; they are
 * counted by their frame headers, never inflated, so nearly all the zlib work measured is
 * the server's: inflating each message and deflating its echo.
 *
 * Requests:
 * - `{ op: 'open', port, connections, message }`: one message in flight per connection,
 *   a new one for each echo, until `close`; `{ op: 'mark' }` counts echoes since the last;
 * - `{ op: 'warm', port, count, message }`: `count` connections that each send one message,
 *   wait for its echo and stay open; `{ op: 'closeAll' }` ends them;
 * - `{ op: 'soak', port, connections, total, message }`: `total` messages across
 *   `connections`, one in flight on each; answers once all have been echoed.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { constants, deflateRawSync } from 'node:zlib';
import { serve } from '../lib/child.js';
import { maskedFrame, OPCODE_TEXT } from '../lib/frames.js';
import { connectMany, connectWebSocket } from '../lib/raw-client.js';

export type DeflateMessage = 'json' | 'text';

/** 1 KiB of JSON, or 16 KiB of English-like text: what the targets name. */
export function message(kind: DeflateMessage): Buffer {
  if (kind === 'json') {
    const items = Array.from({ length: 40 }, (_, i) => ({
      id: i,
      name: `user${i}`,
      on: i % 3 === 0,
    }));
    return Buffer.from(JSON.stringify({ type: 'update', items }).slice(0, 1024));
  }
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'and', 'runs'];
  const out: string[] = [];
  let length = 0;
  for (let i = 0; length < 16384; i++) {
    const word = words[(i * 7 + (i >> 3)) % words.length]!;
    out.push(word);
    length += word.length + 1;
  }
  return Buffer.from(out.join(' ').slice(0, 16384));
}

/** The masked, compressed (RSV1) frame every connection sends. */
function compressedFrame(kind: DeflateMessage): Buffer {
  const deflated = deflateRawSync(message(kind), { finishFlush: constants.Z_SYNC_FLUSH });
  const frame = maskedFrame(OPCODE_TEXT, deflated.subarray(0, deflated.length - 4));
  frame[0]! |= 0x40;
  return frame;
}

/** `count` connections that negotiated permessage-deflate. */
async function openMany(port: number, count: number): Promise<net.Socket[]> {
  const sockets = await connectMany(count, 64, () =>
    connectWebSocket(port, 'permessage-deflate; client_max_window_bits'),
  );
  for (const socket of sockets) socket.on('error', () => {});
  return sockets;
}

/** Counts the whole frames in a socket's byte stream, whatever their sizes. */
class FrameCounter {
  #header = Buffer.alloc(10);
  #headerLength = 0;
  #payloadLeft = 0;

  /** How many frames ended in `chunk`. */
  count(chunk: Buffer): number {
    let frames = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.#payloadLeft > 0) {
        const n = Math.min(this.#payloadLeft, chunk.length - at);
        at += n;
        this.#payloadLeft -= n;
        if (this.#payloadLeft === 0) frames++;
        continue;
      }
      this.#header[this.#headerLength++] = chunk[at++]!;
      if (this.#headerLength < 2) continue;
      const length7 = this.#header[1]! & 0x7f;
      const needed = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
      if (this.#headerLength < needed) continue;
      this.#payloadLeft =
        length7 < 126
          ? length7
          : length7 === 126
            ? this.#header.readUInt16BE(2)
            : Number(this.#header.readBigUInt64BE(2));
      this.#headerLength = 0;
      if (this.#payloadLeft === 0) frames++;
    }
    return frames;
  }
}

/** Keeps one message in flight on each socket; `onEcho` may stop a socket by returning false. */
function drive(sockets: net.Socket[], frame: Buffer, onEcho: () => boolean): void {
  for (const socket of sockets) {
    const counter = new FrameCounter();
    socket.on('data', (chunk: Buffer) => {
      for (let n = counter.count(chunk); n > 0; n--) if (onEcho()) socket.write(frame);
    });
    socket.write(frame);
  }
}

let sockets: net.Socket[] = [];
let echoes = 0;
let markTime = performance.now();
let running = false;

function closeAll(): void {
  running = false;
  for (const socket of sockets) socket.destroy();
  sockets = [];
}

serve(async (body) => {
  const kind = body.message as DeflateMessage;
  switch (body.op) {
    case 'open': {
      closeAll();
      sockets = await openMany(body.port as number, body.connections as number);
      running = true;
      echoes = 0;
      markTime = performance.now();
      drive(sockets, compressedFrame(kind), () => {
        echoes++;
        return running;
      });
      return null;
    }
    case 'mark': {
      const now = performance.now();
      const result = { msgs: echoes, elapsedMs: now - markTime };
      echoes = 0;
      markTime = now;
      return result;
    }
    case 'warm': {
      const opened = await openMany(body.port as number, body.count as number);
      sockets.push(...opened);
      let left = opened.length;
      await new Promise<void>((resolve) =>
        drive(opened, compressedFrame(kind), () => {
          if (--left === 0) resolve();
          return false;
        }),
      );
      return { open: sockets.length };
    }
    case 'soak': {
      closeAll();
      sockets = await openMany(body.port as number, body.connections as number);
      const total = body.total as number;
      let sent = sockets.length;
      let done = 0;
      const started = performance.now();
      await new Promise<void>((resolve) =>
        drive(sockets, compressedFrame(kind), () => {
          if (++done === total) resolve();
          if (sent >= total) return false;
          sent++;
          return true;
        }),
      );
      return { msgs: done, elapsedMs: performance.now() - started };
    }
    case 'closeAll':
      closeAll();
      return null;
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
