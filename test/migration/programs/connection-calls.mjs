// A connection's calls and their errors as ws documents them: before open, bad close codes
// and reasons, ping/pong events and payloads, close() and terminate() timing, the close
// event's arguments, createWebSocketStream.
import { once } from 'node:events';
import WebSocket, { WebSocketServer, createWebSocketStream } from 'ws';

const log = (...args) => console.log(...args);
const attempt = (what, fn) => {
  try {
    fn();
    log(what, 'ok');
  } catch (error) {
    log(what, error.constructor.name, error.message);
  }
};

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await once(wss, 'listening');
wss.on('connection', (ws, req) => {
  ws.on('error', (error) => log('server error', error.code));
  if (req.url === '/stream') {
    const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
    duplex.on('data', (chunk) => duplex.write(chunk.toUpperCase()));
    duplex.on('end', () => log('server stream end'));
    duplex.on('close', () => log('server stream close'));
    return;
  }
  ws.on('message', (data) => {
    if (String(data) === 'close me') ws.close(4001, 'as asked');
    else if (String(data) === 'terminate me') ws.terminate();
    else ws.send(data);
  });
  ws.on('ping', (data) => log('server ping', String(data)));
});
const base = `ws://127.0.0.1:${wss.address().port}`;

{
  const ws = new WebSocket(base);
  attempt('send before open', () => ws.send('x'));
  attempt('ping before open', () => ws.ping());
  log('readyState', ws.readyState, ws.bufferedAmount, ws.binaryType, ws.protocol, ws.extensions);
  await once(ws, 'open');
  attempt('close 999', () => ws.close(999));
  attempt('close 1005', () => ws.close(1005));
  attempt('close long reason', () => ws.close(1000, 'x'.repeat(124)));
  attempt('ping 126', () => ws.ping(Buffer.alloc(126)));
  ws.binaryType = 'not a type';
  log('binaryType', ws.binaryType);
  const pong = once(ws, 'pong');
  ws.ping('hi');
  log('pong', String((await pong)[0]));
  ws.send('close me');
  const [code, reason] = await once(ws, 'close');
  log('closed by server', code, String(reason), ws.readyState);
  attempt('close when closed', () => ws.close());
  attempt('terminate when closed', () => ws.terminate());
}

{
  const ws = new WebSocket(base);
  await once(ws, 'open');
  ws.send('terminate me');
  const [code, reason] = await once(ws, 'close');
  log('terminated by server', code, reason.length);
}

{
  const ws = new WebSocket(base);
  await once(ws, 'open');
  ws.close();
  log('after close()', ws.readyState);
  ws.close();
  const [code] = await once(ws, 'close');
  log('closed without a code', code);
}

{
  const ws = new WebSocket(base);
  const events = [];
  ws.on('error', (error) => events.push(`error ${error.message}`));
  ws.on('close', (code) => events.push(`close ${code}`));
  ws.terminate();
  log('terminate while connecting', ws.readyState);
  // Not once(ws, 'close'), which rejects on 'error'.
  await new Promise((resolve) => ws.on('close', resolve));
  log('events', JSON.stringify(events));
}

{
  const ws = new WebSocket(base + '/stream');
  const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
  duplex.write('through a stream');
  const [data] = await once(duplex, 'data');
  log('stream echo', data);
  duplex.end();
  await once(duplex, 'close');
  log('client stream closed', ws.readyState);
}

await new Promise((resolve) => setTimeout(resolve, 50));
wss.close();
await once(wss, 'close');
log('done');
