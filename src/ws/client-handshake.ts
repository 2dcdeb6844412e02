import http, {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { checkUpgradeResponse, generateKey, isToken } from './handshake.js';
import { clientOffer, type DeflateConfig, type DeflateParams } from './permessage-deflate.js';

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

/** How a client follows HTTP redirects of its opening handshake. */
export interface RedirectOptions {
  follow: boolean;
  max: number;
}

export interface ClientHandshakeOptions {
  url: URL;
  protocols: readonly string[];
  headers: OutgoingHttpHeaders | undefined;
  origin: string | undefined;
  handshakeTimeout: number;
  maxHeaderSize: number;
  /** The Sec-WebSocket-Version to ask for: 13, or 8 (whose Origin has its own header). */
  protocolVersion: 8 | 13;
  redirects: RedirectOptions;
  createConnection: ((options: http.ClientRequestArgs) => Duplex) | undefined;
  finishRequest: ((request: ClientRequest) => void) | undefined;
  request: RequestOptions;
  /** permessage-deflate to offer, or null. */
  deflate: DeflateConfig | null;
}

export interface ClientHandshakeEvents {
  upgraded(
    res: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    protocol: string,
    deflate: DeflateParams | null,
  ): void;
  /** A response other than 101; true when the application took it ('unexpected-response'). */
  unexpectedResponse(req: ClientRequest, res: IncomingMessage): boolean;
  /**
   * A redirect is being followed with `req` to `url`. Returns whether the application listens
   * (it then decides which headers go on; otherwise credentials stay with their host).
   */
  redirecting(url: URL): boolean;
  redirected(url: URL, req: ClientRequest): void;
  /** The handshake is over without a connection; null after an 'unexpected-response'. */
  failed(error: Error | null): void;
}

/** The URL a client may connect to, or a SyntaxError saying what is wrong with it. */
export function parseAddress(address: string | URL, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(address, base);
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  // http(s) is accepted as the WHATWG WebSocket constructor accepts it.
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && url.protocol !== 'ws+unix:') {
    throw new SyntaxError(
      `The URL's protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"`,
    );
  }
  if (url.protocol === 'ws+unix:' && url.pathname === '') {
    throw new SyntaxError("The URL's pathname is empty");
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

/** The socket of a request: TCP or TLS, or a Unix socket (`socketPath`), as ws connects. */
function connect(options: http.ClientRequestArgs): Duplex {
  if (options.protocol === 'https:') {
    const host = options.host ?? '';
    const tlsOptions = options as tls.ConnectionOptions;
    return tls.connect({
      ...tlsOptions,
      path: undefined,
      servername: tlsOptions.servername ?? (net.isIP(host) ? undefined : host),
    });
  }
  return net.connect({ ...options, path: options.socketPath } as net.NetConnectOpts);
}

/** Header names as keys in lower case, so that a redirect can drop them by name. */
function lowerCaseKeys(headers: OutgoingHttpHeaders | undefined): OutgoingHttpHeaders {
  const lowered: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) lowered[name.toLowerCase()] = value;
  return lowered;
}

/** Where a request goes, to tell whether a redirect leaves the host it started on. */
function destination(url: URL): string {
  return url.protocol === 'ws+unix:' ? `unix:${unixSocket(url).socketPath}` : url.host;
}

function unixSocket(url: URL): { socketPath: string; path: string } {
  const full = `${url.pathname}${url.search}`;
  const colon = full.indexOf(':');
  return colon === -1
    ? { socketPath: full, path: '' }
    : { socketPath: full.slice(0, colon), path: full.slice(colon + 1) };
}

/**
 * Sends the opening handshake (RFC 6455 §4.1) and checks the answer, following redirects
 * when asked to. Returns a function that fails it with a given reason (reported through
 * `failed`) until it has succeeded or failed.
 */
export function startClientHandshake(
  options: ClientHandshakeOptions,
  events: ClientHandshakeEvents,
): (reason: Error) => void {
  const first = options.url;
  // With redirects, the headers are copied with lower-case names, as ws does, so that the
  // credentials of one host can be dropped before going to another.
  const userHeaders = options.redirects.follow
    ? lowerCaseKeys(options.headers)
    : { ...options.headers };
  let redirects = 0;
  let settled = false;
  let req: ClientRequest | null = null;
  let timer: NodeJS.Timeout | undefined;

  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  const fail = (error: Error): void => {
    if (!settle()) return;
    req?.destroy();
    events.failed(error);
  };

  const attempt = (url: URL): void => {
    const secure = url.protocol === 'wss:';
    const ipc = url.protocol === 'ws+unix:';
    const key = generateKey();
    const headers: OutgoingHttpHeaders = {
      ...userHeaders,
      'Sec-WebSocket-Version': String(options.protocolVersion),
      'Sec-WebSocket-Key': key,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
    };
    if (options.protocols.length > 0) {
      headers['Sec-WebSocket-Protocol'] = options.protocols.join(',');
    }
    if (options.origin !== undefined) {
      headers[options.protocolVersion === 8 ? 'Sec-WebSocket-Origin' : 'Origin'] = options.origin;
    }
    if (options.deflate !== null)
      headers['Sec-WebSocket-Extensions'] = clientOffer(options.deflate);
    const requestOptions: https.RequestOptions = {
      ...options.request,
      protocol: secure ? 'https:' : 'http:',
      host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers,
      maxHeaderSize: options.maxHeaderSize,
      // A connection of its own, never a pooled keep-alive one (unless an agent is given).
      createConnection: options.createConnection ?? connect,
    };
    if (ipc) Object.assign(requestOptions, unixSocket(url));
    if (url.username !== '' || url.password !== '') {
      requestOptions.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    }
    if (options.redirects.follow) {
      if (redirects > 0 && !events.redirecting(url)) {
        // curl's rules, as ws follows them: credentials and cookies stay with their host and
        // never go from https to http.
        const sameHost = destination(url) === destination(first);
        if (!sameHost || (first.protocol === 'wss:' && !secure)) {
          delete headers.authorization;
          delete headers.cookie;
          if (!sameHost) delete headers.host;
          requestOptions.auth = undefined;
        }
      }
      // The first Authorization wins, from the headers or else from the first URL.
      if (typeof requestOptions.auth === 'string' && userHeaders.authorization === undefined) {
        userHeaders.authorization = `Basic ${Buffer.from(requestOptions.auth).toString('base64')}`;
        headers.authorization = userHeaders.authorization;
      }
    }

    const request = (secure ? https : http).request(requestOptions);
    req = request;
    clearTimeout(timer);
    timer = setTimeout(
      () => fail(new Error('Opening handshake has timed out')),
      options.handshakeTimeout,
    );
    if (redirects > 0) events.redirected(url, request);

    request.on('error', (error) => {
      if (req === request) fail(error);
    });
    request.on('response', (res) => {
      if (settled || req !== request) return;
      const location = res.headers.location;
      const status = res.statusCode ?? 0;
      if (options.redirects.follow && location !== undefined && status >= 300 && status < 400) {
        request.destroy();
        if (++redirects > options.redirects.max) {
          fail(new Error('Maximum redirects exceeded'));
          return;
        }
        let next: URL;
        try {
          next = parseAddress(location, url);
        } catch (error) {
          fail(error as Error);
          return;
        }
        attempt(next);
        return;
      }
      if (!events.unexpectedResponse(request, res)) {
        fail(new Error(`Unexpected server response: ${res.statusCode}`));
        return;
      }
      // The application reads the response and learns why from it: no 'error', as with ws.
      // Unlike ws, which stays CONNECTING until the application ends it, the connection
      // closes (1006) once the response is over, so none is left behind.
      clearTimeout(timer);
      request.once('close', () => {
        if (settle()) events.failed(null);
      });
    });
    request.on('upgrade', (res, socket: Duplex, head: Buffer) => {
      if (settled || req !== request) {
        socket.destroy();
        return;
      }
      const verdict = checkUpgradeResponse(res, key, options.protocols, options.deflate);
      if ('error' in verdict) {
        socket.destroy();
        fail(new Error(verdict.error));
        return;
      }
      settle();
      events.upgraded(res, socket, head, verdict.protocol, verdict.deflate);
    });
    if (options.finishRequest !== undefined) options.finishRequest(request);
    else request.end();
  };

  attempt(first);
  return fail;
}
