// What a client makes of its address: the errors of a bad one (ws's messages), http(s) taken
// as ws(s), credentials sent as Basic authorization, and the checks of the server's 101.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import { acceptFor, backends, closeServer, listen, portOf } from './helpers.js';

describe.each(backends)('the address a client is given (%s)', (backend) => {
  let wss: WebSocketServer;
  let port: number;
  let authorizations: (string | undefined)[];

  beforeAll(async () => {
    wss = await listen({ backend });
    wss.on('connection', (ws, req) => {
      authorizations.push(req.headers.authorization);
      ws.close();
    });
    port = portOf(wss);
  });
  afterAll(() => closeServer(wss));

  test('a bad address throws the SyntaxError message of ws', () => {
    expect(() => new WebSocket('not a url', { backend })).toThrow('Invalid URL: not a url');
    expect(() => new WebSocket('ftp://127.0.0.1/', { backend })).toThrow(
      `The URL's protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"`,
    );
    expect(() => new WebSocket('ws://127.0.0.1/#f', { backend })).toThrow(
      'The URL contains a fragment identifier',
    );
  });

  test('an http: address connects as ws:', async () => {
    authorizations = [];
    const ws = new WebSocket(`http://127.0.0.1:${port}/x`, { backend });
    expect(ws.url).toBe(`ws://127.0.0.1:${port}/x`);
    await once(ws, 'open');
    expect(ws.protocol).toBe('');
    await once(ws, 'close');
  });

  test('an https: address is taken as wss:', () => {
    const ws = new WebSocket(`https://127.0.0.1:${port}/`, { backend });
    ws.on('error', () => {});
    expect(ws.url).toBe(`wss://127.0.0.1:${port}/`);
    ws.terminate();
  });

  test.each([
    ['user:pw@', 'user:pw'],
    ['user@', 'user:'],
    [':pw@', ':pw'],
    ['', undefined],
  ])('credentials %j in the address are sent as Basic authorization', async (userinfo, sent) => {
    authorizations = [];
    const ws = new WebSocket(`ws://${userinfo}127.0.0.1:${port}/`, { backend });
    await once(ws, 'close');
    expect(authorizations).toEqual([
      sent === undefined ? undefined : `Basic ${Buffer.from(sent).toString('base64')}`,
    ]);
  });
});

/** A TCP server that answers every request with `respond(key)`. */
async function fakeServer(respond: (key: string) => string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.write(respond(/sec-websocket-key: (\S+)/i.exec(head)?.[1] ?? ''));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

describe.each(backends)("the client's checks of the server's answer (%s)", (backend) => {
  async function failure(respond: (key: string) => string): Promise<string> {
    const server = await fakeServer(respond);
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    const [error] = (await once(ws, 'error')) as [Error];
    server.close();
    return error.message;
  }

  test('a 101 upgrading to another protocol: Invalid Upgrade header, as ws says', async () => {
    expect(
      await failure(
        (key) =>
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
      ),
    ).toBe('Invalid Upgrade header');
  });

  test('a subprotocol when none was asked for: the message of ws', async () => {
    expect(
      await failure(
        (key) =>
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
      ),
    ).toBe('Server sent a subprotocol but none was requested');
  });

  test("an 'unexpected-response' listener that terminates sees one 'close'", async () => {
    const server = http.createServer((_req, res) => res.writeHead(403).end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    ws.on('error', () => {});
    let closes = 0;
    ws.on('close', () => closes++);
    const [req] = (await once(ws, 'unexpected-response')) as [http.ClientRequest];
    ws.terminate();
    await once(req, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(closes).toBe(1);
    server.close();
  });
});
