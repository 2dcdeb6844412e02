/**
 * Plays a session against one backend through the public API and records everything
 * observable as a trace: every callback with its arguments and return value, every
 * method's result or error, and all getters after every step.
 */
import { EventContext, FrameContext, ErrorCode, type Backend } from '../../src/index.js';
import {
  Cb,
  encodePieces,
  fragByte,
  type EngineSession,
  type EventSession,
  type EventStep,
  type FrameSession,
  type IoAct,
  type Nested,
  type OpStep,
  type ReadAct,
  type Session,
} from './session.js';
import { resolveBackend } from '../../src/backends/select.js';
import { runEngineScript } from './engine-script.js';
import { runLibwslay, wslayTraceBinary, type LibwslayOutput } from './libwslay.js';
import { mix32 } from './rng.js';

export interface Trace {
  backend: Backend | 'libwslay';
  /** One line per observable event. */
  entries: string[];
  /** The step each entry belongs to (-1: set-up, steps.length: teardown). */
  stepOf: number[];
  /** After the recv callback at `entry`, `end` input bytes had been handed out in all. */
  recvMarks: { entry: number; end: number }[];
}

/** More callbacks than this in one session means a backend is looping. */
const CALLBACK_BUDGET = 200_000;

class Recorder {
  entries: string[] = [];
  stepOf: number[] = [];
  recvMarks: { entry: number; end: number }[] = [];
  step = -1;
  add(line: string): void {
    this.entries.push(line);
    this.stepOf.push(this.step);
  }
}

const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const e = error as Error & { code?: number | string; codeName?: string };
    const code = e.code === undefined ? '' : ` code=${String(e.code)}`;
    const codeName = e.codeName === undefined ? '' : ` codeName=${String(e.codeName)}`;
    return `! ${e.constructor.name}${code}${codeName}: ${e.message}`;
  }
  return `! thrown ${typeof error}: ${String(error)}`;
}

function result(fn: () => unknown): string {
  try {
    const value = fn();
    return value === undefined ? '= ok' : `= ${JSON.stringify(value)}`;
  } catch (error) {
    return describeError(error);
  }
}

/** Input bytes the peer has sent and the recv callback has not handed out yet. */
class Wire {
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  /** Bytes handed out so far over the whole session. */
  consumed = 0;
  push(bytes: Uint8Array): void {
    this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), bytes]);
    this.#pos = 0;
  }
  get available(): number {
    return this.#buf.length - this.#pos;
  }
  take(into: Uint8Array, max: number): number {
    const n = Math.min(max, into.length, this.available);
    into.set(this.#buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    this.consumed += n;
    return n;
  }
}

/** A plan of I/O acts consumed one per callback call. */
class Plan {
  #acts: IoAct[];
  #i = 0;
  constructor(acts: IoAct[]) {
    this.#acts = acts;
  }
  next(): IoAct | undefined {
    return this.#acts[this.#i++];
  }
}

