import { once } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  EventContext,
  WebSocket,
  type Broker,
  type BrokerSink,
  type WebSocketServer,
} from '../../src/index.js';
import { backends, closed, closeServer, frame, listen, portOf, RawPeer, until } from './helpers.js';

/** A broker that records what the server asks of it, and lets the test deliver. */
class RecordingBroker implements Broker {
  sink: BrokerSink | null = null;
  calls: string[] = [];
  published: { topic: string; data: Buffer; isBinary: boolean }[] = [];
  failPublish = false;
  attach(sink: BrokerSink): void {
    this.sink = sink;
  }
  subscribe(topic: string): void {
    this.calls.push(`subscribe ${topic}`);
  }
  unsubscribe(topic: string): void {
    this.calls.push(`unsubscribe ${topic}`);
  }
  publish(topic: string, data: Buffer, isBinary: boolean): Promise<void> {
    this.published.push({ topic, data, isBinary });
    return this.failPublish ? Promise.reject(new Error('broker down')) : Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Received {
  data: string;
  isBinary: boolean;
}

describe.each(backends)('broadcast and topics (%s)', (backend) => {
  let wss: WebSocketServer | undefined;
  const clients: WebSocket[] = [];

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const client of clients.splice(0)) client.terminate();
    if (wss !== undefined) await closeServer(wss);
    wss = undefined;
  });

