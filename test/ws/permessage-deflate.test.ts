import { createRequire } from 'node:module';
import path from 'node:path';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { parseExtensions, type ExtensionParams } from '../../src/ws/extension-header.js';
import {
  acceptOffers,
  acceptResponse,
  clientOffer,
  resolveDeflateOptions,
  type DeflateParams,
  type PerMessageDeflateOptions,
} from '../../src/ws/permessage-deflate.js';
import { MessageDeflater, MessageInflater, ZlibPools } from '../../src/ws/zlib-contexts.js';

const MiB = 1024 * 1024;

// ws's own negotiation, the reference every verdict here is checked against.
const require = createRequire(import.meta.url);
// Not in ws's exports map: loaded by path.
const wsLib = (file: string) => path.join(path.dirname(require.resolve('ws')), 'lib', file);
const wsExtension = require(wsLib('extension.js')) as {
  parse(header: string): Record<string, Record<string, (string | true)[]>[]>;
  format(extensions: Record<string, unknown>): string;
};
type WsParams = Record<string, number | true>;
const WsPerMessageDeflate = require(wsLib('permessage-deflate.js')) as new (
  options: Record<string, unknown>,
) => { offer(): WsParams; accept(configurations: unknown[]): WsParams };

function toWsShape(offers: Map<string, ExtensionParams[]>) {
  const shape: Record<string, Record<string, (string | true)[]>[]> = {};
  for (const [name, list] of offers) shape[name] = list.map((params) => Object.fromEntries(params));
  return shape;
}

/** What `fn` returns, or the error it throws, as `SyntaxError: message`. */
function verdict<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (error) {
    return String(error);
  }
}

function fromWs(params: WsParams): DeflateParams {
  const bits = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    serverNoContextTakeover: params.server_no_context_takeover === true,
    clientNoContextTakeover: params.client_no_context_takeover === true,
    serverMaxWindowBits: bits(params.server_max_window_bits),
    clientMaxWindowBits: bits(params.client_max_window_bits),
  };
}

const HEADERS = [
  'permessage-deflate',
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate;client_max_window_bits=10; server_no_context_takeover',
  'permessage-deflate; server_max_window_bits="10"',
  'permessage-deflate; server_max_window_bits="\\1\\0"',
  'permessage-deflate; server_max_window_bits=""',
  'permessage-deflate; server_max_window_bits= 10',
  'permessage-deflate; server_max_window_bits =10',
  'permessage-deflate; a=1 2',
  'permessage-deflate; a="1"2',
  'permessage-deflate; a="1 2"',
  'permessage-deflate; a="\\""',
  'permessage-deflate; a=b"c"',
  'permessage-deflate ; a ; b , x-foo',
  'permessage-deflate,\tx-foo;\ty=z',
  'permessage-deflate, permessage-deflate; client_no_context_takeover',
  ' permessage-deflate',
  'permessage-deflate ',
  'permessage-deflate;',
  'permessage-deflate,',
  'permessage-deflate,,x',
  ',permessage-deflate',
  'permessage deflate',
  'permessage-deflate; a=',
  'permessage-deflate; a="1',
  'permessage-deflate; =1',
  'permessage-deflate; a==1',
  'per(message',
  'permessage-deflate; a; a',
  'x; y="z"; w, x; y',
  '',
  ';',
  'a;b=c;d="e",f',
  // Every edge of the token characters, and the characters just past them.
  "x; a=09AZaz!#$%&'*+-.^_`|~",
  'x; a="09AZaz!#$%&\'*+-.^_`|~"',
  'x/',
  'x:',
  'x@',
  'x[',
  'x{',
  'x\u007f',
  'x; a="b\\"',
  'x; a="\\b"',
  'x; a="b',
  'x\t, y',
  'x;\ta',
  'x; a\t',
];

describe('Sec-WebSocket-Extensions is read as ws reads it', () => {
  test.each(HEADERS)('%j', (header) => {
    const ours = verdict(() => toWsShape(parseExtensions(header)));
    const theirs = verdict(() => JSON.parse(JSON.stringify(wsExtension.parse(header))) as unknown);
    expect(ours).toEqual(theirs);
  });
});

const OPTION_SETS: PerMessageDeflateOptions[] = [
  {},
  { serverNoContextTakeover: true },
  { serverNoContextTakeover: false },
  { clientNoContextTakeover: true },
  { clientNoContextTakeover: false },
  { serverMaxWindowBits: 10 },
  { serverMaxWindowBits: false },
  { clientMaxWindowBits: 9 },
  { clientMaxWindowBits: false },
  { clientMaxWindowBits: true },
  { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12 },
  { serverMaxWindowBits: 15, clientMaxWindowBits: 8 },
];