export function maskKey(seed: number, call: number): Uint8Array {
  const v = mix32(seed ^ 0x6d61736b, call);
  // Every 8th key is all zeroes: masking then changes nothing, which is a case of its own.
  if (call % 8 === 5) return new Uint8Array(4);
  return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

export function describeOp(s: OpStep): string {
  switch (s.op) {
    case 'queueMsg':
      return `queueMsg(opcode=${s.opcode}, len=${s.msg.length}${s.rsv === undefined ? '' : `, rsv=${s.rsv}`})`;
    case 'queueFrag':
      return `queueFragmentedMsg(opcode=${s.opcode}${s.rsv === undefined ? '' : `, rsv=${s.rsv}`})`;
    case 'queueClose':
      return s.code === undefined
        ? 'queueClose()'
        : `queueClose(${s.code}${s.reason === undefined ? '' : `, reason=${hex(s.reason)}`})`;
    case 'setError':
      return `setError(${s.code})`;
    case 'shutdownRead':
      return 'shutdownRead()';
    case 'shutdownWrite':
      return 'shutdownWrite()';
    case 'noBuffering':
      return `configSetNoBuffering(${s.on})`;
    case 'maxRecv':
      return `configSetMaxRecvMsgLength(${s.length})`;
    case 'rsvBits':
      return `configSetAllowedRsvBits(${s.bits})`;
    case 'callbacks':
      return `configSetCallbacks(${callbackNames(s.mask)})`;
    case 'io':
      return `${s.kind}()`;
    case 'state':
      return 'getters';
    case 'recvFrom':
      return `recvFrom(${s.max === 0 ? 'all' : `up to ${s.max} bytes`})`;
    case 'sendAll':
      return 'sendAll()';
    case 'abort':
      return 'abort()';
  }
}

export function callbackNames(mask: number): string {
  const names = Object.entries(Cb)
    .filter(([, bit]) => (mask & bit) !== 0)
    .map(([n]) => n);
  return mask === 127 ? 'all' : names.length === 0 ? 'none' : names.join('+');
}

export function runSession(session: Session, backend: Backend): Trace {
  if (session.api === 'engine') {
    return {
      backend,
      ...runEngineScript(resolveBackend(backend).impl, session.lines),
      recvMarks: [],
    };
  }
  return session.api === 'event'
    ? runEventSession(session, backend)
    : runFrameSession(session, backend);
}

/**
 * libwslay's traces of engine sessions run ahead in one batch (campaign.ts), so that a
 * campaign does not start a C process per session.
 */
const libwslayAhead = new WeakMap<EngineSession, LibwslayOutput>();

export function runLibwslayAhead(sessions: EngineSession[]): void {
  const binary = wslayTraceBinary();
  if (binary === null || sessions.length === 0) return;
  const outputs = runLibwslay(
    binary,
    sessions.map((s) => s.lines.join('\n')),
  );
  sessions.forEach((s, i) => libwslayAhead.set(s, outputs[i]!));
}

/** The engine session's trace on libwslay itself; null where the C driver cannot be built. */
export function libwslayTrace(session: EngineSession): Trace | null {
  let out = libwslayAhead.get(session);
  if (out === undefined) {
    const binary = wslayTraceBinary();
    if (binary === null) return null;
    out = runLibwslay(binary, [session.lines.join('\n')])[0]!;
  }
  if ('crash' in out) throw new LibwslayCrash(out.crash);
  const entries = out.output.split('\n');
  entries.pop();
  return { backend: 'libwslay', entries, stepOf: [], recvMarks: [] };
}

/** libwslay itself died on a session (wslay asserts on some misuse). */
export class LibwslayCrash extends Error {}

/**
 * Whether the 'abort' op really aborts this process: only in a crash-probe worker
 * (worker.ts turns it on), so that the probe's crash detection has a session that
 * crashes for sure. Anywhere else the op is a no-op with a trace entry.
 */
let abortEnabled = false;

/** For the crash-probe worker only: makes the 'abort' op call process.abort(). */
export function enableAbortOp(): void {
  abortEnabled = true;
}

export function runEventSession(session: EventSession, backend: Backend): Trace {
  const rec = new Recorder();
  const wire = new Wire();
  let plan = new Plan([]);
  let inside: Nested[] = [];
  let cbIndex = 0;
  let callbacks = 0;
  let genmaskCalls = 0;
  const readers: { salt: number; reads: ReadAct[]; i: number; pos: number }[] = [];

  const budget = (): boolean => ++callbacks > CALLBACK_BUDGET;

  /** Records a callback, then runs the nested operations due at it. */
  const called = (ctx: EventContext, line: string): void => {
    rec.add(line);
    const index = cbIndex++;
    for (const n of inside) {
      if (n.at === index)
        rec.add(`  in callback ${index}: ${describeOp(n.step)} ${runOp(ctx, n.step)}`);
    }
  };

  const io = (ctx: EventContext, kind: 'recv' | 'send', buf: Uint8Array, flags: number): number => {
    if (budget()) {
      rec.add(`${kind}: callback budget exceeded, failing`);
      ctx.setError(ErrorCode.CALLBACK_FAILURE);
      return -1;
    }
    const act = plan.next();
    let r: number;
    let note = '';
    if (act === undefined || typeof act === 'number') {
      if (kind === 'recv') {
        if (wire.available === 0) {
          ctx.setError(ErrorCode.WOULDBLOCK);
          r = -1;
        } else {
          r = wire.take(buf, act ?? buf.length);
        }
      } else {
        r = Math.min(act ?? buf.length, buf.length);
      }
    } else if (act === 'W') {
      ctx.setError(ErrorCode.WOULDBLOCK);
      r = -1;
    } else if (act === 'Z') {
      r = 0;
    } else if (act === 'F') {
      ctx.setError(ErrorCode.CALLBACK_FAILURE);
      r = -1;
    } else if (act === 'N') {
      r = -1;
    } else if (act === 'T') {
      note = ' (throws)';
      r = NaN;
    } else {
      ctx.setError(act.err);
      r = -1;
    }
    const args = kind === 'recv' ? `len=${buf.length}` : `${hex(buf)}`;
    if (kind === 'recv' && r > 0)
      rec.recvMarks.push({ entry: rec.entries.length, end: wire.consumed });
    called(ctx, `${kind}(${args}, flags=${flags}) -> ${Number.isNaN(r) ? 'throw' : r}${note}`);
    if (Number.isNaN(r)) throw new Error(`planted ${kind} callback failure`);
    return r;
  };

  const all = {
    recv: (ctx: EventContext, buf: Uint8Array, flags: number) => io(ctx, 'recv', buf, flags),
    send: (ctx: EventContext, data: Uint8Array, flags: number) => io(ctx, 'send', data, flags),
    genmask: (ctx: EventContext, buf: Uint8Array) => {
      const call = genmaskCalls++;
      const fail = session.genmaskFail.includes(call);
      if (!fail) {
        const key = maskKey(session.seed, call);
        for (let i = 0; i < buf.length; i++) buf[i] = key[i & 3]!;
      }
      called(ctx, `genmask(len=${buf.length}) -> ${fail ? -1 : `0 ${hex(buf)}`}`);
      return fail ? -1 : 0;
    },
    onFrameRecvStart: (
      ctx: EventContext,
      a: { fin: number; rsv: number; opcode: number; payloadLength: number },
    ) =>
      called(
        ctx,
        `onFrameRecvStart(fin=${a.fin}, rsv=${a.rsv}, opcode=${a.opcode}, payloadLength=${a.payloadLength})`,
      ),
    onFrameRecvChunk: (ctx: EventContext, a: { data: Uint8Array }) =>
      called(ctx, `onFrameRecvChunk(${hex(a.data)})`),
    onFrameRecvEnd: (ctx: EventContext) => called(ctx, 'onFrameRecvEnd()'),
    onMsgRecv: (
      ctx: EventContext,
      a: { rsv: number; opcode: number; msg: Uint8Array; statusCode: number },
    ) =>
      called(
        ctx,
        `onMsgRecv(rsv=${a.rsv}, opcode=${a.opcode}, statusCode=${a.statusCode}, msg=${hex(a.msg)})`,
      ),
  };
  const subset = (mask: number) => {
    // A client without genmask gets crypto-random masks, which no two runs share: the
    // deterministic one stays installed (the public layer installs a genmask anyway).
    if (session.role === 'client') mask |= Cb.genmask;
    const out: Record<string, unknown> = {};
    for (const [name, bit] of Object.entries(Cb))
      if (mask & bit) out[name] = all[name as keyof typeof all];
    return out;
  };

  const runOp = (ctx: EventContext, s: OpStep): string => {
    switch (s.op) {
      case 'queueMsg': {
        // A payload the caller scribbles over once it is queued: wslay has copied it by then.
        // Buffers (whose slice() is a view) and plain Uint8Arrays both, chosen by length.
        const msg = s.msg.length % 2 === 0 ? Buffer.from(s.msg) : new Uint8Array(s.msg);
        try {
          return result(() => ctx.queueMsg({ opcode: s.opcode, msg }, s.rsv));
        } finally {
          msg.fill(0xee);
        }
      }
      case 'queueFrag': {
        const reader = { salt: s.salt, reads: s.reads, i: 0, pos: 0 };
        readers.push(reader);
        const id = readers.length - 1;
        return result(() =>
          ctx.queueFragmentedMsg(
            {
              opcode: s.opcode,
              read: (c, buf) => {
                const act = reader.reads[reader.i++] ?? { n: 0, eof: true };
                let out: { n: number; eof: boolean };
                if (act === 'F') out = { n: -1, eof: false };
                else if (act === 'X') out = { n: buf.length + 1, eof: false };
                else if (act === 'T') out = { n: NaN, eof: false };
                else {
                  const n = Math.min(act.n, buf.length);
                  for (let k = 0; k < n; k++) buf[k] = fragByte(reader.salt, reader.pos + k);
                  reader.pos += n;
                  out = { n, eof: act.eof ?? false };
                }
                called(
                  c,
                  `read#${id}(len=${buf.length}) -> ${Number.isNaN(out.n) ? 'throw' : JSON.stringify(out)}`,
                );
                if (Number.isNaN(out.n)) throw new Error('planted read failure');
                return out;
              },
            },
            s.rsv,
          ),
        );
      }
      case 'queueClose':
        return result(() =>
          s.code === undefined ? ctx.queueClose() : ctx.queueClose(s.code, s.reason),
        );
      case 'setError':
        return result(() => ctx.setError(s.code));
      case 'shutdownRead':
        return result(() => ctx.shutdownRead());
      case 'shutdownWrite':
        return result(() => ctx.shutdownWrite());
      case 'noBuffering':
        return result(() => ctx.configSetNoBuffering(s.on));
      case 'maxRecv':
        return result(() => ctx.configSetMaxRecvMsgLength(s.length));
      case 'rsvBits':
        return result(() => ctx.configSetAllowedRsvBits(s.bits));
      case 'callbacks':
        return result(() => ctx.configSetCallbacks(subset(s.mask)));
      case 'state':
        return state(ctx);
      case 'recvFrom': {
        const data = new Uint8Array(s.max === 0 ? wire.available : Math.min(s.max, wire.available));
        wire.take(data, data.length);
        const messages: string[] = [];
        const r = result(() =>
          ctx.recvFrom(data, (opcode, msg, statusCode, rsv) => {
            messages.push(
              `(rsv=${rsv}, opcode=${opcode}, statusCode=${statusCode}, msg=${hex(msg)})`,
            );
          }),
        );
        return `len=${data.length} ${r} messages [${messages.join(', ')}]`;
      }
      case 'sendAll':
        return result(() => hex(ctx.sendAll()));
      case 'io': {
        // A nested recv()/send() takes whatever is there, then would-blocks.
        const outer = plan;
        plan = new Plan([]);
        try {
          return result(() => (s.kind === 'recv' ? ctx.recv() : ctx.send()));
        } finally {
          plan = outer;
        }
      }
      case 'abort':
        if (abortEnabled) process.abort();
        return '= skipped (the abort op aborts only in a crash probe)';
    }
  };

  const state = (ctx: EventContext): string => {
    try {
      const b = (v: boolean) => (v ? 1 : 0);
      return (
        `state wantRead=${b(ctx.wantRead())} wantWrite=${b(ctx.wantWrite())} ` +
        `readEnabled=${b(ctx.getReadEnabled())} writeEnabled=${b(ctx.getWriteEnabled())} ` +
        `closeReceived=${b(ctx.getCloseReceived())} closeSent=${b(ctx.getCloseSent())} ` +
        `statusReceived=${ctx.getStatusCodeReceived()} statusSent=${ctx.getStatusCodeSent()} ` +
        `queuedCount=${ctx.getQueuedMsgCount()} queuedLength=${ctx.getQueuedMsgLength()}`
      );
    } catch (error) {
      return `state ${describeError(error)}`;
    }
  };

  let ctx: EventContext;
  try {
    ctx = EventContext[session.role](subset(session.callbacks), { backend });
  } catch (error) {
    rec.add(`create ${describeError(error)}`);
    return { backend, ...rec };
  }
  rec.add(state(ctx));
  session.steps.forEach((step: EventStep, i) => {
    rec.step = i;
    if (step.op === 'input') {
      wire.push(encodePieces(step.pieces));
      return;
    }
    if (step.op === 'recv' || step.op === 'send') {
      plan = new Plan(step.plan);
      inside = step.inside ?? [];
      cbIndex = 0;
      rec.add(`${step.op}() ${result(() => (step.op === 'recv' ? ctx.recv() : ctx.send()))}`);
      inside = [];
    } else if (step.op === 'sendAll') {
      inside = step.inside ?? [];
      cbIndex = 0;
      rec.add(`${describeOp(step)} ${runOp(ctx, step)}`);
      inside = [];
    } else {
      rec.add(`${describeOp(step)} ${runOp(ctx, step)}`);
    }
    rec.add(state(ctx));
  });
  rec.step = session.steps.length;
  rec.add(`free() ${result(() => ctx.free())}`);
  return { backend, ...rec };
}

export function runFrameSession(session: FrameSession, backend: Backend): Trace {
  const rec = new Recorder();
  const wire = new Wire();
  let plan = new Plan([]);
  let callbacks = 0;
  let genmaskCalls = 0;
  const offsets = session.frames.map(() => 0);

  const io = (kind: 'recv' | 'send', buf: Uint8Array, flags: number): number => {
    if (++callbacks > CALLBACK_BUDGET) {
      rec.add(`${kind}: callback budget exceeded, failing`);
      return -1;
    }
    const act = plan.next();
    let r: number;
    if (act === undefined || typeof act === 'number') {
      if (kind === 'recv') r = wire.available === 0 ? -1 : wire.take(buf, act ?? buf.length);
      else r = Math.min(act ?? buf.length, buf.length);
    } else if (act === 'Z') {
      r = 0;
    } else if (act === 'T') {
      r = NaN;
    } else {
      r = -1;
    }
    const args = kind === 'recv' ? `len=${buf.length}` : hex(buf);
    rec.add(`${kind}(${args}, flags=${flags}) -> ${Number.isNaN(r) ? 'throw' : r}`);
    if (kind === 'recv' && r > 0)
      rec.recvMarks.push({ entry: rec.entries.length - 1, end: wire.consumed });
    if (Number.isNaN(r)) throw new Error(`planted ${kind} callback failure`);
    return r;
  };

  let ctx: FrameContext;
  try {
    ctx = FrameContext.create(
      {
        recv: (buf, flags) => io('recv', buf, flags),
        send: (data, flags) => io('send', data, flags),
        genmask: (buf) => {
          const call = genmaskCalls++;
          const fail = session.genmaskFail.includes(call);
          if (!fail) {
            const key = maskKey(session.seed, call);
            for (let i = 0; i < buf.length; i++) buf[i] = key[i & 3]!;
          }
          rec.add(`genmask(len=${buf.length}) -> ${fail ? -1 : `0 ${hex(buf)}`}`);
          return fail ? -1 : 0;
        },
      },
      { backend },
    );
  } catch (error) {
    rec.add(`create ${describeError(error)}`);
    return { backend, ...rec };
  }
  session.steps.forEach((step, i) => {
    rec.step = i;
    if (step.op === 'input') {
      wire.push(encodePieces(step.pieces));
    } else if (step.op === 'frecv') {
      plan = new Plan(step.plan);
      for (let k = 0; k < step.calls; k++) {
        let line: string;
        try {
          const f = ctx.recv();
          line =
            f === null
              ? '= null (WANT_READ)'
              : `= {fin=${f.fin} rsv=${f.rsv} opcode=${f.opcode} payloadLength=${f.payloadLength} ` +
                `mask=${f.mask} data=${hex(f.data)}}`;
        } catch (error) {
          line = describeError(error);
        }
        rec.add(`frame.recv() ${line}`);
      }
    } else {
      plan = new Plan(step.plan);
      const f = session.frames[step.frame]!;
      const from = Math.min(offsets[step.frame]!, f.payload.length);
      const to =
        step.take === null ? f.payload.length : Math.min(f.payload.length, from + step.take);
      let data = f.payload.subarray(from, to);
      if (step.extra) data = Buffer.concat([data, new Uint8Array(step.extra).fill(0x78)]);
      let line: string;
      try {
        const rc = ctx.send({
          fin: f.fin,
          rsv: f.rsv,
          opcode: f.opcode,
          payloadLength: f.payloadLength,
          mask: f.mask,
          data,
        });
        if (rc > 0) offsets[step.frame]! += rc;
        line = `= ${rc}`;
      } catch (error) {
        line = describeError(error);
      }
      rec.add(
        `frame.send(#${step.frame} fin=${f.fin} rsv=${f.rsv} opcode=${f.opcode} ` +
          `payloadLength=${f.payloadLength} mask=${f.mask} data[${from}..${from + data.length}]) ${line}`,
      );
    }
  });
  rec.step = session.steps.length;
  rec.add(`free() ${result(() => ctx.free())}`);
  return { backend, ...rec };
}
