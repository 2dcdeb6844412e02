// A broadcast chat: one HTTP server on http://127.0.0.1:8080 serves a small web page at / and
// the chat's WebSocket at /chat. Everyone connected sees every message.
//
//   npx tsx examples/chat-server.ts      then open http://127.0.0.1:8080 in two browser tabs
//   PORT=8081 npx tsx examples/chat-server.ts     on another port (PORT=0: any free one)
//
// examples/chat-demo.ts starts this same server and talks to it from scripted clients.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type Backend } from '../src/index.js';

/** What the server broadcasts; clients send `{ text }` only. */
export type ChatEvent =
  { type: 'joined' | 'left'; name: string } | { type: 'message'; name: string; text: string };

export interface ChatServer {
  /** The page's address, e.g. http://127.0.0.1:8080/ */
  url: string;
  close(): Promise<void>;
}

const MAX_TEXT = 500;
const MAX_NAME = 24;

/**
 * The chat page. It joins the room named in its own address (`/?room=books`), which
 * examples/cluster-chat.ts uses as a topic; this single-process server has one room.
 */
export const page = `<!doctype html>
<meta charset="utf-8">
<title>wslay chat</title>
<style>
  body { font: 16px system-ui, sans-serif; max-width: 40em; margin: 2em auto; }
  #log { border: 1px solid #ccc; height: 20em; overflow-y: auto; padding: .5em; }
  .notice { color: #777; font-style: italic; }
  form { display: flex; gap: .5em; margin-top: .5em; } #text { flex: 1; }
</style>
<h1>wslay chat</h1>
<div id="log"></div>
<form id="form"><input id="text" autocomplete="off" maxlength="${MAX_TEXT}" placeholder="Say something">
<button>Send</button></form>
<script>
  const name = (prompt('Your name?') || 'guest').slice(0, ${MAX_NAME});
  const log = document.getElementById('log');
  const show = (line, notice) => {
    const p = document.createElement('div');
    p.textContent = line;
    if (notice) p.className = 'notice';
    log.append(p);
    log.scrollTop = log.scrollHeight;
  };
  const room = new URLSearchParams(location.search).get('room') || 'lobby';
  const ws = new WebSocket('ws://' + location.host + '/chat?name=' + encodeURIComponent(name) +
    '&room=' + encodeURIComponent(room));
  ws.onmessage = (event) => {
    const e = JSON.parse(event.data);
    if (e.type === 'message') show(e.name + ': ' + e.text);
    else show(e.name + (e.type === 'joined' ? ' joined' : ' left'), true);
  };
  ws.onclose = (event) => show('disconnected (' + event.code + ')', true);
  document.getElementById('form').onsubmit = (event) => {
    event.preventDefault();
    const input = document.getElementById('text');
    if (input.value && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ text: input.value }));
    input.value = '';
  };
</script>
`;

/** A query parameter of the upgrade request, trimmed and cut to `MAX_NAME` characters. */
export function paramFrom(req: http.IncomingMessage, key: string, fallback: string): string {
  const value = new URL(req.url ?? '/', 'http://localhost').searchParams.get(key)?.trim();
  return (value || fallback).slice(0, MAX_NAME);
}

/** The text of a chat message (`{ "text": "..." }`), or undefined when it is not one. */
export function textOf(data: unknown, isBinary: boolean): string | undefined {
  let text: unknown;
  try {
    // A text message arrives as a Buffer.
    const json = isBinary ? undefined : (data as Buffer).toString();
    text = json === undefined ? undefined : (JSON.parse(json) as { text?: unknown }).text;
  } catch {
    text = undefined;
  }
  return typeof text === 'string' && text.length > 0 && text.length <= MAX_TEXT ? text : undefined;
}

/** The port in `PORT` (8080 when unset), or an error that says what is wrong with it. */
export function portFromEnv(): number {
  const text = process.env.PORT ?? '8080';
  const port = Number(text);
  if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

/**
 * What to tell the user when the chat cannot listen: for a port in use, how to pick another
 * when starting it with `command`.
 */
export function listenFailure(error: unknown, port: number, command: string): string {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return (
      `port ${port} is already in use (a chat server from an earlier run?). Stop that ` +
      `program, or choose another port: PORT=${port === 8080 ? 8081 : 8080} ${command} ` +
      `(PORT=0 picks a free one)`
    );
  }
  return error instanceof Error ? error.message : String(error);
}

/** Starts the chat on `host:port` (8080 by default). */
export async function startChatServer({
  host = '127.0.0.1',
  port = 8080,
  backend,
}: { host?: string; port?: number; backend?: Backend } = {}): Promise<ChatServer> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  // Chat messages are small: a peer sending more than this is cut off with close 1009.
  const wss = new WebSocketServer({
    server,
    path: '/chat',
    maxPayload: 4096,
    backend,
    heartbeat: { interval: 30_000, timeout: 10_000 },
  });

  const broadcast = (event: ChatEvent): void => {
    const data = JSON.stringify(event);
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(data);
    }
  };

  wss.on('connection', (ws, req) => {
    const name = paramFrom(req, 'name', 'guest');
    broadcast({ type: 'joined', name });
    ws.on('message', (data, isBinary) => {
      const text = textOf(data, isBinary);
      if (text === undefined) {
        ws.close(1003, 'expected {"text": "..."}');
        return;
      }
      broadcast({ type: 'message', name, text });
    });
    ws.on('close', () => broadcast({ type: 'left', name }));
    // As with ws, an 'error' nobody listens to is thrown: a misbehaving client must not be able
    // to take the server down, so every connection gets a listener.
    ws.on('error', (error) => console.warn(`${name}: ${error.message}`));
  });

  server.listen(port, host);
  // The WebSocketServer re-emits its HTTP server's errors, as ws does: a port in use is one.
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    wss.once('error', fail);
    server.once('listening', () => {
      wss.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}/`,
    close: async () => {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (require.main === module) {
  let port = 8080;
  Promise.resolve()
    .then(() => startChatServer({ port: (port = portFromEnv()) }))
    .then(
      (chat) => {
        console.log(`chat on ${chat.url}: open it in two browser tabs; Ctrl+C stops it`);
        process.once('SIGINT', () => {
          void chat.close().then(() => process.exit(0));
        });
      },
      (error: unknown) => {
        console.error(
          `chat server: ${listenFailure(error, port, 'npx tsx examples/chat-server.ts')}`,
        );
        process.exit(1);
      },
    );
}
