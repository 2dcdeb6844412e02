/**
 * Publish to delivery across processes over one Redis: `workers` server processes (each its
 * own port, as on several machines), `subscribers` connections spread over them from one
 * client process, and the first worker publishing `messages` messages as fast as it can.
 * Throughput is messages published per second until the last subscriber has the last one;
 * latency runs from each publish to each delivery. This package's servers with RedisBroker
 * against socket.io with @socket.io/redis-adapter (a room per topic).
 */
import { startRedisServer } from '../../examples/redis-server.js';
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import type { ScalingKind } from './server.js';

export interface ScalingConfig {
  workers: number[];
  sizes: number[];
  subscribers: number;
  messages: number;
}

export interface ScalingCell {
  kind: ScalingKind;
  workers: number;
  size: number;
  msgsPerSec: number;
  /** Whether every subscriber had every message before the deadline (else: what came). */
  complete: boolean;
  p50Ms: number;
  p99Ms: number;
}

export interface ScalingResult {
  config: ScalingConfig;
  cells: ScalingCell[];
  /** Ours over socket.io's messages per second, per (workers, size). */
  ratios: Record<string, number>;
}

const KINDS: ScalingKind[] = ['wslay', 'socketio'];
/** How long a cell may take before what arrived is reported as it is. */
const DEADLINE_MS = 90_000;
const ULIMIT = 'ulimit -n $(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 )) 2>/dev/null || true';

async function runCell(
  kind: ScalingKind,
  workers: number,
  sizes: number[],
  config: ScalingConfig,
  redisUrl: string,
): Promise<ScalingCell[]> {
  const { file, tsx } = script('scaling/server.ts');
  const servers = Array.from(
    { length: workers },
    (_, i) => new Child(file, { args: [kind, redisUrl], tsx, label: `${kind}:${i}` }),
  );
  const { file: clientFile, tsx: clientTsx } = script('scaling/client.ts');
  const client = new Child(clientFile, {
    label: 'subscribers',
    tsx: clientTsx,
    shellPrefix: ULIMIT,
  });
  const cells: ScalingCell[] = [];
  try {
    const ports = await Promise.all(
      servers.map(async (s) => (await s.request<{ port: number }>({ op: 'start' })).port),
    );
    await client.request({ op: 'connect', kind, ports, count: config.subscribers });
    // Every worker's subscription must have reached Redis before the first publish.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const size of sizes) {
      await client.request({ op: 'expect', messages: config.messages });
      const started = performance.timeOrigin + performance.now();
      await servers[0]!.request({ op: 'publish', count: config.messages, size });
      const got = await client.request<{
        complete: boolean;
        delivered: number;
        lastAt: number;
        p50: number;
        p99: number;
      }>({ op: 'received', timeoutMs: DEADLINE_MS }, DEADLINE_MS + 30_000);
      cells.push({
        kind,
        workers,
        size,
        msgsPerSec: got.delivered / ((got.lastAt - started) / 1000),
        complete: got.complete,
        p50Ms: got.p50,
        p99Ms: got.p99,
      });
    }
  } finally {
    await client.close();
    await Promise.all(servers.map((s) => s.close()));
  }
  return cells;
}

export async function runScaling(
  config: ScalingConfig,
  log: (line: string) => void,
): Promise<ScalingResult> {
  const redis = await startRedisServer();
  const cells: ScalingCell[] = [];
  try {
    for (const workers of config.workers) {
      for (const kind of KINDS) {
        log(`scaling: ${kind}, ${workers} workers, ${config.subscribers} subscribers`);
        cells.push(...(await runCell(kind, workers, config.sizes, config, redis.url)));
      }
    }
  } finally {
    await redis.stop();
  }
  const ratios: Record<string, number> = {};
  for (const ours of cells.filter((c) => c.kind === 'wslay')) {
    const theirs = cells.find(
      (c) => c.kind === 'socketio' && c.workers === ours.workers && c.size === ours.size,
    );
    if (theirs !== undefined) {
      ratios[`${ours.workers} workers ${ours.size} B`] = ours.msgsPerSec / theirs.msgsPerSec;
    }
  }
  return { config, cells, ratios };
}
