/** Prints sessions as readable scripts and differences with their context. */
import type { Difference, Verdict } from './compare.js';
import type { Trace } from './runner.js';
import { callbackNames, describeOp } from './runner.js';
import {
  encodePiece,
  isRaw,
  sessionToJson,
  type EventStep,
  type FrameStep,
  type InputPiece,
  type IoAct,
  type Nested,
  type ReadAct,
  type Session,
} from './session.js';

const OPCODES: Record<number, string> = {
  0: 'cont',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

export function shortHex(bytes: Uint8Array, max = 48): string {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  return bytes.length <= max ? h || '(empty)' : `${h.slice(0, max * 2)}… (${bytes.length} bytes)`;
}

function opcodeName(op: number): string {
  return `${op}${OPCODES[op] ? `(${OPCODES[op]})` : '(reserved)'}`;
}

function plan(acts: IoAct[]): string {
  if (acts.length === 0) return '[all]';
  const parts: string[] = [];
  for (let i = 0; i < acts.length;) {
    const a = acts[i]!;
    let j = i + 1;
    if (typeof a === 'number') while (j < acts.length && acts[j] === a) j++;
    const text = typeof a === 'object' ? `err(${a.err})` : String(a);
    if (j - i > 2) parts.push(`${text}×${j - i}`);
    else for (let k = i; k < j; k++) parts.push(text);
    i = j;
  }
  return `[${parts.join(', ')}${typeof acts[acts.length - 1] === 'number' ? ', then all' : ''}]`;
}

function reads(acts: ReadAct[]): string {
  return `[${acts.map((a) => (typeof a === 'string' ? a : `${a.n}${a.eof ? ' eof' : ''}`)).join(', ')}${acts.length ? ', ' : ''}then eof]`;
}

function piece(p: InputPiece): string[] {
  if (isRaw(p)) return [`raw ${shortHex(p.raw)}${p.note ? `  (${p.note})` : ''}`];
  const head =
    `frame ${p.fin ? 'FIN' : 'fin=0'} opcode=${opcodeName(p.opcode)} rsv=${p.rsv} ` +
    `mask=${p.mask ? Buffer.from(p.mask).toString('hex') : 'none'} len=${p.payload.length}` +
    `${p.len === 'min' ? '' : ` (length as ${p.len})`}${p.cut !== undefined ? ` cut at ${p.cut}` : ''}`;
  return [
    `${head}${p.note ? `  (${p.note})` : ''}`,
    `    payload ${shortHex(p.payload)}`,
    `    wire    ${shortHex(encodePiece(p), 64)}`,
  ];
}

function nested(list: Nested[] | undefined): string[] {
  return (list ?? []).map(
    (n) => `    inside callback ${n.at}: ${describeOp(n.step)}${opDetail(n.step)}`,
  );
}

function opDetail(s: EventStep): string {
  if (s.op === 'queueMsg') return ` msg=${shortHex(s.msg)}`;
  if (s.op === 'queueFrag') return ` reads=${reads(s.reads)} salt=${s.salt}`;
  if (s.op === 'queueClose' && s.reason) return ` (reason ${s.reason.length} bytes)`;
  return '';
}

export function formatSession(session: Session): string {
  const lines: string[] = [];
  if (session.api === 'engine') {
    lines.push(`engine session: seed ${session.seed} (script lines, as in engine-script.ts)`);
    session.lines.forEach((line, i) => lines.push(`${String(i + 1).padStart(3)}. ${line}`));
  } else if (session.api === 'event') {
    lines.push(
      `event session: ${session.role}, seed ${session.seed}, callbacks ${callbackNames(session.callbacks)}` +
        `${session.genmaskFail.length ? `, genmask fails on call ${session.genmaskFail.join(',')}` : ''}`,
    );
    session.steps.forEach((s, i) => {
      const n = `${String(i + 1).padStart(3)}. `;
      if (s.op === 'input') {
        const [first = '', ...rest] = s.pieces.flatMap(piece);
        lines.push(`${n}peer sends ${first}`, ...rest.map((l) => `       ${l}`));
      } else if (s.op === 'recv' || s.op === 'send') {
        lines.push(`${n}${s.op}()  ${s.op} callback plan ${plan(s.plan)}`, ...nested(s.inside));
      } else if (s.op === 'sendAll') {
        lines.push(`${n}${describeOp(s)}`, ...nested(s.inside));
      } else {
        lines.push(`${n}${describeOp(s)}${opDetail(s)}`);
      }
    });
  } else {
    lines.push(
      `frame session: seed ${session.seed}` +
        `${session.genmaskFail.length ? `, genmask fails on call ${session.genmaskFail.join(',')}` : ''}`,
    );
    session.frames.forEach((f, i) =>
      lines.push(
        `  frame #${i}: fin=${f.fin} rsv=${f.rsv} opcode=${opcodeName(f.opcode)} ` +
          `mask=${f.mask} payloadLength=${f.payloadLength} payload ${shortHex(f.payload)}`,
      ),
    );
    session.steps.forEach((s: FrameStep, i) => {
      const n = `${String(i + 1).padStart(3)}. `;
      if (s.op === 'input') {
        const [first = '', ...rest] = s.pieces.flatMap(piece);
        lines.push(`${n}peer sends ${first}`, ...rest.map((l) => `       ${l}`));
      } else if (s.op === 'frecv') {
        lines.push(`${n}frame.recv() ×${s.calls}  recv callback plan ${plan(s.plan)}`);
      } else {
        lines.push(
          `${n}frame.send(#${s.frame}, ${s.take === null ? 'the rest' : `${s.take} more bytes`}` +
            `${s.extra ? ` + ${s.extra} bytes too many` : ''})  send callback plan ${plan(s.plan)}`,
        );
      }
    });
  }
  return lines.join('\n');
}

export function formatDiff(diff: Difference, left: Trace, right: Trace, context = 6): string {
  const lines: string[] = [];
  const from = Math.max(0, diff.index - context);
  const cut = (s: string | undefined) =>
    s === undefined ? '<trace ended>' : s.length > 400 ? `${s.slice(0, 400)}…` : s;
  const where = diff.step < 0 ? 'set-up' : `step ${diff.step + 1}`;
  lines.push(`first difference at trace entry ${diff.index} (${where}):`);
  const l = `${left.backend}:`.padEnd(10);
  const r = `${right.backend}:`.padEnd(10);
  for (let i = from; i < diff.index; i++)
    lines.push(`   ${String(i).padStart(4)}  ${'both:'.padEnd(10)}${cut(left.entries[i])}`);
  lines.push(`>> ${String(diff.index).padStart(4)}  ${l}${cut(diff.left)}`);
  lines.push(`         ${r}${cut(diff.right)}`);
  for (
    let i = diff.index + 1;
    i < Math.min(diff.index + 3, Math.max(left.entries.length, right.entries.length));
    i++
  ) {
    lines.push(`   ${String(i).padStart(4)}  ${l}${cut(left.entries[i])}`);
    lines.push(`         ${r}${cut(right.entries[i])}`);
  }
  return lines.join('\n');
}

export function formatFailure(v: Extract<Verdict, { kind: 'fail' }>): string {
  const json = sessionToJson(v.session);
  return [
    formatSession(v.session),
    ...(v.via.length ? [`(after neutralising known deviation(s): ${v.via.join(', ')})`] : []),
    formatDiff(v.diff, v.left, v.right),
    json.length <= 6000
      ? `replay: npm run parity -- --replay '${json}'`
      : '(session JSON too long to print; see the saved file)',
  ].join('\n');
}
