/**
 * Runs a session on both backends (and, for an engine session, on libwslay itself), finds
 * the first difference between the traces and classifies it: a pass, a documented deviation,
 * or a real failure.
 */
import { knownDifferences, type KnownDifference } from './known-differences.js';
import { libwslayTrace, runSession, type Trace } from './runner.js';
import type { EngineSession, Session } from './session.js';

export interface Difference {
  /** Index of the first differing trace entry. */
  index: number;
  /** The step it belongs to (-1: set-up; steps.length: teardown). */
  step: number;
  /**
   * The entry on each side (the reference first: native, or libwslay for an engine
   * session); undefined where that trace ended first.
   */
  left: string | undefined;
  right: string | undefined;
}

export function firstDifference(left: Trace, right: Trace): Difference | null {
  const a = left.entries;
  const b = right.entries;
  const n = Math.min(a.length, b.length);
  // libwslay's traces carry no steps; up to the difference both sides ran the same steps.
  const stepAt = (i: number) => left.stepOf[i] ?? right.stepOf[i] ?? -1;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return { index: i, step: stepAt(i), left: a[i], right: b[i] };
  }
  if (a.length === b.length) return null;
  return { index: n, step: stepAt(n), left: a[n], right: b[n] };
}

/** How to get each side's trace; tests plant differences by wrapping one side. */
export interface Sides {
  native(session: Session): Trace;
  fallback(session: Session): Trace;
  /** libwslay's trace of an engine session; null where the C driver cannot be built. */
  libwslay(session: EngineSession): Trace | null;
}

export const backendSides: Sides = {
  native: (s) => runSession(s, 'native'),
  fallback: (s) => runSession(s, 'fallback'),
  libwslay: libwslayTrace,
};

/**
 * The pairs of traces to compare, reference first. An engine session is checked against
 * the C library itself on both backends; where the C driver cannot be built, native is the
 * reference, as for every other session. Throws LibwslayCrash where the C library dies.
 */
function tracePairs(session: Session, sides: Sides): [Trace, Trace][] {
  // libwslay first: a script on which the C library dies would take the native engine down.
  const reference = session.api === 'engine' ? sides.libwslay(session) : null;
  const native = sides.native(session);
  const fallback = sides.fallback(session);
  return reference === null
    ? [[native, fallback]]
    : [
        [reference, fallback],
        [reference, native],
      ];
}

export type Verdict =
  | { kind: 'pass' }
  | { kind: 'known'; id: string; diff: Difference }
  | {
      kind: 'fail';
      /** The failing session: the one given, or it with known deviations' triggers taken out. */
      session: Session;
      diff: Difference;
      /** The reference trace and the one that differs from it. */
      left: Trace;
      right: Trace;
      /** The known deviations neutralised on the way to this failure. */
      via: string[];
    };

export function checkSession(
  session: Session,
  sides: Sides = backendSides,
  known: KnownDifference[] = knownDifferences,
  depth = 0,
): Verdict {
  let pair: [Trace, Trace] | undefined;
  let diff: Difference | null = null;
  for (pair of tracePairs(session, sides)) {
    diff = firstDifference(...pair);
    if (diff !== null) break;
  }
  if (diff === null || pair === undefined) return { kind: 'pass' };
  const [left, right] = pair;
  if (depth < 4) {
    for (const k of known) {
      if (!k.explains(session, left, right, diff)) continue;
      const again = checkSession(k.neutralize(session), sides, known, depth + 1);
      if (again.kind === 'pass') return { kind: 'known', id: k.id, diff };
      if (again.kind === 'known') return { kind: 'known', id: k.id, diff };
      return { ...again, via: [k.id, ...again.via] };
    }
  }
  return { kind: 'fail', session, diff, left, right, via: [] };
}

/** A short signature of a failure, to group the many seeds that hit one bug. */
export function failureSignature(v: Extract<Verdict, { kind: 'fail' }>): string {
  const head = (s: string | undefined) =>
    s === undefined
      ? '<end>'
      : s
          .replace(/[0-9a-f]{8,}/g, '…')
          .replace(/\d+/g, 'N')
          .slice(0, 60);
  return `${v.left.backend}: ${head(v.diff.left)} | ${v.right.backend}: ${head(v.diff.right)}`;
}
