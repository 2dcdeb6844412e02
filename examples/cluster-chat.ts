// The chat of examples/chat-server.ts across processes: node:cluster workers share one port,
// each with its own WebSocketServer, and a chat room is a topic that Redis carries between
// them (RedisBroker). Open http://127.0.0.1:8080/?room=books in browser tabs: whichever worker
// a tab lands on, it sees everything said in its room.
//
//   npx tsx examples/cluster-chat.ts          WORKERS (default 3), PORT (8080), REDIS_URL
//
// Without REDIS_URL it starts a redis-server of its own on a free port (Debian's
// /usr/bin/redis-server). examples/cluster-demo.ts (npm run demo:cluster) runs it with
// scripted clients on different workers.
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '../src/index.js';
import { RedisBroker } from '../src/redis.js';
import { page, paramFrom, textOf } from './chat-server.js';
import { startRedisServer } from './redis-server.js';

/** What a worker publishes to a room; `worker` says which process the speaker is on. */
export type ClusterChatEvent =
  | { type: 'welcome'; worker: number; room: string }
  | { type: 'joined' | 'left'; name: string; worker: number }
  | { type: 'message'; name: string; text: string; worker: number };

export interface ClusterChat {
  /** The page's address, e.g. http://127.0.0.1:8080/ */
  url: string;
  /** The Redis between the workers. */
  redisUrl: string;
  close(): Promise<void>;
}

/** Starts `workers` worker processes on `port` (0: a free one) and Redis when none is given. */
export async function startClusterChat({
  workers = 3,
  port = 8080,
  redisUrl,
}: { workers?: number; port?: number; redisUrl?: string } = {}): Promise<ClusterChat> {
  const redis = redisUrl === undefined ? await startRedisServer() : null;
  const url = redisUrl ?? redis!.url;
  // Workers run this file; an ephemeral port is resolved once, so that all of them share it.
  const shared = port === 0 ? await ephemeralPort() : port;
  cluster.setupPrimary({ exec: __filename });
  const forked: Worker[] = [];
  for (let i = 0; i < workers; i++) {
    forked.push(cluster.fork({ CLUSTER_CHAT_PORT: String(shared), CLUSTER_CHAT_REDIS: url }));
  }
  await Promise.all(forked.map((worker) => once(worker, 'listening')));
  return {
    url: `http://127.0.0.1:${shared}/`,
    redisUrl: url,
    async close() {
      await Promise.all(
        forked.map(async (worker) => {
          const exited = once(worker, 'exit');
          worker.send('shutdown');
          await exited;
        }),
      );
      await redis?.stop();
    },
  };
}

async function ephemeralPort(): Promise<number> {
  const probe = http.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** One worker: the page, and the chat's WebSocket at /chat with rooms as topics. */
function runWorker(): void {
  const worker = cluster.worker!.id;
  const broker = new RedisBroker({ url: process.env.CLUSTER_CHAT_REDIS! });
  broker.on('error', (error) => console.warn(`worker ${worker}: redis: ${error.message}`));
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  const wss = new WebSocketServer({ server, path: '/chat', maxPayload: 4096, broker });
  wss.on('connection', (ws, req) => {
    const name = paramFrom(req, 'name', 'guest');
    const room = `room:${paramFrom(req, 'room', 'lobby')}`;
    const publish = (event: ClusterChatEvent) => wss.publish(room, JSON.stringify(event));
    ws.send(JSON.stringify({ type: 'welcome', worker, room } satisfies ClusterChatEvent));
    ws.subscribe(room);
    publish({ type: 'joined', name, worker });
    ws.on('message', (data, isBinary) => {
      const text = textOf(data, isBinary);
      if (text === undefined) ws.close(1003, 'expected {"text": "..."}');
      else publish({ type: 'message', name, text, worker });
    });
    ws.on('close', () => publish({ type: 'left', name, worker }));
    // As with ws, an 'error' nobody listens to is thrown: a misbehaving client must not be able
    // to take the worker down, so every connection gets a listener.
    ws.on('error', (error) => console.warn(`worker ${worker}: ${name}: ${error.message}`));
  });
  process.on('message', (message) => {
    if (message !== 'shutdown') return;
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    wss.close();
    server.close();
    void broker.close().then(() => process.exit(0));
  });
  server.listen(Number(process.env.CLUSTER_CHAT_PORT), '127.0.0.1');
}

if (cluster.isWorker && process.env.CLUSTER_CHAT_PORT !== undefined) {
  runWorker();
} else if (require.main === module) {
  startClusterChat({
    workers: Number(process.env.WORKERS ?? 3),
    port: Number(process.env.PORT ?? 8080),
    redisUrl: process.env.REDIS_URL,
  }).then(
    (chat) => {
      console.log(`cluster chat on ${chat.url} (?room=name picks a room); Ctrl+C stops it`);
      process.once('SIGINT', () => {
        void chat.close().then(() => process.exit(0));
      });
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
