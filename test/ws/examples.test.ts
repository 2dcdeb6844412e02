import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { WebSocket } from '../../src/index.js';
import { backends, nextMessage } from './helpers.js';

const root = path.resolve(__dirname, '..', '..');

/** Runs an example with tsx, the way the README does, on the given backend. */
function runExample(file: string, backend: string, env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file)], {
    cwd: root,
    env: { ...process.env, WSLAY_BACKEND: backend, ...env },
  });
}

describe.each(backends)('the examples (%s)', (backend) => {
  test('chat-demo starts the chat, has two clients talk, and exits 0', async () => {
    const child = runExample('chat-demo.ts', backend);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(output).toContain(`${backend} backend`);
    expect(output).toContain('bob   sees  alice: Hi Bob, this chat runs on wslay.');
    expect(output).toContain('alice sees  bob: Hi Alice!');
    expect(output).toContain('bob   sees  (alice left)');
    expect(code).toBe(0);
  });

  test('cluster-demo shows chat messages crossing node:cluster workers over Redis, and exits 0', async () => {
    const child = runExample('cluster-demo.ts', backend);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(output).toContain(`3 workers, one port, ${backend} backend`);
    expect(output).toMatch(
      /every lobby message reached all \d+ lobby clients on 3 workers; the books room stayed apart: true/,
    );
    expect(output).toMatch(
      /bob +\(worker (\d)\) sees +alice \(worker (?!\1)\d\): hello from alice/,
    );
    expect(code).toBe(0);
  }, 120_000);

  test('echo-server echoes and stops on SIGINT', async () => {
    const child = runExample('echo-server.ts', backend, { PORT: '0' });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const url = /ws:\/\/\S+/.exec(String(line))![0];
    const ws = new WebSocket(url, { backend });
    await once(ws, 'open');
    ws.send('echo?');
    expect(String((await nextMessage(ws)).data)).toBe('echo?');
    const closed = once(ws, 'close');
    child.kill('SIGINT');
    expect((await closed)[0]).toBe(1001);
    expect((await once(child, 'close'))[0]).toBe(0);
  });
});
