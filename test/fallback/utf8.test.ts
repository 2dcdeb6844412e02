import { describe, expect, test } from 'vitest';
import { Utf8Validator } from '../../src/fallback/utf8.js';
import { Rng } from '../parity/rng.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

/** Feeds `chunks` one by one; the index of the chunk that was refused, or -1. */
function refusedChunk(chunks: Uint8Array[]): { refused: number; complete: boolean } {
  const v = new Utf8Validator();
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    if (!v.update(c, 0, c.length)) return { refused: i, complete: false };
  }
  return { refused: -1, complete: v.complete };
}

/** What a strict decoder says of the whole input. */
function isValid(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

describe('Utf8Validator', () => {
  test('accepts ASCII, 2-, 3- and 4-byte characters, up to U+10FFFF', () => {
    const s = Buffer.from('a\u00e9\u07ff\u0800\ud7ff\ue000\uffff\u{10000}\u{10ffff}');
    expect(refusedChunk([s])).toEqual({ refused: -1, complete: true });
  });

  test.each([
    ['a lone continuation byte', [0x80]],
    ['C0 and C1 (always overlong)', [0xc1, 0xbf]],
    ['an overlong 3-byte form', [0xe0, 0x9f]],
    ['a surrogate', [0xed, 0xa0]],
    ['an overlong 4-byte form', [0xf0, 0x8f]],
    ['a code point above U+10FFFF', [0xf4, 0x90]],
    ['F5 and above', [0xf5]],
    ['a lead byte followed by ASCII', [0xc3, 0x41]],
  ])('rejects %s at the first byte that rules out a valid sequence', (_name, seq) => {
    // Split right after the offending byte: the chunk holding it is refused.
    expect(refusedChunk([bytes(0x61, ...seq), bytes(0x80, 0x80)]).refused).toBe(0);
  });

  test('a sequence cut at a chunk boundary is carried over, and checked on arrival', () => {
    expect(refusedChunk([bytes(0xf0, 0x9f), bytes(0x98), bytes(0x80)])).toEqual({
      refused: -1,
      complete: true,
    });
    expect(refusedChunk([bytes(0xf0, 0x9f), bytes(0x98), bytes(0x41)]).refused).toBe(2);
  });

  test('input ending inside a character is not complete', () => {
    expect(refusedChunk([bytes(0x41, 0xe2, 0x82)])).toEqual({ refused: -1, complete: false });
  });

  test('long chunks (the native fast path) judge cut sequences like the byte automaton', () => {
    const head = Buffer.alloc(40, 0x61);
    const euro = bytes(0xe2, 0x82, 0xac);
    for (let cut = 0; cut <= 3; cut++) {
      const first = Buffer.concat([head, euro.subarray(0, cut)]);
      expect(refusedChunk([first, euro.subarray(cut)])).toEqual({ refused: -1, complete: true });
    }
    expect(refusedChunk([Buffer.concat([head, bytes(0xe0, 0x80)])]).refused).toBe(0);
    expect(refusedChunk([Buffer.concat([head, bytes(0x80, 0x80, 0x80, 0x80)])]).refused).toBe(0);
    expect(refusedChunk([Buffer.concat([head, bytes(0xf8)])]).refused).toBe(0);
  });

  test('a long chunk may end inside any kind of sequence: the rest completes it', () => {
    // First and last lead byte of each kind, with a continuation each accepts.
    const sequences = [
      [0xc2, 0x80],
      [0xdf, 0xbf],
      [0xe0, 0xa0, 0x80],
      [0xef, 0xbf, 0xbf],
      [0xf0, 0x90, 0x80, 0x80],
      [0xf4, 0x8f, 0xbf, 0xbf],
    ];
    const head = Buffer.alloc(40, 0x61);
    for (const seq of sequences) {
      for (let cut = 1; cut < seq.length; cut++) {
        const first = Buffer.concat([head, bytes(...seq.slice(0, cut))]);
        expect(
          refusedChunk([first, bytes(...seq.slice(cut))]),
          `${seq.join()} cut at ${cut}`,
        ).toEqual({
          refused: -1,
          complete: true,
        });
      }
    }
  });

  test('reset() forgets a sequence left unfinished', () => {
    const v = new Utf8Validator();
    expect(v.update(bytes(0xe2, 0x82), 0, 2)).toBe(true);
    expect(v.complete).toBe(false);
    v.reset();
    expect(v.complete).toBe(true);
    expect(v.update(bytes(0x41), 0, 1)).toBe(true);
    expect(v.complete).toBe(true);
  });

  test('agrees with a strict decoder on random input split at random points', () => {
    const rng = new Rng(7);
    const rand = () => rng.float();
    const pieces = [
      [0x61],
      [0xc3, 0xa9],
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xed, 0x9f, 0xbf],
      [0xf4, 0x8f, 0xbf, 0xbf],
      [0x80],
      [0xc0],
      [0xed, 0xa0],
      [0xf4, 0x90],
      [0xe0, 0x9f],
      [0xff],
    ];
    for (let round = 0; round < 3000; round++) {
      const parts: number[] = [];
      const count = Math.floor(rand() * 60);
      for (let i = 0; i < count; i++) {
        const valid = rand() < 0.97;
        parts.push(...pieces[Math.floor(rand() * (valid ? 6 : pieces.length))]!);
      }
      const all = Uint8Array.from(parts);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < all.length;) {
        const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 80));
        chunks.push(all.subarray(at, at + n));
        at += n;
      }
      const { refused, complete } = refusedChunk(chunks);
      expect(refused === -1 && complete).toBe(isValid(all));
    }
  });
});
