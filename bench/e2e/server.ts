/**
 * A server under test, in a process of its own:
 *
 * - `wslay-native`, `wslay-fallback`: this package's `WebSocketServer` on that backend;
 * - `ws`: the `ws` package's `WebSocketServer` (bufferutil installed, so it uses it);
 * - `raw`: a `net` server echoing length-prefixed messages (4-byte big-endian length), each
 *   socket read answered by one write of every complete message in it: the ceiling.
 *
 * Every WebSocket server echoes each message with `ws.send(data, { binary })`, with the
 * servers' default options (no compression), or with `perMessageDeflate: true` (ws's
 * defaults: context takeover, 15-bit windows, threshold 1 KiB) when started as
 * `server.ts KIND deflate`. Requests: `{ op: 'start' }` → `{ port }`,
 * `{ op: 'stats' }` → CPU time and memory, `{ op: 'memory' }` → the same after full GCs,
 * `{ op: 'heapSnapshot', file }` → a V8 heap snapshot.
 */
import net from 'node:net';
import { serve } from '../lib/child.js';
import { settleMemory } from '../lib/settle.js';

export type ServerKind = 'wslay-native' | 'wslay-fallback' | 'ws' | 'raw';

export interface ServerStats {
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  /** The largest RSS of the process so far (getrusage). */
  maxRss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  connections: number;
}

const kind = process.argv[2] as ServerKind;
const perMessageDeflate = process.argv[3] === 'deflate';
let connections = 0;

interface EchoSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close' | 'error', listener: () => void): unknown;
  send(data: Buffer, options: { binary: boolean }): unknown;
}

function echo(socket: EchoSocket): void {
  connections++;
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
  socket.on('close', () => {
    connections--;
  });
}

async function listenWebSocket(): Promise<number> {
  type Server = import('node:events').EventEmitter & { address(): net.AddressInfo | string | null };
  let server: Server;
  if (kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  } else {
    // Loaded only in the processes that serve with wslay.
    const { WebSocketServer } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../src/index.js') as typeof import('../../src/index.js');
    server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      backend: kind === 'wslay-native' ? 'native' : 'fallback',
      perMessageDeflate,
    });
  }
  server.on('connection', (socket: EchoSocket) => echo(socket));
  server.on('error', (error: Error) => {
    throw error;
  });
  await new Promise<void>((resolve) => {
    const address = server.address();
    if (address !== null && typeof address === 'object' && address.port !== 0) resolve();
    else server.once('listening', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

function rawEcho(socket: net.Socket): void {
  connections++;
  socket.setNoDelay(true);
  // Chunks are joined only once they can complete a message: joining on every chunk would
  // copy a 1 MiB message about sixteen times.
  const parts: Buffer[] = [];
  let length = 0;
  let wanted = 4;
  socket.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    length += chunk.length;
    if (length < wanted) return;
    const buf = parts.length === 1 ? chunk : Buffer.concat(parts, length);
    parts.length = 0;
    let end = 0;
    wanted = 4;
    while (buf.length - end >= 4) {
      const next = end + 4 + buf.readUInt32BE(end);
      if (next > buf.length) {
        wanted = next - end;
        break;
      }
      end = next;
    }
    if (end > 0) socket.write(end === buf.length ? buf : buf.subarray(0, end));
    length = buf.length - end;
    if (length > 0) parts.push(buf.subarray(end));
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    connections--;
  });
}

async function listenRaw(): Promise<number> {
  const server = net.createServer(rawEcho);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve));
  return (server.address() as net.AddressInfo).port;
}

function stats(): ServerStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rss: mem.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: mem.heapUsed,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    connections,
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

serve(async (body) => {
  switch (body.op) {
    case 'start':
      return {
        port: kind === 'raw' ? await listenRaw() : await listenWebSocket(),
        pid: process.pid,
      };
    case 'stats':
      return stats();
    case 'memory':
      // Deferred frees (N-API finalizers, sockets) and V8's own shrinking happen meanwhile.
      await settleMemory();
      return stats();
    case 'heapSnapshot':
      // For bench/memory/heap.ts: where the bytes of a connection go.
      gc?.();
      return { file: (await import('node:v8')).writeHeapSnapshot(body.file as string) };
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
