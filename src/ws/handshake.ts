import { createHash, randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { negotiateAsClient, type DeflateConfig, type DeflateParams } from './permessage-deflate.js';

/** RFC 6455 §1.3: the GUID appended to the key to prove the server understood WebSocket. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A Sec-WebSocket-Key is 16 bytes in base64: 22 characters and the padding. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** RFC 7230 §3.2.6 token characters, which a subprotocol name must be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The versions a server accepts, as ws does: RFC 6455's 13, and draft-ietf-hybi-08's 8. */
const ACCEPTED_VERSIONS = new Set(['13', '8']);

export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** The subprotocols of a Sec-WebSocket-Protocol header, or null when it is malformed. */
function parseProtocols(header: string | undefined): Set<string> | null {
  const protocols = new Set<string>();
  if (header === undefined) return protocols;
  for (const part of header.split(',')) {
    const name = part.trim();
    if (!isToken(name) || protocols.has(name)) return null;
    protocols.add(name);
  }
  return protocols;
}

/** Whether a comma-separated header (Connection, Upgrade) lists `token`, ignoring case. */
function listsToken(header: string | undefined, token: string): boolean {
  return (
    header !== undefined && header.split(',').some((part) => part.trim().toLowerCase() === token)
  );
}

/** The size the request's header block had on the wire, give or take the request line. */
function headerSize(req: IncomingMessage): number {
  let size = 0;
  for (const field of req.rawHeaders) size += field.length + 2;
  return size;
}

export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export type UpgradeCheck = { key: string; version: number; protocols: Set<string> } | Refusal;

/**
 * RFC 6455 §4.2.1: what a server must check in an opening handshake before accepting it, in
 * ws's order, so that a 'wsClientError' listener gets the same first complaint.
 */
export function checkUpgradeRequest(req: IncomingMessage, maxHeaderSize: number): UpgradeCheck {
  if (headerSize(req) > maxHeaderSize) {
    return { status: 431, message: 'Request header fields too large' };
  }
  if (req.method !== 'GET') {
    return { status: 405, message: 'Invalid HTTP method', headers: { Allow: 'GET' } };
  }
  if (!listsToken(req.headers.upgrade, 'websocket')) {
    return { status: 400, message: 'Invalid Upgrade header' };
  }
  if (!listsToken(req.headers.connection, 'upgrade')) {
    return { status: 400, message: 'Invalid Connection header' };
  }
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) {
    return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' };
  }
  // §4.4: a version the server does not speak gets 426 and the versions it does.
  const version = req.headers['sec-websocket-version'];
  if (version === undefined || !ACCEPTED_VERSIONS.has(version)) {
    return {
      status: 426,
      message: 'Missing or invalid Sec-WebSocket-Version header',
      headers: { 'Sec-WebSocket-Version': [...ACCEPTED_VERSIONS].join(', ') },
    };
  }
  const protocols = parseProtocols(req.headers['sec-websocket-protocol']);
  if (protocols === null) {
    return { status: 400, message: 'Invalid Sec-WebSocket-Protocol header' };
  }
  return { key, version: Number(version), protocols };
}

/**
 * The 101 response's header lines; `extensions` is the Sec-WebSocket-Extensions value of
 * the extensions agreed to, if any.
 */
export function acceptResponseLines(
  key: string,
  protocol: string | undefined,
  extensions?: string,
): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
  ];
  if (protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions !== undefined) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return lines;
}

/** Answers a refused handshake with an HTTP error and closes the socket once it is sent. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = refusal.message;
  const headers: Record<string, string | number> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...refusal.headers,
  };
  const head = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * RFC 6455 §4.1: what a client must check in the server's 101 response. Returns the
 * negotiated subprotocol ('' for none) and permessage-deflate parameters, or why the
 * handshake fails.
 */
export function checkUpgradeResponse(
  res: IncomingMessage,
  key: string,
  requested: readonly string[],
  deflate: DeflateConfig | null,
): { protocol: string; deflate: DeflateParams | null } | { error: string } {
  if (!listsToken(res.headers.upgrade, 'websocket')) {
    return { error: 'Invalid Upgrade header' };
  }
  if (res.headers['sec-websocket-accept'] !== acceptKey(key)) {
    return { error: 'Invalid Sec-WebSocket-Accept header' };
  }
  const protocol = res.headers['sec-websocket-protocol'];
  if (protocol !== undefined && !requested.includes(protocol)) {
    return {
      error:
        requested.length === 0
          ? 'Server sent a subprotocol but none was requested'
          : 'Server sent an invalid subprotocol',
    };
  }
  if (protocol === undefined && requested.length > 0) {
    return { error: 'Server sent no subprotocol' };
  }
  try {
    return {
      protocol: protocol ?? '',
      deflate: negotiateAsClient(res.headers['sec-websocket-extensions'], deflate),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
