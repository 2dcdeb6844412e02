import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { type PerMessageDeflateOptions, type WebSocket } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closeServer,
  frame,
  KiB,
  listen,
  nextMessage,
  pattern,
  portOf,
  RawPeer,
  until,
  upgradeRequest,
  TEXT,
} from './helpers.js';

const RSV1 = 4;

/** A message compressed by a new zlib stream with `options`, as RFC 7692 sends it. */
function compressed(data: Buffer, options: ZlibOptions = {}): Buffer {
  const out = deflateRawSync(data, { ...options, finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** Bytes where each 1000-byte run comes back 1500 bytes later: far for a small window. */
function farRepeats(size: number): Buffer {
  const unit = Buffer.concat([pattern(1000, 7), Buffer.alloc(500, 0x2e), pattern(1000, 7)]);
  return Buffer.concat(Array.from({ length: Math.ceil(size / unit.length) }, () => unit)).subarray(
    0,
    size,
  );
}

async function rawClient(port: number, offer: string): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  peer.write(upgradeRequest(port, { extra: `Sec-WebSocket-Extensions: ${offer}\r\n` }));
  await until(() => peer.received.includes('\r\n\r\n'));
  if (!peer.response().startsWith('HTTP/1.1 101 ')) throw new Error(peer.response());
  peer.received = peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
  return peer;
}

describe.each(backends)('compressed messages on the wire, byte for byte (%s)', (backend) => {
  async function serve(
    perMessageDeflate: PerMessageDeflateOptions,
    offers: string[],
    send: (sockets: WebSocket[]) => Promise<void>,
    counts: number[],
  ): Promise<Buffer[][]> {
    const wss = await listen({ backend, perMessageDeflate });
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => sockets.push(ws));
    const peers: RawPeer[] = [];
    for (const offer of offers) {
      peers.push(await rawClient(portOf(wss), offer));
      await until(() => sockets.length === peers.length);
    }
    await send(sockets);
    await until(() => peers.every((peer, i) => peer.frames().length === counts[i]));
    const payloads = peers.map((peer) => peer.frames().map((f) => f.payload));
    await closeServer(wss);
    return payloads;
  }

  /** Sends `data` on `ws` and waits until it is written. */
  function sent(ws: WebSocket, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      ws.send(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  const message = farRepeats(3000);

  test('a connection whose compressor was taken by another starts its next message anew', async () => {
    // maxLiveCompressors 1: b's message takes a's stream, so a's second is compressed as if
    // first. With a's context kept, it would refer back to its first.
    const [a, b] = await serve(
      { maxLiveCompressors: 1 },
      ['permessage-deflate', 'permessage-deflate'],
      async ([a, b]) => {
        await sent(a!, message);
        await sent(b!, message);
        await sent(a!, message);
      },
      [2, 1],
    );
    expect(a).toEqual([compressed(message), compressed(message)]);
    expect(b).toEqual([compressed(message)]);
  });

  test('the least recently used compressor is the one taken', async () => {
    const offers = ['permessage-deflate', 'permessage-deflate', 'permessage-deflate'];
    const [a, b, c] = await serve(
      { maxLiveCompressors: 2 },
      offers,
      async ([a, b, c]) => {
        await sent(a!, message);
        await sent(b!, message);
        await sent(a!, message); // a is now the most recently used
        await sent(c!, message); // takes b's
        await sent(a!, message);
      },
      [3, 1, 1],
    );
    expect(b).toEqual([compressed(message)]);
    expect(c).toEqual([compressed(message)]);
    // a kept its context throughout: its later messages refer back and are shorter.
    expect(a![0]).toEqual(compressed(message));
    expect(a!.slice(1).map((p) => p.length < a![0]!.length)).toEqual([true, true]);
  });

  test('a compressor is not passed to a connection with another window size', async () => {
    const offers = ['permessage-deflate', 'permessage-deflate; server_max_window_bits=10'];
    const [a, b] = await serve(
      { maxLiveCompressors: 1 },
      offers,
      async ([a, b]) => {
        await sent(a!, message);
        await sent(b!, message);
      },
      [1, 1],
    );
    expect(a).toEqual([compressed(message)]);
    expect(b).toEqual([compressed(message, { windowBits: 10 })]);
  });

  test('a window of 8 bits is compressed with 9, as zlib allows no less', async () => {
    const [a] = await serve(
      {},
      ['permessage-deflate; server_max_window_bits=8'],
      (ws) => sent(ws[0]!, message),
      [1],
    );
    expect(a).toEqual([compressed(message, { windowBits: 9 })]);
  });

  test.each([constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY])(
    'zlibDeflateOptions.strategy %i is used',
    async (strategy) => {
      const [a] = await serve(
        { zlibDeflateOptions: { strategy } },
        ['permessage-deflate'],
        (ws) => sent(ws[0]!, message),
        [1],
      );
      expect(a).toEqual([compressed(message, { strategy })]);
    },
  );

  test('connections without context takeover at other levels each compress at their own', async () => {
    const offer = 'permessage-deflate; server_no_context_takeover';
    for (const level of [1, 9]) {
      const [a] = await serve(
        { zlibDeflateOptions: { level } },
        [offer],
        (ws) => sent(ws[0]!, message),
        [1],
      );
      expect(a).toEqual([compressed(message, { level })]);
    }
  });
});

describe.each(backends)('compressed messages received (%s)', (backend) => {
  /** Messages from ws clients, each sent in turn, as the server received them. */
  async function relay(
    perMessageDeflate: PerMessageDeflateOptions,
    clients: { clientMaxWindowBits?: number }[],
    messages: [number, Buffer][],
  ): Promise<Buffer[]> {
    const wss = await listen({ backend, perMessageDeflate });
    const server: WebSocket[] = [];
    wss.on('connection', (ws) => server.push(ws));
    const sockets: WsWebSocket[] = [];
    for (const options of clients) {
      const ws = new WsWebSocket(`ws://127.0.0.1:${portOf(wss)}/`, {
        perMessageDeflate: { threshold: 0, ...options },
      });
      await once(ws, 'open');
      sockets.push(ws);
    }
    await until(() => server.length === clients.length);
    const received: Buffer[] = [];
    for (const [from, data] of messages) {
      const next = nextMessage(server[from]!);
      sockets[from]!.send(data);
      received.push((await next).data);
    }
    for (const ws of sockets) ws.terminate();
    await closeServer(wss);
    return received;
  }

  test('connections taking turns at one decompressor read every message whole', async () => {
    // 1 KiB windows (zlib refers back up to 762 bytes in them), so that the kept history grows, slides and is replaced. Each message
    // repeats the new bytes of the connection's message before last: they are in the part of
    // the history that was kept while the last one was appended (random, so that zlib refers
    // to those bytes and no others).
    const fresh: Buffer[][] = [[], []];
    const messages: [number, Buffer][] = [];
    const sizes = [60, 90, 120, 100, 80, 150, 130, 70, 110, 90, 100, 120, 140, 60, 1100, 80, 90];
    for (const size of [...sizes, 100, 120]) {
      for (const from of [0, 1]) {
        const mine = fresh[from]!;
        const older = mine.length >= 2 ? mine[mine.length - 2]!.subarray(-100) : Buffer.alloc(0);
        const bytes = randomBytes(size);
        mine.push(bytes);
        messages.push([from, Buffer.concat([bytes, older])]);
      }
    }
    const clients = [{ clientMaxWindowBits: 10 }, { clientMaxWindowBits: 10 }];
    const received = await relay({ maxLiveDecompressors: 1 }, clients, messages);
    expect(received).toEqual(messages.map(([, data]) => data));
  });

  test('messages past 64 KiB inflated are read whole', async () => {
    const data = pattern(200 * KiB, 3);
    expect(await relay({}, [{}], [[0, data]])).toEqual([data]);
  });

  test('connections without context takeover at other window sizes each read with their own', async () => {
    const clients = [{ clientMaxWindowBits: 9 }, {}];
    const messages: [number, Buffer][] = [
      [0, farRepeats(200 * KiB)],
      [1, farRepeats(200 * KiB)],
    ];
    const received = await relay({ clientNoContextTakeover: true }, clients, messages);
    expect(received).toEqual(messages.map(([, data]) => data));
  });

  test('a message that inflates to exactly maxPayload is delivered, one byte more is refused', async () => {
    const wss = await listen({ backend, perMessageDeflate: true, maxPayload: 1000 });
    const connection = once(wss, 'connection');
    const peer = await rawClient(portOf(wss), 'permessage-deflate');
    const [ws] = (await connection) as [WebSocket];
    ws.on('error', () => {});
    const message = nextMessage(ws);
    peer.write(frame(TEXT, compressed(Buffer.alloc(1000, 0x61)), { rsv: RSV1 }));
    expect((await message).data.length).toBe(1000);
    peer.write(frame(TEXT, compressed(Buffer.alloc(1001, 0x61)), { rsv: RSV1 }));
    await peer.closed;
    expect(peer.frames().map(closeCodeOf)).toEqual([1009]);
    await closeServer(wss);
  });

  test('a message that does not inflate is refused with 1007', async () => {
    const wss = await listen({ backend, perMessageDeflate: true });
    const connection = once(wss, 'connection');
    const peer = await rawClient(portOf(wss), 'permessage-deflate');
    const [ws] = (await connection) as [WebSocket];
    const errors: number[] = [];
    ws.on('error', (error: Error & { statusCode?: number }) => errors.push(error.statusCode!));
    // A block type of 3, which deflate does not have.
    peer.write(frame(TEXT, Buffer.from([0xff, 0xff, 0xff]), { rsv: RSV1 }));
    await peer.closed;
    expect(peer.frames().map(closeCodeOf)).toEqual([1007]);
    expect(errors).toEqual([1007]);
    await closeServer(wss);
  });
});
