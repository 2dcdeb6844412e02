import { describe, expect, test } from 'vitest';
import {
  EventContext,
  FrameContext,
  isCtrlFrame,
  Opcode,
  StatusCode,
  ErrorCode,
  MSG_MORE,
  Rsv,
  WslayError,
} from '../src/index.js';
import type { FrameHooks } from '../src/backends/engine.js';
import { loadNativeBackend } from '../src/backends/native.js';
import { freedError } from '../src/errors.js';
import { backends } from './helpers/backends.js';

test.skipIf(!backends.includes('native'))('the addon says "freed" in the same words', () => {
  const loaded = loadNativeBackend();
  if (!loaded.ok) throw new Error(loaded.reason);
  const event = loaded.backend.createEventEngine(true, 0);
  event.free();
  expect(() => event.wantRead()).toThrow(
    expect.objectContaining({ message: freedError('EventContext').message }) as unknown,
  );
  const frame = loaded.backend.createFrameEngine();
  frame.free();
  expect(() => frame.recv({} as FrameHooks)).toThrow(
    expect.objectContaining({ message: freedError('FrameContext').message }) as unknown,
  );
});

test('constants carry wslay 1.1.1 values', () => {
  expect(Opcode).toEqual({
    CONTINUATION_FRAME: 0,
    TEXT_FRAME: 1,
    BINARY_FRAME: 2,
    CONNECTION_CLOSE: 8,
    PING: 9,
    PONG: 10,
  });
  expect(StatusCode.MESSAGE_TOO_BIG).toBe(1009);
  expect(StatusCode.TLS_HANDSHAKE).toBe(1015);
  expect(ErrorCode).toMatchObject({
    WANT_READ: -100,
    PROTO: -200,
    NO_MORE_MSG: -302,
    CALLBACK_FAILURE: -400,
    WOULDBLOCK: -401,
    NOMEM: -500,
  });
  expect(MSG_MORE).toBe(1);
  expect(Rsv).toEqual({ NONE: 0, RSV1_BIT: 4, RSV2_BIT: 2, RSV3_BIT: 1 });
});

test('isCtrlFrame is true for opcodes 8 to 15 only', () => {
  expect([0, 1, 2, 7].map(isCtrlFrame)).toEqual([false, false, false, false]);
  expect([8, 9, 10, 15].map(isCtrlFrame)).toEqual([true, true, true, true]);
  expect(() => isCtrlFrame('8' as unknown as number)).toThrow(TypeError);
  expect(() => isCtrlFrame(-1)).toThrow(RangeError);
  expect(() => isCtrlFrame(16)).toThrow(RangeError);
});

test('WslayError carries the code and its name', () => {
  const error = new WslayError(ErrorCode.NO_MORE_MSG);
  expect(error).toBeInstanceOf(Error);
  expect(error.code).toBe(-302);
  expect(error.codeName).toBe('NO_MORE_MSG');
  expect(error.message).toContain('WSLAY_ERR_NO_MORE_MSG');
});

