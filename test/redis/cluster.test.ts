import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedisServer, type RedisServer } from '../../examples/redis-server.js';
import { backends, delay } from '../ws/helpers.js';
import { subscribers } from './helpers.js';

const WORKER = fileURLToPath(new URL('fixtures/worker.ts', import.meta.url));
const WORKERS = 3;
const PER_WORKER = 200;

interface Report {
  inboxes: [string, boolean][][];
  errors: string[];
}

function request<T>(child: ChildProcess, command: object): Promise<T> {
  const reply = once(child, 'message') as Promise<[T]>;
  child.send(command);
  return reply.then(([message]) => message);
}

describe.each(backends)(
  'three processes, each a server with clients, share topics over Redis (%s)',
  (backend) => {
    let redis: RedisServer;
    const workers: ChildProcess[] = [];

    beforeAll(async () => {
      redis = await startRedisServer();
      for (let i = 0; i < WORKERS; i++) {
        const child = fork(WORKER, [backend, redis.url], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        workers.push(child);
      }
      await Promise.all(workers.map((child) => once(child, 'message')));
      await subscribers(redis.url, 'wslay:room', WORKERS);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(
        workers.map(async (child) => {
          const exited = once(child, 'exit');
          child.send({ exit: true });
          await exited;
        }),
      );
      await redis.stop();
    });

    test('a publish in any process reaches every subscriber of every process once, in order per publisher', async () => {
      for (let w = 0; w < WORKERS; w++) workers[w]!.send({ publish: w, count: PER_WORKER });
      const expected = WORKERS * PER_WORKER;
      let reports: Report[];
      const deadline = Date.now() + 20_000;
      for (;;) {
        await delay(50);
        reports = await Promise.all(
          workers.map((child) => request<Report>(child, { report: true })),
        );
        const done = reports.every((r) => r.inboxes.every((inbox) => inbox.length >= expected));
        if (done || Date.now() > deadline) break;
      }
      for (const report of reports) {
        expect(report.errors).toEqual([]);
        for (const inbox of report.inboxes) {
          expect(inbox).toHaveLength(expected);
          for (let w = 0; w < WORKERS; w++) {
            const fromW = inbox.filter(([data]) => data.startsWith(`${w}:`));
            expect(fromW).toEqual(
              Array.from({ length: PER_WORKER }, (_, i) => [`${w}:${i}`, i % 2 === 1]),
            );
          }
        }
      }
    });
  },
);
