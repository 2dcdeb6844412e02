/**
 * The seeded session generator: a session is a pure function of (seed, options).
 * It mixes valid traffic with hostile input, odd I/O behaviour and API misuse.
 */
import { generateEngineLines } from './engine-generator.js';
import { Rng } from './rng.js';
import {
  ALL_CALLBACKS,
  Cb,
  type EngineSession,
  type EventSession,
  type EventStep,
  type FrameSession,
  type FrameSpec,
  type FrameStep,
  type InputPiece,
  type IoAct,
  type Nested,
  type OpStep,
  type ReadAct,
  type Role,
  type SendFrame,
  type Session,
} from './session.js';

export interface GenOptions {
  /** Force the role of event sessions. */
  role?: Role;
  /**
   * Force the API: event or frame contexts through the public API, or engine scripts that
   * also run on libwslay itself.
   */
  api?: 'event' | 'frame' | 'engine';
  /** The most bytes (input plus queued payloads) one session moves. */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 192 * 1024;

/**
 * Bump when a change to the generator changes the session a seed gives, so that an old
 * seed is not mistaken for a fixed bug (saved JSON sessions replay the same forever).
 */
export const GENERATOR_VERSION = 7;

/** Tracks the byte budget of a session. */
class Budget {
  constructor(public left: number) {}
  /** A length from `want` clamped to what is left (small lengths are always allowed). */
  take(want: number): number {
    const n = want <= 16 ? want : Math.min(want, Math.max(16, this.left));
    this.left -= n;
    return n;
  }
}

const RESERVED_DATA = [3, 4, 5, 6, 7];
const RESERVED_CTRL = [0xb, 0xc, 0xd, 0xe, 0xf];
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
const INVALID_CODES = [
  0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 2000, 2999, 5000, 65535,
];
const MAX_RECV = [
  0,
  1,
  2,
  5,
  125,
  126,
  127,
  1000,
  4096,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 53 - 1,
];
const ERROR_CODES = [-100, -101, -200, -300, -301, -302, -400, -401, -500, 0, 1, -1];

/** Payload lengths generated lately (for limits at their edge); reset per session. */
let recentLengths: number[] = [];

function genLength(rng: Rng, budget: Budget): number {
  const want = rng.weighted<() => number>([
    [10, () => 0],
    [8, () => 1],
    [25, () => rng.range(2, 20)],
    [15, () => rng.range(21, 124)],
    [5, () => 125],
    [5, () => 126],
    [3, () => 127],
    [10, () => rng.range(128, 1000)],
    [5, () => rng.range(1001, 5000)],
    [1, () => 65535],
    [1, () => 65536],
    [0.6, () => rng.range(65537, 70000)],
  ])();
  const n = budget.take(want);
  if (recentLengths.length < 16) recentLengths.push(n);
  return n;
}

/** `n` bytes of valid UTF-8, mixing 1- to 4-byte characters. */
export function genUtf8(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const ascii = rng.chance(0.3);
  let i = 0;
  while (i < n) {
    const room = n - i;
    const r = rng.u32();
    // 6:2:2:1 odds of 1-, 2-, 3- and 4-byte characters, from the low bits of r.
    const w = r % 11;
    const width = ascii ? 1 : w < 6 ? 1 : w < 8 ? 2 : w < 10 ? 3 : 4;
    const v = r >>> 8;
    if (width > room || width === 1) {
      out[i++] = 0x20 + (v % 95);
    } else if (width === 2) {
      const cp = 0x80 + (v % 0x780);
      out[i++] = 0xc0 | (cp >> 6);
      out[i++] = 0x80 | (cp & 0x3f);
    } else if (width === 3) {
      let cp = 0x800 + (v % 0xf800);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000;
      out[i++] = 0xe0 | (cp >> 12);
      out[i++] = 0x80 | ((cp >> 6) & 0x3f);
      out[i++] = 0x80 | (cp & 0x3f);
    } else {
      const cp = 0x10000 + (v % 0x100000);
      out[i++] = 0xf0 | (cp >> 18);
      out[i++] = 0x80 | ((cp >> 12) & 0x3f);
      out[i++] = 0x80 | ((cp >> 6) & 0x3f);
      out[i++] = 0x80 | (cp & 0x3f);
    }
  }
  return out;
}

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
];

