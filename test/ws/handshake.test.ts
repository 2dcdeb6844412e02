import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  acceptFor,
  backends,
  closed,
  closeServer,
  delay,
  listen,
  portOf,
  RawPeer,
  upgradeRequest,
  uncaughtErrors,
} from './helpers.js';

/** Sends `request` on a fresh connection and waits for the server to close it. */
async function exchange(
  port: number,
  request: string,
): Promise<{ response: string; peer: RawPeer }> {
  const peer = await RawPeer.connect(port);
  peer.write(request);
  await peer.closed;
  return { response: peer.received.toString('latin1'), peer };
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

describe.each(backends)('the server refuses bad opening handshakes (%s)', (backend) => {
  let wss: WebSocketServer;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    wss = await listen({
      backend,
      handshakeTimeout: 300,
      verifyClient: ({ req }) => req.headers['x-deny'] === undefined,
    });
    wss.on('connection', () => {
      connections++;
    });
    port = portOf(wss);
  });
  afterAll(() => closeServer(wss));

  test('a garbage request gets 400 and the socket is closed', async () => {
    const { response } = await exchange(port, 'HELLO THERE\r\n\r\n');
    expect(statusOf(response)).toBe(400);
  });

  test('a wrong version gets 426 naming versions 13 and 8, and the socket is closed', async () => {
    const { response } = await exchange(port, upgradeRequest(port, { version: '7' }));
    expect(statusOf(response)).toBe(426);
    expect(response).toMatch(/\r\nSec-WebSocket-Version: 13, 8\r\n/);
  });

  test('a missing key gets 400 and the socket is closed', async () => {
    const request = upgradeRequest(port).replace(/Sec-WebSocket-Key: .*\r\n/, '');
    const { response } = await exchange(port, request);
    expect(statusOf(response)).toBe(400);
  });

  test('a key that is not 16 bytes of base64 gets 400', async () => {
    const { response } = await exchange(port, upgradeRequest(port, { key: 'c2hvcnQ=' }));
    expect(statusOf(response)).toBe(400);
  });

  test('a duplicated subprotocol gets 400', async () => {
    const request = upgradeRequest(port, { extra: 'Sec-WebSocket-Protocol: chat, chat\r\n' });
    expect(statusOf((await exchange(port, request)).response)).toBe(400);
  });

  test('an upgrade with a method other than GET gets 405', async () => {
    const request = upgradeRequest(port).replace(/^GET/, 'POST');
    expect(statusOf((await exchange(port, request)).response)).toBe(405);
  });

  test('oversized headers get 431 and the socket is closed', async () => {
    const request = upgradeRequest(port, { extra: `X-Padding: ${'a'.repeat(20 * 1024)}\r\n` });
    const { response } = await exchange(port, request);
    expect(statusOf(response)).toBe(431);
  });

  test('a plain HTTP request gets 426 Upgrade Required', async () => {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/', agent: false }, resolve).on('error', reject),
    );
    expect(response.statusCode).toBe(426);
    response.resume();
  });

  test('a client refused by verifyClient gets 401', async () => {
    const request = upgradeRequest(port, { extra: 'X-Deny: 1\r\n' });
    expect(statusOf((await exchange(port, request)).response)).toBe(401);
  });

  test('a client that never finishes the handshake is closed after handshakeTimeout', async () => {
    const started = Date.now();
    const peer = await RawPeer.connect(port);
    peer.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await peer.closed;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });

  test('a client that connects and sends nothing is closed after handshakeTimeout', async () => {
    const started = Date.now();
    const peer = await RawPeer.connect(port);
    await peer.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  test('an accepted connection outlives the handshake timeout', async () => {
    const peer = await RawPeer.open(port);
    await delay(450);
    expect(peer.socket.destroyed).toBe(false);
    peer.socket.destroy();
  });

  test('an offered extension is declined: the response has no Sec-WebSocket-Extensions', async () => {
    const peer = await RawPeer.connect(port);
    peer.write(
      upgradeRequest(port, {
        extra: 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n',
      }),
    );
    await new Promise<void>((resolve) => peer.socket.once('data', () => resolve()));
    expect(peer.response()).toMatch(/^HTTP\/1\.1 101 /);
    expect(peer.response()).not.toMatch(/sec-websocket-extensions/i);
    peer.socket.destroy();
  });

  test('none of the refused requests became a connection', () => {
    expect(connections).toBe(1 + 1);
  });
});

