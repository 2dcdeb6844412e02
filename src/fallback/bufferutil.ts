import path from 'node:path';
import { createRequire } from 'node:module';

/** bufferutil's native functions (websockets/bufferutil), which ws also uses when present. */
export interface BufferUtil {
  /** XORs `source` with the 4-byte `mask` into `output[offset, offset + length)`. */
  mask(
    source: Uint8Array,
    mask: Uint8Array,
    output: Uint8Array,
    offset: number,
    length: number,
  ): void;
  /** XORs `buffer` in place with the 4-byte `mask`. */
  unmask(buffer: Uint8Array, mask: Uint8Array): void;
}

/**
 * bufferutil's addon, when the application installed it (an optional peer dependency, as for
 * ws) and it loads; else null, and masking stays in TypeScript. Its own fallback (a byte
 * loop, slower than ours) is never taken: the addon is loaded directly, as bufferutil's
 * index.js does. `WSLAY_NO_BUFFERUTIL=1` keeps it out (ws's `WS_NO_BUFFER_UTIL`).
 */
function loadBufferUtil(): BufferUtil | null {
  if (process.env.WSLAY_NO_BUFFERUTIL) return null;
  try {
    const require = createRequire(__filename);
    const dir = path.dirname(require.resolve('bufferutil/package.json'));
    const load = require('node-gyp-build') as (dir: string) => BufferUtil;
    const addon = load(dir);
    return typeof addon.mask === 'function' && typeof addon.unmask === 'function' ? addon : null;
  } catch {
    return null;
  }
}

export const bufferUtil = loadBufferUtil();
