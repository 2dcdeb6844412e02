import { once } from 'node:events';
import { constants, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsWebSocket, WebSocketServer as WsServer } from 'ws';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  delay,
  loadableBackends,
  pattern,
  closed,
  closePayload,
  closeServer,
  frame,
  listen,
  portOf,
  RawPeer,
  rawServer,
  until,
  upgradeRequest,
  BINARY,
  CLOSE,
  CONTINUATION,
  PING,
  PONG,
  TEXT,
} from './helpers.js';

const RSV1 = 4;
/** A reserved opcode: the violation each sequence below ends with. */
const RESERVED = 0x3;

function compress(data: string): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

type Report = [string, string | undefined, string];

function report(error: Error & { code?: string }): Report {
  return [error.constructor.name, error.code, error.message];
}

/** A raw client of `port`, with permessage-deflate offered when `deflate`. */
async function rawClient(port: number, deflate: boolean): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  const extra = deflate ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '';
  peer.write(upgradeRequest(port, { extra }));
  await until(() => peer.received.includes('\r\n\r\n'));
  if (!peer.response().startsWith('HTTP/1.1 101 ')) throw new Error(peer.response());
  peer.received = peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
  return peer;
}

/** What a ws server reports to 'error' for `bytes` from a client. */
async function wsServerReport(bytes: Buffer, deflate: boolean): Promise<Report> {
  const theirs = new WsServer({
    port: 0,
    host: '127.0.0.1',
    maxPayload: 1000,
    perMessageDeflate: deflate,
  });
  await once(theirs, 'listening');
  const error = new Promise<Report>((resolve) =>
    theirs.on('connection', (ws) => ws.on('error', (e) => resolve(report(e)))),
  );
  const peer = await rawClient(portOf(theirs), deflate);
  peer.write(bytes);
  const result = await error;
  await new Promise((resolve) => theirs.close(resolve));
  return result;
}

interface Sequence {
  name: string;
  deflate: boolean;
  bytes: () => Buffer;
}

/**
 * Valid traffic, then a reserved opcode: the error must name that opcode, so nothing valid
 * before it may have been taken for a violation.
 */
const afterValidTraffic: Sequence[] = [
  { name: 'two whole text messages', deflate: false, bytes: () => frame(TEXT, 'a') },
  {
    name: 'a message in two fragments',
    deflate: false,
    bytes: () => Buffer.concat([frame(BINARY, 'a', { fin: false }), frame(CONTINUATION, 'b')]),
  },
  { name: 'a binary message', deflate: false, bytes: () => frame(BINARY, 'a') },
  { name: 'a pong', deflate: false, bytes: () => frame(PONG, 'a') },
  { name: 'a ping of 125 bytes', deflate: false, bytes: () => frame(PING, Buffer.alloc(125)) },
  { name: 'a ping of 1 byte', deflate: false, bytes: () => frame(PING, 'a') },
  {
    name: 'a compressed text message',
    deflate: true,
    bytes: () => frame(TEXT, compress('hello'), { rsv: RSV1 }),
  },
  {
    name: 'a compressed binary message',
    deflate: true,
    bytes: () => frame(BINARY, compress('hello'), { rsv: RSV1 }),
  },
].map(({ name, deflate, bytes }) => ({
  name: `a reserved opcode after ${name}`,
  deflate,
  bytes: () => Buffer.concat([frame(TEXT, 'first'), bytes(), frame(RESERVED, 'x')]),
}));

const headerViolations: Sequence[] = [
  {
    name: 'a ping with RSV1 set, compression negotiated',
    deflate: true,
    bytes: () => frame(PING, 'a', { rsv: RSV1 }),
  },
  {
    name: 'a continuation with RSV1 set, compression negotiated',
    deflate: true,
    bytes: () =>
      Buffer.concat([
        frame(TEXT, compress('a'), { rsv: RSV1, fin: false }),
        frame(CONTINUATION, 'b', { rsv: RSV1 }),
      ]),
  },
  { name: 'a close frame with a 1-byte body', deflate: false, bytes: () => frame(CLOSE, 'a') },
];

