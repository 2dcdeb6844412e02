/**
 * End to end over loopback: each server in its own process, the load generator in another.
 * Every round runs every (scenario, size) cell on every server, servers in a shuffled order,
 * one at a time; rates are medians over rounds, ratios medians of per-round ratios, latency
 * quantiles come from the merged histograms of all rounds.
 */
import { runs } from '../lib/backends.js';
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import {
  LatencyHistogram,
  median,
  pairedRatio,
  seededRandom,
  shuffled,
  spread,
} from '../lib/stats.js';
import type { MarkResult, Proto } from './client.js';
import type { ServerKind, ServerStats } from './server.js';

export interface Scenario {
  name: string;
  label: string;
  connections: number;
  inflight: number;
  /** Payload sizes of this scenario, when it does not run the configured ones. */
  sizes?: number[];
  /**
   * Floors on the configured warm-up and measuring times: a few hundred large messages need
   * longer than a quick run gives, or the JIT's warm-up and one GC decide the ratio.
   */
  minWarmupMs?: number;
  minDurationMs?: number;
}

export const SCENARIOS: Scenario[] = [
  { name: 'roundtrip', label: '1 connection, round trips', connections: 1, inflight: 1 },
  { name: 'pipelined', label: '1 connection, 100 in flight', connections: 1, inflight: 100 },
  { name: 'connections', label: '64 connections, 1 in flight each', connections: 64, inflight: 1 },
  {
    name: 'large',
    label: '1 connection, 4 large messages in flight',
    connections: 1,
    inflight: 4,
    sizes: [64 * 1024, 1 << 20],
    minWarmupMs: 500,
    minDurationMs: 1000,
  },
];

export const SERVERS: ServerKind[] = ['wslay-native', 'wslay-fallback', 'ws', 'raw'];

export interface E2eConfig {
  sizes: number[];
  scenarios: string[];
  rounds: number;
  warmupMs: number;
  durationMs: number;
  seed: number;
}

export interface E2eServerStats {
  rates: number[];
  msgsPerSec: number;
  /** Echoed payload bytes per second, one direction, in 10^6 bytes. */
  mbPerSec: number;
  spread: number;
  p50Us: number;
  p99Us: number;
  /** Server CPU time (user + system) per message echoed, µs. */
  cpuUsPerMsg: number;
  /** Server CPU time over wall time: 1.0 is one core saturated. */
  cpuLoad: number;
  /** Client CPU over wall time, to show the load generator was not the bottleneck. */
  clientLoad: number;
  rssMb: number;
}

export interface E2eCellResult {
  scenario: string;
  size: number;
  servers: Partial<Record<ServerKind, E2eServerStats>>;
  /** Paired ratios of messages per second (wall clock): what the targets are about. */
  ratios: Record<string, number>;
  /** Paired ratios of messages per second of server CPU time: steadier on a shared machine. */
  cpuRatios: Record<string, number>;
}

export interface E2eResult {
  config: E2eConfig;
  cells: E2eCellResult[];
}

