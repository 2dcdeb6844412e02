// Issue 5, case 3: a TypeScript consumer compiles against the packed types, as ESM and as
// CommonJS (moduleResolution nodenext) and through a bundler's resolution; wrong uses fail
// to compile (each `@ts-expect-error` line must be an error, or tsc reports it unused).
// skipLibCheck is off, so the published .d.ts files are checked too.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Consumer,
  type Fixture,
  describeRun,
  exec,
  installConsumer,
  packageFixture,
  repoRoot,
  tscBin,
} from './helpers.js';

/** Correct uses, then wrong ones (after the imports, which differ per module format). */
const BODY = `
const chosen: Backend = backend;
const why: string | null = nativeLoadError;
const callbacks: EventCallbacks = {
  send: (_ctx, data, _flags) => data.length,
  recv: (ctx, _buf, _flags) => { ctx.setError(ErrorCode.WOULDBLOCK); return -1; },
  onMsgRecv: (_ctx, { opcode, msg, statusCode }) => { void opcode; void msg.byteLength; void statusCode; },
};
const ctx: EventContext = EventContext.server(callbacks, { backend: chosen });
ctx.configSetNoBuffering(true);
ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: 'hi' });
ctx.queueMsg({ opcode: Opcode.BINARY_FRAME, msg: new Uint8Array(3) }, Rsv.NONE);
ctx.queueClose(StatusCode.NORMAL_CLOSURE, 'bye');
const wantsWrite: boolean = ctx.wantWrite();
const queued: number = ctx.getQueuedMsgCount();
const role: 'server' | 'client' = ctx.role;
try { ctx.recv(); } catch (error) {
  if (error instanceof WslayError) { const code: number = error.code; const name: string = error.codeName; void code; void name; }
}
{
  using client = EventContext.client({});
  void client.getCloseSent();
}
const frames = FrameContext.create({ send: (data) => data.length, recv: () => -1 });
const iocb: FrameIocb = { fin: 1, rsv: 0, opcode: Opcode.PING, payloadLength: 0, mask: 1,
  data: new Uint8Array(0) };
void frames.send(iocb);
frames.free();
const control: boolean = isCtrlFrame(Opcode.PING);
void [why, wantsWrite, queued, role, control, MSG_MORE];

// Wrong uses: each must fail to compile (never called: the runtime would throw too).
function wrongUses(): void {
// @ts-expect-error the opcode is a number
ctx.queueMsg({ opcode: 'text', msg: 'hi' });
// @ts-expect-error there is no such backend
EventContext.server({}, { backend: 'wasm' });
// @ts-expect-error backend is read-only
ctx.backend = 'native';
// @ts-expect-error wslay 1.1.1 has no wslay_event_write
ctx.write();
// @ts-expect-error a recv callback returns a number
EventContext.client({ recv: () => 'none' });
// @ts-expect-error a message is bytes or a string
ctx.queueMsg({ opcode: Opcode.TEXT_FRAME, msg: 42 });
// @ts-expect-error contexts come from EventContext.server() / client()
new EventContext();
// @ts-expect-error a frame needs payloadLength, mask and data
const partial: FrameIocb = { fin: 1, rsv: 0, opcode: Opcode.PING };
// @ts-expect-error the constants are read-only
Opcode.TEXT_FRAME = 2;
void partial;
}
void wrongUses;

// The ws-compatible layer, type-checked only (never called: it would open sockets).
function webSocketUses(): void {
  const wss = new WebSocketServer({ port: 0, maxPayload: 1 << 20 });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary: boolean) => { ws.send(data, { binary: isBinary }); });
  });
  const ws = new WebSocket('ws://127.0.0.1:1', { handshakeTimeout: 1000 });
  const open: number = WebSocket.OPEN;
  void open;
  ws.close(1000, 'done');
  // @ts-expect-error port is a number
  new WebSocketServer({ port: 'eighty' });
  // @ts-expect-error close codes are numbers
  ws.close('normal');
}
void webSocketUses;
ctx.free();
console.log(JSON.stringify({ ok: true, backend }));
`;

const NAMES =
  'backend, nativeLoadError, ErrorCode, EventContext, FrameContext, isCtrlFrame, MSG_MORE, ' +
  'Opcode, Rsv, StatusCode, WslayError, WebSocket, WebSocketServer, type Backend, type EventCallbacks, ' +
  'type FrameIocb';

