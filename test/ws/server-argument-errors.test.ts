// The TypeErrors a WebSocketServer throws for a bad option or argument: each names what is
// wrong, so that a program's mistake is found from the message alone.
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import type { Broker } from '../../src/ws/broker.js';
import { backends, closeServer, listen, nextMessage, portOf } from './helpers.js';

const brokerMethods = ['attach', 'subscribe', 'unsubscribe', 'publish', 'close'] as const;

function brokerWithout(missing: string | null): Record<string, () => void> {
  const broker: Record<string, () => void> = {};
  for (const name of brokerMethods) if (name !== missing) broker[name] = () => {};
  return broker;
}

describe.each(backends)('a WebSocketServer refuses bad options and arguments (%s)', (backend) => {
  test('it needs exactly one of port, server and noServer, and says so', () => {
    const message =
      'One and only one of the "port", "server", or "noServer" options must be specified';
    expect(() => new WebSocketServer({ backend })).toThrow(new TypeError(message));
    expect(() => new WebSocketServer({ backend, port: 0, noServer: true })).toThrow(
      new TypeError(message),
    );
  });

  test('options.WebSocket must be WebSocket or a subclass of it', () => {
    class NotAWebSocket {}
    expect(
      () =>
        new WebSocketServer({
          backend,
          noServer: true,
          WebSocket: NotAWebSocket as unknown as typeof WebSocket,
        }),
    ).toThrow(new TypeError('options.WebSocket must be the WebSocket class or a subclass of it'));
  });

  test('options.broker must have every method of a broker', () => {
    const attempt = (broker: unknown) => () =>
      new WebSocketServer({ backend, noServer: true, broker: broker as Broker });
    const message = (got: string) =>
      new TypeError(
        `options.broker must have the methods attach, subscribe, unsubscribe, publish, close, got ${got}`,
      );
    for (const name of brokerMethods) {
      expect(attempt(brokerWithout(name))).toThrow(message('an object'));
    }
    expect(attempt(null)).toThrow(message('null'));
    // A function that carries every method is still not a broker object.
    expect(attempt(Object.assign(() => {}, brokerWithout(null)))).toThrow(message('a function'));
    expect(attempt(brokerWithout(null))).not.toThrow();
  });

  test.each([
    ['maxFragments', 10, 'options.maxFragments is not supported: '],
    ['maxPendingAutoPongs', 3, 'options.maxPendingAutoPongs is not supported: '],
    ['skipUTF8Validation', true, 'options.skipUTF8Validation can only be false: '],
    ['autoPong', false, 'options.autoPong can only be true: '],
  ])('option %s: %j is refused with what it can be, and why', (name, value, start) => {
    let thrown: unknown;
    try {
      new WebSocketServer({ backend, noServer: true, [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const message = (thrown as Error).message;
    expect(message.startsWith(start)).toBe(true);
    // The reason follows.
    expect(message.length).toBeGreaterThan(start.length);
  });

  test('broadcast(), publish() and numSubscribers() name the argument that is wrong', () => {
    const wss = new WebSocketServer({ backend, noServer: true });
    expect(() => wss.broadcast('x', 1 as never)).toThrow(
      new TypeError('options must be an object, got 1'),
    );
    expect(() => wss.publish('room', 'x', 'binary' as never)).toThrow(
      new TypeError('options must be an object, got "binary"'),
    );
    expect(() => wss.numSubscribers(7 as never)).toThrow(
      new TypeError('topic must be a string, got 7'),
    );
    const except = (got: string) =>
      new TypeError(`options.except must be a WebSocket or an iterable of them, got ${got}`);
    expect(() => wss.broadcast('x', { except: 5 as never })).toThrow(except('5'));
    expect(() => wss.broadcast('x', { except: null as never })).toThrow(except('null'));
    expect(() => wss.broadcast('x', { except: {} as never })).toThrow(except('an object'));
    expect(wss.broadcast('x', { except: [] })).toBe(0);
  });
});

describe.each(backends)('broadcast and publish options (%s)', (backend) => {
  test('publish() with binary: true sends a string as a binary message', async () => {
    const wss = await listen({ backend });
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    const [ws] = (await connection) as [WebSocket];
    await once(client, 'open');
    ws.subscribe('room');
    const received = nextMessage(client);
    expect(wss.publish('room', 'text', { binary: true })).toBe(1);
    const { data, isBinary } = await received;
    expect(isBinary).toBe(true);
    expect(String(data)).toBe('text');
    client.terminate();
    await closeServer(wss);
  });

  test('by default a broadcast that would go over maxBufferedAmount terminates the connection', async () => {
    const wss = await listen({ backend, maxBufferedAmount: 1024 });
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, { backend });
    const [ws] = (await connection) as [WebSocket];
    // Open first: terminate() on a client still connecting emits an 'error' (as in ws).
    await once(client, 'open');
    const errors: string[] = [];
    ws.on('error', (error) => errors.push((error as Error & { code: string }).code));
    // Not once(): it would reject on the 'error' that comes first.
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));
    expect(wss.broadcast(Buffer.alloc(2048))).toBe(0);
    await wsClosed;
    expect(errors).toEqual(['WS_ERR_BUFFER_FULL']);
    client.terminate();
    await closeServer(wss);
  });
});
