/**
 * What a WebSocketServer needs from a broker to carry `publish()` across processes.
 *
 * The server owns its local subscribers and always delivers a local publish to them itself;
 * the broker only carries messages between processes. A broker must not echo a process's own
 * publish back to it, so that each local subscriber gets each message once.
 *
 * A broker reports its own failures (RedisBroker: its 'error' event), because they concern
 * every server and publisher that uses it, and a server's 'error' event has no listener in
 * most programs (an EventEmitter throws then). So the server ignores a rejected `publish()`.
 */
export interface Broker {
  /**
   * Attaches the server that receives messages published by other processes. A broker serves
   * one server; attaching a second one throws.
   */
  attach(sink: BrokerSink): void;
  /** Some local connection subscribed to `topic` (the first one): start receiving it. */
  subscribe(topic: string): void;
  /** The last local subscriber of `topic` left: stop receiving it. */
  unsubscribe(topic: string): void;
  /**
   * Carries a message to every other process. Resolves once the broker has handed it on;
   * rejects when it cannot (for example while the broker is disconnected). `data` is the
   * broker's to keep: the server does not reuse it.
   */
  publish(topic: string, data: Buffer, isBinary: boolean): Promise<void>;
  /** Stops the broker and releases what it holds. */
  close(): Promise<void>;
}

/** What a broker calls back into: the server of this process. */
export interface BrokerSink {
  /** A message published in another process. */
  deliver(topic: string, data: Buffer, isBinary: boolean): void;
}