/** Overwrites bytes at a random place with an invalid sequence (a truncated one at the end). */
export function breakUtf8(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; at: number } {
  if (bytes.length === 0) return { bytes, at: -1 };
  const seq = rng.pick(INVALID_UTF8).slice(0, bytes.length);
  const at = rng.chance(0.2) ? bytes.length - seq.length : rng.int(bytes.length - seq.length + 1);
  const out = new Uint8Array(bytes);
  out.set(seq, at);
  return { bytes: out, at };
}

function genText(rng: Rng, n: number, pInvalid: number): { bytes: Uint8Array; note?: string } {
  const valid = genUtf8(rng, n);
  if (n === 0 || !rng.chance(pInvalid)) return { bytes: valid };
  const { bytes, at } = breakUtf8(rng, valid);
  return { bytes, note: `invalid UTF-8 at ${at}` };
}

function genClosePayload(rng: Rng, budget: Budget): { bytes: Uint8Array; note: string } {
  const kind = rng.weighted([
    [15, 'empty'],
    [4, 'one'],
    [60, 'valid'],
    [21, 'invalid'],
  ] as const);
  if (kind === 'empty') return { bytes: new Uint8Array(0), note: 'no status' };
  if (kind === 'one') return { bytes: new Uint8Array([rng.int(256)]), note: '1-byte payload' };
  const code =
    kind === 'valid'
      ? rng.pick(VALID_CODES)
      : rng.chance(0.2)
        ? rng.int(65536)
        : rng.pick(INVALID_CODES);
  const reasonLength = budget.take(
    rng.weighted<() => number>([
      [30, () => 0],
      [40, () => rng.range(1, 12)],
      [20, () => rng.range(13, 123)],
      [5, () => 123],
      [5, () => rng.range(124, 140)],
    ])(),
  );
  const reason = genText(rng, reasonLength, 0.25);
  const bytes = new Uint8Array(2 + reason.bytes.length);
  bytes[0] = code >> 8;
  bytes[1] = code & 0xff;
  bytes.set(reason.bytes, 2);
  return {
    bytes,
    note: `code ${code}, reason ${reasonLength} bytes${reason.note ? `, ${reason.note}` : ''}`,
  };
}

interface FrameStyle {
  /** Whether frames from the peer should be masked (a client peer masks). */
  masked: boolean;
  /** Probability of any one hostile tweak per frame. */
  hostile: number;
}

function frame(
  rng: Rng,
  style: FrameStyle,
  fin: number,
  opcode: number,
  payload: Uint8Array,
  note?: string,
): FrameSpec {
  const wrongMask = rng.chance(style.hostile * 0.3);
  const masked = wrongMask ? !style.masked : style.masked;
  const mask = masked ? (rng.chance(0.1) ? [0, 0, 0, 0] : Array.from(rng.bytes(4))) : null;
  const f: FrameSpec = { fin, rsv: 0, opcode, mask, len: 'min', payload };
  const notes = note ? [note] : [];
  if (wrongMask)
    notes.push(masked ? 'masked (wrong for this role)' : 'unmasked (wrong for this role)');
  if (rng.chance(style.hostile * 0.5)) {
    f.rsv = rng.range(1, 7);
    notes.push(`rsv ${f.rsv}`);
  }
  if (rng.chance(style.hostile * 0.6)) {
    f.len = rng.weighted([
      [4, '16'],
      [4, '64'],
      [2, '64msb'],
    ] as const);
    if (f.len === '16' && payload.length > 0xffff) f.len = '64';
    notes.push(`length as ${f.len}`);
  }
  if (rng.chance(style.hostile * 0.25)) {
    const total = (f.mask ? 6 : 2) + payload.length + (payload.length >= 126 ? 2 : 0);
    f.cut = rng.int(total);
    notes.push(`truncated to ${f.cut} bytes`);
  }
  if (notes.length) f.note = notes.join('; ');
  return f;
}

function genControlFrame(rng: Rng, style: FrameStyle, budget: Budget): FrameSpec {
  const opcode = rng.weighted([
    [10, 9],
    [8, 10],
    [5, 8],
    [1, -1],
  ] as const);
  if (opcode === 8) {
    const { bytes, note } = genClosePayload(rng, budget);
    return frame(rng, style, 1, 8, bytes, note);
  }
  const realOpcode = opcode === -1 ? rng.pick(RESERVED_CTRL) : opcode;
  const oversize = rng.chance(style.hostile * 0.2);
  const n = oversize
    ? budget.take(rng.range(126, 300))
    : rng.weighted([
        [3, 0],
        [6, rng.range(1, 20)],
        [1, rng.range(21, 125)],
      ] as const);
  const nonFin = rng.chance(style.hostile * 0.15);
  return frame(
    rng,
    style,
    nonFin ? 0 : 1,
    realOpcode,
    rng.bytes(n),
    [oversize ? 'oversized control frame' : '', nonFin ? 'fragmented control frame' : '']
      .filter(Boolean)
      .join('; ') || undefined,
  );
}

