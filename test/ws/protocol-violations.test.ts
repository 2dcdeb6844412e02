import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closed,
  closePayload,
  closeServer,
  delay,
  frame,
  listen,
  parseFrames,
  portOf,
  RawPeer,
  rawServer,
  uncaughtErrors,
  CONTINUATION,
  TEXT,
  BINARY,
  CLOSE,
  PING,
  openRaw,
} from './helpers.js';

const invalidUtf8 = Buffer.from([0x61, 0xff, 0xfe, 0x62]);

interface Violation {
  name: string;
  bytes: () => Buffer;
  code: number;
  /**
   * The `code` of the 'error' reported, as ws reports it; ws accepts the length not in its
   * shortest form and the tiny fragments, which get codes of ours.
   */
  error: string;
}

const violations: Violation[] = [
  {
    name: 'an unmasked client frame',
    bytes: () => frame(TEXT, 'hi', { mask: false }),
    code: 1002,
    error: 'WS_ERR_EXPECTED_MASK',
  },
  {
    name: 'a reserved data opcode',
    bytes: () => frame(0x3, 'x'),
    code: 1002,
    error: 'WS_ERR_INVALID_OPCODE',
  },
  {
    name: 'a reserved control opcode',
    bytes: () => frame(0xb, 'x'),
    code: 1002,
    error: 'WS_ERR_INVALID_OPCODE',
  },
  {
    name: 'the RSV1 bit without an extension',
    bytes: () => frame(TEXT, 'x', { rsv: 4 }),
    code: 1002,
    error: 'WS_ERR_UNEXPECTED_RSV_1',
  },
  {
    name: 'the RSV3 bit',
    bytes: () => frame(BINARY, 'x', { rsv: 1 }),
    code: 1002,
    error: 'WS_ERR_UNEXPECTED_RSV_2_3',
  },
  {
    name: 'a control frame over 125 bytes',
    bytes: () => frame(PING, Buffer.alloc(126)),
    code: 1002,
    error: 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
  },
  {
    name: 'a fragmented control frame',
    bytes: () => frame(PING, 'x', { fin: false }),
    code: 1002,
    error: 'WS_ERR_EXPECTED_FIN',
  },
  {
    name: 'a length not in its shortest form',
    // 5 bytes announced with the 16-bit length, under a zero mask key.
    bytes: () =>
      Buffer.concat([Buffer.from([0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0]), Buffer.from('hello')]),
    code: 1002,
    error: 'WS_ERR_PROTOCOL_ERROR',
  },
  {
    name: 'a continuation with no message started',
    bytes: () => frame(CONTINUATION, 'x'),
    code: 1002,
    error: 'WS_ERR_INVALID_OPCODE',
  },
  {
    name: 'a new message inside a fragmented one',
    bytes: () => Buffer.concat([frame(TEXT, 'a', { fin: false }), frame(TEXT, 'b')]),
    code: 1002,
    error: 'WS_ERR_INVALID_OPCODE',
  },
  {
    name: 'a close code that may not be sent',
    bytes: () => frame(CLOSE, closePayload(1005)),
    code: 1002,
    error: 'WS_ERR_INVALID_CLOSE_CODE',
  },
  {
    name: 'invalid UTF-8 in a text message',
    bytes: () => frame(TEXT, invalidUtf8),
    code: 1007,
    error: 'WS_ERR_INVALID_UTF8',
  },
  {
    name: 'invalid UTF-8 split across the fragments of a text message',
    bytes: () =>
      Buffer.concat([
        frame(TEXT, Buffer.from([0xe2, 0x82]), { fin: false }),
        frame(CONTINUATION, Buffer.from([0x28])),
      ]),
    code: 1007,
    error: 'WS_ERR_INVALID_UTF8',
  },
  {
    name: 'invalid UTF-8 in a close reason',
    bytes: () => frame(CLOSE, closePayload(1000, invalidUtf8)),
    code: 1007,
    error: 'WS_ERR_INVALID_UTF8',
  },
  {
    name: 'a message over maxPayload',
    bytes: () => frame(BINARY, Buffer.alloc(1001)),
    code: 1009,
    error: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  },
  {
    name: 'fragments that add up to more than maxPayload',
    bytes: () =>
      Buffer.concat([
        frame(BINARY, Buffer.alloc(600), { fin: false }),
        frame(CONTINUATION, Buffer.alloc(600)),
      ]),
    code: 1009,
    error: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  },
  {
    // 21 bytes of payload, but wslay would hold an allocation per frame: 20 × 64 counted.
    name: 'tiny fragments whose frames cost more than maxPayload',
    bytes: () =>
      Buffer.concat([
        frame(BINARY, 'x', { fin: false }),
        ...Array.from({ length: 20 }, () => frame(CONTINUATION, 'x', { fin: false })),
      ]),
    code: 1009,
    error: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
  },
];

