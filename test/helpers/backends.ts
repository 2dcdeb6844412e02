import { nativeLoadError } from '../../src/index.js';
import type { Backend } from '../../src/index.js';

/**
 * The backends every low-level test runs against. Where the addon is not built, the
 * suite runs on the fallback alone, unless WSLAY_REQUIRE_NATIVE=1 (CI sets it), in which
 * case the missing addon is a failure rather than a skip.
 */
export const backends: Backend[] =
  nativeLoadError === null || process.env.WSLAY_REQUIRE_NATIVE === '1'
    ? ['native', 'fallback']
    : ['fallback'];
