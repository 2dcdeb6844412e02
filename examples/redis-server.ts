/**
 * A throwaway redis-server (Debian's `/usr/bin/redis-server`) on a free port of 127.0.0.1,
 * in a temporary folder, for the cluster demo, the tests and the benchmarks. Nothing is
 * saved to disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops it (and waits for its exit); `start()` runs it again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes it (SIGSTOP) as a Redis that stopped answering; `resume()` thaws it. */
  pause(): void;
  resume(): void;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function accepting(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end('PING\r\n');
        socket.once('data', (reply) => resolve(reply.toString().startsWith('+PONG')));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startRedisServer(
  options: { port?: number; binary?: string } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wslay-redis-'));
  let child: ChildProcess | null = null;
  const run = async (): Promise<void> => {
    fs.mkdirSync(dir, { recursive: true });
    const spawned = spawn(
      options.binary ?? 'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { cwd: dir, stdio: 'ignore' },
    );
    child = spawned;
    const failed = once(spawned, 'exit').then(([code]) => {
      throw new Error(`redis-server exited with ${String(code)} before it accepted connections`);
    });
    failed.catch(() => {});
    await Promise.race([accepting(port, Date.now() + 10_000), failed]);
  };
  await run();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    async stop() {
      const running = child;
      child = null;
      if (running === null) return;
      if (running.exitCode !== null || running.signalCode !== null) {
        fs.rmSync(dir, { recursive: true, force: true });
        return;
      }
      const exited = once(running, 'exit');
      running.kill('SIGCONT');
      running.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
    start: run,
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}
