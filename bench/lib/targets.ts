/** The project's performance targets, checked against one run's ratios. Never asserted. */
import type { BroadcastResult } from '../broadcast/suite.js';
import type { DeflateResult } from '../deflate/suite.js';
import type { E2eResult } from '../e2e/suite.js';
import type { HostileResult } from '../memory/hostile.js';
import type { MemoryResult } from '../memory/suite.js';
import type { MicroResult } from '../micro/suite.js';

export interface TargetStatus {
  id: string;
  target: string;
  /** The worst measured value among the cases the target covers (a ratio). */
  measured: number | null;
  threshold: number;
  /** 'min': measured must be >= threshold; 'max': <=. */
  direction: 'min' | 'max';
  met: boolean | null;
  cases: { label: string; value: number }[];
  /** What the values are: '×' for ratios, else a unit such as 'MiB'. */
  unit: string;
}

/** A target's value as the docs and the summary show it. */
export function formatValue(value: number, unit: string): string {
  return unit === '×' ? `${value.toFixed(2)}×` : `${value.toFixed(1)} ${unit}`;
}

export interface Results {
  micro?: MicroResult;
  e2e?: E2eResult;
  memory?: MemoryResult;
  hostile?: HostileResult;
  broadcast?: BroadcastResult;
  deflate?: DeflateResult;
}

function status(
  id: string,
  target: string,
  threshold: number,
  direction: 'min' | 'max',
  cases: { label: string; value: number }[],
  unit = '×',
): TargetStatus {
  const values = cases.map((c) => c.value).filter((v) => Number.isFinite(v));
  const measured =
    values.length === 0 ? null : direction === 'min' ? Math.min(...values) : Math.max(...values);
  const met =
    measured === null ? null : direction === 'min' ? measured >= threshold : measured <= threshold;
  return { id, target, measured, threshold, direction, met, cases, unit };
}

/** The two ways of driving a context in process: [id suffix, contender suffix, label]. */
const PATHS: [string, string, string][] = [
  ['', '-batch', 'batch path: recvFrom/sendAll'],
  ['-callbacks', '', 'callback path: recv/send callbacks'],
];

export function sizeLabel(size: number): string {
  if (size >= 1 << 20) return `${size / (1 << 20)} MiB`;
  if (size >= 1024) return `${size / 1024} KiB`;
  return `${size} B`;
}

