// A Blob whose read ends after terminate(): nothing is sent, the callbacks (those given)
// hear why, and the connection, already ended, reports no error of its own.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WebSocketServer } from '../../src/index.js';
import { backends, closeServer, listen, openRaw, until } from './helpers.js';

/** A Blob whose read the test ends, with its bytes or with an error. */
class GatedBlob extends Blob {
  readonly #gate: Promise<void>;
  release!: () => void;
  fail!: (error: Error) => void;

  constructor(parts: string[]) {
    super(parts);
    this.#gate = new Promise((resolve, reject) => {
      this.release = resolve;
      this.fail = reject;
    });
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    await this.#gate;
    return super.arrayBuffer();
  }
}

describe.each(backends)(
  'a Blob still being read when the connection is terminated (%s)',
  (backend) => {
    let wss: WebSocketServer;

    beforeAll(async () => {
      wss = await listen({ backend });
    });
    afterAll(() => closeServer(wss));

    test('read at last: the callbacks given are told the socket closed', async () => {
      const { peer, ws } = await openRaw(wss);
      const blob = new GatedBlob(['never sent']);
      const results: (Error | undefined)[] = [];
      ws.send(blob);
      ws.send('behind', (error) => results.push(error));
      ws.ping(undefined, (error) => results.push(error));
      ws.terminate();
      await once(ws, 'close');
      blob.release();
      await until(() => results.length === 2);
      expect(results.map((error) => error?.message)).toEqual([
        'The socket was closed while the blob was being read',
        'The socket was closed while the blob was being read',
      ]);
      await peer.closed;
      expect(peer.receivedLength).toBe(0);
    });

    test('unreadable: the callbacks given get the read error, and no error event follows', async () => {
      const { peer, ws } = await openRaw(wss);
      const errors: Error[] = [];
      ws.on('error', (error) => errors.push(error));
      const blob = new GatedBlob(['unreadable']);
      const results: (Error | undefined)[] = [];
      ws.send(blob, (error) => results.push(error));
      ws.send('behind');
      ws.send('with a callback', (error) => results.push(error));
      const failure = new Error('NotReadableError');
      ws.terminate();
      blob.fail(failure);
      await once(ws, 'close');
      await until(() => results.length === 2);
      expect(results).toEqual([failure, failure]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
      await peer.closed;
      expect(peer.receivedLength).toBe(0);
    });

    test('unreadable, failing after the close event: the same', async () => {
      const { ws } = await openRaw(wss);
      const errors: Error[] = [];
      ws.on('error', (error) => errors.push(error));
      const blob = new GatedBlob(['unreadable']);
      const results: (Error | undefined)[] = [];
      ws.send(blob, (error) => results.push(error));
      ws.terminate();
      await once(ws, 'close');
      const failure = new Error('NotReadableError');
      blob.fail(failure);
      await until(() => results.length === 1);
      expect(results).toEqual([failure]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
    });
  },
);
