import { describe, expect, test } from 'vitest';
import { ErrorCode, EventContext, MSG_MORE } from '../src/index.js';
import { backends } from './helpers/backends.js';
import { createPeer, pump, recvOnce } from './helpers/peer.js';

describe.each(backends)('event I/O: would-block, partial writes, fragments (%s)', (backend) => {
  const server = (sendLimit?: number) => createPeer({ backend, role: 'server', sendLimit });
  const client = () => createPeer({ backend, role: 'client' });

  test('getters called from inside callbacks see wslay as it is at that moment', () => {
    const seen: string[] = [];
    const look = (c: EventContext, where: string) =>
      seen.push(
        `${where} queued=${c.getQueuedMsgCount()}/${c.getQueuedMsgLength()} wantWrite=${c.wantWrite()} ` +
          `closeReceived=${c.getCloseReceived()} readEnabled=${c.getReadEnabled()}`,
      );
    const ctx = EventContext.client(
      {
        send: (c, data) => {
          look(c, 'send');
          return data.length;
        },
        recv: recvOnce(Buffer.from('880203e8', 'hex')),
        onMsgRecv: (c) => look(c, 'msg'),
      },
      { backend },
    );
    ctx.queueMsg({ opcode: 1, msg: 'ab' });
    ctx.queueMsg({ opcode: 1, msg: 'c' });
    look(ctx, 'queued');
    ctx.send();
    look(ctx, 'sent');
    ctx.recv();
    look(ctx, 'received');
    expect(seen).toEqual([
      'queued queued=2/3 wantWrite=true closeReceived=false readEnabled=true',
      // A message counts as queued until its last byte is sent.
      'send queued=2/3 wantWrite=true closeReceived=false readEnabled=true',
      'send queued=2/3 wantWrite=true closeReceived=false readEnabled=true',
      'send queued=1/1 wantWrite=true closeReceived=false readEnabled=true',
      'send queued=1/1 wantWrite=true closeReceived=false readEnabled=true',
      'sent queued=0/0 wantWrite=false closeReceived=false readEnabled=true',
      'msg queued=1/2 wantWrite=true closeReceived=true readEnabled=false',
      'received queued=1/2 wantWrite=true closeReceived=true readEnabled=false',
    ]);
  });

  test('queueMsg copies the payload: changing the buffer afterwards changes nothing sent', () => {
    const s = server();
    const payload = Buffer.from('Hello');
    const bytes = new Uint8Array([1, 2, 3]);
    s.ctx.queueMsg({ opcode: 1, msg: payload });
    s.ctx.queueMsg({ opcode: 2, msg: bytes });
    payload.fill(0x78);
    bytes.fill(0);
    expect(s.flush().toString('hex')).toBe('810548656c6c6f' + '8203010203');
  });

  test('a frame is sent as header then payload, with MSG_MORE on the header', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 1, msg: 'Hello' });
    s.flush();
    expect(s.sendCalls).toEqual([
      { length: 2, flags: MSG_MORE },
      { length: 5, flags: 0 },
    ]);
  });

  test('MSG_MORE marks headers only, message after message', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 1, msg: 'a' });
    s.ctx.queueMsg({ opcode: 1, msg: 'b' });
    expect(s.flush().toString('hex')).toBe('8101618101' + '62');
    expect(s.sendCalls.map((c) => c.flags)).toEqual([MSG_MORE, 0, MSG_MORE, 0]);
  });

  test('a partial write ends send(); calling again until wantWrite() is false sends the same bytes', () => {
    const whole = server();
    const bytewise = server(1);
    const payload = Buffer.alloc(300, 0x61);
    for (const p of [whole, bytewise]) {
      p.ctx.queueMsg({ opcode: 2, msg: payload });
      p.ctx.queueMsg({ opcode: 1, msg: 'done' });
    }
    const expected = whole.flush();
    bytewise.ctx.send();
    expect(bytewise.takeOutput().length).toBe(1);
    const rest: Buffer[] = [];
    while (bytewise.ctx.wantWrite()) rest.push(bytewise.flush());
    expect(Buffer.concat([expected.subarray(0, 1), ...rest])).toEqual(expected);
    expect(bytewise.sendCalls.length).toBe(expected.length);
  });

  test('a queued close jumps ahead of queued data, which is then never sent', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 2, msg: Buffer.alloc(3) });
    s.ctx.queueClose(1000, 'done');
    expect(s.flush().toString('hex')).toBe('880603e8646f6e65');
    expect(s.ctx.getCloseSent()).toBe(true);
    expect(s.ctx.wantWrite()).toBe(false);
  });

  test('a would-block send returns normally and keeps the data queued', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 1, msg: 'queued' });
    s.blockSend(true);
    s.ctx.send();
    expect(s.takeOutput().length).toBe(0);
    expect(s.ctx.wantWrite()).toBe(true);
    expect(s.ctx.getQueuedMsgCount()).toBe(1);
    expect(s.ctx.getQueuedMsgLength()).toBe(6);
    s.blockSend(false);
    expect(s.flush().toString()).toContain('queued');
    expect(s.ctx.getQueuedMsgCount()).toBe(0);
    expect(s.ctx.wantWrite()).toBe(false);
  });

  test('a frame cut mid-header by a would-block resumes where it stopped', () => {
    const s = server(3);
    const c = client();
    s.ctx.queueMsg({ opcode: 2, msg: Buffer.alloc(200, 1) });
    let total = Buffer.alloc(0);
    for (let i = 0; i < 200 && s.ctx.wantWrite(); i++) {
      s.blockSend(i % 2 === 1);
      s.ctx.send();
      total = Buffer.concat([total, s.takeOutput()]);
    }
    c.receive(total);
    expect(c.messages()).toHaveLength(1);
    expect(c.messages()[0]!.msg).toBe('01'.repeat(200));
  });

  test('bytes arriving one at a time give the same callbacks as one chunk', () => {
    const frames = Buffer.from('0103 48656c 890141 8002 6c6f'.replace(/ /g, ''), 'hex');
    const whole = client();
    whole.receive(frames);
    const bytewise = client();
    for (const byte of frames) bytewise.receive(Buffer.from([byte]));
    expect(bytewise.messages()).toEqual(whole.messages());
    expect(bytewise.events.filter((e) => e[0] !== 'chunk')).toEqual(
      whole.events.filter((e) => e[0] !== 'chunk'),
    );
  });

  test('recv asks the recv callback for up to 4096 bytes and stops at would-block', () => {
    const c = client();
    c.receive('81 01 41');
    expect(c.recvLengths).toEqual([4096, 4096]);
  });

  test('a control frame between the fragments of a message is delivered in between', () => {
    const c = client();
    c.receive('01 03 48 65 6c 89 01 41 80 02 6c 6f');
    expect(c.messages()).toEqual([
      { rsv: 0, opcode: 9, msg: '41', statusCode: 0 },
      { rsv: 0, opcode: 1, msg: '48656c6c6f', statusCode: 0 },
    ]);
    expect(c.flush().toString('hex')).toBe('8a8137fa213d76');
  });

  test('a queued control frame goes out before queued data messages', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 2, msg: Buffer.alloc(3, 2) });
    s.ctx.queueMsg({ opcode: 9, msg: 'p' });
    expect(s.flush().toString('hex')).toBe('8901708203020202');
  });

  test('a fragmented message is read piece by piece and sent as continuation frames', () => {
    const s = server();
    const c = client();
    const pieces = [Buffer.from('Hel'), Buffer.from('lo, '), Buffer.from('world')];
    const lengths: number[] = [];
    s.ctx.queueFragmentedMsg({
      opcode: 1,
      read(_ctx, buf) {
        lengths.push(buf.length);
        const piece = pieces.shift()!;
        buf.set(piece);
        return { n: piece.length, eof: pieces.length === 0 };
      },
    });
    expect(s.ctx.getQueuedMsgCount()).toBe(1);
    pump(s, c);
    expect(lengths.every((n) => n > 0)).toBe(true);
    expect(Buffer.from(c.messages()[0]!.msg, 'hex').toString()).toBe('Hello, world');
    expect(c.events.filter((e) => e[0] === 'start').length).toBeGreaterThan(1);
  });

  test('a fragmented message sent a few bytes per send() call is sent whole, each piece read once', () => {
    const out: Buffer[] = [];
    let calls = 0;
    // Every other send callback call would block: each send() takes 3 bytes and stops.
    const ctx = EventContext.server(
      {
        send: (c, data) => {
          if (calls++ % 2 === 1) {
            c.setError(ErrorCode.WOULDBLOCK);
            return -1;
          }
          out.push(Buffer.from(data.subarray(0, 3)));
          return Math.min(3, data.length);
        },
      },
      { backend },
    );
    const pieces = ['Hel', 'lo, ', 'world'].map((p) => Buffer.from(p));
    let reads = 0;
    ctx.queueFragmentedMsg({
      opcode: 1,
      read: (_c, buf) => {
        const piece = pieces[reads++]!;
        buf.set(piece);
        return { n: piece.length, eof: reads === pieces.length };
      },
    });
    for (let i = 0; i < 100 && ctx.wantWrite(); i++) ctx.send();
    expect(ctx.wantWrite()).toBe(false);
    expect(reads).toBe(3);
    expect(Buffer.concat(out).toString('hex')).toBe(
      '0103' + '48656c' + '0004' + '6c6f2c20' + '8005' + '776f726c64',
    );
  });

  test('a fragmented read that fails (n: -1) makes send() throw CALLBACK_FAILURE and disables writing', () => {
    const s = server();
    let reads = 0;
    s.ctx.queueFragmentedMsg({
      opcode: 2,
      read: (_c, buf) => {
        if (reads++ > 0) return { n: -1, eof: false };
        buf[0] = 7;
        return { n: 1, eof: false };
      },
    });
    expect(() => s.ctx.send()).toThrow(
      expect.objectContaining({ code: ErrorCode.CALLBACK_FAILURE }),
    );
    expect(s.takeOutput().toString('hex')).toBe('020107');
    expect(s.ctx.getWriteEnabled()).toBe(false);
    expect(reads).toBe(2);
  });

  test('a fragmented message with rsv bits allowed carries RSV1 on its first frame', () => {
    const s = server();
    s.ctx.configSetAllowedRsvBits(4);
    s.ctx.queueFragmentedMsg(
      {
        opcode: 2,
        read: (_c, buf) => {
          buf[0] = 9;
          return { n: 1, eof: true };
        },
      },
      4,
    );
    expect(s.flush().toString('hex')).toBe('c20109');
  });

  test('a fragmented read that has nothing yet (n: 0) is asked again on the next send', () => {
    const s = server();
    let ready = false;
    s.ctx.queueFragmentedMsg({
      opcode: 2,
      read: (_c, buf) => {
        if (!ready) return { n: 0, eof: false };
        buf[0] = 0x42;
        return { n: 1, eof: true };
      },
    });
    s.flush();
    expect(s.ctx.wantWrite()).toBe(true);
    ready = true;
    const out = s.flush();
    expect(out[out.length - 1]).toBe(0x42);
    expect(s.ctx.wantWrite()).toBe(false);
  });

  test('queueMsg accepts strings as UTF-8 and bytes alike', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 1, msg: 'é' });
    s.ctx.queueMsg({ opcode: 2, msg: new Uint8Array([0xc3, 0xa9]) });
    expect(s.flush().toString('hex')).toBe('8102c3a98202c3a9');
  });

  test('getQueuedMsgLength counts queued payload bytes', () => {
    const s = server();
    s.ctx.queueMsg({ opcode: 1, msg: 'abc' });
    s.ctx.queueClose(1000, 'r');
    expect(s.ctx.getQueuedMsgCount()).toBe(2);
    expect(s.ctx.getQueuedMsgLength()).toBe(6);
  });

  test('setError(WOULDBLOCK) from recv ends recv() without an error', () => {
    const c = client();
    expect(() => c.ctx.recv()).not.toThrow();
    expect(c.ctx.wantRead()).toBe(true);
  });

  test('a recv callback that fails with CALLBACK_FAILURE makes recv() throw it', () => {
    const c = createPeer({
      backend,
      role: 'client',
      callbacks: {
        recv: (ctx) => {
          ctx.setError(ErrorCode.CALLBACK_FAILURE);
          return -1;
        },
      },
    });
    expect(() => c.ctx.recv()).toThrow(expect.objectContaining({ codeName: 'CALLBACK_FAILURE' }));
    expect(c.ctx.getReadEnabled()).toBe(false);
  });

  test('a send callback that fails makes send() throw CALLBACK_FAILURE and disables writing', () => {
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        send: (ctx) => {
          ctx.setError(ErrorCode.CALLBACK_FAILURE);
          return -1;
        },
      },
    });
    s.ctx.queueMsg({ opcode: 1, msg: 'x' });
    expect(() => s.ctx.send()).toThrow(
      expect.objectContaining({ code: ErrorCode.CALLBACK_FAILURE }),
    );
    expect(s.ctx.getWriteEnabled()).toBe(false);
  });
});
