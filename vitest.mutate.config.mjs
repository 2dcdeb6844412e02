import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.mts';

// For Stryker only (stryker.config.mjs): it reruns the tests that cover each mutant thousands
// of times, and reloading the addon and every module per test file dominated each rerun. The
// instrumented code reads the active mutant at run time, so modules can stay loaded.
// A mutant that hangs a connection makes a test wait for an event that never comes. Stryker's
// own timeout for such a mutant is half again the time of every test that reaches it (a
// minute and more for the WebSocket layer's core), and it then restarts the runner; vitest's
// timeout, at five times the slowest test here under load, fails the test sooner.
export default mergeConfig(
  base,
  defineConfig({ test: { isolate: false, testTimeout: 10_000, hookTimeout: 10_000 } }),
);
