// The options of ws that shape a connection: the server's WebSocket class, wsClientError,
// handleUpgrade() over any Duplex; the client's createConnection, finishRequest,
// generateMask, protocolVersion and origin.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

class Tagged extends WebSocket {
  constructor(...args) {
    super(...args);
    this.tag = 'tagged';
  }
}

const server = http.createServer();
const wss = new WebSocketServer({
  noServer: true,
  WebSocket: Tagged,
  verifyClient: (info) => {
    const version = info.req.headers['sec-websocket-version'];
    console.log('verify', version, info.origin, info.req.headers['x-finish']);
    return true;
  },
});
wss.on('wsClientError', (error, socket) => {
  console.log('wsClientError', error.message);
  socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
});
/** A Duplex over `socket` that is not a net.Socket, as a proxy or a test harness hands over. */
function wrap(socket) {
  const duplex = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk) => duplex.push(chunk));
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, req.url === '/duplex' ? wrap(socket) : socket, head, (ws) => {
    console.log('connection', req.url, ws instanceof Tagged, ws.tag);
    ws.on('message', (data) => ws.send(data));
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();

async function echo(url, options) {
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  ws.send('a');
  ws.send('b');
  const [data] = await once(ws, 'message');
  console.log('echo', String(data));
  ws.close();
  await once(ws, 'close');
}

let connections = 0;
let masks = 0;
await echo(`ws://127.0.0.1:${port}/duplex`, {
  createConnection: (options) => {
    connections++;
    return net.connect(options.port, options.host);
  },
  finishRequest: (request, websocket) => {
    request.setHeader('X-Finish', String(websocket instanceof WebSocket));
    request.end();
  },
  generateMask: (mask) => {
    masks++;
    mask.fill(0);
  },
});
console.log('createConnection', connections, 'generateMask called', masks >= 2);
await echo(`ws://127.0.0.1:${port}/v8`, { protocolVersion: 8, origin: 'http://example.org' });
await echo(`ws://127.0.0.1:${port}/v13`, { origin: 'http://example.org' });

const raw = net.connect(port, '127.0.0.1');
raw.end(
  'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
    'Sec-WebSocket-Version: 13\r\n\r\n',
);
let response = '';
raw.on('data', (chunk) => (response += chunk));
await once(raw, 'close');
console.log('raw response', response.split('\r\n')[0]);

server.close();
await once(server, 'close');
console.log('done');
