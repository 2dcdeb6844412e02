/**
 * A connection's life after its opening handshake, as one value. `IoLoop` changes it through
 * `enter()` alone, so every transition the close handling can make is listed here.
 */
export const State = {
  /** Messages flow both ways. */
  OPEN: 0,
  /** close() was called: nothing more may be sent; our close frame follows what was sent before it. */
  CLOSE_REQUESTED: 1,
  /** Our close frame is queued or written; reading goes on until the peer's close frame. */
  CLOSE_SENT: 2,
  /**
   * wslay stopped reading, on the peer's close frame or on a violation, and its answering
   * close frame (or ours, written in its place) is queued or written.
   */
  CLOSE_RECEIVED: 3,
  /** Our TCP FIN is sent: the closing handshake is over, or the peer ended TCP first. */
  ENDING: 4,
  /** The socket is destroyed without a closing handshake (terminate, failure, timeout). */
  DESTROYED: 5,
  /** The socket closed: the context is freed and `closed` reported. */
  CLOSED: 6,
} as const;
export type State = (typeof State)[keyof typeof State];

const names = Object.keys(State) as (keyof typeof State)[];

/** Where each state may go next. A connection never returns to an earlier state. */
const next: Readonly<Record<State, readonly State[]>> = {
  [State.OPEN]: [
    State.CLOSE_REQUESTED,
    State.CLOSE_RECEIVED,
    State.ENDING,
    State.DESTROYED,
    State.CLOSED,
  ],
  [State.CLOSE_REQUESTED]: [
    State.CLOSE_SENT,
    State.CLOSE_RECEIVED,
    State.ENDING,
    State.DESTROYED,
    State.CLOSED,
  ],
  [State.CLOSE_SENT]: [State.CLOSE_RECEIVED, State.ENDING, State.DESTROYED, State.CLOSED],
  [State.CLOSE_RECEIVED]: [State.ENDING, State.DESTROYED, State.CLOSED],
  [State.ENDING]: [State.DESTROYED, State.CLOSED],
  [State.DESTROYED]: [State.CLOSED],
  [State.CLOSED]: [],
};

/** Checks a transition; one that the table does not list is a bug in the loop. */
export function transition(from: State, to: State): State {
  if (!next[from].includes(to)) {
    throw new Error(`IoLoop: no transition from ${names[from]} to ${names[to]}`);
  }
  return to;
}

/** The WebSocket `readyState` (OPEN 1, CLOSING 2, CLOSED 3) of a connection in `state`. */
export function readyStateOf(state: State): 1 | 2 | 3 {
  if (state === State.OPEN) return 1;
  return state === State.CLOSED ? 3 : 2;
}
