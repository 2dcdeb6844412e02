// send(Blob), ping(Blob) and pong(Blob) as ws 8 does them: the Blob is read asynchronously,
// and everything sent after it (messages, pings, pongs, the close frame) waits behind it.
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await once(wss, 'listening');
const url = `ws://127.0.0.1:${wss.address().port}`;
const seen = [];
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    seen.push(`${isBinary ? 'binary' : 'text'} ${String(data)}`);
    if (String(data) === 'echo blob') ws.send(new Blob(['blob from the server']));
  });
  ws.on('ping', (data) => seen.push(`ping ${String(data)}`));
  ws.on('pong', (data) => seen.push(`pong ${String(data)}`));
  ws.on('close', (code, reason) => seen.push(`close ${code} ${String(reason)}`));
});

function report(title) {
  console.log(title, JSON.stringify(seen));
  seen.length = 0;
}

async function open() {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}

// Order and bufferedAmount: the Blob's size counts while it is read, and so do the sends
// queued behind it.
{
  const ws = await open();
  const calls = [];
  ws.send(new Blob(['first, ', 'a blob']), (error) => calls.push(`blob ${error}`));
  console.log('bufferedAmount after the blob', ws.bufferedAmount);
  ws.send('second', (error) => calls.push(`second ${error}`));
  ws.ping('p', (error) => calls.push(`ping ${error}`));
  ws.pong(new Blob(['q']), (error) => calls.push(`pong ${error}`));
  ws.send(new Blob(['as text']), { binary: false });
  ws.send(new Blob(['piece one, ']), { fin: false });
  ws.send(Buffer.from('piece two'), { fin: true });
  ws.send(new Uint8Array([0x6f, 0x6b]));
  console.log('bufferedAmount queued', ws.bufferedAmount);
  try {
    ws.ping(new Blob([Buffer.alloc(126)]));
  } catch (error) {
    console.log('ping(126-byte Blob)', error.constructor.name, error.message);
  }
  ws.close(1000, 'bye');
  console.log('readyState after close()', ws.readyState);
  ws.send(new Blob(['late']), (error) => calls.push(`late ${error.message}`));
  console.log('bufferedAmount after a late Blob', ws.bufferedAmount);
  await once(ws, 'close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log('callbacks', JSON.stringify(calls));
  report('server saw');
}

// The server's reply is a Blob; the client reads binary messages as Blobs.
{
  const ws = await open();
  ws.binaryType = 'blob';
  ws.send('echo blob');
  const [data, isBinary] = await once(ws, 'message');
  console.log('client got', data instanceof Blob, isBinary, await data.text());
  const event = await new Promise((resolve) => {
    ws.onmessage = resolve;
    ws.send('echo blob');
  });
  console.log('onmessage', event.data instanceof Blob, await event.data.text());
  ws.close();
  await once(ws, 'close');
  report('server saw');
}

// terminate() while a Blob is read: its callback and those queued behind it get an error.
{
  const ws = await open();
  const events = [];
  ws.send(new Blob(['never sent']), (error) => events.push(`blob: ${error?.message}`));
  ws.send('behind', (error) => events.push(`behind: ${error?.message}`));
  ws.on('close', (code) => events.push(`close ${code}`));
  ws.terminate();
  await once(ws, 'close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log('terminated', JSON.stringify(events.sort()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  report('server saw');
}

// A Blob that cannot be read (its file changed): the callbacks and 'error' get the error.
{
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'blob-')), 'data');
  fs.writeFileSync(file, 'original');
  const blob = await fs.openAsBlob(file);
  fs.writeFileSync(file, 'changed since');
  const ws = await open();
  const events = [];
  ws.on('error', (error) => events.push(`error ${error.name}: ${error.message}`));
  ws.on('close', (code) => events.push(`close ${code}`));
  ws.send(blob, (error) => events.push(`blob ${error.name}`));
  ws.send('behind', (error) => events.push(`behind ${error.name}`));
  // Not once(ws, 'close'), which rejects on 'error'.
  await new Promise((resolve) => ws.on('close', resolve));
  console.log('unreadable', JSON.stringify(events));
  fs.rmSync(path.dirname(file), { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 50));
  report('server saw');
}

wss.close();
await once(wss, 'close');
console.log('done');
