// Which answers a client with followRedirects follows, how many, and which credentials and
// headers go on to the next request (curl's rules, as ws follows them).
import { once } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import { backends, portOf } from './helpers.js';

/** Answers an upgrade at each path with a redirect, or accepts it at /target. */
const answers: Record<string, string> = {
  '/multiple': 'HTTP/1.1 300 Multiple Choices\r\nLocation: /target\r\n\r\n',
  '/ok-with-location': 'HTTP/1.1 200 OK\r\nLocation: /target\r\nContent-Length: 0\r\n\r\n',
  '/bad-with-location':
    'HTTP/1.1 400 Bad Request\r\nLocation: /target\r\nContent-Length: 0\r\n\r\n',
  '/no-location': 'HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n',
  '/ftp': 'HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/\r\n\r\n',
};

describe.each(backends)('redirects followed (%s)', (backend) => {
  let server: http.Server;
  let other: http.Server;
  let port: number;
  let seen: http.IncomingHttpHeaders[];

  async function serve(redirects: boolean): Promise<http.Server> {
    const wss = new WebSocketServer({ noServer: true, backend });
    const s = http.createServer();
    s.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = req.url ?? '';
      if (redirects && path === '/same') {
        // Absolute, without the userinfo a relative Location would inherit.
        socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${portOf(s)}/target\r\n\r\n`);
      } else if (redirects && path === '/other') {
        socket.end(
          `HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${portOf(other)}/target\r\n\r\n`,
        );
      } else if (redirects && answers[path] !== undefined) {
        socket.end(answers[path]);
      } else {
        seen.push(req.headers);
        wss.handleUpgrade(req, socket, head, (ws) => ws.close());
      }
    });
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    return s;
  }

  beforeAll(async () => {
    server = await serve(true);
    other = await serve(false);
    port = portOf(server);
  });
  afterAll(() => {
    server.close();
    other.close();
  });

  async function outcome(path: string, options: object = {}, userinfo = ''): Promise<string> {
    seen = [];
    const ws = new WebSocket(`ws://${userinfo}127.0.0.1:${port}${path}`, {
      backend,
      followRedirects: true,
      ...options,
    });
    // Not events.once(): it rejects on the 'error' that comes first.
    const closed = new Promise((resolve) => ws.on('close', resolve));
    const result = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve(`open ${ws.url}`));
      ws.on('error', (error) => resolve(error.message));
    });
    await closed;
    return result;
  }

  test('to the same host, cookies and credentials of the first address go on', async () => {
    expect(await outcome('/same', { headers: { Cookie: 'c=1' } }, 'user:pw@')).toMatch(/^open /);
    expect(seen[0]?.cookie).toBe('c=1');
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
  });

  test('an Authorization header wins over credentials in the address', async () => {
    await outcome('/same', { headers: { Authorization: 'Bearer x' } }, 'user:pw@');
    expect(seen[0]?.authorization).toBe('Bearer x');
  });

  test('to another host, a Host header given by the application is dropped', async () => {
    await outcome('/other', { headers: { Host: 'chosen.example' } });
    expect(seen[0]?.host).toBe(`127.0.0.1:${portOf(other)}`);
  });

  test('a 300 with a Location is followed', async () => {
    expect(await outcome('/multiple')).toBe(`open ws://127.0.0.1:${port}/target`);
  });

  test.each([
    ['/ok-with-location', 200],
    ['/bad-with-location', 400],
    ['/no-location', 302],
  ])('%s is an unexpected response, not a redirect', async (path, status) => {
    expect(await outcome(path)).toBe(`Unexpected server response: ${status}`);
  });

  test('maxRedirects redirects are followed; with one fewer allowed the handshake fails', async () => {
    expect(await outcome('/same', { maxRedirects: 1 })).toBe(`open ws://127.0.0.1:${port}/target`);
    expect(await outcome('/same', { maxRedirects: 0 })).toBe('Maximum redirects exceeded');
  });

  test('a Location that is not a WebSocket address fails the handshake with its SyntaxError', async () => {
    expect(await outcome('/ftp')).toBe(
      `The URL's protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"`,
    );
  });
});
