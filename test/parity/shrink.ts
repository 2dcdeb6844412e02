/**
 * Greedy shrinking of a failing session: tries smaller variants, coarse to fine, and
 * keeps the first one that still fails, until no variant fails or the budget runs out.
 */
import type {
  EngineSession,
  EventStep,
  FrameSession,
  FrameSpec,
  FrameStep,
  InputPiece,
  IoAct,
  Nested,
  OpStep,
  ReadAct,
  Session,
} from './session.js';
import { ALL_CALLBACKS, isRaw } from './session.js';

export interface ShrinkOptions {
  /** The most candidate sessions to try. */
  maxRuns?: number;
  /** Stop after this many milliseconds. */
  timeMs?: number;
}

export interface ShrinkResult<T extends Session> {
  session: T;
  runs: number;
  accepted: number;
}

/** Smaller versions of a byte string: empty, halves, quarters, single bytes out, all 'a'. */
function* smallerBytes(b: Uint8Array): Generator<Uint8Array> {
  if (b.length === 0) return;
  yield b.subarray(0, 0);
  for (let size = b.length >> 1; size >= 1; size >>= 1) {
    // Long payloads: every position for coarse cuts, only the ends for fine ones.
    const fine = b.length > 64 && size < b.length >> 3;
    for (let at = 0; at < b.length; at += size) {
      if (fine && at > 0) at = b.length - size;
      const out = new Uint8Array(b.length - Math.min(size, b.length - at));
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + size), at);
      yield out;
    }
  }
  if (b.some((x) => x !== 0x61)) yield new Uint8Array(b.length).fill(0x61);
}

/** Smaller I/O plans: none, one act fewer, two adjacent sizes merged. */
function* smallerPlan(plan: IoAct[]): Generator<IoAct[]> {
  if (plan.length === 0) return;
  yield [];
  for (let size = plan.length >> 1; size >= 1; size >>= 1) {
    for (let at = 0; at < plan.length; at += size)
      yield [...plan.slice(0, at), ...plan.slice(at + size)];
  }
  for (let i = 0; i + 1 < plan.length; i++) {
    const a = plan[i];
    const b = plan[i + 1];
    if (typeof a === 'number' && typeof b === 'number')
      yield [...plan.slice(0, i), a + b, ...plan.slice(i + 2)];
  }
}

function* smallerList<T>(list: T[]): Generator<T[]> {
  for (let size = list.length >> 1; size >= 1; size >>= 1) {
    for (let at = 0; at < list.length; at += size)
      yield [...list.slice(0, at), ...list.slice(at + size)];
  }
}

function* smallerFrame(f: FrameSpec): Generator<FrameSpec> {
  const { note: _note, ...plain } = f;
  if (f.cut !== undefined) {
    const { cut: _cut, ...whole } = plain;
    yield whole;
  }
  for (const payload of smallerBytes(f.payload)) yield { ...plain, payload };
  if (f.cut !== undefined && f.cut > 0) yield { ...plain, cut: f.cut - 1 };
  if (f.len !== 'min') yield { ...plain, len: 'min' };
  if (f.rsv !== 0) yield { ...plain, rsv: 0 };
  if (f.mask && f.mask.some((x) => x !== 0)) yield { ...plain, mask: [0, 0, 0, 0] };
}

function* smallerPieces(pieces: InputPiece[]): Generator<InputPiece[]> {
  yield* smallerList(pieces);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    const variants = isRaw(p) ? [...smallerBytes(p.raw)].map((raw) => ({ raw })) : smallerFrame(p);
    for (const v of variants) yield [...pieces.slice(0, i), v, ...pieces.slice(i + 1)];
  }
}

function* smallerReads(reads: ReadAct[]): Generator<ReadAct[]> {
  yield* smallerList(reads);
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i]!;
    if (typeof r === 'object' && r.n > 1)
      yield [...reads.slice(0, i), { ...r, n: r.n >> 1 }, ...reads.slice(i + 1)];
  }
}

