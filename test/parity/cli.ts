/**
 * npm run parity -- [options]: a differential campaign between the native and fallback
 * backends, and between both and libwslay itself for engine sessions. See docs/parity.md.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nativeLoadError } from '../../src/index.js';
import { runCampaign, reportFailure, type CampaignResult } from './campaign.js';
import { checkSession } from './compare.js';
import { formatDiff, formatSession } from './format.js';
import { generateSession, GENERATOR_VERSION, type GenOptions } from './generator.js';
import { knownDifferences } from './known-differences.js';
import { runPool, shrinkCrash } from './pool.js';
import { wslayTraceBinary } from './libwslay.js';
import { libwslayTrace, runSession } from './runner.js';
import { sessionFromJson, type Session } from './session.js';

const USAGE = `usage: npm run parity -- [options]

  --sessions N       sessions to run (default 3000)
  --seed S           base seed (default 1; "random" picks one and prints it)
  --start I          first session index (default 0)
  --role R           server | client: event sessions of that role only
  --api A            event | frame | engine: only that kind of session (engine: the
                     engines below the public API, and libwslay itself through
                     test/parity/libwslay/wslay-trace.c where cc and libwslay-dev are)
  --workers N        worker processes (default 1; 2 uses both cores here)
  --in-process       run in this process (no crash isolation)
  --max-reports K    distinct failures to shrink and print (default 5)
  --no-shrink        print failures as generated
  --shrink-crashes   shrink sessions that crash the native backend (slow)
  --one SEED         run the one session with this session seed, verbosely
  --replay JSON|FILE run a session saved as JSON, verbosely
  --trace            with --one/--replay: print both traces in full
  --max-bytes N      byte budget per session (default 196608)
`;

interface Args {
  sessions: number;
  seed: number;
  start: number;
  gen: GenOptions;
  workers: number;
  inProcess: boolean;
  maxReports: number;
  shrink: boolean;
  shrinkCrashes: boolean;
  one?: number;
  replay?: string;
  trace: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    sessions: 3000,
    seed: 1,
    start: 0,
    gen: {},
    workers: 1,
    inProcess: false,
    maxReports: 5,
    shrink: true,
    shrinkCrashes: false,
    trace: false,
  };
  const value = (i: number) => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${argv[i]} needs a value`);
    return v;
  };
  const int = (i: number) => {
    const n = Number(value(i));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${argv[i]} must be a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--sessions':
        args.sessions = int(i++);
        break;
      case '--seed': {
        const v = value(i++);
        args.seed = v === 'random' ? Math.floor(Math.random() * 2 ** 32) : Number(v) >>> 0;
        if (v !== 'random' && !/^\d+$/.test(v))
          throw new Error('--seed must be a number or "random"');
        break;
      }
      case '--start':
        args.start = int(i++);
        break;
      case '--role': {
        const v = value(i++);
        if (v !== 'server' && v !== 'client') throw new Error('--role must be server or client');
        args.gen.role = v;
        args.gen.api = 'event';
        break;
      }
      case '--api': {
        const v = value(i++);
        if (v !== 'event' && v !== 'frame' && v !== 'engine')
          throw new Error('--api must be event, frame or engine');
        args.gen.api = v;
        break;
      }
      case '--workers':
        args.workers = Math.max(1, int(i++));
        break;
      case '--in-process':
        args.inProcess = true;
        break;
      case '--max-reports':
        args.maxReports = int(i++);
        break;
      case '--no-shrink':
        args.shrink = false;
        break;
      case '--shrink-crashes':
        args.shrinkCrashes = true;
        break;
      case '--one':
        args.one = int(i++);
        break;
      case '--replay':
        args.replay = value(i++);
        break;
      case '--trace':
        args.trace = true;
        break;
      case '--max-bytes':
        args.gen.maxBytes = int(i++);
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return args;
}

function saveSession(json: string, name: string): string {
  const dir = path.join(os.tmpdir(), 'wslay-parity');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, json);
  return file;
}

/** --one / --replay: run one session, print it, its verdict and (shrunk) difference. */
function runOne(session: Session, args: Args): number {
  console.log(formatSession(session));
  if (args.trace) {
    const traces = [runSession(session, 'native'), runSession(session, 'fallback')];
    const reference = session.api === 'engine' ? libwslayTrace(session) : null;
    for (const t of reference === null ? traces : [reference, ...traces]) {
      console.log(`\n--- ${t.backend} trace ---`);
      t.entries.forEach((e, i) =>
        console.log(`${String(i).padStart(4)} [${(t.stepOf[i] ?? -1) + 1}] ${e}`),
      );
    }
  }
  const v = checkSession(session);
  console.log();
  if (v.kind === 'pass') {
    console.log(
      session.api === 'engine' && wslayTraceBinary() !== null
        ? 'PASS: both backends behave as libwslay does'
        : 'PASS: both backends behave identically',
    );
    return 0;
  }
  if (v.kind === 'known') {
    const k = knownDifferences.find((x) => x.id === v.id)!;
    console.log(
      `KNOWN DEVIATION ${v.id}: ${k.title} (${k.doc}); with its trigger taken out the session passes`,
    );
    const native = runSession(session, 'native');
    const fallback = runSession(session, 'fallback');
    console.log(formatDiff(v.diff, native, fallback));
    return 0;
  }
  console.log(`FAIL (as generated):\n${formatDiff(v.diff, v.left, v.right)}\n`);
  const report = reportFailure(0, v, { shrink: args.shrink });
  console.log(
    `minimal reproduction (${report.stepsBefore} steps shrunk to ${report.stepsAfter} in ${report.shrinkRuns} runs):`,
  );
  console.log(report.text);
  console.log(`saved: ${saveSession(report.json, `replay-${session.seed}`)}`);
  return 1;
}

