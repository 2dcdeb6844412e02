/**
 * What a WebSocketServer needs from a broker to carry `publish()` across processes.
 *
 * The server owns its local subscribers and always delivers a local publish to them itself;
 * the broker only carries messages between processes. A broker must not echo a process's own
 * publish back to it (or the server must be able to tell), so that each local subscriber gets
 * each message once.
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
   * rejects when it cannot (for example while the broker is disconnected).
   */
  publish(topic: string, data: Buffer, isBinary: boolean): Promise<void>;
  /** Stops the broker and releases what it holds. */
  close(): Promise<void>;
}

/** What a broker calls back into: the server of this process. */
export interface BrokerSink {
  /** A message published in another process. */
  deliver(topic: string, data: Buffer, isBinary: boolean): void;
  /** A failure the broker cannot report through a `publish()` promise. */
  error(error: Error): void;
}
