/**
 * Records what libwslay prints for each scenario of fixtures/scenarios.txt into
 * fixtures/scenarios.libwslay.txt:  npx tsx test/parity/record-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSections, runLibwslay, wslayTraceBinary, writeSections } from './libwslay.js';

const fixtures = path.join(__dirname, 'fixtures');
const binary = wslayTraceBinary();
if (binary === null)
  throw new Error('cannot build libwslay/wslay-trace.c: install a C compiler and libwslay-dev');
const scenarios = readSections(path.join(fixtures, 'scenarios.txt'));
const outputs = runLibwslay(binary, [...scenarios.values()]);
const traces = new Map<string, string>();
[...scenarios.keys()].forEach((name, i) => {
  const out = outputs[i]!;
  if ('crash' in out) throw new Error(`${name}: ${out.crash}`);
  traces.set(name, out.output);
});
writeFileSync(
  path.join(fixtures, 'scenarios.libwslay.txt'),
  writeSections(
    traces,
    '# What libwslay 1.1.1 printed for each script in scenarios.txt (see record-fixtures.ts).\n',
  ),
);
console.log(`recorded ${traces.size} scenarios`);
