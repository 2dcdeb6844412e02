/** The transport a frame sender or receiver talks to (`struct wslay_frame_callbacks`). */
export interface FrameIo {
  send(data: Uint8Array, flags: number): number;
  recv(buf: Uint8Array, flags: number): number;
  genmask(buf: Uint8Array): number;
}
