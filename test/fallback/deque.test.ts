import { expect, test } from 'vitest';
import { Deque } from '../../src/fallback/deque.js';

const drain = <T>(q: Deque<T>): T[] => {
  const out: T[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) out.push(item);
  return out;
};

test('items come out in the order they went in, and an empty deque gives undefined', () => {
  const q = new Deque<number>();
  expect(q.shift()).toBeUndefined();
  expect(q.length).toBe(0);
  for (const n of [1, 2, 3]) q.push(n);
  expect(q.length).toBe(3);
  expect(q.shift()).toBe(1);
  expect(q.length).toBe(2);
  expect(drain(q)).toEqual([2, 3]);
  expect(q.length).toBe(0);
  expect(q.shift()).toBeUndefined();
});

test('unshift() puts an item back at the front, before and after shifts', () => {
  const q = new Deque<number>();
  q.push(2);
  q.unshift(1);
  expect(q.length).toBe(2);
  q.push(3);
  expect(q.shift()).toBe(1);
  expect(q.shift()).toBe(2);
  q.unshift(20);
  q.unshift(10);
  expect(q.length).toBe(3);
  expect(drain(q)).toEqual([10, 20, 3]);
});

test('moveToFront() moves the first matching item only, and says whether one matched', () => {
  const q = new Deque<string>();
  for (const s of ['a', 'b1', 'c', 'b2']) q.push(s);
  expect(q.shift()).toBe('a');
  expect(q.moveToFront((s) => s.startsWith('b'))).toBe(true);
  expect(q.moveToFront((s) => s === 'c')).toBe(true);
  expect(q.moveToFront((s) => s === 'a')).toBe(false);
  expect(q.length).toBe(3);
  expect(drain(q)).toEqual(['c', 'b1', 'b2']);
  expect(q.moveToFront(() => true)).toBe(false);
});

test('order survives long runs of pushes and shifts (the storage is compacted on the way)', () => {
  const q = new Deque<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) q.push(next++);
    for (let i = 0; i < 90; i++) expect(q.shift()).toBe(expected++);
    expect(q.length).toBe(next - expected);
  }
  q.unshift(-1);
  expect(q.shift()).toBe(-1);
  expect(drain(q)).toEqual(Array.from({ length: next - expected }, (_, i) => expected + i));
});

test('clear() empties it, and it works as new afterwards', () => {
  const q = new Deque<number>();
  for (let i = 0; i < 5; i++) q.push(i);
  q.shift();
  q.clear();
  expect(q.length).toBe(0);
  expect(q.shift()).toBeUndefined();
  q.push(7);
  q.unshift(6);
  expect(drain(q)).toEqual([6, 7]);
});
