import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../../examples/redis-server.js';
import { RedisBroker } from '../../src/redis.js';
import { backends, delay, until } from '../ws/helpers.js';
import { eventually, ready, startNode, subscribers, type Node } from './helpers.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe.each(backends)('RedisBroker with a real Redis (%s)', (backend) => {
  let redis: RedisServer;
  let admin: Redis;
  const nodes: Node[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.close();
  });

  async function node(clientCount: number): Promise<Node> {
    const n = await startNode(backend, { url: redis.url }, clientCount);
    nodes.push(n);
    return n;
  }

  async function channels(): Promise<string[]> {
    return ((await admin.pubsub('CHANNELS')) as string[]).sort();
  }

  test('a publish reaches every subscriber in every process once, binary-safe, text and binary kept', async () => {
    const [a, b] = [await node(2), await node(1)];
    for (const ws of [...a.accepted, ...b.accepted]) ws.subscribe('room');
    await eventually(async () => (await admin.pubsub('NUMSUB', 'wslay:room'))[1] === 2);
    const inboxes = [...a.inboxes, ...b.inboxes];
    // One message at a time: only messages of one publisher keep their order.
    expect(a.wss.publish('room', 'héllo 😀')).toBe(2);
    await until(() => inboxes.every((inbox) => inbox.length === 1));
    expect(b.wss.publish('room', ALL_BYTES)).toBe(1);
    await until(() => inboxes.every((inbox) => inbox.length === 2));
    expect(a.wss.publish('room', 'binary text', { binary: true })).toBe(2);
    await until(() => inboxes.every((inbox) => inbox.length === 3));
    await delay(50); // nothing more comes: no echo of a process's own publish
    for (const inbox of inboxes) {
      expect(inbox.map((m) => m.isBinary)).toEqual([false, true, true]);
      expect(inbox[0]!.data.toString()).toBe('héllo 😀');
      expect([...inbox[1]!.data]).toEqual([...ALL_BYTES]);
      expect(inbox[2]!.data.toString()).toBe('binary text');
    }
  });

  test('messages from one publisher arrive in publish order', async () => {
    const [a, b] = [await node(0), await node(1)];
    b.accepted[0]!.subscribe('seq');
    await eventually(async () => (await channels()).includes('wslay:seq'));
    for (let i = 0; i < 500; i++) a.wss.publish('seq', `m${i}`);
    await until(() => b.inboxes[0]!.length === 500);
    expect(b.inboxes[0]!.map((m) => m.data.toString())).toEqual(
      Array.from({ length: 500 }, (_, i) => `m${i}`),
    );
  });

  test('a topic is subscribed in Redis only while a local connection is subscribed', async () => {
    const a = await node(2);
    await eventually(async () => (await channels()).length === 0);
    a.accepted[0]!.subscribe('t');
    a.accepted[1]!.subscribe('t');
    await eventually(async () => (await channels()).includes('wslay:t'));
    a.accepted[0]!.unsubscribe('t');
    await delay(50);
    expect(await channels()).toEqual(['wslay:t']);
    a.clients[1]!.close();
    await eventually(async () => (await channels()).length === 0);
  });

  test('a malformed message on a channel is an error, not a crash, and delivery goes on', async () => {
    const [a, b] = [await node(0), await node(1)];
    b.accepted[0]!.subscribe('room');
    await eventually(async () => (await channels()).includes('wslay:room'));
    await admin.publish('wslay:room', 'not ours');
    await admin.publish('wslay:room', Buffer.from([0x77, 7, 1, 2]));
    a.wss.publish('room', 'fine');
    await until(() => b.inboxes[0]!.length === 1);
    expect(b.inboxes[0]![0]!.data.toString()).toBe('fine');
    expect(b.errors.map((e) => e.message)).toEqual([
      'A message on the Redis channel "wslay:room" is not a wslay message; dropped',
      'A message on the Redis channel "wslay:room" is not a wslay message; dropped',
    ]);
  });

  test('bad options are TypeErrors; a broker serves one server', async () => {
    expect(() => new RedisBroker({})).toThrow(/"url" and "client"/);
    expect(() => new RedisBroker({ url: 5 } as never)).toThrow(/options.url/);
    expect(() => new RedisBroker({ url: redis.url, prefix: 1 } as never)).toThrow(/prefix/);
    expect(() => new RedisBroker({ url: redis.url, maxPendingBytes: -1 })).toThrow(RangeError);
    const a = await node(0);
    expect(() => a.broker.attach({ deliver() {} })).toThrow(/already serves/);
  });

  test("an application's own ioredis client is used and left open", async () => {
    const client = new Redis(redis.url);
    const a = await startNode(backend, { client }, 0);
    const b = await node(1);
    b.accepted[0]!.subscribe('x');
    await eventually(async () => (await channels()).includes('wslay:x'));
    a.wss.publish('x', 'through the given client');
    await until(() => b.inboxes[0]!.length === 1);
    await a.close();
    expect(client.status).toBe('ready');
    client.disconnect();
  });
});

