/**
 * permessage-deflate against ws, every server with `perMessageDeflate: true` (ws's
 * defaults) and the same load generator (client.ts):
 *
 * - echo: messages echoed per second, 1 KiB JSON and 16 KiB text, on `echoConnections`
 *   connections with one message in flight on each;
 * - memory: the server's RSS growth per connection once each of `memoryConnections` has
 *   negotiated deflate and echoed one message (after full collections);
 * - soak: `soakMessages` messages across `soakConnections` connections, the server's RSS
 *   sampled every 250 ms along the way, at the end, and once the connections are gone.
 *
 * The echo also reports the server's CPU time per message: ws runs zlib in libuv's thread
 * pool, so on a machine whose cores are busy with other work it is handed more CPU time than
 * a server that runs zlib on its one thread, and throughput alone says more about the
 * other load than about the servers.
 */
import { performance } from 'node:perf_hooks';
import { spawnServer } from '../e2e/suite.js';
import type { ServerKind, ServerStats } from '../e2e/server.js';
import { runs } from '../lib/backends.js';
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import { median, seededRandom, shuffled } from '../lib/stats.js';
import type { DeflateMessage } from './client.js';

export interface DeflateConfig {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  echoConnections: number;
  memoryConnections: number;
  soakConnections: number;
  soakMessages: number;
  seed: number;
}

export interface DeflateEchoCell {
  message: DeflateMessage;
  /** Echoes per second, median over rounds. */
  servers: Partial<Record<DeflateServer, number>>;
  ratios: Record<string, number>;
  /** The server's CPU time (user + system) per echoed message, µs, median over rounds. */
  cpuUsPerMsg: Partial<Record<DeflateServer, number>>;
  /** Messages per second of server CPU time, against ws: what other load disturbs less. */
  cpuRatios: Record<string, number>;
}

export interface DeflateSoak {
  /** Server RSS in MiB: a quarter and half of the way in, at the peak, at the end, after close. */
  quarterMb: number;
  halfMb: number;
  peakMb: number;
  endMb: number;
  afterCloseMb: number;
  /**
   * RSS at the end over RSS halfway: growth once every connection's window has filled (a
   * connection's first 32 messages of 1 KiB grow it; each sends 200 in the full run).
   */
  growth: number;
  durationS: number;
  msgsPerSec: number;
  /** [seconds since the start, RSS MiB], every 250 ms. */
  samples: [number, number][];
}

export interface DeflateResult {
  config: DeflateConfig;
  echo: DeflateEchoCell[];
  /** RSS growth per connection, bytes. */
  memory: Partial<Record<DeflateServer, number>>;
  memoryRatios: Record<string, number>;
  soak: Partial<Record<DeflateServer, DeflateSoak>>;
}

type DeflateServer = Exclude<ServerKind, 'raw'>;
const SERVERS: DeflateServer[] = ['wslay-native', 'wslay-fallback', 'ws'];
const MESSAGES: DeflateMessage[] = ['json', 'text'];
const ULIMIT = 'ulimit -n $(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 )) 2>/dev/null || true';
const MiB = 2 ** 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnClient(): Child {
  const { file, tsx } = script('deflate/client.ts');
  return new Child(file, { label: 'deflate-client', tsx, shellPrefix: ULIMIT });
}

function ratiosToWs(values: Partial<Record<DeflateServer, number>>): Record<string, number> {
  const ratios: Record<string, number> = {};
  const ws = values.ws;
  if (ws === undefined || ws <= 0) return ratios;
  for (const kind of ['wslay-native', 'wslay-fallback'] as const) {
    const v = values[kind];
    if (v !== undefined) ratios[`${kind}/ws`] = v / ws;
  }
  return ratios;
}

/** Starts a deflating server of `kind` and a client; runs `body`; ends both. */
async function withPair<T>(
  kind: DeflateServer,
  body: (server: Child, client: Child, port: number) => Promise<T>,
): Promise<T> {
  const server = spawnServer(kind, ULIMIT, true);
  const client = spawnClient();
  try {
    const { port } = await server.request<{ port: number }>({ op: 'start' });
    return await body(server, client, port);
  } finally {
    await client.close();
    await server.close();
  }
}

