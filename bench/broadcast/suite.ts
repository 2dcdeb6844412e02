/**
 * One message to many idle connections: for each server, a fresh server process and a fresh
 * client process (raw sockets, bench/e2e/client.ts) holding `connections` connections. Each
 * way of sending (ws's `clients.forEach(send)` loop, ours, `broadcast()`, `publish()`) sends
 * one message; the time until the last connection has received it runs from the start of
 * the call in the server to the last byte in the client (both read the same clock). Then the
 * same with 64 KiB to `bigConnections`. RSS per connection is taken after the 32 B rounds,
 * after full collections, against the server before any connection.
 */
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import { runs } from '../lib/backends.js';
import { headerLength } from '../lib/frames.js';
import { median } from '../lib/stats.js';
import type { BroadcastMode, BroadcastServerKind } from './server.js';

export interface BroadcastConfig {
  connections: number;
  bigConnections: number;
  rounds: number;
}

export interface BroadcastCell {
  server: BroadcastServerKind;
  mode: BroadcastMode;
  size: number;
  connections: number;
  /** Median ms the sending call took. */
  loopMs: number;
  /** Median ms until every connection had the whole message. */
  deliverMs: number;
}

export interface BroadcastResult {
  config: BroadcastConfig;
  cells: BroadcastCell[];
  rssPerConn: Partial<Record<BroadcastServerKind, number>>;
  /** ws's forEach delivery time over each of ours (above 1: faster than ws), RSS ours/ws. */
  ratios: Record<string, number>;
}

const SERVERS: BroadcastServerKind[] = ['ws', 'wslay-native', 'wslay-fallback'];
const ULIMIT = 'ulimit -n $(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 )) 2>/dev/null || true';
const SMALL = 32;
const BIG = 64 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function modesOf(kind: BroadcastServerKind): BroadcastMode[] {
  return kind === 'ws' ? ['forEach'] : ['forEach', 'broadcast', 'publish'];
}

async function openIdle(server: Child, client: Child, port: number, count: number) {
  await client.request({ op: 'idle', port, proto: 'ws', count });
  for (let i = 0; i < 100; i++) {
    const { connections } = await server.request<{ connections: number }>({ op: 'connections' });
    if (connections >= count) return;
    await sleep(50);
  }
  throw new Error(`the server did not see ${count} connections`);
}

async function measure(
  server: Child,
  client: Child,
  kind: BroadcastServerKind,
  size: number,
  connections: number,
  rounds: number,
): Promise<BroadcastCell[]> {
  const cells: BroadcastCell[] = [];
  for (const mode of modesOf(kind)) {
    const loops: number[] = [];
    const delivers: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await client.request({ op: 'expect', bytes: headerLength(size, false) + size });
      const sent = await server.request<{ startedAt: number; loopMs: number }>({
        op: 'send',
        mode,
        size,
      });
      const { doneAt } = await client.request<{ doneAt: number }>({ op: 'received' });
      loops.push(sent.loopMs);
      delivers.push(doneAt - sent.startedAt);
    }
    cells.push({
      server: kind,
      mode,
      size,
      connections,
      loopMs: median(loops),
      deliverMs: median(delivers),
    });
  }
  return cells;
}

export async function runBroadcast(
  config: BroadcastConfig,
  log: (line: string) => void,
): Promise<BroadcastResult> {
  const cells: BroadcastCell[] = [];
  const rssPerConn: BroadcastResult['rssPerConn'] = {};
  for (const kind of SERVERS.filter(runs)) {
    const { file, tsx } = script('broadcast/server.ts');
    const server = new Child(file, {
      args: [kind],
      tsx,
      nodeArgs: ['--expose-gc'],
      label: `broadcast:${kind}`,
      shellPrefix: ULIMIT,
    });
    const { file: clientFile, tsx: clientTsx } = script('e2e/client.ts');
    const client = new Child(clientFile, { label: 'client', tsx: clientTsx, shellPrefix: ULIMIT });
    try {
      const { port } = await server.request<{ port: number }>({ op: 'start' });
      const before = await server.request<{ rss: number }>({ op: 'memory' });
      log(`broadcast: ${kind}, ${SMALL} B to ${config.connections} connections`);
      await openIdle(server, client, port, config.connections);
      cells.push(
        ...(await measure(server, client, kind, SMALL, config.connections, config.rounds)),
      );
      const after = await server.request<{ rss: number }>({ op: 'memory' });
      rssPerConn[kind] = (after.rss - before.rss) / config.connections;
      await client.request({ op: 'closeIdle' });
      log(`broadcast: ${kind}, 64 KiB to ${config.bigConnections} connections`);
      await sleep(200);
      await openIdle(server, client, port, config.bigConnections);
      cells.push(
        ...(await measure(server, client, kind, BIG, config.bigConnections, config.rounds)),
      );
    } finally {
      await client.close();
      await server.close();
    }
  }
  const ratios: Record<string, number> = {};
  for (const size of [SMALL, BIG]) {
    const ws = cells.find((c) => c.server === 'ws' && c.size === size);
    if (ws === undefined) continue;
    for (const c of cells) {
      if (c.server === 'ws' || c.size !== size) continue;
      ratios[`${c.server} ${c.mode} ${size === SMALL ? '32 B' : '64 KiB'}`] =
        ws.deliverMs / c.deliverMs;
    }
  }
  for (const kind of ['wslay-native', 'wslay-fallback'] as const) {
    const ours = rssPerConn[kind];
    if (ours !== undefined && rssPerConn.ws !== undefined) {
      ratios[`${kind} rss/ws`] = ours / rssPerConn.ws;
    }
  }
  return { config, cells, rssPerConn, ratios };
}
