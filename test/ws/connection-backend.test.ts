// The `backend` option chooses the wslay implementation of each connection's context, on
// both ends, whatever the package's default is.
import { once } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { EventContext, WebSocket } from '../../src/index.js';
import { backends, closeServer, listen, nextMessage, portOf } from './helpers.js';

describe.each(backends)('the backend option (%s)', (backend) => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test("is the backend of a server connection's context and of a client's", async () => {
    const servers = vi.spyOn(EventContext, 'server');
    const clients = vi.spyOn(EventContext, 'client');
    const wss = await listen({ backend });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data as Buffer)));
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    await once(ws, 'open');
    const echo = nextMessage(ws);
    ws.send('hello');
    expect((await echo).data.toString()).toBe('hello');
    const made = (spy: typeof servers) =>
      spy.mock.results.map((r) => (r.value as EventContext).backend);
    expect(made(servers)).toEqual([backend]);
    expect(made(clients)).toEqual([backend]);
    ws.terminate();
    await closeServer(wss);
  });
});