/** One message's worth of peer frames (maybe fragmented, maybe interleaved with control frames). */
function genIncoming(rng: Rng, style: FrameStyle, budget: Budget): InputPiece[] {
  const kind = rng.weighted([
    [40, 'data'],
    [20, 'fragmented'],
    [22, 'control'],
    [3, 'reserved'],
    [3, 'continuation'],
    [3, 'raw'],
  ] as const);
  switch (kind) {
    case 'control':
      return [genControlFrame(rng, style, budget)];
    case 'reserved': {
      const opcode = rng.pick([...RESERVED_DATA, ...RESERVED_CTRL]);
      return [
        frame(rng, style, 1, opcode, rng.bytes(budget.take(rng.range(0, 10))), 'reserved opcode'),
      ];
    }
    case 'continuation':
      return [
        frame(
          rng,
          style,
          rng.int(2),
          0,
          rng.bytes(budget.take(rng.range(0, 10))),
          'continuation with no message',
        ),
      ];
    case 'raw':
      return [{ raw: rng.bytes(rng.range(1, 24)), note: 'garbage' }];
    default: {
      const text = rng.chance(0.55);
      const n = genLength(rng, budget);
      const { bytes, note } = text
        ? genText(rng, n, 0.15)
        : { bytes: rng.bytes(n), note: undefined };
      const opcode = text ? 1 : 2;
      if (kind === 'data') return [frame(rng, style, 1, opcode, bytes, note)];
      const parts = rng.range(2, 5);
      const cuts = Array.from({ length: parts - 1 }, () => rng.int(bytes.length + 1)).sort(
        (a, b) => a - b,
      );
      const bounds = [0, ...cuts, bytes.length];
      const out: InputPiece[] = [];
      for (let i = 0; i < parts; i++) {
        const last = i === parts - 1;
        let op = i === 0 ? opcode : 0;
        let fin = last ? 1 : 0;
        const notes: string[] = [];
        if (i === 0 && note) notes.push(note);
        if (i > 0 && rng.chance(style.hostile * 0.2)) {
          op = opcode;
          notes.push('data opcode inside a fragmented message');
        }
        if (last && rng.chance(style.hostile * 0.2)) {
          fin = 0;
          notes.push('last fragment without FIN');
        }
        out.push(
          frame(
            rng,
            style,
            fin,
            op,
            bytes.subarray(bounds[i], bounds[i + 1]),
            `fragment ${i + 1}/${parts}${notes.length ? `; ${notes.join('; ')}` : ''}`,
          ),
        );
        if (!last && rng.chance(0.3)) out.push(genControlFrame(rng, style, budget));
      }
      return out;
    }
  }
}

function genIoPlan(rng: Rng, kind: 'recv' | 'send', hostile: number): IoAct[] {
  const sizes = (): IoAct[] => {
    const count = rng.range(1, 6);
    return Array.from({ length: count }, () =>
      rng.weighted<() => number>([
        [4, () => 1],
        [3, () => rng.range(2, 8)],
        [3, () => rng.range(9, 300)],
        [1, () => rng.range(301, 5000)],
        [kind === 'send' ? 0.5 : 0, () => 0],
      ])(),
    );
  };
  const terminal = (): IoAct =>
    rng.weighted<IoAct>([
      [3, 'Z'],
      [3, 'F'],
      [2, 'N'],
      [2, 'T'],
      [2, { err: rng.pick(ERROR_CODES) }],
    ]);
  return rng.weighted<() => IoAct[]>([
    [40, () => []],
    [10, () => Array.from({ length: rng.range(2, 60) }, () => 1)],
    [25, () => sizes()],
    [12, () => [...sizes(), 'W']],
    [8, () => ['W']],
    [hostile * 40, () => (rng.chance(0.5) ? [terminal()] : [...sizes(), terminal()])],
  ])();
}

