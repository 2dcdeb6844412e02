import { constants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import type { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  BINARY,
  CLOSE,
  closeCodeOf,
  closeServer,
  CONTINUATION,
  frame,
  listen,
  openRaw,
  PING,
  PONG,
  portOf,
  RawPeer,
  TEXT,
  until,
  upgradeRequest,
  backends,
} from './helpers.js';

/** A message compressed on its own, as RFC 7692 §7.2.1 sends it. */
function compress(data: string): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A client frame whose masking key is zero: its payload goes on the wire as it is. */
function plainMasked(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('short frames only');
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** The server side of a raw peer that negotiated permessage-deflate. */
async function openDeflate(wss: WebSocketServer): Promise<{ peer: RawPeer; ws: WebSocket }> {
  const connection = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const port = portOf(wss);
  const peer = await RawPeer.connect(port);
  peer.write(upgradeRequest(port, { extra: 'Sec-WebSocket-Extensions: permessage-deflate\r\n' }));
  await until(() => peer.received.includes('\r\n\r\n'));
  if (!peer.response().includes('permessage-deflate')) throw new Error(peer.response());
  peer.received = peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
  return { peer, ws: await connection };
}

/** What a server connection hears, recorded. */
function record(ws: WebSocket): { messages: string[]; errors: Error[] } {
  const heard = { messages: [] as string[], errors: [] as Error[] };
  ws.on('message', (data) => heard.messages.push((data as Buffer).toString()));
  ws.on('error', (error) => heard.errors.push(error));
  return heard;
}

describe.each(backends)('how a server connection reads its input (%s)', (backend) => {
  let wss: WebSocketServer;

  afterEach(async () => {
    await closeServer(wss);
  });

  test('a frame split across two reads: its payload is not taken for a header', async () => {
    wss = await listen({ backend });
    const { peer, ws } = await openRaw(wss);
    const heard = record(ws);
    // The middle of the payload reads as a close frame with a 1-byte body, which a header
    // would be refused for.
    const payload = Buffer.concat([
      Buffer.from('0123456789'),
      Buffer.from([0x88, 0x81, 0, 0, 0, 0, 0x41]),
      Buffer.from('abcdefghij'),
    ]);
    const bytes = plainMasked(BINARY, payload);
    const split = 6 + 10;
    // The ping's answer shows the first read handled before the rest is written.
    peer.write(Buffer.concat([frame(PING, 'first read'), bytes.subarray(0, split)]));
    await until(() => peer.frames().length === 1);
    peer.write(bytes.subarray(split));
    peer.write(frame(TEXT, 'after'));
    await until(() => heard.messages.length === 2);
    expect(heard.messages).toEqual([payload.toString(), 'after']);
    expect(heard.errors).toEqual([]);
    expect(peer.frames().map((f) => f.opcode)).toEqual([PONG]);
  });

  test('a fragment flood cut in the middle of a read: nothing after the cut is read', async () => {
    wss = await listen({ backend, maxPayload: 1000 });
    const { peer, ws } = await openRaw(wss);
    const heard = record(ws);
    // Each continuation counts its payload and 64 bytes more: 20 of them pass 1000.
    const flood = Array.from({ length: 20 }, () => frame(CONTINUATION, 'x', { fin: false }));
    peer.write(
      Buffer.concat([
        frame(TEXT, 'a', { fin: false }),
        ...flood,
        frame(CONTINUATION, 'z'),
        frame(TEXT, 'after'),
      ]),
    );
    await until(() => peer.frames().length === 1);
    expect(closeCodeOf(peer.frames()[0])).toBe(1009);
    await until(() => heard.errors.length === 1);
    expect(heard.messages).toEqual([]);
  });
});

describe.each(backends)('a server connection with permessage-deflate (%s)', (backend) => {
  let wss: WebSocketServer;

  afterEach(async () => {
    await closeServer(wss);
  });

  test('a message that does not inflate: nothing read with it after it is delivered', async () => {
    wss = await listen({ backend, perMessageDeflate: true });
    const { peer, ws } = await openDeflate(wss);
    const heard = record(ws);
    peer.write(
      Buffer.concat([
        frame(TEXT, 'before'),
        frame(BINARY, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv: 4 }),
        frame(TEXT, 'after'),
        frame(TEXT, compress('compressed after'), { rsv: 4 }),
      ]),
    );
    await until(() => peer.frames().some((f) => f.opcode === CLOSE));
    await until(() => heard.errors.length === 1);
    expect(heard.messages).toEqual(['before']);
    expect(closeCodeOf(peer.frames().find((f) => f.opcode === CLOSE))).toBe(1007);
  });

  test('a compressed message is no violation: a later one is reported as what it breaks', async () => {
    wss = await listen({ backend, perMessageDeflate: true });
    const { peer, ws } = await openDeflate(wss);
    const heard = record(ws);
    peer.write(Buffer.concat([frame(TEXT, compress('fine'), { rsv: 4 }), frame(3, 'bad')]));
    await until(() => heard.errors.length === 1);
    expect(heard.messages).toEqual(['fine']);
    expect(heard.errors[0]!.message).toBe('Invalid WebSocket frame: invalid opcode 3');
    await until(() => peer.frames().length === 1);
    expect(closeCodeOf(peer.frames()[0])).toBe(1002);
  });
});
