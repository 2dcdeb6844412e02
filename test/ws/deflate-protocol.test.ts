import { createServer } from 'node:net';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  acceptFor,
  backends,
  closeCodeOf,
  closed,
  closeServer,
  frame,
  listen,
  MiB,
  nextMessage,
  portOf,
  RawPeer,
  until,
  upgradeRequest,
} from './helpers.js';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const RSV1 = 4;

/** A message compressed on its own, as RFC 7692 §7.2.1 sends it. */
function compress(data: Buffer | string): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

function inflate(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, TRAILER]), { finishFlush: constants.Z_SYNC_FLUSH });
}

/** A raw client that offered `offer` and got a 101; the response head is returned too. */
async function openRaw(port: number, offer: string): Promise<{ peer: RawPeer; head: string }> {
  const peer = await RawPeer.connect(port);
  peer.write(upgradeRequest(port, { extra: `Sec-WebSocket-Extensions: ${offer}\r\n` }));
  await until(() => peer.received.includes('\r\n\r\n'));
  const head = peer.response();
  if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`refused: ${head}`);
  peer.received = peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
  return { peer, head };
}

/** Waits for the server's close frame and returns its code. */
async function closeCodeFrom(peer: RawPeer): Promise<number> {
  await until(() => peer.frames().some((f) => f.opcode === 8));
  return closeCodeOf(peer.frames().find((f) => f.opcode === 8));
}

/**
 * A zip bomb that inflates to `count` × 16 MiB of zeros. Each sync-flushed piece ends on a
 * byte boundary and refers back only to zeros, so copies of one piece chain into one stream.
 */
