import { EventContext, ErrorCode, type Backend, type EventCallbacks } from '../../src/index.js';

export type Event =
  | ['start', { fin: number; rsv: number; opcode: number; payloadLength: number }]
  | ['chunk', string]
  | ['end']
  | ['msg', { rsv: number; opcode: number; msg: string; statusCode: number }];

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** The masking key of RFC 6455 §5.7's examples. */
export const RFC_MASK = [0x37, 0xfa, 0x21, 0x3d];

/** A recv callback that hands out `bytes` in one call (they fit wslay's 4 KiB), then would-blocks. */
export function recvOnce(bytes: Uint8Array): NonNullable<EventCallbacks['recv']> {
  let input: Uint8Array | null = bytes;
  return (ctx, buf) => {
    if (input === null) {
      ctx.setError(ErrorCode.WOULDBLOCK);
      return -1;
    }
    buf.set(input);
    const n = input.length;
    input = null;
    return n;
  };
}

export interface PeerOptions {
  backend: Backend;
  role: 'server' | 'client';
  /** The most bytes each send callback call takes (default: everything). */
  sendLimit?: number;
  /** Extra callbacks, merged over the recording ones. */
  callbacks?: EventCallbacks;
}

/**
 * A context wired to in-memory I/O: `feed()` queues bytes for the recv callback,
 * `flush()` runs send() and returns what the send callback took. Every callback is
 * recorded in `events` (payloads as hex) and every send call in `sendCalls`.
 */
export function createPeer(options: PeerOptions) {
  const input: Buffer[] = [];
  const output: Buffer[] = [];
  const events: Event[] = [];
  const sendCalls: { length: number; flags: number }[] = [];
  const recvLengths: number[] = [];
  let sendBlocked = false;
  const ctx = EventContext[options.role](
    {
      recv(c, buf) {
        recvLengths.push(buf.length);
        const chunk = input.shift();
        if (chunk === undefined) {
          c.setError(ErrorCode.WOULDBLOCK);
          return -1;
        }
        const n = Math.min(chunk.length, buf.length);
        buf.set(chunk.subarray(0, n));
        if (n < chunk.length) input.unshift(chunk.subarray(n));
        return n;
      },
      send(c, data, flags) {
        if (sendBlocked) {
          c.setError(ErrorCode.WOULDBLOCK);
          return -1;
        }
        const n = Math.min(data.length, options.sendLimit ?? data.length);
        sendCalls.push({ length: data.length, flags });
        output.push(Buffer.from(data.subarray(0, n)));
        return n;
      },
      genmask(_c, buf) {
        buf.set(RFC_MASK);
        return 0;
      },
      onFrameRecvStart(_c, arg) {
        events.push(['start', { ...arg }]);
      },
      onFrameRecvChunk(_c, arg) {
        events.push(['chunk', Buffer.from(arg.data).toString('hex')]);
      },
      onFrameRecvEnd() {
        events.push(['end']);
      },
      onMsgRecv(_c, arg) {
        events.push([
          'msg',
          {
            rsv: arg.rsv,
            opcode: arg.opcode,
            msg: Buffer.from(arg.msg).toString('hex'),
            statusCode: arg.statusCode,
          },
        ]);
      },
      ...options.callbacks,
    },
    { backend: options.backend },
  );
  return {
    ctx,
    events,
    sendCalls,
    recvLengths,
    /** Queues bytes (or hex) for the recv callback, one recv chunk per argument. */
    feed(...chunks: (Buffer | string)[]) {
      for (const c of chunks) input.push(typeof c === 'string' ? hex(c) : c);
    },
    /** feed() then recv(). */
    receive(...chunks: (Buffer | string)[]) {
      this.feed(...chunks);
      ctx.recv();
    },
    /** Runs send() and returns the bytes taken since the last flush. */
    flush(): Buffer {
      ctx.send();
      return this.takeOutput();
    },
    takeOutput(): Buffer {
      const all = Buffer.concat(output);
      output.length = 0;
      return all;
    },
    blockSend(on: boolean) {
      sendBlocked = on;
    },
    messages() {
      return events
        .filter((e): e is Extract<Event, ['msg', unknown]> => e[0] === 'msg')
        .map((e) => e[1]);
    },
  };
}

export type Peer = ReturnType<typeof createPeer>;

/** Moves everything `from` sends into `to` and lets `to` read it. */
export function pump(from: Peer, to: Peer): Buffer {
  const bytes = from.flush();
  if (bytes.length > 0) to.receive(bytes);
  return bytes;
}
