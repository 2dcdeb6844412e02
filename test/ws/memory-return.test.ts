import { once } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { WebSocket, type WebSocketServer } from '../../src/index.js';
import { backends, closed, closeServer, listen, nextMessage, portOf, until } from './helpers.js';

const trims = vi.hoisted(() => ({ count: 0 }));

vi.mock('../../src/backends/select.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/backends/select.js')>()),
  trimMemory: () => {
    trims.count++;
    return true;
  },
}));

describe.each(backends)('memory a closed connection held goes back (%s)', (backend) => {
  let wss: WebSocketServer | undefined;

  afterEach(async () => {
    if (wss !== undefined) await closeServer(wss);
    wss = undefined;
  });

  test('the C heap is trimmed once, soon after connections that carried traffic close', async () => {
    wss = await listen({ backend });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const client = new WebSocket(`ws://127.0.0.1:${portOf(wss!)}`, { backend });
        await once(client, 'open');
        client.send('hello');
        await nextMessage(client);
        return client;
      }),
    );
    const before = trims.count;
    await Promise.all(
      clients.map((client) => {
        const done = closed(client);
        client.close();
        return done;
      }),
    );
    await until(() => trims.count > before);
    // Six connections closed (both ends of three): trims are coalesced, not one per
    // connection (a garbage collection meanwhile may add one for what it freed).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(trims.count - before).toBeLessThan(6);
  });

  test('a connection that never carried a frame costs no trim', async () => {
    wss = await listen({ backend });
    const before = trims.count;
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
    await once(client, 'open');
    const done = closed(client);
    client.terminate();
    await done;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(trims.count).toBe(before);
  });
});