function genReads(rng: Rng, budget: Budget): ReadAct[] {
  const count = rng.range(0, 8);
  const reads: ReadAct[] = [];
  for (let i = 0; i < count; i++) {
    reads.push(
      rng.weighted<() => ReadAct>([
        [
          10,
          () => ({
            n: budget.take(
              rng.weighted<() => number>([
                [3, () => rng.range(1, 10)],
                [3, () => rng.range(11, 300)],
                [1, () => rng.range(301, 5000)],
              ])(),
            ),
          }),
        ],
        [3, () => ({ n: 0 })],
        [0.4, () => 'F'],
        [0.3, () => 'T'],
        [0.2, () => 'X'],
      ])(),
    );
  }
  if (rng.chance(0.8)) reads.push({ n: budget.take(rng.range(0, 20)), eof: true });
  return reads;
}

function genCallbackMask(rng: Rng): number {
  if (rng.chance(0.6)) return ALL_CALLBACKS;
  let mask = Cb.recv | Cb.send;
  for (const bit of [
    Cb.genmask,
    Cb.onFrameRecvStart,
    Cb.onFrameRecvChunk,
    Cb.onFrameRecvEnd,
    Cb.onMsgRecv,
  ]) {
    if (rng.chance(0.6)) mask |= bit;
  }
  if (rng.chance(0.1)) mask &= ~(rng.chance(0.5) ? Cb.recv : Cb.send);
  return mask;
}

function genOp(rng: Rng, budget: Budget, hostile: number, nested: boolean): OpStep {
  const kind = rng.weighted([
    [30, 'queueMsg'],
    [nested ? 2 : 10, 'queueFrag'],
    [10, 'queueClose'],
    [3, 'noBuffering'],
    [3, 'maxRecv'],
    [3, 'rsvBits'],
    [hostile * 4, 'callbacks'],
    [hostile * 4, 'shutdownRead'],
    [hostile * 4, 'shutdownWrite'],
    [hostile * 4, 'setError'],
    [nested ? 2 : 12, 'recvFrom'],
    [nested ? 2 : 12, 'sendAll'],
  ] as const);
  const rsv = () => (rng.chance(0.2) ? rng.int(8) : undefined);
  switch (kind) {
    case 'queueMsg': {
      const opcode = rng.weighted<() => number>([
        [30, () => 1],
        [30, () => 2],
        [8, () => 9],
        [8, () => 10],
        [3, () => 8],
        [3, () => 0],
        [2, () => rng.pick(RESERVED_DATA)],
        [2, () => rng.pick(RESERVED_CTRL)],
      ])();
      const ctrl = opcode >= 8;
      const n = ctrl
        ? rng.chance(0.9)
          ? rng.range(0, 125)
          : budget.take(rng.range(126, 200))
        : nested
          ? rng.range(0, 40)
          : genLength(rng, budget);
      const msg = opcode === 1 ? genText(rng, n, 0.1).bytes : rng.bytes(n);
      return { op: 'queueMsg', opcode, msg, rsv: rsv() };
    }
    case 'queueFrag': {
      const opcode = rng.weighted<() => number>([
        [40, () => 1],
        [40, () => 2],
        [3, () => 0],
        [5, () => rng.range(8, 15)],
        [3, () => rng.pick(RESERVED_DATA)],
      ])();
      return {
        op: 'queueFrag',
        opcode,
        rsv: rsv(),
        salt: rng.int(256),
        reads: genReads(rng, budget),
      };
    }
    case 'queueClose': {
      if (rng.chance(0.15)) return { op: 'queueClose' };
      const code = rng.chance(0.7)
        ? rng.pick(VALID_CODES)
        : rng.chance(0.3)
          ? rng.int(65536)
          : rng.pick(INVALID_CODES);
      if (rng.chance(0.4)) return { op: 'queueClose', code };
      const n = rng.weighted<() => number>([
        [2, () => 0],
        [6, () => rng.range(1, 20)],
        [2, () => rng.range(21, 122)],
        [1, () => 123],
        [1, () => 124],
        [1, () => rng.range(125, 200)],
      ])();
      return { op: 'queueClose', code, reason: genText(rng, n, 0.2).bytes };
    }
    case 'noBuffering':
      return { op: 'noBuffering', on: rng.chance(0.6) };
    case 'maxRecv': {
      // Often right at the size of a message the peer sends: the limit's edge.
      const near = recentLengths.length > 0 && rng.chance(0.4);
      const length = near
        ? Math.max(0, rng.pick(recentLengths) + rng.range(-1, 1))
        : rng.chance(0.2)
          ? rng.range(0, 300)
          : rng.pick(MAX_RECV);
      return { op: 'maxRecv', length };
    }
    case 'rsvBits':
      return { op: 'rsvBits', bits: rng.int(8) };
    case 'recvFrom':
      return { op: 'recvFrom', max: rng.chance(0.6) ? 0 : rng.range(1, 300) };
    case 'sendAll':
      return nested
        ? { op: 'sendAll' }
        : { op: 'sendAll', inside: genNested(rng, budget, hostile, 'send') };
    case 'callbacks':
      return { op: 'callbacks', mask: genCallbackMask(rng) };
    case 'shutdownRead':
      return { op: 'shutdownRead' };
    case 'shutdownWrite':
      return { op: 'shutdownWrite' };
    case 'setError':
      return {
        op: 'setError',
        code: rng.chance(0.8) ? rng.pick(ERROR_CODES) : rng.range(-1000, 1000),
      };
  }
}

