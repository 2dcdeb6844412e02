/**
 * Records what libwslay prints for each scenario in fixtures/scenarios.txt into
 * fixtures/scenarios.wslay.txt:  npx tsx test/fallback/harness/record.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildWslayTrace, readSections, runWslayTrace, writeSections } from './libwslay.js';

const fixtures = path.join(__dirname, '..', 'fixtures');
const binary = buildWslayTrace();
if (binary === null)
  throw new Error('cannot build wslay-trace.c: install a C compiler and libwslay-dev');
const traces = new Map<string, string>();
for (const [name, script] of readSections(path.join(fixtures, 'scenarios.txt'))) {
  traces.set(name, runWslayTrace(binary, script));
}
writeFileSync(
  path.join(fixtures, 'scenarios.wslay.txt'),
  writeSections(
    traces,
    '# What libwslay 1.1.1 printed for each script in scenarios.txt (see harness/record.ts).\n',
  ),
);
console.log(`recorded ${traces.size} scenarios`);
