import { once } from 'node:events';
import { Redis } from 'ioredis';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import { RedisBroker, type RedisBrokerOptions } from '../../src/redis.js';
import { listen, portOf, until } from '../ws/helpers.js';

export interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** A WebSocketServer with a RedisBroker of its own, as one process of a cluster has. */
export interface Node {
  wss: WebSocketServer;
  broker: RedisBroker;
  errors: Error[];
  /** The server's end of each client. */
  accepted: WebSocket[];
  clients: WebSocket[];
  inboxes: Received[][];
  close(): Promise<void>;
}

export async function startNode(
  backend: 'native' | 'fallback',
  brokerOptions: RedisBrokerOptions,
  clientCount: number,
): Promise<Node> {
  const broker = new RedisBroker(brokerOptions);
  const errors: Error[] = [];
  broker.on('error', (error) => errors.push(error));
  const wss = await listen({ backend, broker });
  const accepted: WebSocket[] = [];
  wss.on('connection', (ws) => accepted.push(ws));
  const clients: WebSocket[] = [];
  const inboxes: Received[][] = [];
  for (let i = 0; i < clientCount; i++) {
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    const inbox: Received[] = [];
    client.on('message', (data, isBinary) => inbox.push({ data: data as Buffer, isBinary }));
    clients.push(client);
    inboxes.push(inbox);
    await once(client, 'open');
    await until(() => accepted.length === i + 1);
  }
  return {
    wss,
    broker,
    errors,
    accepted,
    clients,
    inboxes,
    async close() {
      for (const client of clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await broker.close();
    },
  };
}

/** Resolves on the broker's next 'ready'. */
export function ready(broker: RedisBroker, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the broker did not become ready')), ms);
    broker.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once the asynchronous `predicate` holds, polling; fails after `ms`. */
export async function eventually(predicate: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once `channel` has `count` subscribers in the Redis at `url`. */
export async function subscribers(url: string, channel: string, count: number): Promise<void> {
  const admin = new Redis(url);
  try {
    await eventually(async () => (await admin.pubsub('NUMSUB', channel))[1] === count);
  } finally {
    admin.disconnect();
  }
}
