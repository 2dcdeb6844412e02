/**
 * Whether this package's native backend can run here. Without the addon the benchmarks
 * leave out the native contenders (and say so) rather than fail, unless
 * WSLAY_REQUIRE_NATIVE=1, as in the test suite.
 */
let nativeSkipped: string | null = null;

export function checkNative(): string | null {
  // Loaded on first use, as the benchmark processes that measure ws never load this package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nativeLoadError } = require('../../src/index.js') as typeof import('../../src/index.js');
  if (nativeLoadError !== null && process.env.WSLAY_REQUIRE_NATIVE === '1') {
    throw new Error(
      `WSLAY_REQUIRE_NATIVE=1 but the native addon does not load: ${nativeLoadError}`,
    );
  }
  nativeSkipped = nativeLoadError;
  return nativeSkipped;
}

/** Whether `name` (a contender or server) runs, given what checkNative() found. */
export function runs(name: string): boolean {
  return nativeSkipped === null || !/native/.test(name);
}
