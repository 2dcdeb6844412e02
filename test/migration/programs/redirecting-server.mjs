// A client that follows redirects: credentials stay with their host, as curl and ws do.
import { once } from 'node:events';
import http from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

/** An HTTP server that redirects /same to its own /ws, /other to `other`, /loop to itself. */
async function start(redirectTo) {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const target = redirectTo(req.url, server.address().port);
    if (target === null) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(`${req.url} auth=${req.headers.authorization} cookie=${req.headers.cookie}`);
        ws.close();
      });
      return;
    }
    socket.end(`HTTP/1.1 302 Found\r\nLocation: ${target}\r\nContent-Length: 0\r\n\r\n`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, wss, port: server.address().port };
}

const other = await start(() => null);
const first = await start((url, port) => {
  if (url === '/same') return `ws://127.0.0.1:${port}/ws`;
  if (url === '/other') return `ws://127.0.0.1:${other.port}/elsewhere`;
  if (url === '/loop') return '/loop';
  return null;
});

async function visit(path, options, onRedirect) {
  const ws = new WebSocket(`ws://127.0.0.1:${first.port}${path}`, {
    followRedirects: true,
    headers: { Authorization: 'Bearer t0ken', Cookie: 'id=1' },
    ...options,
  });
  if (onRedirect) ws.on('redirect', onRedirect);
  ws.on('error', (error) => console.log('error', error.message));
  ws.on('message', (data) => console.log(path, String(data)));
  // Not events.once(): it rejects on 'error', which a failed redirect emits before 'close'.
  const code = await new Promise((resolve) => ws.on('close', resolve));
  console.log(path, 'close', code, ws.url.replace(/:\d+/, ':PORT'));
}

await visit('/same');
await visit('/other');
await visit('/other', {}, (url, req) => {
  console.log('redirect event', url.replace(/:\d+/, ':PORT'), typeof req.setHeader);
});
await visit('/loop', { maxRedirects: 2 });

const plain = new WebSocket(`ws://127.0.0.1:${first.port}/same`);
plain.on('error', (error) => console.log('without followRedirects:', error.message));
await new Promise((resolve) => plain.on('close', resolve));

for (const { server } of [first, other]) {
  server.close();
  await once(server, 'close');
}
console.log('done');
