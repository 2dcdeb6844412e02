import { nativeLoadError } from '../../src/index.js';
import type { Backend } from '../../src/index.js';

/**
 * Every backend that loads here. Where the addon is not built, the fallback alone, unless
 * WSLAY_REQUIRE_NATIVE=1 (CI sets it), in which case the missing addon is a failure rather
 * than a skip.
 */
export const loadableBackends: Backend[] =
  nativeLoadError === null || process.env.WSLAY_REQUIRE_NATIVE === '1'
    ? ['native', 'fallback']
    : ['fallback'];

/**
 * The backends every behaviour test runs against: all that load, or those WSLAY_TEST_BACKENDS
 * (comma-separated) names. Mutation testing of src/ws narrows the suite to the fallback while
 * the tests of native-only paths (the engine switch) keep `loadableBackends`.
 */
export const backends: Backend[] = narrow(loadableBackends, process.env.WSLAY_TEST_BACKENDS);

function narrow(loadable: Backend[], names: string | undefined): Backend[] {
  if (names === undefined || names === '') return loadable;
  const wanted = names.split(',');
  const unknown = wanted.filter((name) => !loadable.includes(name as Backend));
  if (unknown.length > 0) {
    throw new Error(`WSLAY_TEST_BACKENDS names ${unknown.join(', ')}: not loadable here`);
  }
  return loadable.filter((backend) => wanted.includes(backend));
}
