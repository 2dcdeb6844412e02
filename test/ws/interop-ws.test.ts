import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closeServer,
  listen,
  nextMessage,
  pattern,
  portOf,
  SIZES,
  text,
  until,
} from './helpers.js';
import { messageText } from '../helpers/message-text.js';

const pickChat = (offered: Set<string>) => (offered.has('chat') ? 'chat' : false);

/** `server` echoes; a message of `size` bytes sent by `client` comes back equal. */
async function echoesIntact(
  client: WebSocket | WsClient,
  server: WebSocket | WsClient,
  size: number,
  binary: boolean,
): Promise<void> {
  server.on('message', (data: Buffer, isBinary: boolean) =>
    server.send(data, { binary: isBinary }),
  );
  const payload = binary ? pattern(size) : text(size);
  const echoed = nextMessage(client);
  client.send(payload, { binary });
  const { data, isBinary } = await echoed;
  expect(isBinary).toBe(binary);
  expect(data.equals(Buffer.from(payload))).toBe(true);
}

describe.each(backends)('our server with the ws client (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend, handleProtocols: pickChat });
  });
  afterAll(() => closeServer(wss));

  async function pair(protocols?: string[]): Promise<{ client: WsClient; server: WebSocket }> {
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`, protocols, { maxPayload: 0 });
    const [[server]] = (await Promise.all([connection, once(client, 'open')])) as [
      [WebSocket],
      unknown,
    ];
    return { client, server };
  }

  describe.each([false, true])('binary %s', (binary) => {
    test.each(SIZES)('a %i-byte message reaches the server intact and comes back', async (size) => {
      const { client, server } = await pair();
      await echoesIntact(client, server, size, binary);
      client.close();
      await closed(server);
    });
  });

  test('ping() and pong() reach the peer in the order of the calls, as with ws', async () => {
    const { client, server } = await pair();
    const seen: string[] = [];
    client.on('message', (data) => seen.push(`message ${messageText(data)}`));
    client.on('ping', (data) => seen.push(`ping ${messageText(data)}`));
    client.on('pong', (data) => seen.push(`pong ${messageText(data)}`));
    for (let i = 0; i < 3; i++) server.send(`m${i}`);
    server.ping('p');
    server.send('m3');
    server.pong('q');
    server.send('m4');
    await until(() => seen.length === 7);
    expect(seen).toEqual([
      'message m0',
      'message m1',
      'message m2',
      'ping p',
      'message m3',
      'pong q',
      'message m4',
    ]);
    client.close();
    await closed(server);
  });

  test('a fragmented message from the client arrives as one message', async () => {
    const { client, server } = await pair();
    const received = nextMessage(server);
    client.send('frag', { fin: false });
    client.send('men', { fin: false });
    client.send('ted', { fin: true });
    const { data, isBinary } = await received;
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe('fragmented');
    client.terminate();
  });

  test('pings are answered both ways with the same payload', async () => {
    const { client, server } = await pair();
    const serverSawPing = once(server, 'ping');
    const clientGotPong = once(client, 'pong');
    client.ping('from-client');
    expect(String((await serverSawPing)[0])).toBe('from-client');
    expect(String((await clientGotPong)[0])).toBe('from-client');

    const clientSawPing = once(client, 'ping');
    const serverGotPong = once(server, 'pong');
    const pingWritten = new Promise<Error | undefined>((resolve) =>
      server.ping('from-server', false, resolve),
    );
    expect(await pingWritten).toBeNull();
    expect(String((await clientSawPing)[0])).toBe('from-server');
    expect(String((await serverGotPong)[0])).toBe('from-server');
    client.terminate();
  });

  test('a close from the client carries its code and reason to both ends', async () => {
    const { client, server } = await pair();
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    client.close(4001, 'client-bye');
    expect(await serverClosed).toEqual({ code: 4001, reason: 'client-bye' });
    expect(await clientClosed).toEqual({ code: 4001, reason: 'client-bye' });
    expect(server.readyState).toBe(WebSocket.CLOSED);
  });

  test('a close from the server carries its code and reason to both ends', async () => {
    const { client, server } = await pair();
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    server.close(4002, 'server-bye');
    expect(server.readyState).toBe(WebSocket.CLOSING);
    expect(await clientClosed).toEqual({ code: 4002, reason: 'server-bye' });
    expect(await serverClosed).toEqual({ code: 4002, reason: 'server-bye' });
  });

  test('messages sent before close() are delivered before the close frame', async () => {
    const { client, server } = await pair();
    const got: string[] = [];
    client.on('message', (data) => got.push(messageText(data)));
    const clientClosed = closed(client);
    for (let i = 0; i < 50; i++) server.send(`m${i}`);
    server.send(pattern(256 * 1024));
    server.close(1000);
    expect((await clientClosed).code).toBe(1000);
    expect(got.length).toBe(51);
    expect(got.slice(0, 3)).toEqual(['m0', 'm1', 'm2']);
  });

  test('the subprotocol the server picks is the one both ends report', async () => {
    const { client, server } = await pair(['superchat', 'chat']);
    expect(server.protocol).toBe('chat');
    expect(client.protocol).toBe('chat');
    client.terminate();
  });

  test('permessage-deflate offered by the client is declined', async () => {
    const { client } = await pair();
    expect(client.extensions).toBe('');
    client.terminate();
  });

  test('a client that drops the TCP connection is reported with 1006', async () => {
    const { client, server } = await pair();
    const serverClosed = closed(server);
    client.terminate();
    expect((await serverClosed).code).toBe(1006);
  });
});

describe.each(backends)('our client with a ws server (%s)', (backend) => {
  let wss: WsServer;
  let port: number;

  beforeAll(async () => {
    wss = new WsServer({ port: 0, host: '127.0.0.1', maxPayload: 0, handleProtocols: pickChat });
    await once(wss, 'listening');
    port = portOf(wss);
  });
  afterAll(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  });

  async function pair(protocols?: string[]): Promise<{ client: WebSocket; server: WsClient }> {
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, protocols, { backend });
    const [[server]] = (await Promise.all([connection, once(client, 'open')])) as [
      [WsClient],
      unknown,
    ];
    return { client, server };
  }

  describe.each([false, true])('binary %s', (binary) => {
    test.each(SIZES)('a %i-byte message reaches the server intact and comes back', async (size) => {
      const { client, server } = await pair();
      await echoesIntact(client, server, size, binary);
      client.close();
      await closed(client);
    });
  });

  test('a fragmented message from the server arrives as one message', async () => {
    const { client, server } = await pair();
    const received = nextMessage(client);
    server.send(pattern(1000, 1), { fin: false });
    server.send(pattern(70000, 2), { fin: false });
    server.send(pattern(3, 3), { fin: true });
    const { data, isBinary } = await received;
    expect(isBinary).toBe(true);
    expect(data.equals(Buffer.concat([pattern(1000, 1), pattern(70000, 2), pattern(3, 3)]))).toBe(
      true,
    );
    client.terminate();
  });

  test('a message sent in pieces with fin: false reaches the server as one message', async () => {
    const { client, server } = await pair();
    const received = nextMessage(server);
    client.send('one ', { fin: false });
    client.send('two ', { fin: false });
    client.send('three');
    expect(String((await received).data)).toBe('one two three');
    client.terminate();
  });

  test('pings are answered both ways with the same payload', async () => {
    const { client, server } = await pair();
    const serverSawPing = once(server, 'ping');
    const clientGotPong = once(client, 'pong');
    client.ping(Buffer.from('from-client'));
    expect(String((await serverSawPing)[0])).toBe('from-client');
    expect(String((await clientGotPong)[0])).toBe('from-client');

    const clientSawPing = once(client, 'ping');
    const serverGotPong = once(server, 'pong');
    server.ping('from-server');
    expect(String((await clientSawPing)[0])).toBe('from-server');
    expect(String((await serverGotPong)[0])).toBe('from-server');
    client.terminate();
  });

  test('a close from the client carries its code and reason to both ends', async () => {
    const { client, server } = await pair();
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    client.close(4003, 'client-bye');
    expect(await serverClosed).toEqual({ code: 4003, reason: 'client-bye' });
    expect(await clientClosed).toEqual({ code: 4003, reason: 'client-bye' });
  });

  test('a close from the server carries its code and reason to both ends', async () => {
    const { client, server } = await pair();
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    server.close(4004, 'server-bye');
    expect(await clientClosed).toEqual({ code: 4004, reason: 'server-bye' });
    expect(await serverClosed).toEqual({ code: 4004, reason: 'server-bye' });
  });

  test('the subprotocol the server picks is the one both ends report', async () => {
    const { client, server } = await pair(['superchat', 'chat']);
    expect(client.protocol).toBe('chat');
    expect(server.protocol).toBe('chat');
    client.terminate();
  });

  test('a server that drops the TCP connection is reported with 1006', async () => {
    const { client, server } = await pair();
    const clientClosed = closed(client);
    server.terminate();
    expect((await clientClosed).code).toBe(1006);
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });
});
