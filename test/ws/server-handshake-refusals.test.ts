// What a server answers to an opening handshake it refuses, and which requests it accepts:
// the status line, headers and body a client reads, and the socket closed behind them.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeServer,
  listen,
  portOf,
  RawPeer,
  until,
  upgradeRequest,
} from './helpers.js';

/** Sends `request` on a fresh connection and waits for the server to close it. */
async function exchange(port: number, request: string): Promise<string> {
  const peer = await RawPeer.connect(port);
  peer.write(request);
  await peer.closed;
  return peer.received.toString('latin1');
}

/** Sends `request` and returns the response head once it is complete (for a 101). */
async function head(port: number, request: string): Promise<string> {
  const peer = await RawPeer.connect(port);
  peer.write(request);
  await until(() => peer.received.includes('\r\n\r\n'));
  peer.socket.destroy();
  return peer.response();
}

/** A request with `lines` (each "Name: value") after the request line, as a client sends it. */
function request(lines: string[], method = 'GET'): string {
  return `${method} / HTTP/1.1\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

function validLines(port: number): string[] {
  return [
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
  ];
}

describe.each(backends)('a refused opening handshake is answered (%s)', (backend) => {
  let wss: WebSocketServer;
  let port: number;

  beforeAll(async () => {
    wss = await listen({
      backend,
      verifyClient: (_info, done) => done(false, 499, 'No reason known'),
    });
    port = portOf(wss);
  });
  afterAll(() => closeServer(wss));

  test('a method other than GET: 405 with Allow: GET, a plain-text body saying why, and close', async () => {
    const response = await exchange(port, request(validLines(port), 'PUT'));
    expect(response).toBe(
      'HTTP/1.1 405 Method Not Allowed\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 19\r\n' +
        'Allow: GET\r\n' +
        '\r\n' +
        'Invalid HTTP method',
    );
  });

  test('an Upgrade to another protocol: 400 Invalid Upgrade header', async () => {
    const lines = validLines(port).map((line) =>
      line.replace('Upgrade: websocket', 'Upgrade: h2c'),
    );
    const response = await exchange(port, request(lines));
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response.endsWith('\r\n\r\nInvalid Upgrade header')).toBe(true);
  });

  test('a malformed key: 400 with the reason in the body', async () => {
    const lines = validLines(port).map((line) =>
      line.startsWith('Sec-WebSocket-Key') ? 'Sec-WebSocket-Key: c2hvcnQ=' : line,
    );
    const response = await exchange(port, request(lines));
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response.endsWith('\r\n\r\nMissing or invalid Sec-WebSocket-Key header')).toBe(true);
  });

  test('an unknown version: 426 with the reason in the body', async () => {
    const response = await exchange(port, upgradeRequest(port, { version: '14' }));
    expect(response).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(response.endsWith('\r\n\r\nMissing or invalid Sec-WebSocket-Version header')).toBe(true);
  });

  test('a malformed subprotocol list: 400 with the reason in the body', async () => {
    const response = await exchange(
      port,
      upgradeRequest(port, { extra: 'Sec-WebSocket-Protocol: chat, bad name\r\n' }),
    );
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response.endsWith('\r\n\r\nInvalid Sec-WebSocket-Protocol header')).toBe(true);
  });

  test('a status with no standard reason phrase gets an empty one', async () => {
    const response = await exchange(port, upgradeRequest(port));
    expect(response).toMatch(/^HTTP\/1\.1 499 \r\n/);
    expect(response.endsWith('\r\n\r\nNo reason known')).toBe(true);
  });
});

describe.each(backends)('which upgrade requests a server accepts (%s)', (backend) => {
  let wss: WebSocketServer;
  let port: number;
  let offered: string[][];

  beforeAll(async () => {
    offered = [];
    wss = await listen({
      backend,
      handleProtocols: (protocols) => {
        offered.push([...protocols]);
        return [...protocols].at(-1) ?? false;
      },
    });
    wss.on('connection', (ws) => ws.terminate());
    port = portOf(wss);
  });
  afterAll(() => closeServer(wss));

  test('Upgrade in any case, and a Connection header listing other tokens too', async () => {
    const lines = validLines(port).map((line) =>
      line
        .replace('Upgrade: websocket', 'Upgrade: WebSocket')
        .replace('Connection: Upgrade', 'Connection: keep-alive, Upgrade'),
    );
    expect(await head(port, request(lines))).toMatch(/^HTTP\/1\.1 101 /);
  });

  test('subprotocols separated by a comma and spaces are each offered', async () => {
    offered = [];
    const response = await head(
      port,
      upgradeRequest(port, { extra: 'Sec-WebSocket-Protocol: chat,  superchat\r\n' }),
    );
    expect(response).toMatch(/^HTTP\/1\.1 101 /);
    expect(response).toMatch(/\r\nSec-WebSocket-Protocol: superchat(\r\n|$)/);
    expect(offered).toEqual([['chat', 'superchat']]);
  });
});

describe.each(backends)('the maxHeaderSize of a server on an HTTP server (%s)', (backend) => {
  const limit = 2048;
  let server: http.Server;
  let wss: WebSocketServer;
  let port: number;

  beforeAll(async () => {
    // Node's own limit (16 KiB) is above the WebSocket server's: the server's check decides.
    server = http.createServer();
    wss = new WebSocketServer({ server, backend, maxHeaderSize: limit });
    wss.on('connection', (ws) => ws.terminate());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = portOf(server);
  });
  afterAll(async () => {
    await closeServer(wss);
    server.close();
  });

  /** A request whose header lines (each with its CRLF) take `size` bytes. */
  function requestOfHeaderSize(size: number): string {
    const lines = validLines(port);
    const used = lines.reduce((sum, line) => sum + line.length + 2, 0);
    const pad = 'X-Pad: ';
    return request([...lines, pad + 'a'.repeat(size - used - pad.length - 2)]);
  }

  test('header lines of exactly maxHeaderSize bytes are accepted', async () => {
    expect(await head(port, requestOfHeaderSize(limit))).toMatch(/^HTTP\/1\.1 101 /);
  });

  test('one byte more gets 431 with the reason in the body', async () => {
    const response = await exchange(port, requestOfHeaderSize(limit + 1));
    expect(response).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(response.endsWith('\r\n\r\nRequest header fields too large')).toBe(true);
  });
});

describe.each(backends)(
  'handleUpgrade() given a request that is not an upgrade (%s)',
  (backend) => {
    // An application may pass any request to handleUpgrade(), for instance from a 'request'
    // listener: Node only emits 'upgrade' for requests with Upgrade and Connection: upgrade.
    let server: http.Server;
    let port: number;

    beforeAll(async () => {
      const wss = new WebSocketServer({ noServer: true, backend });
      server = http.createServer((req) => {
        wss.handleUpgrade(req, req.socket, Buffer.alloc(0), (ws) => ws.terminate());
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = portOf(server);
    });
    afterAll(() => {
      server.close();
    });

    test('no Upgrade header: 400 Invalid Upgrade header, as ws answers', async () => {
      const lines = validLines(port).filter((line) => !line.startsWith('Upgrade:'));
      const response = await exchange(port, request(lines));
      expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(response.endsWith('\r\n\r\nInvalid Upgrade header')).toBe(true);
    });

    test('a Connection header without upgrade: 400 Invalid Connection header (RFC 6455 §4.2.1)', async () => {
      const lines = validLines(port).map((line) =>
        line.replace('Connection: Upgrade', 'Connection: keep-alive'),
      );
      const response = await exchange(port, request(lines));
      expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(response.endsWith('\r\n\r\nInvalid Connection header')).toBe(true);
    });
  },
);

test.each(backends)(
  "a refused handshake's socket is destroyed once the answer is sent, though the client keeps its side open (%s)",
  async (backend) => {
    const wss = new WebSocketServer({ noServer: true, backend });
    const server = http.createServer();
    const sockets: Duplex[] = [];
    server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      sockets.push(socket);
      wss.handleUpgrade(req, socket, head, (ws) => ws.terminate());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = portOf(server);
    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    client.on('error', () => {});
    client.resume();
    client.write(upgradeRequest(port, { version: '99' }));
    await once(client, 'end');
    await until(() => sockets[0]?.destroyed === true);
    client.destroy();
    server.close();
  },
);