describe.each(backends)('frame headers read as ws reads them, server side (%s)', (backend) => {
  let plain: WebSocketServer;
  let deflating: WebSocketServer;

  beforeAll(async () => {
    plain = await listen({ backend, maxPayload: 1000 });
    deflating = await listen({ backend, maxPayload: 1000, perMessageDeflate: true });
  });
  afterAll(async () => {
    await closeServer(plain);
    await closeServer(deflating);
  });

  test.each([...afterValidTraffic, ...headerViolations])(
    '$name is reported to error as ws reports it',
    async ({ deflate, bytes }) => {
      const input = bytes();
      const theirs = await wsServerReport(input, deflate);
      const wss = deflate ? deflating : plain;
      const connection = once(wss, 'connection');
      const peer = await rawClient(portOf(wss), deflate);
      const [ws] = (await connection) as [WebSocket];
      const ours = new Promise<Report>((resolve) => ws.on('error', (e) => resolve(report(e))));
      peer.write(input);
      expect(await ours).toEqual(theirs);
      await peer.closed;
      expect(peer.frames().map(closeCodeOf)).toEqual([1002]);
    },
  );
});

describe.each(backends)('close codes the peer sends, server side (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  async function closeAfter(
    bytes: Buffer,
  ): Promise<{ code: number; reason: string; echo: Buffer }> {
    const connection = once(wss, 'connection');
    const peer = await rawClient(portOf(wss), false);
    const [ws] = (await connection) as [WebSocket];
    const serverClosed = closed(ws);
    peer.write(bytes);
    const { code, reason } = await serverClosed;
    await until(() => peer.frames().some((f) => f.opcode === CLOSE));
    const echo = peer.frames().find((f) => f.opcode === CLOSE)!.payload;
    peer.socket.destroy();
    return { code, reason, echo };
  }

  test('a close 1012 between the fragments of a message is reported and echoed', async () => {
    const bytes = Buffer.concat([
      frame(BINARY, 'a', { fin: false }),
      frame(CLOSE, closePayload(1012, 'restart')),
    ]);
    expect(await closeAfter(bytes)).toEqual({
      code: 1012,
      reason: 'restart',
      echo: closePayload(1012, 'restart'),
    });
  });

  test('a close 1013 after a ping is reported and echoed', async () => {
    const bytes = Buffer.concat([frame(PING, 'hi'), frame(CLOSE, closePayload(1013))]);
    expect((await closeAfter(bytes)).code).toBe(1013);
  });

  test.each([
    ['7-bit', 100],
    ['16-bit', 200],
    ['64-bit', 70_000],
  ])('a close 1014 after a message whose length is %s is reported and echoed', async (_, size) => {
    const bytes = Buffer.concat([
      frame(BINARY, Buffer.alloc(size, 0x61)),
      frame(CLOSE, closePayload(1014)),
    ]);
    expect(await closeAfter(bytes)).toEqual({
      code: 1014,
      reason: '',
      echo: closePayload(1014),
    });
  });

  test('a close without a code is reported as 1005, whatever bytes follow it', async () => {
    // What follows a close is never read, though its first bytes would make a code 1012
    // (under the close frame's zero mask key).
    const bytes = Buffer.concat([
      Buffer.from([0x88, 0x80, 0, 0, 0, 0]),
      frame(TEXT, closePayload(1012), { mask: false }),
    ]);
    expect(await closeAfter(bytes)).toEqual({ code: 1005, reason: '', echo: Buffer.alloc(0) });
  });

  test('a close reason is not read for a code', async () => {
    // With the code's high byte, the reason's first byte would make 1012.
    const reason = '\u{100000}';
    expect(await closeAfter(frame(CLOSE, closePayload(1000, reason)))).toEqual({
      code: 1000,
      reason,
      echo: closePayload(1000, reason),
    });
  });

  test.each([3000, 4999])('a close %i with a reason is reported and echoed', async (code) => {
    expect(await closeAfter(frame(CLOSE, closePayload(code, 'why')))).toEqual({
      code,
      reason: 'why',
      echo: closePayload(code, 'why'),
    });
  });
});

