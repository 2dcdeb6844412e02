/**
 * Tests of the parity harness itself: the generator is deterministic and covers what it
 * should, the runner is deterministic, the shrinker reduces a planted difference, and a
 * known deviation is classified as such without hiding other differences.
 */
import { isUtf8 } from 'node:buffer';
import { describe, expect, test } from 'vitest';
import { nativeLoadError } from '../../src/index.js';
import { runCampaign } from './campaign.js';
import { CrashProbe, runPool, shrinkCrash } from './pool.js';
import { backendSides, checkSession, firstDifference, type Sides } from './compare.js';
import { formatFailure, formatSession } from './format.js';
import { generateEventSession, generateSession, DEFAULT_MAX_BYTES } from './generator.js';
import {
  affectedCloseFrames,
  closeReasonChunkSkip,
  correctCloseReasonOutcome,
  wslayCloseReasonOutcome,
} from './known-differences.js';
import { Rng, sessionSeed } from './rng.js';
import { wslayTraceBinary, runLibwslay } from './libwslay.js';
import { LibwslayCrash, runSession, type Trace } from './runner.js';
import {
  ALL_CALLBACKS,
  Cb,
  encodeFrame,
  inputStream,
  isRaw,
  sessionBytes,
  sessionFromJson,
  sessionLength,
  sessionToJson,
  type EventSession,
  type EventStep,
  type FrameSpec,
  type Session,
} from './session.js';
import { shrink } from './shrink.js';
import { isValidUtf8, payloadChunks, scanFrames } from './wire-scan.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const nativeOk = nativeLoadError === null;

/** Sides where the "fallback" is the native backend with a planted defect. */
function planted(tamper: (session: Session, trace: Trace) => Trace): Sides {
  return {
    native: (s) => runSession(s, 'native'),
    fallback: (s) => ({ ...tamper(s, runSession(s, 'native')), backend: 'fallback' }),
    libwslay: () => null,
  };
}

const mapEntries = (t: Trace, f: (e: string, i: number) => string): Trace => ({
  ...t,
  entries: t.entries.map(f),
});

/**
 * The three operations that crashed the native backend, or made it hand out uninitialised
 * memory, before the TypeScript layer refused or deferred them (docs/parity.md, "Native
 * crashes found by the harness"). Each is now run as is, on both backends.
 */
const REFUSED =
  '! Error: configSetNoBuffering() must be called before the first recv(), as wslay requires';
const removedError = (kind: 'recv' | 'send') =>
  `! Error: the ${kind} callback was removed by configSetCallbacks()`;
const eventBase: Omit<EventSession, 'steps'> = {
  api: 'event',
  role: 'client',
  seed: 1,
  callbacks: ALL_CALLBACKS,
  genmaskFail: [],
};
const formerCrashes: Record<string, EventSession> = {
  // SIGABRT (assert(queue->tail)): buffering back on inside a frame that started unbuffered,
  // between recv() calls and inside onFrameRecvChunk.
  bufferingOnMidFrame: {
    ...eventBase,
    steps: [
      { op: 'noBuffering', on: true },
      { op: 'input', pieces: [{ raw: hex('820a0102') }] },
      { op: 'recv', plan: [] },
      { op: 'noBuffering', on: false },
      { op: 'input', pieces: [{ raw: hex('0304050607080910') }] },
      { op: 'recv', plan: [], inside: [{ at: 1, step: { op: 'noBuffering', on: false } }] },
    ],
  },
  // Uninitialised memory: buffering off in the middle of a buffered frame, back on before
  // the message ends; onMsgRecv got 1 byte + 25 bytes of heap.
  bufferingOffMidFrame: {
    ...eventBase,
    steps: [
      { op: 'input', pieces: [{ raw: hex('021a61') }] },
      { op: 'recv', plan: [] },
      { op: 'noBuffering', on: true },
      { op: 'input', pieces: [{ raw: new Uint8Array(25).fill(0x61) }] },
      { op: 'recv', plan: [] },
      { op: 'noBuffering', on: false },
      { op: 'input', pieces: [{ raw: hex('8000') }] },
      { op: 'recv', plan: [], inside: [{ at: 1, step: { op: 'noBuffering', on: true } }] },
    ],
  },
  // SIGSEGV: the recv callback removes itself and returns a whole ping; wslay called the
  // NULL C callback on its next turn.
  recvRemovedInside: {
    ...eventBase,
    role: 'server',
    steps: [
      { op: 'input', pieces: [{ raw: hex('898001020304') }] },
      { op: 'recv', plan: [], inside: [{ at: 0, step: { op: 'callbacks', mask: Cb.send } }] },
      { op: 'send', plan: [] },
      { op: 'recv', plan: [] },
    ],
  },
  // The same on the send side: the send callback takes 2 bytes and removes itself.
  sendRemovedInside: {
    ...eventBase,
    role: 'server',
    steps: [
      { op: 'queueMsg', opcode: 1, msg: hex('68656c6c6f') },
      {
        op: 'send',
        plan: [2],
        inside: [{ at: 0, step: { op: 'callbacks', mask: ALL_CALLBACKS & ~Cb.send } }],
      },
      { op: 'send', plan: [] },
    ],
  },
};

