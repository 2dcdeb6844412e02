/**
 * A hostile peer, in a process of its own: it completes the handshake like any client, then
 * misbehaves until it has written `bytes` or the server cut it off, and then leaves.
 *
 * - `fragments`: a binary message that never ends, in one-byte continuation frames;
 * - `pings`: 125-byte pings, never reading the pongs they are owed;
 * - `unread`: 64 KiB messages to the echo server, never reading the echoes.
 *
 * Request: `{ op: 'attack', port, attack, bytes }` → `{ sent, cutByServer, ms }`.
 */
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import { OPCODE_BINARY, maskedFrame, payload } from '../lib/frames.js';
import { connectWebSocket } from '../lib/raw-client.js';

export type Attack = 'fragments' | 'pings' | 'unread';

export interface AttackResult {
  /** Bytes written to the socket. */
  sent: number;
  /** The server closed or reset the connection before the peer was done. */
  cutByServer: boolean;
  ms: number;
}

const OPCODE_CONTINUATION = 0x0;
const OPCODE_PING = 0x9;

/** What the attacker writes: a first piece, then `repeat` as often as the budget allows. */
function stream(attack: Attack): { first: Buffer; repeat: Buffer } {
  const copies = (frame: Buffer, count: number) =>
    Buffer.concat(Array.from({ length: count }, () => frame));
  switch (attack) {
    case 'fragments':
      return {
        first: maskedFrame(OPCODE_BINARY, Buffer.of(0x61), undefined, false),
        repeat: copies(maskedFrame(OPCODE_CONTINUATION, Buffer.of(0x62), undefined, false), 9362),
      };
    case 'pings':
      return {
        first: Buffer.alloc(0),
        repeat: copies(maskedFrame(OPCODE_PING, payload('binary', 125)), 500),
      };
    case 'unread':
      return {
        first: Buffer.alloc(0),
        repeat: maskedFrame(OPCODE_BINARY, payload('binary', 64 * 1024)),
      };
  }
}

async function attack(port: number, kind: Attack, bytes: number): Promise<AttackResult> {
  const socket = await connectWebSocket(port);
  const started = performance.now();
  const { first, repeat } = stream(kind);
  let cut = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.once('end', () => {
    cut = true;
  });
  socket.once('close', () => {
    cut = true;
  });
  // Never reading: what the server sends piles up in its own buffers. A fragment flood
  // reads, so that only the server's limit on fragments can stop it.
  if (kind === 'fragments') socket.resume();
  else socket.pause();
  let sent = 0;
  if (first.length > 0) {
    socket.write(first);
    sent += first.length;
  }
  while (sent < bytes && !cut) {
    sent += repeat.length;
    if (!socket.write(repeat)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }
  const ms = performance.now() - started;
  socket.destroy();
  await closed;
  return { sent, cutByServer: cut && sent < bytes, ms };
}

serve(async (body) => {
  if (body.op !== 'attack') throw new Error(`unknown op ${String(body.op)}`);
  return attack(body.port as number, body.attack as Attack, body.bytes as number);
});
