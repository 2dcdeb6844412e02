// `for await (const message of ws)`: when the loop holds the socket back and lets it go, and
// how it ends on a connection that is closed or closing.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import { backends, closeServer, listen, portOf, until } from './helpers.js';
import { messageText } from '../helpers/message-text.js';

/** Held back by the loop from this many unread messages on. */
const QUEUE_LIMIT = 16;

describe.each(backends)('iterating over messages (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  /** A client, the server's side of its connection, and how many messages the client got. */
  const connect = async () => {
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    const [server] = (await connection) as [WebSocket];
    if (client.readyState === client.CONNECTING) await once(client, 'open');
    const received = { count: 0 };
    client.on('message', () => received.count++);
    return { client, server, received };
  };

  test('the socket is paused at 16 unread messages and resumed once all are read', async () => {
    const { client, server, received } = await connect();
    const messages = client[Symbol.asyncIterator]();
    const sendUpTo = (count: number) => {
      for (let i = received.count; i < count; i++) server.send(`m${i}`);
    };
    sendUpTo(QUEUE_LIMIT - 1);
    await until(() => received.count === QUEUE_LIMIT - 1);
    expect(client.isPaused).toBe(false);
    sendUpTo(QUEUE_LIMIT);
    await until(() => received.count === QUEUE_LIMIT);
    expect(client.isPaused).toBe(true);
    for (let i = 0; i < QUEUE_LIMIT; i++) {
      const { value } = (await messages.next()) as IteratorYieldResult<{ data: Buffer }>;
      expect(messageText(value.data)).toBe(`m${i}`);
      // Still held back while anything is left unread.
      expect(client.isPaused).toBe(i < QUEUE_LIMIT - 1);
    }
    // And held back again by the next 16.
    for (let i = QUEUE_LIMIT; i < 2 * QUEUE_LIMIT; i++) server.send(`m${i}`);
    await until(() => received.count === 2 * QUEUE_LIMIT);
    expect(client.isPaused).toBe(true);
    expect(await messages.return!()).toEqual({ value: undefined, done: true });
    expect(client.isPaused).toBe(false);
    client.terminate();
  });

  test('leaving the loop lets go of a socket the loop paused, and of nothing else', async () => {
    const { client, server, received } = await connect();
    for (let i = 0; i < QUEUE_LIMIT; i++) server.send(`m${i}`);
    const closes = client.listenerCount('close');
    const messages = client[Symbol.asyncIterator]();
    await until(() => received.count === QUEUE_LIMIT);
    expect(client.isPaused).toBe(true);
    await messages.return!();
    expect(client.isPaused).toBe(false);
    expect(client.listenerCount('close')).toBe(closes);
    server.send('after the loop');
    await until(() => received.count === QUEUE_LIMIT + 1);

    // A pause of the application's own stays when its loop is left.
    server.send('again');
    for await (const { data } of client) {
      expect(messageText(data)).toBe('again');
      client.pause();
      break;
    }
    expect(client.isPaused).toBe(true);
    client.terminate();
  }, 10_000);

  test('messages that came before the close are read, then the loop ends', async () => {
    const { client, server } = await connect();
    const messages = client[Symbol.asyncIterator]();
    server.send('a');
    server.send('b');
    server.close();
    await once(client, 'close');
    const got: string[] = [];
    for await (const { data } of messages) got.push(messageText(data));
    expect(got).toEqual(['a', 'b']);
    expect(await messages.next()).toEqual({ value: undefined, done: true });
  });

  test('a closed socket yields nothing and is not listened to', async () => {
    const { client } = await connect();
    client.close();
    await once(client, 'close');
    const messages = client.listenerCount('message');
    let count = 0;
    for await (const message of client) if (message !== undefined) count++;
    expect(count).toBe(0);
    expect(client.listenerCount('message')).toBe(messages);
  });
});
