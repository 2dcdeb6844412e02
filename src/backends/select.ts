import type { BackendImpl } from './engine.js';
import { loadNativeBackend, type NativeLoad } from './native.js';
import { fallbackBackend } from '../fallback/index.js';

export type Backend = 'native' | 'fallback';

const HOW_TO_FIX =
  'Install a platform with a prebuild, or build from source: install the wslay development ' +
  'files (Debian/Ubuntu: apt-get install -y libwslay-dev) and run `npm rebuild wslay`. ' +
  'Unset WSLAY_BACKEND (or set it to "fallback") to use the pure-TypeScript backend.';

const nativeLoad = loadNativeBackend();

/** The default backend for a `WSLAY_BACKEND` value and the outcome of loading the addon. */
export function chooseDefault(forced: string | undefined, nativeLoad: NativeLoad): Backend {
  if (forced === undefined || forced === '') return nativeLoad.ok ? 'native' : 'fallback';
  if (forced === 'fallback') return 'fallback';
  if (forced === 'native') {
    if (!nativeLoad.ok) {
      throw new Error(
        `WSLAY_BACKEND=native, but the native addon cannot be loaded: ` +
          `${nativeLoad.reason}. ${HOW_TO_FIX}`,
      );
    }
    return 'native';
  }
  throw new Error(`WSLAY_BACKEND must be "native" or "fallback", got ${JSON.stringify(forced)}`);
}

/** The backend new contexts get when no `backend` option is given. */
export const defaultBackend: Backend = chooseDefault(process.env.WSLAY_BACKEND, nativeLoad);

/**
 * Hands the C library's free memory back to the system (glibc's `malloc_trim`), through the
 * addon; without it, false and nothing done.
 */
export const trimMemory: () => boolean = nativeLoad.ok ? nativeLoad.trimMemory : () => false;

/** Why the native addon did not load, or null when it did. */
export const nativeLoadError: string | null = nativeLoad.ok ? null : nativeLoad.reason;

/** The addon file that loaded, or null. */
export const nativeAddonFile: string | null = nativeLoad.ok ? nativeLoad.file : null;

export function resolveBackend(requested: unknown): { name: Backend; impl: BackendImpl } {
  const name = requested === undefined ? defaultBackend : requested;
  if (name === 'fallback') return { name, impl: fallbackBackend };
  if (name === 'native') {
    if (!nativeLoad.ok) {
      throw new Error(`The native backend is not available: ${nativeLoad.reason}. ${HOW_TO_FIX}`);
    }
    return { name, impl: nativeLoad.backend };
  }
  throw new TypeError(`options.backend must be "native" or "fallback", got ${String(requested)}`);
}
