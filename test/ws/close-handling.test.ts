import { once } from 'node:events';
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closed,
  closePayload,
  closeServer,
  frame,
  KiB,
  listen,
  listenWs,
  parseFrames,
  portOf,
  RawPeer,
  rawServer,
  until,
  TEXT,
  BINARY,
  CLOSE,
  PING,
  openRaw,
} from './helpers.js';

/** What a 'message' listener saw and what became of the reply it sent. */
interface Reply {
  readyState: number;
  error: Error | null | undefined;
}

/** Echoes every message, upper-cased when text, recording what the listener saw. */
function echo(ws: WebSocket): Reply[] {
  const replies: Reply[] = [];
  ws.on('message', (data, isBinary) => {
    const reply: Reply = { readyState: ws.readyState, error: null };
    replies.push(reply);
    const payload = isBinary ? (data as Buffer) : (data as Buffer).toString().toUpperCase();
    ws.send(payload, { binary: isBinary }, (error) => {
      reply.error = error;
    });
  });
  return replies;
}

describe.each(backends)('replies to the messages read with a close (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test("a reply to a message in the same write as the peer's close precedes our close", async () => {
    const { peer, ws } = await openRaw(wss);
    const replies = echo(ws);
    const wsClosed = closed(ws);
    peer.write(
      Buffer.concat([frame(TEXT, 'a'), frame(TEXT, 'b'), frame(CLOSE, closePayload(4001, 'bye'))]),
    );
    const info = await wsClosed;
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [TEXT, 'A'],
      [TEXT, 'B'],
      [CLOSE, closePayload(4001, 'bye').toString()],
    ]);
    expect(replies).toEqual([
      { readyState: ws.OPEN, error: null },
      { readyState: ws.OPEN, error: null },
    ]);
    expect(info.code).toBe(4001);
    expect(ws.readyState).toBe(ws.CLOSED);
  });

  test('a reply to a message read with a protocol violation precedes the close 1002', async () => {
    const { peer, ws } = await openRaw(wss);
    const replies = echo(ws);
    const errors: (Error & { code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    // Text, a frame with a reserved opcode, then a ping that must go unanswered.
    peer.write(Buffer.concat([frame(TEXT, 'a'), frame(0x3, 'x'), frame(PING, 'p')]));
    expect((await wsClosed).code).toBe(1002);
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => f.opcode)).toEqual([TEXT, CLOSE]);
    expect(frames[0]!.payload.toString()).toBe('A');
    expect(closeCodeOf(frames[1])).toBe(1002);
    expect(replies).toEqual([{ readyState: ws.OPEN, error: null }]);
    expect(errors).toHaveLength(1);
  });

  test("a 256 KiB message followed by the peer's close is echoed before our close", async () => {
    const { peer, ws } = await openRaw(wss);
    const replies = echo(ws);
    const wsClosed = closed(ws);
    const big = Buffer.alloc(256 * KiB, 0x42);
    peer.write(Buffer.concat([frame(BINARY, big), frame(CLOSE, closePayload(1000))]));
    expect((await wsClosed).code).toBe(1000);
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => f.opcode)).toEqual([BINARY, CLOSE]);
    expect(frames[0]!.payload.equals(big)).toBe(true);
    expect(closeCodeOf(frames[1])).toBe(1000);
    expect(replies).toEqual([{ readyState: ws.OPEN, error: null }]);
  });

  test('close() from a listener in that read sends its own close, after its replies', async () => {
    const { peer, ws } = await openRaw(wss);
    ws.on('message', () => {
      ws.send('last');
      ws.close(4002, 'mine');
      expect(ws.readyState).toBe(ws.CLOSING);
    });
    const wsClosed = closed(ws);
    peer.write(Buffer.concat([frame(TEXT, 'a'), frame(CLOSE, closePayload(1000))]));
    expect((await wsClosed).code).toBe(1000);
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => f.opcode)).toEqual([TEXT, CLOSE]);
    expect(frames[1]!.payload).toEqual(closePayload(4002, 'mine'));
  });

  test('messages waiting for a blocked socket are not lost to the close wslay queues', async () => {
    const { peer, ws } = await openRaw(wss);
    peer.socket.pause();
    // Over the kernel's buffers: the socket stays blocked, and what is sent next waits here.
    ws.send(Buffer.alloc(8 * 1024 * KiB, 0x43));
    await new Promise((resolve) => setImmediate(resolve));
    const results: (Error | undefined)[] = [];
    for (const text of ['x', 'y', 'z']) ws.send(text, (error) => results.push(error));
    const wsClosed = closed(ws);
    peer.write(frame(CLOSE, closePayload(1000)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    peer.socket.resume();
    expect((await wsClosed).code).toBe(1000);
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => f.opcode)).toEqual([BINARY, TEXT, TEXT, TEXT, CLOSE]);
    expect(frames.slice(1, 4).map((f) => f.payload.toString())).toEqual(['x', 'y', 'z']);
    expect(results).toEqual([null, null, null]);
  });
});

