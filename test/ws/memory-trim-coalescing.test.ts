// The trim of the C heap after connections close, on a fake clock: one trim for a burst of
// closes, after a delay, and again for the next burst. (memory-return.test.ts checks the
// same on the real clock, outside the mutation suite.)
import { once } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import { backends, closeServer, listen, nextMessage, portOf } from './helpers.js';

const trims = vi.hoisted(() => ({ count: 0 }));

vi.mock('../../src/backends/select.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/backends/select.js')>()),
  trimMemory: () => {
    trims.count++;
    return true;
  },
}));

/** What the trim waits for: V8 freeing the buffers of what the collector took. */
const TRIM_DELAY_MS = 100;

describe.each(backends)('trimming after connections close (%s)', (backend) => {
  let wss: WebSocketServer | undefined;

  afterEach(async () => {
    // A trim still waiting on the fake clock would be lost with it, and no later close
    // would schedule another.
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
    if (wss !== undefined) await closeServer(wss);
    wss = undefined;
  });

  /** Opens `count` connections that each carry a message, and closes them all. */
  const closeBurst = async (count: number): Promise<void> => {
    const server = wss!;
    const pairs: [WebSocket, WebSocket][] = [];
    for (let i = 0; i < count; i++) {
      const connection = once(server, 'connection');
      const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}`, { backend });
      const [peer] = (await connection) as [WebSocket];
      if (client.readyState === client.CONNECTING) await once(client, 'open');
      client.send('traffic');
      await nextMessage(peer);
      pairs.push([client, peer]);
    }
    const closes = pairs.flat().map((ws) => once(ws, 'close'));
    for (const [client] of pairs) client.close();
    await Promise.all(closes);
  };

  test('a burst of closes costs one trim, made after a delay; the next burst another', async () => {
    wss = await listen({ backend });
    // The clock moves only when the test moves it, so that a trim for connections the
    // collector takes meanwhile (of earlier tests too) waits for it like the others.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const before = trims.count;
    await closeBurst(3);
    expect(trims.count).toBe(before);
    vi.advanceTimersByTime(TRIM_DELAY_MS);
    expect(trims.count).toBe(before + 1);

    await closeBurst(2);
    expect(trims.count).toBe(before + 1);
    vi.advanceTimersByTime(TRIM_DELAY_MS);
    expect(trims.count).toBe(before + 2);
  });
});
