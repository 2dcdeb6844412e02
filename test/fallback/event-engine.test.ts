import { describe, expect, test } from 'vitest';
import { ErrorCode, MSG_MORE, Rsv } from '../../src/constants.js';
import { EnginePeer, frame, hex } from './engine-peer.js';

const server = () => new EnginePeer('server');
const client = () => new EnginePeer('client');
const text = (s: string) => Buffer.from(s).toString('hex');

describe('RFC 6455 §5.7 examples', () => {
  test('a single-frame unmasked text message reaches a client', () => {
    const c = client().feed('810548656c6c6f');
    expect(c.recv()).toBe(0);
    expect(c.events).toEqual([
      { type: 'start', fin: 1, rsv: 0, opcode: 1, payloadLength: 5 },
      { type: 'chunk', data: text('Hello') },
      { type: 'end' },
      { type: 'msg', rsv: 0, opcode: 1, msg: text('Hello'), statusCode: 0 },
    ]);
  });

  test('a single-frame masked text message reaches a server unmasked', () => {
    const s = server().feed('818537fa213d7f9f4d5158');
    s.recv();
    expect(s.messages()).toEqual([[1, text('Hello'), 0]]);
  });

  test('a fragmented unmasked text message is delivered whole', () => {
    const c = client().feed('010348656c').feed('80026c6f');
    c.recv();
    expect(c.messages()).toEqual([[1, text('Hello'), 0]]);
    expect(c.events.filter((e) => e.type === 'start')).toHaveLength(2);
  });

  test('an unmasked ping is answered with a masked pong carrying its payload', () => {
    const c = client().feed('890548656c6c6f');
    c.recv();
    expect(c.messages()).toEqual([[9, text('Hello'), 0]]);
    expect(c.flush()).toBe('8a8537fa213d7f9f4d5158');
  });

  test('a masked pong is delivered and answered with nothing', () => {
    const s = server().feed('8a8537fa213d7f9f4d5158');
    s.recv();
    expect(s.messages()).toEqual([[10, text('Hello'), 0]]);
    expect(s.engine.wantWrite()).toBe(false);
  });

  test('256-byte and 64 KiB binary messages use the 16- and 64-bit length forms', () => {
    const c = client();
    c.feed('827e0100')
      .feed(new Uint8Array(256))
      .feed('827f0000000000010000')
      .feed(new Uint8Array(65536));
    c.recv();
    const starts = c.events.filter((e) => e.type === 'start');
    expect(starts.map((e) => e.type === 'start' && e.payloadLength)).toEqual([256, 65536]);
    expect(c.messages().map(([op, msg]) => [op, msg.length / 2])).toEqual([
      [2, 256],
      [2, 65536],
    ]);
  });

  test('sending "Hello" as a server and as a client gives the RFC bytes', () => {
    const s = server();
    s.engine.queueMsg(1, Buffer.from('Hello'), -1);
    expect(s.flush()).toBe('810548656c6c6f');
    const c = client();
    c.engine.queueMsg(1, Buffer.from('Hello'), -1);
    expect(c.flush()).toBe('818537fa213d7f9f4d5158');
  });
});

