/**
 * Runs the benchmarks and writes the results.
 *
 *   node --import tsx bench/run.ts            quick mode: a smoke test, well under 2 minutes
 *   node --import tsx bench/run.ts --full     the full run behind docs/benchmarks.md
 *
 * Options: --only=micro,e2e,memory,broadcast,hostile,scaling   --scenarios=roundtrip,large (e2e)
 *          --rounds=N   --seed=N   --no-render   --out=FILE
 *          --tsx (run the TypeScript sources through tsx instead of tsc's output; see lib/build.ts)
 *
 * Results go to bench/results/<mode>-<time>.json and bench/results/latest-<mode>.json; the
 * full mode also renders docs/benchmarks.md and docs/benchmarks/*.svg (quick mode does with
 * --render). Timings are reported, never asserted: the exit code is non-zero only when a
 * benchmark fails to run (a server that does not echo, a parser that miscounts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { runBroadcast, type BroadcastConfig } from './broadcast/suite.js';
import { runDeflate, type DeflateConfig } from './deflate/suite.js';
import { runE2e, type E2eConfig } from './e2e/suite.js';
import { runScaling, type ScalingConfig, type ScalingResult } from './scaling/suite.js';
import { checkNative } from './lib/backends.js';
import { build } from './lib/build.js';
import { REPO_ROOT } from './lib/child.js';
import { loadAverage, machineInfo, type MachineInfo } from './lib/machine.js';
import {
  evaluateTargets,
  formatValue,
  sizeLabel,
  type Results,
  type TargetStatus,
} from './lib/targets.js';
import { runHostile, type HostileConfig } from './memory/hostile.js';
import { runMemory, type MemoryConfig } from './memory/suite.js';
import { runMicro, type MicroConfig } from './micro/suite.js';
import { render } from './render.js';

export type Mode = 'quick' | 'full';

export interface RunResults extends Results {
  mode: Mode;
  machine: MachineInfo;
  /** Why the native contenders were left out, or null when they ran. */
  nativeSkipped: string | null;
  load: Record<string, number>;
  durationS: number;
  targets: TargetStatus[];
  scaling?: ScalingResult;
}

const SIZES = [16, 125, 1024, 16 * 1024, 64 * 1024, 1 << 20];
const E2E_SIZES = [32, 1024, 64 * 1024];