function bomb(count: number): Buffer {
  const piece = deflateRawSync(Buffer.alloc(16 * MiB), {
    level: 9,
    memLevel: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  const all = Buffer.concat(Array.from({ length: count }, () => piece));
  return all.subarray(0, all.length - 4);
}

describe.each(backends)('permessage-deflate on the wire (%s)', (backend) => {
  let wss: WebSocketServer;
  let port: number;
  let plain: WebSocketServer;
  const received: { data: Buffer; isBinary: boolean }[] = [];

  beforeAll(async () => {
    wss = await listen({ backend, perMessageDeflate: true, maxPayload: 2 * MiB });
    // These tests read the close codes on the wire; what 'error' carries is pinned in
    // protocol-violations.test.ts. Unheard, it would be thrown (as in ws).
    const ignoreErrors = (ws: WebSocket) => ws.on('error', () => {});
    wss.on('connection', (ws) => {
      ignoreErrors(ws);
      ws.on('message', (data, isBinary) => {
        const bytes = data as Buffer;
        received.push({ data: bytes, isBinary });
        if (bytes.toString() === 'echo me') ws.send(bytes, { binary: isBinary });
        if (bytes.toString() === 'plain please') ws.send('plain reply', { compress: false });
      });
    });
    plain = await listen({ backend });
    plain.on('connection', ignoreErrors);
    port = portOf(wss);
  });

  afterAll(async () => {
    await closeServer(wss);
    await closeServer(plain);
  });

  test('the response to a browser offer names the extension with no parameters', async () => {
    const { peer, head } = await openRaw(
      port,
      'permessage-deflate; client_max_window_bits, x-webkit-deflate-frame',
    );
    expect(head).toMatch(
      /\r\nSec-WebSocket-Extensions: permessage-deflate\r\n|permessage-deflate$/,
    );
    peer.socket.destroy();
  });

  test.each([
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; client_max_window_bits=16',
    'permessage-deflate; unknown_param',
    'permessage-deflate; server_no_context_takeover=yes',
    'permessage-deflate;;',
    'permessage-deflate; server_max_window_bits=10; server_max_window_bits=11',
  ])('an invalid offer %j is refused with 400', async (offer) => {
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest(port, { extra: `Sec-WebSocket-Extensions: ${offer}\r\n` }));
    await peer.closed;
    expect(peer.response()).toMatch(/^HTTP\/1\.1 400 /);
    expect(peer.received.toString()).toMatch(/Invalid or unacceptable Sec-WebSocket-Extensions/);
  });

  test('an extension the server does not know is ignored', async () => {
    const { peer, head } = await openRaw(port, 'x-unknown; a=1');
    expect(head).not.toMatch(/sec-websocket-extensions/i);
    peer.socket.destroy();
  });

  test('compressed messages are read, whole or split across many fragments', async () => {
    const { peer } = await openRaw(port, 'permessage-deflate');
    received.length = 0;
    peer.write(frame(1, compress('hello compressed'), { rsv: RSV1 }));
    const text = 'abcdefghij'.repeat(5000);
    const compressed = compress(text);
    const pieces: Buffer[] = [];
    for (let at = 0; at < compressed.length; at += 7) pieces.push(compressed.subarray(at, at + 7));
    pieces.forEach((piece, i) =>
      peer.write(
        frame(i === 0 ? 1 : 0, piece, { fin: i === pieces.length - 1, rsv: i === 0 ? RSV1 : 0 }),
      ),
    );
    // An uncompressed message is still allowed.
    peer.write(frame(2, Buffer.from([1, 2, 3])));
    await until(() => received.length === 3);
    expect(String(received[0]!.data)).toBe('hello compressed');
    expect(String(received[1]!.data)).toBe(text);
    expect(received[2]).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
    peer.socket.destroy();
  });

  test('replies are compressed (RSV1) unless send() says compress: false', async () => {
    const { peer } = await openRaw(port, 'permessage-deflate');
    peer.write(frame(1, compress('echo me'), { rsv: RSV1 }));
    peer.write(frame(1, 'plain please'));
    await until(() => peer.frames().length === 2);
    const [echo, reply] = peer.frames();
    expect(echo!.rsv).toBe(RSV1);
    expect(String(inflate(echo!.payload))).toBe('echo me');
    expect(reply!.rsv).toBe(0);
    expect(String(reply!.payload)).toBe('plain reply');
    peer.socket.destroy();
  });

  test.each([
    ['on a ping', [frame(9, 'x', { rsv: RSV1 })]],
    ['on a continuation frame', [frame(1, 'ab', { fin: false }), frame(0, 'cd', { rsv: RSV1 })]],
    ['with RSV2', [frame(1, 'ab', { rsv: 2 })]],
  ])('RSV1 %s fails the connection with 1002', async (_what, frames) => {
    const { peer } = await openRaw(port, 'permessage-deflate');
    for (const f of frames) peer.write(f);
    expect(await closeCodeFrom(peer)).toBe(1002);
    peer.socket.destroy();
  });

  test('RSV1 where the extension was not negotiated fails the connection with 1002', async () => {
    const { peer, head } = await openRaw(portOf(plain), 'permessage-deflate');
    expect(head).not.toMatch(/sec-websocket-extensions/i);
    peer.write(frame(1, compress('hi'), { rsv: RSV1 }));
    expect(await closeCodeFrom(peer)).toBe(1002);
    peer.socket.destroy();
  });

  test('data that does not inflate fails the connection with 1007, as ws', async () => {
    const { peer } = await openRaw(port, 'permessage-deflate');
    peer.write(frame(2, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv: RSV1 }));
    // What follows the bad message in the same read is dropped.
    peer.write(frame(1, 'echo me'));
    expect(await closeCodeFrom(peer)).toBe(1007);
    expect(peer.frames().filter((f) => f.opcode === 1)).toEqual([]);
    peer.socket.destroy();
  });

  test('compressed text that inflates to invalid UTF-8 fails the connection with 1007', async () => {
    const { peer } = await openRaw(port, 'permessage-deflate');
    peer.write(frame(1, compress(Buffer.from([0xc3, 0x28])), { rsv: RSV1 }));
    expect(await closeCodeFrom(peer)).toBe(1007);
    peer.socket.destroy();
  });

  test('a zip bomb is refused with 1009 after inflating about maxPayload', async () => {
    const payload = bomb(64);
    expect(inflate(bomb(2)).length).toBe(32 * MiB);
    // Small enough for the 2 MiB limit on the wire; 1 GiB once inflated.
    expect(payload.length).toBeLessThan(2 * MiB);
    const { peer } = await openRaw(port, 'permessage-deflate');
    const rssBefore = process.memoryUsage().rss;
    peer.write(frame(2, payload, { rsv: RSV1 }));
    expect(await closeCodeFrom(peer)).toBe(1009);
    // Bounded: the inflater stopped near maxPayload (2 MiB), nowhere near 1 GiB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MiB);
    peer.socket.destroy();
  });
});