/** A planted bug: a ping of 3 bytes or more is reported as a pong. */
const pingAsPong = planted((_s, t) =>
  mapEntries(t, (e) =>
    /^onMsgRecv\(rsv=\d, opcode=9, statusCode=0, msg=[0-9a-f]{6,}\)$/.test(e)
      ? e.replace('opcode=9', 'opcode=10')
      : e,
  ),
);

describe('session model', () => {
  test('frames encode as in RFC 6455 §5.7', () => {
    const frame = (f: Partial<FrameSpec>): FrameSpec => ({
      fin: 1,
      rsv: 0,
      opcode: 1,
      mask: null,
      len: 'min',
      payload: new Uint8Array(),
      ...f,
    });
    expect(toHex(encodeFrame(frame({ payload: Buffer.from('Hello') })))).toBe('810548656c6c6f');
    expect(
      toHex(encodeFrame(frame({ payload: Buffer.from('Hello'), mask: [0x37, 0xfa, 0x21, 0x3d] }))),
    ).toBe('818537fa213d7f9f4d5158');
    expect(toHex(encodeFrame(frame({ opcode: 2, payload: new Uint8Array(256) }))).slice(0, 8)).toBe(
      '827e0100',
    );
    expect(
      toHex(encodeFrame(frame({ opcode: 2, payload: new Uint8Array(65536) }))).slice(0, 20),
    ).toBe('827f0000000000010000');
    expect(toHex(encodeFrame(frame({ len: '16', payload: hex('41') })))).toBe('817e000141');
    expect(toHex(encodeFrame(frame({ len: '64msb', payload: hex('41') })))).toBe(
      '817f800000000000000141',
    );
    expect(toHex(encodeFrame(frame({ payload: hex('414243'), cut: 3 })))).toBe('810341');
  });

  test('sessions round-trip through JSON', () => {
    for (let i = 0; i < 200; i++) {
      const s = generateSession(sessionSeed(5, i));
      const json = sessionToJson(s);
      const back = sessionFromJson(json);
      expect(sessionToJson(back)).toBe(json);
      const input = back.api === 'engine' ? undefined : back.steps.find((x) => x.op === 'input');
      if (input?.op === 'input' && !isRaw(input.pieces[0]!))
        expect(input.pieces[0]!.payload).toBeInstanceOf(Uint8Array);
    }
    // Buffers (a Uint8Array subclass with its own toJSON) serialise as bytes too.
    const withBuffer = {
      ...generateSession(1, { api: 'event' }),
      steps: [{ op: 'queueMsg', opcode: 2, msg: Buffer.from('hi') }],
    };
    expect(sessionToJson(withBuffer as Session)).toContain('{"hex":"6869"}');
  });

  test('the UTF-8 automaton is strict', () => {
    for (const ok of ['', '41', 'c2a9', 'e282ac', 'f09f9880', 'ed9fbf', 'ee8080', 'f48fbfbf'])
      expect(isValidUtf8(hex(ok))).toBe(true);
    for (const bad of [
      '80',
      'c0af',
      'c1bf',
      'e080af',
      'eda080',
      'f4908080',
      'f5808080',
      'ff',
      'e282',
      'c3',
    ]) {
      expect(isValidUtf8(hex(bad)), bad).toBe(false);
    }
    // Random strings of bytes from the interesting ranges, against Node's own validator.
    const bytes = [
      0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed,
      0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff,
    ];
    for (let i = 0; i < 20000; i++) {
      const r = new Rng(i);
      const b = new Uint8Array(r.range(1, 6)).map(() => r.pick(bytes));
      expect(isValidUtf8(b), toHex(b)).toBe(isUtf8(b));
    }
  });
});