describe.each(backends)('our client replying in the read of the server close (%s)', (backend) => {
  let server: Awaited<ReturnType<typeof rawServer>>;

  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  test('its masked reply precedes its masked close', async () => {
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { backend });
    await once(ws, 'open');
    const peer = await accepted;
    const replies = echo(ws);
    const wsClosed = closed(ws);
    peer.write(
      Buffer.concat([
        frame(TEXT, 'hi', { mask: false }),
        frame(CLOSE, closePayload(1000), { mask: false }),
      ]),
    );
    expect((await wsClosed).code).toBe(1000);
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [TEXT, 'HI'],
      [CLOSE, closePayload(1000).toString()],
    ]);
    // Both masked: the mask bit of each frame's second byte (the close starts at byte 8).
    expect(peer.received[1]! & 0x80).toBe(0x80);
    expect(peer.received[9]! & 0x80).toBe(0x80);
    expect(replies).toEqual([{ readyState: ws.OPEN, error: null }]);
  });
});

describe.each(backends)('a message listener that throws (%s)', (backend) => {
  test('costs no message: the rest of the read is delivered, then the exception escapes', async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    // What would reach 'uncaughtException': exceptions out of the socket's 'data' event.
    const escaped: unknown[] = [];
    const server = http.createServer();
    server.on('upgrade', (req, socket: Socket, head) => {
      const emit = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => boolean;
      (socket as unknown as { emit: typeof emit }).emit = (event, ...args) => {
        try {
          return emit(event, ...args);
        } catch (error) {
          escaped.push(error);
          return true;
        }
      };
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const connection = once(wss, 'connection');
    const peer = await RawPeer.open(portOf(server));
    const [ws] = (await connection) as [WebSocket];
    const received: string[] = [];
    ws.on('message', (data) => {
      received.push((data as Buffer).toString());
      if (received.length === 1) throw new Error('boom');
    });
    peer.write(Buffer.concat([frame(TEXT, 'a'), frame(TEXT, 'b'), frame(TEXT, 'c')]));
    await until(() => received.length === 3);
    expect(escaped.map((error) => (error as Error).message)).toEqual(['boom']);
    peer.write(frame(TEXT, 'd'));
    await until(() => received.length === 4);
    expect(received).toEqual(['a', 'b', 'c', 'd']);
    expect(ws.readyState).toBe(ws.OPEN);
    ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe.each(backends)('terminate() in a message listener (%s)', (backend) => {
  test('delivers no more of the read, where ws delivers the rest of it', async () => {
    const ours = await listen({ backend });
    const theirs = await listenWs();
    const delivered: string[][] = [];
    try {
      for (const server of [ours, theirs]) {
        const { peer, ws } = await openRaw(server as WebSocketServer);
        const received: string[] = [];
        delivered.push(received);
        ws.on('message', (data) => {
          received.push((data as Buffer).toString());
          ws.terminate();
        });
        const wsClosed = closed(ws);
        peer.write(Buffer.concat([frame(TEXT, 'a'), frame(TEXT, 'b'), frame(TEXT, 'c')]));
        expect((await wsClosed).code).toBe(1006);
      }
    } finally {
      await closeServer(ours);
      await closeServer(theirs);
    }
    expect(delivered).toEqual([['a'], ['a', 'b', 'c']]);
  });
});

describe.each(backends)('close codes wslay 1.1.1 judges differently from ws (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test.each([1012, 1013, 1014])('a close %i from the peer is reported and echoed', async (code) => {
    const connection = once(wss, 'connection');
    const peer = await RawPeer.open(portOf(wss));
    const [ws] = (await connection) as [WebSocket];
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    peer.write(frame(CLOSE, closePayload(code, 'later')));
    const info = await wsClosed;
    expect([info.code, info.reason.toString()]).toEqual([code, 'later']);
    await peer.closed;
    const frames = parseFrames(peer.received);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.payload).toEqual(closePayload(code, 'later'));
    expect(errors).toEqual([]);
  });

  test('a close frame with a 1-byte body is answered with 1002', async () => {
    const connection = once(wss, 'connection');
    const peer = await RawPeer.open(portOf(wss));
    const [ws] = (await connection) as [WebSocket];
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    peer.write(frame(CLOSE, Buffer.from([0x03])));
    expect((await wsClosed).code).toBe(1002);
    await peer.closed;
    expect(parseFrames(peer.received).map(closeCodeOf)).toEqual([1002]);
    expect(errors).toHaveLength(1);
  });

  test('a ws client closing with 1012 gets 1012 back', async () => {
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`);
    const [ws] = (await connection) as [WebSocket];
    await once(client, 'open');
    const serverClosed = closed(ws);
    const clientClosed = once(client, 'close') as Promise<[number, Buffer]>;
    client.close(1012, 'restart');
    expect((await serverClosed).code).toBe(1012);
    const [code] = await clientClosed;
    expect(code).toBe(1012);
  });

  test('our client reports and echoes a close 1013 from the server, masked', async () => {
    const server = await rawServer();
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { backend });
    await once(ws, 'open');
    const peer = await accepted;
    const wsClosed = closed(ws);
    peer.write(frame(CLOSE, closePayload(1013), { mask: false }));
    expect((await wsClosed).code).toBe(1013);
    await peer.closed;
    expect(parseFrames(peer.received).map(closeCodeOf)).toEqual([1013]);
    expect(peer.received[1]! & 0x80).toBe(0x80);
    await server.close();
  });
});

/** The part of a client that the program below uses, as ws and this package both have it. */
interface Sender {
  readonly bufferedAmount: number;
  send(data: string, cb: (error?: Error) => void): unknown;
  ping(data: Buffer, mask: boolean, cb: (error?: Error) => void): void;
  pong(data: string, mask: boolean, cb: (error?: Error) => void): void;
  close(code: number): void;
  once(event: string, listener: () => void): unknown;
}

/** Sends after close() and after 'close'; reports what the callbacks and bufferedAmount said. */
async function sendAfterClose(ws: Sender) {
  await new Promise<void>((resolve) => ws.once('open', resolve));
  const errors: string[] = [];
  const cb = (error?: Error) => errors.push(error?.message ?? 'none');
  ws.close(1000);
  const before = ws.bufferedAmount;
  ws.send('hello', cb);
  // Over the control frame limit: not checked once the connection is closing.
  ws.ping(Buffer.alloc(200), false, cb);
  ws.pong('pp', false, cb);
  const closing = ws.bufferedAmount - before;
  await new Promise<void>((resolve) => ws.once('close', resolve));
  const afterClose = ws.bufferedAmount;
  ws.send('x', cb);
  await until(() => errors.length === 4);
  return { closing, grew: ws.bufferedAmount - afterClose, errors };
}

describe.each(backends)('sending once the connection is closing (%s)', (backend) => {
  test('callbacks get the error and bufferedAmount grows, as with ws', async () => {
    const wss = await listen({ backend });
    const url = `ws://127.0.0.1:${portOf(wss)}/`;
    const theirs = await sendAfterClose(new WsClient(url));
    const ours = await sendAfterClose(new WebSocket(url, { backend }));
    expect(ours).toEqual(theirs);
    expect(ours).toEqual({
      closing: 207,
      grew: 1,
      errors: [
        'WebSocket is not open: readyState 2 (CLOSING)',
        'WebSocket is not open: readyState 2 (CLOSING)',
        'WebSocket is not open: readyState 2 (CLOSING)',
        'WebSocket is not open: readyState 3 (CLOSED)',
      ],
    });
    await closeServer(wss);
  });
});

test('the readyState constants and the accessors have the property descriptors of ws', () => {
  const shape = (cls: object, proto: object) => {
    const names = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];
    const accessors = ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol'];
    accessors.push('readyState', 'url', 'onopen', 'onerror', 'onclose', 'onmessage');
    return {
      onClass: names.map((name) => Object.getOwnPropertyDescriptor(cls, name)),
      onPrototype: names.map((name) => Object.getOwnPropertyDescriptor(proto, name)),
      enumerable: accessors.map((name) => Object.getOwnPropertyDescriptor(proto, name)?.enumerable),
    };
  };
  expect(shape(WebSocket, WebSocket.prototype)).toEqual(shape(WsClient, WsClient.prototype));
  expect(shape(WebSocket, WebSocket.prototype).onClass[1]).toEqual({
    value: 1,
    enumerable: true,
    writable: false,
    configurable: false,
  });
  expect(() => {
    (WebSocket as unknown as { OPEN: number }).OPEN = 7;
  }).toThrow(TypeError);
});
