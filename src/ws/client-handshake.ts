import http, {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { checkUpgradeResponse, generateKey, isToken, WEBSOCKET_VERSION } from './handshake.js';

/** The request options a client passes through to `http.request` / `https.request`. */
export type RequestOptions = Omit<
  https.RequestOptions,
  | 'headers'
  | 'host'
  | 'hostname'
  | 'port'
  | 'path'
  | 'protocol'
  | 'method'
  | 'timeout'
  | 'maxHeaderSize'
  | 'auth'
  | 'socketPath'
>;

export interface ClientHandshakeOptions {
  url: URL;
  protocols: readonly string[];
  headers: OutgoingHttpHeaders | undefined;
  origin: string | undefined;
  handshakeTimeout: number;
  maxHeaderSize: number;
  request: RequestOptions;
}

export interface ClientHandshakeEvents {
  upgraded(res: IncomingMessage, socket: Socket, head: Buffer, protocol: string): void;
  /** A response other than 101; true when the application took it ('unexpected-response'). */
  unexpectedResponse(req: ClientRequest, res: IncomingMessage): boolean;
  /** The handshake is over without a connection; null after an 'unexpected-response'. */
  failed(error: Error | null): void;
}

/** The URL a client may connect to, or a SyntaxError saying what is wrong with it. */
export function parseAddress(address: string | URL): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  // http(s) is accepted as the WHATWG WebSocket constructor accepts it.
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`The URL's protocol must be one of "ws:", "wss:", "http:" or "https:"`);
  }
  if (url.hash !== '') throw new SyntaxError('The URL contains a fragment identifier');
  return url;
}

/** Checks the subprotocols a client asks for, as the WHATWG WebSocket constructor does. */
export function parseRequestedProtocols(
  protocols: string | readonly string[] | undefined,
): string[] {
  const list =
    protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (typeof protocol !== 'string' || !isToken(protocol) || seen.has(protocol)) {
      throw new SyntaxError(
        `An invalid or duplicated subprotocol was specified: ${String(protocol)}`,
      );
    }
    seen.add(protocol);
  }
  return list;
}

/**
 * Sends the opening handshake (RFC 6455 §4.1) and checks the answer. Returns a function that
 * fails it with a given reason (reported through `failed`) until it has succeeded or failed.
 */
export function startClientHandshake(
  options: ClientHandshakeOptions,
  events: ClientHandshakeEvents,
): (reason: Error) => void {
  const { url } = options;
  const secure = url.protocol === 'wss:';
  const key = generateKey();
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const headers: OutgoingHttpHeaders = {
    ...options.headers,
    'Sec-WebSocket-Version': WEBSOCKET_VERSION,
    'Sec-WebSocket-Key': key,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
  };
  if (options.protocols.length > 0) headers['Sec-WebSocket-Protocol'] = options.protocols.join(',');
  if (options.origin !== undefined) headers.Origin = options.origin;
  const requestOptions: https.RequestOptions = {
    ...options.request,
    host,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
    maxHeaderSize: options.maxHeaderSize,
    // A connection of its own, never a pooled keep-alive one from an agent.
    createConnection: (opts: http.ClientRequestArgs) =>
      secure
        ? tls.connect({
            ...(opts as tls.ConnectionOptions),
            servername:
              (opts as tls.ConnectionOptions).servername ?? (net.isIP(host) ? undefined : host),
          })
        : net.connect(opts as net.NetConnectOpts),
  };
  if (url.username !== '' || url.password !== '') {
    requestOptions.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  }

  let settled = false;
  const req = (secure ? https : http).request(requestOptions);
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  const fail = (error: Error): void => {
    if (!settle()) return;
    req.destroy();
    events.failed(error);
  };
  const timer = setTimeout(
    () => fail(new Error('Opening handshake has timed out')),
    options.handshakeTimeout,
  );

  req.on('error', fail);
  req.on('response', (res) => {
    if (settled) return;
    if (!events.unexpectedResponse(req, res)) {
      fail(new Error(`Unexpected server response: ${res.statusCode}`));
      return;
    }
    // The application reads the response and learns why from it: no 'error', as with ws.
    // Unlike ws, which stays CONNECTING until the application ends it, the connection
    // closes (1006) once the response is over, so none is left behind.
    clearTimeout(timer);
    req.once('close', () => {
      if (settle()) events.failed(null);
    });
  });
  req.on('upgrade', (res, socket: Socket, head: Buffer) => {
    if (settled) {
      socket.destroy();
      return;
    }
    const verdict = checkUpgradeResponse(res, key, options.protocols);
    if ('error' in verdict) {
      socket.destroy();
      fail(new Error(verdict.error));
      return;
    }
    settle();
    events.upgraded(res, socket, head, verdict.protocol);
  });
  req.end();
  return fail;
}
