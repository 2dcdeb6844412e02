import { describe, expect, test } from 'vitest';
import { EventContext, ErrorCode } from '../src/index.js';
import { backends } from './helpers/backends.js';
import { createPeer, pump } from './helpers/peer.js';

describe.each(backends)('callback exceptions, re-entrancy and free() (%s)', (backend) => {
  const boom = new Error('boom');

  test('an exception in recv is re-thrown by recv() and the context stays usable', () => {
    const c = createPeer({
      backend,
      role: 'client',
      callbacks: {
        recv: () => {
          throw boom;
        },
      },
    });
    expect(() => c.ctx.recv()).toThrow(boom);
    expect(c.ctx.getReadEnabled()).toBe(false);
    expect(c.ctx.wantWrite()).toBe(true);
    expect(c.flush().toString('hex')).toBe('888037fa213d');
    expect(c.ctx.getCloseSent()).toBe(true);
  });

  test('an exception in send is re-thrown by send() and counts as CALLBACK_FAILURE', () => {
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        send: () => {
          throw boom;
        },
      },
    });
    s.ctx.queueMsg({ opcode: 1, msg: 'x' });
    expect(() => s.ctx.send()).toThrow(boom);
    expect(s.ctx.getWriteEnabled()).toBe(false);
  });

  test('an exception in genmask is re-thrown by send()', () => {
    const c = createPeer({
      backend,
      role: 'client',
      callbacks: {
        genmask: () => {
          throw boom;
        },
      },
    });
    c.ctx.queueMsg({ opcode: 1, msg: 'x' });
    expect(() => c.ctx.send()).toThrow(boom);
  });

  test('an exception in a fragmented read is re-thrown by send()', () => {
    const s = createPeer({ backend, role: 'server' });
    s.ctx.queueFragmentedMsg({
      opcode: 2,
      read: () => {
        throw boom;
      },
    });
    expect(() => s.ctx.send()).toThrow(boom);
  });

  test.each(['onFrameRecvStart', 'onFrameRecvChunk', 'onFrameRecvEnd', 'onMsgRecv'] as const)(
    'an exception in %s is re-thrown after recv() has processed everything',
    (name) => {
      const c = createPeer({
        backend,
        role: 'client',
        callbacks: {
          [name]: () => {
            throw boom;
          },
        },
      });
      c.feed('81 01 41 81 01 42');
      expect(() => c.ctx.recv()).toThrow(boom);
      expect(c.ctx.getReadEnabled()).toBe(true);
      expect(() => c.receive('89 00')).toThrow(boom);
      expect(c.ctx.wantWrite()).toBe(true);
      expect(c.flush().toString('hex')).toBe('8a8037fa213d');
    },
  );

  test('only the first of several exceptions is re-thrown', () => {
    let n = 0;
    const c = createPeer({
      backend,
      role: 'client',
      callbacks: {
        onMsgRecv: () => {
          throw new Error(`e${++n}`);
        },
      },
    });
    c.feed('81 01 41 81 01 42 81 01 43');
    expect(() => c.ctx.recv()).toThrow('e1');
    expect(n).toBe(3);
  });

  test('a recv callback returning more than it was asked fails with a RangeError', () => {
    const c = createPeer({
      backend,
      role: 'client',
      callbacks: { recv: (_c, buf) => buf.length + 1 },
    });
    expect(() => c.ctx.recv()).toThrow(RangeError);
  });

  test('a send callback returning a non-number fails with a TypeError', () => {
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: { send: () => 'all' as unknown as number },
    });
    s.ctx.queueMsg({ opcode: 1, msg: 'x' });
    expect(() => s.ctx.send()).toThrow(TypeError);
  });

  test('queueMsg and send() inside onMsgRecv echo a message within the same recv()', () => {
    const out: Buffer[] = [];
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        send: (_c, data) => {
          out.push(Buffer.from(data));
          return data.length;
        },
        onMsgRecv: (ctx, { opcode, msg }) => {
          if (opcode === 1) {
            ctx.queueMsg({ opcode, msg });
            ctx.send();
          }
        },
      },
    });
    s.receive('81 82 00 00 00 00 68 69');
    expect(Buffer.concat(out).toString('hex')).toBe('81026869');
  });

  test('recv() inside a recv callback throws a clear Error instead of re-entering wslay', () => {
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: { onMsgRecv: (ctx) => ctx.recv() },
    });
    expect(() => s.receive('81 82 00 00 00 00 68 69')).toThrow(/cannot be called from inside/);
  });

  test('free() inside onMsgRecv defers the free until recv() returns, then the context is freed', () => {
    let later = 0;
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        onMsgRecv: (ctx) => {
          later++;
          ctx.free();
          expect(() => ctx.wantRead()).toThrow(/freed/);
        },
      },
    });
    s.feed('81 80 00 00 00 00', '81 80 00 00 00 00');
    expect(() => s.ctx.recv()).not.toThrow();
    expect(later).toBe(1);
    expect(() => s.ctx.wantRead()).toThrow(/freed/);
    s.ctx.free();
  });

  test('free() inside the send callback is safe', () => {
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        send: (ctx, data) => {
          ctx.free();
          return data.length;
        },
      },
    });
    s.ctx.queueMsg({ opcode: 1, msg: 'x' });
    s.ctx.queueMsg({ opcode: 1, msg: 'y' });
    expect(() => s.ctx.send()).not.toThrow();
    expect(() => s.ctx.send()).toThrow(/freed/);
  });

  const failThenFree = (ctx: EventContext): number => {
    ctx.setError(ErrorCode.CALLBACK_FAILURE);
    ctx.free();
    return -1;
  };
  const callbackFailure = expect.objectContaining({
    name: 'WslayError',
    code: ErrorCode.CALLBACK_FAILURE,
  }) as unknown;

  test('a failure reported by the callback that frees the context is thrown, not dropped', () => {
    const sender = EventContext.server({ send: failThenFree }, { backend });
    sender.queueMsg({ opcode: 1, msg: 'x' });
    expect(() => sender.send()).toThrow(callbackFailure);
    expect(() => sender.wantWrite()).toThrow(/freed/);

    const receiver = EventContext.server({ recv: failThenFree }, { backend });
    expect(() => receiver.recv()).toThrow(callbackFailure);
    expect(() => receiver.wantRead()).toThrow(/freed/);
  });

  test('sendAll() throws a failure of a fragmented read that freed the context', () => {
    const ctx = EventContext.server({}, { backend });
    ctx.queueFragmentedMsg({
      opcode: 1,
      read: (c) => {
        c.free();
        return { n: -1, eof: false };
      },
    });
    expect(() => ctx.sendAll()).toThrow(callbackFailure);
    expect(() => ctx.wantWrite()).toThrow(/freed/);
  });

  test('a view kept past its callback never shows freed memory', () => {
    const kept: Uint8Array[] = [];
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        onMsgRecv: (_c, { msg }) => {
          kept.push(msg);
        },
      },
    });
    s.receive('81 83 00 00 00 00 61 62 63');
    s.ctx.free();
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const again = createPeer({ backend, role: 'server' });
    again.receive('82 83 00 00 00 00 ' + 'ff'.repeat(3));
    // The view points into memory JavaScript owns, which no other context writes to.
    expect(Buffer.from(kept[0]!).toString()).toBe('abc');
  });

  test('configSetCallbacks replaces every callback', () => {
    const seen: string[] = [];
    const c = createPeer({ backend, role: 'client' });
    c.ctx.configSetCallbacks({
      recv: (ctx, buf) => {
        if (seen.length) {
          ctx.setError(ErrorCode.WOULDBLOCK);
          return -1;
        }
        buf.set([0x81, 0x01, 0x7a]);
        seen.push('recv');
        return 3;
      },
      onMsgRecv: (_ctx, { msg }) => {
        seen.push(Buffer.from(msg).toString());
      },
    });
    c.ctx.recv();
    expect(seen).toEqual(['recv', 'z']);
    expect(c.events).toEqual([]);
    expect(() => c.ctx.send()).toThrow(/needs a send callback/);
  });

  test('recv() without a recv callback throws a clear Error', () => {
    const ctx = EventContext.server({}, { backend });
    expect(() => ctx.recv()).toThrow(/recv\(\) needs a recv callback/);
    expect(() => ctx.send()).toThrow(/send\(\) needs a send callback/);
    ctx.free();
  });

  test('a client without genmask masks with random keys', () => {
    const out: Buffer[] = [];
    const ctx = EventContext.client(
      {
        send: (_c, d) => {
          out.push(Buffer.from(d));
          return d.length;
        },
      },
      { backend },
    );
    ctx.queueMsg({ opcode: 1, msg: 'a' });
    ctx.queueMsg({ opcode: 1, msg: 'a' });
    ctx.send();
    const bytes = Buffer.concat(out);
    expect(bytes.length).toBe(14);
    expect(bytes[1]).toBe(0x81);
    const key1 = bytes.subarray(2, 6);
    const key2 = bytes.subarray(9, 13);
    expect(key1.equals(key2)).toBe(false);
    ctx.free();
  });

  test('contexts of both roles talk to each other end to end', () => {
    const s = createPeer({ backend, role: 'server' });
    const c = createPeer({ backend, role: 'client' });
    c.ctx.queueMsg({ opcode: 1, msg: 'ping?' });
    pump(c, s);
    s.ctx.queueMsg({ opcode: 1, msg: 'pong!' });
    pump(s, c);
    expect(Buffer.from(s.messages()[0]!.msg, 'hex').toString()).toBe('ping?');
    expect(Buffer.from(c.messages()[0]!.msg, 'hex').toString()).toBe('pong!');
  });

  test('configSetNoBuffering after the first recv() throws instead of corrupting a message', () => {
    const c = createPeer({ backend, role: 'client' });
    c.ctx.configSetNoBuffering(true);
    c.receive('02 1a 61');
    expect(() => c.ctx.configSetNoBuffering(false)).toThrow(/before the first recv/);
    const chunkThrows: unknown[] = [];
    const d = createPeer({
      backend,
      role: 'client',
      callbacks: {
        onFrameRecvChunk: (ctx) => {
          try {
            ctx.configSetNoBuffering(false);
          } catch (e) {
            chunkThrows.push(e);
          }
        },
      },
    });
    d.receive('81 01 61');
    expect(chunkThrows).toHaveLength(1);
  });

  test('configSetCallbacks without recv inside the recv callback takes effect after recv() returns', () => {
    let served = false;
    const s = createPeer({
      backend,
      role: 'server',
      callbacks: {
        recv: (ctx, buf) => {
          if (served) {
            ctx.setError(ErrorCode.WOULDBLOCK);
            return -1;
          }
          served = true;
          ctx.configSetCallbacks({ send: (_c, d) => d.length });
          buf.set([0x89, 0x80, 1, 2, 3, 4]);
          return 6;
        },
      },
    });
    expect(() => s.ctx.recv()).toThrow(/recv callback was removed/);
    expect(() => s.ctx.recv()).toThrow(/needs a recv callback/);
  });

  test('a recv callback that transfers away its buffer fails the call without crashing', () => {
    const c = createPeer({
      backend,
      role: 'client',
      callbacks: {
        recv: (_ctx, buf) => {
          buf.set([0x81, 0x01, 0x41]);
          structuredClone(buf.buffer, { transfer: [buf.buffer] });
          return 3;
        },
      },
    });
    expect(() => c.ctx.recv()).toThrow();
    expect(c.ctx.getReadEnabled()).toBe(false);
    expect(c.messages()).toEqual([]);
  });
});
