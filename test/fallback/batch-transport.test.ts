// The fallback's transport for recvFrom() and sendAll(): what it reads from the input held in
// memory, and the table and bytes it hands back in the layout the native addon uses.
import { Buffer } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import type { EventHooks } from '../../src/backends/engine.js';
import { packMessageWord, RecvEntry, RecvHeader, SendMeta } from '../../src/backends/layout.js';
import { ErrorCode } from '../../src/constants.js';
import { BatchTransport } from '../../src/fallback/batch-transport.js';

// Buffers throughout, as the transport's own allocations are: toEqual compares classes too.
const bytes = (n: number, seed = 1): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

function transport(): { batch: BatchTransport; errors: number[] } {
  const errors: number[] = [];
  return { batch: new BatchTransport({ setError: (code) => errors.push(code) }), errors };
}

/** Hooks whose genmask and read answer with a fixed value and count their calls. */
function hooks(answer: number): EventHooks & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    recv: () => 0,
    send: () => 0,
    genmask: () => (calls.push('genmask'), answer),
    read: (source) => (calls.push(`read ${source}`), answer),
    onFrameRecvStart: () => {},
    onFrameRecvChunk: () => {},
    onFrameRecvEnd: () => {},
    onMsgRecv: () => {},
  };
}

describe('reading the input', () => {
  test('recv() copies as much as fits, then reports WOULDBLOCK once the input is used up', () => {
    const { batch, errors } = transport();
    const input = bytes(10);
    batch.startRecv(input, new Uint8Array(0));
    const buf = Buffer.alloc(4);
    expect(batch.recv(buf)).toBe(4);
    expect(buf).toEqual(input.subarray(0, 4));
    expect(batch.recv(new Uint8Array(100))).toBe(6);
    expect(errors).toEqual([]);
    expect(batch.recv(buf)).toBe(-1);
    expect(errors).toEqual([ErrorCode.WOULDBLOCK]);
    expect(batch.finishRecv(0, new Uint32Array(RecvHeader.WORDS))).toBeNull();
  });

  test('take() hands out whole blocks of the input as views, and null when not one is left', () => {
    const { batch } = transport();
    const input = bytes(10_000);
    batch.startRecv(input, new Uint8Array(0));
    const first = batch.take(5_000, 4096)!;
    expect(first.length).toBe(4096);
    expect(first.buffer).toBe(input.buffer);
    expect(first.byteOffset).toBe(input.byteOffset);
    expect(batch.take(100_000, 4096)!.byteOffset).toBe(input.byteOffset + 4096);
    // 1808 bytes are left: less than a block.
    expect(batch.take(100_000, 4096)).toBeNull();
    const rest = Buffer.alloc(4096);
    expect(batch.recv(rest)).toBe(10_000 - 8192);
    expect(rest.subarray(0, 1808)).toEqual(input.subarray(8192));
    const meta = new Uint32Array(RecvHeader.WORDS);
    batch.finishRecv(0, meta);
    expect(meta[RecvHeader.CONSUMED]).toBe(10_000);
  });

  test('take() stops at max, rounded down to whole blocks', () => {
    const { batch } = transport();
    batch.startRecv(bytes(20_000), new Uint8Array(0));
    expect(batch.take(9_000, 4096)!.length).toBe(8192);
    expect(batch.take(4095, 4096)).toBeNull();
    const meta = new Uint32Array(RecvHeader.WORDS);
    batch.finishRecv(0, meta);
    expect(meta[RecvHeader.CONSUMED]).toBe(8192);
  });
});

