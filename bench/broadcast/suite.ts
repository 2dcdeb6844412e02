/**
 * One message to many idle connections. Every server (`ws`, ours on each backend) runs in a
 * process of its own with its connections open at once, held by `clientProcesses` receiving
 * processes each (bench/broadcast/client.ts), so that reading is not what limits delivery.
 * After a round of warm-up, each round visits the servers in a shuffled order and, on each, the ways of sending in a
 * shuffled order (ws's `clients.forEach(send)` loop and a raw write of the frame to each
 * socket on `ws`; ours, `broadcast()`, `publish()`), one message at a time; the time until
 * the last connection has the whole message runs from the start of the call in the server
 * to the last byte in the clients (the same clock). Ratios are medians of per-round ratios.
 * First 32 B to `connections`, with RSS per connection after full collections against the
 * server before any connection; then 64 KiB to `bigConnections`.
 */
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import { runs } from '../lib/backends.js';
import { headerLength } from '../lib/frames.js';
import { median, seededRandom, shuffled } from '../lib/stats.js';
import type { BroadcastMode, BroadcastServerKind } from './server.js';

export interface BroadcastConfig {
  connections: number;
  bigConnections: number;
  rounds: number;
  /** Receiving processes per server. */
  clientProcesses: number;
  seed: number;
}

export interface BroadcastCell {
  server: BroadcastServerKind;
  mode: BroadcastMode;
  size: number;
  connections: number;
  /** Median ms the sending call took. */
  loopMs: number;
  /** Median ms until every connection's bytes were handed to the kernel. */
  writtenMs: number;
  /** Median ms until every connection had the whole message. */
  deliverMs: number;
  /**
   * Median CPU ms of the server until every byte was handed to the kernel: user, system
   * (absent from results written before the suite measured it).
   */
  serverUserMs: number | undefined;
  serverSystemMs: number;
  /** Median CPU ms the receiving processes spent together, from before the call to the end. */
  clientCpuMs: number;
  /** Every round's delivery time, in round order. */
  delivers: number[];
}

export interface BroadcastResult {
  config: BroadcastConfig;
  cells: BroadcastCell[];
  rssPerConn: Partial<Record<BroadcastServerKind, number>>;
  /**
   * Per-round ratios of ws's forEach delivery time over each of ours (above 1: faster than
   * ws), medians; `raw` is the raw write's; `rss/ws` is ours over ws's RSS per connection.
   */
  ratios: Record<string, number>;
}

const SERVERS: BroadcastServerKind[] = ['ws', 'wslay-native', 'wslay-fallback'];
const ULIMIT = 'ulimit -n $(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 )) 2>/dev/null || true';
const SMALL = 32;
const BIG = 64 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function modesOf(kind: BroadcastServerKind): BroadcastMode[] {
  return kind === 'ws' ? ['forEach', 'raw'] : ['forEach', 'broadcast', 'publish'];
}

export function sizeName(size: number): string {
  return size === SMALL ? '32 B' : '64 KiB';
}

interface Contender {
  kind: BroadcastServerKind;
  server: Child;
  clients: Child[];
  port: number;
  rssBefore: number;
}

async function start(kind: BroadcastServerKind, processes: number): Promise<Contender> {
  const { file, tsx } = script('broadcast/server.ts');
  const server = new Child(file, {
    args: [kind],
    tsx,
    nodeArgs: ['--expose-gc'],
    label: `broadcast:${kind}`,
    shellPrefix: ULIMIT,
  });
  const { file: clientFile, tsx: clientTsx } = script('broadcast/client.ts');
  const clients = Array.from(
    { length: processes },
    (_, i) =>
      new Child(clientFile, {
        label: `broadcast-client:${kind}:${i}`,
        tsx: clientTsx,
        nodeArgs: ['--expose-gc'],
        shellPrefix: ULIMIT,
      }),
  );
  const { port } = await server.request<{ port: number }>({ op: 'start' });
  const { rss } = await server.request<{ rss: number }>({ op: 'memory' });
  return { kind, server, clients, port, rssBefore: rss };
}

async function openIdle(c: Contender, count: number): Promise<void> {
  const share = Math.ceil(count / c.clients.length);
  await Promise.all(
    c.clients.map((client, i) =>
      client.request({
        op: 'open',
        port: c.port,
        count: Math.max(0, Math.min(share, count - i * share)),
      }),
    ),
  );
  for (let i = 0; i < 200; i++) {
    const { connections } = await c.server.request<{ connections: number }>({
      op: 'connections',
    });
    if (connections >= count) return;
    await sleep(50);
  }
  throw new Error(`${c.kind}: the server did not see ${count} connections`);
}

async function closeIdle(c: Contender): Promise<void> {
  await Promise.all(c.clients.map((client) => client.request({ op: 'close' })));
  for (let i = 0; i < 200; i++) {
    const { connections } = await c.server.request<{ connections: number }>({
      op: 'connections',
    });
    if (connections === 0) return;
    await sleep(50);
  }
}