describe.each(backends)('a continuation frame past maxPayload (%s)', (backend) => {
  // The first frame has 1 byte; the continuation's 8-byte length is given byte by byte.
  test.each([
    { length: [1, 0, 0, 0, 0, 0, 0, 0], maxPayload: 1000 },
    { length: [0, 1, 0, 0, 0, 0, 0, 0], maxPayload: 100 },
    { length: [0, 0, 1, 0, 0, 0, 0, 0], maxPayload: 100 },
    { length: [0, 0, 0, 1, 0, 0, 0, 0], maxPayload: 100 },
    { length: [0, 0, 0, 0, 1, 0, 0, 0], maxPayload: 100 },
    { length: [0, 0, 0, 0, 0, 1, 0, 0], maxPayload: 100 },
    { length: [0, 0, 0, 0, 0, 0, 1, 0], maxPayload: 100 },
    { length: [0, 0, 0, 0, 0, 0, 0, 200], maxPayload: 100 },
  ])(
    'announcing length bytes $length is refused with 1009 before its payload comes',
    async ({ length, maxPayload }) => {
      const wss = await listen({ backend, maxPayload });
      const connection = once(wss, 'connection');
      const peer = await rawClient(portOf(wss), false);
      const [ws] = (await connection) as [WebSocket];
      const errors: unknown[] = [];
      ws.on('error', (error) => errors.push(report(error)));
      // A continuation's header under a zero mask key, and none of its payload.
      const header = Buffer.from([0x00, 0xff, ...length, 0, 0, 0, 0]);
      peer.write(Buffer.concat([frame(BINARY, 'a', { fin: false }), header]));
      await peer.closed;
      expect(peer.frames().map(closeCodeOf)).toEqual([1009]);
      expect(errors).toEqual([
        ['RangeError', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded'],
      ]);
      await closeServer(wss);
    },
  );
});

describe.each(backends)('frame headers read as ws reads them, client side (%s)', (backend) => {
  let server: Awaited<ReturnType<typeof rawServer>>;

  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  async function clientReport(
    open: (url: string) => WebSocket | WsWebSocket,
    bytes: Buffer,
  ): Promise<Report> {
    const accepted = server.next();
    const ws = open(`ws://127.0.0.1:${server.port}/`);
    const error = new Promise<Report>((resolve) =>
      (ws as WebSocket).on('error', (e) => resolve(report(e))),
    );
    await once(ws as WebSocket, 'open');
    const peer = await accepted;
    peer.write(bytes);
    const result = await error;
    await peer.closed;
    return result;
  }

  test.each([
    { name: 'a masked frame', bytes: () => frame(TEXT, 'hi', { mask: true }) },
    {
      name: 'a reserved opcode after a whole message',
      bytes: () =>
        Buffer.concat([frame(TEXT, 'hi', { mask: false }), frame(RESERVED, 'x', { mask: false })]),
    },
  ])('$name is reported to error as ws reports it', async ({ bytes }) => {
    const input = bytes();
    const theirs = await clientReport((url) => new WsWebSocket(url), input);
    const ours = await clientReport((url) => new WebSocket(url, { backend }), input);
    expect(ours).toEqual(theirs);
  });
});

describe.each(loadableBackends)('a message whose header comes in two reads (%s)', (backend) => {
  test('a large message whose header is split across reads arrives whole', async () => {
    const wss = await listen({ backend });
    const connection = once(wss, 'connection');
    const peer = await rawClient(portOf(wss), false);
    const [ws] = (await connection) as [WebSocket];
    peer.socket.setNoDelay(true);
    const received: Buffer[] = [];
    ws.on('message', (data) => received.push(data as Buffer));
    const large = pattern(20_000, 5);
    const bytes = frame(BINARY, large);
    // The pause only makes two reads likely: the message must arrive whole either way.
    peer.write(bytes.subarray(0, 3));
    await delay(50);
    peer.write(Buffer.concat([bytes.subarray(3), frame(TEXT, 'after')]));
    await until(() => received.length === 2);
    expect(received).toEqual([large, Buffer.from('after')]);
    peer.socket.destroy();
    await closeServer(wss);
  });
});
