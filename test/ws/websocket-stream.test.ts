// createWebSocketStream as ws has it: how messages become chunks and chunks messages, how a
// full read buffer holds the socket back, and how errors and the two ends of the stream
// bring the connection down.
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createWebSocketStream, WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closed,
  closeServer,
  frame,
  listen,
  nextMessage,
  openRaw,
  portOf,
  uncaughtErrors,
  until,
  upgradeRequest,
  CLOSE,
  RawPeer,
  TEXT,
} from './helpers.js';

describe.each(backends)('createWebSocketStream (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  /** A client and the server's side of its connection, both open. */
  const connect = async (): Promise<{ client: WebSocket; server: WebSocket }> => {
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    const [server] = (await connection) as [WebSocket];
    if (client.readyState === client.CONNECTING) await once(client, 'open');
    return { client, server };
  };

  test('strings written to the stream are sent as binary messages', async () => {
    const { client, server } = await connect();
    const duplex = createWebSocketStream(client);
    const received = nextMessage(server);
    duplex.write('written as text');
    const { data, isBinary } = await received;
    expect(isBinary).toBe(true);
    expect(data.toString()).toBe('written as text');
    duplex.destroy();
  });

  test('in readableObjectMode text messages are read as strings, binary ones as Buffers', async () => {
    const { client, server } = await connect();
    const duplex = createWebSocketStream(client, { readableObjectMode: true });
    const chunks: unknown[] = [];
    duplex.on('data', (chunk) => chunks.push(chunk));
    const bytes = Buffer.from([0xff, 0x80, 0x00, 0xfe]);
    server.send('café');
    server.send(bytes);
    await until(() => chunks.length === 2);
    expect(chunks[0]).toBe('café');
    expect(Buffer.isBuffer(chunks[1])).toBe(true);
    expect(chunks[1]).toEqual(bytes);
    duplex.destroy();
  });

  test('writes made while the client connects are sent once it is open', async () => {
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    const duplex = createWebSocketStream(client);
    const written = new Promise<Error | null | undefined>((resolve) =>
      duplex.write('early', resolve),
    );
    const [server] = (await connection) as [WebSocket];
    const { data, isBinary } = await nextMessage(server);
    expect({ text: data.toString(), isBinary }).toEqual({ text: 'early', isBinary: true });
    expect(await written).toBeFalsy();
    duplex.destroy();
  });

  test('a full read buffer pauses the socket until the stream is read', async () => {
    const { client, server } = await connect();
    const duplex = createWebSocketStream(client);
    // One message over the read buffer's high-water mark: the stream has no room left.
    const big = Buffer.alloc(duplex.readableHighWaterMark * 2, 7);
    server.send(big);
    await until(() => duplex.readableLength > 0);
    expect(client.isPaused).toBe(true);
    server.send('after');
    expect((duplex.read() as Buffer).equals(big)).toBe(true);
    await until(() => duplex.readableLength > 0);
    expect(client.isPaused).toBe(false);
    expect(String(duplex.read())).toBe('after');
    duplex.destroy();
  });

  test("a message sent with the upgrade request is read from a stream made on 'connection'", async () => {
    const chunks: Buffer[] = [];
    wss.once('connection', (ws) => {
      createWebSocketStream(ws).on('data', (chunk: Buffer) => chunks.push(chunk));
    });
    const peer = await RawPeer.connect(portOf(wss));
    peer.write(Buffer.concat([Buffer.from(upgradeRequest(portOf(wss))), frame(TEXT, 'first')]));
    await until(() => chunks.length > 0);
    expect(Buffer.concat(chunks).toString()).toBe('first');
    peer.socket.destroy();
  });

  test("a message sent with the upgrade request survives pause() and resume() on 'connection'", async () => {
    const messages: string[] = [];
    wss.once('connection', (ws) => {
      ws.on('message', (data) => messages.push((data as Buffer).toString()));
      ws.pause();
      ws.resume();
    });
    const peer = await RawPeer.connect(portOf(wss));
    peer.write(Buffer.concat([Buffer.from(upgradeRequest(portOf(wss))), frame(TEXT, 'first')]));
    await until(() => messages.length > 0);
    expect(messages).toEqual(['first']);
    peer.socket.destroy();
  });

  test('what is still unread when the writable side finishes can be read, then it ends', async () => {
    const { client, server } = await connect();
    const duplex = createWebSocketStream(client);
    server.send('unread');
    await until(() => duplex.readableLength > 0);
    const events: string[] = [];
    for (const name of ['finish', 'end', 'close']) duplex.on(name, () => events.push(name));
    duplex.end();
    await once(duplex, 'finish');
    expect(duplex.destroyed).toBe(false);
    expect(String(duplex.read())).toBe('unread');
    await once(duplex, 'close');
    expect(events).toEqual(['finish', 'end', 'close']);
  });

  test("a peer's protocol violation errors the stream and still gets the close frame", async () => {
    const { peer, ws } = await openRaw(wss);
    const duplex = createWebSocketStream(ws);
    const errors: string[] = [];
    duplex.on('error', (error: Error & { code?: string }) => errors.push(error.code ?? ''));
    const wsClosed = closed(ws);
    peer.write(frame(0x3, 'reserved opcode'));
    await peer.closed;
    const closes = peer.frames().filter((f) => f.opcode === CLOSE);
    expect(closes.map(closeCodeOf)).toEqual([1002]);
    expect((await wsClosed).code).toBe(1002);
    expect(errors).toEqual(['WS_ERR_INVALID_OPCODE']);
  });

  test('a write that fails reaches the error listener before the connection is gone', async () => {
    const { client } = await connect();
    const duplex = createWebSocketStream(client);
    const seen: string[] = [];
    duplex.on('error', (error) => seen.push(`error ${client.readyState}: ${error.message}`));
    // Not events.once, which rejects on the 'error' this test is about.
    const streamClosed = new Promise((resolve) => duplex.once('close', resolve));
    client.close();
    duplex.write('late');
    await streamClosed;
    expect(seen).toEqual([
      `error ${client.CLOSING}: WebSocket is not open: readyState 2 (CLOSING)`,
    ]);
    expect(duplex.destroyed).toBe(true);
    expect(client.readyState).toBe(client.CLOSED);
    // The stream's own listener went with the error, as with ws.
    expect(duplex.listenerCount('error')).toBe(1);
  });

  test('with no error listener, a failed write destroys the stream without throwing', async () => {
    const { client } = await connect();
    const duplex = createWebSocketStream(client);
    const thrown = uncaughtErrors(duplex);
    // Not events.once, which rejects on the 'error' this test is about.
    const streamClosed = new Promise((resolve) => duplex.once('close', resolve));
    client.close();
    duplex.write('late');
    await streamClosed;
    expect(thrown).toEqual([]);
    expect(duplex.destroyed).toBe(true);
  });

  test('destroying the stream fails a pipeline reading from it', async () => {
    const { client } = await connect();
    const duplex = createWebSocketStream(client);
    const piped = pipeline(duplex, new Writable({ write: (_chunk, _encoding, done) => done() }));
    duplex.destroy();
    await expect(piped).rejects.toThrow('Premature close');
    expect(client.readyState).toBe(client.CLOSED);
  });
});
