// How a WebSocketServer answers upgrade requests, as a client on the wire sees it: what it
// answers plain HTTP with, its handshake deadline and header limit, the path it serves, what
// verifyClient is told and how its answer is carried out, the subprotocol it picks, and what
// handleUpgrade() does with a socket it cannot use.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer, type VerifyClientInfo } from '../../src/index.js';
import {
  backends,
  closeServer,
  listen,
  portOf,
  RawPeer,
  uncaughtErrors,
  until,
  upgradeRequest,
} from './helpers.js';

/** Sends `request` on a new connection and returns all that comes back before the close. */
async function exchange(port: number, request: string): Promise<string> {
  const peer = await RawPeer.connect(port);
  peer.write(request);
  await peer.closed;
  return peer.received.toString('latin1');
}

/** An HTTP server on 127.0.0.1 whose upgrades go to `onUpgrade`. */
async function upgradeServer(
  onUpgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<http.Server> {
  const server = http.createServer();
  server.on('upgrade', onUpgrade);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function stopServer(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe.each(backends)('a server of its own, before the upgrade (%s)', (backend) => {
  test('a plain HTTP request gets 426 Upgrade Required, as text/plain', async () => {
    const wss = await listen({ backend });
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`http://127.0.0.1:${portOf(wss)}/`, resolve),
    );
    let body = '';
    res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    await once(res, 'end');
    expect(res.statusCode).toBe(426);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(body).toBe('Upgrade Required');
    await closeServer(wss);
  });

  test('a request whose headers exceed maxHeaderSize gets 431 from the HTTP parser', async () => {
    const wss = await listen({ backend, maxHeaderSize: 1024 });
    const port = portOf(wss);
    const response = await exchange(
      port,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ${'a'.repeat(2000)}\r\n\r\n`,
    );
    expect(response.startsWith('HTTP/1.1 431 ')).toBe(true);
    await closeServer(wss);
  });

  test('a connection that sends nothing is closed after handshakeTimeout', async () => {
    const wss = await listen({ backend, handshakeTimeout: 50 });
    const peer = await RawPeer.connect(portOf(wss));
    await until(() => peer.socket.destroyed || peer.socket.readableEnded, 4000);
    expect(peer.received.length).toBe(0);
    await closeServer(wss);
  });
});

describe.each(backends)('the path a server serves (%s)', (backend) => {
  test('the exact path, without a query, is accepted; another gets 400 Invalid path', async () => {
    const wss = await listen({ backend, path: '/chat' });
    const port = portOf(wss);
    const peer = await RawPeer.connect(port);
    peer.write(upgradeRequest(port, { path: '/chat' }));
    await until(() => peer.received.includes('\r\n\r\n'));
    expect(peer.response().startsWith('HTTP/1.1 101 ')).toBe(true);
    peer.socket.destroy();
    const refused = await exchange(port, upgradeRequest(port, { path: '/chat/room' }));
    expect(refused.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(refused.endsWith('\r\n\r\nInvalid path')).toBe(true);
    await closeServer(wss);
  });
});

describe.each(backends)('what verifyClient is told, and how its answer is kept (%s)', (backend) => {
  test("the origin is Origin, or Sec-WebSocket-Origin for a version 8 client; 'secure' is false over TCP", async () => {
    const seen: VerifyClientInfo[] = [];
    const wss = await listen({
      backend,
      verifyClient: (info) => {
        seen.push(info);
        return false;
      },
    });
    const port = portOf(wss);
    const extra = 'Origin: http://origin.test\r\nSec-WebSocket-Origin: http://hybi.test\r\n';
    await exchange(port, upgradeRequest(port, { version: '8', extra }));
    await exchange(port, upgradeRequest(port, { version: '13', extra }));
    expect(seen.map((info) => [info.origin, info.secure])).toEqual([
      ['http://hybi.test', false],
      ['http://origin.test', false],
    ]);
    await closeServer(wss);
  });

  test('a callback answer of true accepts the client', async () => {
    const wss = await listen({
      backend,
      verifyClient: (_info, done) => setImmediate(() => done(true)),
    });
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    await once(ws, 'open');
    ws.terminate();
    await closeServer(wss);
  });

  test("a refusal without a message answers with the status code's own text, or none", async () => {
    const codes = [undefined, 403, 499];
    const wss = await listen({
      backend,
      verifyClient: (_info, done) => done(false, codes.shift()),
    });
    const port = portOf(wss);
    const responses: string[] = [];
    for (let i = 0; i < 3; i++) responses.push(await exchange(port, upgradeRequest(port)));
    expect(responses.map((r) => [r.slice(0, r.indexOf('\r\n')), r.split('\r\n\r\n')[1]])).toEqual([
      ['HTTP/1.1 401 Unauthorized', 'Unauthorized'],
      ['HTTP/1.1 403 Forbidden', 'Forbidden'],
      ['HTTP/1.1 499 ', ''],
    ]);
    await closeServer(wss);
  });
});

describe.each(backends)('verifyClient over TLS (%s)', (backend) => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    key = fs.readFileSync(path.join(dir, 'key.pem'));
    cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("'secure' is true for a client over TLS that shows no certificate", async () => {
    const server = https.createServer({ key, cert });
    const secure: boolean[] = [];
    const wss = new WebSocketServer({
      server,
      backend,
      verifyClient: (info) => secure.push(info.secure) > 0,
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`wss://127.0.0.1:${portOf(server)}/`, { backend, ca: cert });
    await once(ws, 'open');
    expect(secure).toEqual([true]);
    ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await stopServer(server);
  });
});

describe.each(backends)('the subprotocol (%s)', (backend) => {
  async function handshake(
    options: { handleProtocols?: (offered: Set<string>) => string | false },
    offered: string | null,
  ): Promise<{ response: string; protocol: string }> {
    const wss = await listen({ backend, ...options });
    const port = portOf(wss);
    const connection = once(wss, 'connection');
    const peer = await RawPeer.connect(port);
    const extra = offered === null ? '' : `Sec-WebSocket-Protocol: ${offered}\r\n`;
    peer.write(upgradeRequest(port, { extra }));
    const [ws] = (await connection) as [WebSocket];
    await until(() => peer.received.includes('\r\n\r\n'));
    const response = peer.response();
    peer.socket.destroy();
    await closeServer(wss);
    return { response, protocol: ws.protocol };
  }

  test('without handleProtocols the first one offered is chosen', async () => {
    const { response, protocol } = await handshake({}, 'alpha, beta');
    expect(protocol).toBe('alpha');
    expect(response).toMatch(/\r\nSec-WebSocket-Protocol: alpha(\r\n|$)/);
  });

  test('handleProtocols is not asked when the client offers none', async () => {
    const asked: Set<string>[] = [];
    const { response, protocol } = await handshake(
      {
        handleProtocols: (offered) => {
          asked.push(offered);
          return 'made-up';
        },
      },
      null,
    );
    expect(asked).toEqual([]);
    expect(protocol).toBe('');
    expect(response).not.toMatch(/Sec-WebSocket-Protocol/i);
  });

  test('handleProtocols answering false picks none', async () => {
    const { response, protocol } = await handshake({ handleProtocols: () => false }, 'alpha');
    expect(protocol).toBe('');
    expect(response).not.toMatch(/Sec-WebSocket-Protocol/i);
  });

  test("handleProtocols' choice is the connection's protocol", async () => {
    const { protocol } = await handshake({ handleProtocols: () => 'beta' }, 'alpha, beta');
    expect(protocol).toBe('beta');
  });
});

describe.each(backends)('handleUpgrade() (%s)', (backend) => {
  test('after close() an upgrade gets 503 The server is closing', async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    await new Promise((resolve) => wss.close(resolve));
    const server = await upgradeServer((req, socket, head) =>
      wss.handleUpgrade(req, socket, head, () => {}),
    );
    const response = await exchange(portOf(server), upgradeRequest(portOf(server)));
    expect(response.startsWith('HTTP/1.1 503 Service Unavailable\r\n')).toBe(true);
    expect(response.endsWith('\r\n\r\nThe server is closing')).toBe(true);
    await stopServer(server);
  });

  test("a WebSocket class whose constructor throws: the client gets 500, the server 'error'", async () => {
    const failure = new Error('subclass bug');
    class Broken extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        throw failure;
      }
    }
    const wss = await listen({ backend, WebSocket: Broken as unknown as typeof WebSocket });
    const errors: unknown[] = [];
    wss.on('error', (error) => errors.push(error));
    const port = portOf(wss);
    const response = await exchange(port, upgradeRequest(port));
    expect(response.startsWith('HTTP/1.1 500 Internal Server Error\r\n')).toBe(true);
    expect(response.endsWith('\r\n\r\nThe connection could not be set up')).toBe(true);
    expect(errors).toEqual([failure]);
    await closeServer(wss);
  });

  test('a second handleUpgrade() with the same socket throws', async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    const thrown: unknown[] = [];
    const accepted: WebSocket[] = [];
    const server = await upgradeServer((req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => accepted.push(ws));
      try {
        wss.handleUpgrade(req, socket, head, (ws) => accepted.push(ws));
      } catch (error) {
        thrown.push(error);
      }
    });
    const peer = await RawPeer.connect(portOf(server));
    peer.write(upgradeRequest(portOf(server)));
    await until(() => thrown.length === 1);
    expect((thrown[0] as Error).message).toBe(
      'server.handleUpgrade() was called more than once with the same socket, ' +
        'possibly due to a misconfiguration',
    );
    expect(accepted.length).toBe(1);
    accepted[0]!.terminate();
    peer.socket.destroy();
    await stopServer(server);
    await new Promise((resolve) => wss.close(resolve));
  });

  test('a socket that can no longer be written is destroyed, not upgraded', async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    const accepted: WebSocket[] = [];
    const sockets: Duplex[] = [];
    const server = await upgradeServer((req, socket, head) => {
      sockets.push(socket);
      socket.end();
      wss.handleUpgrade(req, socket, head, (ws) => accepted.push(ws));
    });
    const response = await exchange(portOf(server), upgradeRequest(portOf(server)));
    expect(response).toBe('');
    expect(sockets[0]!.destroyed).toBe(true);
    expect(accepted).toEqual([]);
    await stopServer(server);
  });

  test('a socket error during the handshake destroys the socket', async () => {
    const wss = new WebSocketServer({
      noServer: true,
      backend,
      // Never answers: the handshake stays under way.
      verifyClient: (_info, _done) => undefined,
    });
    const sockets: Duplex[] = [];
    const server = await upgradeServer((req, socket, head) => {
      sockets.push(socket);
      wss.handleUpgrade(req, socket, head, () => {});
    });
    const peer = await RawPeer.connect(portOf(server));
    peer.write(upgradeRequest(portOf(server)));
    await until(() => sockets.length === 1);
    sockets[0]!.emit('error', new Error('reset'));
    await peer.closed;
    expect(sockets[0]!.destroyed).toBe(true);
    await stopServer(server);
  });

  test('a socket error after a refusal is not thrown', async () => {
    const wss = new WebSocketServer({ noServer: true, backend, path: '/only' });
    const sockets: Duplex[] = [];
    const server = await upgradeServer((req, socket, head) => {
      sockets.push(socket);
      wss.handleUpgrade(req, socket, head, () => {});
    });
    const peer = await RawPeer.connect(portOf(server));
    peer.write(upgradeRequest(portOf(server), { path: '/other' }));
    await until(() => sockets.length === 1);
    const thrown = uncaughtErrors(sockets[0]!);
    sockets[0]!.emit('error', new Error('reset'));
    expect(thrown).toEqual([]);
    await peer.closed;
    expect(peer.response().startsWith('HTTP/1.1 400 ')).toBe(true);
    await stopServer(server);
  });
});