describe('the messages read', () => {
  test("messages that fit the caller's buffers are written into them: nothing is returned", () => {
    const { batch } = transport();
    const out = Buffer.alloc(64);
    batch.startRecv(bytes(3), out);
    batch.onMsgRecv(0, 1, bytes(5, 2), 0);
    batch.onMsgRecv(4, 8, bytes(2, 3), 1000);
    const meta = new Uint32Array(RecvHeader.WORDS + 2 * RecvEntry.WORDS);
    expect(batch.finishRecv(7, meta)).toBeNull();
    expect([...meta]).toEqual([
      7,
      0,
      2,
      7,
      packMessageWord(1, 0, 0),
      0,
      5,
      packMessageWord(8, 4, 1000),
      5,
      2,
    ]);
    expect(out.subarray(0, 7)).toEqual(Buffer.concat([bytes(5, 2), bytes(2, 3)]));
  });

  test("a table longer than the caller's is returned, with the caller's buffer as payload", () => {
    const { batch } = transport();
    const out = Buffer.alloc(64);
    batch.startRecv(bytes(3), out);
    batch.onMsgRecv(0, 2, bytes(4), 0);
    const meta = new Uint32Array(RecvHeader.WORDS);
    const [table, payload] = batch.finishRecv(-1, meta)!;
    expect(table).not.toBe(meta);
    expect([...table]).toEqual([0xffffffff, 0, 1, 4, packMessageWord(2, 0, 0), 0, 4]);
    expect(payload).toBe(out);
  });

  test("bytes past the caller's buffer go to one spill buffer holding them all, in order", () => {
    const { batch } = transport();
    const out = Buffer.alloc(8);
    batch.startRecv(bytes(2), out);
    const messages = [bytes(5, 1), bytes(6, 2), bytes(300, 3), bytes(700, 4)];
    for (const msg of messages) batch.onMsgRecv(0, 2, msg, 0);
    const meta = new Uint32Array(RecvHeader.WORDS + 4 * RecvEntry.WORDS);
    const [table, payload] = batch.finishRecv(0, meta)!;
    expect(table).toBe(meta);
    expect(meta[RecvHeader.PAYLOAD_LENGTH]).toBe(1011);
    expect(payload).not.toBe(out);
    expect(payload).toEqual(Buffer.concat(messages));
  });

  test('an empty buffer from the caller: the first copy allocates room for the whole input', () => {
    const { batch } = transport();
    batch.startRecv(bytes(50_000), new Uint8Array(0));
    batch.onMsgRecv(0, 2, bytes(10), 0);
    const grown = bytes(20_000, 9);
    batch.onMsgRecv(0, 2, grown, 0);
    const meta = new Uint32Array(RecvHeader.WORDS + 2 * RecvEntry.WORDS);
    const payload = batch.finishRecv(0, meta)![1];
    expect(payload.length).toBe(20_010);
    // Nothing was moved to a second buffer: the spill was as long as the input from the start.
    expect(payload.buffer.byteLength).toBeGreaterThanOrEqual(50_000);
    expect(payload.subarray(10)).toEqual(grown);
  });

  test('a message handed over first is kept as it is; one after others is copied', () => {
    const { batch } = transport();
    batch.startRecv(bytes(3), new Uint8Array(0));
    const owned = bytes(20_000, 5);
    expect(batch.onMsgOwned(0, 2, owned)).toBe(true);
    let meta = new Uint32Array(RecvHeader.WORDS + RecvEntry.WORDS);
    let payload = batch.finishRecv(0, meta)![1];
    expect(payload.buffer).toBe(owned.buffer);
    expect([...meta.subarray(RecvHeader.WORDS)]).toEqual([packMessageWord(2, 0, 0), 0, 20_000]);

    batch.startRecv(bytes(3), new Uint8Array(0));
    batch.onMsgRecv(0, 1, bytes(3, 1), 0);
    const second = bytes(20_000, 6);
    expect(batch.onMsgOwned(4, 2, second)).toBe(false);
    meta = new Uint32Array(RecvHeader.WORDS + 2 * RecvEntry.WORDS);
    payload = batch.finishRecv(0, meta)![1];
    expect(payload.buffer).not.toBe(second.buffer);
    expect(payload.subarray(3)).toEqual(second);
    expect([...meta.subarray(RecvHeader.WORDS + RecvEntry.WORDS)]).toEqual([
      packMessageWord(2, 4, 0),
      3,
      20_000,
    ]);
  });

  test('a message after one kept as it is is appended to a copy, the kept one unchanged', () => {
    const { batch } = transport();
    batch.startRecv(bytes(3), new Uint8Array(0));
    const owned = bytes(20_000, 5);
    const copy = Buffer.from(owned);
    batch.onMsgOwned(0, 2, owned);
    batch.onMsgRecv(0, 1, bytes(7, 8), 0);
    const payload = batch.finishRecv(
      0,
      new Uint32Array(RecvHeader.WORDS + 2 * RecvEntry.WORDS),
    )![1];
    expect(payload.length).toBe(20_007);
    expect(payload.subarray(0, 20_000)).toEqual(copy);
    expect(payload.subarray(20_000)).toEqual(bytes(7, 8));
    expect(owned).toEqual(copy);
  });
});

describe('the bytes sent', () => {
  test("what fits the caller's buffer is written there: nothing is returned", () => {
    const { batch } = transport();
    const out = Buffer.alloc(16);
    batch.startSend(hooks(0), out);
    expect(batch.send(bytes(6, 1), 0)).toBe(6);
    expect(batch.send(bytes(10, 2), 0)).toBe(10);
    const meta = new Uint32Array(SendMeta.WORDS);
    expect(batch.finishSend(3, meta)).toBeNull();
    expect([...meta]).toEqual([3, 16]);
    expect(out).toEqual(Buffer.concat([bytes(6, 1), bytes(10, 2)]));
  });

  test('past it, every byte is returned in one buffer, which grows as often as needed', () => {
    const { batch } = transport();
    batch.startSend(hooks(0), new Uint8Array(16));
    const pieces = [bytes(10, 1), bytes(10, 2), bytes(200, 3), bytes(100, 4), bytes(5000, 5)];
    for (const piece of pieces) batch.send(piece, 0);
    const meta = new Uint32Array(SendMeta.WORDS);
    const spilled = batch.finishSend(-3 >>> 0, meta)!;
    expect(meta[SendMeta.LENGTH]).toBe(5320);
    expect(meta[SendMeta.RC]).toBe(-3 >>> 0);
    expect(spilled).toEqual(Buffer.concat(pieces));
  });

  test("genmask() and read() go to the caller's hooks while sending, and fail after", () => {
    const { batch } = transport();
    const caller = hooks(7);
    batch.startSend(caller, new Uint8Array(16));
    expect(batch.genmask(new Uint8Array(4))).toBe(7);
    expect(batch.read(3, new Uint8Array(4))).toBe(7);
    batch.finishSend(0, new Uint32Array(SendMeta.WORDS));
    expect(batch.genmask(new Uint8Array(4))).toBe(-1);
    expect(batch.read(3, new Uint8Array(4))).toBe(-1);
    expect(caller.calls).toEqual(['genmask', 'read 3']);
  });
});