function genNested(
  rng: Rng,
  budget: Budget,
  hostile: number,
  kind: 'recv' | 'send',
): Nested[] | undefined {
  if (!rng.chance(0.15)) return undefined;
  return Array.from({ length: rng.range(1, 2) }, () => ({
    at: rng.range(0, 8),
    // recv() inside recv() (and send() inside send()) is refused by the API: the other one only.
    step: rng.weighted<() => OpStep>([
      [2, () => ({ op: 'io', kind: kind === 'recv' ? 'send' : 'recv' })],
      [3, () => ({ op: 'state' })],
      [6, () => genOp(rng, budget, hostile, true)],
      // The running call's own I/O callback removed from inside it: the new mask waits for
      // the call to return, and wslay's next call of the removed callback fails it.
      [0.15, () => ({ op: 'callbacks', mask: genCallbackMask(rng) & ~Cb[kind] })],
    ])(),
  }));
}

export function generateEventSession(seed: number, options: GenOptions = {}): EventSession {
  const rng = new Rng(seed);
  recentLengths = [];
  const role: Role = options.role ?? (rng.chance(0.5) ? 'server' : 'client');
  const budget = new Budget(options.maxBytes ?? DEFAULT_MAX_BYTES);
  // Sessions differ in temperament: most are mostly valid, some are hostile throughout.
  const hostile = rng.weighted([
    [5, 0],
    [10, 0.05],
    [6, 0.2],
    [3, 0.6],
  ] as const);
  const style: FrameStyle = { masked: role === 'server', hostile };
  const callbacks = rng.chance(0.85) ? ALL_CALLBACKS : genCallbackMask(rng);
  const genmaskFail = rng.chance(0.05) ? [rng.int(4)] : [];
  const length = rng.weighted<() => number>([
    [3, () => rng.range(1, 6)],
    [5, () => rng.range(6, 20)],
    [2, () => rng.range(20, 60)],
  ])();
  const steps: EventStep[] = [];
  // No-buffering mode can only be chosen before the first recv(): often at the start.
  if (rng.chance(0.08)) steps.push({ op: 'noBuffering', on: true });
  for (let i = 0; i < length && budget.left > 0; i++) {
    const what = rng.weighted([
      [30, 'input'],
      [25, 'recv'],
      [18, 'op'],
      [20, 'send'],
      [7, 'exchange'],
      [7, 'batch'],
    ] as const);
    if (what === 'input') {
      const pieces: InputPiece[] = [];
      const count = rng.weighted([
        [6, 1],
        [3, 2],
        [1, 4],
      ] as const);
      for (let k = 0; k < count; k++) pieces.push(...genIncoming(rng, style, budget));
      steps.push({ op: 'input', pieces });
    } else if (what === 'recv' || what === 'send') {
      steps.push({
        op: what,
        plan: genIoPlan(rng, what, hostile),
        inside: genNested(rng, budget, hostile, what),
      });
    } else if (what === 'op') {
      steps.push(genOp(rng, budget, hostile, false));
    } else if (what === 'batch') {
      // A socket layer's turn: one read handed over with recvFrom(), one flush with sendAll().
      steps.push({ op: 'input', pieces: genIncoming(rng, style, budget) });
      steps.push(
        { op: 'recvFrom', max: 0 },
        { op: 'sendAll', inside: genNested(rng, budget, hostile, 'send') },
      );
    } else {
      steps.push({ op: 'input', pieces: genIncoming(rng, style, budget) });
      steps.push({
        op: 'recv',
        plan: genIoPlan(rng, 'recv', hostile),
        inside: genNested(rng, budget, hostile, 'recv'),
      });
      steps.push({
        op: 'send',
        plan: genIoPlan(rng, 'send', hostile),
        inside: genNested(rng, budget, hostile, 'send'),
      });
    }
  }
  if (rng.chance(0.7)) steps.push({ op: 'recv', plan: [] }, { op: 'send', plan: [] });
  for (const s of steps) {
    if ((s.op === 'recv' || s.op === 'send' || s.op === 'sendAll') && s.inside === undefined)
      delete s.inside;
  }
  stripUndefined(steps);
  return { api: 'event', role, seed, callbacks, genmaskFail, steps };
}

