import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket.js';

/**
 * A Duplex over a WebSocket, as the ws package's `createWebSocketStream`: what is written is
 * sent as messages, received messages are read. A full read buffer pauses the socket.
 * Destroying the stream terminates the connection; ending it closes the connection cleanly.
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (message: Buffer, isBinary: boolean) => {
    const data = !isBinary && duplex.readableObjectMode ? message.toString() : message;
    if (!duplex.push(data)) ws.pause();
  });
  ws.once('error', (error: Error) => {
    if (duplex.destroyed) return;
    // The connection is already going down: nothing to terminate.
    terminateOnDestroy = false;
    duplex.destroy(error);
  });
  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });

  duplex._destroy = (error, callback) => {
    if (ws.readyState === ws.CLOSED) {
      callback(error);
      process.nextTick(() => duplex.emit('close'));
      return;
    }
    ws.once('close', () => {
      callback(error);
      process.nextTick(() => duplex.emit('close'));
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    if (ws.readyState === ws.CLOSED) {
      callback();
      return;
    }
    // Ahead of the listener that ends the readable side: the writable side finishes first,
    // as with ws, whose 'finish' comes when the socket's own writable side has ended.
    ws.prependOnceListener('close', () => callback());
    ws.close();
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk: Buffer, _encoding, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, _encoding, callback));
      return;
    }
    ws.send(chunk, (error) => callback(error));
  };

  // The stream is done once both sides are, whichever ends last: then it is destroyed and
  // emits 'close', once.
  duplex.on('end', () => {
    if (!duplex.destroyed && duplex.writableFinished) duplex.destroy();
  });
  duplex.on('finish', () => {
    if (!duplex.destroyed && duplex.readableEnded) duplex.destroy();
  });
  // Unlike ws, which re-emits the error to throw when nobody listens: a peer's misbehaviour
  // must not take the process down. Listeners of the user's got the error already.
  duplex.on('error', function onError() {
    duplex.removeListener('error', onError);
    duplex.destroy();
  });
  return duplex;
}
