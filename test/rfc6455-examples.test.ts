import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends.js';
import { createPeer } from './helpers/peer.js';

// RFC 6455 §5.7, each example sent by the right role and received by the other.
describe.each(backends)('RFC 6455 §5.7 examples (%s)', (backend) => {
  const server = () => createPeer({ backend, role: 'server' });
  const client = () => createPeer({ backend, role: 'client' });

  test('a client sends "Hello" as the masked frame 81 85 37 fa 21 3d 7f 9f 4d 51 58', () => {
    const c = client();
    c.ctx.queueMsg({ opcode: 1, msg: 'Hello' });
    expect(c.flush().toString('hex')).toBe('818537fa213d7f9f4d5158');
  });

  test('a server receives the masked "Hello" as one text message', () => {
    const s = server();
    s.receive('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    expect(s.events).toEqual([
      ['start', { fin: 1, rsv: 0, opcode: 1, payloadLength: 5 }],
      ['chunk', '48656c6c6f'],
      ['end'],
      ['msg', { rsv: 0, opcode: 1, msg: '48656c6c6f', statusCode: 0 }],
    ]);
  });

  test('a server sends "Hello" as the unmasked frame 81 05 48 65 6c 6c 6f', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 1, msg: Buffer.from('Hello') });
    expect(s.flush().toString('hex')).toBe('810548656c6c6f');
  });

  test('a client receives the unmasked "Hello"', () => {
    const c = client();
    c.receive('81 05 48 65 6c 6c 6f');
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 1, msg: '48656c6c6f', statusCode: 0 }]);
  });

  test('the fragmented "Hel" + "lo" arrives as one message after two frames', () => {
    const c = client();
    c.receive('01 03 48 65 6c 80 02 6c 6f');
    expect(c.events).toEqual([
      ['start', { fin: 0, rsv: 0, opcode: 1, payloadLength: 3 }],
      ['chunk', '48656c'],
      ['end'],
      ['start', { fin: 1, rsv: 0, opcode: 0, payloadLength: 2 }],
      ['chunk', '6c6f'],
      ['end'],
      ['msg', { rsv: 0, opcode: 1, msg: '48656c6c6f', statusCode: 0 }],
    ]);
  });

  test('an unmasked ping with "Hello" is answered by a masked pong with the same payload', () => {
    const c = client();
    c.receive('89 05 48 65 6c 6c 6f');
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 9, msg: '48656c6c6f', statusCode: 0 }]);
    expect(c.ctx.wantWrite()).toBe(true);
    expect(c.flush().toString('hex')).toBe('8a8537fa213d7f9f4d5158');
  });

  test('a masked ping to a server is answered by an unmasked pong', () => {
    const s = server();
    s.receive('89 85 37 fa 21 3d 7f 9f 4d 51 58');
    expect(s.flush().toString('hex')).toBe('8a0548656c6c6f');
  });

  test('a received pong is delivered and not answered', () => {
    const s = server();
    s.receive('8a 85 37 fa 21 3d 7f 9f 4d 51 58');
    expect(s.messages()).toEqual([{ rsv: 0, opcode: 10, msg: '48656c6c6f', statusCode: 0 }]);
    expect(s.ctx.wantWrite()).toBe(false);
  });

  test('256 bytes of binary use the 16-bit length form 82 7E 01 00', () => {
    const s = server();
    const payload = Buffer.alloc(256, 7);
    s.ctx.queueMsg({ opcode: 2, msg: payload });
    const out = s.flush();
    expect(out.subarray(0, 4).toString('hex')).toBe('827e0100');
    expect(out.subarray(4)).toEqual(payload);
    const c = client();
    c.receive(out);
    expect(c.messages()[0]).toMatchObject({ opcode: 2, msg: payload.toString('hex') });
  });

  test('64 KiB of binary use the 64-bit length form 82 7F 00 00 00 00 00 01 00 00', () => {
    const s = server();
    const payload = Buffer.alloc(65536, 0x5a);
    s.ctx.queueMsg({ opcode: 2, msg: payload });
    const out = s.flush();
    expect(out.subarray(0, 10).toString('hex')).toBe('827f0000000000010000');
    expect(out.length).toBe(65546);
    const c = client();
    c.receive(out);
    expect(c.messages()).toHaveLength(1);
    expect(Buffer.from(c.messages()[0]!.msg, 'hex')).toEqual(payload);
  });

  test('a client masks the 64 KiB form too and a server unmasks it', () => {
    const c = client();
    const payload = Buffer.alloc(65536, 0x11);
    c.ctx.queueMsg({ opcode: 2, msg: payload });
    const out = c.flush();
    expect(out.subarray(0, 14).toString('hex')).toBe('82ff000000000001000037fa213d');
    const s = server();
    s.receive(out);
    expect(Buffer.from(s.messages()[0]!.msg, 'hex')).toEqual(payload);
  });
});
