// What send() makes of each kind of data and option, seen on the wire by a raw peer, beside
// what a `ws` server connection sends for the same call; and how send() counts what waits to
// go out: bufferedAmount, highWaterMark (and 'drain'), maxBufferedAmount.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closePayload,
  closeServer,
  frame,
  listen,
  openRaw,
  until,
  type Frame,
} from './helpers.js';

type Sender = Pick<WebSocket, 'send'>;

/** The messages (opcode and bytes) in `frames`, continuation frames joined to their first. */
function messagesOf(frames: Frame[]): [number, string][] {
  const messages: [number, string][] = [];
  let partial: { opcode: number; parts: Buffer[] } | null = null;
  for (const f of frames) {
    if (f.opcode >= 0x8) continue;
    partial ??= { opcode: f.opcode, parts: [] };
    partial.parts.push(f.payload);
    if (f.fin) {
      messages.push([partial.opcode, Buffer.concat(partial.parts).toString('latin1')]);
      partial = null;
    }
  }
  return messages;
}

/** The server connection's callback results, once each has run. */
function callbackResults(count: number): {
  callbacks: ((error?: Error | null) => void)[];
  results: Promise<(Error | null | undefined)[]>;
} {
  const resolvers: ((value: Error | null | undefined) => void)[] = [];
  const promises = Array.from(
    { length: count },
    () => new Promise<Error | null | undefined>((resolve) => resolvers.push(resolve)),
  );
  return {
    callbacks: resolvers.map((resolve) => (error?: Error | null) => resolve(error)),
    results: Promise.all(promises),
  };
}

/** Bytes with a known layout under typed arrays and DataViews at an offset. */
function typedViews(): ArrayBufferView[] {
  const buffer = new ArrayBuffer(8);
  Buffer.from(buffer).write('abcdefgh', 'latin1');
  return [new Uint16Array(buffer, 2, 2), new DataView(buffer, 5, 2), new Float64Array(buffer)];
}

describe.each(backends)('send() arguments, as ws sends them (%s)', (backend) => {
  let ours: WebSocketServer;
  let theirs: WsServer;

  beforeAll(async () => {
    ours = await listen({ backend });
    theirs = new WsServer({ port: 0, host: '127.0.0.1' });
    await once(theirs, 'listening');
  });
  afterAll(async () => {
    await closeServer(ours);
    for (const client of theirs.clients) client.terminate();
    await new Promise<void>((resolve) => theirs.close(() => resolve()));
  });

  /** The messages a raw peer receives from our server connection and from ws's for `act`. */
  async function both(act: (ws: Sender) => void, count: number): Promise<[number, string][][]> {
    const results: [number, string][][] = [];
    for (const server of [ours, theirs as unknown as WebSocketServer]) {
      const { peer, ws } = await openRaw(server);
      act(ws);
      await until(() => messagesOf(peer.frames()).length >= count);
      results.push(messagesOf(peer.frames()));
      ws.terminate();
    }
    return results;
  }

  test('a number is sent as text; typed arrays and DataViews as the bytes they view', async () => {
    const [mine, ws] = await both((conn) => {
      conn.send(42);
      for (const view of typedViews()) conn.send(view);
      conn.send([0x68, 0x69]);
    }, 5);
    expect(mine).toEqual([
      [0x1, '42'],
      [0x2, 'cdef'],
      [0x2, 'fg'],
      [0x2, 'abcdefgh'],
      [0x2, 'hi'],
    ]);
    expect(mine).toEqual(ws);
  });

  test('fin: false pieces make one message of the first piece type, as ws sends them', async () => {
    const [mine, ws] = await both((conn) => {
      conn.send('a', { fin: false });
      conn.send(Buffer.from('b'), { fin: false });
      conn.send(new Uint8Array([0x63]));
      conn.send(Buffer.from('d'), { fin: false });
      conn.send('e');
      conn.send('f');
    }, 3);
    expect(mine).toEqual([
      [0x1, 'abc'],
      [0x2, 'de'],
      [0x1, 'f'],
    ]);
    expect(mine).toEqual(ws);
  });

  test('data of no kind it takes is a TypeError that names what it takes', async () => {
    const { peer, ws } = await openRaw(ours);
    expect(() => ws.send({})).toThrow(
      new TypeError(
        'data must be a string, a Buffer, an ArrayBuffer, a typed array or an array of bytes, ' +
          'got an object',
      ),
    );
    expect(() => ws.send('x', 5 as never)).toThrow(
      new TypeError('options must be an object, got 5'),
    );
    ws.terminate();
    await peer.closed;
    expect(peer.frames()).toEqual([]);
  });
});

