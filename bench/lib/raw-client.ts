/**
 * The load generators' side of a connection: a TCP socket and the opening handshake, with no
 * WebSocket library, so that every server is driven by the same cheap client.
 */
import net from 'node:net';

const HANDSHAKE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * Connects and completes the opening handshake, offering `extension` when given and then
 * requiring the server to accept it. Resolves with the socket once the 101 has arrived.
 */
export function connectWebSocket(port: number, extension?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${HANDSHAKE_KEY}\r\n` +
          'Sec-WebSocket-Version: 13\r\n' +
          (extension === undefined ? '' : `Sec-WebSocket-Extensions: ${extension}\r\n`) +
          '\r\n',
      );
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', reject);
        const accepted = extension?.split(';')[0]!.trim();
        let failure: string | null = null;
        if (!head.startsWith('HTTP/1.1 101')) {
          failure = `handshake refused: ${head.split('\r\n')[0]}`;
        } else if (
          accepted !== undefined &&
          !new RegExp(`^sec-websocket-extensions: *${accepted}`, 'im').test(head)
        ) {
          failure = `${accepted} not accepted: ${head.split('\r\n')[0]}`;
        } else if (end + 4 < head.length) {
          failure = 'unexpected bytes after the handshake';
        }
        if (failure === null) {
          resolve(socket);
        } else {
          reject(new Error(failure));
          socket.destroy();
        }
      };
      socket.on('data', onData);
    });
  });
}

/** Opens `count` connections with `connect`, `concurrency` handshakes at a time. */
export async function connectMany(
  count: number,
  concurrency: number,
  connect: () => Promise<net.Socket>,
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      sockets.push(await connect());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return sockets;
}
