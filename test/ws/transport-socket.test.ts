// What a connection does with the transport it is given, as ws does: a TCP socket loses the
// idle timeout the HTTP server gave it and Nagle's delay; any other Duplex carries a
// connection as well; an error on the transport ends the connection as abnormal (1006).
import { once } from 'node:events';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/index.js';
import {
  backends,
  closed,
  closeServer,
  listen,
  nextMessage,
  openRaw,
  portOf,
  RawPeer,
  rawServer,
  until,
} from './helpers.js';

/**
 * A Duplex that is not a net.Socket, carrying the bytes of `socket`. Its writes fail once
 * `failWrites` is set, reported by an 'error' event only: it does not destroy itself.
 */
class Relay extends Duplex {
  failWrites = false;
  /** Keeps end() from finishing: the connection stays where our FIN is due. */
  holdEnd = false;
  readonly #socket: Socket;

  constructor(socket: Socket) {
    super({ autoDestroy: false });
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', () => {});
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: string, callback: (error?: Error) => void): void {
    if (this.failWrites) callback(new Error('the transport broke'));
    else this.#socket.write(chunk, () => callback());
  }

  override _final(callback: () => void): void {
    if (!this.holdEnd) this.#socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }
}

describe.each(backends)('the transport of a server connection (%s)', (backend) => {
  let server: http.Server;
  let wss: WebSocketServer;
  let wrap: (socket: Socket) => Duplex;
  let accepted: { ws: WebSocket; transport: Duplex }[];

  beforeAll(async () => {
    wss = new WebSocketServer({ noServer: true, backend });
    server = http.createServer();
    // The HTTP server gives each socket this idle timeout; a WebSocket has none.
    server.timeout = 60_000;
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const transport = wrap(socket);
      wss.handleUpgrade(req, transport, head, (ws) => {
        accepted.push({ ws, transport });
        wss.emit('connection', ws, req);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterEach(() => {
    for (const { ws } of accepted) ws.terminate();
  });
  afterAll(async () => {
    await closeServer(wss);
    await new Promise((resolve) => server.close(resolve));
  });

  async function connect(): Promise<{ client: WebSocket; ws: WebSocket; transport: Duplex }> {
    accepted = [];
    const client = new WebSocket(`ws://127.0.0.1:${portOf(server)}/`, { backend });
    await once(client, 'open');
    await new Promise((resolve) => setImmediate(resolve));
    return { client, ...accepted[0]! };
  }

  test('a TCP socket has its idle timeout cleared and Nagle disabled', async () => {
    const noDelay: boolean[] = [];
    wrap = (socket) => {
      expect(socket.timeout).toBe(60_000);
      const setNoDelay = socket.setNoDelay.bind(socket);
      socket.setNoDelay = (on) => {
        noDelay.push(on ?? true);
        return setNoDelay(on);
      };
      return socket;
    };
    const { client, transport } = await connect();
    expect((transport as Socket).timeout).toBe(0);
    expect(noDelay).toEqual([true]);
    client.terminate();
  });

  test('any Duplex carries the connection', async () => {
    wrap = (socket) => new Relay(socket);
    const { client, ws } = await connect();
    ws.on('message', (data) => ws.send(`echo ${(data as Buffer).toString()}`));
    const reply = nextMessage(client);
    client.send('hello');
    expect((await reply).data.toString()).toBe('echo hello');
    const clientClosed = closed(client);
    ws.close(4000, 'bye');
    expect(await clientClosed).toEqual({ code: 4000, reason: 'bye' });
  });

  test('a transport error that does not destroy the transport still ends the connection', async () => {
    wrap = (socket) => new Relay(socket);
    const { ws, transport } = await connect();
    const wsClosed = closed(ws);
    (transport as Relay).failWrites = true;
    ws.send('lost');
    expect((await wsClosed).code).toBe(1006);
    expect(transport.destroyed).toBe(true);
  });
  test('a Blob read once the peer ended TCP is not sent: its callback says the socket closed', async () => {
    wrap = (socket) => Object.assign(new Relay(socket), { holdEnd: true });
    accepted = [];
    const peer = await RawPeer.open(portOf(server));
    await until(() => accepted.length === 1);
    const { ws, transport } = accepted[0]!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const blob = new (class extends Blob {
      override async arrayBuffer(): Promise<ArrayBuffer> {
        await gate;
        return super.arrayBuffer();
      }
    })(['late']);
    const results: (Error | undefined)[] = [];
    ws.send(blob, (error) => results.push(error));
    peer.socket.end();
    await until(() => transport.writableEnded);
    release();
    await until(() => results.length === 1);
    expect(results[0]?.message).toBe('The socket was closed while the blob was being read');
    expect(peer.receivedLength).toBe(0);
  });
});

describe.each(backends)('a connection whose peer resets TCP (%s)', (backend) => {
  test('a server connection closes with 1006', async () => {
    const wss = await listen({ backend });
    const { peer, ws } = await openRaw(wss);
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    peer.socket.resetAndDestroy();
    expect((await wsClosed).code).toBe(1006);
    expect(errors).toEqual([]);
    await closeServer(wss);
  });

  test('a client closes with 1006', async () => {
    const server = await rawServer();
    const accepted = server.next();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { backend });
    await once(ws, 'open');
    const peer = await accepted;
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const wsClosed = closed(ws);
    peer.socket.resetAndDestroy();
    expect((await wsClosed).code).toBe(1006);
    expect(errors).toEqual([]);
    await server.close();
  });
});