function configs(mode: Mode, seed: number) {
  const quick = mode === 'quick';
  const micro: MicroConfig = quick
    ? { sizes: SIZES, kinds: ['text', 'binary'], rounds: 2, sampleMs: 30, warmupMs: 30, seed }
    : { sizes: SIZES, kinds: ['text', 'binary'], rounds: 7, sampleMs: 250, warmupMs: 400, seed };
  const e2e: E2eConfig = quick
    ? {
        sizes: E2E_SIZES,
        scenarios: ['roundtrip', 'pipelined', 'connections', 'large'],
        rounds: 1,
        warmupMs: 120,
        durationMs: 250,
        seed,
      }
    : {
        sizes: E2E_SIZES,
        scenarios: ['roundtrip', 'pipelined', 'connections', 'large'],
        rounds: 7,
        warmupMs: 300,
        durationMs: 1000,
        seed,
      };
  const memory: MemoryConfig = quick
    ? { connections: 2000, rounds: 1, seed }
    : { connections: 10_000, rounds: 2, seed };
  const broadcast: BroadcastConfig = quick
    ? { connections: 500, bigConnections: 100, rounds: 1, clientProcesses: 2, seed }
    : { connections: 10_000, bigConnections: 1000, rounds: 5, clientProcesses: 2, seed };
  const MiB = 2 ** 20;
  // Full mode sends enough to pass the default limits (maxPayload counts 64 bytes per
  // continuation frame; maxBufferedAmount is 128 MiB), so that our servers cut the peer.
  const hostile: HostileConfig = quick
    ? { bytes: { fragments: 2 * MiB, pings: 8 * MiB, unread: 32 * MiB }, rounds: 1, seed }
    : { bytes: { fragments: 16 * MiB, pings: 128 * MiB, unread: 192 * MiB }, rounds: 2, seed };
  const scaling: ScalingConfig = quick
    ? { workers: [2], sizes: [32], subscribers: 100, messages: 200 }
    : { workers: [2, 4], sizes: [32, 1024], subscribers: 1000, messages: 100 };
  const deflate: DeflateConfig = quick
    ? {
        rounds: 1,
        warmupMs: 150,
        durationMs: 300,
        echoConnections: 8,
        memoryConnections: 500,
        soakConnections: 100,
        soakMessages: 5_000,
        seed,
      }
    : {
        rounds: 3,
        warmupMs: 300,
        durationMs: 1000,
        echoConnections: 8,
        memoryConnections: 10_000,
        soakConnections: 1_000,
        soakMessages: 200_000,
        seed,
      };
  return { micro, e2e, memory, broadcast, hostile, scaling, deflate };
}

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const pct = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`;

function printSummary(r: RunResults): void {
  const lines: string[] = [];
  if (r.micro) {
    for (const c of r.micro.cases) {
      const rate = (k: string) => {
        const s = c.contenders[k as keyof typeof c.contenders];
        return s ? `${k} ${(s.msgsPerSec / 1e3).toFixed(0)}k/s` : '';
      };
      lines.push(
        `${c.bench.padEnd(5)} ${c.kind.padEnd(6)} ${sizeLabel(c.size).padStart(7)}  ` +
          ['native-batch', 'native', 'fallback-batch', 'fallback', 'ws', 'ws-nobu']
            .map(rate)
            .filter(Boolean)
            .join('  ') +
          `   native-batch/ws ${pct(c.ratios['native-batch/ws'])}  fallback-batch/ws ${pct(c.ratios['fallback-batch/ws'])}`,
      );
    }
  }
  if (r.e2e) {
    for (const c of r.e2e.cells) {
      const s = Object.entries(c.servers)
        .map(([k, v]) => `${k} ${(v.msgsPerSec / 1e3).toFixed(1)}k/s`)
        .join('  ');
      lines.push(
        `e2e ${c.scenario.padEnd(11)} ${sizeLabel(c.size).padStart(6)}  ${s}   native/ws ` +
          `${pct(c.ratios['wslay-native/ws'])}  native/raw ${pct(c.ratios['wslay-native/raw'])}`,
      );
    }
  }
  if (r.memory) {
    lines.push(
      'memory per idle connection: ' +
        Object.entries(r.memory.servers)
          .map(([k, v]) => `${k} ${(v.rssPerConn / 1024).toFixed(1)} KiB`)
          .join('  '),
    );
  }
  if (r.broadcast) {
    for (const c of r.broadcast.cells) {
      lines.push(
        `broadcast ${c.server.padEnd(14)} ${c.mode.padEnd(9)} ${sizeLabel(c.size).padStart(6)} to ` +
          `${c.connections}: call ${c.loopMs.toFixed(1)} ms, written ${c.writtenMs.toFixed(1)} ms, ` +
          `all delivered ${c.deliverMs.toFixed(1)} ms (receivers' CPU ${c.clientCpuMs.toFixed(0)} ms)`,
      );
    }
    lines.push(
      'broadcast RSS per connection: ' +
        Object.entries(r.broadcast.rssPerConn)
          .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KiB`)
          .join('  '),
      'broadcast ratios (ws forEach time / ours; RSS ours/ws): ' +
        Object.entries(r.broadcast.ratios)
          .map(([k, v]) => `${k} ${pct(v)}`)
          .join(', '),
    );
  }
  if (r.hostile) {
    for (const c of r.hostile.cells) {
      lines.push(
        `hostile ${c.attack.padEnd(9)} ` +
          Object.entries(c.servers)
            .map(
              ([k, v]) =>
                `${k} peak ${v.peakMb.toFixed(0)} MiB, left ${v.retainedMb.toFixed(1)} MiB` +
                (v.cutByServer ? ' (cut)' : ''),
            )
            .join('  '),
      );
    }
  }
  if (r.scaling) {
    for (const c of r.scaling.cells) {
      lines.push(
        `scaling ${c.kind.padEnd(8)} ${c.workers} workers ${sizeLabel(c.size).padStart(6)}: ` +
          `${c.msgsPerSec.toFixed(0)} msgs/s, p50 ${c.p50Ms.toFixed(1)} ms, p99 ${c.p99Ms.toFixed(1)} ms` +
          (c.complete ? '' : ' (not all delivered by the deadline)'),
      );
    }
    lines.push(
      'scaling ratios (ours / socket.io, messages per second): ' +
        Object.entries(r.scaling.ratios)
          .map(([k, v]) => `${k} ${pct(v)}`)
          .join(', '),
    );
  }
  if (r.deflate) {
    for (const c of r.deflate.echo) {
      lines.push(
        `deflate echo ${c.message.padEnd(5)} ` +
          Object.entries(c.servers)
            .map(([k, v]) => `${k} ${(v / 1e3).toFixed(1)}k/s`)
            .join('  ') +
          `   native/ws ${pct(c.ratios['wslay-native/ws'])}` +
          `   per CPU-s native/ws ${pct(c.cpuRatios['wslay-native/ws'])}`,
      );
    }
    lines.push(
      'deflate memory per connection after one message: ' +
        Object.entries(r.deflate.memory)
          .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KiB`)
          .join('  '),
    );
    for (const [k, s] of Object.entries(r.deflate.soak)) {
      lines.push(
        `deflate soak ${k}: RSS ${s.quarterMb.toFixed(0)} MiB at 1/4, peak ${s.peakMb.toFixed(0)}, ` +
          `end ${s.endMb.toFixed(0)}, after close ${s.afterCloseMb.toFixed(0)} MiB ` +
          `(${(s.msgsPerSec / 1e3).toFixed(1)}k msg/s, ${s.durationS.toFixed(0)} s)`,
      );
    }
  }
  lines.push('', 'targets (reported, not asserted):');
  for (const t of r.targets) {
    const m = t.measured === null ? 'n/a' : formatValue(t.measured, t.unit);
    lines.push(
      `  ${t.met === null ? '?' : t.met ? 'met    ' : 'NOT met'}  ${t.target}: worst ${m}`,
    );
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const mode: Mode = process.argv.includes('--full') ? 'full' : 'quick';
  const only = (option('only') ?? 'micro,e2e,memory,broadcast,hostile,scaling,deflate').split(',');
  const seed = Number(option('seed') ?? 20240601);
  const { micro, e2e, memory, broadcast, hostile, scaling, deflate } = configs(mode, seed);
  const scenarios = option('scenarios');
  if (scenarios !== undefined) e2e.scenarios = scenarios.split(',');
  const rounds = option('rounds');
  if (rounds !== undefined) {
    micro.rounds = Number(rounds);
    e2e.rounds = Number(rounds);
    memory.rounds = Number(rounds);
    broadcast.rounds = Number(rounds);
    hostile.rounds = Number(rounds);
    deflate.rounds = Number(rounds);
  }
  const started = Date.now();
  if (!process.argv.includes('--tsx')) {
    log('compiling src/ and bench/ with tsc into bench/results/.build');
    build();
  }
  // The tree as it was compiled: other work may change it while the run goes on.
  const machine = machineInfo();
  const nativeError = checkNative();
  if (nativeError !== null)
    log(`the native addon does not load (${nativeError}): native contenders are left out`);
  const load: Record<string, number> = { start: loadAverage() };
  const results: Results = {};
  log(`${mode} mode: ${only.join(', ')} (load average ${load.start})`);
  if (only.includes('micro')) {
    results.micro = await runMicro(micro, log);
    load.afterMicro = loadAverage();
  }
  if (only.includes('e2e')) {
    results.e2e = await runE2e(e2e, log);
    load.afterE2e = loadAverage();
  }
  if (only.includes('memory')) {
    results.memory = await runMemory(memory, log);
    load.afterMemory = loadAverage();
  }
  if (only.includes('broadcast')) {
    results.broadcast = await runBroadcast(broadcast, log);
    load.afterBroadcast = loadAverage();
  }
  if (only.includes('hostile')) {
    results.hostile = await runHostile(hostile, log);
    load.afterHostile = loadAverage();
  }
  let scalingResult: ScalingResult | undefined;
  if (only.includes('scaling')) {
    scalingResult = await runScaling(scaling, log);
    load.afterScaling = loadAverage();
  }
  if (only.includes('deflate')) {
    results.deflate = await runDeflate(deflate, log);
    load.afterDeflate = loadAverage();
  }
  const run: RunResults = {
    mode,
    machine,
    nativeSkipped: nativeError,
    load,
    durationS: Math.round((Date.now() - started) / 1000),
    ...results,
    targets: evaluateTargets(results),
    scaling: scalingResult,
  };
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const file = option('out') ?? path.join(dir, `${mode}-${stamp}.json`);
  const json = JSON.stringify(run, null, 1);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(dir, `latest-${mode}.json`), json);
  log(`results: ${path.relative(REPO_ROOT, file)} (${run.durationS} s)`);
  if (
    (mode === 'full' || process.argv.includes('--render')) &&
    !process.argv.includes('--no-render')
  ) {
    const written = render(run, path.relative(REPO_ROOT, file));
    log(`rendered ${written.map((f) => path.relative(REPO_ROOT, f)).join(', ')}`);
  }
  printSummary(run);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
