import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { EventContext, WebSocket, type Backend } from '../../src/index.js';
import { LARGE_FRAME, SMALL_RUN } from '../../src/ws/engine-choice.js';
import {
  loadableBackends,
  closeCodeOf,
  closeServer,
  closePayload,
  frame,
  KiB,
  listen,
  pattern,
  portOf,
  RawPeer,
  text,
  until,
  type Frame,
} from './helpers.js';

/**
 * On the native backend a connection runs large messages through the fallback engine (see
 * src/ws/engine-choice.ts). Each session below runs on both backends (all that load, even when
 * WSLAY_TEST_BACKENDS narrows the rest of the suite): on the fallback no
 * engine ever changes, so the same bytes out of both prove the switches invisible.
 */
interface Session {
  frames: Frame[];
  /** The backend of every context the server made, in order. */
  engines: (Backend | undefined)[];
}

/** One session per backend, one after the other (they share the spy on EventContext.server). */
async function sessions(
  input: Buffer[],
  options: { maxPayload?: number; frames: number },
): Promise<Session[]> {
  const runs: Session[] = [];
  for (const backend of loadableBackends) runs.push(await session(backend, input, options));
  return runs;
}

async function session(
  backend: Backend,
  input: Buffer[],
  options: { maxPayload?: number; frames: number },
): Promise<Session> {
  const made = vi.spyOn(EventContext, 'server');
  const wss = await listen({ backend, maxPayload: options.maxPayload });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  const peer = await RawPeer.open(portOf(wss));
  peer.write(Buffer.concat(input));
  await until(() => peer.frames().length >= options.frames);
  const engines = made.mock.calls.map(([, contextOptions]) => contextOptions?.backend);
  made.mockRestore();
  peer.socket.destroy();
  await closeServer(wss);
  return { frames: peer.frames(), engines };
}

/** A frame's opcode, length and a hash of its payload: short to compare, and to print. */
function digest(opcode: number, payload: Buffer | string): string {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return `${opcode}:${bytes.length}:${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}`;
}

const large = pattern(LARGE_FRAME + 3, 7);
const small = (i: number) => frame(0x1, `small ${i}`);

describe('a native connection switches engines at message boundaries, invisibly', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('large and small messages, a ping between them: the same replies, in the same order', async () => {
    const input = [
      small(0),
      frame(0x9, 'p1'),
      frame(0x2, large),
      ...Array.from({ length: SMALL_RUN + 2 }, (_, i) => small(i + 1)),
      frame(0x1, text(2 * LARGE_FRAME)),
      frame(0x9, 'p2'),
      small(99),
    ];
    const count = SMALL_RUN + 8;
    const runs = await sessions(input, { frames: count });
    const echoes = [
      digest(0x1, 'small 0'),
      digest(0x2, large),
      ...Array.from({ length: SMALL_RUN + 2 }, (_, i) => digest(0x1, `small ${i + 1}`)),
      digest(0x1, text(2 * LARGE_FRAME)),
      digest(0x1, 'small 99'),
    ];
    for (const run of runs) {
      // wslay sends the pongs of a read ahead of the replies to its messages.
      const digests = run.frames.map((f) => digest(f.opcode, f.payload));
      expect(digests.filter((d) => !d.startsWith('10:'))).toEqual(echoes);
      expect(digests.filter((d) => d.startsWith('10:'))).toEqual([
        digest(0xa, 'p1'),
        digest(0xa, 'p2'),
      ]);
    }
    const native = runs[loadableBackends.indexOf('native')];
    // To the fallback for the large message, back after SMALL_RUN small ones, again for the text.
    if (native !== undefined) {
      expect(native.engines).toEqual(['native', 'fallback', 'native', 'fallback']);
    }
    expect(runs[loadableBackends.indexOf('fallback')]!.engines).toEqual(['fallback']);
  });

  test('a close amid large messages: the message before it echoed, nothing after it read', async () => {
    const input = [
      small(0),
      frame(0x2, large),
      frame(0x8, closePayload(1000, 'bye')),
      frame(0x2, large),
      small(1),
    ];
    const runs = await sessions(input, { frames: 3 });
    for (const run of runs) {
      expect(run.frames.map((f) => f.opcode)).toEqual([0x1, 0x2, 0x8]);
      expect(digest(0x2, run.frames[1]!.payload)).toBe(digest(0x2, large));
      expect(closeCodeOf(run.frames[2])).toBe(1000);
      expect(run.frames[2]!.payload.subarray(2).toString()).toBe('bye');
    }
  });

  test('maxPayload holds across a switch: an announced length over it is answered with 1009', async () => {
    const input = [frame(0x2, large), small(0), frame(0x2, pattern(3 * LARGE_FRAME))];
    const runs = await sessions(input, { maxPayload: 2 * LARGE_FRAME, frames: 3 });
    for (const run of runs) {
      expect(run.frames.map((f) => f.opcode)).toEqual([0x2, 0x1, 0x8]);
      expect(closeCodeOf(run.frames[2])).toBe(1009);
    }
  });

  test('a fragment flood after a switch is cut with 1009 by the fragment budget', async () => {
    const flood = Array.from({ length: 2000 }, () => frame(0x0, 'x', { fin: false }));
    const input = [frame(0x2, large), frame(0x1, 'a', { fin: false }), ...flood];
    const runs = await sessions(input, { maxPayload: 64 * KiB, frames: 2 });
    for (const run of runs) {
      expect(run.frames.map((f) => f.opcode)).toEqual([0x2, 0x8]);
      expect(closeCodeOf(run.frames[1])).toBe(1009);
    }
    const native = runs[loadableBackends.indexOf('native')];
    if (native !== undefined) expect(native.engines).toEqual(['native', 'fallback']);
  });
});

describe.each(loadableBackends)(
  'a client connection (%s) with large messages both ways',
  (backend) => {
    test('sends and receives large and small messages intact and in order', async () => {
      const made = vi.spyOn(EventContext, 'client');
      const wss = await listen({ backend: 'fallback' });
      wss.on('connection', (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      });
      const client = new WebSocket(`ws://127.0.0.1:${portOf(wss)}`, { backend });
      await once(client, 'open');
      const sent = [
        Buffer.from('first'),
        pattern(4 * LARGE_FRAME, 1),
        ...Array.from({ length: SMALL_RUN + 1 }, (_, i) => Buffer.from(`small ${i}`)),
        pattern(LARGE_FRAME, 2),
      ];
      const received: Buffer[] = [];
      client.on('message', (data) => received.push(data as Buffer));
      for (const data of sent) client.send(data, { binary: true });
      await until(() => received.length === sent.length);
      expect(received.map((b) => b.toString('hex'))).toEqual(sent.map((b) => b.toString('hex')));
      const engines = made.mock.calls.map(([, options]) => options?.backend);
      made.mockRestore();
      expect(engines).toEqual(
        backend === 'native' ? ['native', 'fallback', 'native', 'fallback'] : ['fallback'],
      );
      client.terminate();
      await closeServer(wss);
    });
  },
);
