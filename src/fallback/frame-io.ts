/** The transport a frame sender or receiver talks to (`struct wslay_frame_callbacks`). */
export interface FrameIo {
  send(data: Uint8Array, flags: number): number;
  recv(buf: Uint8Array, flags: number): number;
  genmask(buf: Uint8Array): number;
  /**
   * When the input is held in memory (the batch path): takes up to `max` bytes of it, a whole
   * number of `block`s, as a view, counted as read. Null when not a whole block is left.
   */
  take?(max: number, block: number): Uint8Array | null;
}