export function generateFrameSession(seed: number, options: GenOptions = {}): FrameSession {
  const rng = new Rng(seed);
  recentLengths = [];
  const budget = new Budget(options.maxBytes ?? DEFAULT_MAX_BYTES);
  const hostile = rng.weighted([
    [5, 0],
    [10, 0.05],
    [6, 0.2],
    [3, 0.6],
  ] as const);
  const frames: SendFrame[] = [];
  const steps: FrameStep[] = [];
  const length = rng.range(1, 25);
  const style: FrameStyle = { masked: rng.chance(0.5), hostile };
  for (let i = 0; i < length && budget.left > 0; i++) {
    const what = rng.weighted([
      [30, 'input'],
      [30, 'frecv'],
      [30, 'fsend'],
    ] as const);
    if (what === 'input') {
      const pieces: InputPiece[] = [];
      for (let k = rng.range(1, 3); k > 0; k--) {
        style.masked = rng.chance(0.5);
        pieces.push(...genIncoming(rng, style, budget));
      }
      steps.push({ op: 'input', pieces });
    } else if (what === 'frecv') {
      const plan = genIoPlan(rng, 'recv', hostile).map((a) =>
        a === 'F' || a === 'N' || typeof a === 'object' ? 'W' : a,
      );
      steps.push({ op: 'frecv', calls: rng.range(1, 8), plan });
    } else {
      const opcode = rng.weighted<() => number>([
        [30, () => 1],
        [30, () => 2],
        [10, () => 0],
        [15, () => rng.pick([8, 9, 10])],
        [3, () => rng.pick(RESERVED_DATA)],
        [3, () => rng.pick(RESERVED_CTRL)],
      ])();
      const n = opcode >= 8 && rng.chance(0.9) ? rng.range(0, 125) : genLength(rng, budget);
      const payloadLength = rng.chance(hostile * 0.3) ? n + rng.range(1, 100) : n;
      const id = frames.length;
      frames.push({
        fin: rng.chance(0.85) ? 1 : 0,
        rsv: rng.chance(0.1) ? rng.int(8) : 0,
        opcode,
        mask: rng.int(2),
        payloadLength,
        payload: rng.bytes(n),
      });
      let left = n;
      const calls = rng.range(1, 4);
      for (let c = 0; c < calls; c++) {
        const last = c === calls - 1;
        const take = last ? null : rng.int(left + 1);
        if (take !== null) left -= take;
        const plan = genIoPlan(rng, 'send', hostile).map((a) =>
          a === 'F' || a === 'N' || typeof a === 'object' ? 'W' : a,
        );
        const step: FrameStep = { op: 'fsend', frame: id, take, plan };
        if (rng.chance(hostile * 0.1)) step.extra = rng.range(1, 10);
        steps.push(step);
      }
    }
  }
  if (rng.chance(0.5)) steps.push({ op: 'frecv', calls: 4, plan: [] });
  const genmaskFail = rng.chance(0.05) ? [rng.int(3)] : [];
  return { api: 'frame', seed, frames, genmaskFail, steps };
}

/** An engine session: script lines for both engines and libwslay itself (engine-script.ts). */
export function generateEngineSession(seed: number): EngineSession {
  return { api: 'engine', seed, lines: generateEngineLines(new Rng(seed)) };
}

export function generateSession(seed: number, options: GenOptions = {}): Session {
  const pick = mixPick(seed);
  const api =
    options.api ??
    (options.role !== undefined || pick < 0.7 ? 'event' : pick < 0.85 ? 'frame' : 'engine');
  if (api === 'event') return generateEventSession(seed, options);
  return api === 'frame' ? generateFrameSession(seed, options) : generateEngineSession(seed);
}

/** A uniform [0,1) value from the seed alone, independent of the session's own stream. */
function mixPick(seed: number): number {
  return new Rng(seed ^ 0x5a5a5a5a).float();
}

/** Drops `undefined` properties, so sessions round-trip through JSON unchanged. */
function stripUndefined(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(stripUndefined);
  } else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) delete (value as Record<string, unknown>)[k];
      else stripUndefined(v);
    }
  }
}
