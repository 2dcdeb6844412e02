import { describe, expect, test } from 'vitest';
import { EventContext, nativeLoadError, StatusCode } from '../src/index.js';

/**
 * recvFrom() on the fallback reads the middle of a large binary frame straight from its input
 * rather than 4 KiB at a time through a buffer, as wslay does. These sessions feed the same
 * bytes, cut the same ways, to both backends and compare everything recvFrom() and the getters
 * report: wslay (the native backend) is the reference, so they need the addon.
 */

const MASK = [0x9a, 0x11, 0xe3, 0x47];

/** A client's frame: masked, with the length in its shortest form. */
function masked(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 0xff] : [127, 0, 0, 0, 0];
  if (n >= 65536) head.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i]! ^= MASK[i & 3]!;
  return Buffer.concat([
    Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | head[0]!, ...head.slice(1), ...MASK]),
    body,
  ]);
}

const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff));

const close = (code: number): Buffer => masked(0x8, Buffer.from([code >> 8, code & 0xff]));

interface Outcome {
  messages: [number, string, number][];
  consumed: number[];
  closeReceived: boolean;
  statusCodeReceived: number;
  readEnabled: boolean;
  queued: number;
}

/** Feeds `wire` in pieces of `cuts` bytes (the last size repeating) to a server context. */
function run(
  backend: 'native' | 'fallback',
  wire: Buffer,
  cuts: number[],
  maxRecvMsgLength?: number,
): Outcome {
  const ctx = EventContext.server({}, { backend });
  if (maxRecvMsgLength !== undefined) ctx.configSetMaxRecvMsgLength(maxRecvMsgLength);
  const outcome: Outcome = {
    messages: [],
    consumed: [],
    closeReceived: false,
    statusCodeReceived: 0,
    readEnabled: true,
    queued: 0,
  };
  let at = 0;
  for (let k = 0; at < wire.length && ctx.getReadEnabled(); k++) {
    const size = cuts[Math.min(k, cuts.length - 1)]!;
    const piece = wire.subarray(at, at + size);
    const consumed = ctx.recvFrom(piece, (opcode, msg, statusCode) => {
      outcome.messages.push([opcode, msg.toString('base64'), statusCode]);
    });
    outcome.consumed.push(consumed);
    at += piece.length;
  }
  outcome.closeReceived = ctx.getCloseReceived();
  outcome.statusCodeReceived = ctx.getStatusCodeReceived();
  outcome.readEnabled = ctx.getReadEnabled();
  outcome.queued = ctx.getQueuedMsgCount();
  return outcome;
}

const CUTS = [[65536], [4096], [4095], [8193, 100], [70_000, 3], [1 << 20]];

const SESSIONS = {
  'one-frame binary messages with a close in the same read': Buffer.concat([
    masked(0x2, bytes(70_000, 1)),
    masked(0x2, bytes(16_384, 2)),
    masked(0x2, bytes(4097, 3)),
    close(1000),
    masked(0x2, bytes(9000, 4)),
  ]),
  'a fragmented message with a ping between its large frames': Buffer.concat([
    masked(0x2, bytes(9000, 5), false),
    masked(0x9, bytes(20, 6)),
    masked(0x0, bytes(20_000, 7), false),
    masked(0x0, bytes(5000, 8)),
    masked(0x1, Buffer.from('after')),
  ]),
  'large text, checked as it arrives, with invalid UTF-8 deep inside': Buffer.concat([
    masked(0x1, Buffer.from('é'.repeat(20_000))),
    masked(
      0x1,
      Buffer.concat([Buffer.alloc(10_000, 0x61), Buffer.from([0xff]), Buffer.alloc(30_000, 0x61)]),
    ),
    masked(0x2, bytes(10_000, 9)),
  ]),
  // 8 + 8,176 + 8: the next frame's header ends where wslay's second 4 KiB read does, so its
  // payload would be the first thing taken in place, were it not for the check at its start.
  'a reserved opcode after a large frame': Buffer.concat([
    masked(0x2, bytes(8176, 10)),
    masked(0x3, bytes(5000, 11)),
    masked(0x2, bytes(5000, 12)),
  ]),
};

describe.runIf(nativeLoadError === null || process.env.WSLAY_REQUIRE_NATIVE === '1')(
  'recvFrom() of large frames, the fallback against wslay',
  () => {
    for (const [name, wire] of Object.entries(SESSIONS)) {
      test.each(CUTS)(`${name}: the same outcome, read in pieces of %i bytes`, (...cuts) => {
        const native = run('native', wire, cuts);
        expect(run('fallback', wire, cuts)).toEqual(native);
        expect(native.messages.length).toBeGreaterThan(0);
      });
    }

    test.each(CUTS)(
      'a fragmented message past the length limit stops both at the same byte (pieces of %i)',
      (...cuts) => {
        const wire = Buffer.concat([
          masked(0x2, bytes(8176, 18)),
          masked(0x2, bytes(60_000, 19)),
          masked(0x2, bytes(20_000, 13), false),
          masked(0x0, bytes(20_000, 14)),
          masked(0x2, bytes(30_000, 15), false),
          masked(0x0, bytes(30_000, 16)),
          masked(0x2, bytes(10, 17)),
        ]);
        const native = run('native', wire, cuts, 50_000);
        expect(native.statusCodeReceived).not.toBe(StatusCode.NORMAL_CLOSURE);
        expect(native.readEnabled).toBe(false);
        expect(run('fallback', wire, cuts, 50_000)).toEqual(native);
      },
    );
  },
);