describe.each(backends)('argument validation and lifetime (%s)', (backend) => {
  const make = () => EventContext.server({ send: (_c, d) => d.length }, { backend });

  test('a context reports its backend and role', () => {
    const s = make();
    expect(s.backend).toBe(backend);
    expect(s.role).toBe('server');
    const c = EventContext.client({}, { backend });
    expect(c.role).toBe('client');
  });

  test.each([
    [
      'callbacks that are not an object',
      () => EventContext.server(null as never, { backend }),
      TypeError,
    ],
    [
      'a callback that is not a function',
      () => EventContext.server({ recv: 1 } as never, { backend }),
      TypeError,
    ],
    ['an unknown backend', () => EventContext.server({}, { backend: 'rust' as never }), TypeError],
    ['new EventContext()', () => new (EventContext as unknown as new () => unknown)(), TypeError],
  ])('creating a context with %s throws', (_name, fn, type) => {
    expect(fn).toThrow(type);
  });

  test.each([
    [
      'opcode that is not a number',
      (c: EventContext) => c.queueMsg({ opcode: '1' as never, msg: 'x' }),
      TypeError,
      /msg.opcode must be a number/,
    ],
    [
      'opcode above 15',
      (c: EventContext) => c.queueMsg({ opcode: 16, msg: 'x' }),
      RangeError,
      /msg.opcode/,
    ],
    [
      'negative opcode',
      (c: EventContext) => c.queueMsg({ opcode: -1, msg: 'x' }),
      RangeError,
      /msg.opcode/,
    ],
    [
      'msg that is a number',
      (c: EventContext) => c.queueMsg({ opcode: 1, msg: 5 as never }),
      TypeError,
      /msg.msg/,
    ],
    [
      'msg missing',
      (c: EventContext) => c.queueMsg(undefined as never),
      TypeError,
      /msg must be an object/,
    ],
    ['rsv above 7', (c: EventContext) => c.queueMsg({ opcode: 1, msg: 'x' }, 8), RangeError, /rsv/],
    [
      'fragmented read that is not a function',
      (c: EventContext) => c.queueFragmentedMsg({ opcode: 1, read: null as never }),
      TypeError,
      /msg.read/,
    ],
    ['close code above 65535', (c: EventContext) => c.queueClose(70000), RangeError, /statusCode/],
    ['close code 1000.5', (c: EventContext) => c.queueClose(1000.5), RangeError, /statusCode/],
    [
      'close reason that is a number',
      (c: EventContext) => c.queueClose(1000, 3 as never),
      TypeError,
      /reason/,
    ],
    [
      'negative max length',
      (c: EventContext) => c.configSetMaxRecvMsgLength(-1),
      RangeError,
      /length/,
    ],
    [
      'max length that is NaN',
      (c: EventContext) => c.configSetMaxRecvMsgLength(NaN),
      TypeError,
      /length/,
    ],
    [
      'no-buffering flag that is a number',
      (c: EventContext) => c.configSetNoBuffering(1 as never),
      TypeError,
      /boolean/,
    ],
    ['rsv bits above 7', (c: EventContext) => c.configSetAllowedRsvBits(8), RangeError, /rsv/],
    ['setError with a string', (c: EventContext) => c.setError('x' as never), TypeError, /code/],
    [
      'callbacks with a bad onMsgRecv',
      (c: EventContext) => c.configSetCallbacks({ onMsgRecv: 'x' } as never),
      TypeError,
      /onMsgRecv/,
    ],
  ])('%s throws a clear error before reaching the backend', (_name, fn, type, message) => {
    const ctx = make();
    expect(() => fn(ctx)).toThrow(type);
    expect(() => fn(ctx)).toThrow(message);
    expect(ctx.getQueuedMsgCount()).toBe(0);
    ctx.free();
  });

  test('free() twice is harmless and any later call throws a clear Error', () => {
    const ctx = make();
    ctx.free();
    ctx.free();
    for (const call of [
      () => ctx.recv(),
      () => ctx.send(),
      () => ctx.wantRead(),
      () => ctx.getQueuedMsgCount(),
      () => ctx.queueMsg({ opcode: 1, msg: 'x' }),
      () => ctx.queueClose(),
      () => ctx.configSetNoBuffering(true),
    ]) {
      expect(call).toThrow(/EventContext has been freed/);
    }
  });

  test('using disposes the context', () => {
    let kept: EventContext;
    {
      using ctx = make();
      kept = ctx;
      expect(ctx.wantRead()).toBe(true);
    }
    expect(() => kept.wantRead()).toThrow(/freed/);
  });

  test('a frame context validates its iocb', () => {
    const f = FrameContext.create({ send: (d) => d.length, recv: () => -1 }, { backend });
    const good = { fin: 1, rsv: 0, opcode: 1, payloadLength: 1, mask: 0, data: new Uint8Array(1) };
    expect(() => f.send({ ...good, fin: 2 })).toThrow(RangeError);
    expect(() => f.send({ ...good, opcode: 16 })).toThrow(RangeError);
    expect(() => f.send({ ...good, payloadLength: -1 })).toThrow(RangeError);
    expect(() => f.send({ ...good, mask: true as never })).toThrow(TypeError);
    expect(() => f.send({ ...good, data: 'x' as never })).toThrow(TypeError);
    expect(() =>
      FrameContext.create({ send: (d: Uint8Array) => d.length } as never, { backend }),
    ).toThrow(/callbacks.recv/);
    f.free();
    f.free();
    expect(() => f.recv()).toThrow(/FrameContext has been freed/);
  });
});
