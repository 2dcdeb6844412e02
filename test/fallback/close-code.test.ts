import { expect, test } from 'vitest';
import { closeCodeOf, isValidReceivedCloseCode } from '../../src/fallback/close-code.js';

test('received close codes: those RFC 6455 allows on the wire and the 3000-4999 ranges', () => {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
  const invalid = [0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 2999, 5000, 65535];
  for (const code of valid) expect(isValidReceivedCloseCode(code), `${code}`).toBe(true);
  for (const code of invalid) expect(isValidReceivedCloseCode(code), `${code}`).toBe(false);
});

test('a close payload’s code is its first two bytes, big-endian; 0 when shorter', () => {
  expect(closeCodeOf(new Uint8Array(0))).toBe(0);
  expect(closeCodeOf(Uint8Array.of(0x03))).toBe(0);
  expect(closeCodeOf(Uint8Array.of(0x03, 0xe8))).toBe(1000);
  expect(closeCodeOf(Uint8Array.of(0x0f, 0xa0, 0x41))).toBe(4000);
  expect(closeCodeOf(Uint8Array.of(0xff, 0xff))).toBe(65535);
});
