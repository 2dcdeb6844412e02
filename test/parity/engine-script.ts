import type {
  BackendImpl,
  EventEngine,
  EventHooks,
  FrameEngine,
  FrameHooks,
} from '../../src/backends/engine.js';
import { encodeReadResult } from '../../src/backends/layout.js';
import { ErrorCode } from '../../src/constants.js';
import { encodeFrame } from './session.js';

/**
 * Runs an engine script against a backend's engines (below the public API, as wslay's own
 * functions are called) and returns the trace: every callback call with its arguments and
 * outcome, and every return value, one entry a line. The script language and the trace format
 * are those of `libwslay/wslay-trace.c`, which runs the same script against libwslay itself,
 * so traces of either backend and of the C library compare line by line.
 *
 * Script lines (data is `-` for empty, hex, or `R<n>[:<seed>]` for a generated pattern):
 *   ctx server|client <mask>   cbs <mask>   nobuf 0|1   maxlen <n>   rsv <bits>
 *   in <data>                  input for the recv callback
 *   frame <fin> <rsv> <opcode> <masked> <data>   a frame appended to the input
 *   rpol|spol|gpol <tokens>    what the next recv/send/genmask calls do:
 *                              <n> at most n bytes, A all, W would-block, F failure,
 *                              N -1 without an error, Z 0; gpol: key hex, F, P (1), M (-5)
 *   src <id> <data>   fpol <id> <tokens>   the data and behaviour of a fragmented source:
 *                              <n>, A, F, N, X (eof with no data)
 *   oncb|onstart|onchunk <line>   run <line> inside every on_msg_recv,
 *                              on_frame_recv_start or on_frame_recv_chunk callback
 *   recv  send  get  shut r|w  seterr <code>
 *   q <opcode> <rsv|-1> <data>   qf <opcode> <rsv|-1> <id>   qc <code> <data|null>
 *   fctx   fsend <fin> <rsv> <opcode> <payload_length> <mask> <data>   frecv
 */
export interface ScriptTrace {
  entries: string[];
  /** The script line each entry comes from. */
  stepOf: number[];
}

export function runEngineScript(backend: BackendImpl, lines: readonly string[]): ScriptTrace {
  return new TraceRun(backend).run(lines);
}

/** The trace as the C driver prints it, for the recorded fixtures. */
export function traceText(trace: ScriptTrace): string {
  return trace.entries.map((line) => `${line}\n`).join('');
}

function patternBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed + (i >> 8)) & 0xff;
  return out;
}

function parseData(token: string | undefined): Uint8Array {
  if (token === undefined || token === '-') return new Uint8Array(0);
  if (token.startsWith('R')) {
    const [n, seed] = token.slice(1).split(':');
    return patternBytes(Number(n), Number(seed ?? 0));
  }
  return Uint8Array.from(Buffer.from(token, 'hex'));
}

/** Short data as hex, long data as its length and FNV-1a hash, as the C driver prints it. */
function showData(d: Uint8Array): string {
  if (d.length === 0) return '-';
  if (d.length <= 64) return Buffer.from(d.buffer, d.byteOffset, d.length).toString('hex');
  let h = 2166136261;
  for (const b of d) h = Math.imul(h ^ b, 16777619) >>> 0;
  return `#${d.length}:${h.toString(16).padStart(8, '0')}`;
}

/** RFC 6455 §5.7's example masking key, which `frame` lines use. */
const EXAMPLE_MASK_KEY = [0x37, 0xfa, 0x21, 0x3d];

const showInt = (n: number): string => (Number.isSafeInteger(n) ? String(n) : BigInt(n).toString());

class TraceRun {
  readonly #out: ScriptTrace = { entries: [], stepOf: [] };
  #step = -1;
  #input = new Uint8Array(0);
  #inputPos = 0;
  readonly #rpol: string[] = [];
  readonly #spol: string[] = [];
  readonly #gpol: string[] = [];
  readonly #sources = new Map<number, { data: Uint8Array; pos: number; pol: string[] }>();
  readonly #cbActions: string[] = [];
  readonly #startActions: string[] = [];
  readonly #chunkActions: string[] = [];
  #ev: EventEngine | null = null;
  #fr: FrameEngine | null = null;
  readonly #hooks: EventHooks;
  readonly #frameHooks: FrameHooks;
  #line = '';

  readonly #backend: BackendImpl;

