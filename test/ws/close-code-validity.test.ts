import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsWebSocket, WebSocketServer as WsServer } from 'ws';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closePayload,
  closeServer,
  frame,
  listen,
  openRaw,
  portOf,
  until,
  CLOSE,
  TEXT,
} from './helpers.js';

/** Each side of every bound of the codes an endpoint may send (RFC 6455 §7.4, IANA). */
const VALID = [1000, 1003, 1007, 1014, 3000, 4999];
const INVALID = [999, 1004, 1005, 1006, 1015, 2999, 5000];
const CODES = [...VALID, ...INVALID].sort((a, b) => a - b);

/** What close(code) does on an open ws WebSocket: the error's message, or 'sent <code>'. */
function closeOutcome(ws: WebSocket | WsWebSocket, code: number): string {
  try {
    ws.close(code);
  } catch (error) {
    ws.terminate();
    return (error as Error).message;
  }
  return `sent ${code}`;
}

describe.each(backends)('which close codes may be sent (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test.each(CODES)('close(%i) is accepted or refused as ws does', async (code) => {
    const theirServer = new WsServer({ port: 0, host: '127.0.0.1' });
    await once(theirServer, 'listening');
    const theirs = new WsWebSocket(`ws://127.0.0.1:${portOf(theirServer)}/`);
    await once(theirs, 'open');
    const expected = closeOutcome(theirs, code);
    await once(theirs, 'close');
    await new Promise((resolve) => theirServer.close(resolve));

    const ours = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    await once(ours, 'open');
    expect(closeOutcome(ours, code)).toBe(expected);
    await once(ours, 'close');
  });

  test.each(CODES)('a close %i from the peer is echoed, or refused with 1002', async (code) => {
    const { peer, ws } = await openRaw(wss);
    const errors: string[] = [];
    ws.on('error', (error) => errors.push(error.message));
    peer.write(frame(CLOSE, closePayload(code)));
    await peer.closed;
    const valid = VALID.includes(code);
    expect(peer.frames().map(closeCodeOf)).toEqual([valid ? code : 1002]);
    expect(errors).toEqual(valid ? [] : [`Invalid WebSocket frame: invalid status code ${code}`]);
  });

  test('close() without a code, while the peer close waits for an answer, sends no code', async () => {
    const { peer, ws } = await openRaw(wss);
    // The peer's close comes in the read that delivers the message; its answer is held
    // until the message is handled, and close() replaces it.
    ws.on('message', () => ws.close());
    peer.write(Buffer.concat([frame(TEXT, 'bye'), frame(CLOSE, closePayload(1000))]));
    await until(() => peer.frames().some((f) => f.opcode === CLOSE));
    expect(peer.frames().map((f) => [f.opcode, f.payload])).toEqual([[CLOSE, Buffer.alloc(0)]]);
    peer.socket.destroy();
  });
});
