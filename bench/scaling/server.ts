/**
 * One process of the cross-process benchmark: this package's WebSocketServer with a
 * RedisBroker (`wslay`), or socket.io with @socket.io/redis-adapter (`socketio`), on the same
 * Redis. Every connection is in the room (topic) `room`.
 *
 * Requests: `{ op: 'start' }` → `{ port }`; `{ op: 'connections' }`; `{ op: 'publish', count,
 * size }` publishes `count` messages of `size` bytes to the room as fast as the process can,
 * each carrying its publish time (epoch ms, a float64 in its first 8 bytes).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';

export type ScalingKind = 'wslay' | 'socketio';

const [kind, redisUrl] = process.argv.slice(2) as [ScalingKind, string];
let connections = 0;
let publish: (data: Buffer) => void = () => {};

async function start(): Promise<number> {
  const server = http.createServer();
  if (kind === 'wslay') {
    // Loaded only in the processes that serve with wslay.
    const { WebSocketServer } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../src/index.js') as typeof import('../../src/index.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RedisBroker } = require('../../src/redis.js') as typeof import('../../src/redis.js');
    const broker = new RedisBroker({ url: redisUrl });
    broker.on('error', () => {});
    const wss = new WebSocketServer({ server, broker });
    wss.on('connection', (ws) => {
      connections++;
      ws.subscribe('room');
      ws.on('close', () => connections--);
    });
    publish = (data) => wss.publish('room', data);
  } else {
    const { Server } = await import('socket.io');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const { Redis } = await import('ioredis');
    const pub = new Redis(redisUrl);
    const sub = pub.duplicate();
    const io = new Server(server, { adapter: createAdapter(pub, sub), transports: ['websocket'] });
    io.on('connection', (socket) => {
      connections++;
      void socket.join('room');
      socket.on('disconnect', () => connections--);
    });
    publish = (data) => io.to('room').emit('m', data);
  }
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

async function publishMany(count: number, size: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(Math.max(size, 8), 0x61);
    data.writeDoubleLE(performance.timeOrigin + performance.now(), 0);
    publish(data);
    // Let I/O run between batches, as a real publisher would.
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
}

serve(async (body) => {
  switch (body.op) {
    case 'start':
      return { port: await start() };
    case 'connections':
      return { connections };
    case 'publish':
      await publishMany(body.count as number, body.size as number);
      return null;
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
