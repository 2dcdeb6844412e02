// Issue 5, case 4: the installed package loads in worker_threads: several workers (ESM and
// CommonJS) and the main thread use the native addon at once, and a worker that is terminated
// with live contexts takes nothing down with it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Consumer,
  ECHO_BODY,
  EXPECTED_ECHO,
  type Fixture,
  describeRun,
  exec,
  installConsumer,
  packageFixture,
} from './helpers.js';

const MAIN = `import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
${ECHO_BODY}
const wslay = await import('wslay');
function runWorker(file, data) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(file, import.meta.url), { workerData: data });
    let report;
    worker.on('message', (message) => { report = message; });
    worker.on('error', reject);
    worker.on('exit', (code) => resolve({ code, report }));
  });
}
function terminateWhileBusy() {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./busy.cjs', import.meta.url));
    worker.on('error', reject);
    worker.on('message', () => { worker.terminate().then((code) => resolve({ terminated: code })); });
  });
}
const workers = await Promise.all([
  runWorker('./worker.mjs', 1), runWorker('./worker.mjs', 2), runWorker('./worker.cjs', 3),
  terminateWhileBusy(),
]);
const main = echoRoundTrip(wslay);
console.log(JSON.stringify({ backend: wslay.backend, main, workers }));
`;

const WORKER_ESM = `import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
${ECHO_BODY}
const wslay = await import('wslay');
const rounds = [];
for (let i = 0; i < 20; i++) rounds.push(echoRoundTrip(wslay));
parentPort.postMessage({ id: workerData, backend: wslay.backend, echo: rounds.at(-1),
  allEqual: rounds.every((round) => JSON.stringify(round) === JSON.stringify(rounds[0])) });
`;

const WORKER_CJS = `const { parentPort, workerData } = require('node:worker_threads');
${ECHO_BODY}
const wslay = require('wslay');
parentPort.postMessage({ id: workerData, backend: wslay.backend, echo: echoRoundTrip(wslay), allEqual: true });
`;

// Keeps contexts alive and busy until the main thread terminates it.
const BUSY = `const { parentPort } = require('node:worker_threads');
const { EventContext, Opcode } = require('wslay');
const live = [];
for (let i = 0; i < 50; i++) {
  const ctx = EventContext.server({ send: (_ctx, data) => data.length });
  ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: 'x'.repeat(1000) });
  live.push(ctx);
}
parentPort.postMessage('ready');
setInterval(() => { for (const ctx of live) { ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: 'y' }); ctx.send(); } }, 1);
`;

interface WorkerExit {
  code: number;
  report: unknown;
}

describe('the installed package in worker_threads', () => {
  let fixture: Fixture;
  let consumer: Consumer;

  beforeAll(async () => {
    fixture = await packageFixture();
    consumer = installConsumer(fixture.tarball, fixture, { scripts: 'deny' });
    expect(consumer.install.status, describeRun(consumer.install)).toBe(0);
  }, 600_000);

  afterAll(() => consumer?.remove());

  test('workers and the main thread all run on the native addon at once', () => {
    const files = {
      'main.mjs': MAIN,
      'worker.mjs': WORKER_ESM,
      'worker.cjs': WORKER_CJS,
      'busy.cjs': BUSY,
    };
    for (const [name, text] of Object.entries(files))
      fs.writeFileSync(path.join(consumer.dir, name), text);
    const result = exec(process.execPath, [path.join(consumer.dir, 'main.mjs')], {
      cwd: consumer.dir,
    });
    expect(result.status, describeRun(result)).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      backend: string;
      main: unknown;
      workers: [WorkerExit, WorkerExit, WorkerExit, unknown];
    };
    expect(report.backend).toBe('native');
    expect(report.main).toMatchObject({ backends: ['native', 'native'], ...EXPECTED_ECHO });
    const [one, two, three, busy] = report.workers;
    for (const [worker, id] of [
      [one, 1],
      [two, 2],
      [three, 3],
    ] as const) {
      expect(worker.code).toBe(0);
      expect(worker.report).toMatchObject({
        id,
        backend: 'native',
        allEqual: true,
        echo: { backends: ['native', 'native'], ...EXPECTED_ECHO },
      });
    }
    expect(busy).toEqual({ terminated: 1 });
  });
});