describe.each(backends)('RedisBroker when Redis fails (%s)', (backend) => {
  const nodes: Node[] = [];
  let redis: RedisServer | undefined;

  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.close();
    await redis?.stop();
    redis = undefined;
  });

  test('down at start: publishing fails and says so, local delivery goes on, and it all works once Redis is up', async () => {
    redis = await startRedisServer();
    const { port, url } = redis;
    await redis.stop();
    const a = await startNode(backend, { url }, 1);
    const b = await startNode(backend, { url }, 1);
    nodes.push(a, b);
    a.accepted[0]!.subscribe('room');
    b.accepted[0]!.subscribe('room');
    expect(a.wss.publish('room', 'local only')).toBe(1);
    await expect(a.broker.publish('room', Buffer.from('direct'), false)).rejects.toThrow(
      /Publishing to "room" failed/,
    );
    await until(() => a.inboxes[0]!.length === 1);
    await until(() => a.errors.some((e) => /Publishing to "room" failed/.test(e.message)));

    const readyA = ready(a.broker);
    const readyB = ready(b.broker);
    redis = await startRedisServer({ port });
    await Promise.all([readyA, readyB]);
    a.wss.publish('room', 'across');
    await until(() => b.inboxes[0]!.length === 1);
    expect(b.inboxes[0]![0]!.data.toString()).toBe('across');
  });

  test('restarted mid-run: the brokers reconnect and resubscribe, and delivery resumes', async () => {
    redis = await startRedisServer();
    const a = await startNode(backend, { url: redis.url }, 0);
    const b = await startNode(backend, { url: redis.url }, 1);
    nodes.push(a, b);
    b.accepted[0]!.subscribe('room');
    await subscribers(redis.url, 'wslay:room', 1);
    a.wss.publish('room', 'before');
    await until(() => b.inboxes[0]!.length === 1);

    let reconnecting = 0;
    b.broker.on('reconnecting', () => reconnecting++);
    await redis.stop();
    await until(() => reconnecting > 0);
    const failed = a.broker.publish('room', Buffer.from('while down'), false);
    await expect(failed).rejects.toThrow();
    const readyA = ready(a.broker);
    const readyB = ready(b.broker);
    await redis.start();
    await Promise.all([readyA, readyB]);
    a.wss.publish('room', 'after');
    await until(() => b.inboxes[0]!.length === 2);
    expect(b.inboxes[0]!.map((m) => m.data.toString())).toEqual(['before', 'after']);
  });

  test('slow: what waits for Redis stays under maxPendingBytes; the rest is dropped with an error', async () => {
    redis = await startRedisServer();
    const a = await startNode(backend, { url: redis.url, maxPendingBytes: 64 * 1024 }, 0);
    const b = await startNode(backend, { url: redis.url }, 1);
    nodes.push(a, b);
    b.accepted[0]!.subscribe('room');
    await subscribers(redis.url, 'wslay:room', 1);
    a.wss.publish('room', 'warm up');
    await until(() => b.inboxes[0]!.length === 1);

    redis.pause();
    const chunk = Buffer.alloc(1024, 1);
    const outcomes: Promise<boolean>[] = [];
    let highest = 0;
    for (let i = 0; i < 200; i++) {
      outcomes.push(
        a.broker.publish('room', chunk, true).then(
          () => true,
          () => false,
        ),
      );
      highest = Math.max(highest, a.broker.pendingBytes);
    }
    expect(highest).toBeLessThanOrEqual(64 * 1024);
    await delay(100);
    redis.resume();
    const delivered = (await Promise.all(outcomes)).filter(Boolean).length;
    expect(delivered).toBe(64);
    expect(a.errors.filter((e) => /maxPendingBytes/.test(e.message))).toHaveLength(136);
    await until(() => b.inboxes[0]!.length === 1 + delivered).catch(() => {
      throw new Error(`${b.inboxes[0]!.length} of ${1 + delivered}; ${b.errors.join()}`);
    });
    expect(a.broker.pendingBytes).toBe(0);
  });
});
