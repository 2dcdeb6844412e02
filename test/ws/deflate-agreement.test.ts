import { once } from 'node:events';
import net from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsWebSocket, WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  acceptFor,
  backends,
  closeServer,
  frame,
  listen,
  nextMessage,
  portOf,
  RawPeer,
  until,
  upgradeRequest,
  BINARY,
  TEXT,
} from './helpers.js';

const RSV1 = 4;

function compress(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A raw client of `port` that sent `extra` header lines; the response head is returned too. */
async function rawClient(port: number, extra: string): Promise<{ peer: RawPeer; head: string }> {
  const peer = await RawPeer.connect(port);
  peer.write(upgradeRequest(port, { extra }));
  await until(() => peer.received.includes('\r\n\r\n'));
  const head = peer.response();
  peer.received = peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
  return { peer, head };
}

/** A server that completes every handshake with `extensions` as its extension header. */
async function answering(extensions: string): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (head: Buffer) => {
      const key = /sec-websocket-key: (\S+)/i.exec(head.toString())![1]!;
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n` +
          `Sec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: portOf(server), close: () => server.close() };
}

/** 'open', or the message of the error a client reports instead. */
function outcome(ws: WebSocket | WsWebSocket): Promise<string> {
  return new Promise((resolve) => {
    (ws as WebSocket).once('open', () => {
      ws.terminate();
      resolve('open');
    });
    (ws as WebSocket).once('error', (error) => resolve(error.message));
  });
}

describe.each(backends)(
  'permessage-deflate agreed as ws agrees it, client side (%s)',
  (backend) => {
    test.each([
      { response: 'permessage-deflate; client_max_window_bits=10', clientMaxWindowBits: 10 },
      { response: 'permessage-deflate; client_max_window_bits=11', clientMaxWindowBits: 10 },
      { response: 'permessage-deflate; client_max_window_bits=9', clientMaxWindowBits: 10 },
    ])(
      'a response of "$response" to clientMaxWindowBits $clientMaxWindowBits',
      async ({ response, clientMaxWindowBits }) => {
        const server = await answering(response);
        const url = `ws://127.0.0.1:${server.port}/`;
        const perMessageDeflate = { clientMaxWindowBits };
        const theirs = await outcome(new WsWebSocket(url, { perMessageDeflate }));
        const ours = await outcome(new WebSocket(url, { backend, perMessageDeflate }));
        server.close();
        expect(ours).toBe(theirs);
      },
    );

    test('an extension in the response when none was offered fails the handshake', async () => {
      const server = await answering('permessage-deflate');
      const url = `ws://127.0.0.1:${server.port}/`;
      const theirs = await outcome(new WsWebSocket(url, { perMessageDeflate: false }));
      const ours = await outcome(new WebSocket(url, { backend, perMessageDeflate: false }));
      server.close();
      expect(ours).toBe(theirs);
      expect(ours).toBe(
        'Server sent a Sec-WebSocket-Extensions header but no extension was requested',
      );
    });
  },
);

test('an invalid clientNoContextTakeover option is named in the error', () => {
  expect(
    () =>
      new WebSocketServer({
        noServer: true,
        perMessageDeflate: { clientNoContextTakeover: 'yes' as unknown as boolean },
      }),
  ).toThrow('options.perMessageDeflate.clientNoContextTakeover');
});

describe.each(backends)('permessage-deflate agreed, server side (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend, perMessageDeflate: { threshold: 10 } });
  });
  afterAll(() => closeServer(wss));

  test('a client that offers no extension is served without one', async () => {
    const connection = once(wss, 'connection');
    const { peer, head } = await rawClient(portOf(wss), '');
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head.toLowerCase()).not.toContain('sec-websocket-extensions');
    const [ws] = (await connection) as [WebSocket];
    expect(ws.extensions).toBe('');
    peer.socket.destroy();
  });

  test('without context takeover, only messages of threshold bytes or more are compressed', async () => {
    const connection = once(wss, 'connection');
    const offer = 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n';
    const { peer } = await rawClient(portOf(wss), offer);
    const [ws] = (await connection) as [WebSocket];
    for (const size of [9, 10, 11]) ws.send(Buffer.alloc(size, 0x61));
    await until(() => peer.frames().length === 3);
    expect(peer.frames().map((f) => f.rsv)).toEqual([0, RSV1, RSV1]);
    peer.socket.destroy();
  });

  test('with context takeover, messages under the threshold are compressed too', async () => {
    const connection = once(wss, 'connection');
    const offer = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';
    const { peer } = await rawClient(portOf(wss), offer);
    const [ws] = (await connection) as [WebSocket];
    ws.send(Buffer.alloc(1, 0x61));
    await until(() => peer.frames().length === 1);
    expect(peer.frames()[0]!.rsv).toBe(RSV1);
    peer.socket.destroy();
  });

  test('a compressed binary message that is not UTF-8 is delivered', async () => {
    const connection = once(wss, 'connection');
    const offer = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';
    const { peer } = await rawClient(portOf(wss), offer);
    const [ws] = (await connection) as [WebSocket];
    const message = nextMessage(ws);
    const bytes = Buffer.from([0xff, 0xfe, 0x80]);
    peer.write(frame(BINARY, compress(bytes), { rsv: RSV1 }));
    expect(await message).toEqual({ data: bytes, isBinary: true });
    peer.socket.destroy();
  });

  test('a compressed text message that is not UTF-8 is reported as ws reports it', async () => {
    const report = (e: Error & { code?: string }) => [e.constructor.name, e.code, e.message];
    const input = frame(TEXT, compress(Buffer.from([0xff, 0xfe])), { rsv: RSV1 });
    const offer = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';

    const theirServer = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    await once(theirServer, 'listening');
    const theirError = new Promise<unknown[]>((resolve) =>
      theirServer.on('connection', (ws) => ws.on('error', (e) => resolve(report(e)))),
    );
    (await rawClient(portOf(theirServer), offer)).peer.write(input);
    const theirs = await theirError;
    await new Promise((resolve) => theirServer.close(resolve));

    const connection = once(wss, 'connection');
    const { peer } = await rawClient(portOf(wss), offer);
    const [ws] = (await connection) as [WebSocket];
    const ours = new Promise<unknown[]>((resolve) => ws.on('error', (e) => resolve(report(e))));
    peer.write(input);
    expect(await ours).toEqual(theirs);
  });
});
