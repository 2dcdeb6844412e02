import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closeServer,
  delay,
  frame,
  KiB,
  listen,
  MiB,
  portOf,
  RawPeer,
  until,
} from './helpers.js';

const HIGH_WATER_MARK = 64 * KiB;
const CHUNK = Buffer.alloc(256 * KiB, 0x5a);

/** Resolves true on 'drain', false when none comes within `ms`. */
function drained(ws: WebSocket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.removeListener('drain', onDrain);
      resolve(false);
    }, ms);
    const onDrain = () => {
      clearTimeout(timer);
      resolve(true);
    };
    ws.once('drain', onDrain);
  });
}

/** Resolves on the socket's 'drain', or when it closes or fails first; never rejects. */
function drainOf(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    socket.on('drain', done).on('close', done).on('error', done);
  });
}

describe.each(backends)('backpressure toward a peer that stops reading (%s)', (backend) => {
  let wss: WebSocketServer | undefined;

  afterEach(async () => {
    if (wss !== undefined) await closeServer(wss);
    wss = undefined;
  });

  async function stalledPeer(options: object): Promise<{ peer: RawPeer; ws: WebSocket }> {
    wss = await listen({ backend, highWaterMark: HIGH_WATER_MARK, ...options });
    const connection = once(wss, 'connection');
    const peer = await RawPeer.open(portOf(wss));
    peer.socket.pause();
    const [ws] = (await connection) as [WebSocket];
    return { peer, ws };
  }

  test('send() returns false over the high-water mark, stays bounded, and drains once the peer reads', async () => {
    const { peer, ws } = await stalledPeer({});
    let sent = 0;
    let highest = 0;
    // Honour backpressure until the kernel's buffers are full too and 'drain' stops coming.
    for (;;) {
      while (ws.send(CHUNK)) sent += CHUNK.length;
      sent += CHUNK.length;
      highest = Math.max(highest, ws.bufferedAmount);
      if (!(await drained(ws, 300))) break;
    }
    expect(ws.send(CHUNK)).toBe(false);
    sent += CHUNK.length;
    highest = Math.max(highest, ws.bufferedAmount);
    // What waits in this process is never more than the mark plus the message that crossed it.
    expect(highest).toBeLessThanOrEqual(HIGH_WATER_MARK + 2 * CHUNK.length);
    expect(ws.bufferedAmount).toBeGreaterThan(0);

    const drain = drained(ws, 10_000);
    peer.socket.resume();
    expect(await drain).toBe(true);
    expect(ws.bufferedAmount).toBeLessThan(HIGH_WATER_MARK);
    const frameOverhead = 10;
    await until(() => peer.receivedLength >= sent + (sent / CHUNK.length) * frameOverhead, 10_000);
    expect(peer.receivedLength).toBe(sent + (sent / CHUNK.length) * frameOverhead);
    ws.terminate();
  });

  test('a peer that leaves more than maxBufferedAmount unread is dropped', async () => {
    const { ws } = await stalledPeer({ maxBufferedAmount: 4 * MiB });
    const errors: (Error & { code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    let highest = 0;
    // An application that ignores send()'s false and keeps sending.
    while (ws.readyState === ws.OPEN) {
      ws.send(CHUNK);
      highest = Math.max(highest, ws.bufferedAmount);
      await delay(1);
    }
    expect((await wsClosed).code).toBe(1006);
    expect(errors.map((e) => e.code)).toEqual(['WS_ERR_BUFFER_FULL']);
    expect(highest).toBeLessThanOrEqual(4 * MiB);
  });

  /**
   * A peer that never reads sends pings until the server cuts it off (or 256 MiB have gone
   * out). The server's reset may reach the peer mid-write (ECONNRESET): that ends the loop
   * too, where awaiting once(socket, 'drain') would reject with it.
   */
  async function pingFlood(options: { maxBufferedAmount?: number }) {
    const { peer, ws } = await stalledPeer(options);
    const errors: (Error & { code?: string })[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    let open = true;
    void wsClosed.then(() => {
      open = false;
    });
    const pings = Buffer.concat(
      Array.from({ length: 512 }, () => frame(0x9, Buffer.alloc(125, 0x70))),
    );
    let written = 0;
    while (open && !peer.socket.destroyed && written < 256 * MiB) {
      if (!peer.socket.write(pings)) await Promise.race([drainOf(peer.socket), wsClosed]);
      written += pings.length;
    }
    return { code: (await wsClosed).code, errors: errors.map((e) => e.code), written };
  }

  test('a peer that pings without reading is dropped once the pongs owed pass maxBufferedAmount', async () => {
    const { code, errors, written } = await pingFlood({ maxBufferedAmount: 1 * MiB });
    expect(code).toBe(1006);
    expect(errors).toEqual(['WS_ERR_BUFFER_FULL']);
    expect(written).toBeLessThan(64 * MiB);
  });

  test('a ping flood is cut once the pongs owed pass 1 MiB, far under the default maxBufferedAmount', async () => {
    // maxBufferedAmount (128 MiB) alone would let this run past 80 MiB of pings.
    const { code, errors, written } = await pingFlood({});
    expect(code).toBe(1006);
    expect(errors).toEqual(['WS_ERR_BUFFER_FULL']);
    expect(written).toBeLessThan(24 * MiB);
  });

  test('the callback of a send refused for a full buffer gets the error', async () => {
    const { ws } = await stalledPeer({ maxBufferedAmount: 1 * MiB });
    ws.on('error', () => {});
    const wsClosed = closed(ws);
    const results: (Error | undefined)[] = [];
    for (let i = 0; i < 8; i++) ws.send(CHUNK, (error) => results.push(error));
    await wsClosed;
    await until(() => results.length === 8);
    // The refused one says why; the queued ones and the later ones fail as the connection ended.
    expect(results.every((error) => error instanceof Error)).toBe(true);
    const codes = results.map((error) => (error as Error & { code?: string }).code);
    expect(codes.filter((code) => code === 'WS_ERR_BUFFER_FULL')).toHaveLength(1);
  });
});
