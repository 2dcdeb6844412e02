// A broadcast reaches a connection that can still send: one whose peer's close arrived in
// the same read as the message being handled (the broadcast precedes the answering close),
// and one reading a Blob (the broadcast follows the Blob). Each counts in broadcast()'s result.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closePayload,
  closeServer,
  frame,
  listen,
  openRaw,
  parseFrames,
  until,
  BINARY,
  CLOSE,
  TEXT,
} from './helpers.js';

describe.each(backends)('broadcast to a connection that is finishing its sends (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
  });
  afterAll(() => closeServer(wss));

  test("one sent while handling a message read with the peer's close precedes our close", async () => {
    const { peer, ws } = await openRaw(wss);
    const counts: number[] = [];
    ws.on('message', (data) => {
      counts.push(wss.broadcast(`all: ${(data as Buffer).toString()}`));
    });
    const wsClosed = closed(ws);
    peer.write(Buffer.concat([frame(TEXT, 'hi'), frame(CLOSE, closePayload(1000))]));
    expect((await wsClosed).code).toBe(1000);
    await peer.closed;
    expect(counts).toEqual([1]);
    expect(parseFrames(peer.received).map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [TEXT, 'all: hi'],
      [CLOSE, closePayload(1000).toString()],
    ]);
  });

  test('one sent while a Blob is read is counted, and follows the Blob', async () => {
    const { peer, ws } = await openRaw(wss);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const blob = new (class extends Blob {
      override async arrayBuffer(): Promise<ArrayBuffer> {
        await gate;
        return super.arrayBuffer();
      }
    })(['blob']);
    ws.send(blob);
    expect(wss.broadcast('all')).toBe(1);
    release();
    await until(() => parseFrames(peer.received).length === 2);
    expect(parseFrames(peer.received).map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [BINARY, 'blob'],
      [TEXT, 'all'],
    ]);
    ws.terminate();
  });
});
