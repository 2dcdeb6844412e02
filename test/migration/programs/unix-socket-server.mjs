// A server on a Unix socket, and a client reaching it with a ws+unix: URL.
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';

const socketPath = path.join(os.tmpdir(), `migration-${process.pid}.sock`);
fs.rmSync(socketPath, { force: true });
const server = http.createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  ws.send(`hello ${req.url}`);
  ws.on('message', (data) => {
    ws.send(`echo ${data}`);
    ws.close(4000, 'done');
  });
});
server.listen(socketPath);
await once(server, 'listening');

const ws = new WebSocket(`ws+unix:${socketPath}:/room?id=7`);
ws.on('message', (data) => {
  console.log(String(data));
  if (String(data).startsWith('hello')) ws.send('ping');
});
const [code, reason] = await once(ws, 'close');
console.log('close', code, String(reason));

try {
  new WebSocket('ws+unix:');
} catch (error) {
  console.log(error.constructor.name, error.message);
}

server.close();
await once(server, 'close');
fs.rmSync(socketPath, { force: true });
console.log('done');
