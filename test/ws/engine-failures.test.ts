import { afterEach, describe, expect, test, vi } from 'vitest';
import { ErrorCode, EventContext, WslayError, type WebSocketServer } from '../../src/index.js';
import { backends, closed, closeServer, frame, listen, openRaw, TEXT } from './helpers.js';

/**
 * wslay running out of memory is this connection's failure, reported as it happened: not a
 * violation by the peer (no close frame, no 1002), and not a crash of the process.
 */
describe.each(backends)('a connection whose engine runs out of memory (%s)', (backend) => {
  let wss: WebSocketServer;

  afterEach(async () => {
    vi.restoreAllMocks();
    await closeServer(wss);
  });

  test('while reading: the error is reported and the socket destroyed, with no close frame', async () => {
    wss = await listen({ backend });
    const { peer, ws } = await openRaw(wss);
    const oom = new WslayError(ErrorCode.NOMEM, 'recvFrom');
    vi.spyOn(EventContext.prototype, 'recvFrom').mockImplementation(() => {
      throw oom;
    });
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(data));
    peer.write(frame(TEXT, 'hello'));
    expect(await closed(ws)).toEqual({ code: 1006, reason: '' });
    expect(errors).toEqual([oom]);
    expect(messages).toEqual([]);
    await peer.closed;
    expect(peer.received.length).toBe(0);
  });

  test('making the context for close(): the error is reported, the connection ends', async () => {
    wss = await listen({ backend });
    // Nothing read or sent yet: the connection has no context until close() needs one.
    const { peer, ws } = await openRaw(wss);
    vi.spyOn(EventContext, 'server').mockImplementation(() => {
      throw new Error('wslay could not create a context (out of memory)');
    });
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    ws.close(1000);
    expect(await closed(ws)).toEqual({ code: 1006, reason: '' });
    expect(errors.map((e) => e.message)).toEqual([
      'wslay could not create a context (out of memory)',
    ]);
    await peer.closed;
    expect(peer.received.length).toBe(0);
  });
});