export function evaluateTargets(r: Results): TargetStatus[] {
  const out: TargetStatus[] = [];
  const parse = r.micro?.cases.filter((c) => c.bench === 'parse') ?? [];
  const frame = r.micro?.cases.filter((c) => c.bench === 'frame') ?? [];
  const micro = (list: typeof parse, pred: (size: number) => boolean, ratio: string) =>
    list
      .filter((c) => pred(c.size) && c.ratios[ratio] !== undefined)
      .map((c) => ({ label: `${c.kind} ${sizeLabel(c.size)}`, value: c.ratios[ratio]! }));
  const e2e = (scenario: string | null, size: number | null, ratio: string) =>
    (r.e2e?.cells ?? [])
      .filter(
        (c) => (scenario === null || c.scenario === scenario) && (size === null || c.size === size),
      )
      .map((c) => ({ label: `${c.scenario} ${sizeLabel(c.size)}`, value: c.ratios[ratio]! }));

  if (r.micro) {
    for (const [suffix, key, label] of PATHS) {
      out.push(
        status(
          `parse-small${suffix}`,
          `Parsing 16 B–1 KiB: native ≥ 2× ws (${label})`,
          2,
          'min',
          micro(parse, (s) => s >= 16 && s <= 1024, `native${key}/ws`),
        ),
      );
    }
    for (const [suffix, key, label] of PATHS) {
      out.push(
        status(
          `parse-1mib${suffix}`,
          `Parsing 1 MiB: native ≥ 1× ws with bufferutil (${label})`,
          1,
          'min',
          micro(parse, (s) => s === 1 << 20, `native${key}/ws`),
        ),
      );
    }
  }
  if (r.e2e) {
    out.push(
      status(
        'e2e-pipelined',
        'Echo 32 B, 100 in flight: native ≥ 1.3× ws',
        1.3,
        'min',
        e2e('pipelined', 32, 'wslay-native/ws'),
      ),
    );
    out.push(
      status(
        'e2e-roundtrip-ws',
        'Round trips 32 B: native ≥ 1× ws',
        1,
        'min',
        e2e('roundtrip', 32, 'wslay-native/ws'),
      ),
    );
    out.push(
      status(
        'e2e-roundtrip-raw',
        'Round trips 32 B: native ≥ 0.85× raw socket',
        0.85,
        'min',
        e2e('roundtrip', 32, 'wslay-native/raw'),
      ),
    );
  }
  if (r.e2e) {
    for (const backend of ['native', 'fallback']) {
      out.push(
        status(
          `e2e-64k-${backend}`,
          `Echo 64 KiB, 4 in flight: ${backend} ≥ 0.8× ws`,
          0.8,
          'min',
          e2e('large', 64 * 1024, `wslay-${backend}/ws`),
        ),
      );
      out.push(
        status(
          `e2e-1m-${backend}`,
          `Echo 1 MiB, 4 in flight: ${backend} ≥ 0.6× ws`,
          0.6,
          'min',
          e2e('large', 1 << 20, `wslay-${backend}/ws`),
        ),
      );
    }
    out.push(
      status(
        'e2e-pipelined-5x',
        'Echo 32 B, 100 in flight: native ≥ 5× ws',
        5,
        'min',
        e2e('pipelined', 32, 'wslay-native/ws'),
      ),
    );
    out.push(
      status(
        'e2e-roundtrip-095',
        'Round trips 32 B: native ≥ 0.95× ws',
        0.95,
        'min',
        e2e('roundtrip', 32, 'wslay-native/ws'),
      ),
    );
  }
  if (r.hostile) {
    const cells = r.hostile.cells;
    out.push(
      status(
        'hostile-after',
        'After a hostile peer is cut off, RSS within 20 MiB of before (native and fallback)',
        20,
        'max',
        cells.flatMap((c) =>
          (['wslay-native', 'wslay-fallback'] as const)
            .filter((k) => c.servers[k] !== undefined)
            .map((k) => ({ label: `${c.attack} ${k}`, value: c.servers[k]!.retainedMb })),
        ),
        'MiB',
      ),
    );
    out.push(
      status(
        'hostile-ping-peak',
        'Ping flood: peak RSS ≤ 2× ws (native and fallback)',
        2,
        'max',
        cells
          .filter((c) => c.attack === 'pings')
          .flatMap((c) => Object.entries(c.peakRatios).map(([k, v]) => ({ label: k, value: v }))),
      ),
    );
  }
  if (r.micro) {
    for (const [suffix, key, label] of PATHS) {
      out.push(
        status(
          `fallback-parse${suffix}`,
          `Fallback ≥ 0.8× ws: parsing, every size (${label})`,
          0.8,
          'min',
          micro(parse, () => true, `fallback${key}/ws`),
        ),
      );
    }
    for (const [suffix, key, label] of PATHS) {
      out.push(
        status(
          `fallback-frame${suffix}`,
          `Fallback ≥ 0.8× ws: framing, every size (${label})`,
          0.8,
          'min',
          micro(frame, () => true, `fallback${key}/ws`),
        ),
      );
    }
  }
  if (r.e2e) {
    out.push(
      status(
        'fallback-e2e',
        'Fallback ≥ 0.8× ws: end to end, every cell',
        0.8,
        'min',
        e2e(null, null, 'wslay-fallback/ws'),
      ),
    );
  }
  if (r.broadcast) {
    const ratios = r.broadcast.ratios;
    const ours = (modes: string[], size: string) =>
      ['wslay-native', 'wslay-fallback'].flatMap((k) =>
        modes
          .filter((m) => ratios[`${k} ${m} ${size}`] !== undefined)
          .map((m) => ({ label: `${k} ${m}`, value: ratios[`${k} ${m} ${size}`]! })),
      );
    const to = (size: string) =>
      `${size} to ${(size === '32 B' ? r.broadcast!.config.connections : r.broadcast!.config.bigConnections).toLocaleString('en-US')}`;
    out.push(
      status(
        'broadcast-32b',
        `Broadcast ${to('32 B')}: broadcast()/publish() ≥ 2× ws's forEach`,
        2,
        'min',
        ours(['broadcast', 'publish'], '32 B'),
      ),
      status(
        'broadcast-32b-foreach',
        `Broadcast ${to('32 B')}: our forEach ≥ 1× ws's forEach`,
        1,
        'min',
        ours(['forEach'], '32 B'),
      ),
      status(
        'broadcast-rss',
        'Broadcast: RSS per connection afterwards ≤ 1.1× ws',
        1.1,
        'max',
        ['wslay-native', 'wslay-fallback']
          .filter((k) => ratios[`${k} rss/ws`] !== undefined)
          .map((k) => ({ label: k, value: ratios[`${k} rss/ws`]! })),
      ),
      status(
        'broadcast-64k',
        `Broadcast ${to('64 KiB')}: broadcast()/publish() ≥ 2× ws's forEach`,
        2,
        'min',
        ours(['broadcast', 'publish'], '64 KiB'),
      ),
    );
  }
  if (r.memory) {
    const mem = (k: string) => r.memory!.ratios[`${k}/ws`];
    out.push(
      status(
        'memory',
        'Memory per idle connection: ≤ ws (native and fallback)',
        1,
        'max',
        [
          { label: 'native', value: mem('wslay-native')! },
          { label: 'fallback', value: mem('wslay-fallback')! },
        ].filter((c) => c.value !== undefined),
      ),
    );
  }
  if (r.deflate) {
    const d = r.deflate;
    const cases = (ratios: (Record<string, number> | undefined)[], labels: string[]) =>
      ratios.flatMap((ratio, i) =>
        ['wslay-native', 'wslay-fallback']
          .filter((k) => ratio?.[`${k}/ws`] !== undefined)
          .map((k) => ({ label: `${k} ${labels[i]}`, value: ratio![`${k}/ws`]! })),
      );
    out.push(
      status(
        'deflate-echo',
        'permessage-deflate echo of 1 KiB JSON and 16 KiB text: ≥ 1× ws',
        1,
        'min',
        cases(
          d.echo.map((c) => c.ratios),
          d.echo.map((c) => c.message),
        ),
      ),
    );
    out.push(
      status(
        'deflate-memory',
        'RSS per connection with deflate after one message: ≤ 0.5× ws',
        0.5,
        'max',
        cases([d.memoryRatios], ['']),
      ),
    );
    out.push(
      status(
        'deflate-soak',
        'soak of compressed messages: RSS at the end ≤ 1.1× RSS halfway',
        1.1,
        'max',
        Object.entries(d.soak)
          .filter(([k]) => k !== 'ws')
          .map(([k, soak]) => ({ label: k, value: soak.growth })),
      ),
    );
  }
  return out;
}
