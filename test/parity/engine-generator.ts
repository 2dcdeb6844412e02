/**
 * The seeded generator of engine scripts (engine-script.ts): valid and broken frames split at
 * random points, random queueing, partial and failing I/O, calls back into the engine from its
 * callbacks. They drive the engines below the public API and libwslay itself
 * (libwslay/wslay-trace.c), so they only use what the C library can be asked to do.
 */
import { breakUtf8, genUtf8 } from './generator.js';
import type { Rng } from './rng.js';
import { encodeFrame as encodeSpec } from './session.js';

/** Exact decimal, as C's strtoull must read the same value as Number() does. */
const dec = (n: number): string => BigInt(n).toString();
const hex = (b: Uint8Array): string => (b.length === 0 ? '-' : Buffer.from(b).toString('hex'));

/** Text of up to `max` bytes, valid UTF-8 with probability `validity`. */
function textPayload(g: Rng, max: number, validity: number): Uint8Array {
  const valid = genUtf8(g, g.range(0, max));
  return g.chance(validity) ? valid : breakUtf8(g, valid).bytes;
}

function payloadLength(g: Rng, big: boolean): number {
  const r = g.float();
  if (r < 0.55) return g.range(0, 12);
  if (r < 0.75) return g.range(120, 130);
  if (r < 0.9) return g.range(0, 400);
  if (big && r < 0.97) return g.pick([4095, 4096, 4097, 5000, 8200, 65535, 65536, 70000]);
  return g.range(0, 2000);
}

interface ScriptFrame {
  fin: number;
  rsv: number;
  opcode: number;
  payload: Uint8Array;
  masked: boolean;
  /** 0: minimal length encoding; 126 or 127: forced extended form. */
  lengthForm: number;
  /** A length to announce instead of the payload's, for frames that never end. */
  announced?: number;
}

/**
 * Announced lengths up to 2^32 and past 2^53, all exact as numbers. Lengths between
 * 2^32 and the machine's memory are left out: libwslay can allocate those and the
 * fallback (limited to what one typed array holds) answers NOMEM.
 */
const HUGE_LENGTHS = [2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63 - 1024];

function encodeFrame(f: ScriptFrame, key: Uint8Array): Uint8Array {
  const n = f.announced ?? f.payload.length;
  const len = f.lengthForm === 0 ? 'min' : f.lengthForm === 126 && n <= 0xffff ? '16' : '64';
  const out = encodeSpec({
    ...f,
    rsv: f.rsv & 7,
    opcode: f.opcode & 0xf,
    mask: f.masked ? [...key] : null,
    len,
  });
  if (f.announced !== undefined) {
    // The header announces more than follows: the frame never ends.
    new DataView(out.buffer, out.byteOffset).setBigUint64(2, BigInt(f.announced));
  }
  return out;
}

const CLOSE_CODES = [
  1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 1015, 1016,
  2999, 3000, 4000, 4999, 5000, 0, 999, 65535,
];

function closePayload(g: Rng): Uint8Array {
  const r = g.float();
  if (r < 0.1) return new Uint8Array(0);
  if (r < 0.15) return g.bytes(1);
  const code = g.chance(0.85) ? g.pick(CLOSE_CODES) : g.range(0, 65535);
  const reason = textPayload(g, g.chance(0.8) ? 10 : 123, 0.85).subarray(0, 123);
  return Buffer.concat([Uint8Array.from([code >> 8, code & 0xff]), reason]);
}

