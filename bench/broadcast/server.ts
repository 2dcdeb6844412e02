/**
 * A server for the broadcast benchmark, in a process of its own: `ws`, or this package's
 * WebSocketServer on either backend. Every connection is idle until the benchmark sends one
 * message to all of them, in one of three ways:
 *
 * - `forEach`: `wss.clients.forEach((ws) => ws.send(data))`, the loop `ws` users write;
 * - `broadcast`: `wss.broadcast(data)` (this package only);
 * - `publish`: `wss.publish('all', data)`, every connection subscribed to 'all' (ditto);
 * - `raw` (`ws` only): the frame, encoded once, written straight to each connection's socket
 *   (`ws._socket.write(frame)`): no WebSocket layer at all, the floor for any Node server.
 *
 * Requests: `{ op: 'start' }` → `{ port }`; `{ op: 'send', mode, size }` → when the call began
 * (epoch ms) and how long it took; `{ op: 'written' }` → ms from the start of that call until
 * every connection's `bufferedAmount` was 0 (all of it handed to the kernel), and the CPU
 * time (user, system) this process spent until then;
 * `{ op: 'connections' }`; `{ op: 'memory' }` → RSS once memory settled (`lib/settle.ts`).
 */
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import { settleMemory } from '../lib/settle.js';
import { OPCODE_BINARY, payload, unmaskedFrame } from '../lib/frames.js';

export type BroadcastServerKind = 'wslay-native' | 'wslay-fallback' | 'ws';
export type BroadcastMode = 'forEach' | 'broadcast' | 'publish' | 'raw';

interface AnyClient {
  send(data: Buffer, options: { binary: boolean }): unknown;
  readonly bufferedAmount: number;
  /** ws's socket (not part of its documented API, but stable since ws 1). */
  _socket?: { write(data: Buffer): boolean };
}

interface AnyServer {
  clients: Set<AnyClient>;
  broadcast?(data: Buffer, options: { binary: boolean }): number;
  publish?(topic: string, data: Buffer, options: { binary: boolean }): number;
  address(): { port: number } | string | null;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: () => void): unknown;
}

const kind = process.argv[2] as BroadcastServerKind;
let server: AnyServer;
let connections = 0;

async function start(): Promise<number> {
  if (kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
    });
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wslay = require('../../src/index.js') as typeof import('../../src/index.js');
    const wss = new wslay.WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      backend: kind === 'wslay-native' ? 'native' : 'fallback',
    });
    wss.on('connection', (ws) => ws.subscribe('all'));
    server = wss;
  }
  const counted = (ws: { on(event: string, listener: () => void): unknown }): void => {
    connections++;
    ws.on('error', () => {});
    ws.on('close', () => connections--);
  };
  server.on('connection', counted);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return (server.address() as { port: number }).port;
}

const gc = (globalThis as { gc?: () => void }).gc;

interface Written {
  /** ms from the start of the call until every connection had nothing buffered. */
  writtenMs: number;
  /** CPU ms of this process over that time: user (JavaScript, V8, the addon) and system. */
  userMs: number;
  systemMs: number;
}

/** Resolves once every client in `clients` has nothing buffered. */
function whenWritten(clients: AnyClient[], t0: number, cpu: NodeJS.CpuUsage): Promise<Written> {
  // Once at 0 a client stays there (nothing else is sent), so a cursor suffices.
  let next = 0;
  return new Promise((resolve) => {
    const check = () => {
      while (next < clients.length && clients[next]!.bufferedAmount === 0) next++;
      if (next < clients.length) {
        setImmediate(check);
        return;
      }
      const used = process.cpuUsage(cpu);
      resolve({
        writtenMs: performance.now() - t0,
        userMs: used.user / 1000,
        systemMs: used.system / 1000,
      });
    };
    setImmediate(check);
  });
}

let written: Promise<Written> = Promise.resolve({ writtenMs: 0, userMs: 0, systemMs: 0 });

function send(mode: BroadcastMode, size: number): { startedAt: number; loopMs: number } {
  const data = payload('binary', size);
  const options = { binary: true };
  const clients = [...server.clients];
  const frame = mode === 'raw' ? unmaskedFrame(OPCODE_BINARY, data) : data;
  // The garbage of earlier rounds is not collected during this one.
  gc?.();
  const cpu = process.cpuUsage();
  const startedAt = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  if (mode === 'forEach') server.clients.forEach((ws) => ws.send(data, options));
  else if (mode === 'broadcast') server.broadcast!(data, options);
  else if (mode === 'publish') server.publish!('all', data, options);
  else server.clients.forEach((ws) => ws._socket!.write(frame));
  const loopMs = performance.now() - t0;
  written = whenWritten(clients, t0, cpu);
  return { startedAt, loopMs };
}

serve(async (body) => {
  switch (body.op) {
    case 'start':
      return { port: await start() };
    case 'send':
      return send(body.mode as BroadcastMode, body.size as number);
    case 'written':
      return await written;
    case 'connections':
      return { connections };
    case 'memory':
      await settleMemory();
      return { rss: process.memoryUsage().rss, connections };
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
