import { describe, expect, test } from 'vitest';
import { EngineChoice, LARGE_FRAME, SMALL_RUN } from '../../src/ws/engine-choice.js';
import { readyStateOf, State, transition } from '../../src/ws/connection-state.js';

/** Feeds `lengths` as message starts at offsets 0, 1, 2, ...; returns the switch offsets. */
function switchesFor(choice: EngineChoice, lengths: number[]): number[] {
  choice.clear();
  lengths.forEach((length, at) => choice.messageStart(at, length));
  return [...choice.switches];
}

describe('the engine a native connection reads with', () => {
  test('starts on wslay, with no switch pending', () => {
    const choice = new EngineChoice();
    expect(choice.large).toBe(false);
    expect(choice.switches).toEqual([]);
    expect(switchesFor(choice, [0, 1, LARGE_FRAME - 1])).toEqual([]);
    expect(choice.large).toBe(false);
  });

  test('moves to the fallback at the first message of exactly LARGE_FRAME bytes, once', () => {
    const choice = new EngineChoice();
    expect(switchesFor(choice, [10, LARGE_FRAME, LARGE_FRAME * 4, LARGE_FRAME])).toEqual([1]);
    expect(choice.large).toBe(true);
  });

  test('returns to wslay after SMALL_RUN small messages in a row, not one sooner', () => {
    const choice = new EngineChoice();
    const smalls = Array.from({ length: SMALL_RUN - 1 }, () => 5);
    expect(switchesFor(choice, [LARGE_FRAME, ...smalls])).toEqual([0]);
    expect(choice.large).toBe(true);
    expect(switchesFor(choice, [5])).toEqual([0]);
    expect(choice.large).toBe(false);
  });

  test('a large message restarts the run of small ones', () => {
    const choice = new EngineChoice();
    const almost = Array.from({ length: SMALL_RUN - 1 }, () => 5);
    const lengths = [LARGE_FRAME, ...almost, LARGE_FRAME, ...almost];
    expect(switchesFor(choice, lengths)).toEqual([0]);
    expect(choice.large).toBe(true);
    // The run goes on across chunks: one more small message completes it. Then back and
    // forth: a second move to the fallback, then a second return.
    const run = Array.from({ length: SMALL_RUN }, () => 5);
    expect(switchesFor(choice, [...run, LARGE_FRAME, ...run])).toEqual([
      0,
      SMALL_RUN,
      2 * SMALL_RUN,
    ]);
  });

  test('small messages never count toward a return while on wslay', () => {
    const choice = new EngineChoice();
    switchesFor(
      choice,
      Array.from({ length: SMALL_RUN }, () => 5),
    );
    // The run of small messages seen on wslay does not shorten the next one.
    const almost = Array.from({ length: SMALL_RUN - 1 }, () => 5);
    expect(switchesFor(choice, [LARGE_FRAME, ...almost])).toEqual([0]);
  });

  test('clear() forgets the offsets of the chunk handled, not the engine', () => {
    const choice = new EngineChoice();
    choice.messageStart(7, LARGE_FRAME);
    expect(choice.switches).toEqual([7]);
    choice.clear();
    expect(choice.switches).toEqual([]);
    expect(choice.large).toBe(true);
  });
});

describe('the connection states', () => {
  test('a transition the table does not list is refused, naming both states', () => {
    expect(() => transition(State.CLOSED, State.OPEN)).toThrow(
      'IoLoop: no transition from CLOSED to OPEN',
    );
    expect(() => transition(State.CLOSE_SENT, State.CLOSE_REQUESTED)).toThrow(
      'IoLoop: no transition from CLOSE_SENT to CLOSE_REQUESTED',
    );
    expect(() => transition(State.ENDING, State.ENDING)).toThrow(/ENDING to ENDING/);
  });

  test('a listed transition returns the new state', () => {
    expect(transition(State.OPEN, State.CLOSE_REQUESTED)).toBe(State.CLOSE_REQUESTED);
    expect(transition(State.DESTROYED, State.CLOSED)).toBe(State.CLOSED);
  });

  test('readyState: OPEN until a close is on its way, CLOSED only once the socket closed', () => {
    expect(readyStateOf(State.OPEN)).toBe(1);
    expect(readyStateOf(State.CLOSE_PENDING)).toBe(1);
    expect(readyStateOf(State.CLOSE_SENT)).toBe(2);
    expect(readyStateOf(State.DESTROYED)).toBe(2);
    expect(readyStateOf(State.CLOSED)).toBe(3);
  });
});
