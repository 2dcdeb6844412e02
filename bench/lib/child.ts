/**
 * Benchmark processes talking over IPC: the parent sends one request at a time and awaits
 * the answer, so at most one contender runs at any moment and they never share a core.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface ChildOptions {
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--expose-gc` or `--cpu-prof`. */
  nodeArgs?: string[];
  args?: string[];
  /** Shell prefix run before node (e.g. `ulimit -n 20000`); uses bash when given. */
  shellPrefix?: string;
  label?: string;
  /** Load tsx (default); off to run compiled JavaScript. */
  tsx?: boolean;
}

export class Child {
  readonly label: string;
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #nextId = 1;
  #exited: Promise<number | null>;
  /** Messages the child sends on its own (not replies). */
  onEvent: (event: Record<string, unknown>) => void = () => {};

  constructor(script: string, options: ChildOptions = {}) {
    this.label = options.label ?? path.basename(script);
    const execArgv = [
      ...(options.tsx === false ? [] : ['--import', 'tsx']),
      ...(options.nodeArgs ?? []),
    ];
    const env = { ...process.env, ...options.env };
    if (options.shellPrefix !== undefined) {
      // fork() cannot run a shell first; spawn bash with an IPC channel instead.
      const quoted = [process.execPath, ...execArgv, script, ...(options.args ?? [])]
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      this.#proc = fork('-c', [`${options.shellPrefix} && exec ${quoted}`], {
        execPath: '/bin/bash',
        execArgv: [],
        env,
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    } else {
      this.#proc = fork(script, options.args ?? [], {
        execArgv,
        env,
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    }
    this.#proc.on('message', (msg: Reply | Record<string, unknown>) => {
      if (typeof msg === 'object' && msg !== null && 'id' in msg && typeof msg.id === 'number') {
        const reply = msg as Reply;
        const waiter = this.#pending.get(reply.id);
        if (!waiter) return;
        this.#pending.delete(reply.id);
        if (reply.ok) waiter.resolve(reply.value);
        else waiter.reject(new Error(`${this.label}: ${reply.error}`));
      } else {
        this.onEvent(msg as Record<string, unknown>);
      }
    });
    this.#exited = new Promise((resolve) => {
      this.#proc.on('exit', (code) => {
        for (const w of this.#pending.values())
          w.reject(new Error(`${this.label} exited (${code})`));
        this.#pending.clear();
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  request<T>(body: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new Error(
            `${this.label}: no answer to ${JSON.stringify(body).slice(0, 120)} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#proc.send({ id, body });
    });
  }

  /** Asks the child to exit, and kills it (by pid) if it does not within `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    if (this.#proc.connected) this.#proc.send({ id: 0, body: { op: 'exit' } });
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The child side: answers each request with `handler`'s result. `{ op: 'exit' }` exits. */
export function serve(handler: (body: Record<string, unknown>) => unknown): void {
  const answer = async (msg: { id: number; body: Record<string, unknown> }): Promise<void> => {
    try {
      const value = await handler(msg.body);
      process.send!({ id: msg.id, ok: true, value });
    } catch (error) {
      process.send!({ id: msg.id, ok: false, error: (error as Error)?.stack ?? String(error) });
    }
  };
  process.on('message', (msg: { id: number; body: Record<string, unknown> }) => {
    if (msg.body.op === 'exit') {
      process.disconnect?.();
      setImmediate(() => process.exit(0));
      return;
    }
    void answer(msg);
  });
}

/** Sends an unsolicited event to the parent. */
export function emit(event: Record<string, unknown>): void {
  process.send?.(event);
}
