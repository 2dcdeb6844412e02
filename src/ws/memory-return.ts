import { trimMemory } from '../backends/select.js';

/**
 * Memory a closed connection held goes back to the system.
 *
 * A peer can make a connection hold a lot before it is cut off (fragments wslay keeps, pongs
 * it owes, echoes it never reads). Once freed, glibc keeps that memory in its heaps, in pieces
 * too scattered to give back on its own, so RSS stays where the attack left it. A trim
 * (`malloc_trim`, through the addon) returns it: once soon after the close, for what was freed
 * in C then (wslay's context and queues), and once after the garbage collector has collected
 * the connection, for its JavaScript buffers.
 */

/** Time for V8 to free the buffers of collected objects, which it does after the GC. */
const TRIM_DELAY_MS = 100;

let trimTimer: NodeJS.Timeout | null = null;

function scheduleTrim(): void {
  if (trimTimer !== null) return;
  trimTimer = setTimeout(() => {
    trimTimer = null;
    trimMemory();
  }, TRIM_DELAY_MS);
  trimTimer.unref();
}

const collected = new FinalizationRegistry<undefined>(scheduleTrim);

/** Called when a connection that carried traffic closes; `owner` is what it belonged to. */
export function returnMemoryOf(owner: object): void {
  scheduleTrim();
  collected.register(owner, undefined);
}