describe('generator', () => {
  test('is a pure function of the seed and options', () => {
    for (let i = 0; i < 50; i++) {
      const seed = sessionSeed(77, i);
      expect(sessionToJson(generateSession(seed))).toBe(sessionToJson(generateSession(seed)));
      expect(sessionToJson(generateSession(seed, { role: 'client' }))).toBe(
        sessionToJson(generateSession(seed, { role: 'client' })),
      );
    }
    expect(sessionToJson(generateSession(1))).not.toBe(sessionToJson(generateSession(2)));
  });

  test('honours --role, --api and the byte budget', () => {
    for (let i = 0; i < 300; i++) {
      const s = generateSession(sessionSeed(3, i), { role: 'server' });
      expect(s.api === 'event' && s.role === 'server').toBe(true);
      expect(generateSession(sessionSeed(3, i), { api: 'frame' }).api).toBe('frame');
      expect(generateSession(sessionSeed(3, i), { api: 'engine' }).api).toBe('engine');
      const mixed = generateSession(sessionSeed(3, i));
      if (mixed.api !== 'engine')
        expect(sessionBytes(mixed)).toBeLessThan(DEFAULT_MAX_BYTES + 70_000);
    }
  });

  test('covers every feature the harness promises', () => {
    const seen = new Set<string>();
    const see = (what: string) => seen.add(what);
    for (let i = 0; i < 3000; i++) {
      const s = generateSession(sessionSeed(11, i));
      see(`api ${s.api}`);
      if (s.api === 'engine') continue;
      if (s.api === 'event') see(`role ${s.role}`);
      if (s.genmaskFail.length) see('genmask failure');
      if (s.api === 'event' && s.callbacks !== ALL_CALLBACKS) see('callback subset');
      const steps = s.steps as EventStep[];
      if (steps[0]?.op === 'noBuffering' && steps[0].on) see('no-buffering from the start');
      for (const step of steps) {
        see(`op ${step.op}`);
        if (step.op === 'input') {
          for (const p of step.pieces) {
            if (isRaw(p)) {
              see('raw bytes');
              continue;
            }
            see(`opcode ${p.opcode}`);
            if (p.rsv) see('rsv bits');
            if (p.len !== 'min') see(`length as ${p.len}`);
            if (p.cut !== undefined) see('truncated frame');
            if (p.note?.includes('wrong for this role')) see('wrong mask');
            if (!p.fin) see('fragment');
            if (p.note?.includes('invalid UTF-8') && p.opcode === 1) see('invalid utf-8 text');
            if (p.note?.includes('invalid UTF-8') && p.opcode === 8)
              see('invalid utf-8 close reason');
            for (const n of [0, 1, 125, 126, 127, 65535, 65536])
              if (p.payload.length === n) see(`length ${n}`);
            if (p.payload.length > 65536) see('length > 65536');
          }
        }
        if (step.op === 'recv' || step.op === 'send') {
          if (step.plan.length > 3 && step.plan.every((a) => a === 1))
            see(`${step.op} 1-byte chunks`);
          for (const a of step.plan)
            see(
              `${step.op} act ${typeof a === 'object' ? 'err' : typeof a === 'number' ? (a === 0 ? '0' : 'n') : a}`,
            );
          if (step.inside) see('nested op');
          const running = Cb[step.op];
          if (step.inside?.some((n) => n.step.op === 'callbacks' && !(n.step.mask & running))) {
            see(`${step.op} callback removed inside ${step.op}()`);
          }
          if (step.op === 'send' && step.inside?.some((n) => n.step.op === 'recvFrom'))
            see('recvFrom inside send()');
          if (step.op === 'recv' && step.inside?.some((n) => n.step.op === 'sendAll'))
            see('sendAll inside recv()');
        }
        if (step.op === 'recvFrom') see(step.max === 0 ? 'recvFrom all' : 'recvFrom part');
        if (step.op === 'sendAll') {
          if (step.inside?.some((n) => n.step.op === 'io')) see('recv() inside sendAll()');
          if (step.inside?.some((n) => n.step.op === 'recvFrom')) see('recvFrom inside sendAll()');
        }
        if (step.op === 'queueMsg' && step.rsv !== undefined) see('queueMsg rsv');
        if (step.op === 'queueClose' && step.reason && step.reason.length > 123)
          see('reason too long');
        if (
          step.op === 'queueFrag' &&
          step.reads.some((r) => typeof r === 'object' && r.n === 0 && !r.eof)
        )
          see('read stall');
      }
    }
    const want = [
      'api event',
      'api frame',
      'api engine',
      'role server',
      'role client',
      'genmask failure',
      'callback subset',
      ...Array.from({ length: 16 }, (_, k) => `opcode ${k}`),
      'raw bytes',
      'rsv bits',
      'length as 16',
      'length as 64',
      'length as 64msb',
      'truncated frame',
      'wrong mask',
      'fragment',
      'invalid utf-8 text',
      'invalid utf-8 close reason',
      'length 0',
      'length 1',
      'length 125',
      'length 126',
      'length 127',
      'length 65535',
      'length 65536',
      'length > 65536',
      'recv 1-byte chunks',
      'recv act W',
      'recv act Z',
      'recv act F',
      'recv act N',
      'recv act T',
      'recv act err',
      'send act W',
      'send act 0',
      'send act F',
      'send act T',
      'nested op',
      'op queueMsg',
      'op queueFrag',
      'op queueClose',
      'op setError',
      'op shutdownRead',
      'op shutdownWrite',
      'op noBuffering',
      'op maxRecv',
      'op rsvBits',
      'op callbacks',
      'op frecv',
      'op fsend',
      'queueMsg rsv',
      'reason too long',
      'read stall',
      'no-buffering from the start',
      'recv callback removed inside recv()',
      'send callback removed inside send()',
      'op sendAll',
      'recvFrom all',
      'recvFrom part',
      'recvFrom inside send()',
      'sendAll inside recv()',
      'recv() inside sendAll()',
      'recvFrom inside sendAll()',
    ];
    expect(want.filter((w) => !seen.has(w))).toEqual([]);
  });
});

