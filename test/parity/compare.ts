/**
 * Runs a session on both backends, finds the first difference between the traces and
 * classifies it: a pass, a documented deviation, or a real failure.
 */
import { knownDifferences, type KnownDifference } from './known-differences.js';
import { runSession, type Trace } from './runner.js';
import type { Session } from './session.js';

export interface Difference {
  /** Index of the first differing trace entry. */
  index: number;
  /** The step it belongs to (-1: set-up; steps.length: teardown). */
  step: number;
  /** The entry on each side; undefined where that trace ended first. */
  native: string | undefined;
  fallback: string | undefined;
}

export function firstDifference(native: Trace, fallback: Trace): Difference | null {
  const a = native.entries;
  const b = fallback.entries;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return { index: i, step: native.stepOf[i]!, native: a[i], fallback: b[i] };
  }
  if (a.length === b.length) return null;
  const stepOf = a.length > n ? native.stepOf : fallback.stepOf;
  return { index: n, step: stepOf[n]!, native: a[n], fallback: b[n] };
}

/** How to get each side's trace; tests plant differences by wrapping one side. */
export interface Sides {
  native(session: Session): Trace;
  fallback(session: Session): Trace;
}

export const backendSides: Sides = {
  native: (s) => runSession(s, 'native'),
  fallback: (s) => runSession(s, 'fallback'),
};

export type Verdict =
  | { kind: 'pass' }
  | { kind: 'known'; id: string; diff: Difference }
  | {
      kind: 'fail';
      /** The failing session: the one given, or it with known deviations' triggers taken out. */
      session: Session;
      diff: Difference;
      native: Trace;
      fallback: Trace;
      /** The known deviations neutralised on the way to this failure. */
      via: string[];
    };

export function checkSession(
  session: Session,
  sides: Sides = backendSides,
  known: KnownDifference[] = knownDifferences,
  depth = 0,
): Verdict {
  const native = sides.native(session);
  const fallback = sides.fallback(session);
  const diff = firstDifference(native, fallback);
  if (diff === null) return { kind: 'pass' };
  if (depth < 4) {
    for (const k of known) {
      if (!k.explains(session, native, fallback, diff)) continue;
      const again = checkSession(k.neutralize(session), sides, known, depth + 1);
      if (again.kind === 'pass') return { kind: 'known', id: k.id, diff };
      if (again.kind === 'known') return { kind: 'known', id: k.id, diff };
      return { ...again, via: [k.id, ...again.via] };
    }
  }
  return { kind: 'fail', session, diff, native, fallback, via: [] };
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
  return `${head(v.diff.native)} | ${head(v.diff.fallback)}`;
}