describe.each(backends)('send() and what waits to go out (%s)', (backend) => {
  let wss: WebSocketServer;

  afterAll(() => closeServer(wss));

  beforeAll(async () => {
    wss = await listen({ backend, highWaterMark: 8, maxBufferedAmount: 12 });
  });

  test("each piece's callback runs once its message is written; pieces count as buffered", async () => {
    const { peer, ws } = await openRaw(wss);
    const first = callbackResults(3);
    ws.send('ab', { fin: false }, first.callbacks[0]);
    ws.send('cde', { fin: false }, first.callbacks[1]);
    expect(ws.bufferedAmount).toBe(5);
    ws.send('f', first.callbacks[2]);
    expect(await first.results).toEqual([null, null, null]);
    const second = callbackResults(1);
    ws.send('g', { fin: false }, second.callbacks[0]);
    ws.send('h');
    expect(await second.results).toEqual([null]);
    const third = callbackResults(2);
    ws.send('i', { fin: false }, third.callbacks[0]);
    ws.send('j', third.callbacks[1]);
    expect(await third.results).toEqual([null, null]);
    await until(() => messagesOf(peer.frames()).length === 3);
    expect(messagesOf(peer.frames())).toEqual([
      [0x1, 'abcdef'],
      [0x1, 'gh'],
      [0x1, 'ij'],
    ]);
    expect(ws.bufferedAmount).toBe(0);
    ws.terminate();
  });

  test('pieces never completed: their callbacks get an error when the connection ends', async () => {
    const { ws } = await openRaw(wss);
    const pending = callbackResults(2);
    ws.send('ab', { fin: false }, pending.callbacks[0]);
    ws.send('cd', { fin: false }, pending.callbacks[1]);
    const close = closed(ws);
    ws.terminate();
    await close;
    const errors = await pending.results;
    expect(errors.map((error) => error?.message)).toEqual([
      'WebSocket is not open: readyState 3 (CLOSED)',
      'WebSocket is not open: readyState 3 (CLOSED)',
    ]);
    expect(ws.bufferedAmount).toBe(0);
  });

  test('what is sent once closed counts in bufferedAmount for good, and send() says false', async () => {
    const { ws } = await openRaw(wss);
    const close = closed(ws);
    ws.terminate();
    await close;
    const before = ws.bufferedAmount;
    const late = callbackResults(2);
    expect(ws.send('abcd', late.callbacks[0])).toBe(false);
    ws.ping('xy', undefined, late.callbacks[1]);
    expect(ws.bufferedAmount).toBe(before + 6);
    expect((await late.results).map((error) => error?.message)).toEqual([
      'WebSocket is not open: readyState 3 (CLOSED)',
      'WebSocket is not open: readyState 3 (CLOSED)',
    ]);
  });

  test('send() is false from highWaterMark bytes on; one drain follows, none before', async () => {
    const { ws } = await openRaw(wss);
    let drains = 0;
    ws.on('drain', () => drains++);
    const below = callbackResults(1);
    expect(ws.send('1234567', below.callbacks[0])).toBe(true);
    await below.results;
    expect(drains).toBe(0);
    const drain = once(ws, 'drain');
    expect(ws.send('12345678')).toBe(false);
    await drain;
    const after = callbackResults(1);
    expect(ws.send('1', after.callbacks[0])).toBe(true);
    await after.results;
    expect(drains).toBe(1);
    ws.terminate();
  });

  test('a piece that takes bufferedAmount to highWaterMark: drain once its message is out', async () => {
    const { ws } = await openRaw(wss);
    let ended = false;
    const drainedAfterEnd: boolean[] = [];
    ws.on('drain', () => drainedAfterEnd.push(ended));
    expect(ws.send('12345678', { fin: false })).toBe(false);
    // A ping written meanwhile leaves the piece, highWaterMark bytes, still waiting.
    const ping = callbackResults(1);
    ws.ping('', undefined, ping.callbacks[0]);
    expect(await ping.results).toEqual([null]);
    const drain = once(ws, 'drain');
    ended = true;
    ws.send('9');
    await drain;
    expect(drainedAfterEnd).toEqual([true]);
    ws.terminate();
  });

  test('maxBufferedAmount bytes may wait; one more ends the connection with WS_ERR_BUFFER_FULL', async () => {
    const { peer, ws } = await openRaw(wss);
    const fits = callbackResults(1);
    ws.send('123456789012', fits.callbacks[0]);
    expect(await fits.results).toEqual([null]);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const close = closed(ws);
    const over = callbackResults(1);
    expect(ws.send('1234567890123', over.callbacks[0])).toBe(false);
    const [error] = await over.results;
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toBe(
      'More than 12 bytes are waiting for the peer to read them; the connection was terminated',
    );
    expect(Object.keys(error!)).toEqual(['code']);
    expect((error as Error & { code: string }).code).toBe('WS_ERR_BUFFER_FULL');
    expect(errors).toEqual([error]);
    expect((await close).code).toBe(1006);
    await peer.closed;
    expect(messagesOf(peer.frames())).toEqual([[0x1, '123456789012']]);
  });
});

describe.each(backends)('broadcast() and the state of each connection (%s)', (backend) => {
  test('a frame of maxBufferedAmount bytes reaches a connection; a closing one gets none', async () => {
    const wss = await listen({ backend, maxBufferedAmount: 12 });
    const { peer, ws } = await openRaw(wss);
    // A 10-byte payload makes a 12-byte frame.
    expect(wss.broadcast('0123456789')).toBe(1);
    await until(() => messagesOf(peer.frames()).length === 1);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
    await until(() => peer.frames().some((f) => f.opcode === 0x8));
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    // Over maxBufferedAmount too: a closing connection is left to finish its handshake.
    expect(wss.broadcast('late, and longer than twelve bytes')).toBe(0);
    const close = closed(ws);
    peer.write(frame(0x8, closePayload(1000)));
    expect(await close).toEqual({ code: 1000, reason: '' });
    expect(messagesOf(peer.frames())).toEqual([[0x1, '0123456789']]);
    await closeServer(wss);
  });
});
