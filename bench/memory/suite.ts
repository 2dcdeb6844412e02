/**
 * Memory of idle connections: for each server, a fresh server process and a fresh client
 * process; the server's RSS and heap after full collections, before and after the client
 * opens `count` connections (handshake done, nothing sent). Both processes raise their
 * file-descriptor limit as far as the hard limit allows.
 */
import { spawnClient, spawnServer, protoOf, SERVERS } from '../e2e/suite.js';
import type { ServerKind, ServerStats } from '../e2e/server.js';
import { runs } from '../lib/backends.js';
import { median, seededRandom, shuffled } from '../lib/stats.js';

export interface MemoryConfig {
  connections: number;
  rounds: number;
  seed: number;
}

export interface MemoryServerStats {
  /** RSS growth per connection, bytes (median over rounds). */
  rssPerConn: number;
  /** JS heap growth per connection, bytes. */
  heapPerConn: number;
  /** Memory outside the JS heap that V8 knows of (ArrayBuffers, external strings), per connection. */
  externalPerConn: number;
  baselineRssMb: number;
  loadedRssMb: number;
  samples: number[];
}

export interface MemoryResult {
  config: MemoryConfig;
  fdLimit: string;
  servers: Partial<Record<ServerKind, MemoryServerStats>>;
  ratios: Record<string, number>;
}

// Raise the soft limit to the hard one (at most 65536); fine if it cannot.
const ULIMIT = 'ulimit -n $(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 )) 2>/dev/null || true';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMemory(
  config: MemoryConfig,
  log: (line: string) => void,
): Promise<MemoryResult> {
  const random = seededRandom(config.seed);
  const samples = new Map<
    ServerKind,
    { rss: number; heap: number; external: number; base: number; loaded: number }[]
  >(SERVERS.filter(runs).map((k) => [k, []]));
  for (let round = 0; round < config.rounds; round++) {
    for (const kind of shuffled(SERVERS.filter(runs), random)) {
      log(
        `memory: ${kind}, ${config.connections} idle connections (round ${round + 1}/${config.rounds})`,
      );
      const server = spawnServer(kind, ULIMIT);
      const client = spawnClient(ULIMIT);
      try {
        const { port } = await server.request<{ port: number }>({ op: 'start' });
        const before = await server.request<ServerStats>({ op: 'memory' });
        await client.request({ op: 'idle', port, proto: protoOf(kind), count: config.connections });
        let after = await server.request<ServerStats>({ op: 'memory' });
        for (let i = 0; i < 50 && after.connections < config.connections; i++) {
          await sleep(100);
          after = await server.request<ServerStats>({ op: 'memory' });
        }
        if (after.connections < config.connections) {
          throw new Error(
            `${kind}: ${after.connections} of ${config.connections} connections open`,
          );
        }
        const n = config.connections;
        samples.get(kind)!.push({
          rss: (after.rss - before.rss) / n,
          heap: (after.heapUsed - before.heapUsed) / n,
          external: (after.external - before.external) / n,
          base: before.rss / 2 ** 20,
          loaded: after.rss / 2 ** 20,
        });
      } finally {
        await client.close();
        await server.close();
      }
    }
  }
  const servers: MemoryResult['servers'] = {};
  for (const [kind, list] of samples) {
    servers[kind] = {
      rssPerConn: median(list.map((s) => s.rss)),
      heapPerConn: median(list.map((s) => s.heap)),
      externalPerConn: median(list.map((s) => s.external)),
      baselineRssMb: median(list.map((s) => s.base)),
      loadedRssMb: median(list.map((s) => s.loaded)),
      samples: list.map((s) => s.rss),
    };
  }
  const ratios: Record<string, number> = {};
  // Below a few hundred bytes per connection the measurement is GC noise, not a size.
  const ws = servers.ws?.rssPerConn;
  if (ws !== undefined && ws > 256) {
    for (const k of ['wslay-native', 'wslay-fallback', 'raw'] as const) {
      const v = servers[k]?.rssPerConn;
      if (v !== undefined) ratios[`${k}/ws`] = v / ws;
    }
  }
  const { execSync } = await import('node:child_process');
  const fdLimit = execSync(`bash -c '${ULIMIT}; ulimit -n'`, { encoding: 'utf8' }).trim();
  return { config, fdLimit, servers, ratios };
}
