import type { EventEngine, EventHooks } from './engine.js';
import { StateWord } from './layout.js';

/** The addon's EventContext: an EventEngine whose constructor takes the state array. */
export type AddonEventContext = new (
  server: boolean,
  callbackMask: number,
  state: Float64Array,
) => EventEngine;

/**
 * The native engine with its getters served from memory: after every call that may change
 * them, the addon writes the getters' values into `#state`, which costs nothing next to a
 * call into C (about 50 ns each, and a socket layer asks several per message). While a
 * recv() or send() runs, the values are marked stale and the getters ask wslay.
 */
export class NativeEventEngine implements EventEngine {
  readonly #state = new Float64Array(StateWord.COUNT);
  readonly #ctx: EventEngine;

  constructor(Context: AddonEventContext, server: boolean, callbackMask: number) {
    this.#ctx = new Context(server, callbackMask, this.#state);
  }

  setCallbacks(mask: number): void {
    this.#ctx.setCallbacks(mask);
  }
  setNoBuffering(on: boolean): void {
    this.#ctx.setNoBuffering(on);
  }
  setMaxRecvMsgLength(length: number): void {
    this.#ctx.setMaxRecvMsgLength(length);
  }
  setAllowedRsvBits(rsv: number): void {
    this.#ctx.setAllowedRsvBits(rsv);
  }
  recv(hooks: EventHooks): number {
    return this.#ctx.recv(hooks);
  }
  send(hooks: EventHooks): number {
    return this.#ctx.send(hooks);
  }
  queueMsg(opcode: number, msg: Uint8Array, rsv: number): number {
    return this.#ctx.queueMsg(opcode, msg, rsv);
  }
  queueFragmentedMsg(opcode: number, source: number, rsv: number): number {
    return this.#ctx.queueFragmentedMsg(opcode, source, rsv);
  }
  queueClose(statusCode: number, reason: Uint8Array | null): number {
    return this.#ctx.queueClose(statusCode, reason);
  }
  setError(code: number): void {
    this.#ctx.setError(code);
  }
  shutdownRead(): void {
    this.#ctx.shutdownRead();
  }
  shutdownWrite(): void {
    this.#ctx.shutdownWrite();
  }
  free(): void {
    this.#ctx.free();
  }

  // The addon writes messages into memory JavaScript made.
  readonly outputOnDemand = false;

  recvFrom(data: Uint8Array, out: Uint8Array, meta: Uint32Array): [Uint32Array, Uint8Array] | null {
    return this.#ctx.recvFrom(data, out, meta);
  }

  sendAll(hooks: EventHooks, out: Uint8Array, meta: Uint32Array): Uint8Array | null {
    return this.#ctx.sendAll(hooks, out, meta);
  }

  wantRead(): boolean {
    return this.#flag(StateWord.WANT_READ) ?? this.#ctx.wantRead();
  }
  wantWrite(): boolean {
    return this.#flag(StateWord.WANT_WRITE) ?? this.#ctx.wantWrite();
  }
  getReadEnabled(): boolean {
    return this.#flag(StateWord.READ_ENABLED) ?? this.#ctx.getReadEnabled();
  }
  getWriteEnabled(): boolean {
    return this.#flag(StateWord.WRITE_ENABLED) ?? this.#ctx.getWriteEnabled();
  }
  getCloseReceived(): boolean {
    return this.#flag(StateWord.CLOSE_RECEIVED) ?? this.#ctx.getCloseReceived();
  }
  getCloseSent(): boolean {
    return this.#flag(StateWord.CLOSE_SENT) ?? this.#ctx.getCloseSent();
  }
  getStatusCodeReceived(): number {
    return this.#number(StateWord.STATUS_CODE_RECEIVED) ?? this.#ctx.getStatusCodeReceived();
  }
  getStatusCodeSent(): number {
    return this.#number(StateWord.STATUS_CODE_SENT) ?? this.#ctx.getStatusCodeSent();
  }
  getQueuedMsgCount(): number {
    return this.#number(StateWord.QUEUED_MSG_COUNT) ?? this.#ctx.getQueuedMsgCount();
  }
  getQueuedMsgLength(): number {
    return this.#number(StateWord.QUEUED_MSG_LENGTH) ?? this.#ctx.getQueuedMsgLength();
  }

  #flag(word: number): boolean | undefined {
    const state = this.#state;
    return state[StateWord.VALID] === 1 ? state[word] === 1 : undefined;
  }

  #number(word: number): number | undefined {
    const state = this.#state;
    return state[StateWord.VALID] === 1 ? state[word] : undefined;
  }
}
