import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocketServer } from '../../src/index.js';
import { LARGE_FRAME } from '../../src/ws/engine-choice.js';
import {
  backends,
  BINARY,
  closeServer,
  frame,
  listen,
  openRaw,
  pattern,
  TEXT,
  until,
} from './helpers.js';

describe.each(backends)('messages sent in one tick leave in call order (%s)', (backend) => {
  let wss: WebSocketServer;

  afterEach(async () => {
    await closeServer(wss);
  });

  test("a server's small message after its large one follows it, and a ping after both", async () => {
    wss = await listen({ backend });
    const { peer, ws } = await openRaw(wss);
    const large = pattern(LARGE_FRAME + 1, 4);
    ws.on('message', () => {
      ws.send(large);
      ws.send('small');
      ws.ping('p');
      ws.send('last');
    });
    peer.write(frame(TEXT, 'go'));
    await until(() => peer.frames().length === 4);
    const frames = peer.frames();
    expect(frames.map((f) => f.opcode)).toEqual([BINARY, TEXT, 0x9, TEXT]);
    expect(frames[0]!.payload.equals(large)).toBe(true);
    expect(frames.slice(1).map((f) => f.payload.toString())).toEqual(['small', 'p', 'last']);
  });
});
