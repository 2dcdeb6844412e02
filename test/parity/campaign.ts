/**
 * A campaign: sessions start..start+count-1 of a base seed, each generated, run on both
 * backends and classified. Real failures are grouped by signature; the first of each
 * group is shrunk and printed.
 */
import {
  checkSession,
  failureSignature,
  type Sides,
  backendSides,
  type Verdict,
} from './compare.js';
import { formatFailure } from './format.js';
import { generateSession, type GenOptions } from './generator.js';
import { sessionSeed } from './rng.js';
import { LibwslayCrash, runLibwslayAhead } from './runner.js';
import { sessionLength, sessionToJson, type EngineSession, type Session } from './session.js';
import { shrink } from './shrink.js';

export interface CampaignOptions {
  seed: number;
  start: number;
  count: number;
  gen: GenOptions;
  /** Shrink the first failure of each signature (default true). */
  shrink?: boolean;
  /** Time allowed to shrink one failure. */
  shrinkTimeMs?: number;
  /** How many distinct failures to shrink and print. */
  maxReports?: number;
  sides?: Sides;
  /** Called before each session (the worker reports progress through it). */
  onSession?(index: number): void;
}

export interface FailureReport {
  index: number;
  seed: number;
  signature: string;
  /** The shrunk failure, printed. */
  text: string;
  /** The shrunk session, for --replay. */
  json: string;
  stepsBefore: number;
  stepsAfter: number;
  shrinkRuns: number;
}

export interface CrashReport {
  index: number;
  seed: number;
  /** 'crash' when the process died, 'hang' when it stopped making progress. */
  kind: 'crash' | 'hang';
  detail: string;
  /** The shrunk session that still crashes, printed, when crash shrinking ran. */
  text?: string;
}

export interface CampaignResult {
  sessions: number;
  passed: number;
  known: Record<string, number>;
  failures: number;
  /** Failures by signature: how many, and the first session that showed it. */
  signatures: Record<string, { count: number; index: number; seed: number }>;
  reports: FailureReport[];
  crashes: CrashReport[];
  /** Time spent running sessions (summed over workers). */
  busyMs: number;
}

export function emptyResult(): CampaignResult {
  return {
    sessions: 0,
    passed: 0,
    known: {},
    failures: 0,
    signatures: {},
    reports: [],
    crashes: [],
    busyMs: 0,
  };
}

export function mergeResults(into: CampaignResult, from: CampaignResult): CampaignResult {
  into.sessions += from.sessions;
  into.passed += from.passed;
  into.failures += from.failures;
  into.busyMs += from.busyMs;
  for (const [k, n] of Object.entries(from.known)) into.known[k] = (into.known[k] ?? 0) + n;
  for (const [sig, s] of Object.entries(from.signatures)) {
    const mine = into.signatures[sig];
    if (mine === undefined) into.signatures[sig] = { ...s };
    else {
      mine.count += s.count;
      if (s.index < mine.index) Object.assign(mine, { index: s.index, seed: s.seed });
    }
  }
  for (const r of from.reports) {
    const same = into.reports.findIndex((x) => x.signature === r.signature);
    if (same < 0) into.reports.push(r);
    else if (r.index < into.reports[same]!.index) into.reports[same] = r;
  }
  into.reports.sort((a, b) => a.index - b.index);
  into.crashes.push(...from.crashes);
  return into;
}

export type Failure = Extract<Verdict, { kind: 'fail' }>;

/** Shrinks a failure and prints it. */
export function reportFailure(
  index: number,
  v: Failure,
  options: { sides?: Sides; shrink?: boolean; shrinkTimeMs?: number } = {},
): FailureReport {
  const sides = options.sides ?? backendSides;
  const original = v.session;
  let final: Failure = v;
  let runs = 0;
  if (options.shrink ?? true) {
    const r = shrink(original, (s: Session) => checkSession(s, sides).kind === 'fail', {
      timeMs: options.shrinkTimeMs ?? 20_000,
    });
    runs = r.runs;
    const again = checkSession(r.session, sides);
    if (again.kind === 'fail') final = again;
  }
  return {
    index,
    seed: original.seed,
    signature: failureSignature(v),
    text: formatFailure(final),
    json: sessionToJson(final.session),
    stepsBefore: sessionLength(original),
    stepsAfter: sessionLength(final.session),
    shrinkRuns: runs,
  };
}

/** Sessions generated and run on libwslay at a time. */
const BLOCK = 256;

export function runCampaign(o: CampaignOptions): CampaignResult {
  const result = emptyResult();
  const maxReports = o.maxReports ?? 5;
  const t0 = performance.now();
  let shrinkMs = 0;
  const end = o.start + o.count;
  for (let first = o.start; first < end; first += BLOCK) {
    const sessions: Session[] = [];
    for (let index = first; index < Math.min(first + BLOCK, end); index++)
      sessions.push(generateSession(sessionSeed(o.seed, index), o.gen));
    runLibwslayAhead(sessions.filter((s): s is EngineSession => s.api === 'engine'));
    sessions.forEach((session, k) => {
      const index = first + k;
      const seed = session.seed;
      o.onSession?.(index);
      let v: Verdict;
      try {
        v = checkSession(session, o.sides);
      } catch (error) {
        if (!(error instanceof LibwslayCrash)) throw error;
        result.sessions++;
        result.crashes.push({ index, seed, kind: 'crash', detail: error.message });
        return;
      }
      result.sessions++;
      if (v.kind === 'pass') {
        result.passed++;
      } else if (v.kind === 'known') {
        result.known[v.id] = (result.known[v.id] ?? 0) + 1;
      } else {
        result.failures++;
        const signature = failureSignature(v);
        const seen = result.signatures[signature];
        if (seen) {
          seen.count++;
        } else {
          result.signatures[signature] = { count: 1, index, seed };
          if (result.reports.length < maxReports) {
            const s0 = performance.now();
            result.reports.push(reportFailure(index, v, o));
            shrinkMs += performance.now() - s0;
          }
        }
      }
      if (index % 500 === 499) (globalThis as { gc?: () => void }).gc?.();
    });
  }
  result.busyMs = performance.now() - t0 - shrinkMs;
  return result;
}