const RATIO_PAIRS: [ServerKind, ServerKind][] = [
  ['wslay-native', 'ws'],
  ['wslay-fallback', 'ws'],
  ['wslay-native', 'raw'],
  ['ws', 'raw'],
  ['wslay-native', 'wslay-fallback'],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function spawnServer(kind: ServerKind, shellPrefix?: string, deflate = false): Child {
  const { file, tsx } = script('e2e/server.ts');
  return new Child(file, {
    args: deflate ? [kind, 'deflate'] : [kind],
    tsx,
    nodeArgs: ['--expose-gc'],
    label: `server:${kind}`,
    shellPrefix,
  });
}

export function spawnClient(shellPrefix?: string): Child {
  const { file, tsx } = script('e2e/client.ts');
  return new Child(file, { label: 'client', tsx, shellPrefix });
}

export function protoOf(kind: ServerKind): Proto {
  return kind === 'raw' ? 'raw' : 'ws';
}

interface Run {
  mark: MarkResult;
  before: ServerStats;
  after: ServerStats;
}

export async function runE2e(config: E2eConfig, log: (line: string) => void): Promise<E2eResult> {
  const random = seededRandom(config.seed);
  const scenarios = SCENARIOS.filter((s) => config.scenarios.includes(s.name));
  const active = SERVERS.filter(runs);
  const servers = new Map(active.map((k) => [k, spawnServer(k)] as const));
  const client = spawnClient();
  try {
    const ports = new Map<ServerKind, number>();
    for (const [k, s] of servers)
      ports.set(k, (await s.request<{ port: number }>({ op: 'start' })).port);
    const cells = scenarios.flatMap((scenario) =>
      (scenario.sizes ?? config.sizes).map((size) => ({ scenario, size })),
    );
    const results = new Map<string, Map<ServerKind, Run[]>>();
    const key = (c: { scenario: Scenario; size: number }) => `${c.scenario.name}/${c.size}`;
    for (const c of cells) results.set(key(c), new Map(active.map((k) => [k, []])));

    const runOne = async (
      kind: ServerKind,
      c: { scenario: Scenario; size: number },
    ): Promise<Run> => {
      const server = servers.get(kind)!;
      await client.request({
        op: 'open',
        port: ports.get(kind),
        proto: protoOf(kind),
        connections: c.scenario.connections,
        inflight: c.scenario.inflight,
        size: c.size,
      });
      const durationMs = Math.max(config.durationMs, c.scenario.minDurationMs ?? 0);
      try {
        await sleep(Math.max(config.warmupMs, c.scenario.minWarmupMs ?? 0));
        await client.request({ op: 'mark' });
        const before = await server.request<ServerStats>({ op: 'stats' });
        await sleep(durationMs);
        const mark = await client.request<MarkResult>({ op: 'mark' });
        const after = await server.request<ServerStats>({ op: 'stats' });
        // A smoke test must fail when a server stops echoing; a slow one is only reported.
        if (mark.msgs === 0) throw new Error(`${kind}: no echo in ${durationMs} ms (${key(c)})`);
        return { mark, before, after };
      } finally {
        await client.request({ op: 'close' });
      }
    };

    for (let round = 0; round < config.rounds; round++) {
      log(`e2e: round ${round + 1}/${config.rounds}`);
      for (const c of shuffled(cells, random)) {
        for (const kind of shuffled(active, random)) {
          const run = await runOne(kind, c);
          results.get(key(c))!.get(kind)!.push(run);
        }
      }
    }

    const cellResults: E2eCellResult[] = cells.map((c) => {
      const byServer = results.get(key(c))!;
      const rates = new Map<ServerKind, number[]>();
      const efficiency = new Map<ServerKind, number[]>();
      const stats: E2eCellResult['servers'] = {};
      for (const [kind, list] of byServer) {
        const r = list.map((x) => x.mark.msgs / (x.mark.elapsedMs / 1000));
        rates.set(kind, r);
        const hist = new LatencyHistogram();
        for (const x of list) hist.merge(x.mark.latency);
        const cpu = list.map(
          (x) =>
            x.after.cpuUserUs + x.after.cpuSystemUs - (x.before.cpuUserUs + x.before.cpuSystemUs),
        );
        efficiency.set(
          kind,
          list.map((x, i) => x.mark.msgs / Math.max(1, cpu[i]!)),
        );
        const m = median(r);
        stats[kind] = {
          rates: r,
          msgsPerSec: m,
          mbPerSec: (m * c.size) / 1e6,
          spread: spread(r),
          p50Us: hist.quantile(0.5),
          p99Us: hist.quantile(0.99),
          cpuUsPerMsg: median(list.map((x, i) => cpu[i]! / Math.max(1, x.mark.msgs))),
          cpuLoad: median(list.map((x, i) => cpu[i]! / 1000 / x.mark.elapsedMs)),
          clientLoad: median(list.map((x) => x.mark.cpuUs / 1000 / x.mark.elapsedMs)),
          rssMb: Math.max(...list.map((x) => x.after.rss)) / 2 ** 20,
        };
      }
      const ratios: Record<string, number> = {};
      const cpuRatios: Record<string, number> = {};
      for (const [a, b] of RATIO_PAIRS) {
        if (!rates.has(a) || !rates.has(b)) continue;
        ratios[`${a}/${b}`] = pairedRatio(rates.get(a)!, rates.get(b)!);
        cpuRatios[`${a}/${b}`] = pairedRatio(efficiency.get(a)!, efficiency.get(b)!);
      }
      return { scenario: c.scenario.name, size: c.size, servers: stats, ratios, cpuRatios };
    });
    return { config, cells: cellResults };
  } finally {
    await client.close();
    await Promise.all([...servers.values()].map((s) => s.close()));
  }
}
