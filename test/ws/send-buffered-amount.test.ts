// What bufferedAmount counts of what the application sends: messages still queued for the
// next write, what the socket holds for a peer that does not read, the close frame's payload
// while it waits behind a Blob (as ws counts it), and the replies owed to a peer that pings
// without reading, which count against maxBufferedAmount.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closeServer,
  frame,
  KiB,
  listen,
  MiB,
  openRaw,
  parseFrames,
  rawServer,
  until,
  PING,
} from './helpers.js';

/** A Blob whose bytes are handed out once the test calls `release()`. */
class GatedBlob extends Blob {
  readonly #gate: Promise<void>;
  release!: () => void;

  constructor(parts: string[]) {
    super(parts);
    this.#gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    await this.#gate;
    return super.arrayBuffer();
  }
}

/** A turn of the event loop: a flush scheduled before it has run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe.each(backends)('bufferedAmount of a client (%s)', (backend) => {
  let server: Awaited<ReturnType<typeof rawServer>>;

  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  test('counts each message from send() until it is written', async () => {
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { backend });
    await once(ws, 'open');
    const peer = await accepted;
    ws.send('hello');
    expect(ws.bufferedAmount).toBe(5);
    ws.send(Buffer.from('world!'));
    expect(ws.bufferedAmount).toBe(11);
    await until(() => parseFrames(peer.received).length === 2);
    expect(ws.bufferedAmount).toBe(0);
    ws.terminate();
  });
});

describe.each(backends)('bufferedAmount of a server connection (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test('counts what the socket holds for a peer that does not read', async () => {
    const { peer, ws } = await openRaw(wss);
    peer.socket.pause();
    // More than the kernel's buffers on both ends take.
    const size = 32 * MiB;
    ws.send(Buffer.alloc(size, 0x61));
    await nextTurn();
    const held = ws.bufferedAmount;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(size + 10);
    peer.socket.resume();
    await until(() => peer.receivedLength === size + 10, 20_000);
    await until(() => ws.bufferedAmount === 0);
    ws.terminate();
  });

  test('counts no close frame once nothing waits for a Blob', async () => {
    const { ws } = await openRaw(wss);
    ws.close(4000, 'done');
    expect(ws.bufferedAmount).toBe(0);
    await nextTurn();
    ws.terminate();
  });

  test('counts the payload of a close that waits behind a Blob: the code without a reason', async () => {
    const { ws } = await openRaw(wss);
    const blob = new GatedBlob(['blob']);
    ws.send(blob);
    ws.close(4000);
    expect(ws.bufferedAmount).toBe(4 + 2);
    blob.release();
    ws.terminate();
  });

  test('counts what waits behind a second Blob once the first is sent, then nothing', async () => {
    const { peer, ws } = await openRaw(wss);
    const first = new GatedBlob(['one']);
    const second = new GatedBlob(['second']);
    ws.send(first);
    ws.send('ab');
    ws.send(second);
    ws.send('cdef');
    expect(ws.bufferedAmount).toBe(3 + 2 + 6 + 4);
    first.release();
    await until(() => parseFrames(peer.received).length === 2);
    await until(() => ws.bufferedAmount < 6 + 4 + 2);
    expect(ws.bufferedAmount).toBe(6 + 4);
    second.release();
    await until(() => parseFrames(peer.received).length === 4);
    await until(() => ws.bufferedAmount === 0);
    expect(parseFrames(peer.received).map((f) => f.payload.toString())).toEqual([
      'one',
      'ab',
      'second',
      'cdef',
    ]);
    ws.terminate();
  });

  test('counts nothing for a close without a code that waits behind a Blob', async () => {
    const { ws } = await openRaw(wss);
    const blob = new GatedBlob(['blob']);
    ws.send(blob);
    ws.close();
    expect(ws.bufferedAmount).toBe(4);
    blob.release();
    ws.terminate();
  });
});

describe.each(backends)('a peer that pings without reading (%s)', (backend) => {
  test('is dropped once the pongs owed and what it left unread pass maxBufferedAmount', async () => {
    const maxBufferedAmount = 1 * MiB;
    const wss = await listen({ backend, maxBufferedAmount });
    const { peer, ws } = await openRaw(wss);
    peer.socket.pause();
    const errors: (Error & { code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    // Fill the kernel's buffers, then the socket's to over half the limit.
    const chunk = Buffer.alloc(256 * KiB);
    while (ws.bufferedAmount + chunk.length <= maxBufferedAmount - chunk.length) {
      ws.send(chunk);
      await nextTurn();
    }
    expect(ws.bufferedAmount).toBeGreaterThan(maxBufferedAmount / 2);
    // Each empty ping owes a pong counted 64 bytes: these owe half the limit, which alone
    // is within it, but not on top of what the socket holds.
    const pings = maxBufferedAmount / 2 / 64;
    peer.write(Buffer.concat(Array.from({ length: pings }, () => frame(PING))));
    expect((await wsClosed).code).toBe(1006);
    expect(errors.map((error) => error.code)).toEqual(['WS_ERR_BUFFER_FULL']);
    await closeServer(wss);
  });
});
