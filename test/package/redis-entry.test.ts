// The `wslay/redis` subpath export from the packed tarball: ESM, CommonJS and types, with
// ioredis as an optional peer dependency (absent: a message that says what to install).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Consumer,
  describeRun,
  exec,
  installConsumer,
  packageFixture,
  repoRoot,
  tscBin,
} from './helpers.js';

const PROBE = `
const broker = new RedisBroker({ url: 'redis://127.0.0.1:1' });
broker.on('error', () => {});
const wss = new WebSocketServer({ noServer: true, broker });
void wss;
await broker.close();
console.log(JSON.stringify({ ok: true }));
`;

describe('the wslay/redis entry of the packed tarball', () => {
  let consumer: Consumer;

  beforeAll(async () => {
    const fixture = await packageFixture();
    consumer = installConsumer(fixture.tarball, fixture, { scripts: 'deny', type: 'module' });
    expect(consumer.install.status, describeRun(consumer.install)).toBe(0);
  }, 600_000);

  afterAll(() => consumer?.remove());

  test('without ioredis, making a RedisBroker says what to install', () => {
    const script = path.join(consumer.dir, 'missing.cjs');
    fs.writeFileSync(
      script,
      `const { RedisBroker } = require('wslay/redis');
try { new RedisBroker({ url: 'redis://127.0.0.1:1' }); } catch (error) { console.log(error.message); }`,
    );
    const run = exec(process.execPath, [script], { cwd: consumer.dir });
    expect(run.status, describeRun(run)).toBe(0);
    expect(run.stdout.trim()).toBe('wslay/redis needs the ioredis package: npm install ioredis');
  });

  test('with ioredis: ESM and CommonJS load one class, and the types check', () => {
    // The repository's ioredis stands in for the consumer's own install.
    fs.symlinkSync(
      path.join(repoRoot, 'node_modules', 'ioredis'),
      path.join(consumer.dir, 'node_modules', 'ioredis'),
      'dir',
    );
    const same = path.join(consumer.dir, 'same.mjs');
    fs.writeFileSync(
      same,
      `import { createRequire } from 'node:module';
import { RedisBroker } from 'wslay/redis';
const cjs = createRequire(import.meta.url)('wslay/redis');
console.log(JSON.stringify({ same: RedisBroker === cjs.RedisBroker }));`,
    );
    const run = exec(process.execPath, [same], { cwd: consumer.dir });
    expect(run.status, describeRun(run)).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toEqual({ same: true });

    const dir = path.join(consumer.dir, 'ts');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'app.mts'),
      `import { WebSocketServer } from 'wslay';\nimport { RedisBroker, type RedisBrokerOptions } from 'wslay/redis';\n` +
        `const options: RedisBrokerOptions = { url: 'redis://127.0.0.1:1', prefix: 'p:' };\nvoid options;\n${PROBE}` +
        `function wrongUse(): void {\n// @ts-expect-error maxPendingBytes is a number\nvoid new RedisBroker({ url: 'x', maxPendingBytes: 'big' });\n}\nvoid wrongUse;\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
          outDir: 'out',
        },
        files: ['app.mts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [tscBin, '-p', 'tsconfig.json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(tsc.status, `${tsc.stdout}\n${tsc.stderr}`).toBe(0);
    const app = exec(process.execPath, [path.join(dir, 'out', 'app.mjs')], { cwd: dir });
    expect(app.status, describeRun(app)).toBe(0);
    expect(JSON.parse(app.stdout.trim())).toEqual({ ok: true });
  }, 180_000);
});
