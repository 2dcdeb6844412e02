/**
 * Runs a campaign in worker processes: several at once to use every core, and each in
 * its own process so that a native crash (wslay aborts on some misuse) or a hang costs one
 * session, reported with its seed, not the campaign.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  emptyResult,
  mergeResults,
  type CampaignOptions,
  type CampaignResult,
  type CrashReport,
} from './campaign.js';
import { formatSession } from './format.js';
import { sessionSeed } from './rng.js';
import { sessionToJson, type Session } from './session.js';
import { shrinkAsync } from './shrink.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

const WORKER = path.join(__dirname, 'worker.ts');

type BaseOptions = Omit<CampaignOptions, 'start' | 'count' | 'onSession' | 'sides'>;

interface Child {
  proc: ChildProcess;
  range: [number, number] | null;
  last: number;
  stderr: string;
  timer: NodeJS.Timeout | null;
  hung: boolean;
  done: boolean;
}

function spawnWorker(): ChildProcess {
  return fork(WORKER, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    // fd 3 carries progress (one session index per line), fd 4 is the IPC channel.
    stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
}

export interface PoolOptions {
  workers: number;
  /** A worker that reports no progress for this long is killed and its session reported. */
  hangMs?: number;
  /** Called after each finished chunk with the sessions done so far. */
  onProgress?(done: number, total: number): void;
}

export function runPool(
  base: BaseOptions,
  start: number,
  count: number,
  pool: PoolOptions,
): Promise<CampaignResult> {
  const total = emptyResult();
  const chunk = Math.max(50, Math.min(1000, Math.ceil(count / (pool.workers * 8))));
  const queue: [number, number][] = [];
  for (let s = start; s < start + count; s += chunk)
    queue.push([s, Math.min(start + count, s + chunk)]);
  const hangMs = pool.hangMs ?? 120_000;
  let live = 0;

  return new Promise((resolve, reject) => {
    const next = (c: Child) => {
      const range = queue.shift();
      if (range === undefined) {
        c.range = null;
        c.done = true;
        c.proc.send({ type: 'exit' } satisfies WorkerRequest);
        return;
      }
      c.range = range;
      c.last = range[0] - 1;
      arm(c);
      c.proc.send({
        type: 'chunk',
        options: { ...base, start: range[0], count: range[1] - range[0] },
      } satisfies WorkerRequest);
    };
    const arm = (c: Child) => {
      if (c.timer) clearTimeout(c.timer);
      c.timer = setTimeout(() => {
        c.hung = true;
        c.proc.kill('SIGKILL');
      }, hangMs);
    };
    const start1 = () => {
      live++;
      const c: Child = {
        proc: spawnWorker(),
        range: null,
        last: -1,
        stderr: '',
        timer: null,
        hung: false,
        done: false,
      };
      let pending = '';
      (c.proc.stdio[3] as Readable).on('data', (data: Buffer) => {
        pending += data.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        const last = lines.filter((l) => /^\d+$/.test(l)).pop();
        if (last !== undefined) c.last = Number(last);
        arm(c);
      });
      c.proc.stderr!.on('data', (data: Buffer) => {
        c.stderr = (c.stderr + data.toString()).slice(-4000);
      });
      c.proc.on('message', (m: WorkerReply) => {
        if (m.type === 'result') {
          mergeResults(total, m.result);
          pool.onProgress?.(total.sessions, count);
        }
        if (m.type === 'ready' || m.type === 'result') next(c);
      });
      c.proc.on('close', (code, signal) => {
        if (c.timer) clearTimeout(c.timer);
        live--;
        if (!c.done && c.range) {
          // The worker died in session c.last: report it, redo the rest of its chunk.
          const [s, e] = c.range;
          const index = Math.max(s, c.last);
          total.sessions++;
          total.crashes.push({
            index,
            seed: sessionSeed(base.seed, index),
            kind: c.hung ? 'hang' : 'crash',
            detail:
              `${c.hung ? `no progress for ${hangMs} ms; killed` : `exit code ${code}, signal ${signal}`}` +
              `${c.stderr.trim() ? `; stderr: ${c.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
          });
          if (index > s) queue.unshift([s, index]);
          if (index + 1 < e) queue.unshift([index + 1, e]);
        } else if (!c.done) {
          reject(
            new Error(
              `a parity worker exited before it started (code ${code}, signal ${signal}): ${c.stderr}`,
            ),
          );
          return;
        }
        if (queue.length > 0) start1();
        else if (live === 0) resolve(total);
      });
    };
    for (let i = 0; i < Math.min(pool.workers, queue.length); i++) start1();
    if (queue.length === 0) resolve(total);
  });
}

/** A worker kept alive to run sessions on the native backend and tell whether they crash. */
export class CrashProbe {
  #proc: ChildProcess | null = null;
  #ready: Promise<void> | null = null;

  async crashes(session: Session, timeoutMs = 20_000): Promise<boolean> {
    await this.#start();
    const proc = this.#proc!;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const onMessage = (m: WorkerReply) => {
        if (m.type !== 'probed') return;
        clearTimeout(timer);
        proc.off('close', onClose);
        proc.off('message', onMessage);
        resolve(false);
      };
      const onClose = (_code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        this.#proc = null;
        this.#ready = null;
        // Only a death by signal (SIGABRT, SIGSEGV...) is a crash; a JS error is not.
        resolve(signal !== null && signal !== 'SIGKILL');
      };
      proc.on('message', onMessage);
      proc.once('close', onClose);
      proc.send({ type: 'probe', json: sessionToJson(session) } satisfies WorkerRequest);
    });
  }

  close(): void {
    this.#proc?.send({ type: 'exit' } satisfies WorkerRequest);
    this.#proc = null;
  }

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const proc = spawnWorker();
    (proc.stdio[3] as Readable).resume();
    proc.stderr!.resume();
    this.#proc = proc;
    this.#ready = new Promise((resolve) => {
      proc.once('message', () => resolve());
    });
    return this.#ready;
  }
}

/** Shrinks a crashing session (each crash costs a new worker, so budgets are small). */
export async function shrinkCrash(crash: CrashReport, session: Session): Promise<CrashReport> {
  const probe = new CrashProbe();
  try {
    if (!(await probe.crashes(session)))
      return { ...crash, text: '(did not crash again when run alone)' };
    const r = await shrinkAsync(session, (s) => probe.crashes(s), {
      maxRuns: 400,
      timeMs: 180_000,
    });
    return {
      ...crash,
      text: `${formatSession(r.session)}\nreplay: npm run parity -- --replay '${sessionToJson(r.session)}'`,
    };
  } finally {
    probe.close();
  }
}
