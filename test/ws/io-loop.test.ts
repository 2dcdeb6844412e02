import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { EventContext, WebSocket, WebSocketServer } from '../../src/index.js';
import { LARGE_FRAME } from '../../src/ws/engine-choice.js';
import { backends, closed, frame, parseFrames, portOf, RawPeer, until } from './helpers.js';
import { messageText } from '../helpers/message-text.js';

/** A noServer WebSocketServer behind an HTTP server that counts each socket's writes. */
async function countingServer(backend: 'native' | 'fallback') {
  const wss = new WebSocketServer({ noServer: true, backend });
  const writes: number[] = [];
  const server = http.createServer();
  server.on('upgrade', (req, socket: Socket, head) => {
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    (socket as unknown as { write: typeof write }).write = (...args) => {
      writes.push(Buffer.byteLength(args[0] as Buffer));
      return write(...args);
    };
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    wss,
    writes,
    port: portOf(server),
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
}

describe.each(backends)('the I/O loop batches its crossings into wslay (%s)', (backend) => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('messages sent in one tick leave in a single socket write', async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    const before = srv.writes.length;
    for (let i = 0; i < 100; i++) ws.send(`message ${i}`);
    ws.ping('p');
    await until(() => parseFrames(peer.received).length === 101);
    expect(srv.writes.length - before).toBe(1);
    const frames = parseFrames(peer.received);
    // In the order of the calls, though wslay alone would send the ping ahead of the rest.
    expect(frames.slice(0, 100).map((f) => f.payload.toString())).toEqual(
      Array.from({ length: 100 }, (_, i) => `message ${i}`),
    );
    expect(frames[100]!.opcode).toBe(0x9);
    await srv.close();
  });

  test('one socket read is handed to wslay with one recvFrom(), whatever the number of frames', async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    const received: string[] = [];
    ws.on('message', (data) => received.push(messageText(data)));
    const recv = vi.spyOn(EventContext.prototype, 'recvFrom');
    const send = vi.spyOn(EventContext.prototype, 'sendAll');
    peer.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => frame(0x1, `m${i}`))));
    await until(() => received.length === 50);
    expect(recv).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledTimes(0);
    expect(received[49]).toBe('m49');
    await srv.close();
  });

  test('an idle connection holds no wslay context until the first byte in or out', async () => {
    const srv = await countingServer(backend);
    const made = vi.spyOn(EventContext, 'server');
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    const client = new WebSocket(`ws://127.0.0.1:${srv.port}`, { backend });
    const madeByClient = vi.spyOn(EventContext, 'client');
    await once(client, 'open');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(made).not.toHaveBeenCalled();
    expect(madeByClient).not.toHaveBeenCalled();
    expect(ws.bufferedAmount).toBe(0);

    const received = once(ws, 'message');
    peer.write(frame(0x1, 'first'));
    expect(String((await received)[0])).toBe('first');
    expect(made).toHaveBeenCalledTimes(1);
    client.send('out');
    expect(madeByClient).toHaveBeenCalledTimes(1);
    client.close();
    await closed(client);
    await srv.close();
  });

  test('a server connection that only sends frames its messages itself: no wslay context', async () => {
    const srv = await countingServer(backend);
    const made = vi.spyOn(EventContext, 'server');
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    const big = Buffer.alloc(70_000, 7);
    const written = new Promise<Error | undefined>((resolve) => ws.send('first', resolve));
    ws.send(big);
    ws.ping('p');
    ws.send(Buffer.alloc(200, 1), { binary: false });
    expect(await written).toBeNull();
    await until(() => parseFrames(peer.received).length === 4);
    expect(made).not.toHaveBeenCalled();
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
      [0x1, 5],
      [0x2, 70_000],
      [0x9, 1],
      [0x1, 200],
    ]);
    expect(frames[1]!.payload.equals(big)).toBe(true);
    // The first read makes the context; what is sent after it still follows what came before.
    const echoed = once(ws, 'message');
    peer.write(frame(0x1, 'in'));
    await echoed;
    expect(made).toHaveBeenCalledTimes(1);
    ws.send('after');
    await until(() => parseFrames(peer.received).length === 5);
    expect(parseFrames(peer.received)[4]!.payload.toString()).toBe('after');
    await srv.close();
  });

  test('a context that cannot be made fails that connection with an error, not the process', async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    vi.spyOn(EventContext, 'server').mockImplementation(() => {
      throw new Error('wslay could not create a context (out of memory)');
    });
    const errors: Error[] = [];
    const afterError: (Error | undefined)[] = [];
    ws.on('error', (error) => {
      errors.push(error);
      // Finds the connection gone: no second attempt, no second error.
      ws.send('after the error', (e) => afterError.push(e));
    });
    peer.write(frame(0x1, 'hello'));
    const { code } = await closed(ws);
    expect(code).toBe(1006);
    expect(errors.map((e) => e.message)).toEqual([
      'wslay could not create a context (out of memory)',
    ]);
    await until(() => afterError.length === 1);
    expect(afterError[0]?.message).toMatch(/not open/);
    await peer.closed;
    await srv.close();
  });

  test('a reply from a message listener is written before the read that brought the message ends', async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws, req] = (await connection) as [WebSocket, http.IncomingMessage];
    ws.on('message', (data) => ws.send(data));
    // The loop starts reading on a later turn: a listener added after it runs after it.
    await new Promise((resolve) => setImmediate(resolve));
    const writesWhenReadEnds: number[] = [];
    req.socket.on('data', () => writesWhenReadEnds.push(srv.writes.length));
    const before = srv.writes.length;
    peer.write(frame(0x1, 'echo'));
    await until(() => writesWhenReadEnds.length > 0);
    expect(writesWhenReadEnds[0]).toBe(before + 1);
    await srv.close();
  });

  test('echoing a batch of messages costs one recvFrom() and one sendAll()', async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    const recv = vi.spyOn(EventContext.prototype, 'recvFrom');
    const send = vi.spyOn(EventContext.prototype, 'sendAll');
    const before = srv.writes.length;
    peer.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => frame(0x2, Buffer.from([i])))));
    await until(() => parseFrames(peer.received).length === 50);
    expect(recv).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledTimes(1);
    expect(srv.writes.length - before).toBe(1);
    await srv.close();
  });

  test("a server's large message is written from the sender's buffer, behind what wslay held", async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    ws.on('message', () => ws.send('small reply'));
    peer.write(frame(0x1, 'hi'));
    await until(() => parseFrames(peer.received).length === 1);
    const queued = vi.spyOn(EventContext.prototype, 'queueMsg');
    const large = Buffer.alloc(LARGE_FRAME * 2, 7);
    let sent = false;
    ws.ping('before');
    ws.send(large, () => {
      sent = true;
    });
    await until(() => parseFrames(peer.received).length === 3 && sent);
    expect(queued).toHaveBeenCalledTimes(1); // the ping alone
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => f.opcode)).toEqual([0x1, 0x9, 0x2]);
    expect(frames[2]!.payload.equals(large)).toBe(true);
    await srv.close();
  });

  test('a close requested after a burst of messages goes out after all of them', async () => {
    const srv = await countingServer(backend);
    const connection = once(srv.wss, 'connection');
    const peer = await RawPeer.open(srv.port);
    const [ws] = (await connection) as [WebSocket];
    for (let i = 0; i < 20; i++) ws.send(Buffer.alloc(1000, i));
    ws.close(1000, 'done');
    peer.write(frame(0x8, Buffer.from([0x03, 0xe8])));
    expect(await closed(ws)).toEqual({ code: 1000, reason: '' });
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames).toHaveLength(21);
    expect(frames[20]!.opcode).toBe(0x8);
    await srv.close();
  });
});

test.each(backends)(
  'a client connection also writes each tick in one piece (%s)',
  async (backend) => {
    const srv = await countingServer(backend);
    const server = once(srv.wss, 'connection');
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { backend });
    await once(ws, 'open');
    const [serverSide] = (await server) as [WebSocket];
    const received: string[] = [];
    serverSide.on('message', (data) => received.push(messageText(data)));
    const send = vi.spyOn(EventContext.prototype, 'sendAll');
    for (let i = 0; i < 30; i++) ws.send(`c${i}`);
    await until(() => received.length === 30);
    expect(send).toHaveBeenCalledTimes(1);
    expect(received[29]).toBe('c29');
    vi.restoreAllMocks();
    ws.terminate();
    await srv.close();
  },
);