describe('reading', () => {
  test('the recv hook is offered the free tail of a 4096-byte buffer, once per header part', () => {
    // 81 fe 01 2c | mask key | payload, handed over 3, 1, 1 and 1 bytes at a time.
    const s = server().feed(frame(1, 2, new Uint8Array(300), true));
    s.recvSteps.push(3, 1, 1, 1);
    s.recv();
    s.recv();
    // After 3 bytes one length byte is left unread (4095 free); the mask key then needs a
    // call of its own, and too few bytes end recv() until the next one.
    expect(s.recvLengths).toEqual([4096, 4095, 4096, 4095]);
  });

  test('a frame header split over recv calls is reassembled', () => {
    const s = server().feed(frame(1, 2, 'abc', true));
    s.recvSteps.push(1, 'wouldblock', 3, 'wouldblock');
    for (let i = 0; i < 3; i++) expect(s.recv()).toBe(0);
    expect(s.events).toEqual([]);
    s.recv();
    expect(s.messages()).toEqual([[2, text('abc'), 0]]);
  });

  test('a message is delivered in the chunks the transport produced', () => {
    const s = server().feed(frame(1, 2, 'abcdef', true));
    s.recvSteps.push(8, 'wouldblock');
    s.recv();
    s.recv();
    expect(s.events.filter((e) => e.type === 'chunk')).toEqual([
      { type: 'chunk', data: text('ab') },
      { type: 'chunk', data: text('cdef') },
    ]);
    expect(s.messages()).toEqual([[2, text('abcdef'), 0]]);
  });

  test('an empty frame still gets start, chunk and end callbacks', () => {
    const s = server().feed(frame(1, 1, '', true));
    s.recv();
    expect(s.events.map((e) => e.type)).toEqual(['start', 'chunk', 'end', 'msg']);
  });

  test('callbacks missing from the mask are not called, the rest still are', () => {
    const s = new EnginePeer('server', 1 | 2 | 4 | 64);
    s.feed(frame(1, 1, 'hi', true));
    s.recv();
    expect(s.events.map((e) => e.type)).toEqual(['msg']);
  });

  test('a ping between fragments is answered and the message still completes', () => {
    const s = server()
      .feed(frame(0, 1, 'Hel', true))
      .feed(frame(1, 9, 'p', true))
      .feed(frame(1, 0, 'lo', true));
    s.recv();
    expect(s.messages()).toEqual([
      [9, text('p'), 0],
      [1, text('Hello'), 0],
    ]);
    expect(s.flush()).toBe('8a0170');
  });

  test('with no buffering the message callback gets an empty message', () => {
    const s = server();
    s.engine.setNoBuffering(true);
    s.feed(frame(0, 1, 'ab', true)).feed(frame(1, 0, 'cd', true));
    s.recv();
    expect(s.messages()).toEqual([[1, '', 0]]);
    expect(s.events.filter((e) => e.type === 'chunk').length).toBe(2);
  });

  test('control frames are buffered even with no buffering', () => {
    const s = server();
    s.engine.setNoBuffering(true);
    s.feed(frame(1, 9, 'ab', true));
    s.recv();
    expect(s.messages()).toEqual([[9, text('ab'), 0]]);
  });
});

