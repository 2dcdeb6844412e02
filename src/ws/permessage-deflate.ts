import { constants, type ZlibOptions } from 'node:zlib';
import * as check from '../validate.js';
import {
  formatExtension,
  parseExtensions,
  type ExtensionOffers,
  type ExtensionParams,
} from './extension-header.js';
import { DEFAULT_CONTEXT_LIMITS, ZlibPools, defaultPools } from './zlib-contexts.js';

/**
 * permessage-deflate (RFC 7692): its options and its negotiation, with the verdicts of the
 * ws package, so that a program moving from ws agrees with the same peers on the same
 * parameters.
 */

export const EXTENSION_NAME = 'permessage-deflate';

/** The `perMessageDeflate` option object of ws. */
export interface PerMessageDeflateOptions {
  /** Server: ask the client not to keep its compression context between messages. */
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  /** A window size (8-15) to ask for or agree to; false: refuse offers that name one. */
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  /** zlib's `level`, `memLevel` and `strategy` for compressing; other keys are not used. */
  zlibDeflateOptions?: ZlibOptions;
  /** Accepted for compatibility with ws; inflating has nothing to set (windows are negotiated). */
  zlibInflateOptions?: ZlibOptions;
  /**
   * Without context takeover on our side, messages smaller than this (bytes) are sent
   * uncompressed (default 1024).
   */
  threshold?: number;
  /**
   * Accepted for compatibility with ws, where it bounds concurrent asynchronous zlib jobs.
   * Here zlib runs synchronously, so no job ever waits in a queue.
   */
  concurrencyLimit?: number;
  /**
   * Not in ws. How many connections with context takeover may hold a compressor (about
   * 260 KiB each) at once; the least recently used gives its compressor up. Without this or
   * `maxLiveDecompressors`, every connection of the process shares one pool of 64
   * compressors and 512 decompressors; with either, the server's (or client's) connections
   * get a pool of their own.
   */
  maxLiveCompressors?: number;
  /** Not in ws. The same for decompressors (about 40 KiB each); default 512. */
  maxLiveDecompressors?: number;
}

/** The options, checked, with ws's defaults filled in. */
export interface DeflateConfig {
  serverNoContextTakeover: boolean | undefined;
  clientNoContextTakeover: boolean | undefined;
  serverMaxWindowBits: number | boolean | undefined;
  clientMaxWindowBits: number | boolean | undefined;
  zlibDeflateOptions: ZlibOptions;
  threshold: number;
  /** Where the connections' live zlib streams come from. */
  pools: ZlibPools;
}

/** What both ends agreed to. Window bits are undefined where the default (15) applies. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | undefined;
}

/** An agreement: its parameters, and for a server the response header that states them. */
export interface Agreement {
  params: DeflateParams;
  header: string;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  return value === undefined ? undefined : check.boolean(value, name);
}

function windowBitsOption(value: unknown, name: string): number | boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return check.integerIn(value, 8, 15, name);
}

/** The zlib settings compression uses, checked here: zlib's own checks would abort. */
function deflateOptions(value: unknown, name: string): ZlibOptions {
  if (value === undefined) return {};
  const options = check.object(value, name);
  const setting = (key: string, min: number, max: number): number | undefined =>
    options[key] === undefined
      ? undefined
      : check.integerIn(options[key], min, max, `${name}.${key}`);
  return {
    level: setting('level', constants.Z_MIN_LEVEL, constants.Z_MAX_LEVEL),
    memLevel: setting('memLevel', constants.Z_MIN_MEMLEVEL, constants.Z_MAX_MEMLEVEL),
    strategy: setting('strategy', constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED),
  };
}

function livePools(compressors: unknown, decompressors: unknown, name: (key: string) => string) {
  if (compressors === undefined && decompressors === undefined) return defaultPools();
  const limit = (value: unknown, key: string, fallback: number): number =>
    value === undefined ? fallback : check.integerIn(value, 1, Number.MAX_SAFE_INTEGER, name(key));
  return new ZlibPools({
    compressors: limit(compressors, 'maxLiveCompressors', DEFAULT_CONTEXT_LIMITS.compressors),
    decompressors: limit(
      decompressors,
      'maxLiveDecompressors',
      DEFAULT_CONTEXT_LIMITS.decompressors,
    ),
  });
}

/**
 * The `perMessageDeflate` option: null when the extension is off (false, or absent where
 * `enabledByDefault` is false), else its configuration.
 */
