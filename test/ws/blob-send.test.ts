// send(Blob), ping(Blob) and pong(Blob) as ws 8 does them: the Blob is read asynchronously
// and everything sent after it (messages, pings, pongs, broadcasts, the close frames) waits
// behind it, counted in bufferedAmount. A Blob whose read the test releases (GatedBlob)
// makes each moment of the read observable.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closed,
  closePayload,
  closeServer,
  frame,
  listen,
  parseFrames,
  portOf,
  RawPeer,
  rawServer,
  until,
  TEXT,
  BINARY,
  CLOSE,
  PING,
  PONG,
  openRaw,
} from './helpers.js';

/** A Blob whose bytes are handed out once the test calls `release()` (or `fail()`). */
class GatedBlob extends Blob {
  readonly #gate: Promise<void>;
  release!: () => void;
  fail!: (error: Error) => void;
  reads = 0;

  constructor(parts: string[]) {
    super(parts);
    this.#gate = new Promise((resolve, reject) => {
      this.release = resolve;
      this.fail = reject;
    });
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    this.reads++;
    await this.#gate;
    return super.arrayBuffer();
  }
}

/** The opcode and text of each frame a raw peer received. */
function framesOf(peer: RawPeer): [number, string][] {
  return parseFrames(peer.received).map((f) => [f.opcode, f.payload.toString()]);
}

describe.each(backends)('a server connection sending a Blob (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test('what is sent after it waits for it, and counts in bufferedAmount meanwhile', async () => {
    const { peer, ws } = await openRaw(wss);
    const calls: string[] = [];
    ws.send('before', () => calls.push('before'));
    await until(() => peer.receivedLength > 0);
    const blob = new GatedBlob(['the ', 'blob']);
    ws.send(blob, () => calls.push('blob'));
    expect(ws.bufferedAmount).toBe(8);
    ws.send('after', () => calls.push('after'));
    ws.ping('p', () => calls.push('ping'));
    ws.pong(new Blob(['q']), () => calls.push('pong'));
    wss.broadcast('to all');
    ws.send(new Blob(['as text']), { binary: false });
    expect(ws.bufferedAmount).toBe(8 + 5 + 1 + 1 + 8 + 7);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(framesOf(peer)).toEqual([[TEXT, 'before']]);
    expect(calls).toEqual(['before']);
    blob.release();
    await until(() => framesOf(peer).length === 7);
    expect(framesOf(peer)).toEqual([
      [TEXT, 'before'],
      [BINARY, 'the blob'],
      [TEXT, 'after'],
      [PING, 'p'],
      [PONG, 'q'],
      [TEXT, 'to all'],
      [TEXT, 'as text'],
    ]);
    await until(() => calls.length === 5);
    expect(calls).toEqual(['before', 'blob', 'after', 'ping', 'pong']);
    expect(ws.bufferedAmount).toBe(0);
    ws.terminate();
  });

  test('close() while it is read: CLOSING at once, the close frame after it', async () => {
    const { peer, ws } = await openRaw(wss);
    const blob = new GatedBlob(['last words']);
    ws.send(blob);
    ws.send('and these');
    ws.close(4000, 'done');
    expect(ws.readyState).toBe(ws.CLOSING);
    // The close frame's payload counts too, as in ws.
    expect(ws.bufferedAmount).toBe(10 + 9 + 6);
    const late: (Error | undefined)[] = [];
    ws.send('too late', (error) => late.push(error));
    await until(() => late.length === 1);
    expect(late[0]?.message).toBe('WebSocket is not open: readyState 2 (CLOSING)');
    expect(peer.receivedLength).toBe(0);
    blob.release();
    await until(() => framesOf(peer).length === 3);
    peer.write(frame(CLOSE, closePayload(4000)));
    expect((await closed(ws)).code).toBe(4000);
    expect(framesOf(peer)).toEqual([
      [BINARY, 'last words'],
      [TEXT, 'and these'],
      [CLOSE, closePayload(4000, 'done').toString()],
    ]);
  });

  test("the peer's close while it is read is answered after it, as ws answers", async () => {
    const { peer, ws } = await openRaw(wss);
    const blob = new GatedBlob(['reply']);
    ws.send(blob);
    const wsClosed = closed(ws);
    peer.write(frame(CLOSE, closePayload(1001, 'away')));
    await until(() => ws.readyState === ws.CLOSING);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(peer.receivedLength).toBe(0);
    blob.release();
    expect(await wsClosed).toEqual({ code: 1001, reason: 'away' });
    await peer.closed;
    expect(framesOf(peer)).toEqual([
      [BINARY, 'reply'],
      [CLOSE, closePayload(1001, 'away').toString()],
    ]);
  });

  test("a Blob sent in reply to a message read with the peer's close precedes our close", async () => {
    const { peer, ws } = await openRaw(wss);
    ws.on('message', (data) => {
      ws.send(new Blob([(data as Buffer).toString().toUpperCase()]), { binary: false });
      ws.send('then text');
    });
    const wsClosed = closed(ws);
    peer.write(Buffer.concat([frame(TEXT, 'hi'), frame(CLOSE, closePayload(1000))]));
    expect((await wsClosed).code).toBe(1000);
    await peer.closed;
    expect(framesOf(peer)).toEqual([
      [TEXT, 'HI'],
      [TEXT, 'then text'],
      [CLOSE, closePayload(1000).toString()],
    ]);
  });

  test('terminate() while it is read: its callback and those behind it get an error', async () => {
    const { peer, ws } = await openRaw(wss);
    const blob = new GatedBlob(['never']);
    const events: string[] = [];
    ws.send(blob, (error) => events.push(`blob: ${error?.message}`));
    ws.ping('behind', (error) => events.push(`ping: ${error?.message}`));
    ws.on('close', (code) => events.push(`close ${code}`));
    ws.terminate();
    await once(ws, 'close');
    blob.release();
    await until(() => events.length === 3);
    const error = 'The socket was closed while the blob was being read';
    expect(events).toEqual(['close 1006', `blob: ${error}`, `ping: ${error}`]);
    await peer.closed;
    expect(peer.receivedLength).toBe(0);
  });

  test('a Blob that cannot be read: the callbacks and an error, the connection ends', async () => {
    const { peer, ws } = await openRaw(wss);
    const blob = new GatedBlob(['unreadable']);
    const calls: (Error | undefined)[] = [];
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    ws.send(blob, (error) => calls.push(error));
    ws.send('behind', (error) => calls.push(error));
    const wsClosed = closed(ws);
    const failure = new Error('NotReadableError');
    blob.fail(failure);
    expect((await wsClosed).code).toBe(1006);
    expect(calls).toEqual([failure, failure]);
    expect(errors).toEqual([failure]);
    await peer.closed;
    expect(peer.receivedLength).toBe(0);
  });

  test('one Blob is read at a time, each after what was sent before it', async () => {
    const { peer, ws } = await openRaw(wss);
    const first = new GatedBlob(['one']);
    const second = new GatedBlob(['two']);
    ws.send(first);
    ws.send('between');
    ws.send(second);
    ws.send('last');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect([first.reads, second.reads]).toEqual([1, 0]);
    second.release();
    first.release();
    await until(() => framesOf(peer).length === 4);
    expect(framesOf(peer)).toEqual([
      [BINARY, 'one'],
      [TEXT, 'between'],
      [BINARY, 'two'],
      [TEXT, 'last'],
    ]);
    ws.terminate();
  });

  test('fin: false pieces, Blobs among them, make one message', async () => {
    const { peer, ws } = await openRaw(wss);
    ws.send(new Blob(['a ']), { fin: false });
    ws.send(Buffer.from('b '), { fin: false });
    expect(ws.bufferedAmount).toBe(4);
    ws.send(new Blob(['c']));
    await until(() => framesOf(peer).length === 1);
    expect(framesOf(peer)).toEqual([[BINARY, 'a b c']]);
    ws.terminate();
  });

  test('ping() and pong() refuse a Blob over 125 bytes, as ws', async () => {
    const { ws } = await openRaw(wss);
    const big = new Blob([Buffer.alloc(126)]);
    expect(() => ws.ping(big)).toThrow(
      new RangeError('The data size must not be greater than 125 bytes'),
    );
    expect(() => ws.pong(big)).toThrow(RangeError);
    ws.terminate();
    await once(ws, 'close');
    // Once closed, a Blob's size counts in bufferedAmount, as any data's does.
    ws.send(big);
    expect(ws.bufferedAmount).toBe(126);
  });
});

