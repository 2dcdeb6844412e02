import { describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backends } from './helpers/backends.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe.each(backends)('lifetime across threads and the garbage collector (%s)', (backend) => {
  test('four workers create, use and free contexts at the same time', async () => {
    const rounds = 500;
    const results = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<{ echoed: number }>((resolve, reject) => {
            // Workers do not inherit the TypeScript loader: register tsx inside the worker.
            const worker = new Worker(
              `require('tsx/cjs'); require(${JSON.stringify(here('./fixtures/context-worker.ts'))});`,
              { eval: true, workerData: { backend, rounds } },
            );
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.once('exit', (code) => {
              if (code !== 0) reject(new Error(`worker exited with ${code}`));
            });
          }),
      ),
    );
    expect(results).toEqual([
      { echoed: rounds },
      { echoed: rounds },
      { echoed: rounds },
      { echoed: rounds },
    ]);
  });

  test('workers terminated in the middle of callbacks take nothing down with them', () => {
    // In a terminating worker every call into JS fails with no exception to throw; a crash
    // here kills the child process with a signal instead of failing one assertion.
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', here('./fixtures/terminate-busy-workers.ts'), backend, '40'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect({ signal: result.signal, status: result.status, stderr: result.stderr }).toEqual({
      signal: null,
      status: 0,
      stderr: '',
    });
    expect(JSON.parse(result.stdout)).toEqual({ terminated: 40 });
  }, 120_000);

  test('100,000 contexts dropped without free() are reclaimed and memory stays bounded', () => {
    const output = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', here('./fixtures/gc-contexts.ts'), backend, '100000'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const report = JSON.parse(output.trim().split('\n').pop()!) as {
      created: number;
      growthMiB: number;
    };
    expect(report.created).toBe(100_000);
    // Each context holds kilobytes in wslay; 100,000 leaked ones would be hundreds of MiB.
    expect(report.growthMiB).toBeLessThan(64);
  });
});
