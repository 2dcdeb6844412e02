// An echo server: every message comes back to its sender as it was sent, text as text and
// binary as binary. Run it with `npx tsx examples/echo-server.ts` (PORT=... to move it) and
// talk to it with any WebSocket client, e.g. `npx wscat -c ws://127.0.0.1:8080`.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, backend } from '../src/index.js';

const port = Number(process.env.PORT ?? 8080);

const wss = new WebSocketServer({
  port,
  host: '127.0.0.1',
  // Drop peers that vanish without closing: a ping every 30 s, 10 s to answer it.
  heartbeat: { interval: 30_000, timeout: 10_000 },
});

wss.on('listening', () => {
  const { port: bound } = wss.address() as AddressInfo;
  console.log(`echo server on ws://127.0.0.1:${bound} (${backend} backend); Ctrl+C stops it`);
});

wss.on('connection', (ws, req) => {
  const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  console.log(`${peer} connected`);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code, reason) => console.log(`${peer} closed: ${code} ${reason.toString()}`));
  // As with ws, an 'error' nobody listens to is thrown: a bad peer must not end the server.
  ws.on('error', (error) => console.warn(`${peer}: ${error.message}`));
});

process.once('SIGINT', () => {
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
  wss.close(() => process.exit(0));
});
