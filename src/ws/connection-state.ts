/**
 * A connection's life after its opening handshake, as one value. `IoLoop` changes it through
 * `enter()` alone, so every transition the close handling can make is listed here.
 */
export const State = {
  /** Messages flow both ways. */
  OPEN: 0,
  /**
   * wslay stopped reading, on the peer's close frame or on a violation, in a read that also
   * held messages: they are being delivered, and what their listeners send goes out before
   * the answering close frame, which is held back until then.
   */
  CLOSE_PENDING: 1,
  /** close() was called: nothing more may be sent; our close frame follows what was sent before it. */
  CLOSE_REQUESTED: 2,
  /** Our close frame is queued or written; reading goes on until the peer's close frame. */
  CLOSE_SENT: 3,
  /**
   * Reading stopped, on the peer's close frame or on a violation, and the answering close
   * frame is written or waits to be.
   */
  CLOSE_RECEIVED: 4,
  /** Our TCP FIN is sent: the closing handshake is over, or the peer ended TCP first. */
  ENDING: 5,
  /** The socket is destroyed without a closing handshake (terminate, failure, timeout). */
  DESTROYED: 6,
  /** The socket closed: the context is freed and `closed` reported. */
  CLOSED: 7,
} as const;
export type State = (typeof State)[keyof typeof State];

const names = Object.keys(State) as (keyof typeof State)[];

/** Where each state may go next. A connection never returns to an earlier state. */
const next: Readonly<Record<State, readonly State[]>> = {
  [State.OPEN]: [
    State.CLOSE_PENDING,
    State.CLOSE_REQUESTED,
    State.CLOSE_RECEIVED,
    State.ENDING,
    State.DESTROYED,
    State.CLOSED,
  ],
  [State.CLOSE_PENDING]: [State.CLOSE_RECEIVED, State.DESTROYED, State.CLOSED],
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
  if (state === State.OPEN || state === State.CLOSE_PENDING) return 1;
  return state === State.CLOSED ? 3 : 2;
}
