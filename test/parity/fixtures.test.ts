/**
 * Both backends' engines against traces recorded from libwslay 1.1.1 (fixtures/), so that
 * the fallback is checked against the C library even where neither the addon nor a C
 * compiler is at hand. Record again with `npx tsx test/parity/record-fixtures.ts`.
 */
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadNativeBackend } from '../../src/backends/native.js';
import type { BackendImpl } from '../../src/backends/engine.js';
import { fallbackBackend } from '../../src/fallback/index.js';
import { runEngineScript, traceText } from './engine-script.js';
import { readSections } from './libwslay.js';

const fixtures = path.join(__dirname, 'fixtures');
const scenarios = readSections(path.join(fixtures, 'scenarios.txt'));
const recorded = readSections(path.join(fixtures, 'scenarios.libwslay.txt'));

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
    `\n  engine:   ${a.slice(from, i + 2).join('\n            ')}`
  );
}

const native = loadNativeBackend();
const engines: [string, BackendImpl][] = [['fallback', fallbackBackend]];
if (native.ok) engines.push(['native', native.backend]);

describe.each(engines)('%s engine: traces recorded from libwslay', (_name, backend) => {
  test('every scenario has a recording', () => {
    expect([...recorded.keys()]).toEqual([...scenarios.keys()]);
  });

  test.each([...scenarios.keys()])('%s', (name) => {
    const lines = scenarios.get(name)!.split('\n');
    const trace = traceText(runEngineScript(backend, lines)).replace(/\n*$/, '\n');
    expect(firstDifference(recorded.get(name)!, trace)).toBeNull();
  });
});