interface Sample {
  loopMs: number;
  writtenMs: number;
  serverUserMs: number;
  serverSystemMs: number;
  deliverMs: number;
  clientCpuMs: number;
}

async function sendOnce(c: Contender, mode: BroadcastMode, size: number): Promise<Sample> {
  const bytes = headerLength(size, false) + size;
  await Promise.all(c.clients.map((client) => client.request({ op: 'expect', bytes })));
  const sent = await c.server.request<{ startedAt: number; loopMs: number }>({
    op: 'send',
    mode,
    size,
  });
  const got = await Promise.all(
    c.clients.map((client) =>
      client.request<{ doneAt: number; cpuMs: number }>({ op: 'received' }),
    ),
  );
  const written = await c.server.request<{ writtenMs: number; userMs: number; systemMs: number }>({
    op: 'written',
  });
  return {
    loopMs: sent.loopMs,
    writtenMs: written.writtenMs,
    serverUserMs: written.userMs,
    serverSystemMs: written.systemMs,
    deliverMs: Math.max(...got.map((g) => g.doneAt)) - sent.startedAt,
    clientCpuMs: got.reduce((sum, g) => sum + g.cpuMs, 0),
  };
}

async function measure(
  contenders: Contender[],
  size: number,
  connections: number,
  rounds: number,
  random: () => number,
): Promise<BroadcastCell[]> {
  const samples = new Map<string, Sample[]>();
  // Round 0 warms up: the first large message on a connection grows its socket buffers, and
  // a server's first pass touches memory it has not used yet.
  for (let round = 0; round <= rounds; round++) {
    for (const c of shuffled(contenders, random)) {
      for (const mode of shuffled(modesOf(c.kind), random)) {
        const sample = await sendOnce(c, mode, size);
        if (round === 0) continue;
        const key = `${c.kind} ${mode}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
  }
  const cells: BroadcastCell[] = [];
  for (const c of contenders) {
    for (const mode of modesOf(c.kind)) {
      const list = samples.get(`${c.kind} ${mode}`)!;
      cells.push({
        server: c.kind,
        mode,
        size,
        connections,
        loopMs: median(list.map((s) => s.loopMs)),
        writtenMs: median(list.map((s) => s.writtenMs)),
        deliverMs: median(list.map((s) => s.deliverMs)),
        serverUserMs: median(list.map((s) => s.serverUserMs)),
        serverSystemMs: median(list.map((s) => s.serverSystemMs)),
        clientCpuMs: median(list.map((s) => s.clientCpuMs)),
        delivers: list.map((s) => s.deliverMs),
      });
    }
  }
  return cells;
}

function ratiosOf(cells: BroadcastCell[]): Record<string, number> {
  const ratios: Record<string, number> = {};
  for (const size of [SMALL, BIG]) {
    const ws = cells.find((c) => c.server === 'ws' && c.mode === 'forEach' && c.size === size);
    if (ws === undefined) continue;
    for (const c of cells) {
      if (c.size !== size || c === ws) continue;
      const perRound = c.delivers.map((d, i) => ws.delivers[i]! / d);
      const name = c.server === 'ws' ? c.mode : `${c.server} ${c.mode}`;
      ratios[`${name} ${sizeName(size)}`] = median(perRound);
    }
  }
  return ratios;
}

export async function runBroadcast(
  config: BroadcastConfig,
  log: (line: string) => void,
): Promise<BroadcastResult> {
  const random = seededRandom(config.seed);
  const contenders: Contender[] = [];
  const cells: BroadcastCell[] = [];
  const rssPerConn: BroadcastResult['rssPerConn'] = {};
  try {
    for (const kind of SERVERS.filter(runs)) {
      contenders.push(await start(kind, config.clientProcesses));
    }
    for (const c of contenders) await openIdle(c, config.connections);
    log(
      `broadcast: 32 B to ${config.connections} connections, ${config.rounds} round(s), ` +
        `${config.clientProcesses} receiving process(es) per server`,
    );
    cells.push(...(await measure(contenders, SMALL, config.connections, config.rounds, random)));
    for (const c of contenders) {
      const { rss } = await c.server.request<{ rss: number }>({ op: 'memory' });
      rssPerConn[c.kind] = (rss - c.rssBefore) / config.connections;
      await closeIdle(c);
    }
    for (const c of contenders) await openIdle(c, config.bigConnections);
    log(`broadcast: 64 KiB to ${config.bigConnections} connections`);
    cells.push(...(await measure(contenders, BIG, config.bigConnections, config.rounds, random)));
  } finally {
    for (const c of contenders) {
      await Promise.all(c.clients.map((client) => client.close()));
      await c.server.close();
    }
  }
  const ratios = ratiosOf(cells);
  for (const kind of ['wslay-native', 'wslay-fallback'] as const) {
    const ours = rssPerConn[kind];
    if (ours !== undefined && rssPerConn.ws !== undefined) {
      ratios[`${kind} rss/ws`] = ours / rssPerConn.ws;
    }
  }
  return { config, cells, rssPerConn, ratios };
}
