import { describe, expect, test } from 'vitest';
import { EventContext, ErrorCode, StatusCode, type EventCallbacks } from '../src/index.js';
import { backends } from './helpers/backends.js';
import { createPeer, hex, recvOnce } from './helpers/peer.js';

type Got = [number, string, number, number];

describe.each(backends)('batch paths recvFrom() and sendAll() (%s)', (backend) => {
  const collect = (ctx: EventContext, data: Buffer) => {
    const got: Got[] = [];
    const consumed = ctx.recvFrom(data, (opcode, msg, statusCode, rsv) => {
      got.push([opcode, msg.toString('hex'), statusCode, rsv]);
    });
    return { got, consumed };
  };

  test('recvFrom delivers the same messages as recv() with the same getters after', () => {
    const stream = hex('01 03 48 65 6c 89 01 41 80 02 6c 6f 82 00 88 02 03 e8');
    const classic = createPeer({ backend, role: 'client' });
    classic.receive(stream);
    const batch = EventContext.client({}, { backend });
    const { got, consumed } = collect(batch, stream);
    expect(got).toEqual(classic.messages().map((m) => [m.opcode, m.msg, m.statusCode, m.rsv]));
    expect(consumed).toBe(stream.length);
    for (const getter of [
      'wantRead',
      'wantWrite',
      'getCloseReceived',
      'getStatusCodeReceived',
      'getQueuedMsgCount',
    ] as const) {
      expect(batch[getter]()).toBe(classic.ctx[getter]());
    }
  });

  test('recvFrom consumes nothing past a close frame', () => {
    const ctx = EventContext.client({}, { backend });
    const { consumed } = collect(ctx, hex('88 00 81 01 41'));
    expect(consumed).toBeLessThanOrEqual(5);
    expect(ctx.getCloseReceived()).toBe(true);
  });

  test('messages handed out by recvFrom stay intact after later reads', () => {
    const ctx = EventContext.client({}, { backend });
    const kept: Buffer[] = [];
    ctx.recvFrom(hex('81 03 61 62 63'), (_op, msg) => kept.push(msg));
    ctx.recvFrom(hex('81 03 78 79 7a'), (_op, msg) => kept.push(msg));
    expect(kept.map(String)).toEqual(['abc', 'xyz']);
  });

  test('large messages, alone or with others in one read, come out intact and stay so', () => {
    const server = EventContext.server({}, { backend });
    const client = EventContext.client({}, { backend });
    const sizes = [70_000, 20_000, 5, 100_000];
    const payloads = sizes.map((n, k) => Buffer.alloc(n, k + 1));
    for (const msg of payloads) client.queueMsg({ opcode: 2, msg });
    const wire = client.sendAll();
    const kept: Buffer[] = [];
    // The first message alone, then the rest in one read, the last one cut short.
    const first = 14 + sizes[0]!;
    server.recvFrom(wire.subarray(0, first), (_op, msg) => kept.push(msg));
    server.recvFrom(wire.subarray(first, wire.length - 10), (_op, msg) => kept.push(msg));
    server.recvFrom(wire.subarray(wire.length - 10), (_op, msg) => kept.push(msg));
    server.recvFrom(client.sendAll(), () => {});
    expect(kept.map((m) => m.length)).toEqual(sizes);
    kept.forEach((m, k) => expect(m.equals(payloads[k]!), `message ${k}`).toBe(true));
  });

  test('a frame-level error is thrown after the messages before it are delivered', () => {
    const ctx = EventContext.client({}, { backend });
    const got: string[] = [];
    expect(() =>
      ctx.recvFrom(hex('81 01 41 09 01 41'), (_op, msg) => got.push(String(msg))),
    ).toThrow(expect.objectContaining({ code: ErrorCode.CALLBACK_FAILURE }));
    expect(got).toEqual(['A']);
  });

  test('an exception in onMessage is re-thrown after every message was delivered', () => {
    const ctx = EventContext.client({}, { backend });
    let calls = 0;
    expect(() =>
      ctx.recvFrom(hex('81 01 41 81 01 42'), () => {
        calls++;
        throw new Error('listener');
      }),
    ).toThrow('listener');
    expect(calls).toBe(2);
  });

  test('recvFrom answers violations as recv() does', () => {
    const ctx = EventContext.server({}, { backend });
    collect(ctx, hex('81 05 48 65 6c 6c 6f'));
    expect(ctx.getReadEnabled()).toBe(false);
    expect(ctx.sendAll().toString('hex')).toBe('880203ea');
    expect(ctx.getStatusCodeSent()).toBe(StatusCode.PROTOCOL_ERROR);
  });

  test('sendAll returns whole a fragmented message longer than the room it starts with', () => {
    // A fragmented message counts no bytes in the queued length: its frames spill over.
    const reader = () => {
      const data = Buffer.alloc(1000, 7);
      let at = 0;
      return (_ctx: unknown, buf: Uint8Array) => {
        const n = Math.min(buf.length, 400, data.length - at);
        buf.set(data.subarray(at, at + n));
        at += n;
        return { n, eof: at === data.length };
      };
    };
    const classic = createPeer({ backend, role: 'server' });
    const batch = EventContext.server({}, { backend });
    for (const ctx of [classic.ctx, batch]) ctx.queueFragmentedMsg({ opcode: 2, read: reader() });
    const expected: Buffer[] = [];
    while (classic.ctx.wantWrite()) expected.push(classic.flush());
    const sent = batch.sendAll();
    expect(sent.length).toBeGreaterThan(1000);
    expect(sent).toEqual(Buffer.concat(expected));
  });

  test('recvFrom refuses no-buffering mode and bad arguments', () => {
    const ctx = EventContext.client({}, { backend });
    expect(() => ctx.recvFrom('x' as never, () => {})).toThrow(TypeError);
    expect(() => ctx.recvFrom(hex('81 00'), null as never)).toThrow(TypeError);
    ctx.configSetNoBuffering(true);
    expect(() => ctx.recvFrom(hex('81 00'), () => {})).toThrow(/no-buffering/);
  });

  test('sendAll returns the bytes send() would have sent, in one buffer', () => {
    const classic = createPeer({ backend, role: 'server', sendLimit: 3 });
    const batch = EventContext.server({}, { backend });
    for (const ctx of [classic.ctx, batch]) {
      ctx.queueMsg({ opcode: 1, msg: 'Hello' });
      ctx.queueMsg({ opcode: 2, msg: Buffer.alloc(300, 1) });
      ctx.queueMsg({ opcode: 9, msg: 'p' });
    }
    const expected: Buffer[] = [];
    while (classic.ctx.wantWrite()) expected.push(classic.flush());
    expect(batch.sendAll()).toEqual(Buffer.concat(expected));
    expect(batch.wantWrite()).toBe(false);
    expect(batch.sendAll().length).toBe(0);
  });

  test('a client without genmask masks sendAll output with fresh random keys', () => {
    const ctx = EventContext.client({}, { backend });
    ctx.queueMsg({ opcode: 1, msg: 'a' });
    ctx.queueMsg({ opcode: 1, msg: 'a' });
    const out = ctx.sendAll();
    expect(out.length).toBe(14);
    expect(out.subarray(2, 6).equals(out.subarray(9, 13))).toBe(false);
    const server = EventContext.server({}, { backend });
    const got: string[] = [];
    server.recvFrom(out, (_op, msg) => got.push(String(msg)));
    expect(got).toEqual(['a', 'a']);
  });

  test('a client with its own genmask gets it called by sendAll', () => {
    const ctx = EventContext.client(
      {
        genmask: (_c, buf) => {
          buf.fill(0);
          return 0;
        },
      },
      { backend },
    );
    ctx.queueMsg({ opcode: 1, msg: 'a' });
    expect(ctx.sendAll().toString('hex')).toBe('81810000000061');
  });

  test('sendAll leaves the send callback in place for later send() calls', () => {
    const s = createPeer({ backend, role: 'server' });
    s.ctx.queueMsg({ opcode: 1, msg: 'a' });
    s.ctx.sendAll();
    s.ctx.queueMsg({ opcode: 1, msg: 'b' });
    expect(s.flush().toString('hex')).toBe('810162');
    expect(s.sendCalls.length).toBe(2);
  });

  test('recvFrom leaves the callbacks in place for later recv() calls', () => {
    const c = createPeer({ backend, role: 'client' });
    collect(c.ctx, hex('81 01 41'));
    expect(c.events).toEqual([]);
    c.receive('81 01 42');
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 1, msg: '42', statusCode: 0 }]);
  });

  test('recvFrom delivers more messages than its table holds, in order', () => {
    const ctx = EventContext.client({}, { backend });
    const frames = Buffer.concat(
      Array.from({ length: 300 }, (_, i) => Buffer.from([0x82, 0x02, i >> 8, i & 0xff])),
    );
    const got: number[] = [];
    ctx.recvFrom(frames, (_op, msg) => got.push(msg.readUInt16BE(0)));
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  test('recvFrom delivers a message longer than the chunk that completes it', () => {
    const ctx = EventContext.client({}, { backend });
    const payload = Buffer.alloc(70_000, 0x5a);
    const whole = Buffer.concat([hex('82 7f 00 00 00 00 00 01 11 70'), payload]);
    const got: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 1000)
      ctx.recvFrom(whole.subarray(i, i + 1000), (_op, msg) => got.push(msg));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(payload)).toBe(true);
  });

  test('sendAll includes what wslay queued itself: automatic pongs, a close reply', () => {
    const ctx = EventContext.server({}, { backend });
    ctx.recvFrom(hex('89 fd 00 00 00 00' + '61'.repeat(125) + '89 81 00 00 00 00 62'), () => {});
    expect(ctx.sendAll().toString('hex')).toBe('8a7d' + '61'.repeat(125) + '8a0162');
    ctx.recvFrom(hex('88 82 00 00 00 00 03 e8'), () => {});
    expect(ctx.sendAll().toString('hex')).toBe('880203e8');
  });

  // A client's genmask runs inside sendAll(): reads made from there must not touch its output.
  const clientReadingInGenmask = (
    read: (ctx: EventContext) => void,
    callbacks: EventCallbacks = {},
  ) => {
    let calls = 0;
    const ctx = EventContext.client(
      {
        ...callbacks,
        genmask: (c, buf) => {
          buf.fill(0);
          if (calls++ === 0) read(c);
          return 0;
        },
      },
      { backend },
    );
    ctx.queueMsg({ opcode: 1, msg: 'one' });
    ctx.queueMsg({ opcode: 2, msg: Buffer.alloc(300, 7) });
    return ctx;
  };
  const bothFrames = '818300000000' + '6f6e65' + '82fe012c00000000' + '07'.repeat(300);

  test('recvFrom() inside a hook of sendAll() leaves the output of sendAll() whole', () => {
    const got: string[] = [];
    const ctx = clientReadingInGenmask((c) =>
      c.recvFrom(hex('81 02 68 69'), (_op, msg) => got.push(String(msg))),
    );
    expect(ctx.sendAll().toString('hex')).toBe(bothFrames);
    expect(got).toEqual(['hi']);
  });

  test('recv() inside a hook of sendAll() leaves the rest of the output to sendAll()', () => {
    const sent: Buffer[] = [];
    const got: string[] = [];
    const ctx = clientReadingInGenmask((c) => c.recv(), {
      recv: recvOnce(hex('81 02 68 69')),
      send: (_c, data) => {
        sent.push(Buffer.from(data));
        return data.length;
      },
      onMsgRecv: (_c, { msg }) => {
        got.push(Buffer.from(msg).toString());
      },
    });
    expect(ctx.sendAll().toString('hex')).toBe(bothFrames);
    expect(sent).toEqual([]);
    expect(got).toEqual(['hi']);
  });

  test('a listener may call recvFrom on the same context while messages are delivered', () => {
    const ctx = EventContext.client({}, { backend });
    const got: string[] = [];
    ctx.recvFrom(hex('81 01 41 81 01 42'), (_op, msg) => {
      got.push(String(msg));
      if (String(msg) === 'A') ctx.recvFrom(hex('81 01 43'), (_o, m) => got.push(String(m)));
    });
    expect(got).toEqual(['A', 'C', 'B']);
  });
});
