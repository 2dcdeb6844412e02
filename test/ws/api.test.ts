import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import {
  CloseEvent,
  createWebSocketStream,
  ErrorEvent,
  MessageEvent,
  WebSocket,
  WebSocketServer,
} from '../../src/index.js';
import {
  acceptFor,
  backends,
  closed,
  closeServer,
  delay,
  frame,
  listen,
  nextMessage,
  portOf,
  RawPeer,
  until,
  upgradeRequest,
} from './helpers.js';
import { messageText } from '../helpers/message-text.js';

describe.each(backends)('the WebSocket API (%s)', (backend) => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = await listen({ backend });
    wss.on('connection', (ws, req) => {
      if (req.url === '/greet') ws.send('hello');
      ws.on('message', (data, isBinary) => {
        if (messageText(data) === 'bye') ws.close(4000, 'requested');
        else ws.send(data, { binary: isBinary });
      });
    });
    url = `ws://127.0.0.1:${portOf(wss)}`;
  });
  afterAll(() => closeServer(wss));

  const connect = async (p = '/', options = {}) => {
    const ws = new WebSocket(`${url}${p}`, { backend, ...options });
    await once(ws, 'open');
    return ws;
  };

  test('readyState moves through CONNECTING, OPEN, CLOSING and CLOSED', async () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([
      0, 1, 2, 3,
    ]);
    const ws = new WebSocket(`${url}/`, { backend });
    expect(ws.readyState).toBe(ws.CONNECTING);
    expect(ws.url).toBe(`${url}/`);
    await once(ws, 'open');
    expect(ws.readyState).toBe(ws.OPEN);
    ws.close();
    expect(ws.readyState).toBe(ws.CLOSING);
    expect((await closed(ws)).code).toBe(1005);
    expect(ws.readyState).toBe(ws.CLOSED);
  });

  test('binaryType decides what binary messages are delivered as', async () => {
    const ws = await connect();
    ws.send(Buffer.from([1, 2, 3]));
    expect(Buffer.isBuffer((await nextMessage(ws)).data)).toBe(true);
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array([4, 5]));
    const arrayBuffer = (await nextMessage(ws)).data as unknown as ArrayBuffer;
    expect(arrayBuffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(arrayBuffer)]).toEqual([4, 5]);
    ws.binaryType = 'fragments';
    ws.send(new Float32Array([1]).buffer);
    const fragments = (await nextMessage(ws)).data as unknown as Buffer[];
    expect(Buffer.concat(fragments).readFloatLE(0)).toBe(1);
    ws.send('text stays a Buffer');
    const { data, isBinary } = await nextMessage(ws);
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe('text stays a Buffer');
    ws.binaryType = 'blob';
    ws.send(Buffer.from('as a blob'));
    const blob = (await nextMessage(ws)).data as unknown as Blob;
    expect(blob).toBeInstanceOf(Blob);
    expect(await blob.text()).toBe('as a blob');
    ws.binaryType = 'string' as never; // ignored, as by ws and browsers
    expect(ws.binaryType).toBe('blob');
    ws.terminate();
  });

  test('WHATWG listeners get MessageEvent, CloseEvent and open events', async () => {
    const ws = new WebSocket(`${url}/`, { backend });
    const seen: string[] = [];
    ws.onopen = () => seen.push('open');
    const handler = {
      handleEvent: (event: MessageEvent) => seen.push(`object:${messageText(event.data)}`),
    };
    ws.addEventListener('message', handler);
    const onMessage = (event: MessageEvent) => seen.push(`message:${messageText(event.data)}`);
    ws.addEventListener('message', onMessage);
    ws.addEventListener('message', onMessage);
    const closeEvent = new Promise<CloseEvent>((resolve) => {
      ws.onclose = resolve;
    });
    await once(ws, 'open');
    ws.send('one');
    await until(() => seen.length === 3);
    ws.removeEventListener('message', onMessage);
    ws.send('bye');
    const event = await closeEvent;
    expect(seen).toEqual(['open', 'object:one', 'message:one']);
    expect(event).toBeInstanceOf(CloseEvent);
    expect({ code: event.code, reason: event.reason, wasClean: event.wasClean }).toEqual({
      code: 4000,
      reason: 'requested',
      wasClean: true,
    });
    expect(event.target).toBe(ws);
    expect(typeof ws.onclose).toBe('function');
    ws.onclose = null;
    expect(ws.onclose).toBeNull();
  });

  test('onerror counts as an error listener and gets an ErrorEvent', async () => {
    const ws = new WebSocket('ws://127.0.0.1:1/', { backend });
    const event = await new Promise<ErrorEvent>((resolve) => {
      ws.onerror = resolve;
    });
    expect(event).toBeInstanceOf(ErrorEvent);
    expect(event.message).toMatch(/ECONNREFUSED/);
    expect(event.error).toBeInstanceOf(Error);
  });

  test('for await yields every message until the connection closes', async () => {
    const ws = await connect('/greet');
    const got: string[] = [];
    ws.send('a');
    ws.send(Buffer.from('b'));
    ws.send('bye');
    for await (const { data, isBinary } of ws) got.push(`${messageText(data)}:${isBinary}`);
    expect(got).toEqual(['hello:false', 'a:false', 'b:true']);
  });

  test('leaving a for await loop early leaves the connection open', async () => {
    const ws = await connect('/greet');
    for await (const { data } of ws) {
      expect(messageText(data)).toBe('hello');
      break;
    }
    expect(ws.readyState).toBe(ws.OPEN);
    expect(ws.listenerCount('message')).toBe(0);
    ws.terminate();
  });

  test('a slow for await loop pauses reading and resumes it', async () => {
    const ws = await connect();
    for (let i = 0; i < 40; i++) ws.send(`n${i}`);
    let count = 0;
    let sawPaused = false;
    for await (const { data } of ws) {
      expect(messageText(data)).toBe(`n${count}`);
      count++;
      if (count === 1) await delay(50);
      sawPaused ||= ws.isPaused;
      if (count === 40) break;
    }
    expect(sawPaused).toBe(true);
    expect(ws.isPaused).toBe(false);
    ws.terminate();
  });

  test('the send callback runs once the message is written', async () => {
    const ws = await connect();
    const result = await new Promise<Error | undefined>((resolve) => ws.send('x', resolve));
    expect(result).toBeNull();
    ws.terminate();
  });

  test('send() while connecting throws; after closing its callback gets an error', async () => {
    const ws = new WebSocket(`${url}/`, { backend });
    expect(() => ws.send('early')).toThrow(/CONNECTING/);
    await once(ws, 'open');
    ws.close();
    const error = await new Promise<Error | undefined>((resolve) => ws.send('late', resolve));
    expect(error?.message).toMatch(/CLOSING/);
    expect(ws.send('late')).toBe(false);
    await closed(ws);
  });

  test('bad arguments to close, ping and send throw before anything is sent', async () => {
    const ws = await connect();
    expect(() => ws.close(1005)).toThrow(TypeError);
    expect(() => ws.close(999)).toThrow(TypeError);
    expect(() => ws.close(1000.5)).toThrow(TypeError);
    expect(() => ws.close(1000, 'r'.repeat(124))).toThrow(RangeError);
    expect(() => ws.ping(Buffer.alloc(126))).toThrow(RangeError);
    expect(() => ws.send({})).toThrow(TypeError);
    expect(ws.readyState).toBe(ws.OPEN);
    ws.terminate();
  });

  test('send() and ping() without data send an empty frame; an array is read as bytes', async () => {
    const ws = await connect();
    const pong = once(ws, 'pong');
    ws.ping(null);
    expect((await pong)[0]).toEqual(Buffer.alloc(0));
    ws.send(undefined);
    expect(await nextMessage(ws)).toEqual({ data: Buffer.alloc(0), isBinary: true });
    ws.send(null);
    expect(await nextMessage(ws)).toEqual({ data: Buffer.alloc(0), isBinary: true });
    ws.send([104, 105]);
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('hi'), isBinary: true });
    ws.terminate();
  });

  test("a connection error reaches the stream's error listener once", async () => {
    const ws = await connect();
    const duplex = createWebSocketStream(ws);
    const errors: Error[] = [];
    duplex.on('error', (error) => errors.push(error));
    const streamClosed = new Promise((resolve) => duplex.once('close', resolve));
    ws.emit('error', new Error('from the connection'));
    ws.terminate();
    await streamClosed;
    expect(errors.map((e) => e.message)).toEqual(['from the connection']);
  });

  test('createWebSocketStream pipes bytes both ways and ends with a clean close', async () => {
    const ws = await connect();
    const duplex = createWebSocketStream(ws);
    duplex.write('stream ');
    duplex.write('data');
    const chunks: Buffer[] = [];
    duplex.on('data', (chunk: Buffer) => chunks.push(chunk));
    await until(() => Buffer.concat(chunks).toString() === 'stream data');
    const wsClosed = closed(ws);
    duplex.end();
    expect((await wsClosed).code).toBe(1005);
  });

  test('createWebSocketStream works as a pipeline stage', async () => {
    const ws = await connect();
    const duplex = createWebSocketStream(ws);
    const received: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of duplex) received.push(chunk as Buffer);
    })();
    await pipeline(
      function* () {
        yield Buffer.from('piped');
      },
      duplex,
      { end: false },
    );
    await until(() => Buffer.concat(received).toString() === 'piped');
    ws.send('bye');
    await reading;
  });

  test('destroying the stream terminates the connection', async () => {
    const ws = await connect();
    const duplex = createWebSocketStream(ws);
    const wsClosed = closed(ws);
    duplex.destroy();
    expect((await wsClosed).code).toBe(1006);
  });
});

