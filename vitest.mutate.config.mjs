import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.mts';

// For Stryker only (stryker.config.mjs): it reruns the tests that cover each mutant thousands
// of times, and reloading the addon and every module per test file dominated each rerun. The
// instrumented code reads the active mutant at run time, so modules can stay loaded.
// Instrumented code on a busy machine is slow: Stryker's own timeout (from the first run's
// times) decides when a mutant hangs, not vitest's.
export default mergeConfig(
  base,
  defineConfig({ test: { isolate: false, testTimeout: 120_000, hookTimeout: 120_000 } }),
);
