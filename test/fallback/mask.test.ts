import { expect, test } from 'vitest';
import { bufferUtil } from '../../src/fallback/bufferutil.js';
import { maskInPlace, maskWords } from '../../src/fallback/mask.js';
import { Rng } from '../parity/rng.js';

// maskInPlace hands runs from 256 bytes on to bufferutil (a devDependency, so loaded here);
// maskWords is the TypeScript path used without it.
test.each([
  ['maskInPlace', maskInPlace],
  ['maskWords', maskWords],
])('%s matches byte-by-byte XOR at any alignment, length and key phase', (_name, mask) => {
  const rng = new Rng(3);
  const rand = () => rng.float();
  const key = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
  const backing = new Uint8Array(1024);
  for (let round = 0; round < 2000; round++) {
    backing.set(rng.bytes(backing.length));
    const offset = Math.floor(rand() * 8);
    const buf = backing.subarray(offset);
    const start = Math.floor(rand() * 16);
    const end = start + Math.floor(rand() * (rand() < 0.5 ? 40 : 990));
    const phase = Math.floor(rand() * 4);
    const expected = Uint8Array.from(buf);
    for (let i = start; i < end; i++) expected[i]! ^= key[(phase + i - start) & 3]!;
    expect(mask(buf, start, end, key, phase)).toBe((phase + end - start) & 3);
    // Buffer.compare: toEqual() over 2000 rounds of 1 KiB took seconds on a busy machine.
    expect(Buffer.compare(buf, expected), `round ${round}`).toBe(0);
  }
});

test('bufferutil loads where it is installed, unless WSLAY_NO_BUFFERUTIL keeps it out', () => {
  expect(bufferUtil === null).toBe(Boolean(process.env.WSLAY_NO_BUFFERUTIL));
});