export async function runDeflate(
  config: DeflateConfig,
  log: (line: string) => void,
): Promise<DeflateResult> {
  const random = seededRandom(config.seed);
  const active = SERVERS.filter(runs);

  const rates = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  for (let round = 0; round < config.rounds; round++) {
    log(`deflate: echo, round ${round + 1}/${config.rounds}`);
    for (const kind of shuffled(active, random)) {
      await withPair(kind, async (server, client, port) => {
        for (const message of shuffled(MESSAGES, random)) {
          await client.request({ op: 'open', port, connections: config.echoConnections, message });
          await sleep(config.warmupMs);
          await client.request({ op: 'mark' });
          const before = await server.request<ServerStats>({ op: 'stats' });
          await sleep(config.durationMs);
          const mark = await client.request<{ msgs: number; elapsedMs: number }>({ op: 'mark' });
          const after = await server.request<ServerStats>({ op: 'stats' });
          await client.request({ op: 'closeAll' });
          if (mark.msgs === 0) throw new Error(`${kind}: no deflated echo (${message})`);
          const key = `${kind}/${message}`;
          rates.set(key, [...(rates.get(key) ?? []), mark.msgs / (mark.elapsedMs / 1000)]);
          const cpuUs = after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs;
          cpu.set(key, [...(cpu.get(key) ?? []), cpuUs / mark.msgs]);
        }
      });
    }
  }
  const echo: DeflateEchoCell[] = MESSAGES.map((message) => {
    const servers: DeflateEchoCell['servers'] = {};
    const cpuUsPerMsg: DeflateEchoCell['cpuUsPerMsg'] = {};
    const perCpuSecond: Partial<Record<DeflateServer, number>> = {};
    for (const kind of active) {
      servers[kind] = median(rates.get(`${kind}/${message}`) ?? []);
      cpuUsPerMsg[kind] = median(cpu.get(`${kind}/${message}`) ?? []);
      perCpuSecond[kind] = 1e6 / cpuUsPerMsg[kind];
    }
    return {
      message,
      servers,
      ratios: ratiosToWs(servers),
      cpuUsPerMsg,
      cpuRatios: ratiosToWs(perCpuSecond),
    };
  });

  const memory: DeflateResult['memory'] = {};
  for (const kind of active) {
    log(`deflate: memory, ${kind}, ${config.memoryConnections} connections after one message`);
    memory[kind] = await withPair(kind, async (server, client, port) => {
      const before = await server.request<ServerStats>({ op: 'memory' });
      await client.request({ op: 'warm', port, count: config.memoryConnections, message: 'json' });
      const after = await server.request<ServerStats>({ op: 'memory' });
      return (after.rss - before.rss) / config.memoryConnections;
    });
  }

  const soak: DeflateResult['soak'] = {};
  for (const kind of active) {
    log(
      `deflate: soak, ${kind}, ${config.soakMessages} messages on ${config.soakConnections} connections`,
    );
    soak[kind] = await withPair(kind, async (server, client, port) => {
      const samples: [number, number][] = [];
      let soaking = true;
      const started = performance.now();
      const sampler = (async () => {
        while (soaking) {
          const rss = (await server.request<ServerStats>({ op: 'stats' })).rss / MiB;
          samples.push([(performance.now() - started) / 1000, rss]);
          await sleep(250);
        }
      })();
      const run = await client.request<{ msgs: number; elapsedMs: number }>({
        op: 'soak',
        port,
        connections: config.soakConnections,
        total: config.soakMessages,
        message: 'json',
      });
      soaking = false;
      await sampler;
      const end = (await server.request<ServerStats>({ op: 'stats' })).rss / MiB;
      await client.request({ op: 'closeAll' });
      await sleep(1000);
      const afterClose = (await server.request<ServerStats>({ op: 'memory' })).rss / MiB;
      const at = (fraction: number) => samples[Math.floor(samples.length * fraction)]?.[1] ?? end;
      return {
        quarterMb: at(1 / 4),
        halfMb: at(1 / 2),
        peakMb: Math.max(end, ...samples.map(([, rss]) => rss)),
        endMb: end,
        afterCloseMb: afterClose,
        growth: end / at(1 / 2),
        durationS: run.elapsedMs / 1000,
        msgsPerSec: run.msgs / (run.elapsedMs / 1000),
        samples: samples.map(([t, rss]) => [Number(t.toFixed(2)), Number(rss.toFixed(1))]),
      };
    });
  }
  return { config, echo, memory, memoryRatios: ratiosToWs(memory), soak };
}