describe('closing', () => {
  test('a received close is echoed with its code and reason, and reading stops', () => {
    const s = server()
      .feed(frame(1, 8, hex('03e8616263'), true))
      .feed(frame(1, 1, 'late', true));
    expect(s.recv()).toBe(0);
    expect(s.messages()).toEqual([[8, '03e8616263', 1000]]);
    expect(s.engine.getCloseReceived()).toBe(true);
    expect(s.engine.getStatusCodeReceived()).toBe(1000);
    expect(s.engine.getReadEnabled()).toBe(false);
    expect(s.engine.wantRead()).toBe(false);
    expect(s.flush()).toBe('880503e8616263');
    expect(s.engine.getCloseSent()).toBe(true);
    expect(s.engine.getStatusCodeSent()).toBe(1000);
    expect(s.engine.getWriteEnabled()).toBe(false);
  });

  test('the close is queued before on_msg_recv runs, so a close queued there fails', () => {
    const s = server().feed(frame(1, 8, hex('03e8'), true));
    const inside: number[] = [];
    s.onMessage = (e) => inside.push(e.getQueuedMsgCount(), e.queueClose(1001, null));
    s.recv();
    expect(inside).toEqual([1, ErrorCode.NO_MORE_MSG]);
  });

  test('a close with no payload or one byte is accepted and answered with an empty close', () => {
    for (const payload of ['', '03']) {
      const s = server().feed(frame(1, 8, hex(payload), true));
      s.recv();
      expect(s.messages()).toEqual([[8, payload, 0]]);
      expect(s.engine.getStatusCodeReceived()).toBe(1005);
      expect(s.flush()).toBe('8800');
      expect(s.engine.getStatusCodeSent()).toBe(1005);
    }
  });

  test('received close codes outside 1000-1003, 1007-1011 and 3000-4999 fail with 1002', () => {
    const accepted: number[] = [];
    for (const code of [
      0, 999, 1000, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1015, 2999, 3000, 4999, 5000, 65535,
    ]) {
      const s = server().feed(frame(1, 8, Uint8Array.of(code >> 8, code & 0xff), true));
      s.recv();
      if (s.engine.getCloseReceived()) accepted.push(code);
      else expect(s.flush()).toBe('880203ea');
    }
    expect(accepted).toEqual([1000, 1003, 1007, 1011, 3000, 4999]);
  });

  test('an invalid close code is rejected after on_frame_recv_end, without on_msg_recv', () => {
    const s = server().feed(frame(1, 8, hex('0000'), true));
    s.recv();
    expect(s.events.map((e) => e.type)).toEqual(['start', 'chunk', 'end']);
  });

  test('a close reason that is not UTF-8 fails with 1007 before its chunk is delivered', () => {
    const s = server().feed(frame(1, 8, hex('03e841ff'), true));
    s.recv();
    expect(s.events.map((e) => e.type)).toEqual(['start']);
    expect(s.engine.getCloseReceived()).toBe(false);
    expect(s.flush()).toBe('880203ef');
  });

  test('a close reason ending inside a character fails with 1007 before on_frame_recv_end', () => {
    const s = server().feed(frame(1, 8, hex('03e8c3'), true));
    s.recv();
    expect(s.events.map((e) => e.type)).toEqual(['start', 'chunk']);
    expect(s.flush()).toBe('880203ef');
  });

  test('like wslay, the reason check skips the first two bytes of every chunk', () => {
    // 03e8 41 | ff: the second chunk is one byte, skipped, so the bad byte passes.
    const split = server().feed(frame(1, 8, hex('03e841ff'), true));
    split.recvSteps.push(9);
    split.recv();
    expect(split.messages()).toEqual([[8, '03e841ff', 1000]]);
    // 03 | e8 41 42 ff: the second chunk's check starts at 42, so ff is caught.
    const caught = server().feed(frame(1, 8, hex('03e84142ff'), true));
    caught.recvSteps.push(7);
    caught.recv();
    expect(caught.engine.getCloseReceived()).toBe(false);
  });

  test('a close queued locally is sent before queued data, which then stays queued', () => {
    const s = server();
    s.engine.queueMsg(2, hex('0102'), -1);
    expect(s.engine.queueClose(1001, Buffer.from('bye'))).toBe(0);
    expect(s.flush()).toBe('880503e9627965');
    expect(s.engine.getQueuedMsgCount()).toBe(1);
    expect(s.engine.getQueuedMsgLength()).toBe(2);
    expect(s.engine.wantWrite()).toBe(false);
  });

  test('after a local close, the peer close is not echoed and reading stops', () => {
    const s = server();
    s.engine.queueClose(1001, null);
    s.flush();
    s.feed(frame(1, 8, hex('03e8'), true));
    s.recv();
    expect(s.engine.getCloseReceived()).toBe(true);
    expect(s.engine.getStatusCodeReceived()).toBe(1000);
    expect(s.engine.getQueuedMsgCount()).toBe(0);
    expect(s.engine.wantRead()).toBe(false);
  });

  test('queue_close goes ahead of queued pings, but a close queued as a message goes first', () => {
    const plain = server();
    plain.engine.queueMsg(9, hex('01'), -1);
    plain.engine.queueClose(1000, null);
    expect(plain.flush()).toBe('880203e8');
    const asMessage = server();
    asMessage.engine.queueMsg(9, hex('01'), -1);
    asMessage.engine.queueMsg(8, hex('03e1'), -1);
    expect(asMessage.engine.queueClose(1003, null)).toBe(0);
    expect(asMessage.flush()).toBe('880203e1');
    expect(asMessage.engine.getStatusCodeSent()).toBe(993);
  });

  test('status code sent: 1005 for a close without a code, the code otherwise', () => {
    const empty = server();
    empty.engine.queueMsg(8, hex('0000ff'), -1);
    empty.flush();
    expect(empty.engine.getStatusCodeSent()).toBe(1005);
    const coded = server();
    coded.engine.queueClose(3000, null);
    expect(coded.engine.getStatusCodeSent()).toBe(1006);
    coded.flush();
    expect(coded.engine.getStatusCodeSent()).toBe(3000);
  });
});