describe.each(backends)('heartbeat (%s)', (backend) => {
  test('a peer that never answers pings is terminated', async () => {
    const wss = await listen({ backend, heartbeat: { interval: 50, timeout: 100 } });
    const connection = once(wss, 'connection');
    const peer = await RawPeer.open(portOf(wss));
    const [ws] = (await connection) as [WebSocket];
    const errors: (Error & { code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    const started = Date.now();
    expect((await closed(ws)).code).toBe(1006);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(errors.map((e) => e.code)).toEqual(['WS_ERR_HEARTBEAT_TIMEOUT']);
    await peer.closed;
    expect(peer.frames()[0]!.opcode).toBe(0x9);
    await closeServer(wss);
  });

  test('a peer that answers pings stays connected', async () => {
    // Pongs over several timeouts' worth of time; the timeout is generous for a loaded machine.
    const wss = await listen({ backend, heartbeat: { interval: 40, timeout: 400 } });
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`);
    const [ws] = (await connection) as [WebSocket];
    let pongs = 0;
    ws.on('pong', () => pongs++);
    await until(() => pongs >= 25);
    expect(ws.readyState).toBe(ws.OPEN);
    client.terminate();
    await closeServer(wss);
  });

  test('a client can send the heartbeat too', async () => {
    const server = await rawAcceptingServer();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, {
      backend,
      heartbeat: { interval: 20, timeout: 40 },
    });
    const errors: (Error & { code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    expect((await closed(ws)).code).toBe(1006);
    expect(errors.map((error) => error.code)).toEqual(['WS_ERR_HEARTBEAT_TIMEOUT']);
    server.close();
  });

  test('a heartbeat with a bad interval is refused', () => {
    expect(
      () =>
        new WebSocketServer({ noServer: true, backend, heartbeat: { interval: 0, timeout: 1 } }),
    ).toThrow(RangeError);
  });
});

/** Accepts WebSocket handshakes, then swallows every frame: pings go unanswered. */
async function rawAcceptingServer(): Promise<{ port: number; close: () => void }> {
  const server = http.createServer();
  server.on('upgrade', (req, socket) => {
    const accept = acceptFor(req.headers['sec-websocket-key']!);
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: portOf(server), close: () => server.close() };
}

describe.each(backends)('the WebSocketServer API (%s)', (backend) => {
  test('exactly one of port, server and noServer is required', () => {
    expect(() => new WebSocketServer({ backend })).toThrow(TypeError);
    expect(() => new WebSocketServer({ backend, port: 0, noServer: true })).toThrow(TypeError);
  });

  test('maxPayload takes any size, the largest standing for what a message can be', () => {
    expect(
      () => new WebSocketServer({ noServer: true, backend, maxPayload: 2 ** 40 }),
    ).not.toThrow();
    expect(() => new WebSocketServer({ noServer: true, backend, maxPayload: -1 })).toThrow(
      RangeError,
    );
  });

  test('perMessageDeflate takes what ws takes and refuses bad values when the server is made', () => {
    for (const perMessageDeflate of [false, true, {}, { serverMaxWindowBits: 10, threshold: 0 }]) {
      expect(
        () => new WebSocketServer({ noServer: true, backend, perMessageDeflate }),
      ).not.toThrow();
    }
    expect(
      () => new WebSocketServer({ noServer: true, backend, perMessageDeflate: { threshold: -1 } }),
    ).toThrow(/options\.perMessageDeflate\.threshold/);
    expect(
      () => new WebSocket('ws://127.0.0.1:1/', { backend, perMessageDeflate: 'on' as never }),
    ).toThrow(TypeError);
  });

  test('an unknown backend is refused when the server is made', () => {
    expect(() => new WebSocketServer({ noServer: true, backend: 'bogus' as never })).toThrow(
      TypeError,
    );
  });

  test('noServer hands upgrades to handleUpgrade, and address() says so', async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    expect(() => wss.address()).toThrow(/noServer/);
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      if (wss.shouldHandle(req))
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(server)}/`);
    const [[ws]] = (await Promise.all([connection, once(client, 'open')])) as [
      [WebSocket],
      unknown,
    ];
    expect(wss.clients.has(ws)).toBe(true);
    const wssClosed = once(wss, 'close');
    wss.close();
    client.close();
    await wssClosed;
    expect(wss.clients.size).toBe(0);
    server.close();
  });

  test('on an existing HTTP server, plain requests still reach the application', async () => {
    const server = http.createServer((_req, res) => res.end('page'));
    const wss = new WebSocketServer({ server, backend });
    server.listen(0, '127.0.0.1');
    await once(wss, 'listening');
    const port = portOf(server);
    expect(wss.address()).toEqual(server.address());
    const body = await new Promise<string>((resolve) =>
      http.get(`http://127.0.0.1:${port}/`, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      }),
    );
    expect(body).toBe('page');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { backend });
    await once(ws, 'open');
    ws.terminate();
    await closed(ws);
    await new Promise((resolve) => wss.close(resolve));
    server.close();
  });

  test('clientTracking: false keeps no connection in clients', async () => {
    const wss = await listen({ backend, clientTracking: false });
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`);
    const [ws] = (await connection) as [WebSocket];
    expect(wss.clients.size).toBe(0);
    ws.terminate();
    await once(client, 'close');
    await new Promise((resolve) => wss.close(resolve));
  });

  test("'upgrade' comes while connecting, and close() in it abandons the handshake", async () => {
    const wss = await listen({ backend });
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    const states: number[] = [];
    const errors: Error[] = [];
    client.on('upgrade', (response: http.IncomingMessage) => {
      states.push(response.statusCode ?? 0, client.readyState);
      client.close();
    });
    client.on('error', (error) => errors.push(error));
    client.on('open', () => states.push(-1));
    expect((await closed(client)).code).toBe(1006);
    expect(states).toEqual([101, client.CONNECTING]);
    expect(errors.map((e) => e.message)).toEqual([
      'WebSocket was closed before the connection was established',
    ]);
    await closeServer(wss);
  });

  test('a headers listener can add response headers', async () => {
    const wss = await listen({ backend });
    wss.on('headers', (headers: string[]) => headers.push('X-Served-By: wslay'));
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`);
    const [response] = (await once(client, 'upgrade')) as [http.IncomingMessage];
    expect(response.headers['x-served-by']).toBe('wslay');
    client.terminate();
    await closeServer(wss);
  });

  test('close() on a closed server reports that it is not running', async () => {
    const wss = await listen({ backend });
    await new Promise((resolve) => wss.close(resolve));
    const error = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
    expect(error?.message).toMatch(/not running/);
  });

  test('a server that is closing refuses new upgrades with 503', async () => {
    const wss = new WebSocketServer({ noServer: true, backend });
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => {}));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    wss.close();
    const client = new WsClient(`ws://127.0.0.1:${portOf(server)}/`);
    // ws reports the aborted handshake as an error when it is terminated.
    client.on('error', () => {});
    const [, res] = (await once(client, 'unexpected-response')) as [unknown, http.IncomingMessage];
    expect(res.statusCode).toBe(503);
    client.terminate();
    server.close();
  });
});

