/**
 * What one frame of a message costs on top of its payload while the message is assembled:
 * wslay 1.1.1 makes an allocation per frame, so a peer sending one-byte fragments would make
 * it hold about a hundred bytes per byte of payload under a limit that counts payload only.
 */
export const FRAME_COST = 64;

/**
 * Follows the frame headers of the incoming byte stream, without parsing anything else, and
 * finds where a fragmented message's payload plus `FRAME_COST` per continuation frame
 * passes `limit`. wslay checks the frames themselves; this only counts them.
 */
export class FragmentBudget {
  readonly #limit: number;
  /** The header being read, which may be split across reads. */
  readonly #header = new Uint8Array(14);
  #headerLength = 0;
  #payloadLeft = 0;
  #messageCost = 0;
  #inMessage = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Reads `chunk` on from where the last call left off. Returns the offset of the first
   * byte of the frame that passes the limit (every byte before it may be handed to wslay),
   * or -1 when the whole chunk is within it.
   */
  scan(chunk: Uint8Array): number {
    const length = chunk.length;
    let at = 0;
    while (at < length) {
      if (this.#payloadLeft > 0) {
        const n = Math.min(this.#payloadLeft, length - at);
        at += n;
        this.#payloadLeft -= n;
        continue;
      }
      const frameStart = at - this.#headerLength;
      const header = this.#header;
      // The fixed two bytes tell how long the rest of the header is.
      while (this.#headerLength < 2 && at < length) header[this.#headerLength++] = chunk[at++]!;
      if (this.#headerLength < 2) break;
      const length7 = header[1]! & 0x7f;
      const needed =
        2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + ((header[1]! & 0x80) !== 0 ? 4 : 0);
      while (this.#headerLength < needed && at < length)
        header[this.#headerLength++] = chunk[at++]!;
      if (this.#headerLength < needed) break;
      this.#headerLength = 0;
      const payloadLength =
        length7 < 126
          ? length7
          : length7 === 126
            ? (header[2]! << 8) | header[3]!
            : (header[2]! * 2 ** 24 + (header[3]! << 16) + (header[4]! << 8) + header[5]!) *
                2 ** 32 +
              ((header[6]! << 24) >>> 0) +
              (header[7]! << 16) +
              (header[8]! << 8) +
              header[9]!;
      const opcode = header[0]! & 0x0f;
      const fin = (header[0]! & 0x80) !== 0;
      // The first frame is wslay's to judge (its verdict on a frame that breaks more than
      // one rule comes first); each continuation costs its payload plus FRAME_COST.
      if (opcode === 1 || opcode === 2) {
        this.#messageCost = payloadLength;
        this.#inMessage = !fin;
      } else if (opcode === 0 && this.#inMessage) {
        this.#messageCost += payloadLength + FRAME_COST;
        if (this.#messageCost > this.#limit) return Math.max(frameStart, 0);
        this.#inMessage = !fin;
      }
      this.#payloadLeft = payloadLength;
    }
    return -1;
  }
}
