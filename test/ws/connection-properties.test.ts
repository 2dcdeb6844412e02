// What a connection's properties say before it opens and on the server's side, how the
// constructor reads its arguments, and the WHATWG listener attributes, beside `ws` where it
// has the same API.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { WebSocket, WebSocketServer, type MessageEvent } from '../../src/index.js';
import { backends, closeServer, frame, listen, openRaw, portOf, RawPeer } from './helpers.js';

describe.each(backends)('connection properties (%s)', (backend) => {
  let wss: WebSocketServer;
  let url: string;

  beforeAll(async () => {
    wss = await listen({ backend, handleProtocols: (protocols) => [...protocols][0] ?? false });
    url = `ws://127.0.0.1:${portOf(wss)}`;
  });
  afterAll(() => closeServer(wss));

  test('a client while connecting: its properties are those of a ws client', () => {
    const clients = [new WebSocket(url, { backend }), new WsClient(url)];
    const [ours, theirs] = clients.map((ws) => {
      ws.pause();
      return {
        protocol: ws.protocol,
        extensions: ws.extensions,
        isPaused: ws.isPaused,
        bufferedAmount: ws.bufferedAmount,
        readyState: ws.readyState,
      };
    });
    expect(ours).toEqual({
      protocol: '',
      extensions: '',
      isPaused: false,
      bufferedAmount: 0,
      readyState: WebSocket.CONNECTING,
    });
    expect(ours).toEqual(theirs);
    for (const ws of clients) {
      ws.on('error', () => {});
      ws.terminate();
    }
  });

  test('a string as the second argument is the subprotocol to ask for', async () => {
    const ws = new WebSocket(`${url}/`, 'chat');
    await once(ws, 'open');
    expect(ws.protocol).toBe('chat');
    ws.terminate();
  });

  test("each client option of the wrong type is refused with the option's name", () => {
    const refused = (options: unknown) => () =>
      new WebSocket(url, [], options as Record<string, never>);
    expect(refused(5)).toThrow(new TypeError('options must be an object, got 5'));
    for (const [name, message] of [
      ['followRedirects', 'must be a boolean, got 1'],
      ['maxRedirects', 'must be a number, got "1"'],
      ['generateMask', 'must be a function, got 1'],
      ['createConnection', 'must be a function, got 1'],
      ['finishRequest', 'must be a function, got 1'],
    ]) {
      const value = name === 'maxRedirects' ? '1' : 1;
      expect(refused({ backend, [name!]: value })).toThrow(
        new TypeError(`options.${name} ${message}`),
      );
    }
  });

  test("a server's connection: no url, no extensions, no topics until it subscribes", async () => {
    const { peer, ws } = await openRaw(wss);
    expect(ws.url).toBe('');
    expect(ws.extensions).toBe('');
    expect(ws.protocol).toBe('');
    expect(ws.isSubscribed('news')).toBe(false);
    ws.subscribe('news');
    expect(ws.isSubscribed('news')).toBe(true);
    ws.terminate();
    await peer.closed;
  });

  test('topics are for server connections: each method says so by name on a client', async () => {
    const ws = new WebSocket(url, { backend });
    await once(ws, 'open');
    for (const method of ['subscribe', 'unsubscribe', 'isSubscribed'] as const) {
      expect(() => ws[method]('news')).toThrow(
        new Error(`${method}() is for connections a WebSocketServer accepted, not clients`),
      );
    }
    ws.terminate();
  });

  test('a ping from the peer comes as a ping event with its payload', async () => {
    const { peer, ws } = await openRaw(wss);
    const ping = once(ws, 'ping');
    peer.write(frame(0x9, 'are you there'));
    expect((await ping)[0]).toEqual(Buffer.from('are you there'));
    ws.terminate();
  });

  test('binaryType takes nodebuffer back after another type', async () => {
    const { peer, ws } = await openRaw(wss);
    ws.binaryType = 'arraybuffer';
    ws.binaryType = 'nodebuffer';
    expect(ws.binaryType).toBe('nodebuffer');
    const message = once(ws, 'message');
    peer.write(frame(0x2, 'abc'));
    expect((await message)[0]).toEqual(Buffer.from('abc'));
    ws.terminate();
  });

  test('a client that never opened: its CloseEvent is not clean, as with ws', async () => {
    // ws's attributes take the same listeners: our class's types describe both.
    const clients = [
      new WebSocket('ws://127.0.0.1:1', { backend }),
      new WsClient('ws://127.0.0.1:1') as unknown as WebSocket,
    ];
    const events = await Promise.all(
      clients.map(
        (ws) =>
          new Promise<[number, boolean]>((resolve) => {
            ws.onerror = () => {};
            ws.onclose = (event) => resolve([event.code, event.wasClean]);
          }),
      ),
    );
    expect(events[0]).toEqual([1006, false]);
    expect(events[0]).toEqual(events[1]);
  });

  test('listener attributes read back what was set; a removed listener hears nothing', async () => {
    const { peer, ws } = await openRaw(wss);
    expect([ws.onopen, ws.onmessage, ws.onerror, ws.onclose]).toEqual([null, null, null, null]);
    const onopen = () => {};
    const onerror = () => {};
    const heard: string[] = [];
    const onmessage = (event: MessageEvent) => heard.push(`attribute ${event.data as string}`);
    const removed = (event: MessageEvent) => heard.push(`removed ${event.data as string}`);
    ws.onopen = onopen;
    ws.onerror = onerror;
    ws.onmessage = onmessage;
    ws.addEventListener('message', removed);
    ws.removeEventListener('message', removed);
    expect([ws.onopen, ws.onmessage, ws.onerror]).toEqual([onopen, onmessage, onerror]);
    const message = once(ws, 'message');
    peer.write(frame(0x1, 'hi'));
    await message;
    expect(heard).toEqual(['attribute hi']);
    ws.terminate();
  });
});

describe.each(backends)('heartbeat timeout (%s)', (backend) => {
  test('the error says how long the peer had to answer', async () => {
    const wss = await listen({ backend, heartbeat: { interval: 20, timeout: 30 } });
    const connection = once(wss, 'connection');
    const peer = await RawPeer.open(portOf(wss));
    const [ws] = (await connection) as [WebSocket];
    const [error] = (await once(ws, 'error')) as [Error & { code: string }];
    expect(error.message).toBe('The peer did not answer a ping within 30 ms');
    expect(Object.keys(error)).toEqual(['code']);
    expect(error.code).toBe('WS_ERR_HEARTBEAT_TIMEOUT');
    await peer.closed;
    await closeServer(wss);
  });
});