export function resolveDeflateOptions(
  value: unknown,
  enabledByDefault: boolean,
): DeflateConfig | null {
  if (value === undefined) value = enabledByDefault;
  if (value === false) return null;
  const options = value === true ? {} : check.object(value, 'options.perMessageDeflate');
  const name = (key: string): string => `options.perMessageDeflate.${key}`;
  if (options.zlibInflateOptions !== undefined) {
    check.object(options.zlibInflateOptions, name('zlibInflateOptions'));
  }
  if (options.concurrencyLimit !== undefined) {
    check.integerIn(options.concurrencyLimit, 1, Number.MAX_SAFE_INTEGER, name('concurrencyLimit'));
  }
  return {
    serverNoContextTakeover: optionalBoolean(
      options.serverNoContextTakeover,
      name('serverNoContextTakeover'),
    ),
    clientNoContextTakeover: optionalBoolean(
      options.clientNoContextTakeover,
      name('clientNoContextTakeover'),
    ),
    serverMaxWindowBits: windowBitsOption(options.serverMaxWindowBits, name('serverMaxWindowBits')),
    clientMaxWindowBits: windowBitsOption(options.clientMaxWindowBits, name('clientMaxWindowBits')),
    zlibDeflateOptions: deflateOptions(options.zlibDeflateOptions, name('zlibDeflateOptions')),
    threshold:
      options.threshold === undefined
        ? 1024
        : check.integerIn(options.threshold, 0, Number.MAX_SAFE_INTEGER, name('threshold')),
    pools: livePools(options.maxLiveCompressors, options.maxLiveDecompressors, name),
  };
}

/** A parameter set as the negotiation reads it: one value each, window bits as numbers. */
type Normalized = Map<string, number | true>;

/** RFC 7692 §7: each parameter once, with a valid value; unknown parameters are refused. */
function normalize(params: ExtensionParams, isServer: boolean): Normalized {
  const normalized: Normalized = new Map();
  for (const [key, values] of params) {
    if (values.length > 1) throw new Error(`Parameter "${key}" must have only a single value`);
    const value = values[0]!;
    const invalid = (): Error => new TypeError(`Invalid value for parameter "${key}": ${value}`);
    if (key === 'client_max_window_bits' || key === 'server_max_window_bits') {
      // A client may offer client_max_window_bits without a value: "I can take any size".
      if (value === true && key === 'client_max_window_bits' && isServer) {
        normalized.set(key, true);
        continue;
      }
      const bits = Number(value);
      if (value === true || !Number.isInteger(bits) || bits < 8 || bits > 15) throw invalid();
      normalized.set(key, bits);
    } else if (key === 'client_no_context_takeover' || key === 'server_no_context_takeover') {
      if (value !== true) throw invalid();
      normalized.set(key, true);
    } else {
      throw new Error(`Unknown parameter "${key}"`);
    }
  }
  return normalized;
}

function toParams(accepted: Normalized): DeflateParams {
  const bits = (key: string): number | undefined => {
    const value = accepted.get(key);
    return typeof value === 'number' ? value : undefined;
  };
  return {
    serverNoContextTakeover: accepted.has('server_no_context_takeover'),
    clientNoContextTakeover: accepted.has('client_no_context_takeover'),
    serverMaxWindowBits: bits('server_max_window_bits'),
    clientMaxWindowBits: bits('client_max_window_bits'),
  };
}

/** The client's offer: the parameters of its Sec-WebSocket-Extensions header. */
export function clientOffer(config: DeflateConfig): string {
  const params: [string, number | true][] = [];
  if (config.serverNoContextTakeover === true) params.push(['server_no_context_takeover', true]);
  if (config.clientNoContextTakeover === true) params.push(['client_no_context_takeover', true]);
  if (config.serverMaxWindowBits !== undefined && config.serverMaxWindowBits !== false) {
    params.push(['server_max_window_bits', config.serverMaxWindowBits]);
  }
  // Absent, the client says it can take any window size the server asks it to use.
  if (config.clientMaxWindowBits === undefined) params.push(['client_max_window_bits', true]);
  else if (config.clientMaxWindowBits !== false) {
    params.push(['client_max_window_bits', config.clientMaxWindowBits]);
  }
  return formatExtension(EXTENSION_NAME, params);
}

