/**
 * The contract between the public API and a backend. A backend implements wslay's
 * semantics on already-validated arguments and reports wslay's integer return codes;
 * the public classes own validation, callback exception handling and lifetime.
 */

/**
 * What a backend calls while `recv()` or `send()` runs. Hooks never throw: the public
 * layer turns exceptions into wslay failures. Views passed in are valid for the call only.
 */
export interface EventHooks {
  recv(buf: Uint8Array, flags: number): number;
  send(data: Uint8Array, flags: number): number;
  genmask(buf: Uint8Array): number;
  /** Reads the fragmented message registered as `source`; returns a layout.ts ReadResult. */
  read(source: number, buf: Uint8Array): number;
  onFrameRecvStart(fin: number, rsv: number, opcode: number, payloadLength: number): void;
  onFrameRecvChunk(data: Uint8Array): void;
  onFrameRecvEnd(): void;
  onMsgRecv(rsv: number, opcode: number, msg: Uint8Array, statusCode: number): void;
}

export interface EventEngine {
  setCallbacks(mask: number): void;
  setNoBuffering(on: boolean): void;
  setMaxRecvMsgLength(length: number): void;
  setAllowedRsvBits(rsv: number): void;
  recv(hooks: EventHooks): number;
  send(hooks: EventHooks): number;
  /** `rsv` of -1 means `wslay_event_queue_msg`, otherwise `_ex`. */
  queueMsg(opcode: number, msg: Uint8Array, rsv: number): number;
  queueFragmentedMsg(opcode: number, source: number, rsv: number): number;
  queueClose(statusCode: number, reason: Uint8Array | null): number;
  setError(code: number): void;
  wantRead(): boolean;
  wantWrite(): boolean;
  shutdownRead(): void;
  shutdownWrite(): void;
  getReadEnabled(): boolean;
  getWriteEnabled(): boolean;
  getCloseReceived(): boolean;
  getCloseSent(): boolean;
  getStatusCodeReceived(): number;
  getStatusCodeSent(): number;
  getQueuedMsgCount(): number;
  getQueuedMsgLength(): number;
  free(): void;
  /**
   * Whether recvFrom() may be given an empty `out`, the engine then allocating room for
   * messages only when it copies one: a large message handed over whole needs none, and
   * fresh memory costs a page fault per 4 KiB.
   */
  readonly outputOnDemand: boolean;
  /**
   * Batch path: `recv()` reading `data` with the frame callbacks off. Completed
   * messages go into `out` (their bytes) and `meta`: a RecvHeader, then a RecvEntry per
   * message (layout.ts). Returns null when all fit, else `[meta, payload]` holding
   * everything, either of which may be the caller's own array when that one had room.
   */
  recvFrom(data: Uint8Array, out: Uint8Array, meta: Uint32Array): [Uint32Array, Uint8Array] | null;
  /**
   * Batch path: `send()` taking every byte into `out`; `meta` is a SendMeta (layout.ts).
   * Returns null when all fit, else a new buffer with every byte.
   */
  sendAll(hooks: EventHooks, out: Uint8Array, meta: Uint32Array): Uint8Array | null;
}

export interface FrameHooks {
  send(data: Uint8Array, flags: number): number;
  recv(buf: Uint8Array, flags: number): number;
  genmask(buf: Uint8Array): number;
}

/**
 * `struct wslay_frame_iocb`: a frame to send, or a received frame or piece of one; `data`
 * holds the payload bytes of this call, a copy the caller owns.
 */
export interface FrameIocb {
  fin: number;
  rsv: number;
  opcode: number;
  payloadLength: number;
  mask: number;
  data: Uint8Array;
}

export interface FrameEngine {
  send(
    hooks: FrameHooks,
    fin: number,
    rsv: number,
    opcode: number,
    payloadLength: number,
    mask: number,
    data: Uint8Array,
  ): number;
  /** The received frame, or a negative wslay error code. */
  recv(hooks: FrameHooks): FrameIocb | number;
  free(): void;
}

export interface BackendImpl {
  createEventEngine(server: boolean, callbackMask: number): EventEngine;
  createFrameEngine(): FrameEngine;
}
