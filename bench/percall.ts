/**
 * Fixed costs per call, the regime of round trips where every socket read holds one small
 * message: one frame per recv(), one message per send(). Interleaved, median of rounds.
 *
 *   node --import tsx bench/percall.ts [rounds=7] [--tsx]
 *
 * Under tsx it compiles src/ and bench/ with tsc and re-runs itself from that output (see
 * lib/build.ts); --tsx measures the tsx-transformed sources instead.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ErrorCode, EventContext } from '../src/index.js';
import { BUILD_DIR, build } from './lib/build.js';
import { OPCODE_BINARY, maskedFrame, payload } from './lib/frames.js';
import { median } from './lib/stats.js';

// Receiver and Sender are ws internals that @types/ws does not declare, hence the typed require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Receiver, Sender } = require('ws') as {
  Receiver: new (o: object) => import('node:stream').Writable;
  Sender: new (socket: object) => { send(d: unknown, o: object): void };
};

const frame = maskedFrame(OPCODE_BINARY, payload('binary', 32));
const data = payload('binary', 32);
const out = Buffer.alloc(65536);

function contexts(backend: 'native' | 'fallback') {
  let given = false;
  const recv = (c: EventContext, buf: Uint8Array) => {
    if (given) {
      c.setError(ErrorCode.WOULDBLOCK);
      return -1;
    }
    given = true;
    buf.set(frame);
    return frame.length;
  };
  const send = (_c: EventContext, view: Uint8Array) => {
    out.set(view);
    return view.length;
  };
  const parser = EventContext.server({ recv, onMsgRecv() {} }, { backend });
  const echo = EventContext.server(
    {
      recv,
      send,
      onMsgRecv(c, arg) {
        c.queueMsg({ opcode: arg.opcode, msg: arg.msg });
      },
    },
    { backend },
  );
  const sender = EventContext.server({ send }, { backend });
  const msg = { opcode: OPCODE_BINARY, msg: data };
  const batch = EventContext.server({}, { backend });
  const input = Buffer.from(frame);
  const onMessage = (opcode: number, m: Buffer) => {
    batch.queueMsg({ opcode, msg: m });
  };
  const ignore = () => {};
  return {
    [`${backend}: recvFrom() of one 32 B frame`]: () => {
      batch.recvFrom(input, ignore);
    },
    [`${backend}: queueMsg() + sendAll() of 32 B`]: () => {
      batch.queueMsg(msg);
      batch.sendAll();
    },
    [`${backend}: echo (recvFrom, queue, sendAll)`]: () => {
      batch.recvFrom(input, onMessage);
      batch.sendAll();
    },
    [`${backend}: recv() of one 32 B frame`]: () => {
      given = false;
      parser.recv();
    },
    [`${backend}: queueMsg() + send() of 32 B`]: () => {
      sender.queueMsg(msg);
      sender.send();
    },
    [`${backend}: echo (recv, queue in onMsgRecv, send)`]: () => {
      given = false;
      echo.recv();
      echo.send();
    },
    [`${backend}: one getter (wantWrite)`]: () => {
      sender.wantWrite();
    },
  };
}

function wsCases() {
  const receiver = new Receiver({ isServer: true });
  receiver.on('message', () => {});
  const input = Buffer.from(frame);
  const sender = new Sender({
    write(_b: unknown, cb?: () => void) {
      cb?.();
      return true;
    },
    cork() {},
    uncork() {},
  });
  const options = { binary: true, fin: true, mask: false, compress: false };
  return {
    // ws unmasks in place: feeding the same buffer alternates masked and unmasked payloads, fine for binary.
    'ws: Receiver.write() of one 32 B frame': () => {
      receiver.write(input);
    },
    'ws: Sender.send() of 32 B': () => {
      sender.send(data, options);
    },
  };
}

function main(): void {
  const cases: Record<string, () => void> = {
    ...contexts('native'),
    ...contexts('fallback'),
    ...wsCases(),
  };
  const N = 100_000;
  const rounds = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 7);
  const samples = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) for (let i = 0; i < 20_000; i++) fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const t = process.cpuUsage();
      for (let i = 0; i < N; i++) fn();
      const cpu = process.cpuUsage(t);
      samples.get(name)!.push(((cpu.user + cpu.system) * 1000) / N);
    }
  }
  for (const [name, s] of samples)
    console.log(`${name.padEnd(52)} ${median(s).toFixed(0).padStart(6)} ns`);
}

if (__filename.endsWith('.ts') && !process.argv.includes('--tsx')) {
  build();
  const compiled = path.join(BUILD_DIR, 'bench', 'percall.js');
  process.exit(
    spawnSync(process.execPath, [compiled, ...process.argv.slice(2)], { stdio: 'inherit' })
      .status ?? 1,
  );
} else {
  main();
}