const OFFERS = [
  'permessage-deflate',
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; client_max_window_bits=8',
  'permessage-deflate; client_max_window_bits=12; server_max_window_bits=9',
  'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  'permessage-deflate; server_max_window_bits=11, permessage-deflate',
  'permessage-deflate; server_max_window_bits=16',
  'permessage-deflate; server_max_window_bits=7',
  'permessage-deflate; server_max_window_bits',
  'permessage-deflate; server_max_window_bits=0x0a',
  'permessage-deflate; server_max_window_bits=1e1',
  'permessage-deflate; client_max_window_bits=9.5',
  'permessage-deflate; server_no_context_takeover=1',
  'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
  'permessage-deflate; mystery',
];

describe('the server accepts the offers ws accepts, with the same parameters', () => {
  for (const options of OPTION_SETS) {
    test.each(OFFERS)(`${JSON.stringify(options)} %j`, (header) => {
      const config = resolveDeflateOptions(options, false)!;
      const offers = parseExtensions(header).get('permessage-deflate')!;
      const ours = verdict(() => acceptOffers(offers, config));
      const theirs = verdict(() => {
        const ws = new WsPerMessageDeflate({ ...options, isServer: true });
        const params = ws.accept(wsExtension.parse(header)['permessage-deflate']!);
        return {
          params: fromWs(params),
          header: wsExtension.format({ 'permessage-deflate': params }),
        };
      });
      expect(ours).toEqual(theirs);
    });
  }
});

const RESPONSES = [
  'permessage-deflate',
  'permessage-deflate; client_no_context_takeover',
  'permessage-deflate; server_no_context_takeover; server_max_window_bits=9',
  'permessage-deflate; client_max_window_bits=10',
  'permessage-deflate; client_max_window_bits=15',
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; client_max_window_bits=20',
  'permessage-deflate; unknown',
  'permessage-deflate, permessage-deflate; client_no_context_takeover',
];

describe('the client takes the responses ws takes, and offers what ws offers', () => {
  for (const options of OPTION_SETS) {
    test(`offer of ${JSON.stringify(options)}`, () => {
      const ws = new WsPerMessageDeflate({ ...options, isServer: false });
      expect(clientOffer(resolveDeflateOptions(options, true)!)).toBe(
        wsExtension.format({ 'permessage-deflate': ws.offer() }),
      );
    });
    test.each(RESPONSES)(`${JSON.stringify(options)} %j`, (header) => {
      const config = resolveDeflateOptions(options, true)!;
      const ours = verdict(() =>
        acceptResponse(parseExtensions(header).get('permessage-deflate')!, config),
      );
      const theirs = verdict(() => {
        const ws = new WsPerMessageDeflate({ ...options, isServer: false });
        return fromWs(ws.accept(wsExtension.parse(header)['permessage-deflate']!));
      });
      expect(ours).toEqual(theirs);
    });
  }
});

describe('the perMessageDeflate option', () => {
  test('defaults: off on the server, on in the client; true is every default', () => {
    expect(resolveDeflateOptions(undefined, false)).toBeNull();
    expect(resolveDeflateOptions(false, true)).toBeNull();
    expect(resolveDeflateOptions(undefined, true)).toEqual(resolveDeflateOptions(true, false));
    expect(resolveDeflateOptions(true, false)!.threshold).toBe(1024);
  });

  test('live-stream limits give the connections a pool of their own; without, all share one', () => {
    const shared = resolveDeflateOptions(true, false)!.pools;
    expect(resolveDeflateOptions({ threshold: 10 }, true)!.pools).toBe(shared);
    expect([shared.deflate.limit, shared.inflate.limit]).toEqual([64, 512]);
    const own = resolveDeflateOptions({ maxLiveCompressors: 2 }, false)!.pools;
    expect(own).not.toBe(shared);
    expect([own.deflate.limit, own.inflate.limit]).toEqual([2, 512]);
    const other = resolveDeflateOptions({ maxLiveDecompressors: 7 }, false)!.pools;
    expect([other.deflate.limit, other.inflate.limit]).toEqual([64, 7]);
  });

  test.each([
    [{ serverMaxWindowBits: 16 }, RangeError, /serverMaxWindowBits/],
    [{ clientMaxWindowBits: 7 }, RangeError, /clientMaxWindowBits/],
    [{ clientMaxWindowBits: '10' }, TypeError, /clientMaxWindowBits/],
    [{ serverNoContextTakeover: 1 }, TypeError, /serverNoContextTakeover/],
    [{ threshold: -1 }, RangeError, /threshold/],
    [{ concurrencyLimit: 0 }, RangeError, /concurrencyLimit/],
    [{ zlibDeflateOptions: 'fast' }, TypeError, /zlibDeflateOptions/],
    [{ zlibDeflateOptions: { level: 10 } }, RangeError, /zlibDeflateOptions\.level/],
    [{ zlibDeflateOptions: { memLevel: 0 } }, RangeError, /zlibDeflateOptions\.memLevel/],
    [{ zlibDeflateOptions: { strategy: '1' } }, TypeError, /zlibDeflateOptions\.strategy/],
    [{ zlibInflateOptions: 5 }, TypeError, /zlibInflateOptions/],
    [{ maxLiveCompressors: 0 }, RangeError, /maxLiveCompressors/],
    [{ maxLiveDecompressors: 2.5 }, RangeError, /maxLiveDecompressors/],
    [{ maxLiveDecompressors: '512' }, TypeError, /maxLiveDecompressors/],
    ['yes', TypeError, /perMessageDeflate/],
  ])('%j is refused', (value, type, message) => {
    expect(() => resolveDeflateOptions(value, false)).toThrow(type);
    expect(() => resolveDeflateOptions(value, false)).toThrow(message);
  });
});

