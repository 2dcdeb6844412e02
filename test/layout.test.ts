import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  CallbackBit,
  LAYOUT,
  MessageWord,
  ReadResult,
  RecvEntry,
  RecvHeader,
  SendMeta,
  StateWord,
  encodeReadResult,
  packMessageWord,
} from '../src/backends/layout.js';
import { HEADER_PATH, renderLayoutHeader } from '../scripts/layout-header.mjs';

describe('the layout shared by the addon and TypeScript (src/backends/layout.ts)', () => {
  test('native/layout.h is what `npm run gen:layout` renders from it', () => {
    const committed = fs.readFileSync(HEADER_PATH, 'utf8');
    expect(committed, 'native/layout.h is stale: run `npm run gen:layout`').toBe(
      renderLayoutHeader(),
    );
  });

  test('the header declares every field of every group, with its value', () => {
    const header = renderLayoutHeader();
    expect(header).toContain('static constexpr uint32_t kFrameRecvStart = 8;');
    expect(header).toContain('static constexpr size_t kStatusCodeReceived = 7;');
    expect(header).toContain('static constexpr int64_t kEofBias = 2;');
    for (const [group, fields] of Object.entries(LAYOUT)) {
      const body = new RegExp(`struct ${group} \\{\\n([^}]*)\\};`).exec(header)?.[1] ?? '';
      expect(body.trim().split('\n')).toHaveLength(Object.keys(fields).length);
    }
  });

  test('callback bits are distinct single bits', () => {
    const bits = Object.values(CallbackBit);
    expect(new Set(bits).size).toBe(bits.length);
    for (const bit of bits) expect(bit & (bit - 1)).toBe(0);
  });

  test.each([
    ['StateWord', StateWord, StateWord.COUNT],
    ['RecvHeader', RecvHeader, RecvHeader.WORDS],
    ['RecvEntry', RecvEntry, RecvEntry.WORDS],
    ['SendMeta', SendMeta, SendMeta.WORDS],
  ] as const)('%s numbers its words 0 to its size - 1, each once', (_name, group, size) => {
    const indices = Object.values(group)
      .filter((index) => index !== size)
      .sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: size }, (_, i) => i));
  });

  test('a message word keeps opcode, rsv and status code apart, status 65535 included', () => {
    const word = packMessageWord(0x8, 0x4, 65535);
    expect(word).toBeGreaterThan(0);
    expect(word & MessageWord.OPCODE_MASK).toBe(0x8);
    expect((word >>> MessageWord.RSV_SHIFT) & MessageWord.RSV_MASK).toBe(0x4);
    expect(word >>> MessageWord.STATUS_CODE_SHIFT).toBe(65535);
  });

  test('a read result tells the last bytes from the failure code, 0 bytes included', () => {
    expect(encodeReadResult(5, false)).toBe(5);
    expect(encodeReadResult(0, false)).toBe(0);
    expect(encodeReadResult(0, true)).toBe(-ReadResult.EOF_BIAS);
    expect(encodeReadResult(5, true)).toBe(-7);
    for (const n of [0, 1, 4096]) expect(encodeReadResult(n, true)).not.toBe(ReadResult.FAILURE);
  });
});