describe.each(backends)('the server on a path, and with async verifyClient (%s)', (backend) => {
  test('a request for another path gets 400; the right path connects', async () => {
    const wss = await listen({ backend, path: '/chat' });
    const port = portOf(wss);
    expect(
      statusOf((await exchange(port, upgradeRequest(port, { path: '/other' }))).response),
    ).toBe(400);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat?room=1`, { backend });
    await once(ws, 'open');
    ws.terminate();
    await closeServer(wss);
  });

  test('an async verifyClient refusal carries its status, message and headers', async () => {
    const wss = await listen({
      backend,
      verifyClient: (_info, done) =>
        setTimeout(() => done(false, 403, 'Go away', { 'X-Reason': 'test' }), 10),
    });
    const port = portOf(wss);
    const { response } = await exchange(port, upgradeRequest(port));
    expect(statusOf(response)).toBe(403);
    expect(response).toMatch(/\r\nX-Reason: test\r\n/);
    expect(response.endsWith('Go away')).toBe(true);
    await closeServer(wss);
  });
});

/** A TCP server that answers every request with `respond(key)`, or never if it returns null. */
async function fakeServer(respond: (key: string) => string | null): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key: (\S+)/i.exec(head)?.[1] ?? '';
      const response = respond(key);
      if (response !== null) socket.write(response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const switching = (key: string, extra = '') =>
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' +
  `Connection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n${extra}\r\n`;

describe.each(backends)('the client checks the opening handshake (%s)', (backend) => {
  async function failedHandshake(
    respond: (key: string) => string | null,
    protocols?: string[],
    options: object = {},
  ): Promise<{ error: Error; close: { code: number }; opened: boolean }> {
    const server = await fakeServer(respond);
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, protocols, {
      backend,
      ...options,
    });
    let opened = false;
    ws.on('open', () => {
      opened = true;
    });
    const error = once(ws, 'error');
    const close = closed(ws);
    const result = { error: (await error)[0] as Error, close: await close, opened };
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    server.close();
    return result;
  }

  test('a wrong Sec-WebSocket-Accept fails the handshake', async () => {
    const result = await failedHandshake(
      () =>
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBvbmU=\r\n\r\n',
    );
    expect(result.error.message).toMatch(/Sec-WebSocket-Accept/);
    expect(result.close.code).toBe(1006);
    expect(result.opened).toBe(false);
  });

  test('an extension the client did not ask for fails the handshake', async () => {
    const result = await failedHandshake(
      (key) => switching(key, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'),
      undefined,
      { perMessageDeflate: false },
    );
    expect(result.error.message).toMatch(/Sec-WebSocket-Extensions/);
    expect(result.opened).toBe(false);
  });

  test('a subprotocol the client did not offer fails the handshake', async () => {
    const result = await failedHandshake(
      (key) => switching(key, 'Sec-WebSocket-Protocol: other\r\n'),
      ['chat'],
    );
    expect(result.error.message).toMatch(/invalid subprotocol/);
  });

  test('no subprotocol when the client asked for some fails the handshake', async () => {
    const result = await failedHandshake((key) => switching(key), ['chat']);
    expect(result.error.message).toMatch(/no subprotocol/);
  });

  test('a response other than 101 fails the handshake with its status', async () => {
    const result = await failedHandshake(
      () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
    );
    expect(result.error.message).toBe('Unexpected server response: 404');
    expect(result.close.code).toBe(1006);
  });

  test('a server that never answers is given up after handshakeTimeout', async () => {
    const started = Date.now();
    const result = await failedHandshake(() => null, undefined, { handshakeTimeout: 200 });
    expect(result.error.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  test('response headers over maxHeaderSize fail the handshake', async () => {
    const result = await failedHandshake(
      (key) => switching(key, `X-Big: ${'b'.repeat(4096)}\r\n`),
      undefined,
      { maxHeaderSize: 1024 },
    );
    expect(result.opened).toBe(false);
    expect(result.close.code).toBe(1006);
  });

  test('an unexpected response goes to an unexpected-response listener instead of error', async () => {
    const server = await fakeServer(
      () => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope',
    );
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    const [, res] = (await once(ws, 'unexpected-response')) as [
      http.ClientRequest,
      http.IncomingMessage,
    ];
    expect(res.statusCode).toBe(403);
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(body).toBe('nope');
    // Closed once the response is over, with no 'error': the application has the response.
    expect((await wsClosed).code).toBe(1006);
    expect(ws.readyState).toBe(ws.CLOSED);
    expect(errors).toEqual([]);
    server.close();
  });

  test('terminate() while an unexpected response is read reports the abandoned handshake', async () => {
    const server = await fakeServer(() => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    ws.on('unexpected-response', () => ws.terminate());
    expect((await closed(ws)).code).toBe(1006);
    expect(errors.map((e) => e.message)).toEqual([
      'WebSocket was closed before the connection was established',
    ]);
    server.close();
  });

  test('without an error listener a failed handshake throws, as on any EventEmitter, and closes', async () => {
    const server = await fakeServer(() => 'HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    const thrown = uncaughtErrors(ws);
    expect((await closed(ws)).code).toBe(1006);
    expect(thrown).toHaveLength(1);
    expect((thrown[0] as Error).message).toMatch(/500/);
    server.close();
  });

  test('close() before the handshake completes aborts it', async () => {
    const server = await fakeServer(() => null);
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    const error = once(ws, 'error');
    ws.close();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    expect(((await error)[0] as Error).message).toMatch(
      /closed before the connection was established/,
    );
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    server.close();
  });

  test('a connection refused is reported as an error and a 1006 close', async () => {
    const server = await fakeServer(() => null);
    const port = portOf(server);
    await new Promise((resolve) => server.close(resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { backend });
    const wsClosed = closed(ws);
    const [error] = (await once(ws, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect((await wsClosed).code).toBe(1006);
  });

  test('an address that is not a ws(s) or http(s) URL throws a SyntaxError', () => {
    expect(() => new WebSocket('not a url', { backend })).toThrow(SyntaxError);
    expect(() => new WebSocket('ftp://127.0.0.1/', { backend })).toThrow(SyntaxError);
    expect(() => new WebSocket('ws://127.0.0.1/#frag', { backend })).toThrow(SyntaxError);
    expect(() => new WebSocket('ws://127.0.0.1/', ['a', 'a'], { backend })).toThrow(SyntaxError);
  });

  test('the request carries the origin, extra headers and subprotocols', async () => {
    const wss = new WebSocketServer({ noServer: true, backend, handleProtocols: () => 'b' });
    const server = http.createServer();
    const seen = new Promise<http.IncomingHttpHeaders>((resolve) => {
      server.on('upgrade', (req, socket, head) => {
        resolve(req.headers);
        wss.handleUpgrade(req, socket, head, (ws) => ws.close());
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}/x`, ['a', 'b'], {
      backend,
      origin: 'https://example.test',
      headers: { 'X-Extra': 'yes' },
    });
    const headers = await seen;
    expect(headers.origin).toBe('https://example.test');
    expect(headers['x-extra']).toBe('yes');
    expect(headers['sec-websocket-protocol']).toBe('a,b');
    // permessage-deflate is offered by default, as ws offers it.
    expect(headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits');
    await closed(ws);
    expect(ws.protocol).toBe('b');
    server.close();
  });
});