describe('the zlib contexts', () => {
  const json = (i: number) =>
    Buffer.from(
      JSON.stringify({
        id: i,
        values: Array.from({ length: 200 }, (_, k) => (k * 7919 + i) % 1009),
      }),
    );

  test.each([
    ['compressors', { compressors: 3, decompressors: 100 }],
    ['decompressors', { compressors: 100, decompressors: 3 }],
    ['both', { compressors: 2, decompressors: 5 }],
  ])('context-takeover pairs stay in step when more exist than may hold live %s', (_, limits) => {
    const pools = new ZlibPools(limits);
    const pairs = Array.from(
      { length: 12 },
      () =>
        [
          new MessageDeflater(10, false, {}, pools),
          new MessageInflater(10, false, MiB, pools),
        ] as const,
    );
    // Each message repeats much of the one before it, so a compressor that kept its
    // context refers back to it, and an inflater must have it to read the message.
    for (let round = 0; round < 4; round++) {
      for (const [deflater, inflater] of pairs) {
        expect(inflater.inflate(deflater.deflate(json(round % 2)))).toEqual(json(round % 2));
      }
    }
    for (const [deflater, inflater] of pairs) {
      deflater.close();
      inflater.close();
    }
  });

  test('an inflater that gave up its stream reads back-references to its earlier messages', () => {
    const pools = new ZlibPools({ compressors: 1, decompressors: 1 });
    const deflater = new MessageDeflater(15, false, {});
    const inflater = new MessageInflater(15, false, MiB, pools);
    const other = new MessageInflater(15, false, MiB, pools);
    const otherDeflater = new MessageDeflater(15, false, {});
    inflater.inflate(deflater.deflate(json(1)));
    // The other connection takes the only decompressor of the pool.
    other.inflate(otherDeflater.deflate(json(2)));
    const repeat = deflater.deflate(json(1));
    expect(repeat.length).toBeLessThan(json(1).length / 10);
    expect(inflater.inflate(repeat)).toEqual(json(1));
    for (const closable of [deflater, inflater, other, otherDeflater]) closable.close();
  });

  test('later messages refer back to earlier ones: context takeover compresses repeats', () => {
    const deflater = new MessageDeflater(15, false, {});
    const first = deflater.deflate(json(1)).length;
    expect(deflater.deflate(json(1)).length).toBeLessThan(first / 4);
    deflater.close();
  });

  test('an empty message after another is the single byte 0x00, as RFC 7692 §7.2.3.6 says', () => {
    const deflater = new MessageDeflater(15, false, {});
    const inflater = new MessageInflater(15, false, MiB);
    inflater.inflate(deflater.deflate(json(0)));
    const empty = deflater.deflate(Buffer.alloc(0));
    expect([...empty]).toEqual([0x00]);
    expect(inflater.inflate(empty).length).toBe(0);
    expect(inflater.inflate(deflater.deflate(json(2)))).toEqual(json(2));
  });

  test('without context takeover every message inflates on its own, with zlib alone', () => {
    const deflater = new MessageDeflater(15, true, {});
    for (let i = 0; i < 3; i++) {
      const payload = deflater.deflate(json(i));
      const alone = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      expect(alone).toEqual(json(i));
    }
  });

  test('inflating stops near the limit: 1009 for a bomb, 1007 for bytes that do not inflate', () => {
    const bomb = deflateRawSync(Buffer.alloc(64 * MiB), { finishFlush: constants.Z_SYNC_FLUSH });
    const inflater = new MessageInflater(15, false, MiB);
    expect(() => inflater.inflate(bomb.subarray(0, bomb.length - 4))).toThrow(
      expect.objectContaining({ statusCode: 1009 }) as Error,
    );
    const other = new MessageInflater(15, true, MiB);
    expect(() => other.inflate(Buffer.from([0xff, 0xfe, 0xfd]))).toThrow(
      expect.objectContaining({ statusCode: 1007 }) as Error,
    );
    // The shared stream that failed is replaced: the next connection inflates as usual.
    const fresh = new MessageInflater(15, true, MiB);
    expect(fresh.inflate(new MessageDeflater(15, true, {}).deflate(json(3)))).toEqual(json(3));
  });
});
