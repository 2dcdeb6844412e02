/**
 * The load generator, in a process of its own, the same for every server: raw sockets,
 * frames built once up front (masked, as a client must), echoes checked by their first
 * byte and counted by length, no WebSocket library on this side. It does much less work
 * per message than any server under test.
 *
 * Requests:
 * - `{ op: 'open', port, proto, connections, inflight, size }`: connects, completes the
 *   handshakes, and keeps `inflight` messages outstanding on every connection (sending one
 *   more for each echo) until `close`;
 * - `{ op: 'mark' }`: what happened since the previous mark (messages, latencies, CPU);
 * - `{ op: 'close' }`;
 * - `{ op: 'idle', port, proto, count }`: opens `count` connections that send nothing (for
 *   the memory benchmark).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import { OPCODE_BINARY, headerLength, maskedFrame, payload } from '../lib/frames.js';
import { connectMany, connectWebSocket } from '../lib/raw-client.js';
import { LatencyHistogram } from '../lib/stats.js';

export type Proto = 'ws' | 'raw';

export interface MarkResult {
  msgs: number;
  elapsedMs: number;
  cpuUs: number;
  latency: { counts: number[]; total: number };
}

/** Connects and, for WebSocket, completes the opening handshake. */
function connect(port: number, proto: Proto): Promise<net.Socket> {
  if (proto === 'ws') return connectWebSocket(port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

class Load {
  readonly #sockets: net.Socket[] = [];
  #msgs = 0;
  #markTime = performance.now();
  #markCpu = process.cpuUsage();
  #failure: Error | null = null;
  #histogram = new LatencyHistogram();

  async open(
    port: number,
    proto: Proto,
    connections: number,
    inflight: number,
    size: number,
  ): Promise<void> {
    const data = payload('binary', size);
    const frame =
      proto === 'ws'
        ? maskedFrame(OPCODE_BINARY, data)
        : Buffer.concat([
            Buffer.from([size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff]),
            data,
          ]);
    const batch = Buffer.concat(Array.from({ length: inflight }, () => frame));
    const echoLength = proto === 'ws' ? headerLength(size, false) + size : 4 + size;
    const firstByte = proto === 'ws' ? 0x80 | OPCODE_BINARY : size >>> 24;
    const starts: (() => void)[] = [];
    const sockets = await connectMany(connections, 64, () => connect(port, proto));
    for (const socket of sockets) {
      this.#sockets.push(socket);
      const sent = new Float64Array(inflight);
      let head = 0;
      let pos = 0;
      socket.on('data', (chunk: Buffer) => {
        let done = 0;
        let i = 0;
        while (i < chunk.length) {
          if (pos === 0 && chunk[i] !== firstByte) {
            this.#failure ??= new Error(`unexpected echo byte 0x${chunk[i]!.toString(16)}`);
            socket.destroy();
            return;
          }
          const take = Math.min(echoLength - pos, chunk.length - i);
          i += take;
          pos += take;
          if (pos === echoLength) {
            pos = 0;
            done++;
          }
        }
        if (done === 0) return;
        const now = performance.now();
        for (let k = 0; k < done; k++) {
          this.#histogram.record((now - sent[head]!) * 1000);
          sent[head] = now;
          head = head + 1 === inflight ? 0 : head + 1;
        }
        this.#msgs += done;
        // One write for all the replacements (head was advanced past them: same slots).
        socket.write(done === inflight ? batch : batch.subarray(0, done * frame.length));
      });
      socket.on('error', (error) => {
        this.#failure ??= error;
      });
      starts.push(() => {
        sent.fill(performance.now());
        socket.write(batch);
      });
    }
    this.mark();
    for (const start of starts) start();
  }

  mark(): MarkResult {
    if (this.#failure) throw this.#failure;
    const now = performance.now();
    const cpu = process.cpuUsage(this.#markCpu);
    const result: MarkResult = {
      msgs: this.#msgs,
      elapsedMs: now - this.#markTime,
      cpuUs: cpu.user + cpu.system,
      latency: { counts: this.#histogram.counts, total: this.#histogram.total },
    };
    this.#msgs = 0;
    this.#histogram = new LatencyHistogram();
    this.#markTime = now;
    this.#markCpu = process.cpuUsage();
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) {
              resolve();
              return;
            }
            s.once('close', () => resolve());
            s.destroy();
          }),
      ),
    );
    this.#sockets.length = 0;
  }
}

let load: Load | null = null;
const idle: net.Socket[] = [];

serve(async (body) => {
  switch (body.op) {
    case 'open':
      if (load) await load.close();
      load = new Load();
      await load.open(
        body.port as number,
        body.proto as Proto,
        body.connections as number,
        body.inflight as number,
        body.size as number,
      );
      return null;
    case 'mark':
      if (!load) throw new Error('no load running');
      return load.mark();
    case 'close':
      await load?.close();
      load = null;
      return null;
    case 'idle':
      idle.push(
        ...(await connectMany(body.count as number, 100, () =>
          connect(body.port as number, body.proto as Proto),
        )),
      );
      for (const s of idle) s.on('error', () => {});
      return { open: idle.length };
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
