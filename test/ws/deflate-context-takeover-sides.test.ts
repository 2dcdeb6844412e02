// Each end follows the no_context_takeover parameter named for its own side: a server
// server_no_context_takeover, a client client_no_context_takeover. Without context takeover,
// the same message compresses to the same bytes every time.
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { WebSocket } from '../../src/index.js';
import {
  acceptFor,
  backends,
  closeServer,
  listen,
  parseFrames,
  portOf,
  RawPeer,
  until,
  upgradeRequest,
} from './helpers.js';

const MESSAGE = 'the same words, the same words, the same words';

/** The payloads of the compressed data frames in `bytes`. */
function compressed(bytes: Buffer): Buffer[] {
  return parseFrames(bytes)
    .filter((f) => f.opcode === 0x1 && (f.rsv & 4) !== 0)
    .map((f) => f.payload);
}

describe.each(backends)('no_context_takeover for our side (%s)', (backend) => {
  test('a server with serverNoContextTakeover compresses each message on its own', async () => {
    const wss = await listen({
      backend,
      perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 },
    });
    const connection = once(wss, 'connection');
    const peer = await RawPeer.connect(portOf(wss));
    peer.write(
      upgradeRequest(portOf(wss), { extra: 'Sec-WebSocket-Extensions: permessage-deflate\r\n' }),
    );
    const [ws] = (await connection) as [WebSocket];
    ws.send(MESSAGE);
    ws.send(MESSAGE);
    const frames = () => peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
    await until(() => compressed(frames()).length === 2);
    const [first, second] = compressed(frames());
    expect(second).toEqual(first);
    ws.terminate();
    await closeServer(wss);
  });

  test('a client told client_no_context_takeover compresses each message on its own', async () => {
    const received: Buffer[] = [];
    const server = net.createServer((socket) => {
      let head = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        if (received.length > 0 || !Buffer.concat([head, chunk]).includes('\r\n\r\n')) {
          if (received.length > 0) received.push(chunk);
          else head = Buffer.concat([head, chunk]);
          return;
        }
        const all = Buffer.concat([head, chunk]);
        const end = all.indexOf('\r\n\r\n') + 4;
        const key = /sec-websocket-key: (\S+)/i.exec(all.subarray(0, end).toString())![1]!;
        received.push(all.subarray(end));
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n` +
            'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n\r\n',
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${portOf(server)}`, {
      backend,
      perMessageDeflate: { threshold: 0 },
    });
    await once(ws, 'open');
    ws.send(MESSAGE);
    ws.send(MESSAGE);
    await until(() => compressed(Buffer.concat(received)).length === 2);
    const [first, second] = compressed(Buffer.concat(received));
    expect(second).toEqual(first);
    ws.terminate();
    server.close();
  });
});
