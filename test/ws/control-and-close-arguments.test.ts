// ping(), pong(), close(), terminate(), pause() and resume() given each form of arguments, in
// each state, beside a `ws` client doing the same: the same errors, the same frames.
import { once } from 'node:events';
import type { ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closeCodeOf,
  closed,
  closeServer,
  listen,
  openRaw,
  portOf,
  until,
} from './helpers.js';

type Client = WebSocket | WsClient;
type Finish = (request: ClientRequest, socket: Client) => void;

/** What `act` throws, as its class and message; null when it returns. */
function thrown(act: () => void): [string, string] | null {
  try {
    act();
    return null;
  } catch (error) {
    return [(error as Error).constructor.name, (error as Error).message];
  }
}

describe.each(backends)('control frames and close() arguments, as ws (%s)', (backend) => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = await listen({ backend });
    url = `ws://127.0.0.1:${portOf(wss)}`;
  });
  afterAll(() => closeServer(wss));

  async function openBoth(): Promise<Client[]> {
    const clients = [new WebSocket(url, { backend }), new WsClient(url)];
    await Promise.all(clients.map((ws) => once(ws, 'open')));
    return clients;
  }

  test('ping() while connecting throws as ws does', () => {
    const clients: Client[] = [new WebSocket(url, { backend }), new WsClient(url)];
    const [ours, theirs] = clients.map((ws) => thrown(() => ws.ping()));
    expect(ours).toEqual(['Error', 'WebSocket is not open: readyState 0 (CONNECTING)']);
    expect(ours).toEqual(theirs);
    for (const ws of clients) {
      ws.on('error', () => {});
      ws.terminate();
    }
  });

  test('bad close codes, reasons and ping sizes throw the errors ws throws', async () => {
    const clients = await openBoth();
    const calls: ((ws: Client) => void)[] = [
      (ws) => ws.close(999),
      (ws) => ws.close(1000, 'r'.repeat(124)),
      (ws) => ws.ping(Buffer.alloc(126)),
      (ws) => ws.pong(Buffer.alloc(126)),
    ];
    for (const call of calls) {
      const [ours, theirs] = clients.map((ws) => thrown(() => call(ws)));
      expect(ours).not.toBeNull();
      expect(ours).toEqual(theirs);
    }
    expect(thrown(() => clients[0]!.close(1000, 42 as never))).toEqual([
      'TypeError',
      'reason must be a Uint8Array, got 42',
    ]);
    for (const ws of clients) ws.terminate();
  });

  test('a callback as the first or second argument of ping() and pong() runs once sent', async () => {
    const ours = (await openBoth())[0] as WebSocket;
    const results = await Promise.all([
      new Promise((resolve) => ours.ping(resolve)),
      new Promise((resolve) => ours.ping('a', resolve)),
      new Promise((resolve) => ours.pong('b', true, resolve)),
    ]);
    expect(results).toEqual([null, null, null]);
    ours.terminate();
  });

  test('a ping of 125 bytes is sent; the peer gets it in a ping event', async () => {
    const connection = once(wss, 'connection');
    const ws = new WebSocket(url, { backend });
    await once(ws, 'open');
    const [server] = (await connection) as [WebSocket];
    const ping = once(server, 'ping');
    ws.ping(Buffer.alloc(125, 7));
    expect((await ping)[0]).toEqual(Buffer.alloc(125, 7));
    ws.terminate();
  });

  test('close() with a reason of 123 bytes sends it; without a code the reason is dropped', async () => {
    for (const [args, code, reason] of [
      [[1000, 'r'.repeat(123)], 1000, 'r'.repeat(123)],
      [[4000, new Uint8Array([0x68, 0x69])], 4000, 'hi'],
      [[undefined, 'x'.repeat(200)], 1005, ''],
    ] as const) {
      const { peer, ws } = await openRaw(wss);
      ws.close(...(args as [number, string]));
      await until(() => peer.frames().length === 1);
      const [frame] = peer.frames();
      expect(closeCodeOf(frame)).toBe(code);
      expect(frame!.payload.subarray(2).toString()).toBe(reason);
      ws.terminate();
    }
  });

  test('while closing, close() returns without checking its arguments, as in ws', async () => {
    const clients = await openBoth();
    const results = await Promise.all(
      clients.map(async (ws) => {
        const close = once(ws, 'close');
        ws.close(4001, 'first');
        const second = [thrown(() => ws.close(999)), thrown(() => ws.close(1000, 'r'.repeat(200)))];
        const [code, reason] = (await close) as [number, Buffer];
        return [second, code, reason.toString()];
      }),
    );
    expect(results[0]).toEqual([[null, null], 4001, 'first']);
    expect(results[0]).toEqual(results[1]);
  });

  test('once closed, close(), terminate() and pause() do nothing, as in ws', async () => {
    const clients = await openBoth();
    for (const ws of clients) {
      const close = once(ws, 'close');
      ws.terminate();
      await close;
    }
    const [ours, theirs] = clients.map((ws) => [
      thrown(() => ws.close(5)),
      thrown(() => ws.terminate()),
      thrown(() => ws.pause()),
      ws.isPaused,
      ws.readyState,
    ]);
    expect(ours).toEqual([null, null, null, false, WebSocket.CLOSED]);
    expect(ours).toEqual(theirs);
  });

  test('paused, then closed: resume() leaves it paused, as in ws', async () => {
    const clients = await openBoth();
    for (const ws of clients) {
      ws.pause();
      const close = once(ws, 'close');
      ws.terminate();
      await close;
      ws.resume();
    }
    expect(clients.map((ws) => ws.isPaused)).toEqual([true, true]);
  });

  test('a connection that never opened: its methods do nothing in the error listener', async () => {
    const refused = new WebSocket('ws://127.0.0.1:1', { backend });
    const seen: unknown[] = [];
    refused.on('error', () => {
      seen.push(refused.readyState);
      for (const act of [
        () => refused.pause(),
        () => refused.resume(),
        () => refused.close(),
        () => refused.terminate(),
      ]) {
        seen.push(thrown(act));
      }
      seen.push(refused.isPaused);
    });
    expect((await closed(refused)).code).toBe(1006);
    expect(seen).toEqual([WebSocket.CLOSING, null, null, null, null, false]);
  });

  test.each(['close', 'terminate'] as const)(
    '%s() in finishRequest abandons the handshake, as in ws',
    async (method) => {
      const events: unknown[] = [];
      const makers: ((finishRequest: Finish) => Client)[] = [
        (finishRequest) => new WebSocket(url, { backend, finishRequest }),
        (finishRequest) => new WsClient(url, { finishRequest }),
      ];
      for (const make of makers) {
        const seen: unknown[] = [];
        // ws's events come with the same arguments: our class's types describe both.
        const ws = make((request, socket) => {
          socket[method]();
          seen.push(socket.readyState);
          request.end();
        }) as WebSocket;
        ws.on('open', () => seen.push('open'));
        ws.on('error', (error) => seen.push(error.message));
        await new Promise<void>((resolve) =>
          ws.on('close', (code) => {
            seen.push(code);
            resolve();
          }),
        );
        events.push(seen);
      }
      expect(events[0]).toEqual([
        WebSocket.CLOSING,
        'WebSocket was closed before the connection was established',
        1006,
      ]);
      expect(events[0]).toEqual(events[1]);
    },
  );
});