  /** `n` clients of a fresh server; each records its messages; `server[i]` is client i's peer. */
  async function setup(n: number, options: object = {}) {
    const server = await listen({ backend, ...options });
    wss = server;
    const accepted: WebSocket[] = [];
    server.on('connection', (ws) => accepted.push(ws));
    const inboxes: Received[][] = [];
    for (let i = 0; i < n; i++) {
      const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}`, { backend });
      const inbox: Received[] = [];
      client.on('message', (data, isBinary) =>
        inbox.push({ data: (data as Buffer).toString(), isBinary }),
      );
      clients.push(client);
      inboxes.push(inbox);
      await once(client, 'open');
      await until(() => accepted.length === i + 1);
    }
    return { wss: server, server: accepted, inboxes };
  }

  test('broadcast() frames once for every open client, keeping text and binary apart', async () => {
    const made = vi.spyOn(EventContext, 'server');
    const { wss, inboxes } = await setup(3);
    expect(wss.broadcast('hello')).toBe(3);
    expect(wss.broadcast(Buffer.from('bytes'))).toBe(3);
    expect(wss.broadcast('as binary', { binary: true })).toBe(3);
    expect(wss.broadcast(new Uint8Array([104, 105]), { binary: false })).toBe(3);
    await until(() => inboxes.every((inbox) => inbox.length === 4));
    for (const inbox of inboxes) {
      expect(inbox).toEqual([
        { data: 'hello', isBinary: false },
        { data: 'bytes', isBinary: true },
        { data: 'as binary', isBinary: true },
        { data: 'hi', isBinary: false },
      ]);
    }
    // Connections that only receive broadcasts never make a wslay context.
    expect(made).not.toHaveBeenCalled();
  });

  test('except and filter leave connections out, and the count says how many got it', async () => {
    const { wss, server, inboxes } = await setup(4);
    expect(wss.broadcast('not 0', { except: server[0] })).toBe(3);
    expect(wss.broadcast('not 1 or 2', { except: [server[1]!, server[2]!] })).toBe(2);
    expect(wss.broadcast('only 3', { filter: (ws) => ws === server[3] })).toBe(1);
    expect(
      wss.broadcast('not 3, filtered', { except: new Set([server[3]!]), filter: () => true }),
    ).toBe(3);
    await until(() => inboxes[3]!.length === 3 && inboxes[0]!.length === 2);
    await until(() => inboxes[1]!.length === 2 && inboxes[2]!.length === 2);
    expect(inboxes.map((inbox) => inbox.map((m) => m.data))).toEqual([
      ['not 1 or 2', 'not 3, filtered'],
      ['not 0', 'not 3, filtered'],
      ['not 0', 'not 3, filtered'],
      ['not 0', 'not 1 or 2', 'only 3'],
    ]);
  });

  test('a broadcast goes out after what each connection queued before it, and before what follows', async () => {
    const { wss, server, inboxes } = await setup(2);
    // Connection 0 has read a message (so it has a wslay context); connection 1 has not.
    clients[0]!.send('wake');
    await once(server[0]!, 'message');
    for (const ws of server) ws.send('before');
    wss.broadcast('shared');
    for (const ws of server) ws.send('after');
    server[0]!.ping();
    wss.broadcast('last');
    await until(() => inboxes.every((inbox) => inbox.length === 4));
    for (const inbox of inboxes) {
      expect(inbox.map((m) => m.data)).toEqual(['before', 'shared', 'after', 'last']);
    }
  });

  test('connections that are not open are not counted', async () => {
    const { wss, server, inboxes } = await setup(2);
    const gone = closed(clients[0]!);
    server[0]!.close();
    expect(wss.broadcast('to one')).toBe(1);
    await until(() => inboxes[1]!.length === 1);
    await gone;
    expect(inboxes[0]).toEqual([]);
  });

  test('bad arguments are TypeErrors', async () => {
    const { wss, server } = await setup(1);
    expect(() => wss.broadcast({})).toThrow(TypeError);
    expect(() => wss.broadcast('x', { filter: 'yes' as never })).toThrow(/options.filter/);
    expect(() => wss.broadcast('x', { except: 5 as never })).toThrow(/options.except/);
    expect(() => wss.publish(5 as never, 'x')).toThrow(/topic must be a string/);
    expect(() => wss.numSubscribers(undefined as never)).toThrow(TypeError);
    expect(() => server[0]!.subscribe(['a'] as never)).toThrow(/topic must be a string/);
    expect(() => clients[0]!.subscribe('a')).toThrow(/WebSocketServer accepted/);
    await expect(listen({ backend, broadcastOverflow: 'drop' as never })).rejects.toThrow(
      /broadcastOverflow/,
    );
    await expect(listen({ backend, broker: {} as never })).rejects.toThrow(/options.broker/);
  });

  test('subscribe, unsubscribe, isSubscribed, topics and numSubscribers', async () => {
    const { wss, server } = await setup(2);
    const [a, b] = server as [WebSocket, WebSocket];
    a.subscribe('news');
    a.subscribe('news');
    a.subscribe('sport');
    b.subscribe('news');
    expect(a.topics.sort()).toEqual(['news', 'sport']);
    expect(a.isSubscribed('news')).toBe(true);
    expect(b.isSubscribed('sport')).toBe(false);
    expect(wss.numSubscribers('news')).toBe(2);
    expect(wss.numSubscribers('sport')).toBe(1);
    expect(wss.numSubscribers('weather')).toBe(0);
    a.unsubscribe('news');
    a.unsubscribe('weather');
    expect(a.topics).toEqual(['sport']);
    expect(wss.numSubscribers('news')).toBe(1);
  });

  test('publish() reaches the subscribers of its topic only, once each', async () => {
    const { wss, server, inboxes } = await setup(3);
    server[0]!.subscribe('a');
    server[1]!.subscribe('a');
    server[1]!.subscribe('b');
    expect(wss.publish('a', 'to a')).toBe(2);
    expect(wss.publish('b', Buffer.from('to b'))).toBe(1);
    expect(wss.publish('c', 'nobody')).toBe(0);
    await until(() => inboxes[0]!.length === 1 && inboxes[1]!.length === 2);
    expect(inboxes[0]).toEqual([{ data: 'to a', isBinary: false }]);
    expect(inboxes[1]).toEqual([
      { data: 'to a', isBinary: false },
      { data: 'to b', isBinary: true },
    ]);
    expect(inboxes[2]).toEqual([]);
  });

  test('a connection that closes leaves its topics', async () => {
    const { wss, server } = await setup(2);
    server[0]!.subscribe('t');
    server[1]!.subscribe('t');
    const gone = closed(server[0]!);
    clients[0]!.close();
    await gone;
    expect(wss.numSubscribers('t')).toBe(1);
    expect(server[0]!.topics).toEqual([]);
    server[0]!.subscribe('t');
    expect(wss.numSubscribers('t')).toBe(1);
  });

  test('the broker hears the first subscriber and the last to leave, and carries publishes both ways', async () => {
    const broker = new RecordingBroker();
    const { wss, server, inboxes } = await setup(2, { broker });
    server[0]!.subscribe('room');
    server[1]!.subscribe('room');
    server[0]!.unsubscribe('room');
    expect(broker.calls).toEqual(['subscribe room']);
    server[1]!.unsubscribe('room');
    expect(broker.calls).toEqual(['subscribe room', 'unsubscribe room']);

    server[1]!.subscribe('room');
    const payload = Buffer.from([0, 255, 1]);
    expect(wss.publish('room', payload, { binary: true })).toBe(1);
    payload[0] = 9; // the caller may reuse its buffer at once
    expect(broker.published.map((p) => [p.topic, [...p.data], p.isBinary])).toEqual([
      ['room', [0, 255, 1], true],
    ]);
    broker.sink!.deliver('room', Buffer.from('from elsewhere'), false);
    broker.sink!.deliver('nobody here', Buffer.from('dropped'), false);
    await until(() => inboxes[1]!.length === 2);
    expect(inboxes[1]!.map((m) => [m.data, m.isBinary])).toEqual([
      ['\u0000\ufffd\u0001', true],
      ['from elsewhere', false],
    ]);
    // A broker that fails to publish does not stop local delivery or throw.
    broker.failPublish = true;
    expect(wss.publish('room', 'still local')).toBe(1);
    await until(() => inboxes[1]!.length === 3);
    expect(inboxes[0]).toEqual([]);
  });

  test('over maxBufferedAmount a peer that does not read is terminated, or skipped on request', async () => {
    for (const broadcastOverflow of ['terminate', 'skip'] as const) {
      const server = await listen({ backend, maxBufferedAmount: 256 * 1024, broadcastOverflow });
      const connection = once(server, 'connection');
      const stalled = await RawPeer.open(portOf(server));
      stalled.socket.pause();
      const [ws] = (await connection) as [WebSocket];
      const errors: string[] = [];
      ws.on('error', (error) => errors.push((error as Error & { code: string }).code));
      const chunk = Buffer.alloc(64 * 1024);
      let counted = 0;
      let calls = 0;
      // The kernel's buffers fill first, then ours, up to the limit.
      while (ws.readyState === WebSocket.OPEN && calls < 2000) {
        counted += server.broadcast(chunk);
        calls++;
        if (calls % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        if (broadcastOverflow === 'skip' && counted < calls) break;
      }
      expect(ws.bufferedAmount).toBeLessThanOrEqual(256 * 1024);
      if (broadcastOverflow === 'terminate') {
        await closed(ws);
        expect(errors).toEqual(['WS_ERR_BUFFER_FULL']);
      } else {
        expect(ws.readyState).toBe(WebSocket.OPEN);
        expect(errors).toEqual([]);
        expect(counted).toBe(calls - 1);
        ws.terminate();
      }
      stalled.socket.destroy();
      await closeServer(server);
    }
  });

  test('a raw peer sees plain server frames of every length encoding', async () => {
    const server = await listen({ backend });
    wss = server;
    const peer = await RawPeer.open(portOf(server));
    await until(() => server.clients.size === 1);
    const sizes = [0, 125, 126, 65535, 65536, 200_000];
    for (const size of sizes) server.broadcast(Buffer.alloc(size, size & 0xff));
    await until(() => peer.frames().length === sizes.length);
    expect(peer.frames().map((f) => [f.fin, f.opcode, f.payload.length])).toEqual(
      sizes.map((size) => [true, 2, size]),
    );
    // The server still reads and answers after frames it wrote past wslay.
    peer.write(frame(0x9, 'ping'));
    await until(() => peer.frames().length === sizes.length + 1);
    expect(peer.frames()[sizes.length]!.opcode).toBe(0xa);
  });
});