function* smallerOp(s: OpStep): Generator<OpStep> {
  switch (s.op) {
    case 'queueMsg':
      if (s.rsv !== undefined) yield { op: 'queueMsg', opcode: s.opcode, msg: s.msg };
      for (const msg of smallerBytes(s.msg)) yield { ...s, msg };
      return;
    case 'queueFrag':
      if (s.rsv !== undefined)
        yield { op: 'queueFrag', opcode: s.opcode, salt: s.salt, reads: s.reads };
      for (const reads of smallerReads(s.reads)) yield { ...s, reads };
      return;
    case 'queueClose':
      if (s.reason !== undefined) {
        yield { op: 'queueClose', code: s.code };
        for (const reason of smallerBytes(s.reason)) yield { ...s, reason };
      } else if (s.code !== undefined) {
        yield { op: 'queueClose' };
      }
      return;
    case 'sendAll':
      for (const inside of smallerNested(s.inside)) yield withoutUndefined({ ...s, inside });
      return;
    default:
  }
}

function* smallerNested(list: Nested[] | undefined): Generator<Nested[] | undefined> {
  if (!list || list.length === 0) return;
  yield undefined;
  yield* smallerList(list);
  for (let i = 0; i < list.length; i++) {
    const n = list[i]!;
    if (n.at > 0) yield [...list.slice(0, i), { ...n, at: n.at - 1 }, ...list.slice(i + 1)];
    for (const step of smallerOp(n.step))
      yield [...list.slice(0, i), { ...n, step }, ...list.slice(i + 1)];
  }
}

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function* smallerEventStep(s: EventStep): Generator<EventStep> {
  if (s.op === 'input') {
    for (const pieces of smallerPieces(s.pieces)) if (pieces.length) yield { op: 'input', pieces };
  } else if (s.op === 'recv' || s.op === 'send') {
    for (const inside of smallerNested(s.inside)) yield withoutUndefined({ ...s, inside });
    for (const plan of smallerPlan(s.plan)) yield { ...s, plan };
  } else {
    yield* smallerOp(s);
  }
}

function* smallerFrameStep(s: FrameStep): Generator<FrameStep> {
  if (s.op === 'input') {
    for (const pieces of smallerPieces(s.pieces)) if (pieces.length) yield { op: 'input', pieces };
  } else if (s.op === 'frecv') {
    for (let calls = 1; calls < s.calls; calls++) yield { ...s, calls };
    for (const plan of smallerPlan(s.plan)) yield { ...s, plan };
  } else {
    if (s.extra !== undefined) yield { op: 'fsend', frame: s.frame, take: s.take, plan: s.plan };
    if (s.take !== null) yield { ...s, take: null };
    for (const plan of smallerPlan(s.plan)) yield { ...s, plan };
  }
}

/** Where each engine script command keeps its data token (engine-script.ts). */
const DATA_TOKEN: Record<string, number> = { in: 1, frame: 5, q: 3, src: 2, qc: 2, fsend: 6 };
const POLICIES = new Set(['rpol', 'spol', 'gpol']);

/** Smaller versions of one engine script line: less data, shorter I/O policies. */
function* smallerScriptLine(line: string): Generator<string> {
  const t = line.split(' ');
  const cmd = t[0]!;
  const at = DATA_TOKEN[cmd];
  const data = at === undefined ? undefined : t[at];
  const withToken = (i: number, token: string) =>
    [...t.slice(0, i), token, ...t.slice(i + 1)].join(' ');
  if (at !== undefined && data !== undefined && /^([0-9a-f]{2})+$/.test(data)) {
    for (const b of smallerBytes(Buffer.from(data, 'hex')))
      yield withToken(at, b.length === 0 ? '-' : Buffer.from(b).toString('hex'));
  } else if (at !== undefined && data !== undefined && data.startsWith('R')) {
    const [n, seed = '0'] = data.slice(1).split(':');
    for (let size = Number(n) >> 1; size > 0; size >>= 1) yield withToken(at, `R${size}:${seed}`);
    yield withToken(at, '-');
  }
  const first = POLICIES.has(cmd) ? 1 : cmd === 'fpol' ? 2 : -1;
  if (first > 0) {
    for (const rest of smallerList(t.slice(first)))
      if (rest.length > 0) yield [...t.slice(0, first), ...rest].join(' ');
  }
}

