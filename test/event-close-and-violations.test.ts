import { describe, expect, test } from 'vitest';
import { ErrorCode, Rsv, StatusCode, WslayError } from '../src/index.js';
import { backends } from './helpers/backends.js';
import { createPeer, pump } from './helpers/peer.js';

describe.each(backends)('close handshake and protocol violations (%s)', (backend) => {
  const server = () => createPeer({ backend, role: 'server' });
  const client = () => createPeer({ backend, role: 'client' });

  test('a close started by the server completes on both sides with code and reason', () => {
    const s = server();
    const c = client();
    s.ctx.queueClose(StatusCode.NORMAL_CLOSURE, 'bye');
    expect(s.ctx.getCloseSent()).toBe(false);
    expect(pump(s, c).toString('hex')).toBe('880503e8627965');
    expect(s.ctx.getCloseSent()).toBe(true);
    expect(s.ctx.getStatusCodeSent()).toBe(1000);
    expect(s.ctx.getWriteEnabled()).toBe(false);
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 8, msg: '03e8627965', statusCode: 1000 }]);
    expect(c.ctx.getCloseReceived()).toBe(true);
    expect(c.ctx.getStatusCodeReceived()).toBe(1000);
    expect(c.ctx.getReadEnabled()).toBe(false);
    expect(c.ctx.wantWrite()).toBe(true);
    pump(c, s);
    expect(c.ctx.getCloseSent()).toBe(true);
    expect(c.ctx.getStatusCodeSent()).toBe(1000);
    expect(s.ctx.getCloseReceived()).toBe(true);
    expect(s.ctx.getStatusCodeReceived()).toBe(1000);
    for (const p of [s, c]) {
      expect(p.ctx.wantRead()).toBe(false);
      expect(p.ctx.wantWrite()).toBe(false);
    }
  });

  test('a close started by the client is echoed with the same code by the server', () => {
    const s = server();
    const c = client();
    c.ctx.queueClose(StatusCode.GOING_AWAY);
    pump(c, s);
    expect(s.ctx.getStatusCodeReceived()).toBe(1001);
    expect(pump(s, c).toString('hex')).toBe('880203e9');
    expect(c.ctx.getStatusCodeReceived()).toBe(1001);
  });

  test('an empty close is answered by an empty close and reads as 1005', () => {
    const c = client();
    c.receive('88 00');
    expect(c.ctx.getStatusCodeReceived()).toBe(StatusCode.NO_STATUS_RCVD);
    expect(c.flush().toString('hex')).toBe('888037fa213d');
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.NO_STATUS_RCVD);
  });

  test('queueClose() with no code queues a close frame with an empty payload', () => {
    const s = server();
    s.ctx.queueClose();
    expect(s.flush().toString('hex')).toBe('8800');
  });

  test('status getters read 1006 before any close frame', () => {
    const s = server();
    expect(s.ctx.getStatusCodeReceived()).toBe(StatusCode.ABNORMAL_CLOSURE);
    expect(s.ctx.getStatusCodeSent()).toBe(StatusCode.ABNORMAL_CLOSURE);
    expect(s.ctx.getCloseReceived()).toBe(false);
    expect(s.ctx.getCloseSent()).toBe(false);
  });

  test('queueing after a close is queued fails with NO_MORE_MSG', () => {
    const s = server();
    s.ctx.queueClose(1000);
    const attempt = () => s.ctx.queueMsg({ opcode: 1, msg: 'late' });
    expect(attempt).toThrow(WslayError);
    try {
      attempt();
    } catch (error) {
      expect((error as WslayError).code).toBe(ErrorCode.NO_MORE_MSG);
      expect((error as WslayError).codeName).toBe('NO_MORE_MSG');
    }
    expect(() => s.ctx.queueClose(1000)).toThrow(/NO_MORE_MSG/);
  });

  test('a fragmented message queued after a close fails with NO_MORE_MSG', () => {
    const s = server();
    s.ctx.queueClose(1000);
    expect(() =>
      s.ctx.queueFragmentedMsg({ opcode: 1, read: () => ({ n: 0, eof: true }) }),
    ).toThrow(expect.objectContaining({ code: ErrorCode.NO_MORE_MSG }));
    expect(s.ctx.getQueuedMsgCount()).toBe(1);
  });

  test('a ping whose payload is not UTF-8 is answered with a pong carrying it', () => {
    // Only a close frame's reason must be UTF-8; a ping's payload is any bytes.
    const s = server();
    const c = client();
    c.receive('89 04 ff fe 00 c0');
    expect(c.ctx.getCloseSent()).toBe(false);
    pump(c, s);
    expect(s.messages()).toEqual([{ rsv: 0, opcode: 10, msg: 'fffe00c0', statusCode: 0 }]);
    expect(s.ctx.getCloseSent()).toBe(false);
  });

  test('a control frame over 125 bytes is refused with INVALID_ARGUMENT', () => {
    const s = server();
    expect(() => s.ctx.queueMsg({ opcode: 9, msg: new Uint8Array(126) })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    expect(() => s.ctx.queueClose(1000, 'x'.repeat(124))).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    s.ctx.queueMsg({ opcode: 9, msg: new Uint8Array(125) });
    expect(s.ctx.getQueuedMsgCount()).toBe(1);
    const longest = server();
    longest.ctx.queueClose(1000, 'x'.repeat(123));
    expect(longest.flush().subarray(0, 4).toString('hex')).toBe('887d03e8');
  });

  test.each([
    ['an unmasked frame to a server', 'server', '81 05 48 65 6c 6c 6f'],
    ['a masked frame to a client', 'client', '81 85 37 fa 21 3d 7f 9f 4d 51 58'],
    ['a reserved opcode', 'client', '83 00'],
    ['an RSV1 bit that no extension allows', 'client', 'c1 00'],
    ['a continuation with no message started', 'client', '80 02 6c 6f'],
    ['a close code that may not be sent (1004)', 'client', '88 02 03 ec'],
  ] as const)('%s is answered with close 1002 and reading stops', (_name, role, bytes) => {
    const p = createPeer({ backend, role });
    p.receive(bytes);
    expect(p.ctx.getReadEnabled()).toBe(false);
    expect(p.ctx.wantWrite()).toBe(true);
    expect(p.flush().toString('hex')).toBe(role === 'client' ? '888237fa213d3410' : '880203ea');
    expect(p.ctx.getStatusCodeSent()).toBe(StatusCode.PROTOCOL_ERROR);
    expect(p.ctx.wantWrite()).toBe(false);
  });

  test('invalid UTF-8 in a text message is answered with close 1007', () => {
    const c = client();
    c.receive('81 02 c0 80');
    expect(c.messages()).toEqual([]);
    expect(c.flush().toString('hex')).toBe('888237fa213d3415');
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
  });

  test('invalid UTF-8 split across fragments is caught when the message ends', () => {
    const c = client();
    c.receive('01 01 e2 80 01 28');
    expect(c.messages()).toEqual([]);
    c.flush();
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
  });

  test('a valid code point split across fragments is accepted', () => {
    const c = client();
    c.receive('01 01 e2 80 02 82 ac');
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 1, msg: 'e282ac', statusCode: 0 }]);
  });

  test('a close reason with invalid UTF-8 in one chunk is answered with 1007', () => {
    const c = client();
    c.receive('88 04 03 e8 c0 80');
    c.flush();
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.INVALID_FRAME_PAYLOAD_DATA);
  });

  test('a message over configSetMaxRecvMsgLength is answered with 1009', () => {
    const c = client();
    c.ctx.configSetMaxRecvMsgLength(4);
    c.receive('82 05 48 65 6c 6c 6f');
    expect(c.messages()).toEqual([]);
    expect(c.ctx.getReadEnabled()).toBe(false);
    expect(c.flush().toString('hex')).toBe('888237fa213d340b');
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.MESSAGE_TOO_BIG);
  });

  test('a message of exactly the maximum length is accepted', () => {
    const c = client();
    c.ctx.configSetMaxRecvMsgLength(5);
    c.receive('82 05 48 65 6c 6c 6f');
    expect(c.messages()).toHaveLength(1);
  });

  test.each([
    ['a ping over 125 bytes', '89 7e 00 7e' + '00'.repeat(126)],
    ['a fragmented ping', '09 01 41'],
  ])('%s fails recv() and queues an empty close', (_name, bytes) => {
    const c = client();
    expect(() => c.receive(bytes)).toThrow(
      expect.objectContaining({ code: ErrorCode.CALLBACK_FAILURE }),
    );
    expect(c.ctx.getReadEnabled()).toBe(false);
    expect(c.flush().toString('hex')).toBe('888037fa213d');
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.NO_STATUS_RCVD);
  });

  test('no-buffering mode delivers chunks and an empty message at the end', () => {
    const c = client();
    c.ctx.configSetNoBuffering(true);
    c.receive('01 03 48 65 6c 80 02 6c 6f');
    expect(c.events.filter((e) => e[0] === 'chunk')).toEqual([
      ['chunk', '48656c'],
      ['chunk', '6c6f'],
    ]);
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 1, msg: '', statusCode: 0 }]);
  });

  test('no-buffering mode still buffers control frames', () => {
    const c = client();
    c.ctx.configSetNoBuffering(true);
    c.receive('89 02 68 69');
    expect(c.messages()).toEqual([{ rsv: 0, opcode: 9, msg: '6869', statusCode: 0 }]);
  });

  test('an RSV1 frame is accepted once configSetAllowedRsvBits allows it', () => {
    const c = client();
    c.ctx.configSetAllowedRsvBits(Rsv.RSV1_BIT);
    c.receive('c1 01 41');
    expect(c.messages()).toEqual([{ rsv: 4, opcode: 1, msg: '41', statusCode: 0 }]);
    expect(c.ctx.getReadEnabled()).toBe(true);
  });

  test('RSV1 on a control frame is a protocol error even when allowed', () => {
    const c = client();
    c.ctx.configSetAllowedRsvBits(Rsv.RSV1_BIT);
    c.receive('c9 00');
    c.flush();
    expect(c.ctx.getStatusCodeSent()).toBe(StatusCode.PROTOCOL_ERROR);
  });

  test('a message queued with rsv bits needs them allowed, then carries them in its header', () => {
    const s = server();
    expect(() => s.ctx.queueMsg({ opcode: 1, msg: 'A' }, Rsv.RSV1_BIT)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
    );
    s.ctx.configSetAllowedRsvBits(Rsv.RSV1_BIT);
    s.ctx.queueMsg({ opcode: 1, msg: 'A' }, Rsv.RSV1_BIT);
    expect(s.flush().toString('hex')).toBe('c10141');
  });

  test('shutdownRead and shutdownWrite stop each direction', () => {
    const s = server();
    s.ctx.shutdownRead();
    expect(s.ctx.getReadEnabled()).toBe(false);
    expect(s.ctx.wantRead()).toBe(false);
    s.ctx.queueMsg({ opcode: 1, msg: 'x' });
    s.ctx.shutdownWrite();
    expect(s.ctx.getWriteEnabled()).toBe(false);
    expect(s.ctx.wantWrite()).toBe(false);
  });
});
