// A ws program in ESM: the default import is the class, carrying the server and the stream.
import { once } from 'node:events';
import WebSocket, { WebSocketServer, createWebSocketStream } from 'ws';

// ws's ESM default export is the bare class (its Server and the others are set by its
// CommonJS entry only), so an ESM program for ws takes them as named imports.
console.log(typeof WebSocket, typeof WebSocketServer, typeof createWebSocketStream);
console.log(WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED);

for (const address of ['not a url', 'ftp://127.0.0.1/', 'ws://127.0.0.1/#part']) {
  try {
    new WebSocket(address);
  } catch (error) {
    console.log(error.constructor.name, error.message);
  }
}
try {
  new WebSocket('ws://127.0.0.1/', ['a b']);
} catch (error) {
  console.log(error.constructor.name);
}
try {
  new WebSocket('ws://127.0.0.1/', { protocolVersion: 7 });
} catch (error) {
  console.log(error.constructor.name, error.message);
}

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await once(wss, 'listening');
wss.on('connection', (ws, req) => {
  console.log('server', req.url, ws instanceof WebSocket);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}/chat?room=1`, 'chat');
ws.on('open', () => ws.send('hello'));
const [data, isBinary] = await once(ws, 'message');
console.log('client', String(data), isBinary, ws.protocol, ws.readyState);

ws.send(Buffer.from([1, 2, 3]));
const [binary, isBinary2] = await once(ws, 'message');
console.log('client', [...binary], isBinary2);

ws.close(1000, 'bye');
const [code, reason] = await once(ws, 'close');
console.log('close', code, String(reason), ws.readyState);
wss.close();
await once(wss, 'close');
console.log('done');