function printSummary(r: CampaignResult, args: Args, wallMs: number): void {
  const known = Object.entries(r.known);
  const knownTotal = known.reduce((a, [, n]) => a + n, 0);
  const distinct = Object.keys(r.signatures).length;
  const what = `${args.gen.api ?? 'event+frame+engine'}${args.gen.role ? `, ${args.gen.role} role` : ''}`;
  console.log(
    `\nwslay parity: base seed ${args.seed}, sessions ${args.start}..${args.start + args.sessions - 1} (${what}), ` +
      `generator v${GENERATOR_VERSION}`,
  );
  console.log(`  sessions          ${r.sessions}`);
  console.log(`  passed            ${r.passed}`);
  console.log(
    `  known deviations  ${knownTotal}${known.length ? `  (${known.map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
  );
  console.log(`  failures          ${r.failures}${r.failures ? `  (${distinct} distinct)` : ''}`);
  console.log(`  crashes/hangs     ${r.crashes.length}`);
  const wslay = wslayTraceBinary();
  console.log(
    `  libwslay          ${wslay === null ? 'no C driver (needs cc and libwslay-dev): engine sessions compared native with fallback' : `engine sessions compared with libwslay (${wslay})`}`,
  );
  const perCore = r.busyMs > 0 ? (r.sessions / r.busyMs) * 1000 : 0;
  console.log(
    `  speed             ${((r.sessions / wallMs) * 1000).toFixed(0)} sessions/s wall clock` +
      ` (${perCore.toFixed(0)}/s per worker, ${args.inProcess ? 'in process' : `${args.workers} worker${args.workers > 1 ? 's' : ''}`})`,
  );
  if (distinct > 0) {
    console.log('\nfailures by first difference (reference | the side that differs):');
    for (const [sig, s] of Object.entries(r.signatures).sort((a, b) => b[1].count - a[1].count)) {
      console.log(`  ${String(s.count).padStart(6)} × ${sig}   (first: --one ${s.seed})`);
    }
  }
  for (const rep of r.reports) {
    console.log(
      `\n=== FAILURE: session #${rep.index} (--one ${rep.seed}), ${rep.stepsBefore} steps shrunk to ` +
        `${rep.stepsAfter} in ${rep.shrinkRuns} runs ===`,
    );
    console.log(rep.text);
    console.log(`saved: ${saveSession(rep.json, `failure-${rep.seed}`)}`);
  }
  for (const c of r.crashes) {
    console.log(
      `\n=== ${c.kind.toUpperCase()}: session #${c.index} (--one ${c.seed}): ${c.detail} ===`,
    );
    if (c.text) console.log(c.text);
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (nativeLoadError !== null) {
    console.error(
      `the native backend does not load (${nativeLoadError}); build it with npx cmake-js compile`,
    );
    return 2;
  }
  if (args.replay !== undefined) {
    const text = existsSync(args.replay) ? readFileSync(args.replay, 'utf8') : args.replay;
    return runOne(sessionFromJson(text), args);
  }
  if (args.one !== undefined) return runOne(generateSession(args.one, args.gen), args);

  const t0 = performance.now();
  const base = { seed: args.seed, gen: args.gen, shrink: args.shrink, maxReports: args.maxReports };
  let result: CampaignResult;
  if (args.inProcess) {
    result = runCampaign({ ...base, start: args.start, count: args.sessions });
  } else {
    let lastPrint = performance.now();
    result = await runPool(base, args.start, args.sessions, {
      workers: args.workers,
      onProgress(done, total) {
        if (process.stderr.isTTY && performance.now() - lastPrint > 1000) {
          lastPrint = performance.now();
          process.stderr.write(`\r  ${done}/${total} sessions`);
        }
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  }
  const wallMs = performance.now() - t0;
  if (args.shrinkCrashes) {
    for (let i = 0; i < Math.min(result.crashes.length, args.maxReports); i++) {
      const c = result.crashes[i]!;
      result.crashes[i] = await shrinkCrash(c, generateSession(c.seed, args.gen));
    }
  }
  printSummary(result, args, wallMs);
  return result.failures > 0 || result.crashes.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
