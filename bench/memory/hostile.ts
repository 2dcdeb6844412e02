/**
 * Memory under hostile peers: for each attack and each server, a fresh echo server process
 * (default options) and one attacker process (attacker.ts). The server's RSS after full
 * collections before the attack, its peak RSS while it lasts (getrusage), and its RSS after
 * full collections once the attacker is gone: memory that a cut-off peer leaves behind.
 */
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import { runs } from '../lib/backends.js';
import { median, seededRandom, shuffled } from '../lib/stats.js';
import { SERVERS, spawnServer } from '../e2e/suite.js';
import type { ServerKind, ServerStats } from '../e2e/server.js';
import type { Attack, AttackResult } from './attacker.js';

export const ATTACKS: Attack[] = ['fragments', 'pings', 'unread'];

export interface HostileConfig {
  /** Bytes each attacker writes at most, per attack. */
  bytes: Record<Attack, number>;
  rounds: number;
  seed: number;
}

export interface HostileServerStats {
  baseMb: number;
  peakMb: number;
  /** RSS once the peer is gone, after full collections. */
  afterMb: number;
  /** afterMb - baseMb: what the attack left behind. */
  retainedMb: number;
  sentMb: number;
  cutByServer: boolean;
  ms: number;
}

export interface HostileCell {
  attack: Attack;
  servers: Partial<Record<ServerKind, HostileServerStats>>;
  /** Peak RSS relative to ws's. */
  peakRatios: Record<string, number>;
}

export interface HostileResult {
  config: HostileConfig;
  cells: HostileCell[];
}

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOne(kind: ServerKind, attack: Attack, bytes: number) {
  const server = spawnServer(kind);
  const { file, tsx } = script('memory/attacker.ts');
  const attacker = new Child(file, { label: 'attacker', tsx });
  try {
    const { port } = await server.request<{ port: number }>({ op: 'start' });
    const before = await server.request<ServerStats>({ op: 'memory' });
    const result = await attacker.request<AttackResult>({ op: 'attack', port, attack, bytes });
    let after = await server.request<ServerStats>({ op: 'memory' });
    for (let i = 0; i < 50 && after.connections > 0; i++) {
      await sleep(100);
      after = await server.request<ServerStats>({ op: 'memory' });
    }
    return {
      baseMb: before.rss / MiB,
      peakMb: after.maxRss / MiB,
      afterMb: after.rss / MiB,
      retainedMb: (after.rss - before.rss) / MiB,
      sentMb: result.sent / MiB,
      cutByServer: result.cutByServer,
      ms: result.ms,
    };
  } finally {
    await attacker.close();
    await server.close();
  }
}

export async function runHostile(
  config: HostileConfig,
  log: (line: string) => void,
): Promise<HostileResult> {
  const random = seededRandom(config.seed);
  const kinds = SERVERS.filter((k) => k !== 'raw' && runs(k));
  const samples = new Map<string, HostileServerStats[]>();
  for (let round = 0; round < config.rounds; round++) {
    for (const attack of ATTACKS) {
      for (const kind of shuffled(kinds, random)) {
        log(`hostile: ${attack} against ${kind} (round ${round + 1}/${config.rounds})`);
        const s = await runOne(kind, attack, config.bytes[attack]);
        const key = `${attack}/${kind}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
      }
    }
  }
  const cells = ATTACKS.map((attack): HostileCell => {
    const servers: HostileCell['servers'] = {};
    for (const kind of kinds) {
      const list = samples.get(`${attack}/${kind}`) ?? [];
      if (list.length === 0) continue;
      const m = (f: (s: HostileServerStats) => number) => median(list.map(f));
      servers[kind] = {
        baseMb: m((s) => s.baseMb),
        peakMb: m((s) => s.peakMb),
        afterMb: m((s) => s.afterMb),
        retainedMb: m((s) => s.retainedMb),
        sentMb: m((s) => s.sentMb),
        cutByServer: list.every((s) => s.cutByServer),
        ms: m((s) => s.ms),
      };
    }
    const peakRatios: Record<string, number> = {};
    const ws = servers.ws;
    for (const k of ['wslay-native', 'wslay-fallback'] as const) {
      const v = servers[k];
      if (v !== undefined && ws !== undefined) peakRatios[`${k}/ws`] = v.peakMb / ws.peakMb;
    }
    return { attack, servers, peakRatios };
  });
  return { config, cells };
}
