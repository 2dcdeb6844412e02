import { expect, test } from 'vitest';
import { FRAME_COST, FragmentBudget } from '../../src/ws/fragment-budget.js';
import { frame } from './helpers.js';

const fragments = (count: number, size: number): Buffer =>
  Buffer.concat(
    Array.from({ length: count }, (_, i) =>
      frame(i === 0 ? 0x2 : 0x0, Buffer.alloc(size), { fin: i === count - 1 }),
    ),
  );

test('a message within the budget passes, however its bytes are split into reads', () => {
  const bytes = Buffer.concat([fragments(10, 100), frame(0x9, 'ping'), fragments(3, 70_000)]);
  const limit = 3 * 70_000 + 2 * FRAME_COST;
  for (const step of [1, 3, 7, 4096, bytes.length]) {
    const budget = new FragmentBudget(limit);
    for (let at = 0; at < bytes.length; at += step)
      expect(budget.scan(bytes.subarray(at, at + step))).toBe(-1);
  }
});

test('the frame that passes the budget is found at its first byte', () => {
  const first = frame(0x1, 'a', { fin: false });
  const next = frame(0x0, 'b', { fin: false });
  const budget = new FragmentBudget(1 + 2 * (1 + FRAME_COST));
  const bytes = Buffer.concat([frame(0x1, 'whole'), first, next, next, next]);
  expect(budget.scan(bytes)).toBe(bytes.length - next.length);
});

test('a frame that passes the budget across two reads is cut where the second begins', () => {
  const budget = new FragmentBudget(FRAME_COST);
  expect(budget.scan(frame(0x2, 'a', { fin: false }))).toBe(-1);
  const next = frame(0x0, 'b');
  expect(budget.scan(next.subarray(0, 1))).toBe(-1);
  expect(budget.scan(next.subarray(1))).toBe(0);
});

test('single frames and unfragmented messages are left to wslay, whatever their length', () => {
  const budget = new FragmentBudget(10);
  expect(
    budget.scan(
      Buffer.concat([
        frame(0x2, Buffer.alloc(100)),
        frame(0x1, Buffer.alloc(2000), { fin: false }),
      ]),
    ),
  ).toBe(-1);
});