describe.each(backends)('our client sending Blobs to a ws server (%s)', (backend) => {
  let wss: WsServer;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    await once(wss, 'listening');
    url = `ws://127.0.0.1:${portOf(wss)}/`;
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        seen.push(`${isBinary ? 'binary' : 'text'} ${(data as Buffer).toString()}`);
      });
      ws.on('ping', (data) => seen.push(`ping ${String(data)}`));
    });
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  test('arrive in call order, compressed in that order too', async () => {
    seen.length = 0;
    const ws = new WebSocket(url, { backend });
    await once(ws, 'open');
    expect(ws.extensions).toBe('permessage-deflate');
    // Compressed messages share one context: compressed out of order, they would not inflate.
    const long = 'a sentence that compresses, repeated. '.repeat(20);
    ws.send(long);
    ws.send(new Blob([long, 'blob']), { binary: false });
    ws.send(long + 'after');
    ws.ping(new Blob(['p']));
    ws.close();
    await once(ws, 'close');
    await until(() => seen.length === 4);
    expect(seen).toEqual([`text ${long}`, `text ${long}blob`, `text ${long}after`, 'ping p']);
  });

  test('a ws client sends us a Blob, which arrives like any binary message', async () => {
    const ours = await listen({ backend });
    const received = new Promise<Buffer>((resolve) => {
      ours.on('connection', (ws) => ws.on('message', (data) => resolve(data as Buffer)));
    });
    const theirs = new WsClient(`ws://127.0.0.1:${portOf(ours)}/`);
    await once(theirs, 'open');
    theirs.send(new Blob(['from ws']));
    expect(String(await received)).toBe('from ws');
    theirs.close();
    await closeServer(ours);
  });
});

describe.each(backends)('our client with generateMask (%s)', (backend) => {
  let server: Awaited<ReturnType<typeof rawServer>>;

  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  test('its frames written past wslay (a reply, then the close) take their keys from it', async () => {
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, {
      backend,
      generateMask: (mask) => mask.fill(0),
    });
    await once(ws, 'open');
    const peer = await accepted;
    ws.on('message', () => ws.send(new Blob(['reply'])));
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
    expect(frames.map((f) => f.opcode)).toEqual([BINARY, CLOSE]);
    expect(closeCodeOf(frames[1])).toBe(1000);
    // Masked with a zero key: the key bytes are zero and the payload reads as it is.
    expect(peer.received.subarray(0, 2 + 4 + 5)).toEqual(
      Buffer.concat([Buffer.from([0x82, 0x85, 0, 0, 0, 0]), Buffer.from('reply')]),
    );
    expect(peer.received.subarray(11, 11 + 6)).toEqual(Buffer.from([0x88, 0x82, 0, 0, 0, 0]));
  });
});