describe.each(backends)('our server facing a peer that breaks the protocol (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend, maxPayload: 1000 });
  });
  afterAll(() => closeServer(wss));

  test.each(violations)('$name is answered with close $code', async ({ bytes, code, error }) => {
    const { peer, ws } = await openRaw(wss);
    const errors: (Error & { statusCode?: number; code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    const serverClosed = closed(ws);
    peer.write(bytes());
    await peer.closed;
    const frames = peer.frames();
    expect(frames).toHaveLength(1);
    expect(closeCodeOf(frames[0])).toBe(code);
    expect((await serverClosed).code).toBe(code);
    expect(errors.map((e) => [e.statusCode, e.code])).toEqual([[code, error]]);
  });

  const alsoRefusedByWs = violations.filter(
    ({ name }) => !name.startsWith('a length not') && !name.startsWith('tiny fragments'),
  );

  test.each(alsoRefusedByWs)('$name is reported to error as ws reports it', async ({ bytes }) => {
    const report = (e: Error & { code?: string }) => [e.constructor.name, e.code, e.message];
    const theirs = new WsServer({ port: 0, host: '127.0.0.1', maxPayload: 1000 });
    await once(theirs, 'listening');
    const theirError = new Promise<unknown[]>((resolve) =>
      theirs.on('connection', (ws) => ws.on('error', (error) => resolve(report(error)))),
    );
    const theirPeer = await RawPeer.open(portOf(theirs));
    const input = bytes();
    theirPeer.write(input);
    const { peer, ws } = await openRaw(wss);
    const ourError = new Promise<unknown[]>((resolve) =>
      ws.on('error', (error) => resolve(report(error))),
    );
    peer.write(input);
    expect(await ourError).toEqual(await theirError);
    await new Promise((resolve) => theirs.close(resolve));
  });

  test('a message in fragments within maxPayload, frames counted, arrives whole', async () => {
    const { peer, ws } = await openRaw(wss);
    const message = once(ws, 'message');
    // 100 bytes in 10 frames: 100 + 9 × 64 = 676, under the 1000 allowed.
    peer.write(
      Buffer.concat(
        Array.from({ length: 10 }, (_, i) =>
          frame(i === 0 ? BINARY : CONTINUATION, Buffer.alloc(10, 0x30 + i), { fin: i === 9 }),
        ),
      ),
    );
    const [data] = (await message) as [Buffer];
    expect(data.length).toBe(100);
    expect(data.subarray(90).toString()).toBe('9999999999');
    ws.terminate();
  });

  test('without an error listener a violation throws, as on any EventEmitter, and closes', async () => {
    const { peer, ws } = await openRaw(wss);
    const thrown = uncaughtErrors(ws);
    const serverClosed = closed(ws);
    peer.write(frame(TEXT, invalidUtf8));
    await peer.closed;
    expect((await serverClosed).code).toBe(1007);
    expect(thrown.map((error) => (error as { code?: string }).code)).toEqual([
      'WS_ERR_INVALID_UTF8',
    ]);
  });

  test('a close reason whose invalid bytes arrive at the start of a TCP read is answered with 1007', async () => {
    // wslay's own check skips the first two bytes of each chunk it reads; this layer's does not.
    const { peer, ws } = await openRaw(wss);
    ws.on('error', () => {});
    peer.socket.setNoDelay(true);
    const serverClosed = closed(ws);
    const bytes = frame(CLOSE, closePayload(1000, Buffer.from([0x6f, 0x6b, 0xff, 0xfe])));
    const split = 2 + 4 + 2 + 2; // header, mask key, code, "ok"
    peer.write(bytes.subarray(0, split));
    await delay(50);
    peer.write(bytes.subarray(split));
    await peer.closed;
    const frames = peer.frames();
    expect(frames).toHaveLength(1);
    expect(closeCodeOf(frames[0])).toBe(1007);
    expect((await serverClosed).code).toBe(1007);
  });

  test('data after a close frame is ignored', async () => {
    const { peer, ws } = await openRaw(wss);
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(data));
    const serverClosed = closed(ws);
    peer.write(
      Buffer.concat([
        frame(TEXT, 'before'),
        frame(CLOSE, closePayload(1000)),
        frame(TEXT, 'after'),
      ]),
    );
    await peer.closed;
    expect(messages.map(String)).toEqual(['before']);
    expect((await serverClosed).code).toBe(1000);
  });

  test('a frame announcing more than the default maxPayload of 100 MiB is refused at its first byte', async () => {
    const local = await listen({ backend });
    const connection = once(local, 'connection');
    const peer = await RawPeer.open(portOf(local));
    const [ws] = (await connection) as [WebSocket];
    ws.on('error', () => {});
    const serverClosed = closed(ws);
    // The header of a 100 MiB + 1 byte binary frame, under a zero mask key, and one byte of
    // it: wslay looks at a frame once some of its payload has come.
    const start = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x61]);
    start.writeBigUInt64BE(BigInt(100 * 1024 * 1024 + 1), 2);
    peer.write(start);
    await peer.closed;
    expect(closeCodeOf(peer.frames()[0])).toBe(1009);
    expect((await serverClosed).code).toBe(1009);
    await closeServer(local);
  });

  test('a peer that never answers our close is disconnected after closeTimeout', async () => {
    const local = await listen({ backend, closeTimeout: 200 });
    const connection = once(local, 'connection');
    const peer = await RawPeer.open(portOf(local));
    const [ws] = (await connection) as [WebSocket];
    const started = Date.now();
    ws.close(1000);
    expect((await closed(ws)).code).toBe(1006);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(closeCodeOf(peer.frames()[0])).toBe(1000);
    await closeServer(local);
  });
});

