// The 'error' a connection reports for a peer's protocol violation: the first violation in
// the bytes read is the one reported, with ws's message, even when later bytes in the same
// read break the protocol differently.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WebSocketServer } from '../../src/index.js';
import { backends, BINARY, closeServer, frame, listen, openRaw, TEXT } from './helpers.js';

type ReportedError = Error & { code: string; statusCode: number };

describe.each(backends)('the error reported for a violation (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend, maxPayload: 1000 });
  });
  afterAll(() => closeServer(wss));

  async function errorFor(bytes: Buffer): Promise<ReportedError> {
    const { peer, ws } = await openRaw(wss);
    const error = once(ws, 'error');
    peer.write(bytes);
    const [reported] = (await error) as [ReportedError];
    peer.socket.destroy();
    return reported;
  }

  test('a length not in its shortest form: a RangeError, "protocol error"', async () => {
    // 5 bytes announced with the 16-bit length, under a zero mask key.
    const error = await errorFor(
      Buffer.concat([Buffer.from([0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0]), Buffer.from('hello')]),
    );
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Invalid WebSocket frame: protocol error');
    expect([error.code, error.statusCode]).toEqual(['WS_ERR_PROTOCOL_ERROR', 1002]);
  });

  test('invalid UTF-8 followed, in the same write, by a frame with RSV bits set', async () => {
    const error = await errorFor(
      Buffer.concat([frame(TEXT, Buffer.from([0x61, 0xff])), frame(BINARY, 'x', { rsv: 1 })]),
    );
    expect([error.code, error.statusCode]).toEqual(['WS_ERR_INVALID_UTF8', 1007]);
  });

  test('a message over maxPayload followed, in the same write, by a frame with RSV bits set', async () => {
    const error = await errorFor(
      Buffer.concat([frame(BINARY, Buffer.alloc(1001)), frame(BINARY, 'x', { rsv: 1 })]),
    );
    expect([error.code, error.statusCode]).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009]);
  });
});
