import * as check from '../validate.js';

export interface HeartbeatOptions {
  /** Milliseconds between pings. */
  interval: number;
  /** Milliseconds a ping may wait for a pong before the peer is given up for dead. */
  timeout: number;
}

const MAX_DELAY = 2 ** 31 - 1;

export function resolveHeartbeat(value: unknown): HeartbeatOptions | null {
  if (value === undefined) return null;
  const options = check.object(value, 'options.heartbeat');
  return {
    interval: check.integerIn(options.interval, 1, MAX_DELAY, 'options.heartbeat.interval'),
    timeout: check.integerIn(options.timeout, 1, MAX_DELAY, 'options.heartbeat.timeout'),
  };
}

/**
 * Pings the peer every `interval` and calls `onTimeout` when a ping has had no pong for
 * `timeout`. Its timers never keep the process alive on their own.
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #ping: () => void;
  readonly #onTimeout: () => void;
  #ticker: NodeJS.Timeout | null = null;
  #deadline: NodeJS.Timeout | null = null;

  constructor(options: HeartbeatOptions, ping: () => void, onTimeout: () => void) {
    this.#options = options;
    this.#ping = ping;
    this.#onTimeout = onTimeout;
  }

  start(): void {
    this.#ticker = setInterval(() => this.#beat(), this.#options.interval).unref();
  }

  /** A pong came: the peer is alive. */
  alive(): void {
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#deadline = null;
  }

  stop(): void {
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#ticker = null;
    this.alive();
  }

  #beat(): void {
    // An unanswered ping keeps its deadline: later pings do not extend it.
    if (this.#deadline === null) {
      this.#deadline = setTimeout(() => {
        this.stop();
        this.#onTimeout();
      }, this.#options.timeout).unref();
    }
    this.#ping();
  }
}
