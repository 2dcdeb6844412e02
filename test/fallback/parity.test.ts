import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadNativeBackend } from '../../src/backends/native.js';
import { fallbackBackend } from '../../src/fallback/index.js';
import { buildWslayTrace, readSections, runWslayTrace } from './harness/libwslay.js';
import { generateScript } from './harness/script-gen.js';
import { runTrace } from './harness/trace-driver.js';

/**
 * The fallback against libwslay 1.1.1: recorded traces of hand-written scenarios always,
 * and random scripts against the library itself (through wslay-trace.c, or through the
 * native backend) where it is at hand.
 */

const fixtures = path.join(__dirname, 'fixtures');
const scenarios = readSections(path.join(fixtures, 'scenarios.txt'));
const recorded = readSections(path.join(fixtures, 'scenarios.wslay.txt'));

/** The first differing line with a little context, so a failure reads as a diff. */
function firstDifference(expected: string, actual: string): string | null {
  if (expected === actual) return null;
  const e = expected.split('\n');
  const a = actual.split('\n');
  let i = 0;
  while (e[i] === a[i]) i++;
  const from = Math.max(0, i - 3);
  return (
    `line ${i + 1}\n  libwslay: ${e.slice(from, i + 2).join('\n            ')}` +
    `\n  fallback: ${a.slice(from, i + 2).join('\n            ')}`
  );
}

describe('recorded libwslay traces', () => {
  test.each([...scenarios.keys()])('%s', (name) => {
    const trace = runTrace(fallbackBackend, scenarios.get(name)!).replace(/\n+$/, '\n');
    expect(firstDifference(recorded.get(name)!, trace)).toBeNull();
  });
});

const wslayTrace = buildWslayTrace();

describe.skipIf(wslayTrace === null)('random scripts against libwslay (wslay-trace.c)', () => {
  test('600 scripts trace the same', () => {
    for (let seed = 0; seed < 600; seed++) {
      const script = generateScript(seed);
      const diff = firstDifference(
        runWslayTrace(wslayTrace!, script),
        runTrace(fallbackBackend, script),
      );
      expect(diff === null ? null : `seed ${seed}: ${diff}`).toBeNull();
    }
  });
});

const native = loadNativeBackend();

describe.skipIf(!native.ok)('random scripts against the native backend', () => {
  test('3000 scripts trace the same', () => {
    const backend = native.ok ? native.backend : fallbackBackend;
    for (let seed = 100_000; seed < 103_000; seed++) {
      const script = generateScript(seed);
      const diff = firstDifference(runTrace(backend, script), runTrace(fallbackBackend, script));
      expect(diff === null ? null : `seed ${seed}: ${diff}`).toBeNull();
    }
  });
});
