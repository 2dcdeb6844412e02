import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native code gets its own processes: a crash fails one file, not the run.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
