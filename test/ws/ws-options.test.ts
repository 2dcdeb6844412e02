// Issue 11, items 5, 7 and 8: ws's options, honoured or refused at construction; errors of
// the upgrade path reported; createWebSocketStream's end; constructor errors of ws's types.
// The same behaviours against ws itself: test/migration/.
import { once } from 'node:events';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { createWebSocketStream, WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeServer,
  listen,
  nextMessage,
  portOf,
  rawServer,
  RawPeer,
  until,
  upgradeRequest,
} from './helpers.js';

/** Options of ws that ask for what wslay cannot do, with the value each must not take. */
const refused: [string, unknown][] = [
  ['autoPong', false],
  ['allowSynchronousEvents', false],
  ['skipUTF8Validation', true],
  ['maxBufferedChunks', 10],
  ['maxFragments', 10],
  ['maxPendingAutoPongs', 10],
];

describe.each(backends)('ws options (%s)', (backend) => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = await listen({ backend });
    wss.on('connection', (ws) =>
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
    );
    url = `ws://127.0.0.1:${portOf(wss)}`;
  });
  afterAll(() => closeServer(wss));

  test.each(refused)('%s: %j is refused by client and server, naming the option', (name, value) => {
    const pattern = new RegExp(`^options\\.${name} `);
    expect(() => new WebSocket(url, { backend, [name]: value })).toThrow(TypeError);
    expect(() => new WebSocket(url, { backend, [name]: value })).toThrow(pattern);
    expect(() => new WebSocketServer({ noServer: true, backend, [name]: value })).toThrow(pattern);
  });

  test("ws's defaults for those options are accepted, and the connection works", async () => {
    const ws = new WebSocket(url, {
      backend,
      autoPong: true,
      allowSynchronousEvents: true,
      skipUTF8Validation: false,
    });
    await once(ws, 'open');
    ws.send('x');
    expect(String((await nextMessage(ws)).data)).toBe('x');
    ws.close();
    await once(ws, 'close');
  });

  test('constructor errors have the types of ws', () => {
    expect(() => new WebSocket('nope', { backend })).toThrow(SyntaxError);
    expect(() => new WebSocket('ftp://127.0.0.1/', { backend })).toThrow(SyntaxError);
    expect(() => new WebSocket('ws+unix:', { backend })).toThrow("The URL's pathname is empty");
    expect(() => new WebSocket(url, ['bad name'], { backend })).toThrow(SyntaxError);
    expect(() => new WebSocket(url, { backend, protocolVersion: 7 })).toThrow(
      new RangeError('Unsupported protocol version: 7 (supported versions: 8, 13)'),
    );
    expect(() => new WebSocket(url, { backend, maxRedirects: -1 })).toThrow(RangeError);
    expect(
      () => new WebSocket(url, { backend, generateMask: 'zeros' as unknown as () => void }),
    ).toThrow(TypeError);
  });

  test('generateMask gives the masking key of every frame', async () => {
    const server = await rawServer();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, {
      backend,
      generateMask: (mask) => mask.set([1, 2, 3, 4]),
    });
    const peer = await server.next();
    await once(ws, 'open');
    ws.send('abcd');
    await until(() => peer.receivedLength >= 10);
    // Header (2 bytes), the key, then 'abcd' XOR the key.
    expect([...peer.received.subarray(2, 10)]).toEqual([1, 2, 3, 4, 0x60, 0x60, 0x60, 0x60]);
    ws.terminate();
    await server.close();
  });

  test('protocolVersion 8 asks for version 8, with its own Origin header', async () => {
    const requests: string[] = [];
    const tap = http.createServer();
    tap.on('upgrade', (req, socket) => {
      requests.push(
        `${String(req.headers['sec-websocket-version'])} ${String(req.headers['sec-websocket-origin'])}`,
      );
      socket.destroy();
    });
    tap.listen(0, '127.0.0.1');
    await once(tap, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(tap)}`, {
      backend,
      protocolVersion: 8,
      origin: 'http://a.example',
    });
    ws.on('error', () => {});
    // Not events.once(): it rejects on the 'error' that comes first.
    await new Promise((resolve) => ws.on('close', resolve));
    expect(requests).toEqual(['8 http://a.example']);
    tap.close();
  });

  test('a server accepts version 8, as ws does', async () => {
    const port = portOf(wss);
    const accepted = await RawPeer.connect(port);
    accepted.write(upgradeRequest(port, { version: '8' }));
    await until(() => accepted.received.includes('\r\n\r\n'));
    expect(accepted.response()).toMatch(/^HTTP\/1\.1 101 /);
    accepted.socket.destroy();
  });

  test('the server makes its connections with the WebSocket option, a subclass', async () => {
    class Tagged extends WebSocket {
      readonly tag = 'tagged';
    }
    const server = await listen({ backend, WebSocket: Tagged });
    const connection = once(server, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(server)}`);
    client.on('error', () => {});
    const [ws] = (await connection) as [Tagged];
    expect(ws).toBeInstanceOf(Tagged);
    expect(ws.tag).toBe('tagged');
    expect(server.options.WebSocket).toBe(Tagged);
    client.terminate();
    await closeServer(server);
    expect(() => new WebSocketServer({ noServer: true, WebSocket: Object as never })).toThrow(
      TypeError,
    );
  });

  test("an exception while accepting is the server's 'error', and the client gets a 500", async () => {
    const bug = new Error('a bug in a subclass');
    class Broken extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        throw bug;
      }
    }
    const server = await listen({ backend, WebSocket: Broken });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    const client = new WsClient(`ws://127.0.0.1:${portOf(server)}`);
    // ws's client stays CONNECTING after an unexpected response; terminate() then errs.
    client.on('error', () => {});
    const [, response] = (await once(client, 'unexpected-response')) as [
      unknown,
      http.IncomingMessage,
    ];
    expect(response.statusCode).toBe(500);
    expect(errors).toEqual([bug]);
    client.terminate();
    await closeServer(server);
  });

  test("'wsClientError' gets an invalid request's error, socket and request; no answer is sent", async () => {
    const server = await listen({ backend });
    const seen: string[] = [];
    server.on('wsClientError', (error, socket, req) => {
      seen.push(`${error.message} ${req.method}`);
      socket.end('HTTP/1.1 400 Mine\r\n\r\n');
    });
    const port = portOf(server);
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest(port, { key: 'short' }));
    await peer.closed;
    expect(seen).toEqual(['Missing or invalid Sec-WebSocket-Key header GET']);
    expect(peer.response()).toBe('HTTP/1.1 400 Mine');
    await closeServer(server);
  });

  test("a socket left to 'wsClientError' still survives a reset by the client", async () => {
    const server = await listen({ backend });
    const sockets: import('node:stream').Duplex[] = [];
    server.on('wsClientError', (_error, socket) => sockets.push(socket));
    const port = portOf(server);
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest(port, { key: 'short' }));
    await until(() => sockets.length === 1);
    peer.socket.resetAndDestroy();
    await until(() => sockets[0]!.destroyed);
    await closeServer(server);
  });

  test('createConnection and finishRequest are used, as ws uses them', async () => {
    const seen: string[] = [];
    const server = await listen({ backend });
    server.on('connection', (_ws, req) => seen.push(`header ${String(req.headers['x-late'])}`));
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}`, {
      backend,
      createConnection: (options) => {
        seen.push(`connect ${options.host}`);
        return http.globalAgent.createConnection(options);
      },
      finishRequest: (request, websocket) => {
        seen.push(`finish ${websocket instanceof WebSocket}`);
        request.setHeader('X-Late', 'yes');
        request.end();
      },
    });
    await once(ws, 'open');
    await until(() => seen.length === 3);
    expect(seen).toEqual(['connect 127.0.0.1', 'finish true', 'header yes']);
    ws.close();
    await once(ws, 'close');
    await closeServer(server);
  });
});

describe.each(backends)('redirects (%s)', (backend) => {
  let target: WsServer;
  let redirector: http.Server;
  let headersSeen: http.IncomingHttpHeaders[];

  beforeAll(async () => {
    headersSeen = [];
    target = new WsServer({ port: 0, host: '127.0.0.1' });
    target.on('connection', (ws, req) => {
      headersSeen.push(req.headers);
      ws.close();
    });
    await once(target, 'listening');
    redirector = http.createServer();
    redirector.on('upgrade', (req, socket) => {
      const to = req.url === '/loop' ? '/loop' : `ws://127.0.0.1:${portOf(target)}${req.url ?? ''}`;
      socket.end(`HTTP/1.1 301 Moved\r\nLocation: ${to}\r\n\r\n`);
    });
    redirector.listen(0, '127.0.0.1');
    await once(redirector, 'listening');
  });
  afterAll(async () => {
    redirector.close();
    await new Promise((resolve) => target.close(resolve));
  });

  test('without followRedirects a redirect is an unexpected response', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(redirector)}/a`, { backend });
    const [error] = (await once(ws, 'error')) as [Error];
    expect(error.message).toBe('Unexpected server response: 301');
  });

  test('a redirect to another host drops credentials; the url follows', async () => {
    headersSeen = [];
    const ws = new WebSocket(`ws://user:pw@127.0.0.1:${portOf(redirector)}/b?q=1`, {
      backend,
      followRedirects: true,
      headers: { Cookie: 'c=1', 'X-Kept': 'k' },
    });
    await once(ws, 'open');
    expect(ws.url).toBe(`ws://127.0.0.1:${portOf(target)}/b?q=1`);
    const [headers] = headersSeen;
    expect(headers?.authorization).toBeUndefined();
    expect(headers?.cookie).toBeUndefined();
    expect(headers?.['x-kept']).toBe('k');
    await once(ws, 'close');
  });

  test("with a 'redirect' listener nothing is dropped, and it gets the url and request", async () => {
    headersSeen = [];
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(redirector)}/c`, {
      backend,
      followRedirects: true,
      headers: { Authorization: 'Bearer x' },
    });
    const redirects: string[] = [];
    ws.on('redirect', (to, request) => {
      redirects.push(to);
      request.setHeader('X-From-Listener', '1');
    });
    await once(ws, 'open');
    expect(redirects).toEqual([`ws://127.0.0.1:${portOf(target)}/c`]);
    expect(headersSeen[0]?.authorization).toBe('Bearer x');
    expect(headersSeen[0]?.['x-from-listener']).toBe('1');
    await once(ws, 'close');
  });

  test('more redirects than maxRedirects fail the handshake', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(redirector)}/loop`, {
      backend,
      followRedirects: true,
      maxRedirects: 3,
    });
    const errors: string[] = [];
    ws.on('error', (error) => errors.push(error.message));
    const code = await new Promise((resolve) => ws.on('close', resolve));
    expect(errors).toEqual(['Maximum redirects exceeded']);
    expect(code).toBe(1006);
  });
});

describe.each(backends)('createWebSocketStream ends as ws (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test("the peer's close first, then end(): destroyed, with one 'close'", async () => {
    const connection = once(wss, 'connection');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    const duplex = createWebSocketStream(ws);
    const [server] = (await connection) as [WebSocket];
    let closes = 0;
    duplex.on('close', () => closes++);
    duplex.resume();
    server.close();
    await once(duplex, 'end');
    expect(duplex.destroyed).toBe(false);
    duplex.end();
    await once(duplex, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(duplex.destroyed).toBe(true);
    expect(closes).toBe(1);
  });

  test("end() first, then the peer's close: 'finish' before 'end', one 'close'", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    const duplex = createWebSocketStream(ws);
    const events: string[] = [];
    for (const name of ['finish', 'end', 'close']) duplex.on(name, () => events.push(name));
    duplex.resume();
    duplex.end();
    await once(duplex, 'close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['finish', 'end', 'close']);
    expect(duplex.destroyed).toBe(true);
  });
});
