// What close() does to a WebSocketServer and to the HTTP server under it, as in ws 8: a
// server of its own stops listening; a server given to it is left listening, without the
// server's listeners; 'close' comes once, after the last tracked connection has ended.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import { backends, listen, portOf } from './helpers.js';

function closeWss(wss: WebSocketServer): Promise<Error | undefined> {
  return new Promise((resolve) => wss.close(resolve));
}

/** Whether a TCP connection to `port` on 127.0.0.1 is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Lets every callback already queued run, so that an event that should not come has come. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function httpServer(): Promise<http.Server> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function listenerCounts(server: http.Server): number[] {
  return ['listening', 'error', 'upgrade'].map((event) => server.listenerCount(event));
}

describe.each(backends)('WebSocketServer close() (%s)', (backend) => {
  test('a server of its own stops listening, and address() is then null', async () => {
    const wss = await listen({ backend });
    const port = portOf(wss);
    expect(await accepts(port)).toBe(true);
    expect(await closeWss(wss)).toBeUndefined();
    expect(await accepts(port)).toBe(false);
    expect(wss.address()).toBeNull();
  });

  test('a server given to it keeps listening, and gets its listeners back', async () => {
    const server = await httpServer();
    const before = listenerCounts(server);
    const wss = new WebSocketServer({ server, backend });
    expect(listenerCounts(server)).not.toEqual(before);
    expect(await closeWss(wss)).toBeUndefined();
    expect(server.listening).toBe(true);
    expect(await accepts(portOf(server))).toBe(true);
    expect(listenerCounts(server)).toEqual(before);
    await new Promise((resolve) => server.close(resolve));
  });

  test("with noServer and no connection, 'close' comes once however often close() is called", async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    let closes = 0;
    wss.on('close', () => closes++);
    const first = closeWss(wss);
    const second = closeWss(wss);
    expect(await first).toBeUndefined();
    expect(await second).toBeUndefined();
    await settle();
    expect(closes).toBe(1);
  });

  test("close() on a closed server emits 'close' again, and tells a callback it was not running", async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    await closeWss(wss);
    wss.close();
    await once(wss, 'close');
    const error = await closeWss(wss);
    expect(error?.message).toBe('The server is not running');
  });

  test("'close' waits for the last tracked connection to end", async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    const server = http.createServer();
    server.on('upgrade', (req, socket: Duplex, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${portOf(server)}/`;
    const clients = [new WebSocket(url, { backend }), new WebSocket(url, { backend })];
    await Promise.all(clients.map((client) => once(client, 'open')));
    expect(wss.clients.size).toBe(2);
    let closed = false;
    const wssClosed = closeWss(wss).then(() => (closed = true));

    const [first, second] = [...wss.clients] as [WebSocket, WebSocket];
    const firstGone = once(first, 'close');
    first.terminate();
    await firstGone;
    await settle();
    expect(closed).toBe(false);
    expect(wss.clients.size).toBe(1);

    second.terminate();
    await wssClosed;
    expect(wss.clients.size).toBe(0);
    for (const client of clients) client.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("a port already in use is reported by the server's 'error' event", async () => {
    const taken = await httpServer();
    const wss = new WebSocketServer({ port: portOf(taken), host: '127.0.0.1', backend });
    const [error] = (await once(wss, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('EADDRINUSE');
    await closeWss(wss);
    await new Promise((resolve) => taken.close(resolve));
  });
});
