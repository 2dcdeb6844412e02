// Pings and pongs an application sends: they keep their place among the messages sent
// before them (wslay alone would send them first), and permessage-deflate never compresses
// them (RFC 7692: RSV1 on a control frame is a protocol error).
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocket } from '../../src/index.js';
import {
  backends,
  closed,
  parseFrames,
  portOf,
  rawServer,
  until,
  TEXT,
  PING,
  PONG,
} from './helpers.js';

describe.each(backends)('a client sending pings and pongs among messages (%s)', (backend) => {
  let server: Awaited<ReturnType<typeof rawServer>>;

  beforeAll(async () => {
    server = await rawServer();
  });
  afterAll(() => server.close());

  test('each goes out after the messages sent before it, in call order', async () => {
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { backend });
    await once(ws, 'open');
    const peer = await accepted;
    ws.send('first');
    ws.ping('p');
    ws.send('second');
    ws.pong('q');
    await until(() => parseFrames(peer.received).length === 4);
    expect(parseFrames(peer.received).map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [TEXT, 'first'],
      [PING, 'p'],
      [TEXT, 'second'],
      [PONG, 'q'],
    ]);
    ws.terminate();
  });
});

describe.each(backends)('pings and pongs with permessage-deflate (%s)', (backend) => {
  let wss: WsServer;
  const seen: string[] = [];

  beforeAll(async () => {
    wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    await once(wss, 'listening');
    wss.on('connection', (ws) => {
      ws.on('ping', (data) => seen.push(`ping ${String(data)}`));
      ws.on('pong', (data) => seen.push(`pong ${String(data)}`));
      ws.on('message', (data) => seen.push(`message ${(data as Buffer).toString()}`));
    });
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  test('go out uncompressed, from bytes or from a Blob, and ws accepts them', async () => {
    seen.length = 0;
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    await once(ws, 'open');
    expect(ws.extensions).toBe('permessage-deflate');
    const wsClosed = closed(ws);
    ws.ping('from bytes');
    ws.pong(new Blob(['from a blob']));
    ws.send('compressed');
    ws.close(1000);
    expect(await wsClosed).toEqual({ code: 1000, reason: '' });
    await until(() => seen.length === 3);
    expect(seen).toEqual(['ping from bytes', 'pong from a blob', 'message compressed']);
  });
});
