import { describe, expect, test } from 'vitest';
import { ErrorCode, FrameContext, WslayError } from '../src/index.js';
import { backends } from './helpers/backends.js';
import { hex, RFC_MASK } from './helpers/peer.js';

describe.each(backends)('frame API (%s)', (backend) => {
  function framer(
    options: { input?: Buffer[]; sendLimit?: number; blockSend?: () => boolean } = {},
  ) {
    const input = options.input ?? [];
    const out: Buffer[] = [];
    const recvLengths: number[] = [];
    const ctx = FrameContext.create(
      {
        send(data) {
          if (options.blockSend?.()) return -1;
          const n = Math.min(data.length, options.sendLimit ?? data.length);
          out.push(Buffer.from(data.subarray(0, n)));
          return n;
        },
        recv(buf) {
          recvLengths.push(buf.length);
          const chunk = input.shift();
          if (chunk === undefined) return -1;
          const n = Math.min(buf.length, chunk.length);
          buf.set(chunk.subarray(0, n));
          if (n < chunk.length) input.unshift(chunk.subarray(n));
          return n;
        },
        genmask(buf) {
          buf.set(RFC_MASK);
          return 0;
        },
      },
      { backend },
    );
    return { ctx, input, out: () => Buffer.concat(out.splice(0)), recvLengths };
  }

  test('sends the masked "Hello" of RFC 6455 §5.7 and reports 5 payload bytes', () => {
    const f = framer();
    expect(
      f.ctx.send({
        fin: 1,
        rsv: 0,
        opcode: 1,
        payloadLength: 5,
        mask: 1,
        data: Buffer.from('Hello'),
      }),
    ).toBe(5);
    expect(f.out().toString('hex')).toBe('818537fa213d7f9f4d5158');
  });

  test('sends the fragmented "Hel" + "lo" as two frames', () => {
    const f = framer();
    f.ctx.send({ fin: 0, rsv: 0, opcode: 1, payloadLength: 3, mask: 0, data: Buffer.from('Hel') });
    f.ctx.send({ fin: 1, rsv: 0, opcode: 0, payloadLength: 2, mask: 0, data: Buffer.from('lo') });
    expect(f.out().toString('hex')).toBe('010348656c80026c6f');
  });

  test('a payload can be handed over in pieces across calls', () => {
    const f = framer();
    const iocb = {
      fin: 1,
      rsv: 0,
      opcode: 2,
      payloadLength: 256,
      mask: 0,
      data: Buffer.alloc(100, 1),
    };
    expect(f.ctx.send(iocb)).toBe(100);
    expect(f.ctx.send({ ...iocb, data: Buffer.alloc(156, 1) })).toBe(156);
    const out = f.out();
    expect(out.subarray(0, 4).toString('hex')).toBe('827e0100');
    expect(out.length).toBe(260);
  });

  test('a send callback that takes nothing yields WANT_WRITE, returned not thrown', () => {
    const f = framer({ blockSend: () => true });
    expect(
      f.ctx.send({ fin: 1, rsv: 0, opcode: 1, payloadLength: 1, mask: 0, data: Buffer.from('x') }),
    ).toBe(ErrorCode.WANT_WRITE);
  });

  test('a control frame with a payload over 125 bytes is INVALID_ARGUMENT', () => {
    const f = framer();
    expect(() =>
      f.ctx.send({
        fin: 1,
        rsv: 0,
        opcode: 9,
        payloadLength: 126,
        mask: 0,
        data: Buffer.alloc(126),
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });

  test('receives the unmasked "Hello" with its header fields', () => {
    const f = framer({ input: [hex('81 05 48 65 6c 6c 6f')] });
    const frame = f.ctx.recv();
    expect(frame).toMatchObject({ fin: 1, rsv: 0, opcode: 1, payloadLength: 5, mask: 0 });
    expect(Buffer.from(frame!.data).toString()).toBe('Hello');
  });

  test('receives the masked "Hello" unmasked', () => {
    const f = framer({ input: [hex('81 85 37 fa 21 3d 7f 9f 4d 51 58')] });
    const frame = f.ctx.recv();
    expect(frame).toMatchObject({ mask: 1, payloadLength: 5 });
    expect(Buffer.from(frame!.data).toString()).toBe('Hello');
  });

  test('recv returns null (WANT_READ) when no bytes are ready, then resumes', () => {
    const f = framer({ input: [hex('81 05 48 65')] });
    const first = f.ctx.recv();
    expect(first === null || first.data.length < 5).toBe(true);
    f.input.push(hex('6c 6c 6f'));
    const parts: string[] = first ? [Buffer.from(first.data).toString()] : [];
    for (let frame = f.ctx.recv(); frame !== null; frame = f.ctx.recv()) {
      parts.push(Buffer.from(frame.data).toString());
      if (parts.join('') === 'Hello') break;
    }
    expect(parts.join('')).toBe('Hello');
  });

  test('the 64-bit length form is decoded', () => {
    const f = framer({
      input: [Buffer.concat([hex('82 7f 00 00 00 00 00 01 00 00'), Buffer.alloc(65536, 3)])],
    });
    let total = 0;
    for (let frame = f.ctx.recv(); frame !== null; frame = f.ctx.recv()) {
      expect(frame.payloadLength).toBe(65536);
      total += frame.data.length;
      if (total === 65536) break;
    }
    expect(total).toBe(65536);
  });

  test('the 16-bit length form carries 126 bytes and up; a shorter one in it is refused', () => {
    const f = framer({ input: [Buffer.concat([hex('82 7e 00 7e'), Buffer.alloc(126, 5)])] });
    let total = 0;
    for (let frame = f.ctx.recv(); frame !== null && total < 126; frame = f.ctx.recv()) {
      expect(frame.payloadLength).toBe(126);
      total += frame.data.length;
    }
    expect(total).toBe(126);
    const shorter = framer({ input: [Buffer.concat([hex('82 7e 00 7d'), Buffer.alloc(125)])] });
    expect(() => shorter.ctx.recv()).toThrow(WslayError);
  });

  test.each([
    [125, '827d'],
    [126, '827e007e'],
    [65535, '827effff'],
    [0x10102, '827f0000000000010102'],
  ])('a %i-byte payload is sent with the shortest length form', (length, header) => {
    const f = framer();
    const data = Buffer.alloc(length, 9);
    expect(f.ctx.send({ fin: 1, rsv: 0, opcode: 2, payloadLength: length, mask: 0, data })).toBe(
      length,
    );
    const out = f.out();
    expect(out.subarray(0, header.length / 2).toString('hex')).toBe(header);
    expect(out.subarray(header.length / 2)).toEqual(data);
  });

  test('a header split across reads, after a frame read from the same chunk, waits for its rest', () => {
    const f = framer({ input: [hex('81 02 68 69 82'), hex('03 01 02 03')] });
    const frames: { opcode: number; data: string }[] = [];
    for (let frame = f.ctx.recv(); frame !== null; frame = f.ctx.recv()) {
      frames.push({ opcode: frame.opcode, data: Buffer.from(frame.data).toString('hex') });
      if (frames.length === 2) break;
    }
    expect(frames).toEqual([
      { opcode: 1, data: '6869' },
      { opcode: 2, data: '010203' },
    ]);
  });

  test('a 64-bit length with the top bit set is a protocol error', () => {
    const f = framer({ input: [hex('82 7f 80 00 00 00 00 00 00 00')] });
    expect(() => f.ctx.recv()).toThrow(WslayError);
  });

  test('an exception in a frame callback is re-thrown by the call', () => {
    const boom = new Error('boom');
    const ctx = FrameContext.create(
      {
        send: () => {
          throw boom;
        },
        recv: () => {
          throw boom;
        },
      },
      { backend },
    );
    expect(() => ctx.recv()).toThrow(boom);
    expect(() =>
      ctx.send({ fin: 1, rsv: 0, opcode: 1, payloadLength: 0, mask: 0, data: new Uint8Array() }),
    ).toThrow(boom);
    ctx.free();
  });
});
