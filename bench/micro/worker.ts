/**
 * One contender of the in-process benchmarks, in a process of its own (so `ws` can be loaded
 * with or without bufferutil, and one contender's JIT state never colours another's).
 * Requests: `{ op: 'info' }`, `{ op: 'measure', bench, size, kind, ms }`.
 */
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/child.js';
import type { PayloadKind } from '../lib/frames.js';
import {
  makeRunner,
  wsBufferutil,
  type Contender,
  type MicroBench,
  type Runner,
} from './contenders.js';

const contender = process.argv[2] as Contender;
const runners = new Map<string, Runner>();
const gc = (globalThis as { gc?: () => void }).gc;

export interface Sample {
  msgs: number;
  bytes: number;
  /** Wall time. */
  ns: number;
  /** CPU time of the process. */
  cpuNs: number;
  passes: number;
}

serve((body) => {
  if (body.op === 'info') {
    return {
      contender,
      bufferutil: contender.startsWith('ws') ? wsBufferutil() : null,
      pid: process.pid,
    };
  }
  if (body.op !== 'measure') throw new Error(`unknown op ${String(body.op)}`);
  const bench = body.bench as MicroBench;
  const size = body.size as number;
  const kind = body.kind as PayloadKind;
  const key = `${bench}/${kind}/${size}`;
  let runner = runners.get(key);
  if (runner === undefined) {
    runner = makeRunner(contender, { bench, size, kind });
    runners.set(key, runner);
  }
  gc?.();
  // The budget and the rate are in CPU time of this process (user + system, GC threads
  // included): on a shared machine, wall time also counts the time other processes held the CPU.
  const budgetUs = (body.ms as number) * 1000;
  let msgs = 0;
  let passes = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let cpuUs: number;
  do {
    msgs += runner.pass();
    passes++;
    const cpu = process.cpuUsage(cpu0);
    cpuUs = cpu.user + cpu.system;
  } while (cpuUs < budgetUs);
  const sample: Sample = {
    msgs,
    bytes: msgs * size,
    ns: (performance.now() - start) * 1e6,
    cpuNs: cpuUs * 1000,
    passes,
  };
  return sample;
});
