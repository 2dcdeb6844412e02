import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  BINARY,
  CLOSE,
  closeCodeOf,
  closed,
  closePayload,
  closeServer,
  frame,
  listen,
  listenWs,
  MiB,
  openRaw,
  pattern,
  PING,
  RawPeer,
  TEXT,
} from './helpers.js';

/** Far more than the kernel's socket buffers take: the server's socket stays blocked. */
const BIG = 32 * MiB;

/** The next turn of the event loop: the flush of what was sent in this one has run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A raw peer that stopped reading, and its server connection blocked on the BIG message it
 * sends the peer.
 */
async function blockedPair(
  wss: WebSocketServer,
): Promise<{ peer: RawPeer; ws: WebSocket; big: Buffer }> {
  const { peer, ws } = await openRaw(wss);
  peer.socket.pause();
  const big = pattern(BIG, 3);
  ws.send(big);
  await nextTurn();
  return { peer, ws, big };
}

/** Resumes the peer; resolves once the server ended TCP, with everything the peer read. */
async function readAll(peer: RawPeer): Promise<ReturnType<RawPeer['frames']>> {
  peer.socket.resume();
  await peer.closed;
  return peer.frames();
}

describe.each(backends)(
  'a server connection blocked on a peer that stopped reading (%s)',
  (backend) => {
    let wss: WebSocketServer;

    afterEach(async () => {
      await closeServer(wss);
    });

    test("our close and the peer's both waiting: the message, then one close frame, then TCP ends", async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const { peer, ws, big } = await blockedPair(wss);
      const pinged = new Promise((resolve) => ws.once('ping', resolve));
      ws.close(1000, 'done');
      // The ping, read with the close, tells when the server has read it.
      peer.write(Buffer.concat([frame(PING, 'x'), frame(CLOSE, closePayload(4001, 'peer'))]));
      await pinged;
      const wsClosed = closed(ws);
      const frames = await readAll(peer);
      expect(frames.map((f) => f.opcode)).toEqual([BINARY, CLOSE]);
      expect(frames[0]!.payload.equals(big)).toBe(true);
      expect(await wsClosed).toEqual({ code: 4001, reason: 'peer' });
    });

    test("our close() waiting behind the blocked socket is the close frame the peer gets, not an echo of the peer's, as from ws", async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const theirs = await listenWs();
      const sent: unknown[][] = [];
      try {
        for (const server of [wss, theirs]) {
          const { peer, ws } = await openRaw(server as WebSocketServer);
          peer.socket.pause();
          ws.send(pattern(BIG, 3));
          await nextTurn();
          const pinged = new Promise((resolve) => ws.once('ping', resolve));
          ws.close(1000, 'done');
          peer.write(Buffer.concat([frame(PING, 'x'), frame(CLOSE, closePayload(4001, 'peer'))]));
          await pinged;
          const wsClosed = closed(ws);
          const close = (await readAll(peer)).at(-1)!;
          sent.push([close.opcode, closeCodeOf(close), close.payload.subarray(2).toString()]);
          expect(await wsClosed).toEqual({ code: 4001, reason: 'peer' });
        }
      } finally {
        await closeServer(theirs);
      }
      expect(sent[0]).toEqual([CLOSE, 1000, 'done']);
      expect(sent[0]).toEqual(sent[1]);
    });

    test('the peer closing while our message and close are still buffered gets all of both', async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const { peer, ws } = await openRaw(wss);
      peer.socket.pause();
      const big = pattern(BIG, 5);
      ws.send(big);
      ws.close(1000, 'done');
      await nextTurn();
      const pinged = new Promise((resolve) => ws.once('ping', resolve));
      peer.write(Buffer.concat([frame(PING, 'x'), frame(CLOSE, closePayload(1000))]));
      await pinged;
      const frames = await readAll(peer);
      expect(frames.map((f) => f.opcode)).toEqual([BINARY, CLOSE]);
      expect(frames[0]!.payload.equals(big)).toBe(true);
      expect(closeCodeOf(frames[1])).toBe(1000);
      expect(frames[1]!.payload.subarray(2).toString()).toBe('done');
    });

    test('a large message read meanwhile is delivered: only pings count as pongs owed', async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const { peer, ws } = await blockedPair(wss);
      const errors: Error[] = [];
      ws.on('error', (error) => errors.push(error));
      const received = new Promise<Buffer>((resolve) =>
        ws.once('message', (data) => resolve(data as Buffer)),
      );
      const message = pattern(MiB + MiB / 8, 9);
      peer.write(frame(BINARY, message));
      expect((await received).equals(message)).toBe(true);
      expect(errors).toEqual([]);
      expect(ws.readyState).toBe(ws.OPEN);
    });

    test('pings read meanwhile: cut once their pongs, 64 bytes more each, pass 1 MiB', async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const { peer, ws } = await blockedPair(wss);
      const errors: (Error & { code?: string })[] = [];
      ws.on('error', (error) => errors.push(error));
      const wsClosed = closed(ws);
      // 6000 × (125 + 64) bytes owed pass 1 MiB; counted without the 64 they would not.
      const ping = frame(PING, Buffer.alloc(125, 0x70));
      peer.write(Buffer.concat(Array.from({ length: 6000 }, () => ping)));
      expect((await wsClosed).code).toBe(1006);
      expect(errors.map((e) => e.code)).toEqual(['WS_ERR_BUFFER_FULL']);
    });

    test('pings whose pongs owed come to exactly 1 MiB are still answered', async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const { peer, ws } = await blockedPair(wss);
      const errors: Error[] = [];
      ws.on('error', (error) => errors.push(error));
      const done = new Promise((resolve) => ws.once('message', resolve));
      // 8192 × (64 + 64) bytes: the limit itself, not past it.
      const ping = frame(PING, Buffer.alloc(64, 0x70));
      peer.write(Buffer.concat(Array.from({ length: 8192 }, () => ping)));
      peer.write(frame(TEXT, 'done'));
      await done;
      expect(errors).toEqual([]);
      expect(ws.readyState).toBe(ws.OPEN);
    });

    test('a Blob being read when the peer answers our close: the Blob, then the close frame', async () => {
      wss = await listen({ backend });
      const { peer, ws } = await openRaw(wss);
      let release = (): void => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      /** A Blob whose bytes come only once the test says so. */
      class HeldBlob extends Blob {
        override async arrayBuffer(): Promise<ArrayBuffer> {
          await gate;
          return super.arrayBuffer();
        }
      }
      const sent: (Error | undefined)[] = [];
      ws.send(new HeldBlob(['the blob']), (error) => sent.push(error));
      ws.close(1000);
      const pinged = new Promise((resolve) => ws.once('ping', resolve));
      peer.write(Buffer.concat([frame(PING, 'x'), frame(CLOSE, closePayload(1000))]));
      await pinged;
      release();
      await peer.closed;
      expect(peer.frames().map((f) => f.opcode)).toEqual([BINARY, CLOSE]);
      expect(peer.frames()[0]!.payload.toString()).toBe('the blob');
      expect(sent).toEqual([null]);
    });

    test('the peer sends its close and ends TCP: the message, then the answering close, then our FIN', async () => {
      wss = await listen({ backend, maxBufferedAmount: 64 * MiB });
      const { peer, ws, big } = await blockedPair(wss);
      const wsClosed = closed(ws);
      peer.socket.end(frame(CLOSE, closePayload(4002, 'bye')));
      const frames = await readAll(peer);
      expect(frames.map((f) => f.opcode)).toEqual([BINARY, CLOSE]);
      expect(frames[0]!.payload.equals(big)).toBe(true);
      expect(closeCodeOf(frames[1])).toBe(4002);
      expect(await wsClosed).toEqual({ code: 4002, reason: 'bye' });
    });
  },
);
