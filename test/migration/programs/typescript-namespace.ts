// A ws program in TypeScript, written against @types/ws's namespace types.
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

async function main(): Promise<void> {
  const verifyClient: WebSocket.VerifyClientCallbackSync = (info) =>
    info.req.headers['x-token'] === 'secret';
  const options: WebSocket.ServerOptions = { port: 0, host: '127.0.0.1', verifyClient };
  const wss: WebSocket.Server = new WebSocket.Server(options);
  const same: WebSocketServer = wss;
  await once(same, 'listening');
  const address = wss.address() as WebSocket.AddressInfo;

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const text = (data as Buffer).toString();
      const reply: WebSocket.Data = isBinary ? data : `${text} (${req.url})`;
      ws.send(reply);
    });
  });

  const clientOptions: WebSocket.ClientOptions = {
    headers: { 'x-token': 'secret' },
    handshakeTimeout: 5000,
  };
  const ws = new WebSocket(`ws://127.0.0.1:${address.port}/typed`, clientOptions);
  ws.onopen = (event: WebSocket.Event) => {
    console.log('open', event.type);
    ws.send('hi');
  };
  const message = await new Promise<WebSocket.MessageEvent>((resolve) => {
    ws.onmessage = resolve;
  });
  console.log('message', message.data);
  ws.close();
  const closed = await new Promise<WebSocket.CloseEvent>((resolve) => {
    ws.onclose = resolve;
  });
  console.log('close', closed.code, closed.wasClean);

  const refused = new WebSocket(`ws://127.0.0.1:${address.port}/typed`);
  const [error] = (await once(refused, 'error')) as [Error];
  console.log('refused', error.message);

  wss.close();
  await once(wss, 'close');
  console.log('done');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
