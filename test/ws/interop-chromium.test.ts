import { once } from 'node:events';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WebSocket as OurWebSocket, WebSocketServer } from '../../src/index.js';
import { startChatServer } from '../../examples/chat-server.js';
import { backends, closed, closeServer, listen, portOf, SIZES } from './helpers.js';
import { messageText } from '../helpers/message-text.js';

// The page functions below run in the browser; this file is compiled without the DOM library,
// so the little of the browser's API they use is declared here.
interface BrowserEvent {
  data: unknown;
  code: number;
  reason: string;
  wasClean: boolean;
}
interface BrowserWebSocket {
  binaryType: string;
  readonly protocol: string;
  readonly extensions: string;
  onopen: ((event: BrowserEvent) => void) | null;
  onmessage: ((event: BrowserEvent) => void) | null;
  onclose: ((event: BrowserEvent) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}
declare const WebSocket: new (url: string, protocols?: string[]) => BrowserWebSocket;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface BrowserClose {
  code: number;
  reason: string;
  wasClean: boolean;
}

describe.each(backends)('our server with headless Chromium (%s)', (backend) => {
  let wss: WebSocketServer;

  beforeAll(async () => {
    wss = await listen({
      backend,
      handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false),
    });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary && messageText(data) === 'close-me') ws.close(4010, 'server-bye');
        else ws.send(data, { binary: isBinary });
      });
    });
  });
  afterAll(() => closeServer(wss));

  const url = () => `ws://127.0.0.1:${portOf(wss)}/`;

  test('text and binary messages of every size come back intact', async () => {
    const results = await page.evaluate(
      async ({ url, sizes }) => {
        const pattern = (size: number) => {
          const bytes = new Uint8Array(size);
          for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 0xff;
          return bytes;
        };
        const text = (size: number) => {
          const whole = 'aé€😀'.repeat(Math.floor(size / 10));
          return whole + 'x'.repeat(size - new TextEncoder().encode(whole).length);
        };
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        await new Promise((resolve) => {
          ws.onopen = resolve;
        });
        const out: { size: number; binary: boolean; ok: boolean }[] = [];
        for (const binary of [false, true]) {
          for (const size of sizes) {
            const payload = binary ? pattern(size) : text(size);
            const echoed = new Promise<BrowserEvent>((resolve) => {
              ws.onmessage = resolve;
            });
            ws.send(payload);
            const { data } = await echoed;
            let ok: boolean;
            if (binary) {
              const got = new Uint8Array(data as ArrayBuffer);
              ok = got.length === size && got.every((b, i) => b === (payload as Uint8Array)[i]);
            } else {
              ok = data === payload;
            }
            out.push({ size, binary, ok });
          }
        }
        ws.close(1000);
        return out;
      },
      { url: url(), sizes: SIZES },
    );
    expect(results).toHaveLength(SIZES.length * 2);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // Building and comparing 16 MiB byte by byte in the page takes seconds on a busy machine.
  }, 90_000);

  test('a close from the browser carries its code and reason to both ends', async () => {
    const connection = once(wss, 'connection');
    const browserSide = page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      await new Promise((resolve) => {
        ws.onopen = resolve;
      });
      ws.close(4009, 'browser-bye');
      const event = await new Promise<BrowserEvent>((resolve) => {
        ws.onclose = resolve;
      });
      return { code: event.code, reason: event.reason, wasClean: event.wasClean };
    }, url());
    const [ws] = (await connection) as [OurWebSocket];
    expect(await closed(ws)).toEqual({ code: 4009, reason: 'browser-bye' });
    expect(await browserSide).toEqual<BrowserClose>({
      code: 4009,
      reason: 'browser-bye',
      wasClean: true,
    });
  });

  test('a close from the server reaches the browser as a clean close', async () => {
    const report = await page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      await new Promise((resolve) => {
        ws.onopen = resolve;
      });
      ws.send('close-me');
      const event = await new Promise<BrowserEvent>((resolve) => {
        ws.onclose = resolve;
      });
      return { code: event.code, reason: event.reason, wasClean: event.wasClean };
    }, url());
    expect(report).toEqual<BrowserClose>({ code: 4010, reason: 'server-bye', wasClean: true });
  });

  test('with perMessageDeflate on, Chromium negotiates it and a compressed round trip works', async () => {
    const deflating = await listen({ backend, perMessageDeflate: true });
    const read: number[] = [];
    deflating.on('connection', (ws, req) => {
      ws.on('message', (data, isBinary) => {
        read.push(req.socket.bytesRead);
        ws.send(data, { binary: isBinary });
      });
    });
    const report = await page.evaluate(
      async (url) => {
        const ws = new WebSocket(url);
        await new Promise((resolve) => {
          ws.onopen = resolve;
        });
        const message = 'compress me, '.repeat(2000);
        const echoed = new Promise<unknown>((resolve) => {
          ws.onmessage = (event) => resolve(event.data);
        });
        ws.send(message);
        const result = { extensions: ws.extensions, same: (await echoed) === message };
        ws.close();
        return result;
      },
      `ws://127.0.0.1:${portOf(deflating)}/`,
    );
    expect(report).toEqual({ extensions: 'permessage-deflate', same: true });
    // 26,000 bytes of text crossed the wire in far fewer: the browser compressed them.
    expect(read[0]).toBeLessThan(5000);
    await closeServer(deflating);
  });

  test('the subprotocol is negotiated and permessage-deflate is declined', async () => {
    const report = await page.evaluate(async (url) => {
      const ws = new WebSocket(url, ['superchat', 'chat']);
      await new Promise((resolve) => {
        ws.onopen = resolve;
      });
      const result = { protocol: ws.protocol, extensions: ws.extensions };
      ws.close();
      return result;
    }, url());
    expect(report).toEqual({ protocol: 'chat', extensions: '' });
  });

  test('a ping from the server is answered by the browser with the same payload', async () => {
    const connection = once(wss, 'connection');
    const browserSide = page.evaluate(async (url) => {
      const ws = new WebSocket(url);
      await new Promise((resolve) => {
        ws.onopen = resolve;
      });
      await new Promise((resolve) => {
        ws.onclose = resolve;
      });
    }, url());
    const [ws] = (await connection) as [OurWebSocket];
    const pong = once(ws, 'pong');
    ws.ping('are-you-there');
    expect(String((await pong)[0])).toBe('are-you-there');
    ws.close(1000);
    await browserSide;
  });
});

test.each(backends)(
  "the chat example's page carries messages between two browser tabs (%s)",
  async (backend) => {
    const chat = await startChatServer({ port: 0, backend });
    const context = await browser.newContext();
    const tab = async (name: string) => {
      const p = await context.newPage();
      p.on('dialog', (dialog) => {
        void dialog.accept(name);
      });
      await p.goto(chat.url);
      await p.waitForFunction(
        `document.getElementById('log').textContent.includes('${name} joined')`,
      );
      return p;
    };
    const ann = await tab('ann');
    const ben = await tab('ben');
    await ann.waitForFunction(`document.getElementById('log').textContent.includes('ben joined')`);
    await ann.fill('#text', 'hello from ann');
    await ann.click('button');
    await ben.waitForFunction(
      `document.getElementById('log').textContent.includes('ann: hello from ann')`,
    );
    await ben.close();
    await ann.waitForFunction(`document.getElementById('log').textContent.includes('ben left')`);
    await context.close();
    await chat.close();
  },
);
