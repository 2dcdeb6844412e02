// The server's construction and its errors as ws reports them: a port in use, the one-of
// port/server/noServer rule, shouldHandle() and path, handleUpgrade() twice on one socket,
// address() in noServer mode.
import { once } from 'node:events';
import http from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
const log = (...a) => console.log(...a);
const first = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await once(first, 'listening');
const port = first.address().port;
const second = new WebSocketServer({ port, host: '127.0.0.1' });
const [error] = await once(second, 'error');
log('in use', error.code, error.constructor.name);
try {
  new WebSocketServer({});
} catch (e) {
  log('no port', e.constructor.name, e.message);
}
try {
  new WebSocketServer({ port: 1, noServer: true });
} catch (e) {
  log('both', e.constructor.name, e.message);
}
const server = http.createServer();
const ns = new WebSocketServer({ noServer: true, path: '/a' });
log('shouldHandle', ns.shouldHandle({ url: '/a?x' }), ns.shouldHandle({ url: '/b' }));
server.on('upgrade', (req, socket, head) => {
  ns.handleUpgrade(req, socket, head, (ws) => {
    log('upgraded', ws.readyState);
    try {
      ns.handleUpgrade(req, socket, head, () => {});
    } catch (e) {
      log('twice', e.constructor.name, e.message);
    }
    ws.close();
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/a`);
await once(ws, 'close');
log('address of noServer', ns.address === undefined ? 'none' : 'fn');
try {
  ns.address();
} catch (e) {
  log('address()', e.constructor.name, e.message);
}
server.close();
first.close();
second.close();
log('done');
