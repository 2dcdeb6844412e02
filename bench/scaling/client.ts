/**
 * The subscribers of the cross-process benchmark, in one process: `count` connections spread
 * over the servers' ports, with `ws`'s client (for this package's servers) or socket.io-client
 * (for socket.io's). Each message's first 8 bytes are its publish time.
 *
 * Requests: `{ op: 'connect', kind, ports, count }`; `{ op: 'expect', messages }` resets the
 * counters; `{ op: 'received', timeoutMs }` resolves once every subscriber has `messages`
 * messages, or after `timeoutMs`, with how many each had on average, the latency quantiles
 * and the time (epoch ms) of the last delivery.
 */
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import type { ScalingKind } from './server.js';

let latencies: number[] = [];
let perSubscriber: number[] = [];
let expected = 0;
let complete = 0;
let lastAt = 0;
let finished: () => void = () => {};
let done: Promise<void> = Promise.resolve();

function onMessage(index: number, data: Buffer): void {
  const now = performance.timeOrigin + performance.now();
  latencies.push(now - data.readDoubleLE(0));
  lastAt = now;
  if (++perSubscriber[index]! === expected && ++complete === perSubscriber.length) {
    finished();
  }
}

async function connect(kind: ScalingKind, ports: number[], count: number): Promise<void> {
  const opened: Promise<unknown>[] = [];
  perSubscriber = new Array<number>(count).fill(0);
  if (kind === 'wslay') {
    const { WebSocket } = await import('ws');
    for (let i = 0; i < count; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${ports[i % ports.length]}`);
      ws.on('message', (data) => onMessage(i, data as Buffer));
      opened.push(new Promise((resolve) => ws.once('open', resolve)));
    }
  } else {
    const { io } = await import('socket.io-client');
    for (let i = 0; i < count; i++) {
      const socket = io(`http://127.0.0.1:${ports[i % ports.length]}`, {
        transports: ['websocket'],
      });
      socket.on('m', (data: Buffer) => onMessage(i, data));
      opened.push(new Promise((resolve) => socket.once('connect', () => resolve(null))));
    }
  }
  await Promise.all(opened);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

serve(async (body) => {
  switch (body.op) {
    case 'connect':
      await connect(body.kind as ScalingKind, body.ports as number[], body.count as number);
      return null;
    case 'expect':
      expected = body.messages as number;
      complete = 0;
      latencies = [];
      perSubscriber.fill(0);
      done = new Promise((resolve) => (finished = resolve));
      return null;
    case 'received': {
      let timer: NodeJS.Timeout | undefined;
      const complete = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), body.timeoutMs as number);
        }),
      ]);
      clearTimeout(timer);
      const sorted = latencies.sort((a, b) => a - b);
      const delivered = perSubscriber.reduce((a, b) => a + b, 0) / perSubscriber.length;
      return {
        complete,
        delivered,
        lastAt,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
      };
    }
    default:
      throw new Error(`unknown op ${String(body.op)}`);
  }
});
