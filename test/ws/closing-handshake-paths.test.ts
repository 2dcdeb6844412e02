import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  CLOSE,
  closeCodeOf,
  closed,
  closePayload,
  closeServer,
  frame,
  listen,
  openRaw,
  TEXT,
  until,
} from './helpers.js';

/** The close event as the WHATWG API reports it, with wasClean. */
function closeEvent(ws: WebSocket): Promise<{ code: number; wasClean: boolean }> {
  return new Promise((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, wasClean: event.wasClean });
  });
}

/** The Timeout handles the process holds (what keeps it alive), as Node lists them. */
function timeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

describe.each(backends)('the closing handshake a server connection starts (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeEach(async () => {
    // Long enough that only the handshake, never the timer, ends a connection here.
    wss = await listen({ backend, closeTimeout: 600_000 });
  });

  afterEach(async () => {
    await closeServer(wss);
  });

  test('a second close() changes nothing: one close frame, with the first code', async () => {
    const { peer, ws } = await openRaw(wss);
    ws.close(1000, 'first');
    ws.close(1001, 'second');
    await until(() => peer.frames().length === 1);
    ws.close(1002, 'third');
    peer.write(frame(CLOSE, closePayload(1000)));
    expect(await closed(ws)).toEqual({ code: 1000, reason: '' });
    await peer.closed;
    const frames = peer.frames();
    expect(frames.map((f) => f.opcode)).toEqual([CLOSE]);
    expect(closeCodeOf(frames[0])).toBe(1000);
    expect(frames[0]!.payload.subarray(2).toString()).toBe('first');
  });

  test("messages that arrive after our close frame are still delivered, then the peer's close", async () => {
    const { peer, ws } = await openRaw(wss);
    const messages: string[] = [];
    ws.on('message', (data) => messages.push((data as Buffer).toString()));
    ws.close(1000);
    await until(() => peer.frames().length === 1);
    peer.write(Buffer.concat([frame(TEXT, 'late'), frame(CLOSE, closePayload(4000, 'bye'))]));
    expect(await closed(ws)).toEqual({ code: 4000, reason: 'bye' });
    expect(messages).toEqual(['late']);
  });

  test('a peer answering our close with 1012 gets no second close frame', async () => {
    const { peer, ws } = await openRaw(wss);
    ws.close(1000);
    await until(() => peer.frames().length === 1);
    peer.write(frame(CLOSE, closePayload(1012, 'restart')));
    expect(await closed(ws)).toEqual({ code: 1012, reason: 'restart' });
    await peer.closed;
    expect(peer.frames().map((f) => closeCodeOf(f))).toEqual([1000]);
  });

  test('both close frames passed: wasClean, and no close timer left to keep the process alive', async () => {
    const { peer, ws } = await openRaw(wss);
    const before = timeouts();
    const event = closeEvent(ws);
    let atClose = -1;
    ws.on('close', () => (atClose = timeouts()));
    ws.close(1000);
    await until(() => peer.frames().length === 1);
    peer.write(frame(CLOSE, closePayload(1000)));
    expect(await event).toEqual({ code: 1000, wasClean: true });
    expect(atClose).toBeLessThanOrEqual(before);
  });

  test('a peer that drops TCP after our close frame: 1006, not clean', async () => {
    const { peer, ws } = await openRaw(wss);
    const event = closeEvent(ws);
    ws.close(1000);
    await until(() => peer.frames().length === 1);
    peer.socket.destroy();
    expect(await event).toEqual({ code: 1006, wasClean: false });
  });

  test('terminate() before anything was read: 1006, not clean', async () => {
    const { ws } = await openRaw(wss);
    const event = closeEvent(ws);
    ws.terminate();
    expect(await event).toEqual({ code: 1006, wasClean: false });
  });

  test('a send() that never got written: its callback gets an error when the connection ends', async () => {
    const { ws } = await openRaw(wss);
    const errors: (Error | undefined)[] = [];
    ws.send('never written', (error) => errors.push(error));
    ws.terminate();
    await until(() => errors.length === 1);
    expect(errors[0]?.message).toBe('The connection closed before the message was sent');
  });
});