describe.each(backends)('our client facing a server that breaks the protocol (%s)', (backend) => {
  let server: Awaited<ReturnType<typeof rawServer>>;

  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  async function connect(options = {}): Promise<{ peer: RawPeer; ws: WebSocket }> {
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { backend, ...options });
    await once(ws, 'open');
    return { peer: await accepted, ws };
  }

  const serverViolations = [
    { name: 'a masked server frame', bytes: () => frame(TEXT, 'hi', { mask: true }), code: 1002 },
    {
      name: 'invalid UTF-8 in a text message',
      bytes: () => frame(TEXT, invalidUtf8, { mask: false }),
      code: 1007,
    },
    {
      name: 'invalid UTF-8 in a close reason',
      bytes: () => frame(CLOSE, closePayload(1000, invalidUtf8), { mask: false }),
      code: 1007,
    },
    {
      name: 'a message over maxPayload',
      bytes: () => frame(BINARY, Buffer.alloc(1001), { mask: false }),
      code: 1009,
    },
  ];

  test.each(serverViolations)(
    '$name is answered with a masked close $code',
    async ({ bytes, code }) => {
      const { peer, ws } = await connect({ maxPayload: 1000 });
      const errors: (Error & { statusCode?: number })[] = [];
      ws.on('error', (error) => errors.push(error));
      const clientClosed = closed(ws);
      peer.write(bytes());
      expect((await clientClosed).code).toBe(code);
      await peer.closed;
      const frames = parseFrames(peer.received);
      expect(frames).toHaveLength(1);
      expect(closeCodeOf(frames[0])).toBe(code);
      expect(peer.received[1]! & 0x80).toBe(0x80);
      expect(errors.map((e) => e.statusCode)).toEqual([code]);
    },
  );
});
