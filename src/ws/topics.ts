import type { Broker } from './broker.js';

/**
 * The subscribers of each topic on one server. A topic is asked of the broker while it has
 * at least one local subscriber, so a process receives only the topics someone here reads.
 */
export class Topics<Member> {
  readonly #subscribers = new Map<string, Set<Member>>();
  readonly #broker: Broker | null;

  constructor(broker: Broker | null) {
    this.#broker = broker;
  }

  /** True when `member` was not subscribed to `topic` yet. */
  add(member: Member, topic: string): boolean {
    let members = this.#subscribers.get(topic);
    if (members === undefined) {
      members = new Set();
      this.#subscribers.set(topic, members);
      this.#broker?.subscribe(topic);
    } else if (members.has(member)) {
      return false;
    }
    members.add(member);
    return true;
  }

  /** True when `member` was subscribed to `topic`. */
  delete(member: Member, topic: string): boolean {
    const members = this.#subscribers.get(topic);
    if (members === undefined || !members.delete(member)) return false;
    if (members.size === 0) {
      this.#subscribers.delete(topic);
      this.#broker?.unsubscribe(topic);
    }
    return true;
  }

  /** The subscribers of `topic`, or undefined when it has none. */
  get(topic: string): ReadonlySet<Member> | undefined {
    return this.#subscribers.get(topic);
  }
}