describe('protocol violations', () => {
  const failsWith = (s: EnginePeer, closeFrame: string) => {
    expect(s.recv()).toBe(0);
    expect(s.engine.getReadEnabled()).toBe(false);
    expect(s.flush()).toBe(closeFrame);
  };

  test.each([
    ['reserved bits not allowed', frame(1, 1, 'a', true, 4)],
    ['an unknown data opcode', frame(1, 3, 'a', true)],
    ['an unknown control opcode', frame(1, 11, '', true)],
    ['an unmasked frame from a client', frame(1, 2, 'a', false)],
    ['a continuation with no message', frame(1, 0, 'a', true)],
  ])('%s fails the connection with 1002', (_name, bytes) => {
    const s = server().feed(bytes);
    failsWith(s, '880203ea');
    expect(s.events).toEqual([]);
  });

  test('a masked frame from a server fails the client with 1002', () => {
    failsWith(client().feed(frame(1, 2, 'a', true)), '888237fa213d3410');
  });

  test('a new data message inside a fragmented one fails with 1002', () => {
    failsWith(
      server()
        .feed(frame(0, 2, 'a', true))
        .feed(frame(1, 1, 'b', true)),
      '880203ea',
    );
  });

  test('RSV1 passes when allowed, on the first frame of a data message only', () => {
    const ok = server();
    ok.engine.setAllowedRsvBits(Rsv.RSV1_BIT);
    ok.feed(frame(0, 2, 'a', true, 4)).feed(frame(1, 0, 'b', true));
    ok.recv();
    expect(ok.messages()).toEqual([[2, text('ab'), 0]]);
    expect(ok.events.at(-1)).toMatchObject({ rsv: 4 });
    const onContinuation = server();
    onContinuation.engine.setAllowedRsvBits(Rsv.RSV1_BIT);
    failsWith(
      onContinuation.feed(frame(0, 2, 'a', true)).feed(frame(1, 0, 'b', true, 4)),
      '880203ea',
    );
    const onPing = server();
    onPing.engine.setAllowedRsvBits(Rsv.RSV1_BIT);
    failsWith(onPing.feed(frame(1, 9, '', true, 4)), '880203ea');
  });

  test('only RSV1 can be allowed', () => {
    const s = server();
    s.engine.setAllowedRsvBits(7);
    failsWith(s.feed(frame(1, 1, 'a', true, 2)), '880203ea');
  });

  test('text that is not UTF-8 fails with 1007 before its chunk is delivered', () => {
    const s = server().feed(frame(1, 1, hex('41ff42'), true));
    failsWith(s, '880203ef');
    expect(s.events.map((e) => e.type)).toEqual(['start']);
  });

  test('text is validated across fragments and ping frames', () => {
    const s = server()
      .feed(frame(0, 1, hex('41c3'), true))
      .feed(frame(1, 9, '', true))
      .feed(frame(1, 0, hex('a9'), true));
    s.recv();
    expect(s.messages()).toEqual([
      [9, '', 0],
      [1, '41c3a9', 0],
    ]);
  });

  test('text ending inside a character fails with 1007 before on_frame_recv_end', () => {
    const s = server().feed(frame(1, 1, hex('41c3'), true));
    failsWith(s, '880203ef');
    expect(s.events.map((e) => e.type)).toEqual(['start', 'chunk']);
  });

  test('compressed (RSV1) text is not validated', () => {
    const s = server();
    s.engine.setAllowedRsvBits(Rsv.RSV1_BIT);
    s.feed(frame(1, 1, hex('ff'), true, 4));
    s.recv();
    expect(s.messages()).toEqual([[1, 'ff', 0]]);
  });

  test('a message longer than the limit fails with 1009 before on_frame_recv_start', () => {
    const s = server();
    s.engine.setMaxRecvMsgLength(5);
    s.feed(frame(0, 1, 'abc', true)).feed(frame(1, 0, 'def', true));
    failsWith(s, '880203f1');
    expect(s.events.filter((e) => e.type === 'start')).toHaveLength(1);
  });

  test('the length limit applies to control frames and, without buffering, to each frame', () => {
    const ping = server();
    ping.engine.setMaxRecvMsgLength(1);
    failsWith(ping.feed(frame(1, 9, 'ab', true)), '880203f1');
    const unbuffered = server();
    unbuffered.engine.setMaxRecvMsgLength(3);
    unbuffered.engine.setNoBuffering(true);
    unbuffered.feed(frame(0, 1, 'abc', true)).feed(frame(1, 0, 'def', true));
    unbuffered.recv();
    expect(unbuffered.messages()).toEqual([[1, '', 0]]);
  });

  test('a 1002 violation is reported before a 1009 one', () => {
    const s = server();
    s.engine.setMaxRecvMsgLength(1);
    failsWith(s.feed(frame(1, 2, 'abc', true, 4)), '880203ea');
  });

  test.each([
    ['a fragmented ping', '0980'],
    ['a ping longer than 125 bytes', '89fe007e'],
    ['a 16-bit length below 126', '82fe007d'],
    ['a 64-bit length below 65536', '82ff000000000000ffff'],
    ['a 64-bit length with the top bit set', '82ff8000000000000000'],
  ])('%s fails recv() with CALLBACK_FAILURE and queues an empty close', (_name, bytes) => {
    const s = server().feed(bytes);
    expect(s.recv()).toBe(ErrorCode.CALLBACK_FAILURE);
    expect(s.engine.getReadEnabled()).toBe(false);
    expect(s.flush()).toBe('8800');
  });

  test('a frame longer than this process can buffer fails recv() with NOMEM', () => {
    const s = server();
    s.engine.setMaxRecvMsgLength(Number.MAX_SAFE_INTEGER);
    s.feed('82ff00000100000000000000000041');
    expect(s.recv()).toBe(ErrorCode.NOMEM);
    expect(s.events.map((e) => e.type)).toEqual(['start']);
    expect(s.engine.getReadEnabled()).toBe(false);
    expect(s.engine.wantWrite()).toBe(false);
  });
});

