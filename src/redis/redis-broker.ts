import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import * as check from '../validate.js';
import type { Broker, BrokerSink } from '../ws/broker.js';
import { decodeEnvelope, encodeEnvelope, ORIGIN_LENGTH } from './envelope.js';

export interface RedisBrokerOptions {
  /** Where Redis is (`redis://[:password@]host[:port][/db]`, `rediss://` for TLS). */
  url?: string;
  /**
   * An ioredis client of the application's to publish through (the broker makes its own
   * subscriber connection with `client.duplicate()`). The application configures and closes
   * it; the memory bound below then also depends on its offline queue.
   */
  client?: Redis;
  /** Put in front of every topic to make its Redis channel (default `'wslay:'`). */
  prefix?: string;
  /**
   * Bytes of messages handed to Redis and not yet acknowledged, at most (default 8 MiB).
   * Past it, `publish()` rejects: a slow Redis makes messages be dropped, not held.
   */
  maxPendingBytes?: number;
}

/** The events a RedisBroker emits, with their listeners' parameters. */
export interface RedisBrokerEvents {
  /** A failed publish, a lost connection, a malformed message on a channel. */
  error: (error: Error) => void;
  /** Both connections are up and every local topic is subscribed again. */
  ready: () => void;
  /** A connection to Redis was lost; the broker is trying again. */
  reconnecting: () => void;
}

const DEFAULT_MAX_PENDING = 8 * 1024 * 1024;

/** ioredis is an optional peer dependency: only users of this broker install it. */
function loadIoredis(): typeof import('ioredis') {
  try {
    return createRequire(__filename)('ioredis') as typeof import('ioredis');
  } catch (error) {
    throw new Error('wslay/redis needs the ioredis package: npm install ioredis', {
      cause: error,
    });
  }
}

/**
 * Carries a WebSocketServer's `publish()` to every process that uses the same Redis, over
 * Redis pub/sub: a topic is the channel `prefix + topic`, subscribed while some local
 * connection is subscribed to it. Delivery is at most once: what is published while Redis is
 * unreachable is dropped, and the publish rejects (and `'error'` is emitted).
 */
export class RedisBroker extends EventEmitter implements Broker {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #ownsPublisher: boolean;
  readonly #prefix: string;
  readonly #maxPending: number;
  /** This broker's id in every message it publishes, so that it skips its own. */
  readonly #origin = randomBytes(ORIGIN_LENGTH);
  readonly #topics = new Set<string>();
  #sink: BrokerSink | null = null;
  #pendingBytes = 0;
  /** The subscriber connection is up and has subscribed every local topic. */
  #subscribed = false;
  #closed = false;

