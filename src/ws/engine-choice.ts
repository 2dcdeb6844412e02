/**
 * A data frame whose announced payload reaches this length is large: the fallback engine
 * unmasks and assembles it several times faster than wslay 1.1.1, whose unmasking loop
 * takes one byte per iteration (~11 instructions a byte; see docs/benchmarks/analysis.md).
 */
export const LARGE_FRAME = 16 * 1024;
/**
 * A connection moved to the fallback engine returns to wslay once this many messages in a
 * row were small: wslay parses small messages faster, and the bound keeps traffic that
 * mixes sizes from switching at every message.
 */
export const SMALL_RUN = 16;

/**
 * Which engine suits a native connection's incoming traffic. The frame scanner reports every
 * message start; `switches` collects, for the chunk being scanned, the offsets at which the
 * engine should change and to which (true: the fallback), alternating from the engine
 * in use before the chunk. Every offset is a message boundary, where no engine holds
 * anything of a message; the I/O loop switches there if the engine holds nothing else
 * either (see IoLoop#switchEngine).
 */
export class EngineChoice {
  /** Whether the traffic so far asks for the fallback engine. */
  #large = false;
  #smallRun = 0;
  readonly switches: number[] = [];

  get large(): boolean {
    return this.#large;
  }

  /** A data message starts at `at` in the chunk with a first frame of `length` bytes. */
  messageStart(at: number, length: number): void {
    if (length >= LARGE_FRAME) {
      this.#smallRun = 0;
      if (this.#large) return;
      this.#large = true;
      this.switches.push(at);
    } else if (this.#large && ++this.#smallRun >= SMALL_RUN) {
      this.#smallRun = 0;
      this.#large = false;
      this.switches.push(at);
    }
  }

  /** Forgets the offsets of the chunk just handled. */
  clear(): void {
    this.switches.length = 0;
  }
}
