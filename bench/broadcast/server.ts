/**
 * A server for the broadcast benchmark, in a process of its own: `ws`, or this package's
 * WebSocketServer on either backend. Every connection is idle until the benchmark sends one
 * message to all of them, in one of three ways:
 *
 * - `forEach`: `wss.clients.forEach((ws) => ws.send(data))`, the loop `ws` users write;
 * - `broadcast`: `wss.broadcast(data)` (this package only);
 * - `publish`: `wss.publish('all', data)`, every connection subscribed to 'all' (ditto).
 *
 * Requests: `{ op: 'start' }` → `{ port }`; `{ op: 'send', mode, size }` → when the call began
 * (epoch ms) and how long it took; `{ op: 'connections' }`; `{ op: 'memory' }` → RSS and heap after full collections.
 */
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import { payload } from '../lib/frames.js';

export type BroadcastServerKind = 'wslay-native' | 'wslay-fallback' | 'ws';
export type BroadcastMode = 'forEach' | 'broadcast' | 'publish';

interface AnyServer {
  clients: Set<{ send(data: Buffer, options: { binary: boolean }): unknown }>;
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

function send(mode: BroadcastMode, size: number): { startedAt: number; loopMs: number } {
  const data = payload('binary', size);
  const options = { binary: true };
  const startedAt = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  if (mode === 'forEach') server.clients.forEach((ws) => ws.send(data, options));
  else if (mode === 'broadcast') server.broadcast!(data, options);
  else server.publish!('all', data, options);
  return { startedAt, loopMs: performance.now() - t0 };
}

const gc = (globalThis as { gc?: () => void }).gc;

serve(async (body) => {
  switch (body.op) {
    case 'start':
      return { port: await start() };
    case 'send':
      return send(body.mode as BroadcastMode, body.size as number);
    case 'connections':
      return { connections };
    case 'memory':
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 200));
      }
      return { rss: process.memoryUsage().rss, connections };
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