/** Whether the server can take an offer as it stands, given its own options. */
function acceptable(offer: Normalized, config: DeflateConfig): boolean {
  const serverBits = offer.get('server_max_window_bits');
  const clientBits = offer.get('client_max_window_bits');
  if (config.serverNoContextTakeover === false && offer.has('server_no_context_takeover')) {
    return false;
  }
  if (
    serverBits !== undefined &&
    (config.serverMaxWindowBits === false ||
      (typeof config.serverMaxWindowBits === 'number' &&
        config.serverMaxWindowBits > (serverBits as number)))
  ) {
    return false;
  }
  // A window size of our choosing for the client needs a client that said it can take one.
  if (typeof config.clientMaxWindowBits === 'number') {
    return typeof clientBits === 'number'
      ? config.clientMaxWindowBits <= clientBits
      : clientBits !== undefined;
  }
  return true;
}

/**
 * RFC 7692 §5: the server takes the first offer it can accept and completes it with its own
 * options. Throws when an offer is malformed or none can be accepted (ws answers 400).
 */
export function acceptOffers(offers: readonly ExtensionParams[], config: DeflateConfig): Agreement {
  const normalized = offers.map((offer) => normalize(offer, true));
  const accepted = normalized.find((offer) => acceptable(offer, config));
  if (accepted === undefined) throw new Error('None of the extension offers can be accepted');
  if (config.serverNoContextTakeover === true) accepted.set('server_no_context_takeover', true);
  if (config.clientNoContextTakeover === true) accepted.set('client_no_context_takeover', true);
  if (typeof config.serverMaxWindowBits === 'number') {
    accepted.set('server_max_window_bits', config.serverMaxWindowBits);
  }
  if (typeof config.clientMaxWindowBits === 'number') {
    accepted.set('client_max_window_bits', config.clientMaxWindowBits);
  } else if (
    accepted.get('client_max_window_bits') === true ||
    config.clientMaxWindowBits === false
  ) {
    accepted.delete('client_max_window_bits');
  }
  return { params: toParams(accepted), header: formatExtension(EXTENSION_NAME, accepted) };
}

/**
 * RFC 7692 §5: what a client makes of the server's response to its offer. Throws when the
 * response names a parameter the client did not allow.
 */
export function acceptResponse(
  response: readonly ExtensionParams[],
  config: DeflateConfig,
): DeflateParams {
  // As ws: every element must be well formed, and the first one is the agreement.
  const [accepted] = response.map((params) => normalize(params, false)) as [Normalized];
  if (config.clientNoContextTakeover === false && accepted.has('client_no_context_takeover')) {
    throw new Error('Unexpected parameter "client_no_context_takeover"');
  }
  const clientBits = accepted.get('client_max_window_bits');
  if (clientBits === undefined) {
    if (typeof config.clientMaxWindowBits === 'number') {
      accepted.set('client_max_window_bits', config.clientMaxWindowBits);
    }
  } else if (
    config.clientMaxWindowBits === false ||
    (typeof config.clientMaxWindowBits === 'number' &&
      (clientBits as number) > config.clientMaxWindowBits)
  ) {
    throw new Error('Unexpected or invalid parameter "client_max_window_bits"');
  }
  return toParams(accepted);
}

/**
 * The server's side of the negotiation for one request: the agreement, or null when the
 * extension is off or not offered. Throws on a malformed or unacceptable offer (ws: 400).
 */
export function negotiateAsServer(
  header: string | undefined,
  config: DeflateConfig | null,
): Agreement | null {
  if (config === null || header === undefined) return null;
  const offers = parseExtensions(header).get(EXTENSION_NAME);
  return offers === undefined ? null : acceptOffers(offers, config);
}

/**
 * The client's side: what the server's response agreed to, or null when it named no
 * extension. Throws with ws's message when the response cannot be accepted.
 */
export function negotiateAsClient(
  header: string | undefined,
  config: DeflateConfig | null,
): DeflateParams | null {
  if (header === undefined) return null;
  if (config === null) {
    throw new Error('Server sent a Sec-WebSocket-Extensions header but no extension was requested');
  }
  let extensions: ExtensionOffers;
  try {
    extensions = parseExtensions(header);
  } catch {
    throw new Error('Invalid Sec-WebSocket-Extensions header');
  }
  const response = extensions.get(EXTENSION_NAME);
  if (extensions.size !== 1 || response === undefined) {
    throw new Error('Server indicated an extension that was not requested');
  }
  try {
    return acceptResponse(response, config);
  } catch {
    throw new Error('Invalid Sec-WebSocket-Extensions header');
  }
}
