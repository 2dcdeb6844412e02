import http, { type IncomingMessage, type Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Opcode } from '../constants.js';
import * as check from '../validate.js';
import type { Broker } from './broker.js';
import {
  acceptResponseLines,
  checkUpgradeRequest,
  refuseUpgrade,
  type Refusal,
} from './handshake.js';
import type { Limits } from './limits.js';
import { negotiateAsServer, type Agreement, type DeflateConfig } from './permessage-deflate.js';
import { TypedEmitter } from './typed-events.js';
import { encodeServerFrame } from './server-frame.js';
import { Topics } from './topics.js';
import {
  acceptedWebSocket,
  resolveConnection,
  sendSharedFrame,
  toBytes,
  WebSocket,
  type BroadcastOverflow,
  type ConnectionOptions,
} from './websocket.js';

export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: IncomingMessage;
}

export type VerifyClientCallback = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

export interface ServerOptions extends ConnectionOptions {
  /** Listen on this port (0 for an ephemeral one), on a server of its own. */
  port?: number;
  host?: string;
  backlog?: number;
  /** Accept WebSocket upgrades on an existing HTTP or HTTPS server. */
  server?: Server | HttpsServer;
  /** Listen nowhere: the application hands upgrades to `handleUpgrade()`. */
  noServer?: boolean;
  /** Accept upgrades only for this path. */
  path?: string;
  /** Picks the subprotocol from those the client offers; false picks none. */
  handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  /**
   * Accepts or refuses a client: a function of one parameter answers by returning true or
   * false; one of two parameters by calling `callback`, when it likes (what it returns is
   * ignored).
   */
  verifyClient?: (info: VerifyClientInfo, callback: VerifyClientCallback) => unknown;
  /** Keep the open connections in `clients` (default true); when false it stays empty. */
  clientTracking?: boolean;
  /** On its own server: milliseconds a connection has to complete the handshake (default 30 s). */
  handshakeTimeout?: number;
  /** Largest total size of a handshake request's headers (default 16 KiB). */
  maxHeaderSize?: number;
  /** Carries `publish()` to the servers of other processes; without one, topics are local. */
  broker?: Broker;
  /**
   * What `broadcast()` and `publish()` do with a connection that would go over its
   * `maxBufferedAmount`: 'terminate' it, as `send()` does (the default), or 'skip' the message
   * for it alone.
   */
  broadcastOverflow?: BroadcastOverflow;
  /** The class of the connections: WebSocket, or a subclass of it. */
  WebSocket?: typeof WebSocket;
}

export interface BroadcastOptions {
  /** Send as a binary message; the default is false for strings, true otherwise. */
  binary?: boolean;
  /** A connection, or several, left out. */
  except?: WebSocket | Iterable<WebSocket>;
  /** Only the connections for which it returns true. */
  filter?: (ws: WebSocket) => boolean;
}

export interface PublishOptions {
  /** Send as a binary message; the default is false for strings, true otherwise. */
  binary?: boolean;
}

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** Sockets that were upgraded once: a second handleUpgrade() on one is a bug in the caller. */
const upgraded = new WeakSet<Duplex>();

/** The events a WebSocketServer emits, with their listeners' parameters. */
export interface WebSocketServerEvents {
  connection: (ws: WebSocket, request: IncomingMessage) => void;
  listening: () => void;
  error: (error: Error) => void;
  close: () => void;
  headers: (headers: string[], request: IncomingMessage) => void;
  /**
   * A client's upgrade request was invalid. With a listener, the server leaves the socket to
   * it (to answer and close); without one, it answers with the HTTP error itself.
   */
  wsClientError: (error: Error, socket: Duplex, request: IncomingMessage) => void;
}

/**
 * A WebSocket server with the API of the ws package: on a port of its own, on an existing
 * HTTP(S) server, or fed upgrade requests by the application (`noServer`).
 */
export class WebSocketServer extends TypedEmitter<WebSocketServerEvents> {
  /** The open connections (none are kept when `clientTracking` is false). */
  readonly clients = new Set<WebSocket>();
  readonly options: Readonly<ServerOptions>;

