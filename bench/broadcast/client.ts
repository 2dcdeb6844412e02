/**
 * The receiving side of the broadcast benchmark, in a process of its own (the suite starts
 * several, so that reading is not what limits delivery): raw sockets that complete the
 * opening handshake, then only read, counting bytes. No WebSocket library on this side.
 *
 * Requests:
 * - `{ op: 'open', port, count }`: opens `count` idle connections;
 * - `{ op: 'expect', bytes }`: from now on, counts what each connection receives;
 * - `{ op: 'received' }`: resolves once each has `bytes`, with the time (epoch ms) the last
 *   one did and the CPU time this process spent from `expect` to then;
 * - `{ op: 'close' }`: closes every connection.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import { connectMany, connectWebSocket } from '../lib/raw-client.js';

let sockets: net.Socket[] = [];
const receivedBytes = new WeakMap<net.Socket, number>();
let expecting: {
  bytes: number;
  missing: number;
  cpu: NodeJS.CpuUsage;
  doneAt: number;
  cpuMs: number;
  done: () => void;
} | null = null;
let received: Promise<void> = Promise.resolve();

function count(this: net.Socket, chunk: Buffer): void {
  const e = expecting;
  if (e === null) return;
  const before = receivedBytes.get(this) ?? 0;
  const after = before + chunk.length;
  receivedBytes.set(this, after);
  if (before < e.bytes && after >= e.bytes && --e.missing === 0) {
    e.doneAt = performance.timeOrigin + performance.now();
    const cpu = process.cpuUsage(e.cpu);
    e.cpuMs = (cpu.user + cpu.system) / 1000;
    e.done();
  }
}

async function open(port: number, total: number): Promise<number> {
  const opened = await connectMany(total, 100, () => connectWebSocket(port));
  for (const socket of opened) {
    socket.on('error', () => {});
    socket.on('data', count);
    sockets.push(socket);
  }
  return sockets.length;
}

const gc = (globalThis as { gc?: () => void }).gc;

serve(async (body) => {
  switch (body.op) {
    case 'open':
      return { open: await open(body.port as number, body.count as number) };
    case 'expect': {
      // Garbage of the previous round is not collected during this one.
      gc?.();
      for (const s of sockets) receivedBytes.set(s, 0);
      let done = () => {};
      received = new Promise<void>((resolve) => (done = resolve));
      expecting = {
        bytes: body.bytes as number,
        missing: sockets.length,
        cpu: process.cpuUsage(),
        doneAt: 0,
        cpuMs: 0,
        done,
      };
      if (sockets.length === 0) done();
      return null;
    }
    case 'received':
      await received;
      return { doneAt: expecting!.doneAt, cpuMs: expecting!.cpuMs };
    case 'close':
      for (const s of sockets) s.destroy();
      sockets = [];
      return null;
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
