// A ws program in CommonJS: require() gives the class, carrying the rest.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, as the program is written */
const { once } = require('node:events');
const WebSocket = require('ws');
const { WebSocketServer } = require('ws');

console.log(typeof WebSocket, WebSocket.Server === WebSocketServer, WebSocket.OPEN);

async function main() {
  const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('message', (data) => ws.send(`echo ${data}`));
  });

  const ws = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  await once(ws, 'open');
  ws.send('one');
  const [data] = await once(ws, 'message');
  console.log(String(data));

  // The stream of the same module.
  const duplex = WebSocket.createWebSocketStream(ws);
  duplex.write('two');
  const [chunk] = await once(duplex, 'data');
  console.log(String(chunk));
  const closed = once(duplex, 'close');
  duplex.end();
  await once(duplex, 'finish');
  duplex.resume();
  await closed;
  console.log('stream closed', duplex.destroyed, ws.readyState);

  wss.close();
  await once(wss, 'close');
  console.log('done');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
