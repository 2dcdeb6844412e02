import { expect, test } from 'vitest';
import { MessageBuffer } from '../../src/fallback/message-buffer.js';

const bytes = (n: number, salt = 0) => Uint8Array.from({ length: n }, (_, i) => (i + salt) & 0xff);

test('appended ranges are collected in order, however the frames announce their lengths', () => {
  const b = new MessageBuffer();
  expect(b.size).toBe(0);
  expect(b.view()).toEqual(new Uint8Array(0));
  const src = bytes(10);
  expect(b.append(src, 2, 5, 100)).toBe(true);
  expect(b.append(src, 0, 0, 0)).toBe(true);
  expect(b.append(src, 7, 10, 0)).toBe(true);
  expect(b.size).toBe(6);
  expect([...b.view()]).toEqual([2, 3, 4, 7, 8, 9]);
});

test('a message grown over many appends keeps every byte', () => {
  const b = new MessageBuffer();
  const whole = bytes(200_000, 3);
  for (let at = 0; at < whole.length; at += 997)
    expect(b.append(whole, at, Math.min(at + 997, whole.length), 0)).toBe(true);
  expect(b.size).toBe(whole.length);
  expect(Buffer.from(b.view()).equals(whole)).toBe(true);
});

test('clear() starts the next message empty, whether the buffer was small or large', () => {
  for (const n of [10, 100_000]) {
    const b = new MessageBuffer();
    b.append(bytes(n), 0, n, 0);
    b.clear();
    expect(b.size).toBe(0);
    expect(b.view().length).toBe(0);
    b.append(bytes(4, 9), 0, 4, 0);
    expect([...b.view()]).toEqual([9, 10, 11, 12]);
  }
});

test('takeWhole() hands over a message that fills its storage, and starts the next afresh', () => {
  const b = new MessageBuffer();
  expect(b.takeWhole()).toBe(null);
  const src = bytes(1000, 5);
  b.append(src, 0, 400, 600);
  expect(b.takeWhole()).toBe(null);
  b.append(src, 400, 1000, 0);
  const whole = b.takeWhole();
  expect(whole !== null && Buffer.from(whole).equals(src)).toBe(true);
  expect(b.size).toBe(0);
  b.append(bytes(10), 0, 10, 0);
  expect([...b.view()]).toEqual([...bytes(10)]);
  expect(whole !== null && Buffer.from(whole).equals(src)).toBe(true);
});
