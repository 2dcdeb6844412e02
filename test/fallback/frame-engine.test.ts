import { describe, expect, test } from 'vitest';
import type { FrameEngine, FrameHooks, FrameIocb } from '../../src/backends/engine.js';
import { ErrorCode, MSG_MORE } from '../../src/constants.js';
import { fallbackBackend } from '../../src/fallback/index.js';
import { hex, toHex } from './engine-peer.js';

/** A frame engine over in-memory I/O; each send/recv hook call takes the next step's limit. */
function framePeer() {
  const engine: FrameEngine = fallbackBackend.createFrameEngine();
  let input = new Uint8Array(0);
  const sends: { data: string; flags: number }[] = [];
  const recvLengths: number[] = [];
  const sendLimits: number[] = [];
  const recvLimits: number[] = [];
  let out = '';
  const hooks: FrameHooks = {
    send(data, flags) {
      sends.push({ data: toHex(data), flags });
      const n = Math.min(data.length, sendLimits.shift() ?? data.length);
      out += toHex(data.subarray(0, Math.max(n, 0)));
      return n;
    },
    recv(buf) {
      recvLengths.push(buf.length);
      const n = Math.min(buf.length, input.length, recvLimits.shift() ?? Infinity);
      if (n <= 0) return -1;
      buf.set(input.subarray(0, n));
      input = input.subarray(n);
      return n;
    },
    genmask(buf) {
      buf.set([0x37, 0xfa, 0x21, 0x3d]);
      return 0;
    },
  };
  return {
    engine,
    sends,
    recvLengths,
    sendLimits,
    recvLimits,
    feed(h: string) {
      input = Uint8Array.from([...input, ...hex(h)]);
    },
    send(fin: number, opcode: number, length: number, mask: number, data: string, rsv = 0) {
      return engine.send(
        hooks,
        fin,
        rsv,
        opcode,
        length,
        mask,
        typeof data === 'string' ? hex(data) : data,
      );
    },
    recv: () => engine.recv(hooks),
    takeOutput() {
      const o = out;
      out = '';
      return o;
    },
  };
}

const hello = Buffer.from('Hello').toString('hex');
const frameOf = (r: FrameIocb | number) =>
  typeof r === 'number' ? r : { ...r, data: toHex(r.data) };

describe('frame API: sending', () => {
  test('RFC 6455 §5.7: unmasked and masked "Hello"', () => {
    const p = framePeer();
    expect(p.send(1, 1, 5, 0, hello)).toBe(5);
    expect(p.send(1, 1, 5, 1, hello)).toBe(5);
    expect(p.takeOutput()).toBe('810548656c6c6f' + '818537fa213d7f9f4d5158');
    expect(p.sends.map((s) => s.flags)).toEqual([MSG_MORE, 0, MSG_MORE, 0]);
  });

  test('a frame may be sent in pieces; the count returned is payload bytes only', () => {
    const p = framePeer();
    expect(p.send(0, 1, 5, 0, '48656c')).toBe(3);
    expect(p.send(0, 1, 5, 0, '6c6f')).toBe(2);
    expect(p.takeOutput()).toBe('010548656c6c6f');
  });

  test('a partial header gives WANT_WRITE and is finished by the next call', () => {
    const p = framePeer();
    p.sendLimits.push(1);
    expect(p.send(1, 1, 5, 0, hello)).toBe(ErrorCode.WANT_WRITE);
    expect(p.send(1, 1, 5, 0, hello)).toBe(5);
    expect(p.takeOutput()).toBe('810548656c6c6f');
  });

  test('a refused payload gives WANT_WRITE, a partly taken one its count', () => {
    const p = framePeer();
    p.sendLimits.push(2, -1);
    expect(p.send(1, 2, 3, 0, '616263')).toBe(ErrorCode.WANT_WRITE);
    p.sendLimits.push(1);
    expect(p.send(1, 2, 3, 0, '616263')).toBe(1);
    expect(p.send(1, 2, 3, 0, '6263')).toBe(2);
    expect(p.takeOutput()).toBe('8203616263');
  });

  test('masked payload keeps going after a partial write; masking follows the offset', () => {
    const p = framePeer();
    p.sendLimits.push(6, 2, -1);
    expect(p.send(1, 1, 5, 1, hello)).toBe(2);
    expect(p.send(1, 1, 5, 1, '6c6c6f')).toBe(3);
    expect(p.takeOutput()).toBe('818537fa213d7f9f4d5158');
  });

  test('arguments are checked as wslay does', () => {
    const p = framePeer();
    expect(p.send(1, 9, 126, 0, '')).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(p.send(1, 1, 1, 0, '4142')).toBe(ErrorCode.INVALID_ARGUMENT);
    // A fragmented control frame is not the sender's business.
    expect(p.send(0, 9, 0, 0, '')).toBe(0);
  });

  test('a failing genmask gives INVALID_CALLBACK', () => {
    const engine = fallbackBackend.createFrameEngine();
    const hooks: FrameHooks = { send: (d) => d.length, recv: () => -1, genmask: () => -1 };
    expect(engine.send(hooks, 1, 0, 1, 1, 1, hex('41'))).toBe(ErrorCode.INVALID_CALLBACK);
  });

  test('like wslay, once a masked frame was sent, payloads stay masked under unmasked headers', () => {
    const p = framePeer();
    p.send(1, 1, 2, 1, '4142');
    p.takeOutput();
    p.send(1, 1, 2, 0, '4142');
    expect(p.takeOutput()).toBe('8102' + '76b8');
  });
});

