import { createHash, randomBytes } from 'node:crypto';
import { once, type EventEmitter } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer as WsServer, type ServerOptions as WsServerOptions } from 'ws';
import { WebSocket, WebSocketServer, type ServerOptions } from '../../src/index.js';

export { backends, loadableBackends } from '../helpers/backends.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Message sizes every interop test covers: each length-encoding boundary, and big ones. */
export const SIZES = [0, 1, 125, 126, 64 * KiB, 1 * MiB, 16 * MiB];

/** Deterministic bytes, so a corrupted or reordered byte shows up. */
export function pattern(size: number, seed = 0): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

/** Text of exactly `size` UTF-8 bytes, with multi-byte characters where they fit. */
export function text(size: number): string {
  const unit = 'aé€😀'; // 1 + 2 + 3 + 4 bytes
  const whole = unit.repeat(Math.floor(size / 10));
  return whole + 'x'.repeat(size - Buffer.byteLength(whole));
}

export function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

export async function listen(options: Omit<ServerOptions, 'port'>): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  return wss;
}

/** ws's own server, for tests that run the same program against ws and against us. */
export async function listenWs(options: Omit<WsServerOptions, 'port'> = {}): Promise<WsServer> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  return wss;
}

/** Closes our server or ws's, ending its connections first. */
export async function closeServer(wss: WebSocketServer | WsServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export function closed(ws: {
  once(event: 'close', fn: (code: number, reason: Buffer) => void): unknown;
}): Promise<CloseInfo> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

export function nextMessage(
  ws: WebSocket | import('ws').WebSocket,
): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    (ws as WebSocket).once('message', (data, isBinary) =>
      resolve({ data: data as Buffer, isBinary }),
    );
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `predicate` holds, polling; fails after `ms`. */
export async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(5);
  }
}

// --- a raw TCP peer, for what no well-behaved client would send ------------------------

export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function upgradeRequest(
  port: number,
  { path = '/', key = randomBytes(16).toString('base64'), version = '13', extra = '' } = {},
): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n` +
    `${extra}\r\n`
  );
}

/** A raw TCP connection that records everything it receives. */
export class RawPeer {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #chunks: Buffer[] = [];
  #length = 0;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Everything received (after the handshake, once `open()` has stripped it). */
  get received(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  set received(bytes: Buffer) {
    this.#chunks = [bytes];
    this.#length = bytes.length;
  }

  /** How many bytes have been received, without joining them. */
  get receivedLength(): number {
    return this.#length;
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  /** Records what an already connected socket receives from now on. */
  static wrap(socket: net.Socket): RawPeer {
    return new RawPeer(socket);
  }

  /** Connects and completes a valid opening handshake. */
  static async open(port: number): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    peer.socket.write(upgradeRequest(port));
    await until(() => peer.received.includes('\r\n\r\n'));
    expectSwitching(peer.response());
    peer.received = peer.received.subarray(peer.received.indexOf('\r\n\r\n') + 4);
    return peer;
  }

  /** The HTTP response head received so far. */
  response(): string {
    const end = this.received.indexOf('\r\n\r\n');
    return this.received.subarray(0, end === -1 ? this.received.length : end).toString('latin1');
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** The frames received after the handshake. */
  frames(): Frame[] {
    return parseFrames(this.received);
  }
}

function expectSwitching(response: string): void {
  if (!response.startsWith('HTTP/1.1 101 ')) throw new Error(`handshake refused: ${response}`);
}

export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

export function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset));
      offset += 8;
    }
    let mask: Buffer | null = null;
    if (b1 & 0x80) {
      mask = bytes.subarray(offset, offset + 4);
      offset += 4;
    }
    if (offset + length > bytes.length) break;
    const payload = Buffer.from(bytes.subarray(offset, offset + length));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, payload });
    at = offset + length;
  }
  return frames;
}

/** The code of a close frame's payload, 1005 when it has none. */
export function closeCodeOf(frame: Frame | undefined): number {
  if (frame === undefined || frame.opcode !== 8) throw new Error('not a close frame');
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

/** Builds a frame as a client would (masked unless told otherwise). */
export function frame(
  opcode: number,
  payload: Buffer | string = Buffer.alloc(0),
  {
    fin = true,
    rsv = 0,
    mask = true,
    length,
  }: { fin?: boolean; rsv?: number; mask?: boolean; length?: number } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const size = length ?? data.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (size < 126) head.push(maskBit | size);
  else if (size < 65536) head.push(maskBit | 126, size >> 8, size & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(size));
    head.push(...big);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(code);
  return Buffer.concat([buf, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Opcodes of the frames the tests write and read. */
export const CONTINUATION = 0x0;
export const TEXT = 0x1;
export const BINARY = 0x2;
export const CLOSE = 0x8;
export const PING = 0x9;
export const PONG = 0xa;

/** A raw peer connected to `wss`, with the server's side of the connection. */
export async function openRaw(wss: WebSocketServer): Promise<{ peer: RawPeer; ws: WebSocket }> {
  const connection = once(wss, 'connection');
  const peer = await RawPeer.open(portOf(wss));
  const [ws] = (await connection) as [WebSocket];
  return { peer, ws };
}

/** A TCP server that completes the opening handshake, then lets the test write raw frames. */
export async function rawServer(): Promise<{
  port: number;
  next: () => Promise<RawPeer>;
  close: () => Promise<void>;
}> {
  const pending: ((socket: net.Socket) => void)[] = [];
  const server = net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (!head.includes('\r\n\r\n')) return;
      socket.removeListener('data', onData);
      const key = /sec-websocket-key: (\S+)/i.exec(head.toString())![1]!;
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`,
      );
      pending.shift()?.(socket);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: portOf(server),
    next: () => new Promise((resolve) => pending.push((socket) => resolve(RawPeer.wrap(socket)))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Records what `emit('error')` throws when `emitter` has no 'error' listener (an uncaught
 * exception in a program), instead of letting it reach the test runner.
 */
export function uncaughtErrors(emitter: EventEmitter): unknown[] {
  const thrown: unknown[] = [];
  const emit = emitter.emit.bind(emitter);
  emitter.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    try {
      return emit(event, ...args);
    } catch (error) {
      if (event !== 'error') throw error;
      thrown.push(error);
      return false;
    }
  };
  return thrown;
}
