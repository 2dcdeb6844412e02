// The WHATWG listener API as ws has it: event types, { once }, which listener
// removeEventListener takes away, what on<type> replaces, and types it does not know.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, type MessageEvent, type WebSocketServer } from '../../src/index.js';
import { backends, closeServer, listen, portOf, until } from './helpers.js';
import { messageText } from '../helpers/message-text.js';

describe.each(backends)('WHATWG event listeners (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({ backend });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (messageText(data) === 'fail') ws.close(1002);
        else ws.send(data, { binary: isBinary });
      });
    });
  });
  afterAll(() => closeServer(wss));

  const url = () => `ws://127.0.0.1:${portOf(wss)}`;

  test('each event has its type', async () => {
    const ws = new WebSocket(url(), { backend });
    const types: string[] = [];
    for (const type of ['open', 'message', 'close'] as const) {
      ws.addEventListener(type, (event) => types.push(event.type));
    }
    ws.onopen = () => ws.send('x');
    ws.onmessage = () => ws.close();
    await once(ws, 'close');
    expect(types).toEqual(['open', 'message', 'close']);
    const refused = new WebSocket('ws://127.0.0.1:1/', { backend });
    const error = await new Promise<string>((resolve) =>
      refused.addEventListener('error', (event) => resolve(event.type)),
    );
    expect(error).toBe('error');
  });

  test('a { once } listener hears one event', async () => {
    const ws = new WebSocket(url(), { backend });
    await once(ws, 'open');
    const heard: string[] = [];
    ws.addEventListener('message', (event) => heard.push(messageText(event.data)), {
      once: true,
    });
    let received = 0;
    ws.on('message', () => received++);
    ws.send('one');
    ws.send('two');
    await until(() => received === 2);
    expect(heard).toEqual(['one']);
    ws.terminate();
  });

  test('removeEventListener takes away that listener only, never on<type>', async () => {
    const ws = new WebSocket(url(), { backend });
    await once(ws, 'open');
    const heard: string[] = [];
    const first = () => heard.push('first');
    const second = () => heard.push('second');
    const attribute = () => heard.push('attribute');
    ws.onmessage = attribute;
    ws.addEventListener('message', attribute);
    ws.addEventListener('message', first);
    ws.addEventListener('message', second);
    ws.removeEventListener('message', second);
    ws.removeEventListener('message', attribute);
    // Never added: nothing to take away.
    expect(() => ws.removeEventListener('message', () => {})).not.toThrow();
    expect(ws.onmessage).toBe(attribute);
    ws.send('x');
    await until(() => heard.length >= 2);
    expect(heard).toEqual(['attribute', 'first']);
    ws.terminate();
  });

  test('on<type> replaces only the previous on<type>, and takes functions only', async () => {
    const ws = new WebSocket(url(), { backend });
    await once(ws, 'open');
    const heard: string[] = [];
    ws.addEventListener('message', () => heard.push('added'));
    ws.onmessage = () => heard.push('replaced');
    ws.onmessage = () => heard.push('attribute');
    const handler = { handleEvent: (_event: MessageEvent) => heard.push('object') };
    ws.onclose = handler as never;
    expect(ws.onclose).toBeNull();
    ws.send('x');
    await until(() => heard.length >= 2);
    expect(heard).toEqual(['added', 'attribute']);
    ws.onmessage = null;
    ws.send('y');
    await until(() => heard.length >= 3);
    const closed = once(ws, 'close');
    ws.close();
    await closed;
    expect(heard).toEqual(['added', 'attribute', 'added']);
  });

  test('listeners of types it does not dispatch are ignored, as by ws', async () => {
    const ws = new WebSocket(url(), { backend });
    await once(ws, 'open');
    const heard: string[] = [];
    expect(() => ws.addEventListener('pong' as never, () => heard.push('pong'))).not.toThrow();
    expect(ws.listenerCount('pong')).toBe(0);
    const pong = once(ws, 'pong');
    ws.ping();
    await pong;
    expect(heard).toEqual([]);
    ws.terminate();
  });
});