describe('frame API: receiving', () => {
  test('RFC 6455 §5.7 frames come back with their fields', () => {
    const p = framePeer();
    p.feed('818537fa213d7f9f4d5158' + '010348656c' + '80026c6f');
    expect(frameOf(p.recv())).toEqual({
      fin: 1,
      rsv: 0,
      opcode: 1,
      payloadLength: 5,
      mask: 1,
      data: hello,
    });
    expect(frameOf(p.recv())).toMatchObject({
      fin: 0,
      opcode: 1,
      payloadLength: 3,
      data: '48656c',
    });
    expect(frameOf(p.recv())).toMatchObject({ fin: 1, opcode: 0, payloadLength: 2, data: '6c6f' });
    expect(p.recv()).toBe(ErrorCode.WANT_READ);
  });

  test('a payload is returned in the pieces that arrived, and missing bytes give WANT_READ', () => {
    const p = framePeer();
    p.feed('8105');
    expect(p.recv()).toBe(ErrorCode.WANT_READ);
    p.feed('48656c');
    expect(frameOf(p.recv())).toMatchObject({ payloadLength: 5, data: '48656c' });
    p.feed('6c6f');
    expect(frameOf(p.recv())).toMatchObject({ payloadLength: 5, data: '6c6f' });
  });

  test('the recv hook gets the free part of a 4096-byte buffer', () => {
    const p = framePeer();
    p.feed('818537fa213d7f9f4d5158');
    p.recvLimits.push(3, 1);
    expect(p.recv()).toBe(ErrorCode.WANT_READ);
    expect(frameOf(p.recv())).toMatchObject({ data: hello });
    // Unread bytes move to the front before each call: 1, then 2 of them.
    expect(p.recvLengths).toEqual([4096, 4095, 4094]);
  });

  test.each([
    ['a fragmented ping', '0900'],
    ['a ping longer than 125 bytes', '897e'],
    ['a 16-bit length below 126', '817e007d'],
    ['a 64-bit length below 2^16', '817f000000000000ffff'],
    ['a 64-bit length of 2^63 or more', '817f8000000000000000'],
  ])('%s is a protocol error', (_name, bytes) => {
    const p = framePeer();
    p.feed(bytes);
    expect(p.recv()).toBe(ErrorCode.PROTO);
  });

  test('lengths up to 2^63 - 1 are reported as numbers', () => {
    const p = framePeer();
    p.feed('827f7fffffffffffffff41');
    expect(frameOf(p.recv())).toMatchObject({ payloadLength: 2 ** 63, data: '41' });
  });
});
