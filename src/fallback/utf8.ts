import { isUtf8 } from 'node:buffer';

/**
 * Strict streaming UTF-8 validation (Unicode Table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF). The automaton rejects at the first byte that cannot start or
 * continue a well-formed sequence, which is what wslay does; a chunk that is rejected
 * anywhere is refused whole, so only the verdict and the carried state matter.
 */

const ACCEPT = 0;
const REJECT = 1;
/** Expecting 1, 2 or 3 more bytes in 80..BF. */
const NEED1 = 2;
const NEED2 = 3;
const NEED3 = 4;
/** After E0 (A0..BF next), ED (80..9F next), F0 (90..BF next), F4 (80..8F next). */
const AFTER_E0 = 5;
const AFTER_ED = 6;
const AFTER_F0 = 7;
const AFTER_F4 = 8;
const STATES = 9;

/** Byte classes: bytes in one class move every state the same way. */
const Cls = {
  Ascii: 0,
  Cont80: 1,
  Cont90: 2,
  ContA0: 3,
  Invalid: 4,
  Lead2: 5,
  E0: 6,
  Lead3: 7,
  ED: 8,
  F0: 9,
  Lead4: 10,
  F4: 11,
  Count: 12,
} as const;

const byteClass = new Uint8Array(256);
const transitions = new Uint8Array(STATES * Cls.Count).fill(REJECT);

function buildTables(): void {
  const classify = (from: number, to: number, cls: number) => byteClass.fill(cls, from, to + 1);
  classify(0x00, 0x7f, Cls.Ascii);
  classify(0x80, 0x8f, Cls.Cont80);
  classify(0x90, 0x9f, Cls.Cont90);
  classify(0xa0, 0xbf, Cls.ContA0);
  classify(0xc0, 0xc1, Cls.Invalid);
  classify(0xc2, 0xdf, Cls.Lead2);
  classify(0xe0, 0xe0, Cls.E0);
  classify(0xe1, 0xef, Cls.Lead3);
  classify(0xed, 0xed, Cls.ED);
  classify(0xf0, 0xf0, Cls.F0);
  classify(0xf1, 0xf3, Cls.Lead4);
  classify(0xf4, 0xf4, Cls.F4);
  classify(0xf5, 0xff, Cls.Invalid);

  const on = (state: number, classes: number[], next: number) => {
    for (const c of classes) transitions[state * Cls.Count + c] = next;
  };
  const anyCont = [Cls.Cont80, Cls.Cont90, Cls.ContA0];
  on(ACCEPT, [Cls.Ascii], ACCEPT);
  on(ACCEPT, [Cls.Lead2], NEED1);
  on(ACCEPT, [Cls.E0], AFTER_E0);
  on(ACCEPT, [Cls.Lead3], NEED2);
  on(ACCEPT, [Cls.ED], AFTER_ED);
  on(ACCEPT, [Cls.F0], AFTER_F0);
  on(ACCEPT, [Cls.Lead4], NEED3);
  on(ACCEPT, [Cls.F4], AFTER_F4);
  on(NEED1, anyCont, ACCEPT);
  on(NEED2, anyCont, NEED1);
  on(NEED3, anyCont, NEED2);
  on(AFTER_E0, [Cls.ContA0], NEED1);
  on(AFTER_ED, [Cls.Cont80, Cls.Cont90], NEED1);
  on(AFTER_F0, [Cls.Cont90, Cls.ContA0], NEED2);
  on(AFTER_F4, [Cls.Cont80], NEED2);
}
buildTables();

/** Below this many bytes a plain loop beats a call into the native validator. */
const NATIVE_THRESHOLD = 32;

/** Length of the sequence a lead byte starts; 1 for bytes that cannot lead one. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

export class Utf8Validator {
  #state = ACCEPT;

  reset(): void {
    this.#state = ACCEPT;
  }

  /** True when the bytes so far end on a character boundary. */
  get complete(): boolean {
    return this.#state === ACCEPT;
  }

  /** Feeds `buf[start, end)`; false once the input can no longer be valid UTF-8. */
  update(buf: Uint8Array, start: number, end: number): boolean {
    let i = start;
    let state = this.#state;
    // Finish a sequence carried over from the previous chunk byte by byte.
    while (state !== ACCEPT && state !== REJECT && i < end) {
      state = transitions[state * Cls.Count + byteClass[buf[i++]!]!]!;
    }
    if (state === ACCEPT && end - i >= NATIVE_THRESHOLD) {
      // The native check only judges whole sequences, so hand it everything up to the
      // last lead byte whose sequence is cut off by the chunk's end.
      let cut = end;
      for (let j = end - 1; j >= end - 4 && j >= i; j--) {
        const b = buf[j]!;
        if ((b & 0xc0) !== 0x80) {
          if (j + sequenceLength(b) > end) cut = j;
          break;
        }
      }
      if (!isUtf8(buf.subarray(i, cut))) {
        this.#state = REJECT;
        return false;
      }
      i = cut;
    }
    while (i < end && state !== REJECT) {
      state = transitions[state * Cls.Count + byteClass[buf[i++]!]!]!;
    }
    this.#state = state;
    return state !== REJECT;
  }
}
