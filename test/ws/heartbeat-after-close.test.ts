// The heartbeat goes on while a connection is CLOSING (a peer that never answers our close is
// given up for dead by it), but sends no ping past our close frame: nothing may follow it.
import { describe, expect, test } from 'vitest';
import {
  backends,
  closed,
  closeServer,
  listen,
  parseFrames,
  portOf,
  RawPeer,
  CLOSE,
  type CloseInfo,
} from './helpers.js';

describe.each(backends)('the heartbeat of a closing connection (%s)', (backend) => {
  test('pings no more once our close frame is sent, and ends the silent peer', async () => {
    const wss = await listen({ backend, heartbeat: { interval: 5, timeout: 100 } });
    const errors: (Error & { code?: string })[] = [];
    const wsClosed = new Promise<CloseInfo>((resolve) => {
      wss.once('connection', (ws) => {
        ws.on('error', (error) => errors.push(error));
        // Before the first beat: every ping the heartbeat tries comes after the close.
        ws.close(4000);
        resolve(closed(ws));
      });
    });
    const peer = await RawPeer.open(portOf(wss));
    // The deadline is armed by a beat: at least one came before the connection ended.
    expect((await wsClosed).code).toBe(1006);
    expect(errors.map((error) => error.code)).toEqual(['WS_ERR_HEARTBEAT_TIMEOUT']);
    await peer.closed;
    expect(parseFrames(peer.received).map((f) => f.opcode)).toEqual([CLOSE]);
    await closeServer(wss);
  });
});