  readonly #limits: Limits;
  readonly #connectionOptions: ConnectionOptions;
  readonly #webSocketClass: typeof WebSocket;
  readonly #deflate: DeflateConfig | null;
  #server: Server | HttpsServer | null = null;
  #ownsServer = false;
  #detach: (() => void) | null = null;
  #state = RUNNING;
  #closeWhenEmpty = false;
  /** On its own server: sockets still in their opening handshake, and their deadlines. */
  /** Sockets whose handshake is under way: the deadline's timer and the socket's close listener. */
  readonly #handshakes = new Map<Duplex, { timer: NodeJS.Timeout; onClose: () => void }>();
  readonly #broker: Broker | null;
  readonly #topics: Topics<WebSocket>;
  readonly #overflow: BroadcastOverflow;

  constructor(options: ServerOptions, callback?: () => void) {
    super();
    const opts = check.object(options, 'options') as ServerOptions;
    const modes = [opts.port !== undefined, opts.server !== undefined, opts.noServer === true];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError(
        'One and only one of the "port", "server", or "noServer" options must be specified',
      );
    }
    // Every option is checked now, so that a bad one fails here, not at the first connection.
    const resolved = resolveConnection(opts);
    this.#limits = resolved.limits;
    this.#deflate = resolved.deflate;
    this.#overflow = resolveOverflow(opts.broadcastOverflow);
    this.#broker = opts.broker === undefined ? null : checkBroker(opts.broker);
    this.#topics = new Topics(this.#broker);
    const webSocketClass = opts.WebSocket ?? WebSocket;
    if (webSocketClass !== WebSocket && !(webSocketClass.prototype instanceof WebSocket)) {
      throw new TypeError('options.WebSocket must be the WebSocket class or a subclass of it');
    }
    this.#webSocketClass = webSocketClass;
    this.options = { clientTracking: true, ...opts, WebSocket: webSocketClass };
    this.#connectionOptions = {
      backend: opts.backend,
      maxPayload: opts.maxPayload,
      highWaterMark: opts.highWaterMark,
      maxBufferedAmount: opts.maxBufferedAmount,
      closeTimeout: opts.closeTimeout,
      heartbeat: opts.heartbeat,
    };

    // Last, once every option is known good: a broker serves one server.
    this.#broker?.attach({
      deliver: (topic, data, isBinary) => {
        if (this.#topics.get(topic) !== undefined) {
          this.#toSubscribers(topic, this.#frame(data, isBinary).frame);
        }
      },
    });

    if (opts.port !== undefined) {
      const server = http.createServer(
        { maxHeaderSize: this.#limits.maxHeaderSize },
        (_req, res) => {
          const body = http.STATUS_CODES[426]!;
          res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
          res.end(body);
        },
      );
      server.on('connection', (socket) => this.#startDeadline(socket));
      this.#server = server;
      this.#ownsServer = true;
      this.#listen(server);
      server.listen(opts.port, opts.host, opts.backlog, callback);
    } else if (opts.server !== undefined) {
      this.#server = opts.server;
      this.#listen(opts.server);
    }
  }

  /**
   * Sends one message to every open connection in `clients` (less `except`, and those
   * `filter` refuses). It is framed once; each connection writes it after what it has queued.
   * Returns how many connections it was queued for.
   */
  broadcast(data: unknown, options?: BroadcastOptions): number {
    const opts: BroadcastOptions = options === undefined ? {} : check.object(options, 'options');
    const { except, filter } = opts;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new TypeError(`options.filter must be a function, got ${check.show(filter)}`);
    }
    const left = exceptSet(except);
    const frame = this.#frame(data, opts.binary).frame;
    let count = 0;
    for (const ws of this.clients) {
      if (ws === except || left?.has(ws) === true || (filter !== undefined && !filter(ws))) {
        continue;
      }
      if (sendSharedFrame(ws, frame, this.#overflow)) count++;
    }
    return count;
  }

  /**
   * Sends one message to every subscriber of `topic`: those of this server, and through the
   * broker those of every other process that shares it. Returns how many connections of this
   * server it was queued for. A broker's failure to carry it is the broker's to report (see
   * its 'error' event).
   */
  publish(topic: string, data: unknown, options?: PublishOptions): number {
    if (typeof topic !== 'string') {
      throw new TypeError(`topic must be a string, got ${check.show(topic)}`);
    }
    const opts: PublishOptions = options === undefined ? {} : check.object(options, 'options');
    const { frame, payload, isBinary } = this.#frame(data, opts.binary);
    const count = this.#toSubscribers(topic, frame);
    // The frame's payload is a copy of the caller's bytes, which they may reuse at once.
    this.#broker?.publish(topic, payload, isBinary).catch(ignore);
    return count;
  }

  /** How many connections of this server are subscribed to `topic`. */
  numSubscribers(topic: string): number {
    if (typeof topic !== 'string') {
      throw new TypeError(`topic must be a string, got ${check.show(topic)}`);
    }
    return this.#topics.get(topic)?.size ?? 0;
  }

  #frame(
    data: unknown,
    binary: boolean | undefined,
  ): { frame: Buffer; payload: Buffer; isBinary: boolean } {
    const { bytes, isString } = toBytes(data);
    const isBinary = binary ?? !isString;
    const frame = encodeServerFrame(isBinary ? Opcode.BINARY_FRAME : Opcode.TEXT_FRAME, bytes);
    return { frame, payload: frame.subarray(frame.length - bytes.length), isBinary };
  }

  #toSubscribers(topic: string, frame: Buffer): number {
    const subscribers = this.#topics.get(topic);
    if (subscribers === undefined) return 0;
    let count = 0;
    for (const ws of subscribers) if (sendSharedFrame(ws, frame, this.#overflow)) count++;
    return count;
  }

  /** The bound address of the server, as `net.Server.address()` gives it. */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this.#server?.address() ?? null;
  }

  /** Whether `req` is for this server (its path, when the `path` option is set). */
  shouldHandle(req: IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)) === this.options.path;
  }

  /**
   * Completes (or refuses, with the HTTP status it deserves) the opening handshake of an
   * upgrade request, then calls `callback` with the open connection.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WebSocket, req: IncomingMessage) => void,
  ): void {
    socket.on('error', destroyOnError);
    const verdict = checkUpgradeRequest(req, this.#limits.maxHeaderSize);
    if ('status' in verdict) {
      if (this.listenerCount('wsClientError') > 0) {
        // The socket keeps its error listener, as with ws: the listener may write and end it.
        this.emit('wsClientError', new Error(verdict.message), socket, req);
      } else {
        this.#refuse(socket, verdict);
      }
      return;
    }
    if (!this.shouldHandle(req)) {
      this.#refuse(socket, { status: 400, message: 'Invalid path' });
      return;
    }
    let agreement: Agreement | null;
    try {
      agreement = negotiateAsServer(req.headers['sec-websocket-extensions'], this.#deflate);
    } catch {
      this.#refuse(socket, {
        status: 400,
        message: 'Invalid or unacceptable Sec-WebSocket-Extensions header',
      });
      return;
    }
    const verifyClient = this.options.verifyClient;
    if (verifyClient === undefined) {
      this.#accept(verdict.key, verdict.protocols, agreement, req, socket, head, callback);
      return;
    }
    const tlsSocket = req.socket as TLSSocket;
    const info: VerifyClientInfo = {
      // draft-ietf-hybi-08 names the origin Sec-WebSocket-Origin.
      origin: verdict.version === 8 ? headerValue(req, 'sec-websocket-origin') : req.headers.origin,
      secure: Boolean(tlsSocket.authorized || tlsSocket.encrypted),
      req,
    };
    if (verifyClient.length === 2) {
      verifyClient(
        info,
        (verified, code = 401, message = http.STATUS_CODES[code] ?? '', headers) => {
          if (verified)
            this.#accept(verdict.key, verdict.protocols, agreement, req, socket, head, callback);
          else this.#refuse(socket, { status: code, message, headers });
        },
      );
      return;
    }
    if (verifyClient(info, ignore)) {
      this.#accept(verdict.key, verdict.protocols, agreement, req, socket, head, callback);
    } else {
      this.#refuse(socket, { status: 401, message: http.STATUS_CODES[401]! });
    }
  }

  /**
   * Stops accepting connections; `callback` runs on 'close'. Open connections are left
   * alone, as in ws 8: a server of its own emits 'close' once they have all ended.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#state === CLOSED) {
      if (callback !== undefined)
        this.once('close', () => callback(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return;
    }
    if (callback !== undefined) this.once('close', callback);
    if (this.#state === CLOSING) return;
    this.#state = CLOSING;
    this.#detach?.();
    this.#detach = null;
    const server = this.#server;
    this.#server = null;
    if (this.#ownsServer && server !== null) {
      server.close(() => this.#emitClose());
      for (const socket of this.#handshakes.keys()) socket.destroy();
    } else if (this.clients.size > 0) {
      this.#closeWhenEmpty = true;
    } else {
      process.nextTick(() => this.#emitClose());
    }
  }

  #emitClose(): void {
    this.#state = CLOSED;
    this.emit('close');
  }

  #listen(server: Server | HttpsServer): void {
    const onListening = (): void => {
      this.emit('listening');
    };
    const onError = (error: Error): void => {
      this.emit('error', error);
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req));
    };
    server.on('listening', onListening);
    server.on('error', onError);
    server.on('upgrade', onUpgrade);
    this.#detach = () => {
      server.removeListener('listening', onListening);
      server.removeListener('error', onError);
      server.removeListener('upgrade', onUpgrade);
    };
  }

  #startDeadline(socket: Duplex): void {
    const timer = setTimeout(() => socket.destroy(), this.#limits.handshakeTimeout);
    const onClose = (): void => this.#endDeadline(socket);
    this.#handshakes.set(socket, { timer, onClose });
    socket.once('close', onClose);
  }

  /** Also drops the close listener, so that an open connection keeps no closure of the handshake. */
  #endDeadline(socket: Duplex): void {
    const handshake = this.#handshakes.get(socket);
    if (handshake === undefined) return;
    clearTimeout(handshake.timer);
    socket.removeListener('close', handshake.onClose);
    this.#handshakes.delete(socket);
  }

  #refuse(socket: Duplex, refusal: Refusal): void {
    socket.removeListener('error', destroyOnError);
    socket.on('error', ignore);
    refuseUpgrade(socket, refusal);
  }

  #accept(
    key: string,
    protocols: Set<string>,
    agreement: Agreement | null,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WebSocket, req: IncomingMessage) => void,
  ): void {
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    if (upgraded.has(socket)) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, ' +
          'possibly due to a misconfiguration',
      );
    }
    if (this.#state !== RUNNING) {
      this.#refuse(socket, { status: 503, message: 'The server is closing' });
      return;
    }
    let protocol: string | undefined;
    if (protocols.size > 0) {
      const chosen =
        this.options.handleProtocols === undefined
          ? protocols.values().next().value
          : this.options.handleProtocols(protocols, req);
      if (typeof chosen === 'string') protocol = chosen;
    }
    let ws: WebSocket;
    try {
      ws = acceptedWebSocket(
        socket,
        head,
        protocol ?? '',
        this.#connectionOptions,
        this.#topics,
        this.#webSocketClass,
        agreement === null ? null : { params: agreement.params, config: this.#deflate! },
      );
    } catch (error) {
      // A bug (ours, or a WebSocket subclass's) is the server's: the client gets a 500 and
      // the error goes to 'error' (thrown, as by ws, when nobody listens).
      this.#refuse(socket, { status: 500, message: 'The connection could not be set up' });
      this.emit('error', error);
      return;
    }
    upgraded.add(socket);
    this.#endDeadline(socket);
    socket.removeListener('error', destroyOnError);
    const lines = acceptResponseLines(key, protocol, agreement?.header);
    this.emit('headers', lines, req);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (this.options.clientTracking) {
      const clients = this.clients;
      clients.add(ws);
      ws.on('close', () => {
        clients.delete(ws);
        if (this.#closeWhenEmpty && clients.size === 0) {
          this.#closeWhenEmpty = false;
          process.nextTick(() => this.#emitClose());
        }
      });
    }
    callback(ws, req);
  }
}

function exceptSet(except: unknown): ReadonlySet<WebSocket> | null {
  if (except === undefined || except instanceof WebSocket) return null;
  if (
    typeof except !== 'object' ||
    except === null ||
    typeof (except as Partial<Iterable<WebSocket>>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(
      `options.except must be a WebSocket or an iterable of them, got ${check.show(except)}`,
    );
  }
  return new Set(except as Iterable<WebSocket>);
}

function resolveOverflow(value: unknown): BroadcastOverflow {
  if (value === undefined) return 'terminate';
  if (value === 'terminate' || value === 'skip') return value;
  throw new TypeError(
    `options.broadcastOverflow must be 'terminate' or 'skip', got ${check.show(value)}`,
  );
}

function checkBroker(broker: unknown): Broker {
  const methods = ['attach', 'subscribe', 'unsubscribe', 'publish', 'close'] as const;
  const candidate = broker as Partial<Record<(typeof methods)[number], unknown>> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    methods.some((name) => typeof candidate[name] !== 'function')
  ) {
    throw new TypeError(
      `options.broker must have the methods ${methods.join(', ')}, got ${check.show(broker)}`,
    );
  }
  return candidate as Broker;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function ignore(): void {}