describe.runIf(nativeOk)('runner', () => {
  test('is deterministic: one backend twice gives the same trace', () => {
    for (let i = 0; i < 150; i++) {
      const s = generateSession(sessionSeed(21, i));
      expect(firstDifference(runSession(s, 'native'), runSession(s, 'native'))).toBeNull();
    }
  });

  test('records what the batch paths consume, deliver and send', () => {
    const session = generateEventSession(1);
    session.role = 'server';
    session.steps = [
      {
        op: 'input',
        pieces: [
          { fin: 1, rsv: 0, opcode: 1, mask: [1, 2, 3, 4], len: 'min', payload: Buffer.from('hi') },
          { fin: 1, rsv: 0, opcode: 9, mask: [1, 2, 3, 4], len: 'min', payload: Buffer.from('p') },
        ],
      },
      { op: 'recvFrom', max: 0 },
      { op: 'sendAll' },
    ];
    expect(checkSession(session).kind).toBe('pass');
    const { entries } = runSession(session, 'native');
    expect(entries).toContain(
      'recvFrom(all) len=15 = 15 messages [(rsv=0, opcode=1, statusCode=0, msg=6869), ' +
        '(rsv=0, opcode=9, statusCode=0, msg=70)]',
    );
    expect(entries).toContain('sendAll() = "8a0170"');
  });

  test('runs the operations nested inside sendAll() in its callbacks', () => {
    const session = generateEventSession(1);
    session.role = 'client';
    session.callbacks = ALL_CALLBACKS;
    session.steps = [
      { op: 'queueMsg', opcode: 1, msg: Buffer.from('a') },
      { op: 'sendAll', inside: [{ at: 0, step: { op: 'state' } }] },
    ];
    expect(checkSession(session).kind).toBe('pass');
    const { entries } = runSession(session, 'native');
    const genmask = entries.findIndex((e) => e.startsWith('genmask('));
    expect(entries[genmask + 1]).toMatch(
      /^ {2}in callback 0: getters state wantRead=1 wantWrite=1 .* queuedCount=1 queuedLength=1$/,
    );
  });

  test('the recv split model matches the chunks wslay hands out', () => {
    let frames = 0;
    for (let i = 0; i < 600; i++) {
      const s = generateEventSession(sessionSeed(7, i));
      // The model follows the recv callback's deliveries; recvFrom() reads the wire without it.
      if (
        s.callbacks !== ALL_CALLBACKS ||
        s.steps.some(
          (x) =>
            x.op === 'callbacks' ||
            x.op === 'noBuffering' ||
            x.op === 'recvFrom' ||
            ((x.op === 'recv' || x.op === 'send') && x.inside),
        )
      )
        continue;
      const t = runSession(s, 'native');
      const scanned = scanFrames(inputStream(s));
      const seen: number[][] = [];
      for (const e of t.entries) {
        if (e.startsWith('onFrameRecvStart')) seen.push([]);
        else if (e.startsWith('onFrameRecvChunk(') && e.length > 'onFrameRecvChunk()'.length) {
          seen[seen.length - 1]!.push((e.length - 'onFrameRecvChunk()'.length) / 2);
        }
      }
      seen.forEach((chunks, k) => {
        const model = payloadChunks(t, scanned[k]!)?.chunks ?? [];
        expect(model.slice(0, chunks.length)).toEqual(chunks);
        frames++;
      });
    }
    expect(frames).toBeGreaterThan(100);
  });

  test('runs the operations that crashed the native backend unguarded: refused or deferred alike on both sides', () => {
    const run = (name: string) => {
      const session = formerCrashes[name]!;
      expect(checkSession(session).kind, name).toBe('pass');
      return runSession(session, 'native').entries;
    };

    // configSetNoBuffering() after the first recv() is refused, between calls and inside them.
    const on = run('bufferingOnMidFrame');
    expect(on).toContain(`configSetNoBuffering(false) ${REFUSED}`);
    expect(on).toContain(`  in callback 1: configSetNoBuffering(false) ${REFUSED}`);
    expect(on).toContain('onFrameRecvChunk(0304050607080910)');
    const off = run('bufferingOffMidFrame');
    expect(off).toContain(`configSetNoBuffering(true) ${REFUSED}`);
    expect(off).toContain(`configSetNoBuffering(false) ${REFUSED}`);
    expect(off).toContain(`  in callback 1: configSetNoBuffering(true) ${REFUSED}`);
    // Buffering stayed on: the whole message, no heap bytes.
    expect(off).toContain(`onMsgRecv(rsv=0, opcode=2, statusCode=0, msg=${'61'.repeat(26)})`);

    // The running I/O callback removed from inside it: the call goes on with the old mask,
    // wslay's next call of the removed callback fails it, recv()/send() rethrows; afterwards
    // the new callbacks are in force (the ping's frame callbacks were already gone).
    const recv = run('recvRemovedInside');
    expect(recv).toContain('  in callback 0: configSetCallbacks(send) = ok');
    expect(recv).toContain(`recv() ${removedError('recv')}`);
    expect(recv.some((e) => e.startsWith('onMsgRecv'))).toBe(false);
    expect(recv).toContain(
      'recv() ! Error: recv() needs a recv callback: give one to EventContext.server() or configSetCallbacks()',
    );
    const send = run('sendRemovedInside');
    expect(send).toContain('send(8105, flags=1) -> 2');
    expect(send).toContain(`send() ${removedError('send')}`);
    expect(send).toContain(
      'send() ! Error: send() needs a send callback: give one to EventContext.server() or configSetCallbacks()',
    );

    // Before the first recv() the setting is still taken, even from inside send().
    const early: EventSession = {
      ...eventBase,
      steps: [
        { op: 'queueMsg', opcode: 9, msg: new Uint8Array() },
        { op: 'send', plan: [], inside: [{ at: 1, step: { op: 'noBuffering', on: true } }] },
        { op: 'noBuffering', on: false },
        { op: 'input', pieces: [{ raw: hex('820161') }] },
        { op: 'recv', plan: [] },
      ],
    };
    const e = runSession(early, 'native').entries;
    expect(e).toContain('  in callback 1: configSetNoBuffering(true) = ok');
    expect(e).toContain('configSetNoBuffering(false) = ok');
    expect(checkSession(early).kind).toBe('pass');
  });

  test('the generator still makes those operations, and both backends agree on them', () => {
    const want = new Map<string, number>([
      [`configSetNoBuffering(true) ${REFUSED}`, 0],
      [`configSetNoBuffering(false) ${REFUSED}`, 0],
      ['inside a callback: refused', 0],
      [removedError('recv'), 0],
      [removedError('send'), 0],
    ]);
    for (let i = 0; i < 20_000 && [...want.values()].some((n) => n === 0); i++) {
      const s = generateSession(sessionSeed(11, i));
      if (s.api !== 'event') continue;
      const seen = runSession(s, 'native').entries.flatMap((e) =>
        [...want.keys()].filter((w) =>
          w === 'inside a callback: refused'
            ? e.startsWith('  in callback') && e.endsWith(REFUSED)
            : e.endsWith(w),
        ),
      );
      if (seen.length === 0) continue;
      expect(checkSession(s).kind, `session seed ${s.seed}`).toBe('pass');
      for (const w of new Set(seen)) want.set(w, want.get(w)! + 1);
    }
    expect([...want].filter(([, n]) => n === 0).map(([w]) => w)).toEqual([]);
  });
});

