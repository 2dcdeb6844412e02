import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { WebSocket, type PerMessageDeflateOptions } from '../../src/index.js';
import { backends, closed, closeServer, listen, nextMessage, pattern, portOf } from './helpers.js';

/**
 * permessage-deflate against ws in both roles, for every context-takeover combination and
 * every window size on each side (8 taken as 9 by zlib, as ws takes it): a compressed
 * exchange in both directions, several messages long so that a context carried from one
 * message to the next is exercised.
 */

const MESSAGES: [string | Buffer, boolean][] = [
  [JSON.stringify({ user: 'ada', items: [1, 2, 3], note: 'x'.repeat(300) }), false],
  ['The quick brown fox jumps over the lazy dog. '.repeat(400), false],
  [pattern(100_000), true],
  ['', false],
  [JSON.stringify({ user: 'ada', items: [1, 2, 3], note: 'y'.repeat(300) }), false],
];

interface Combination {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

// Each window size on each side: (8, 15), (9, 14) ... (15, 8), under each takeover setting.
const COMBINATIONS: Combination[] = [];
for (const serverNoContextTakeover of [false, true]) {
  for (const clientNoContextTakeover of [false, true]) {
    for (let bits = 8; bits <= 15; bits++) {
      COMBINATIONS.push({
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: bits,
        clientMaxWindowBits: 23 - bits,
      });
    }
  }
}

const name = (c: Combination): string =>
  `server ${c.serverNoContextTakeover ? 'no ' : ''}takeover ${c.serverMaxWindowBits} bits, ` +
  `client ${c.clientNoContextTakeover ? 'no ' : ''}takeover ${c.clientMaxWindowBits} bits`;

/** What the response header says was agreed, for comparison with the combination. */
function agreed(header: string | string[] | undefined): string {
  return String(header);
}

function expected(c: Combination): string[] {
  const parts = [`server_max_window_bits=${c.serverMaxWindowBits}`];
  parts.push(`client_max_window_bits=${c.clientMaxWindowBits}`);
  if (c.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (c.clientNoContextTakeover) parts.push('client_no_context_takeover');
  return parts;
}

type Listener = (data: Buffer, isBinary: boolean) => void;
type Peer = {
  send(data: string | Buffer, options: { binary: boolean }): void;
  on(event: 'message', listener: Listener): unknown;
  off(event: 'message', listener: Listener): unknown;
};

/** Each message goes one way and comes back, the next one only after. */
async function exchange(sender: WebSocket | WsClient, echoer: Peer): Promise<void> {
  const echo: Listener = (data, isBinary) => echoer.send(data, { binary: isBinary });
  echoer.on('message', echo);
  for (const [message, binary] of MESSAGES) {
    const echoed = nextMessage(sender);
    sender.send(message, { binary });
    const { data, isBinary } = await echoed;
    expect(isBinary).toBe(binary);
    expect(data.equals(Buffer.from(message))).toBe(true);
  }
  echoer.off('message', echo);
}

/**
 * Waits for `client` to open and `connection` to give the server's end, then checks that the
 * response agreed to each part of `combination`.
 */
async function opened<Server>(
  client: WebSocket | WsClient,
  connection: Promise<unknown[]>,
  combination: Combination,
): Promise<Server> {
  // 'upgrade' and 'open' come in one tick: both are awaited together.
  const [[response], [server]] = (await Promise.all([
    once(client, 'upgrade'),
    connection,
    once(client, 'open'),
  ])) as [[IncomingMessage], [Server], unknown];
  for (const part of expected(combination)) {
    expect(agreed(response.headers['sec-websocket-extensions'])).toContain(part);
  }
  return server;
}

/** Every message each way, then the client closes. */
async function bothWays(client: WebSocket | WsClient, server: WebSocket | WsClient): Promise<void> {
  await exchange(client, server);
  await exchange(server, client);
  client.close();
}

describe.each(backends)('permessage-deflate with ws (%s)', (backend) => {
  const cases = COMBINATIONS.map((c) => [name(c), c] as const);

  test.each(cases)('our server sets: %s', async (_name, combination) => {
    const options: PerMessageDeflateOptions = { ...combination, threshold: 0 };
    const wss = await listen({ backend, perMessageDeflate: options });
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`, {
      perMessageDeflate: { threshold: 0 },
    });
    const server = await opened<WebSocket>(client, connection, combination);
    expect(server.extensions).toBe('permessage-deflate');
    await bothWays(client, server);
    await closed(server);
    await closeServer(wss);
  });

  test.each(cases)('the ws client asks: %s', async (_name, combination) => {
    const wss = await listen({ backend, perMessageDeflate: { threshold: 0 } });
    const connection = once(wss, 'connection');
    const client = new WsClient(`ws://127.0.0.1:${portOf(wss)}/`, {
      perMessageDeflate: { ...combination, threshold: 0 },
    });
    const server = await opened<WebSocket>(client, connection, combination);
    await bothWays(client, server);
    await closed(server);
    await closeServer(wss);
  });

  test.each(cases)('our client asks the ws server: %s', async (_name, combination) => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
    await once(wss, 'listening');
    const connection = once(wss, 'connection');
    const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}/`, {
      backend,
      perMessageDeflate: { ...combination, threshold: 0 },
    });
    const server = await opened<WsClient>(client, connection, combination);
    expect(client.extensions).toBe('permessage-deflate');
    await bothWays(client, server);
    await once(server, 'close');
    await new Promise((resolve) => wss.close(resolve));
  });
});