  constructor(backend: BackendImpl) {
    this.#backend = backend;
    this.#hooks = {
      recv: (buf, flags) => this.#doRecv(buf, flags, true),
      send: (data, flags) => this.#doSend(data, flags, true),
      genmask: (buf) => this.#doGenmask(buf),
      read: (source, buf) => this.#doRead(source, buf),
      onFrameRecvStart: (fin, rsv, opcode, len) => {
        this.#emit(`start ${fin} ${rsv} ${opcode} ${showInt(len)}`);
        this.#actions(this.#startActions);
      },
      onFrameRecvChunk: (data) => {
        this.#emit(`chunk ${showData(data)}`);
        this.#actions(this.#chunkActions);
      },
      onFrameRecvEnd: () => this.#emit('end'),
      onMsgRecv: (rsv, opcode, msg, status) => {
        this.#emit(`msg ${rsv} ${opcode} ${showData(msg)} ${status}`);
        this.#actions(this.#cbActions);
      },
    };
    this.#frameHooks = {
      recv: (buf, flags) => this.#doRecv(buf, flags, false),
      send: (data, flags) => this.#doSend(data, flags, false),
      genmask: (buf) => this.#doGenmask(buf),
    };
  }

  run(lines: readonly string[]): ScriptTrace {
    lines.forEach((line, step) => {
      this.#step = step;
      this.#command(line);
    });
    this.#ev?.free();
    this.#fr?.free();
    return this.#out;
  }

  #actions(lines: string[]): void {
    for (const action of lines) {
      this.#line += '  cb: ';
      this.#command(action);
    }
  }

  #emit(text: string): void {
    this.#out.entries.push(this.#line + text);
    this.#out.stepOf.push(this.#step);
    this.#line = '';
  }

  get #engine(): EventEngine {
    return this.#ev!;
  }

  #getters(): string {
    const e = this.#engine;
    const b = (v: boolean) => (v ? 1 : 0);
    return (
      `get rd=${b(e.getReadEnabled())} wr=${b(e.getWriteEnabled())} wantr=${b(e.wantRead())} ` +
      `wantw=${b(e.wantWrite())} cr=${b(e.getCloseReceived())} cs=${b(e.getCloseSent())} ` +
      `scr=${e.getStatusCodeReceived()} scs=${e.getStatusCodeSent()} ` +
      `qc=${e.getQueuedMsgCount()} ql=${e.getQueuedMsgLength()}`
    );
  }

  #command(line: string): void {
    const t = line.trim().split(/\s+/);
    const cmd = t[0];
    if (!cmd || cmd.startsWith('#')) return;
    const num = (i: number) => Number(t[i]);
    switch (cmd) {
      case 'ctx':
        this.#ev?.free();
        this.#ev = this.#backend.createEventEngine(t[1] === 'server', num(2));
        break;
      case 'cbs':
        this.#engine.setCallbacks(num(1));
        break;
      case 'nobuf':
        this.#engine.setNoBuffering(num(1) !== 0);
        break;
      case 'maxlen':
        this.#engine.setMaxRecvMsgLength(num(1));
        break;
      case 'rsv':
        this.#engine.setAllowedRsvBits(num(1));
        break;
      case 'in':
        this.#appendInput(parseData(t[1]));
        break;
      case 'frame':
        this.#appendInput(
          encodeFrame({
            fin: num(1),
            rsv: num(2),
            opcode: num(3),
            mask: num(4) !== 0 ? EXAMPLE_MASK_KEY : null,
            len: 'min',
            payload: parseData(t[5]),
          }),
        );
        break;
      case 'rpol':
        this.#rpol.push(...t.slice(1));
        break;
      case 'spol':
        this.#spol.push(...t.slice(1));
        break;
      case 'gpol':
        this.#gpol.push(...t.slice(1));
        break;
      case 'src':
        this.#sources.set(num(1), { data: parseData(t[2]), pos: 0, pol: [] });
        break;
      case 'fpol':
        this.#sources.get(num(1))!.pol.push(...t.slice(2));
        break;
      case 'oncb':
        this.#cbActions.push(line.trim().slice(5));
        break;
      case 'onstart':
        this.#startActions.push(line.trim().slice(8));
        break;
      case 'onchunk':
        this.#chunkActions.push(line.trim().slice(8));
        break;
      case 'recv':
        this.#emit(`recv= ${this.#engine.recv(this.#hooks)}`);
        break;
      case 'send':
        this.#emit(`send= ${this.#engine.send(this.#hooks)}`);
        break;
      case 'q':
        this.#emit(`q= ${this.#engine.queueMsg(num(1), parseData(t[3]), num(2))}`);
        break;
      case 'qf':
        this.#emit(`qf= ${this.#engine.queueFragmentedMsg(num(1), num(3), num(2))}`);
        break;
      case 'qc':
        this.#emit(
          `qc= ${this.#engine.queueClose(num(1), t[2] === undefined || t[2] === 'null' ? null : parseData(t[2]))}`,
        );
        break;
      case 'shut':
        if (t[1]!.startsWith('r')) this.#engine.shutdownRead();
        else this.#engine.shutdownWrite();
        break;
      case 'seterr':
        this.#engine.setError(num(1));
        break;
      case 'get':
        this.#emit(this.#getters());
        break;
      case 'fctx':
        this.#fr?.free();
        this.#fr = this.#backend.createFrameEngine();
        break;
      case 'fsend':
        this.#emit(
          `fsend= ${this.#fr!.send(this.#frameHooks, num(1), num(2), num(3), num(4), num(5), parseData(t[6]))}`,
        );
        break;
      case 'frecv': {
        const r = this.#fr!.recv(this.#frameHooks);
        if (typeof r === 'number') this.#emit(`frecv= ${r}`);
        else {
          this.#emit(
            `frecv= ${r.data.length} ${r.fin} ${r.rsv} ${r.opcode} ${showInt(r.payloadLength)} ` +
              `${r.mask} ${showData(r.data)}`,
          );
        }
        break;
      }
      default:
        this.#emit(`??? ${cmd}`);
    }
  }

  #appendInput(d: Uint8Array): void {
    const next = new Uint8Array(this.#input.length + d.length);
    next.set(this.#input);
    next.set(d, this.#input.length);
    this.#input = next;
  }

  #doRecv(buf: Uint8Array, flags: number, event: boolean): number {
    const head = `recv ${buf.length} ${flags}`;
    const avail = this.#input.length - this.#inputPos;
    const token = this.#rpol.shift() ?? (avail > 0 ? 'A' : 'W');
    const fail = (code: number, tag: string) => {
      this.#emit(`${head} ${tag}`);
      if (event) this.#engine.setError(code);
      return -1;
    };
    if (token === 'W') return fail(ErrorCode.WOULDBLOCK, 'W');
    if (token === 'F') return fail(ErrorCode.CALLBACK_FAILURE, 'F');
    if (token === 'N') {
      this.#emit(`${head} N`);
      return -1;
    }
    if (token === 'Z') {
      this.#emit(`${head} Z`);
      return 0;
    }
    const n = Math.min(token === 'A' ? buf.length : Number(token), buf.length, avail);
    if (n === 0) return fail(ErrorCode.WOULDBLOCK, 'W');
    buf.set(this.#input.subarray(this.#inputPos, this.#inputPos + n));
    this.#inputPos += n;
    this.#emit(`${head} -> ${n}`);
    return n;
  }

  #doSend(data: Uint8Array, flags: number, event: boolean): number {
    const head = `send ${data.length} ${flags} ${showData(data)}`;
    const token = this.#spol.shift() ?? 'A';
    const fail = (code: number, tag: string) => {
      this.#emit(`${head} ${tag}`);
      if (event) this.#engine.setError(code);
      return -1;
    };
    if (token === 'W') return fail(ErrorCode.WOULDBLOCK, 'W');
    if (token === 'F') return fail(ErrorCode.CALLBACK_FAILURE, 'F');
    if (token === 'N') {
      this.#emit(`${head} N`);
      return -1;
    }
    if (token === 'Z') {
      this.#emit(`${head} Z`);
      return 0;
    }
    const n = Math.min(token === 'A' ? data.length : Number(token), data.length);
    this.#emit(`${head} -> ${n}`);
    return n;
  }

  #doGenmask(buf: Uint8Array): number {
    const head = `genmask ${buf.length}`;
    const token = this.#gpol.shift() ?? '01020304';
    if (token === 'F') {
      this.#emit(`${head} F`);
      return -1;
    }
    if (token === 'P') {
      this.#emit(`${head} P`);
      return 1;
    }
    if (token === 'M') {
      this.#emit(`${head} M`);
      return -5;
    }
    const key = Buffer.from(token, 'hex');
    for (let i = 0; i < buf.length; i++) buf[i] = key[i % key.length]!;
    this.#emit(`${head} ok`);
    return 0;
  }

  #doRead(source: number, buf: Uint8Array): number {
    const src = this.#sources.get(source)!;
    const head = `read ${source} ${buf.length}`;
    const token = src.pol.shift() ?? 'A';
    if (token === 'F') {
      this.#emit(`${head} F`);
      this.#engine.setError(ErrorCode.CALLBACK_FAILURE);
      return -1;
    }
    if (token === 'N') {
      this.#emit(`${head} N`);
      return -1;
    }
    if (token === 'X') {
      this.#emit(`${head} X`);
      return encodeReadResult(0, true);
    }
    const avail = src.data.length - src.pos;
    const n = Math.min(token === 'A' ? buf.length : Number(token), buf.length, avail);
    buf.set(src.data.subarray(src.pos, src.pos + n));
    src.pos += n;
    const eof = src.pos === src.data.length;
    this.#emit(`${head} -> ${n} ${eof ? 1 : 0}`);
    return encodeReadResult(n, eof);
  }
}
