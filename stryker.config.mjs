import fs from 'node:fs';

// Mutation testing (`npm run mutate`): which behaviour of src/ws and src/fallback does no test pin?
// The machine is small and shared, so: two test runners, coverage per test (a mutant runs only
// the tests that reach it), incremental results kept in reports/, and for each folder only the
// test files that exercise it in-process: the low-level suite for src/fallback (it runs every
// test on both backends), test/ws for src/ws. Left out: the parity campaign (seconds per
// mutant; it runs in `npm test`), interop tests that drive other processes and browsers, and the
// package tests, which load dist/. MUTATE=src/ws (or a comma-separated list of folders and
// files) narrows a run.
const suites = {
  'src/fallback': [
    'test/arguments.test.ts',
    'test/deliberate-differences.test.ts',
    'test/event-*.test.ts',
    'test/frame-context.test.ts',
    'test/rfc6455-examples.test.ts',
    'test/recvfrom-large-frames.test.ts',
    'test/fallback/*.test.ts',
  ],
  // Every in-process test of test/ws but three: the interop tests (ws's every window size and
  // 16 MiB messages made each surviving mutant cost a minute; Python and Chromium are other
  // processes), examples.test.ts (it runs the examples as processes), and the two tests of
  // the heap trim after closes (memory-return.test.ts waits for a once-per-process trim that
  // other files set off when modules stay loaded; memory-trim-coalescing.test.ts mocks the
  // trim, a mock that cannot replace a module other files have loaded already).
  'src/ws': fs
    .readdirSync('test/ws')
    .filter((file) => file.endsWith('.test.ts'))
    .filter((file) => !/^(interop-|examples\.|memory-(return|trim-coalescing)\.)/.test(file))
    .map((file) => `test/ws/${file}`),
};
const targets = (process.env.MUTATE ?? 'src/fallback,src/ws').split(',');
const suiteOf = (target) => Object.keys(suites).find((folder) => target.startsWith(folder));
// src/ws sits above the EventContext API and behaves alike on both engines (the parity
// campaign holds them together), so its mutants run the tests on the fallback alone, at half the
// cost (WSLAY_TEST_BACKENDS, test/helpers/backends.ts); the addon still loads for the tests of
// the native connection's switch to the fallback engine and back (test/ws/engine-switch.test.ts).
const wsOnly = targets.every((target) => suiteOf(target) === 'src/ws');
if (wsOnly) process.env.WSLAY_TEST_BACKENDS = 'fallback';
// Each selection keeps its own incremental results and reports.
const name = targets.map((t) => t.replace(/^src\//, '').replace(/[^\w-]+/g, '_')).join('+');

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.mjs', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  mutate: [
    ...targets.map((target) => (target.endsWith('.ts') ? target : `${target}/**/*.ts`)),
    '!src/*/index.ts',
  ],
  // MUTATE_TESTS (comma-separated globs) replaces the folder's test files: what do these alone pin?
  testFiles: process.env.MUTATE_TESTS?.split(',') ?? [
    ...new Set(targets.flatMap((target) => suites[suiteOf(target)] ?? [])),
  ],
  // Module-level code runs once per process: every such mutant would need the whole suite
  // reloaded. They are listed as ignored in the report rather than run.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  ignorePatterns: ['bench', 'docs', 'reports', '.scratch', '.stryker-tmp', 'prebuilds', '*.tgz'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  timeoutMS: 5_000,
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: 'always',
};
