/**
 * In-process parsing and framing: every contender in its own process, one measurement at a
 * time, contenders interleaved in a shuffled order within each round; rates are the median
 * of the rounds, ratios the median of the per-round ratios.
 */
import { runs } from '../lib/backends.js';
import { script } from '../lib/build.js';
import { Child } from '../lib/child.js';
import type { PayloadKind } from '../lib/frames.js';
import { median, pairedRatio, seededRandom, shuffled, spread } from '../lib/stats.js';
import type { Contender, MicroBench } from './contenders.js';
import type { Sample } from './worker.js';

export interface MicroConfig {
  sizes: number[];
  kinds: PayloadKind[];
  rounds: number;
  sampleMs: number;
  warmupMs: number;
  seed: number;
}

export interface ContenderStats {
  /** Messages per CPU-second, one per round. */
  rates: number[];
  /** The median over rounds of messages per wall-clock second, for reference. */
  wallMsgsPerSec: number;
  msgsPerSec: number;
  mbPerSec: number;
  spread: number;
}

export interface MicroCaseResult {
  bench: MicroBench;
  kind: PayloadKind;
  size: number;
  contenders: Partial<Record<Contender, ContenderStats>>;
  /** Paired ratios of messages/s: `native/ws` etc. */
  ratios: Record<string, number>;
}

export interface MicroResult {
  config: MicroConfig;
  workers: Record<string, unknown>;
  cases: MicroCaseResult[];
}

export const CONTENDERS: Record<MicroBench, Contender[]> = {
  parse: ['native', 'native-batch', 'fallback', 'fallback-batch', 'ws', 'ws-nobu'],
  // The server's Sender never masks, so bufferutil plays no part in framing.
  frame: ['native', 'native-batch', 'fallback', 'fallback-batch', 'ws'],
};

function spawnWorker(contender: Contender): Child {
  const env: Record<string, string> =
    contender === 'ws-nobu' ? { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } : {};
  const { file, tsx } = script('micro/worker.ts');
  return new Child(file, {
    args: [contender],
    env,
    tsx,
    nodeArgs: ['--expose-gc'],
    label: `micro:${contender}`,
  });
}

const RATIO_PAIRS: [Contender, Contender][] = [
  ['native', 'ws'],
  ['native', 'ws-nobu'],
  ['fallback', 'ws'],
  ['fallback', 'ws-nobu'],
  ['native-batch', 'ws'],
  ['native-batch', 'ws-nobu'],
  ['fallback-batch', 'ws'],
  ['fallback-batch', 'ws-nobu'],
  ['native', 'fallback'],
  ['native-batch', 'native'],
  ['fallback-batch', 'fallback'],
  ['ws-nobu', 'ws'],
];

export async function runMicro(
  config: MicroConfig,
  log: (line: string) => void,
  benches: MicroBench[] = ['parse', 'frame'],
): Promise<MicroResult> {
  const random = seededRandom(config.seed);
  const contenders = (b: MicroBench) => CONTENDERS[b].filter(runs);
  const all = [...new Set(benches.flatMap(contenders))];
  const workers = new Map(all.map((c) => [c, spawnWorker(c)] as const));
  try {
    const info: Record<string, unknown> = {};
    for (const [c, w] of workers) info[c] = await w.request({ op: 'info' });
    const cases = benches.flatMap((bench) =>
      config.kinds.flatMap((kind) => config.sizes.map((size) => ({ bench, kind, size }))),
    );
    // Messages per CPU-second of the contender's process, and per wall-clock second.
    const rates = new Map<string, Map<Contender, number[]>>();
    const wall = new Map<string, Map<Contender, number[]>>();
    const key = (c: { bench: string; kind: string; size: number }) =>
      `${c.bench}/${c.kind}/${c.size}`;

    const measure = async (contender: Contender, c: (typeof cases)[number], ms: number) =>
      workers.get(contender)!.request<Sample>({ op: 'measure', ...c, ms });

    log(`micro: warming up ${cases.length} cases`);
    for (const c of cases) {
      for (const contender of contenders(c.bench)) await measure(contender, c, config.warmupMs);
      rates.set(key(c), new Map(contenders(c.bench).map((x) => [x, []])));
      wall.set(key(c), new Map(contenders(c.bench).map((x) => [x, []])));
    }
    for (let round = 0; round < config.rounds; round++) {
      log(`micro: round ${round + 1}/${config.rounds}`);
      for (const c of shuffled(cases, random)) {
        for (const contender of shuffled(contenders(c.bench), random)) {
          const s = await measure(contender, c, config.sampleMs);
          rates
            .get(key(c))!
            .get(contender)!
            .push(s.msgs / (s.cpuNs / 1e9));
          wall
            .get(key(c))!
            .get(contender)!
            .push(s.msgs / (s.ns / 1e9));
        }
      }
    }

    const results: MicroCaseResult[] = cases.map((c) => {
      const byContender = rates.get(key(c))!;
      const contenders: MicroCaseResult['contenders'] = {};
      for (const [contender, r] of byContender) {
        const m = median(r);
        contenders[contender] = {
          rates: r,
          msgsPerSec: m,
          mbPerSec: (m * c.size) / 1e6,
          spread: spread(r),
          wallMsgsPerSec: median(wall.get(key(c))!.get(contender)!),
        };
      }
      const ratios: Record<string, number> = {};
      for (const [a, b] of RATIO_PAIRS) {
        const ra = byContender.get(a);
        const rb = byContender.get(b);
        if (ra && rb) ratios[`${a}/${b}`] = pairedRatio(ra, rb);
      }
      return { ...c, contenders, ratios };
    });
    return { config, workers: info, cases: results };
  } finally {
    await Promise.all([...workers.values()].map((w) => w.close()));
  }
}