function* scriptCandidates(session: EngineSession): Generator<EngineSession> {
  const lines = session.lines;
  for (const next of smallerList(lines)) yield { ...session, lines: next };
  for (let i = lines.length - 1; i >= 0; i--) {
    for (const line of smallerScriptLine(lines[i]!))
      yield { ...session, lines: [...lines.slice(0, i), line, ...lines.slice(i + 1)] };
  }
}

/** Every one-change-smaller variant of a session, coarse changes first. */
export function* candidates(session: Session): Generator<Session> {
  if (session.api === 'engine') {
    yield* scriptCandidates(session);
    return;
  }
  const steps = session.steps as (EventStep | FrameStep)[];
  const withSteps = (next: (EventStep | FrameStep)[]) => ({ ...session, steps: next }) as Session;
  for (const next of smallerList(steps)) yield withSteps(next);
  if (session.genmaskFail.length) yield { ...session, genmaskFail: [] };
  if (session.api === 'event' && session.callbacks !== ALL_CALLBACKS)
    yield { ...session, callbacks: ALL_CALLBACKS };
  for (let i = steps.length - 1; i >= 0; i--) {
    const variants =
      session.api === 'event'
        ? smallerEventStep(steps[i] as EventStep)
        : smallerFrameStep(steps[i] as FrameStep);
    for (const v of variants) yield withSteps([...steps.slice(0, i), v, ...steps.slice(i + 1)]);
  }
  if (session.api === 'frame') {
    for (let i = 0; i < session.frames.length; i++) {
      const f = session.frames[i]!;
      const replace = (g: typeof f): FrameSession => ({
        ...session,
        frames: [...session.frames.slice(0, i), g, ...session.frames.slice(i + 1)],
      });
      for (const payload of smallerBytes(f.payload)) {
        yield replace({
          ...f,
          payload,
          payloadLength: f.payloadLength - (f.payload.length - payload.length),
        });
      }
      if (f.rsv !== 0) yield replace({ ...f, rsv: 0 });
    }
  }
}

/** Shrinks `session` while `fails` holds. `fails(session)` must hold at the start. */
export function shrink<T extends Session>(
  session: T,
  fails: (s: T) => boolean,
  options: ShrinkOptions = {},
): ShrinkResult<T> {
  const maxRuns = options.maxRuns ?? 4000;
  const deadline = performance.now() + (options.timeMs ?? 30_000);
  let best = session;
  let runs = 0;
  let accepted = 0;
  let progress = true;
  while (progress && runs < maxRuns && performance.now() < deadline) {
    progress = false;
    for (const candidate of candidates(best) as Generator<T>) {
      if (runs >= maxRuns || performance.now() >= deadline) break;
      runs++;
      let failed: boolean;
      try {
        failed = fails(candidate);
      } catch {
        failed = false;
      }
      if (failed) {
        best = candidate;
        accepted++;
        progress = true;
        break;
      }
    }
  }
  return { session: best, runs, accepted };
}

/** `shrink` for a predicate that answers asynchronously (e.g. from a child process). */
export async function shrinkAsync<T extends Session>(
  session: T,
  fails: (s: T) => Promise<boolean>,
  options: ShrinkOptions = {},
): Promise<ShrinkResult<T>> {
  const maxRuns = options.maxRuns ?? 300;
  const deadline = performance.now() + (options.timeMs ?? 120_000);
  let best = session;
  let runs = 0;
  let accepted = 0;
  let progress = true;
  while (progress && runs < maxRuns && performance.now() < deadline) {
    progress = false;
    for (const candidate of candidates(best) as Generator<T>) {
      if (runs >= maxRuns || performance.now() >= deadline) break;
      runs++;
      if (await fails(candidate).catch(() => false)) {
        best = candidate;
        accepted++;
        progress = true;
        break;
      }
    }
  }
  return { session: best, runs, accepted };
}