describe('errors and would-block', () => {
  test('a recv hook failure queues an empty close and fails recv()', () => {
    const s = server();
    s.recvSteps.push('failure');
    expect(s.recv()).toBe(ErrorCode.CALLBACK_FAILURE);
    expect(s.engine.getReadEnabled()).toBe(false);
    expect(s.flush()).toBe('8800');
  });

  test('-1 without an error code is taken as would-block', () => {
    const s = server().feed(frame(1, 1, 'a', true));
    s.recvSteps.push('silent', 'silent');
    expect(s.recv()).toBe(0);
    expect(s.recv()).toBe(0);
    expect(s.engine.getReadEnabled()).toBe(true);
    s.engine.queueMsg(1, hex('41'), -1);
    s.sendSteps.push('silent');
    expect(s.send()).toBe(0);
    expect(s.engine.wantWrite()).toBe(true);
  });

  test('an error code set earlier turns a later would-block into a failure', () => {
    const s = server().feed(frame(1, 1, 'a', true));
    s.engine.setError(ErrorCode.INVALID_ARGUMENT);
    s.recvSteps.push(1);
    // One byte is no header: the recv would block, and the stale code makes it a failure.
    expect(s.recv()).toBe(ErrorCode.CALLBACK_FAILURE);
  });

  test('the error code is cleared just before on_msg_recv, if there is one', () => {
    const s = server().feed(frame(1, 1, 'a', true));
    s.engine.setError(5);
    s.recvSteps.push(Infinity, 'silent');
    expect(s.recv()).toBe(0);
    const noMsgCallback = new EnginePeer('server', 1 | 2 | 4 | 8 | 16 | 32).feed(
      frame(1, 1, 'a', true),
    );
    noMsgCallback.engine.setError(5);
    noMsgCallback.recvSteps.push(Infinity, 'silent');
    expect(noMsgCallback.recv()).toBe(ErrorCode.CALLBACK_FAILURE);
  });

  test('a send hook failure disables writing and fails send()', () => {
    const s = server();
    s.engine.queueMsg(1, hex('41'), -1);
    s.sendSteps.push('failure');
    expect(s.send()).toBe(ErrorCode.CALLBACK_FAILURE);
    expect(s.engine.getWriteEnabled()).toBe(false);
    expect(s.engine.queueMsg(1, hex('41'), -1)).toBe(ErrorCode.NO_MORE_MSG);
  });
});

