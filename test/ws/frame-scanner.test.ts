import { expect, test } from 'vitest';
import { FRAME_COST, FrameScanner } from '../../src/ws/frame-scanner.js';
import { closePayload, frame, parseFrames } from './helpers.js';

const fragments = (count: number, size: number): Buffer =>
  Buffer.concat(
    Array.from({ length: count }, (_, i) =>
      frame(i === 0 ? 0x2 : 0x0, Buffer.alloc(size), { fin: i === count - 1 }),
    ),
  );

test('a message within the budget passes, however its bytes are split into reads', () => {
  const bytes = Buffer.concat([fragments(10, 100), frame(0x9, 'ping'), fragments(3, 70_000)]);
  const limit = 3 * 70_000 + 2 * FRAME_COST;
  // Where a read was cut (step, offset, scan result): one expect, as there are 200,000 reads.
  const cuts: number[][] = [];
  for (const step of [1, 3, 7, 4096, bytes.length]) {
    const budget = new FrameScanner(limit, 'server');
    for (let at = 0; at < bytes.length; at += step) {
      const cut = budget.scan(bytes.subarray(at, at + step));
      if (cut !== -1) cuts.push([step, at, cut]);
    }
  }
  expect(cuts).toEqual([]);
});

test('the frame that passes the budget is found at its first byte', () => {
  const first = frame(0x1, 'a', { fin: false });
  const next = frame(0x0, 'b', { fin: false });
  const budget = new FrameScanner(1 + 2 * (1 + FRAME_COST), 'server');
  const bytes = Buffer.concat([frame(0x1, 'whole'), first, next, next, next]);
  expect(budget.scan(bytes)).toBe(bytes.length - next.length);
});

test('a frame that passes the budget across two reads is cut where the second begins', () => {
  const budget = new FrameScanner(FRAME_COST, 'server');
  expect(budget.scan(frame(0x2, 'a', { fin: false }))).toBe(-1);
  const next = frame(0x0, 'b');
  expect(budget.scan(next.subarray(0, 1))).toBe(-1);
  expect(budget.scan(next.subarray(1))).toBe(0);
});

test('single frames and unfragmented messages are left to wslay, whatever their length', () => {
  const budget = new FrameScanner(10, 'server');
  expect(
    budget.scan(
      Buffer.concat([
        frame(0x2, Buffer.alloc(100)),
        frame(0x1, Buffer.alloc(2000), { fin: false }),
      ]),
    ),
  ).toBe(-1);
});

test('a close frame with a 1-byte body is cut at its first byte, owed 1002', () => {
  const scanner = new FrameScanner(1000, 'server');
  const text = frame(0x1, 'a');
  expect(scanner.scan(Buffer.concat([text, frame(0x8, Buffer.from([0x03]))]))).toBe(text.length);
  expect(scanner.refusal).toBe(1002);
});

test('a fragmented message past the budget is owed 1009', () => {
  const scanner = new FrameScanner(FRAME_COST, 'server');
  scanner.scan(Buffer.concat([frame(0x2, 'a', { fin: false }), frame(0x0, 'b')]));
  expect(scanner.refusal).toBe(1009);
});

test.each([1012, 1013, 1014])(
  'close code %i is shown to wslay as 1011, however the frame is split',
  (code) => {
    for (const mask of [true, false]) {
      const bytes = frame(0x8, closePayload(code, 'why'), { mask });
      for (let split = 1; split < bytes.length; split++) {
        const scanner = new FrameScanner(1000, 'server');
        const copy = Buffer.from(bytes);
        expect(scanner.scan(copy.subarray(0, split))).toBe(-1);
        expect(scanner.scan(copy.subarray(split))).toBe(-1);
        expect(scanner.lateCloseCode).toBe(code);
        expect(parseFrames(copy)[0]!.payload).toEqual(closePayload(1011, 'why'));
      }
    }
  },
);

test('other close codes, and close frames after the first, are left alone', () => {
  const scanner = new FrameScanner(1000, 'server');
  const bytes = Buffer.concat([frame(0x8, closePayload(1011)), frame(0x8, closePayload(1012))]);
  const copy = Buffer.from(bytes);
  expect(scanner.scan(copy)).toBe(-1);
  expect(copy).toEqual(bytes);
  expect(scanner.lateCloseCode).toBe(0);
});