describe.each(backends)('the client refuses bad permessage-deflate responses (%s)', (backend) => {
  test.each([
    ['x-foo', /Server indicated an extension that was not requested/],
    ['permessage-deflate, x-foo', /Server indicated an extension that was not requested/],
    ['permessage-deflate; client_max_window_bits=16', /Invalid Sec-WebSocket-Extensions header/],
    ['permessage-deflate; server_max_window_bits', /Invalid Sec-WebSocket-Extensions header/],
    ['permessage-deflate; bogus', /Invalid Sec-WebSocket-Extensions header/],
    ['permessage-deflate;', /Invalid Sec-WebSocket-Extensions header/],
  ])('%j', async (value, message) => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (chunk) => {
        const key = /sec-websocket-key: (\S+)/i.exec(chunk.toString('latin1'))?.[1] ?? '';
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${acceptFor(key)}\r\nSec-WebSocket-Extensions: ${value}\r\n\r\n`,
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    const error = new Promise<Error>((resolve) => ws.once('error', resolve));
    const close = closed(ws);
    expect((await error).message).toMatch(message);
    expect((await close).code).toBe(1006);
    server.close();
  });

  test('a server that asks for a smaller client window than offered is refused', async () => {
    const wss = await listen({ backend, perMessageDeflate: { clientMaxWindowBits: 10 } });
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, {
      backend,
      perMessageDeflate: { clientMaxWindowBits: false },
    });
    // As ws: the server finds no acceptable offer and answers 400.
    const error = new Promise<Error>((resolve) => ws.once('error', resolve));
    expect((await error).message).toMatch(/400/);
    await closeServer(wss);
  });

  test('extensions reports the agreement on both ends, and messages round-trip', async () => {
    const wss = await listen({ backend, perMessageDeflate: true });
    wss.on('connection', (peer) => {
      expect(peer.extensions).toBe('permessage-deflate');
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.extensions).toBe('permessage-deflate');
    for (const message of ['', 'a', 'hello '.repeat(3000)]) {
      ws.send(message);
      expect(String((await nextMessage(ws)).data)).toBe(message);
    }
    ws.close();
    await closed(ws);
    await closeServer(wss);
  });
  test('with one live compressor and decompressor, many clients keep their messages intact', async () => {
    const wss = await listen({
      backend,
      perMessageDeflate: { maxLiveCompressors: 1, maxLiveDecompressors: 1 },
    });
    wss.on('connection', (peer) => {
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }));
    });
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
        await new Promise((resolve) => ws.once('open', resolve));
        return ws;
      }),
    );
    // Each round repeats the last, so streams that kept their context refer back to it;
    // taking turns makes every connection give up its streams between messages.
    for (let round = 0; round < 3; round++) {
      for (const [i, ws] of clients.entries()) {
        const message = `client ${i}: ${'the same words again and again '.repeat(40)}`;
        ws.send(message);
        expect(String((await nextMessage(ws)).data)).toBe(message);
      }
    }
    for (const ws of clients) ws.close();
    await Promise.all(clients.map((ws) => closed(ws)));
    await closeServer(wss);
  });
});