/** Frames of one to a few messages, control frames interleaved, sometimes broken. */
function inputFrames(g: Rng, server: boolean, big: boolean): ScriptFrame[] {
  const frames: ScriptFrame[] = [];
  const count = g.range(1, 6);
  const frame = (fin: number, opcode: number, payload: Uint8Array): ScriptFrame => ({
    fin,
    rsv: g.chance(0.06) ? g.range(1, 7) : 0,
    opcode,
    payload,
    masked: g.chance(0.97) ? server : !server,
    lengthForm: g.chance(0.03) ? g.pick([126, 127]) : 0,
  });
  const control = (): ScriptFrame => {
    const opcode = g.pick([8, 9, 9, 10, 10, 11, 15]);
    const payload =
      opcode === 8 ? closePayload(g) : g.bytes(g.chance(0.95) ? g.range(0, 20) : g.range(120, 130));
    return frame(g.chance(0.97) ? 1 : 0, opcode, payload);
  };
  const data = (opcode: number): Uint8Array =>
    opcode === 1 || (opcode === 0 && g.chance(0.5))
      ? textPayload(g, payloadLength(g, big), g.chance(0.7) ? 1 : 0.9)
      : g.bytes(payloadLength(g, big));
  for (let i = 0; i < count; i++) {
    const r = g.float();
    if (r < 0.25) frames.push(control());
    else if (r < 0.6) {
      const opcode = g.pick([1, 1, 2]);
      frames.push(frame(1, opcode, data(opcode)));
    } else if (r < 0.92) {
      const opcode = g.pick([1, 2]);
      const pieces = g.range(2, 4);
      for (let p = 0; p < pieces; p++) {
        const fin = p === pieces - 1 ? 1 : 0;
        const op = p === 0 ? opcode : g.chance(0.95) ? 0 : g.pick([1, 2]);
        frames.push(frame(fin, op, data(op)));
        if (g.chance(0.2)) frames.push(control());
      }
    } else if (r < 0.96) {
      frames.push(frame(g.range(0, 1), g.range(0, 15), g.bytes(g.range(0, 10))));
    } else {
      const f = frame(g.range(0, 1), g.pick([0, 1, 2]), g.bytes(g.range(1, 10)));
      f.announced = g.pick(HUGE_LENGTHS);
      f.lengthForm = 127;
      frames.push(f);
      break;
    }
  }
  return frames;
}

function ioTokens(g: Rng, failures: boolean): string[] {
  const out: string[] = [];
  const n = g.range(0, 12);
  for (let i = 0; i < n; i++) {
    const r = g.float();
    if (r < 0.3) out.push('A');
    else if (r < 0.65) out.push(String(g.range(1, 12)));
    else if (r < 0.75) out.push(String(g.pick([100, 1000, 4096, 5000])));
    else if (r < 0.88) out.push('W');
    else if (!failures) out.push('A');
    else out.push(g.pick(['F', 'N', 'Z', 'N', 'Z']));
  }
  return out;
}

function queueCommand(g: Rng, sources: { next: number }, lines: string[]): void {
  const r = g.float();
  const rsv = g.chance(0.75) ? -1 : g.chance(0.5) ? 0 : g.range(1, 7);
  if (r < 0.55) {
    const opcode = g.chance(0.8) ? g.pick([1, 2, 9, 10, 8]) : g.range(0, 15);
    const len = opcode >= 8 && g.chance(0.8) ? g.range(0, 126) : payloadLength(g, true);
    const data = len > 200 ? `R${len}:${g.range(0, 255)}` : hex(g.bytes(len));
    lines.push(`q ${opcode} ${rsv} ${data}`);
  } else if (r < 0.8) {
    const id = sources.next++;
    const len = payloadLength(g, true);
    lines.push(`src ${id} ${len > 200 ? `R${len}:${g.range(0, 255)}` : hex(g.bytes(len))}`);
    const pol: string[] = [];
    for (let i = g.range(0, 5); i > 0; i--) {
      pol.push(
        g.pick(['A', 'A', String(g.range(0, 10)), '0', 'X', 'F', 'N', String(g.range(100, 5000))]),
      );
    }
    if (pol.length > 0) lines.push(`fpol ${id} ${pol.join(' ')}`);
    lines.push(`qf ${g.chance(0.9) ? g.pick([1, 2]) : g.range(0, 15)} ${rsv} ${id}`);
  } else {
    const code = g.chance(0.2) ? 0 : g.pick(CLOSE_CODES);
    const reason = g.chance(0.4)
      ? 'null'
      : hex(g.bytes(g.chance(0.9) ? g.range(0, 20) : g.range(120, 126)));
    lines.push(`qc ${code} ${reason}`);
  }
}