describe('writing', () => {
  test('a frame goes out as header (with MSG_MORE) then payload', () => {
    const s = server();
    s.engine.queueMsg(1, Buffer.from('Hello'), -1);
    s.engine.queueMsg(9, new Uint8Array(0), -1);
    s.flush();
    expect(s.sendCalls).toEqual([
      { data: '8900', flags: 0 },
      { data: '8105', flags: MSG_MORE },
      { data: text('Hello'), flags: 0 },
    ]);
  });

  test('a client masks the payload through a 4096-byte buffer', () => {
    const c = client();
    c.engine.queueMsg(2, new Uint8Array(10000), -1);
    c.flush();
    expect(c.sendCalls.map((s) => [s.data.length / 2, s.flags])).toEqual([
      [8, MSG_MORE],
      [4096, 0],
      [4096, 0],
      [1808, 0],
    ]);
  });

  test('a partial write of a server frame ends send(); the rest follows on the next call', () => {
    const s = server();
    s.engine.queueMsg(1, Buffer.from('Hello'), -1);
    s.engine.queueMsg(1, Buffer.from('!'), -1);
    s.sendSteps.push(1);
    expect(s.flush()).toBe('81');
    expect(s.engine.wantWrite()).toBe(true);
    s.sendSteps.push(1, 3);
    expect(s.flush()).toBe('0548656c');
    expect(s.flush()).toBe('6c6f' + '8101' + '21');
    expect(s.engine.getQueuedMsgCount()).toBe(0);
  });

  test('masked payload keeps going after a partial write, re-masking from the new offset', () => {
    const c = client();
    c.engine.queueMsg(2, new Uint8Array(5000), -1);
    c.sendSteps.push(8, 1000, 'wouldblock');
    c.flush();
    expect(c.sendCalls.map((s) => s.data.length / 2)).toEqual([8, 4096, 4000]);
    c.flush();
    expect(c.engine.wantWrite()).toBe(false);
  });

  test('a control frame waits for a data frame already started', () => {
    const s = server();
    s.engine.queueMsg(1, hex('4142'), -1);
    s.sendSteps.push('wouldblock');
    s.send();
    s.engine.queueMsg(9, new Uint8Array(0), -1);
    expect(s.flush()).toBe('810241428900');
  });

  test('queue arguments are checked as wslay does', () => {
    const s = server();
    expect(s.engine.queueMsg(9, new Uint8Array(126), -1)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(s.engine.queueMsg(1, hex('41'), Rsv.RSV1_BIT)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(s.engine.queueMsg(3, hex('41'), -1)).toBe(0);
    expect(s.engine.queueFragmentedMsg(9, 1, -1)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(s.engine.queueClose(1000, new Uint8Array(124))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(s.engine.queueClose(0, new Uint8Array(124))).toBe(ErrorCode.INVALID_ARGUMENT);
    s.engine.setAllowedRsvBits(Rsv.RSV1_BIT);
    expect(s.engine.queueMsg(1, hex('41'), Rsv.RSV1_BIT)).toBe(0);
    expect(s.engine.queueMsg(9, hex('41'), Rsv.RSV1_BIT)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(s.engine.queueClose(4000, null)).toBe(0);
    expect(s.engine.queueMsg(1, hex('41'), -1)).toBe(ErrorCode.NO_MORE_MSG);
    expect(s.engine.getQueuedMsgCount()).toBe(3);
    expect(s.engine.getQueuedMsgLength()).toBe(4);
  });

  test('the queued message is a copy', () => {
    const s = server();
    const data = hex('4142');
    s.engine.queueMsg(2, data, -1);
    data.fill(0);
    expect(s.flush()).toBe('82024142');
  });

  test('a queued close via queue_msg does not stop further queueing', () => {
    const s = server();
    s.engine.queueMsg(8, hex('03e8'), -1);
    expect(s.engine.queueMsg(1, hex('41'), -1)).toBe(0);
    expect(s.flush()).toBe('880203e8');
    expect(s.engine.queueMsg(1, hex('41'), -1)).toBe(ErrorCode.NO_MORE_MSG);
  });
});

describe('fragmented messages', () => {
  test('each read fills one frame; RSV goes on the first frame only', () => {
    const s = server();
    s.engine.setAllowedRsvBits(Rsv.RSV1_BIT);
    s.sources.set(1, { data: new Uint8Array(5000), pos: 0, steps: [] });
    s.engine.queueFragmentedMsg(1, 1, Rsv.RSV1_BIT);
    expect(s.engine.getQueuedMsgLength()).toBe(0);
    s.flush();
    expect(s.sendCalls.map((c) => c.data.slice(0, 8))).toEqual([
      '417e1000',
      '00000000',
      '807e0388',
      '00000000',
    ]);
  });

  test('a read of nothing ends send() with the message kept, and pings go in between', () => {
    const s = server();
    s.sources.set(1, { data: hex('616263'), pos: 0, steps: [1, 0] });
    s.engine.queueFragmentedMsg(2, 1, -1);
    expect(s.flush()).toBe('020161');
    expect(s.engine.wantWrite()).toBe(true);
    s.engine.queueMsg(9, new Uint8Array(0), -1);
    expect(s.flush()).toBe('8900' + '80026263');
  });

  test('a failing read disables writing and fails send()', () => {
    const s = server();
    s.sources.set(1, { data: hex('61'), pos: 0, steps: ['failure'] });
    s.engine.queueFragmentedMsg(2, 1, -1);
    expect(s.send()).toBe(ErrorCode.CALLBACK_FAILURE);
    expect(s.engine.getWriteEnabled()).toBe(false);
  });
});