describe.each(backends)('wss:// over TLS (%s)', (backend) => {
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

  test('our client and server talk over TLS', async () => {
    const server = https.createServer({ key, cert });
    const wss = new WebSocketServer({ server, backend });
    wss.on('connection', (ws) =>
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`wss://127.0.0.1:${portOf(server)}/`, { backend, ca: cert });
    await once(ws, 'open');
    const payload = Buffer.alloc(300_000, 7);
    ws.send(payload);
    expect((await nextMessage(ws)).data.equals(payload)).toBe(true);
    ws.close(1000, 'tls-bye');
    expect(await closed(ws)).toEqual({ code: 1000, reason: 'tls-bye' });
    await new Promise((resolve) => wss.close(resolve));
    server.close();
  });

  test('a certificate the client does not trust fails the handshake', async () => {
    const server = https.createServer({ key, cert });
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`wss://127.0.0.1:${portOf(server)}/`, { backend });
    const wsClosed = closed(ws);
    const [error] = (await once(ws, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect((await wsClosed).code).toBe(1006);
    server.close();
  });
});

test.each(backends)(
  'a frame sent right behind the handshake request is delivered (%s)',
  async (backend) => {
    // The first message can ride in the same TCP segment as the request: it reaches the
    // server as the upgrade's `head`.
    const wss = await listen({ backend });
    const received = new Promise<string>((resolve) => {
      wss.on('connection', (ws) => ws.once('message', (data) => resolve(messageText(data))));
    });
    const peer = await RawPeer.connect(portOf(wss));
    peer.write(Buffer.concat([Buffer.from(upgradeRequest(portOf(wss))), frame(0x1, 'eager')]));
    expect(await received).toBe('eager');
    peer.socket.destroy();
    await closeServer(wss);
  },
);