  constructor(options: RedisBrokerOptions) {
    super();
    const opts = check.object(options, 'options') as RedisBrokerOptions;
    if ((opts.url === undefined) === (opts.client === undefined)) {
      throw new TypeError('RedisBroker needs one of the options "url" and "client"');
    }
    if (opts.url !== undefined && typeof opts.url !== 'string') {
      throw new TypeError(`options.url must be a string, got ${check.show(opts.url)}`);
    }
    if (opts.prefix !== undefined && typeof opts.prefix !== 'string') {
      throw new TypeError(`options.prefix must be a string, got ${check.show(opts.prefix)}`);
    }
    this.#prefix = opts.prefix ?? 'wslay:';
    this.#maxPending =
      opts.maxPendingBytes === undefined
        ? DEFAULT_MAX_PENDING
        : check.integerIn(
            opts.maxPendingBytes,
            0,
            Number.MAX_SAFE_INTEGER,
            'options.maxPendingBytes',
          );
    // No offline queue and no resending: while Redis is away nothing is held for it, and a
    // command cut off mid-flight is not sent twice (at most once, never a duplicate).
    const connection: RedisOptions = {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
    };
    if (opts.client !== undefined) {
      this.#publisher = opts.client;
      this.#ownsPublisher = false;
    } else {
      const { Redis: Client } = loadIoredis();
      this.#publisher = new Client(opts.url!, connection);
      this.#ownsPublisher = true;
    }
    this.#subscriber = this.#publisher.duplicate(connection);
    for (const redis of [this.#publisher, this.#subscriber]) {
      redis.on('error', (error: Error) => this.#report(error));
      redis.on('reconnecting', () => this.emit('reconnecting'));
    }
    this.#publisher.on('ready', () => this.#readyIfBoth());
    this.#subscriber.on('ready', () => this.#resubscribe());
    this.#subscriber.on('close', () => {
      this.#subscribed = false;
    });
    this.#subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#received(channel, message),
    );
  }

  override on<E extends keyof RedisBrokerEvents>(event: E, listener: RedisBrokerEvents[E]): this {
    return super.on(event, listener);
  }
  override once<E extends keyof RedisBrokerEvents>(event: E, listener: RedisBrokerEvents[E]): this {
    return super.once(event, listener);
  }
  override off<E extends keyof RedisBrokerEvents>(event: E, listener: RedisBrokerEvents[E]): this {
    return super.off(event, listener);
  }

  /** Bytes handed to Redis and not yet acknowledged. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  attach(sink: BrokerSink): void {
    if (this.#sink !== null) throw new Error('This RedisBroker already serves a WebSocketServer');
    this.#sink = sink;
  }

  subscribe(topic: string): void {
    this.#topics.add(topic);
    // While the subscriber is not ready, 'ready' subscribes every topic.
    if (this.#subscriber.status === 'ready') {
      this.#subscriber.subscribe(this.#prefix + topic).catch((error: Error) => this.#report(error));
    }
  }

  unsubscribe(topic: string): void {
    this.#topics.delete(topic);
    if (this.#subscriber.status === 'ready') {
      this.#subscriber
        .unsubscribe(this.#prefix + topic)
        .catch((error: Error) => this.#report(error));
    }
  }

  publish(topic: string, data: Buffer, isBinary: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The RedisBroker is closed'));
    if (this.#pendingBytes + data.length > this.#maxPending) {
      return this.#fail(
        new Error(
          `Redis has not acknowledged ${this.#pendingBytes} bytes (maxPendingBytes ${this.#maxPending}); the message to "${topic}" was dropped`,
        ),
      );
    }
    const envelope = encodeEnvelope(this.#origin, data, isBinary);
    this.#pendingBytes += data.length;
    return this.#publisher.publish(this.#prefix + topic, envelope).then(
      () => {
        this.#pendingBytes -= data.length;
      },
      (error: Error) => {
        this.#pendingBytes -= data.length;
        return this.#fail(
          new Error(`Publishing to "${topic}" failed: ${error.message}`, { cause: error }),
        );
      },
    );
  }

  /** Closes the broker's connections (not a client the application passed in). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#topics.clear();
    const connections = this.#ownsPublisher
      ? [this.#subscriber, this.#publisher]
      : [this.#subscriber];
    await Promise.all(connections.map((redis) => end(redis)));
  }

  #fail(error: Error): Promise<never> {
    this.#report(error);
    return Promise.reject(error);
  }

  /**
   * Reported to whoever listens, never thrown: without a listener an EventEmitter would throw
   * 'error', and a Redis outage must not take the process down.
   */
  #report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #resubscribe(): void {
    const channels = [...this.#topics].map((topic) => this.#prefix + topic);
    const subscribed =
      channels.length === 0 ? Promise.resolve() : this.#subscriber.subscribe(...channels);
    subscribed.then(
      () => {
        this.#subscribed = true;
        this.#readyIfBoth();
      },
      (error: Error) => this.#report(error),
    );
  }

  #readyIfBoth(): void {
    if (this.#publisher.status === 'ready' && this.#subscribed) {
      this.emit('ready');
    }
  }

  #received(channel: Buffer, message: Buffer): void {
    const name = channel.toString();
    const topic = name.startsWith(this.#prefix) ? name.slice(this.#prefix.length) : null;
    const envelope = decodeEnvelope(message, this.#origin);
    if (topic === null || envelope === null) {
      this.#report(
        new Error(`A message on the Redis channel "${name}" is not a wslay message; dropped`),
      );
      return;
    }
    if (envelope.fromSelf || !this.#topics.has(topic)) return;
    this.#sink?.deliver(topic, envelope.data, envelope.isBinary);
  }
}

async function end(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Lost on the way out: disconnecting is all that is left.
    }
  }
  redis.disconnect();
}