const COMPILER_OPTIONS = {
  strict: true,
  target: 'ES2022',
  lib: ['ES2023', 'ESNext.Disposable'],
  // The WebSocket layer's types name Node's (http, net, Buffer): a consumer has @types/node.
  types: ['node'],
  typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
  skipLibCheck: false,
  noEmitOnError: true,
  outDir: 'out',
};

describe('TypeScript consumers of the packed types', () => {
  let fixture: Fixture;
  let consumer: Consumer;

  beforeAll(async () => {
    fixture = await packageFixture();
    consumer = installConsumer(fixture.tarball, fixture, { scripts: 'deny' });
    expect(consumer.install.status, describeRun(consumer.install)).toBe(0);
  }, 600_000);

  afterAll(() => consumer?.remove());

  function compile(name: string, files: Record<string, string>, options: Record<string, unknown>) {
    const dir = path.join(consumer.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...COMPILER_OPTIONS, ...options },
        files: Object.keys(files),
      }),
    );
    const result = spawnSync(process.execPath, [tscBin, '-p', 'tsconfig.json', '--listFiles'], {
      cwd: dir,
      encoding: 'utf8',
    });
    return { dir, result, listed: result.stdout.split('\n').map((line) => line.trim()) };
  }

  const wslayDir = () => path.join(consumer.dir, 'node_modules', 'wslay');

  test('nodenext: ESM (.mts) resolves dist/esm/index.d.mts, CommonJS (.cts) dist/cjs/default-export.d.ts', () => {
    // ws's import forms: the default export (ESM) and module.exports (CommonJS) are the
    // WebSocket class, with Server and the namespace types of @types/ws.
    const wsForms = (name: string) =>
      `const asClass: typeof WebSocket = ${name};\n` +
      `const server: typeof WebSocketServer = ${name}.Server;\n` +
      `const raw: ${name}.RawData | null = null;\n` +
      `const options: ${name}.ServerOptions = { noServer: true };\n` +
      `const connection: ${name} | ${name}.WebSocket | null = null;\n` +
      `if (asClass !== WebSocket || server !== WebSocketServer || ${name}.EventContext !== EventContext)\n` +
      `  throw new Error('not the class of ws');\n` +
      `void [raw, options, connection];\n`;
    const { dir, result, listed } = compile(
      'nodenext',
      {
        'esm.mts':
          `import Default from 'wslay';\nimport { ${NAMES} } from 'wslay';\n` +
          `${wsForms('Default')}${BODY}`,
        'cjs.cts':
          `import wslay = require('wslay');\nimport { ${NAMES} } from 'wslay';\n` +
          `const sameModule: typeof wslay.EventContext = EventContext;\nvoid sameModule;\n` +
          `${wsForms('wslay')}${BODY}`,
      },
      { module: 'NodeNext', moduleResolution: 'NodeNext' },
    );
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(listed).toContain(path.join(wslayDir(), 'dist', 'esm', 'index.d.mts'));
    expect(listed).toContain(path.join(wslayDir(), 'dist', 'cjs', 'default-export.d.ts'));

    // What tsc emitted runs, as ESM and as CommonJS.
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const run = exec(process.execPath, [path.join(dir, 'out', file)], { cwd: dir });
      expect(run.status, describeRun(run)).toBe(0);
      expect(JSON.parse(run.stdout.trim())).toEqual({ ok: true, backend: 'native' });
    }
  }, 120_000);

  test("bundler resolution (the exports map's import condition) type-checks too", () => {
    const { result, listed } = compile(
      'bundler',
      { 'app.ts': `import { ${NAMES} } from 'wslay';\n${BODY}` },
      { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true },
    );
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(listed).toContain(path.join(wslayDir(), 'dist', 'esm', 'index.d.mts'));
  });

  test('a wrong use is a compile error, with a message that names the problem', () => {
    const { result } = compile(
      'wrong',
      {
        'wrong.mts':
          "import { EventContext } from 'wslay';\nEventContext.server({}, { backend: 'wasm' });\n",
      },
      { module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true },
    );
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(
      /wrong\.mts\(2,\d+\): error TS2322: Type '"wasm"' is not assignable to type 'Backend/,
    );
  });
});