/** A session of engine script lines, a pure function of the generator `g`. */
export function generateEngineLines(g: Rng): string[] {
  if (g.chance(0.15)) return frameScript(g);
  const lines: string[] = [];
  const server = g.chance(0.6);
  const big = g.chance(0.25);
  const failures = g.chance(0.3);
  lines.push(
    `ctx ${server ? 'server' : 'client'} ${g.chance(0.7) ? 127 : 7 | (g.range(0, 15) << 3)}`,
  );
  if (g.chance(0.3)) lines.push(`nobuf 1`);
  if (g.chance(0.3)) {
    lines.push(
      `maxlen ${dec(g.pick([0, 1, 5, 20, 125, 126, 300, 4096, 70000, 2 ** 32, 2 ** 40, 2 ** 53 - 1]))}`,
    );
  }
  if (g.chance(0.3)) lines.push(`rsv ${g.pick([4, 4, 7, 2, 1])}`);
  if (g.chance(0.25)) {
    lines.push(
      `${g.pick(['oncb', 'oncb', 'onstart', 'onchunk'])} ${g.pick([
        'get',
        'q 1 -1 41',
        'qc 1000 null',
        'shut r',
        'shut w',
        'seterr -401',
        'q 9 -1 -',
        'q 2 4 4142',
        'seterr -400',
        'send',
        'seterr 5',
      ])}`,
    );
  }
  // A buffering change applies from the next frame in wslay, taking effect where the frame
  // starts; anywhere else inside a frame it crashes or misbehaves (see docs/parity.md).
  if (g.chance(0.1)) lines.push(`onstart nobuf ${g.range(0, 1)}`);
  if (!server && g.chance(0.1)) lines.push(`gpol ${g.pick(['F', 'P', 'M', 'aabbccdd'])}`);
  const sources = { next: 1 };
  const key = g.chance(0.5) ? Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]) : g.bytes(4);
  for (let step = g.range(3, 14); step > 0; step--) {
    const r = g.float();
    if (r < 0.3) {
      const frames = inputFrames(g, server, big);
      const stream = Buffer.concat(frames.map((f) => encodeFrame(f, key)));
      if (g.chance(0.03)) lines.push(`in ${hex(g.bytes(g.range(1, 6)))}`);
      lines.push(`in ${hex(stream)}`);
      const pol = ioTokens(g, failures);
      if (pol.length > 0) lines.push(`rpol ${pol.join(' ')}`);
      lines.push('recv');
    } else if (r < 0.5) {
      queueCommand(g, sources, lines);
    } else if (r < 0.7) {
      const pol = ioTokens(g, failures);
      if (pol.length > 0) lines.push(`spol ${pol.join(' ')}`);
      lines.push('send');
    } else if (r < 0.8) {
      lines.push('get');
    } else if (r < 0.85) {
      lines.push(g.chance(0.5) ? 'recv' : 'send');
    } else if (r < 0.88) {
      lines.push(`shut ${g.pick(['r', 'w'])}`);
    } else if (r < 0.93) {
      lines.push(`seterr ${g.pick([0, -401, -400, -300, 5, -100])}`);
    } else if (r < 0.95) {
      lines.push(`cbs ${7 | (g.range(0, 15) << 3)}`);
    } else if (r < 0.97) {
      // wslay forbids changing buffering once recv has run (and asserts if you do).
      if (!lines.includes('recv')) lines.push(`nobuf ${g.range(0, 1)}`);
      lines.push(`rsv ${g.pick([0, 4])}`);
    } else {
      lines.push(`maxlen ${g.pick([0, 3, 10, 125, 1000])}`);
    }
  }
  lines.push('get', 'send', 'get');
  return lines;
}

/** A frame API session: frames sent with partial writes, frames parsed from split input. */
function frameScript(g: Rng): string[] {
  const lines = ['fctx'];
  for (let step = g.range(2, 12); step > 0; step--) {
    if (g.chance(0.5)) {
      const pol = ioTokens(g, true);
      if (pol.length > 0) lines.push(`spol ${pol.join(' ')}`);
      if (g.chance(0.1)) lines.push(`gpol ${g.pick(['F', 'P', 'aabbccdd'])}`);
      const len = payloadLength(g, true);
      const opcode = g.chance(0.8) ? g.pick([0, 1, 2, 8, 9, 10]) : g.range(0, 15);
      const declared = g.chance(0.85)
        ? len
        : g.chance(0.3)
          ? g.pick([2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER])
          : g.chance(0.5)
            ? len + g.range(1, 5)
            : Math.max(0, len - 1);
      const data = len > 200 ? `R${len}:${g.range(0, 9)}` : hex(g.bytes(len));
      // Resend the rest of the frame, as a caller of wslay_frame_send must.
      for (let again = g.range(1, 3); again > 0; again--) {
        lines.push(
          `fsend ${g.chance(0.9) ? 1 : 0} ${g.chance(0.9) ? 0 : g.range(0, 7)} ${opcode} ` +
            `${dec(declared)} ${g.range(0, 1)} ${data}`,
        );
      }
    } else {
      const frames = inputFrames(g, g.chance(0.5), false);
      lines.push(`in ${hex(Buffer.concat(frames.map((f) => encodeFrame(f, g.bytes(4)))))}`);
      const pol = ioTokens(g, true);
      if (pol.length > 0) lines.push(`rpol ${pol.join(' ')}`);
      for (let n = g.range(1, 8); n > 0; n--) lines.push('frecv');
    }
  }
  return lines;
}
