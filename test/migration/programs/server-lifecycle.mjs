// The server's life as ws documents it: 'listening', 'headers', 'connection', path matching,
// clientTracking, verifyClient (sync and async), handleProtocols, wss.close() semantics,
// and the WHATWG EventTarget API of a connection.
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';

const log = (...args) => console.log(...args);

const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  path: '/only',
  verifyClient: (info, done) => {
    const verdict = !info.req.url.includes('deny');
    if (info.req.url.includes('async')) setTimeout(() => done(verdict, 403, 'Nope'), 5);
    else done(verdict, 401);
  },
  handleProtocols: (protocols) => (protocols.has('b') ? 'b' : false),
});
log('clients is a Set', wss.clients instanceof Set, wss.clients.size);
await once(wss, 'listening');
log('listening', typeof wss.address().port);
wss.on('headers', (headers, req) => {
  headers.push('X-Extra: 1');
  log('headers', headers[0], req.url);
});
wss.on('connection', (ws, req) => {
  log('connection', req.url, ws.protocol, wss.clients.has(ws));
  ws.on('message', (data) => ws.send(data));
  ws.on('close', () => log('server side close, tracked', wss.clients.has(ws)));
});
const base = `ws://127.0.0.1:${wss.address().port}`;

async function attempt(path, protocols) {
  const ws = new WebSocket(base + path, protocols);
  const result = await new Promise((resolve) => {
    ws.on('open', () => resolve(`open ${ws.protocol}`));
    ws.on('unexpected-response', (req, res) => {
      resolve(`unexpected ${res.statusCode} ${res.statusMessage}`);
      req.destroy();
    });
    ws.on('error', (error) => resolve(`error ${error.message}`));
  });
  log(path, result);
  return ws;
}

await attempt('/elsewhere');
await attempt('/only?deny');
await attempt('/only?deny-async');
(await attempt('/only?x', ['a', 'b'])).close();
await attempt('/only?none', ['a']);

// The WHATWG API: addEventListener, once, handleEvent objects, on* attributes.
{
  const ws = new WebSocket(base + '/only', ['b']);
  const events = [];
  ws.addEventListener('open', (event) => events.push(`open ${event.type} ${event.target === ws}`));
  ws.addEventListener('message', { handleEvent: (event) => events.push(`obj ${event.data}`) });
  ws.addEventListener('message', (event) => events.push(`once ${event.data}`), { once: true });
  ws.onmessage = (event) => events.push(`onmessage ${event.data} ${typeof event.data}`);
  ws.onclose = (event) =>
    events.push(`onclose ${event.code} ${event.reason} ${event.wasClean} ${event.type}`);
  log('onmessage is set', typeof ws.onmessage, ws.onerror);
  await once(ws, 'open');
  ws.send('one');
  await once(ws, 'message');
  ws.send('two');
  await once(ws, 'message');
  ws.close(4000, 'bye');
  await once(ws, 'close');
  log('events', JSON.stringify(events));
  log('listenerCount message', ws.listenerCount('message'));
}

// wss.close(): the server stops accepting; open connections are not closed by it (ws 8).
{
  const ws = new WebSocket(base + '/only', ['b']);
  await once(ws, 'open');
  const closing = [];
  wss.close((error) => closing.push(`callback ${error}`));
  wss.on('close', () => closing.push('close event'));
  log('client still open after wss.close()', ws.readyState);
  ws.close();
  await once(ws, 'close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  log('closing', JSON.stringify(closing));
  wss.close((error) => log('second close', error?.message));
  await new Promise((resolve) => setTimeout(resolve, 20));
}
log('done');
