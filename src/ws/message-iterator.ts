import type { EventEmitter } from 'node:events';

export interface ReceivedMessage<Data> {
  data: Data;
  isBinary: boolean;
}

/** What the iterator needs of a WebSocket. */
export interface MessageSource extends EventEmitter {
  readonly readyState: number;
  pause(): void;
  resume(): void;
}

/** Messages held before the socket stops reading, so a slow loop bounds what piles up. */
const MAX_QUEUED = 16;
const CLOSED = 3;

/**
 * `for await (const { data, isBinary } of ws)`: yields messages from the moment the loop
 * starts and ends when the connection closes. Leaving the loop early stops listening; it
 * does not close the connection.
 */
export function iterateMessages<Data>(
  source: MessageSource,
): AsyncIterableIterator<ReceivedMessage<Data>> {
  const queue: ReceivedMessage<Data>[] = [];
  let waiting: ((result: IteratorResult<ReceivedMessage<Data>>) => void) | null = null;
  let done = source.readyState === CLOSED;
  let paused = false;

  const onMessage = (data: Data, isBinary: boolean): void => {
    if (waiting !== null) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: { data, isBinary }, done: false });
      return;
    }
    queue.push({ data, isBinary });
    if (queue.length >= MAX_QUEUED && !paused) {
      paused = true;
      source.pause();
    }
  };
  const finish = (): void => {
    done = true;
    source.removeListener('message', onMessage);
    source.removeListener('close', finish);
    if (paused) {
      paused = false;
      source.resume();
    }
    if (waiting !== null) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: undefined, done: true });
    }
  };
  if (!done) {
    source.on('message', onMessage);
    source.on('close', finish);
  }

  return {
    next(): Promise<IteratorResult<ReceivedMessage<Data>>> {
      const value = queue.shift();
      if (value !== undefined) {
        if (paused && queue.length === 0) {
          paused = false;
          source.resume();
        }
        return Promise.resolve({ value, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return(): Promise<IteratorResult<ReceivedMessage<Data>>> {
      queue.length = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