describe.runIf(nativeOk)('shrinker', () => {
  test('reduces a planted difference to a minimal script', () => {
    let found: Session | undefined;
    for (let i = 0; i < 2000 && !found; i++) {
      const s = generateEventSession(sessionSeed(31, i));
      if (s.steps.length >= 8 && checkSession(s, pingAsPong).kind === 'fail') found = s;
    }
    expect(found).toBeDefined();
    const r = shrink(found!, (s) => checkSession(s, pingAsPong).kind === 'fail');
    const steps = r.session.api === 'event' ? r.session.steps : [];
    expect(steps.length).toBeLessThanOrEqual(2);
    const inputs = steps.filter((s) => s.op === 'input');
    expect(inputs).toHaveLength(1);
    const pieces = inputs[0]!.op === 'input' ? inputs[0]!.pieces : [];
    expect(pieces).toHaveLength(1);
    expect((pieces[0] as FrameSpec).opcode).toBe(9);
    expect((pieces[0] as FrameSpec).payload.length).toBe(3);
    const v = checkSession(r.session, pingAsPong);
    expect(v.kind).toBe('fail');
    if (v.kind === 'fail') {
      const text = formatFailure(v);
      expect(text).toContain('first difference at trace entry');
      expect(text).toMatch(/native: {3}onMsgRecv\(rsv=0, opcode=9/);
      expect(text).toMatch(/fallback: onMsgRecv\(rsv=0, opcode=10/);
    }
  });

  test('a campaign shrinks and prints the first failure of each kind', () => {
    const r = runCampaign({
      seed: 31,
      start: 0,
      count: 300,
      gen: { api: 'event' },
      sides: pingAsPong,
      maxReports: 1,
      shrinkTimeMs: 5000,
    });
    expect(r.failures).toBeGreaterThan(0);
    expect(r.reports).toHaveLength(1);
    expect(r.reports[0]!.stepsAfter).toBeLessThan(r.reports[0]!.stepsBefore);
    expect(sessionLength(sessionFromJson(r.reports[0]!.json))).toBe(r.reports[0]!.stepsAfter);
  });
});

describe('the close-reason known deviation', () => {
  // "éa" after code 1000, split after the 'é' lead byte: wslay skips a9 61 (the first two
  // bytes of the second chunk), is left mid-character at the end, and fails the close with
  // 1007; the reason is valid UTF-8, so a correct check accepts it.
  const splitClose: EventSession = {
    api: 'event',
    role: 'client',
    seed: 1,
    callbacks: ALL_CALLBACKS,
    genmaskFail: [],
    steps: [
      {
        op: 'input',
        pieces: [{ fin: 1, rsv: 0, opcode: 8, mask: null, len: 'min', payload: hex('03e8c3a961') }],
      },
      { op: 'recv', plan: [5] },
      { op: 'send', plan: [] },
    ],
  };

  test('the outcome models', () => {
    expect(wslayCloseReasonOutcome(hex('03e8c3a961'), [3, 2])).toBe('incomplete');
    expect(correctCloseReasonOutcome(hex('03e8c3a961'), [3, 2])).toBe('valid');
    expect(wslayCloseReasonOutcome(hex('03e8c3a961'), [5])).toBe('valid');
    expect(wslayCloseReasonOutcome(hex('03e841ff41'), [3, 2])).toBe('valid');
    expect(correctCloseReasonOutcome(hex('03e841ff41'), [3, 2])).toBe('reject@1');
    expect(wslayCloseReasonOutcome(hex('03e8ff'), [1, 2])).toBe('valid');
    expect(correctCloseReasonOutcome(hex('03e8ff'), [1, 2])).toBe('reject@1');
  });

  test.runIf(nativeOk)('wslay 1.1.1 fails a valid reason split across chunks with 1007', () => {
    const t = runSession(splitClose, 'native');
    expect(t.entries.some((e) => e.includes('statusSent=1007'))).toBe(true);
    expect(affectedCloseFrames(splitClose, t)).toHaveLength(1);
    const whole: EventSession = {
      ...splitClose,
      steps: splitClose.steps.map((s) => (s.op === 'recv' ? { ...s, plan: [] } : s)),
    };
    expect(affectedCloseFrames(whole, runSession(whole, 'native'))).toHaveLength(0);
  });

  test.runIf(nativeOk)(
    'both backends: identical, or the documented deviation, never a failure',
    () => {
      expect(checkSession(splitClose).kind).not.toBe('fail');
    },
  );

  /** The planted deviation: a "fallback" whose trace changes from the trigger on. */
  const correctCheck = (t: Trace, s: Session): Trace => {
    const from = Math.min(...affectedCloseFrames(s, t).map((a) => a.firstEntry));
    return mapEntries(t, (e, i) => (i > from ? `${e} [correct check]` : e));
  };

  test.runIf(nativeOk)('is classified as known when that is all there is', () => {
    const v = checkSession(
      splitClose,
      planted((s, t) => correctCheck(t, s)),
    );
    expect(v).toMatchObject({ kind: 'known', id: closeReasonChunkSkip.id });
    // The neutralised session has no close reason left to disagree about.
    const n = closeReasonChunkSkip.neutralize(splitClose);
    expect(affectedCloseFrames(n, runSession(n, 'native'))).toHaveLength(0);
    expect(formatSession(n)).toContain('03e83f3f61');
  });

  test.runIf(nativeOk)(
    'does not hide a difference after it (found with its trigger taken out)',
    () => {
      const sides = planted((s, t) =>
        mapEntries(correctCheck(t, s), (e) =>
          e.replace(/^send\((.*), flags=0\)/, 'send($1, flags=9)'),
        ),
      );
      const v = checkSession(splitClose, sides);
      expect(v.kind).toBe('fail');
      if (v.kind === 'fail') {
        expect(v.via).toEqual([closeReasonChunkSkip.id]);
        expect(v.diff.right).toContain('flags=9');
      }
    },
  );

  test.runIf(nativeOk)('does not hide a difference before it', () => {
    const sides = planted((s, t) =>
      mapEntries(correctCheck(t, s), (e, i) => (i === 0 ? `${e} [different]` : e)),
    );
    const v = checkSession(splitClose, sides);
    expect(v).toMatchObject({ kind: 'fail', via: [] });
  });

  test.runIf(nativeOk)(
    'does not explain a difference in a close frame the split does not affect',
    () => {
      const whole: EventSession = {
        ...splitClose,
        steps: splitClose.steps.map((s) => (s.op === 'recv' ? { ...s, plan: [] } : s)),
      };
      const sides = planted((_s, t) =>
        mapEntries(t, (e) => e.replace('statusReceived=1000', 'statusReceived=1007')),
      );
      expect(checkSession(whole, sides).kind).toBe('fail');
    },
  );
});

describe.runIf(nativeOk)('campaign workers', () => {
  test('a pool of worker processes gives the in-process counts', async () => {
    const base = { seed: 41, gen: {}, maxReports: 0 };
    const pooled = await runPool(base, 0, 300, { workers: 2 });
    const inline = runCampaign({ ...base, start: 0, count: 300 });
    expect(pooled.sessions).toBe(300);
    expect({ ...pooled, busyMs: 0 }).toEqual({ ...inline, busyMs: 0 });
  }, 60_000);

  // The probe-only 'abort' op: process.abort() inside the third callback of a recv(), as a
  // failed C assertion in wslay would; anywhere but in a crash-probe worker it does nothing.
  const aborts: EventSession = {
    ...eventBase,
    steps: [
      { op: 'queueMsg', opcode: 1, msg: hex('6869') },
      {
        op: 'input',
        pieces: [{ fin: 1, rsv: 0, opcode: 1, mask: null, len: 'min', payload: hex('61') }],
      },
      { op: 'recv', plan: [], inside: [{ at: 2, step: { op: 'abort' } }] },
      { op: 'send', plan: [] },
    ],
  };

  test('the abort op does nothing outside a crash probe', () => {
    const t = runSession(aborts, 'native');
    expect(t.entries).toContain(
      '  in callback 2: abort() = skipped (the abort op aborts only in a crash probe)',
    );
    expect(checkSession(aborts).kind).toBe('pass');
  });

  test('a crash probe tells a session that kills the process from one that does not', async () => {
    const probe = new CrashProbe();
    try {
      expect(await probe.crashes(aborts)).toBe(true);
      // The probe starts a new worker after a crash.
      expect(await probe.crashes({ ...aborts, steps: aborts.steps.slice(0, 2) })).toBe(false);
      expect(await probe.crashes(aborts)).toBe(true);
      // The sessions that took the native backend down (SIGABRT, SIGSEGV) no longer do.
      for (const [name, session] of Object.entries(formerCrashes))
        expect(await probe.crashes(session), name).toBe(false);
      // The minimal SIGABRT repro: buffering back on from onFrameRecvChunk of an unbuffered frame.
      expect(
        await probe.crashes({
          ...eventBase,
          steps: [
            { op: 'noBuffering', on: true },
            {
              op: 'input',
              pieces: [{ fin: 1, rsv: 0, opcode: 1, mask: null, len: 'min', payload: hex('61') }],
            },
            { op: 'recv', plan: [], inside: [{ at: 2, step: { op: 'noBuffering', on: false } }] },
          ],
        }),
      ).toBe(false);
    } finally {
      probe.close();
    }
  }, 60_000);

  test('a crashing session shrinks to the step that crashes', async () => {
    const report = await shrinkCrash(
      { index: 0, seed: 1, kind: 'crash', detail: 'planted' },
      aborts,
    );
    const text = report.text ?? '';
    expect(text).toMatch(
      /^ {2}1\. recv\(\) {2}recv callback plan \[all\]\n {4}inside callback 0: abort\(\)$/m,
    );
    expect(text).not.toContain('  2. ');
    const shrunk = sessionFromJson(text.slice(text.indexOf("--replay '") + 10, -1));
    expect(shrunk).toMatchObject({
      steps: [{ op: 'recv', plan: [], inside: [{ at: 0, step: { op: 'abort' } }] }],
    });
  }, 120_000);
});

describe('engine sessions: both engines and libwslay itself', () => {
  const wslay = wslayTraceBinary();
  /** wslay asserts (SIGABRT) when buffering is turned off in the middle of a frame. */
  const asserting = ['ctx client 127', 'nobuf 1', 'onchunk nobuf 0', 'in 810161', 'recv'];
  const ping = ['ctx client 127', 'in 890548656c6c6f', 'recv', 'send', 'get'];

  test('a seed gives the same script every time, and scripts vary with the seed', () => {
    const a = generateSession(sessionSeed(9, 1), { api: 'engine' });
    expect(generateSession(sessionSeed(9, 1), { api: 'engine' })).toEqual(a);
    expect(generateSession(sessionSeed(9, 2), { api: 'engine' })).not.toEqual(a);
    expect(a.api === 'engine' && a.lines.length).toBeGreaterThan(3);
  });

  test.runIf(wslay !== null)(
    'libwslay runs a batch of scripts, and one that kills it is reported, not the rest',
    () => {
      const out = runLibwslay(wslay!, [ping.join('\n'), asserting.join('\n'), ping.join('\n')]);
      expect(out).toHaveLength(3);
      const [first, crashed, third] = out;
      expect(first).toEqual(third);
      expect(first && 'output' in first ? first.output : '').toContain('msg 0 9 48656c6c6f 0');
      expect(crashed && 'crash' in crashed ? crashed.crash : '').toMatch(/SIGABRT.*queue->tail/s);
    },
  );

  test.runIf(wslay !== null)('a campaign counts a session that kills libwslay as a crash', () => {
    const session = { api: 'engine' as const, seed: 1, lines: asserting };
    expect(() => checkSession(session)).toThrow(LibwslayCrash);
  });

  test.runIf(wslay !== null && nativeOk)(
    'a planted difference from libwslay is found on the engine that has it, and shrinks',
    () => {
      const sides: Sides = {
        ...backendSides,
        fallback: (s) =>
          mapEntries(runSession(s, 'fallback'), (e) =>
            e.replace(/^send 6 1 8a85/, 'send 6 1 8a86'),
          ),
      };
      const session = {
        api: 'engine' as const,
        seed: 1,
        lines: ['ctx server 127', 'q 1 -1 41', 'get', ...ping, 'get', 'send'],
      };
      const v = checkSession(session, sides);
      expect(v.kind).toBe('fail');
      if (v.kind !== 'fail') return;
      expect([v.left.backend, v.right.backend]).toEqual(['libwslay', 'fallback']);
      expect(v.diff.right).toContain('8a86');
      const r = shrink(session, (s) => checkSession(s, sides).kind === 'fail');
      expect(r.session.lines).toEqual(['ctx client 127', 'in 890548656c6c6f', 'recv', 'send']);
      expect(formatSession(r.session)).toContain('  3. recv');
    },
  );
});
